#include "ijepa/models/model_options.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace ijepa::models {
namespace {

struct NamedSize {
  std::string_view name;
  int64_t embed_dim, depth, num_heads;
  double mlp_ratio;
};

// src/models/vision_transformer.py: vit_tiny ... vit_giant.
constexpr NamedSize kNamedSizes[] = {
    {"vit_tiny", 192, 12, 3, 4.0},     {"vit_small", 384, 12, 6, 4.0},
    {"vit_base", 768, 12, 12, 4.0},    {"vit_large", 1024, 24, 16, 4.0},
    {"vit_huge", 1280, 32, 16, 4.0},   {"vit_giant", 1408, 40, 16, 48.0 / 11.0},
};

// Parameters of one pre-norm transformer block of width `dim`.
int64_t BlockParameters(int64_t dim, double mlp_ratio, bool qkv_bias) {
  const int64_t hidden = MlpHiddenDim(dim, mlp_ratio);
  const int64_t norms = 2 * 2 * dim;
  const int64_t qkv = dim * 3 * dim + (qkv_bias ? 3 * dim : 0);
  const int64_t proj = dim * dim + dim;
  const int64_t mlp = dim * hidden + hidden + hidden * dim + dim;
  return norms + qkv + proj + mlp;
}

absl::Status CheckPositive(int64_t value, const char* field, const common::FieldErrorStyle& style) {
  if (value > 0) return absl::OkStatus();
  return style.Error(field, "> 0", absl::StrCat(value));
}

absl::Status CheckProbability(double value, const char* field, const common::FieldErrorStyle& style) {
  if (value >= 0.0 && value < 1.0) return absl::OkStatus();
  return style.Error(field, "in [0, 1)", absl::StrCat(value));
}

// `a` must be a multiple of `b` (both fields of the struct being checked).
absl::Status CheckMultiple(int64_t a, const char* a_field, int64_t b, const char* b_field,
                          const common::FieldErrorStyle& style) {
  if (a % b == 0) return absl::OkStatus();
  return style.Error(a_field, absl::StrCat("a multiple of ", style.Name(b_field), " (", b, ")"),
                     absl::StrCat(a));
}

// The 2-D sin-cos embedding gives a quarter of the width to each of sin/cos of row/column.
absl::Status CheckSinCosWidth(int64_t width, const char* field, const common::FieldErrorStyle& style) {
  if (width % 4 == 0) return absl::OkStatus();
  return style.Error(field, "a multiple of 4 (2-D sin-cos position embedding)", absl::StrCat(width));
}

absl::Status CheckMlpRatio(int64_t width, double mlp_ratio, const common::FieldErrorStyle& style) {
  if (mlp_ratio > 0.0 && MlpHiddenDim(width, mlp_ratio) >= 1) return absl::OkStatus();
  return style.Error("mlp_ratio", "> 0 and give an MLP width >= 1", absl::StrCat(mlp_ratio));
}

absl::Status CheckInitStd(double init_std, const common::FieldErrorStyle& style) {
  if (init_std > 0.0) return absl::OkStatus();
  return style.Error("init_std", "> 0", absl::StrCat(init_std));
}

}  // namespace

std::vector<std::string> NamedModels() {
  std::vector<std::string> names;
  for (const NamedSize& size : kNamedSizes) names.emplace_back(size.name);
  return names;
}

int64_t MlpHiddenDim(int64_t dim, double mlp_ratio) {
  return static_cast<int64_t>(static_cast<double>(dim) * mlp_ratio);
}

std::optional<VisionTransformerOptions> FindNamedVisionTransformer(std::string_view name,
                                                                   int64_t patch_size,
                                                                   int64_t img_size,
                                                                   int64_t in_chans) {
  for (const NamedSize& size : kNamedSizes) {
    if (size.name != name) continue;
    VisionTransformerOptions options;
    options.img_size = img_size;
    options.patch_size = patch_size;
    options.in_chans = in_chans;
    options.embed_dim = size.embed_dim;
    options.depth = size.depth;
    options.num_heads = size.num_heads;
    options.mlp_ratio = size.mlp_ratio;
    return options;
  }
  return std::nullopt;
}

absl::StatusOr<VisionTransformerOptions> NamedVisionTransformer(std::string_view name,
                                                                int64_t patch_size,
                                                                int64_t img_size, int64_t in_chans) {
  std::optional<VisionTransformerOptions> options =
      FindNamedVisionTransformer(name, patch_size, img_size, in_chans);
  if (!options.has_value()) {
    return absl::InvalidArgumentError(absl::StrCat("model_name: unknown model '", std::string(name),
                                                   "', expected one of ",
                                                   absl::StrJoin(NamedModels(), ", ")));
  }
  if (absl::Status status = ValidateVisionTransformerOptions(*options); !status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(name), ": ", status.message()));
  }
  return *options;
}

PredictorOptions PredictorForEncoder(const VisionTransformerOptions& encoder,
                                     int64_t predictor_embed_dim, int64_t depth) {
  PredictorOptions options;
  options.grid_h = encoder.img_size / encoder.patch_size;
  options.grid_w = encoder.img_size / encoder.patch_size;
  options.embed_dim = encoder.embed_dim;
  options.predictor_embed_dim = predictor_embed_dim;
  options.depth = depth;
  options.num_heads = encoder.num_heads;
  options.init_std = encoder.init_std;
  return options;
}

absl::Status ValidateVisionTransformerOptions(const VisionTransformerOptions& o,
                                              const common::FieldErrorStyle& style) {
  for (const auto& [value, field] :
       {std::pair{o.img_size, "img_size"}, {o.patch_size, "patch_size"}, {o.in_chans, "in_chans"},
        {o.embed_dim, "embed_dim"}, {o.depth, "depth"}, {o.num_heads, "num_heads"}}) {
    if (absl::Status status = CheckPositive(value, field, style); !status.ok()) return status;
  }
  if (absl::Status s = CheckMultiple(o.img_size, "img_size", o.patch_size, "patch_size", style); !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckMultiple(o.embed_dim, "embed_dim", o.num_heads, "num_heads", style); !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckSinCosWidth(o.embed_dim, "embed_dim", style); !s.ok()) return s;
  if (absl::Status s = CheckMlpRatio(o.embed_dim, o.mlp_ratio, style); !s.ok()) return s;
  for (const auto& [value, field] : {std::pair{o.drop_rate, "drop_rate"},
                                     {o.attn_drop_rate, "attn_drop_rate"},
                                     {o.drop_path_rate, "drop_path_rate"}}) {
    if (absl::Status status = CheckProbability(value, field, style); !status.ok()) return status;
  }
  return CheckInitStd(o.init_std, style);
}

absl::Status ValidatePredictorOptions(const PredictorOptions& o, const common::FieldErrorStyle& style) {
  for (const auto& [value, field] :
       {std::pair{o.grid_h, "grid_h"}, {o.grid_w, "grid_w"}, {o.embed_dim, "embed_dim"},
        {o.predictor_embed_dim, "predictor_embed_dim"}, {o.depth, "depth"},
        {o.num_heads, "num_heads"}}) {
    if (absl::Status status = CheckPositive(value, field, style); !status.ok()) return status;
  }
  if (absl::Status s = CheckMultiple(o.predictor_embed_dim, "predictor_embed_dim", o.num_heads,
                                     "num_heads", style);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckSinCosWidth(o.predictor_embed_dim, "predictor_embed_dim", style); !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckMlpRatio(o.predictor_embed_dim, o.mlp_ratio, style); !s.ok()) return s;
  if (absl::Status s = CheckProbability(o.drop_path_rate, "drop_path_rate", style); !s.ok()) return s;
  return CheckInitStd(o.init_std, style);
}

int64_t CountVisionTransformerParameters(const VisionTransformerOptions& o) {
  const int64_t num_patches = (o.img_size / o.patch_size) * (o.img_size / o.patch_size);
  const int64_t patch_embed = o.in_chans * o.patch_size * o.patch_size * o.embed_dim + o.embed_dim;
  const int64_t pos_embed = num_patches * o.embed_dim;
  const int64_t norm = 2 * o.embed_dim;
  return patch_embed + pos_embed + o.depth * BlockParameters(o.embed_dim, o.mlp_ratio, o.qkv_bias) +
         norm;
}

int64_t CountPredictorParameters(const PredictorOptions& o) {
  const int64_t d = o.predictor_embed_dim;
  const int64_t embed = o.embed_dim * d + d;
  const int64_t mask_token = d;
  const int64_t pos_embed = o.grid_h * o.grid_w * d;
  const int64_t norm = 2 * d;
  const int64_t proj = d * o.embed_dim + o.embed_dim;
  return embed + mask_token + pos_embed + o.depth * BlockParameters(d, o.mlp_ratio, o.qkv_bias) +
         norm + proj;
}

}  // namespace ijepa::models
