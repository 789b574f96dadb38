#pragma once

#include <string>
#include "absl/strings/string_view.h"
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ijepa/models/model.pb.h"
#include "ijepa/training/pretrain.pb.h"

namespace ijepa::training {

// Parses a PretrainConfig in protobuf text format. Errors carry `source` (a file name) and the
// line:column of the problem.
absl::StatusOr<PretrainConfig> ParseConfigText(absl::string_view text, absl::string_view source);

// Reads and parses a .pbtxt file.
absl::StatusOr<PretrainConfig> LoadConfigFile(const std::string& path);

// Applies one command-line override "path.to.field=value" (the binary's --set), e.g.
//   optimization.epochs=2          data.crop_size=32          meta.loss=L2
//   optimization.ema=0.99,1.0      (repeated: replaces the list; "[0.99, 1.0]" also accepted)
//   mask.pred_mask_scale[1]=0.25   (one element of a repeated field, which must exist)
//   logging.folder=/tmp/run        (strings unquoted; quotes are stripped if given)
// Values are parsed as text-format scalars, so enums take their names. Errors name the path.
absl::Status ApplyOverride(absl::string_view assignment, PretrainConfig* config);

// Checks every value the trainer relies on, including the data and mask sections and whether
// the patch grid admits the mask settings. Errors name the field ("optimization.epochs must be
// > 0, got 0") so bad configs fail before any work is done.
absl::Status ValidateConfig(const PretrainConfig& config);

// Text form, as written to the output folder (every field set explicitly is printed).
std::string ConfigToText(const PretrainConfig& config);

// The models package's ModelConfig for this run: meta.model_name / pred_depth / pred_emb_dim /
// drop_path_rate / pred_drop_path_rate, mask.patch_size, data.crop_size, data.channels.
models::ModelConfig ModelConfigFor(const PretrainConfig& config);

// optimization.ema with its documented default applied: {0.996, 1.0} when empty.
std::pair<double, double> EmaRange(const OptimizationConfig& optimization);

}  // namespace ijepa::training
