#include "ijepa/models/model_config.h"

#include <algorithm>
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"

namespace ijepa::models {
namespace {

using Renamed = std::initializer_list<std::pair<absl::string_view, absl::string_view>>;

// The style for an options struct's fields, from `style` for ModelConfig's: a field set from a
// ModelConfig field (`renamed`, or `same` under its own name) is named as `style` names that
// field; one set from the named size is "the model's FIELD".
common::FieldErrorStyle OptionsFieldStyle(const common::FieldErrorStyle& style, Renamed renamed,
                                          std::initializer_list<absl::string_view> same) {
  common::FieldErrorStyle out = style;
  out.name = [style, renamed = std::vector(renamed), same = std::vector(same)](absl::string_view field) {
    for (const auto& [from, to] : renamed) {
      if (field == from) return style.Name(to);
    }
    if (std::find(same.begin(), same.end(), field) != same.end()) return style.Name(field);
    return absl::StrCat("the model's ", field);
  };
  return out;
}

common::FieldErrorStyle EncoderFieldStyle(const common::FieldErrorStyle& style) {
  return OptionsFieldStyle(
      style, {{"img_size", "crop_size"}},
      {"patch_size", "in_chans", "drop_rate", "attn_drop_rate", "drop_path_rate", "init_std"});
}

common::FieldErrorStyle PredictorFieldStyle(const common::FieldErrorStyle& style) {
  return OptionsFieldStyle(style,
                           {{"predictor_embed_dim", "pred_emb_dim"},
                            {"depth", "pred_depth"},
                            {"drop_path_rate", "pred_drop_path_rate"}},
                           {"init_std"});
}

}  // namespace

common::FieldErrorStyle ModelConfigFieldStyle() {
  common::FieldErrorStyle style;
  style.name = [](absl::string_view field) { return absl::StrCat("ModelConfig.", field); };
  return style;
}

absl::StatusOr<VisionTransformerOptions> EncoderOptionsFromConfig(const ModelConfig& config,
                                                                  const common::FieldErrorStyle& style) {
  if (config.in_chans() != 1 && config.in_chans() != 3) {
    return style.Error("in_chans", "1 or 3", absl::StrCat(config.in_chans()));
  }
  std::optional<VisionTransformerOptions> options = FindNamedVisionTransformer(
      config.model_name(), config.patch_size(), config.crop_size(), config.in_chans());
  if (!options.has_value()) {
    return style.Error("model_name", absl::StrCat("one of ", absl::StrJoin(NamedModels(), ", ")),
                       absl::StrCat("\"", config.model_name(), "\""));
  }
  options->drop_rate = config.drop_rate();
  options->attn_drop_rate = config.attn_drop_rate();
  options->drop_path_rate = config.drop_path_rate();
  options->init_std = config.init_std();
  if (absl::Status status = ValidateVisionTransformerOptions(*options, EncoderFieldStyle(style));
      !status.ok()) {
    return status;
  }
  return *options;
}

absl::StatusOr<PredictorOptions> PredictorOptionsFromConfig(const ModelConfig& config,
                                                            const VisionTransformerOptions& encoder,
                                                            const common::FieldErrorStyle& style) {
  PredictorOptions options = PredictorForEncoder(encoder, config.pred_emb_dim(), config.pred_depth());
  options.drop_path_rate = config.pred_drop_path_rate();
  if (absl::Status status = ValidatePredictorOptions(options, PredictorFieldStyle(style)); !status.ok()) {
    return status;
  }
  return options;
}

absl::StatusOr<PredictorOptions> PredictorOptionsFromConfig(const ModelConfig& config) {
  absl::StatusOr<VisionTransformerOptions> encoder = EncoderOptionsFromConfig(config);
  if (!encoder.ok()) return encoder.status();
  return PredictorOptionsFromConfig(config, *encoder);
}

}  // namespace ijepa::models
