// The Hugging Face transformers layout of an I-JEPA encoder (`transformers.IJepaModel`): a folder
// with config.json and model.safetensors, as `save_pretrained` writes it and as the published
// facebook/ijepa_* folders hold it.
//
// Parameter names on disk are the ViT-style ones transformers' own converter
// (convert_ijepa_to_hf.py) and `save_pretrained` (save_original_format, the default since
// transformers 5) write, and that every transformers version since 4.47 loads:
//   pos_embed                         embeddings.position_embeddings
//   patch_embed.proj.{weight,bias}    embeddings.patch_embeddings.projection.{weight,bias}
//   blocks.N.norm1                    encoder.layer.N.layernorm_before
//   blocks.N.attn.qkv (rows q, k, v)  encoder.layer.N.attention.attention.{query,key,value}
//   blocks.N.attn.proj                encoder.layer.N.attention.output.dense
//   blocks.N.norm2                    encoder.layer.N.layernorm_after
//   blocks.N.mlp.fc1 / fc2            encoder.layer.N.intermediate.dense / output.dense
//   norm                              layernorm
// The reader also accepts transformers 5's in-memory names (`layers.N.attention.q_proj`, ...,
// `layers.N.mlp.fc1`), which `save_pretrained(save_original_format=False)` writes.
//
// What differs between transformers' IJepaModel and the official model, and how it is handled:
//   * LayerNorm eps: IJepaConfig defaults to 1e-12, the official models use 1e-6. The writer sets
//     layer_norm_eps 1e-6; the reader refuses any other value (our LayerNorms are the official ones).
//   * Position embedding: transformers holds a learned parameter, the official model a fixed 2-D
//     sin-cos table (a parameter without gradient). The tensor moves as it is in both directions.
//   * Other resolutions: transformers raises unless `interpolate_pos_encoding=True`, then resizes
//     bicubically (align_corners false) as our encoder always does for other input sizes.
//   * Pooler and mask token: IJepaModel(add_pooling_layer=True) / use_mask_token add weights the
//     official encoder lacks; a folder holding them is refused (unexpected weights).
//   * Dropout: hidden_dropout_prob / attention_probs_dropout_prob map to drop_rate /
//     attn_drop_rate; transformers also drops after the embeddings, the official model does not
//     (training only; features in eval mode are the same).
//   * Activation: only "gelu" (exact erf GELU, the official nn.GELU) is accepted.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ijepa/checkpoint/state_dict.h"
#include "ijepa/models/model_options.h"

namespace ijepa::checkpoint {

inline constexpr char kHfConfigFile[] = "config.json";
inline constexpr char kHfWeightsFile[] = "model.safetensors";

// The encoder architecture from config.json's text. Fields missing from the file take
// IJepaConfig's defaults, as `from_pretrained` does. Errors name `what` and the field.
absl::StatusOr<models::VisionTransformerOptions> EncoderOptionsFromHfConfig(const std::string& json_text,
                                                                          const std::string& what);

// config.json for `options` (IJepaModel, layer_norm_eps 1e-6, every architecture field explicit).
std::string HfConfigFor(const models::VisionTransformerOptions& options);

// Our (official) state dict from the HF names: q/k/v concatenated into qkv. Strict: every weight
// the encoder has must be there, no other, each of the shape `options` implies; errors list the
// names (`what` names the file).
absl::StatusOr<StateDict> EncoderStateFromHf(const StateDict& hf, const models::VisionTransformerOptions& options,
                                             const std::string& what);

// The inverse: HF (ViT-style, on-disk) names, qkv split into query, key, value.
absl::StatusOr<StateDict> HfStateFromEncoder(const StateDict& encoder, const models::VisionTransformerOptions& options);

// The architecture of an encoder state dict (official names, no "module." prefix) from its shapes:
// width, depth, patch, channels, grid (square), MLP width, qkv bias. The head count is not in the
// shapes: `num_heads` > 0 gives it, 0 takes the official named model of that width (vit_tiny 3,
// vit_small 6, vit_base 12, vit_large / huge / giant 16) and is an error for other widths.
absl::StatusOr<models::VisionTransformerOptions> InferEncoderOptions(const StateDict& encoder, int64_t num_heads,
                                                                     const std::string& what);

// True when `path` is a folder holding config.json (how the eval binaries and the converter tell
// an HF folder from a torch.save file).
bool IsHfFolder(const std::string& path);

struct HfEncoder {
  models::VisionTransformerOptions options;
  StateDict state;  // official names, ready for LoadStateDict on a VisionTransformer(options)
};

// Reads DIR/config.json and DIR/model.safetensors. Sharded folders (model.safetensors.index.json)
// and pytorch_model.bin-only folders are refused with a message saying so.
absl::StatusOr<HfEncoder> ReadHfEncoder(const std::string& dir);

// Writes DIR/model.safetensors (metadata {"format": "pt"}, as transformers writes it) and then
// DIR/config.json, each atomically; creates DIR if needed. fp32 as given.
absl::Status WriteHfEncoder(const std::string& dir, const models::VisionTransformerOptions& options,
                            const StateDict& encoder);

}  // namespace ijepa::checkpoint
