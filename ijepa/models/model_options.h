// Plain option structs for the I-JEPA models, the official named sizes and parameter counts.
// No LibTorch here: configs are validated and converted without compiling torch.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ijepa/common/field_error.h"

namespace ijepa::models {

struct VisionTransformerOptions {
  int64_t img_size = 224, patch_size = 16, in_chans = 3, embed_dim = 768, depth = 12, num_heads = 12;
  double mlp_ratio = 4.0;
  bool qkv_bias = true;
  double drop_rate = 0.0, attn_drop_rate = 0.0, drop_path_rate = 0.0, init_std = 0.02;
};

struct PredictorOptions {
  int64_t grid_h = 14, grid_w = 14;  // patch grid of the encoder input
  int64_t embed_dim = 768;           // encoder width (input and output of the predictor)
  int64_t predictor_embed_dim = 384, depth = 6, num_heads = 12;
  double mlp_ratio = 4.0;
  bool qkv_bias = true;
  double drop_path_rate = 0.0, init_std = 0.02;
};

// The official named models, smallest first: "vit_tiny", "vit_small", "vit_base", "vit_large",
// "vit_huge", "vit_giant" (src/models/vision_transformer.py). The project's one list of them.
std::vector<std::string> NamedModels();

// One of NamedModels(): the official widths, depths, head counts and MLP ratios.
absl::StatusOr<VisionTransformerOptions> NamedVisionTransformer(std::string_view name,
                                                                int64_t patch_size,
                                                                int64_t img_size, int64_t in_chans);

// NamedVisionTransformer without its check: the named size with these settings, or nullopt for a
// name not in NamedModels(). For callers that finish the options (drop rates) and then validate
// them once, naming the fields their own way.
std::optional<VisionTransformerOptions> FindNamedVisionTransformer(std::string_view name,
                                                                   int64_t patch_size,
                                                                   int64_t img_size,
                                                                   int64_t in_chans);

// The official predictor for an encoder (src/helper.py init_model): the encoder's grid, width and
// head count, with the given predictor width and depth.
PredictorOptions PredictorForEncoder(const VisionTransformerOptions& encoder,
                                     int64_t predictor_embed_dim, int64_t depth);

// Checks every field a caller can get wrong; the message names the field and what was expected.
// `style` names the fields (by their names in the struct: "img_size", "depth", ...) the way the
// caller's users know them; by default as in the struct.
absl::Status ValidateVisionTransformerOptions(const VisionTransformerOptions& options,
                                              const common::FieldErrorStyle& style = {});
absl::Status ValidatePredictorOptions(const PredictorOptions& options,
                                      const common::FieldErrorStyle& style = {});

// Width of the MLP hidden layer exactly as the official `int(dim * mlp_ratio)`.
int64_t MlpHiddenDim(int64_t dim, double mlp_ratio);

// Number of scalars in the model's state_dict (parameters including the fixed sin-cos position
// embedding, which the official code registers as a non-trainable parameter). The trainable count
// is this minus the position embedding (num_patches * width).
int64_t CountVisionTransformerParameters(const VisionTransformerOptions& options);
int64_t CountPredictorParameters(const PredictorOptions& options);

}  // namespace ijepa::models
