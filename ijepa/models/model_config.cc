#include "ijepa/models/model_config.h"

#include "absl/strings/str_cat.h"

namespace ijepa::models {

absl::StatusOr<VisionTransformerOptions> EncoderOptionsFromConfig(const ModelConfig& config) {
  if (config.in_chans() != 1 && config.in_chans() != 3) {
    return absl::InvalidArgumentError(
        absl::StrCat("ModelConfig.in_chans must be 1 or 3, got ", config.in_chans()));
  }
  if (config.patch_size() <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("ModelConfig.patch_size must be > 0, got ", config.patch_size()));
  }
  if (config.crop_size() <= 0 || config.crop_size() % config.patch_size() != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("ModelConfig.crop_size must be a positive multiple of patch_size (",
                     config.patch_size(), "), got ", config.crop_size()));
  }
  absl::StatusOr<VisionTransformerOptions> options = NamedVisionTransformer(
      config.model_name(), config.patch_size(), config.crop_size(), config.in_chans());
  if (!options.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("ModelConfig.", options.status().message()));
  }
  options->drop_rate = config.drop_rate();
  options->attn_drop_rate = config.attn_drop_rate();
  options->drop_path_rate = config.drop_path_rate();
  options->init_std = config.init_std();
  if (absl::Status status = ValidateVisionTransformerOptions(*options); !status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("ModelConfig.", status.message()));
  }
  return options;
}

absl::StatusOr<PredictorOptions> PredictorOptionsFromConfig(const ModelConfig& config) {
  absl::StatusOr<VisionTransformerOptions> encoder = EncoderOptionsFromConfig(config);
  if (!encoder.ok()) return encoder.status();
  if (config.pred_depth() <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("ModelConfig.pred_depth must be > 0, got ", config.pred_depth()));
  }
  if (config.pred_emb_dim() <= 0 || config.pred_emb_dim() % encoder->num_heads != 0 ||
      config.pred_emb_dim() % 4 != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "ModelConfig.pred_emb_dim must be a positive multiple of 4 and of the encoder's ",
        encoder->num_heads, " heads, got ", config.pred_emb_dim()));
  }
  PredictorOptions options =
      PredictorForEncoder(*encoder, config.pred_emb_dim(), config.pred_depth());
  options.drop_path_rate = config.pred_drop_path_rate();
  if (absl::Status status = ValidatePredictorOptions(options); !status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("ModelConfig.pred_", status.message()));
  }
  return options;
}

}  // namespace ijepa::models
