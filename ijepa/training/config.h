#pragma once

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ijepa/data/transforms.h"
#include "ijepa/masking/mask_options.h"
#include "ijepa/models/model.pb.h"
#include "ijepa/models/model_options.h"
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

// A PretrainConfig that passed ValidatePretrainConfig, with what a run builds from it resolved
// once: the model options, the mask options and patch grid, the training transform, the EMA
// range. The trainer and the setup functions (pretrain_setup.h) take this, so they cannot be
// handed an unchecked config and check nothing again.
class ValidatedPretrainConfig {
 public:
  const PretrainConfig& config() const { return config_; }
  const models::ModelConfig& model() const { return model_; }
  const models::VisionTransformerOptions& encoder() const { return encoder_; }
  const models::PredictorOptions& predictor() const { return predictor_; }
  const masking::MaskOptions& mask() const { return mask_; }
  // Side of the square patch grid: data.crop_size / mask.patch_size.
  int grid() const { return grid_; }
  const data::TransformOptions& train_transform() const { return train_transform_; }
  // optimization.ema with its default applied (EmaRange).
  std::pair<double, double> ema() const { return ema_; }

  // Replaces `threads` (e.g. with each local process's share of the cores), checked as the
  // config's own field is; unchanged on error.
  absl::Status SetThreads(int threads);

 private:
  friend absl::StatusOr<ValidatedPretrainConfig> ValidatePretrainConfig(const PretrainConfig& config);
  ValidatedPretrainConfig() = default;

  PretrainConfig config_;
  models::ModelConfig model_;
  models::VisionTransformerOptions encoder_;
  models::PredictorOptions predictor_;
  masking::MaskOptions mask_;
  int grid_ = 0;
  data::TransformOptions train_transform_;
  std::pair<double, double> ema_;
};

// The one door of a run's config: checks every value the trainer relies on, including the data,
// mask and model sections (through their packages' own validators) and whether the patch grid
// admits the mask settings. Errors name the field ("optimization.epochs must be > 0, got 0") so
// bad configs fail before any work is done.
absl::StatusOr<ValidatedPretrainConfig> ValidatePretrainConfig(const PretrainConfig& config);

// Text form, as written to the output folder (every field set explicitly is printed).
std::string ConfigToText(const PretrainConfig& config);

// The models package's ModelConfig for this run: meta.model_name / pred_depth / pred_emb_dim /
// drop_path_rate / pred_drop_path_rate, mask.patch_size, data.crop_size, data.channels.
models::ModelConfig ModelConfigFor(const PretrainConfig& config);

// optimization.ema with its documented default applied: {0.996, 1.0} when empty.
std::pair<double, double> EmaRange(const OptimizationConfig& optimization);

}  // namespace ijepa::training
