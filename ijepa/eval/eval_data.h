// The data config an evaluation runs on: the pretraining run's data section (so images are
// normalised as in pretraining), overridden by the eval config's `data` fields, with the input
// size and channels of the encoder.
#pragma once

#include <optional>

#include "absl/status/statusor.h"
#include "ijepa/data/data.pb.h"
#include "ijepa/models/model.pb.h"

namespace ijepa::eval {

// Precedence: fields set in `overrides` > `pretrain_data` (from the checkpoint) > DataConfig
// defaults; repeated fields set in `overrides` replace the base list. crop_size and channels,
// when neither source sets them, are the model's crop_size and in_chans; when set they must
// match the model (errors name data.crop_size / data.channels). low_shot_* and subset_file are
// cleared: the eval protocols choose the labelled images.
absl::StatusOr<data::DataConfig> ResolveEvalData(const std::optional<data::DataConfig>& pretrain_data,
                                                 const data::DataConfig& overrides, bool has_overrides,
                                                 const models::ModelConfig& model);

}  // namespace ijepa::eval
