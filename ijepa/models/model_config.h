// Validated conversion from the ModelConfig proto to the plain option structs the models take.
// Every check of a model field lives here or in model_options (ValidateVisionTransformerOptions,
// ValidatePredictorOptions); callers that embed these fields in a larger config pass a
// FieldErrorStyle naming them their way instead of checking them again.
#pragma once

#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"
#include "ijepa/common/field_error.h"
#include "ijepa/models/model.pb.h"
#include "ijepa/models/model_options.h"

namespace ijepa::models {

// "ModelConfig.<field>": how errors name the fields by default.
common::FieldErrorStyle ModelConfigFieldStyle();

// Errors name the offending ModelConfig field (through `style`, which receives ModelConfig field
// names: "pred_depth", "crop_size", ...) and what was expected.
absl::StatusOr<VisionTransformerOptions> EncoderOptionsFromConfig(
    const ModelConfig& config, const common::FieldErrorStyle& style = ModelConfigFieldStyle());
// The predictor for `encoder` (EncoderOptionsFromConfig of the same config).
absl::StatusOr<PredictorOptions> PredictorOptionsFromConfig(
    const ModelConfig& config, const VisionTransformerOptions& encoder,
    const common::FieldErrorStyle& style = ModelConfigFieldStyle());
// Both steps.
absl::StatusOr<PredictorOptions> PredictorOptionsFromConfig(const ModelConfig& config);

// The ModelConfig of a pretraining config: meta.model_name / pred_depth / pred_emb_dim /
// drop_path_rate / pred_drop_path_rate, mask.patch_size, data.crop_size / channels. A template so
// that the one mapping serves ijepa.training.PretrainConfig and the checkpoint package's mirror of
// its fields (older checkpoints' embedded config) without //ijepa/models depending on either.
template <typename PretrainConfigLike>
ModelConfig ModelConfigFromPretrainConfig(const PretrainConfigLike& config) {
  ModelConfig model;
  model.set_model_name(config.meta().model_name());
  model.set_patch_size(config.mask().patch_size());
  model.set_crop_size(config.data().crop_size());
  model.set_in_chans(config.data().channels());
  model.set_pred_depth(config.meta().pred_depth());
  model.set_pred_emb_dim(config.meta().pred_emb_dim());
  model.set_drop_path_rate(config.meta().drop_path_rate());
  model.set_pred_drop_path_rate(config.meta().pred_drop_path_rate());
  return model;
}

}  // namespace ijepa::models
