#include "ijepa/checkpoint/model_checkpoint.h"

#include <ATen/core/Dict.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ijepa/checkpoint/state_dict.h"
#include "ijepa/checkpoint/torch_file.h"

namespace ijepa::checkpoint {
namespace {

absl::StatusOr<StateDict> Section(const c10::IValue& checkpoint, const std::string& what, const char* key) {
  if (!checkpoint.isGenericDict()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": expected a checkpoint dict with '", key, "', found ", checkpoint.tagKind()));
  }
  const auto dict = checkpoint.toGenericDict();
  if (!dict.contains(key)) {
    std::vector<std::string> keys;
    for (const auto& kv : dict) keys.push_back(kv.key().isString() ? kv.key().toStringRef() : kv.key().tagKind());
    return absl::NotFoundError(absl::StrCat(what, ": no '", key, "' state dict in the checkpoint (it has: ",
                                            absl::StrJoin(keys, ", "), ")"));
  }
  return StateDictFromIValue(dict.at(key), absl::StrCat(what, ": ", key));
}

absl::Status LoadSection(const c10::IValue& checkpoint, const std::string& what, const char* key,
                         torch::nn::Module& module, bool strict) {
  absl::StatusOr<StateDict> state = Section(checkpoint, what, key);
  if (!state.ok()) return state.status();
  absl::Status loaded = LoadStateDict(module, *state, strict);
  if (!loaded.ok()) return absl::Status(loaded.code(), absl::StrCat(what, ": ", key, ": ", loaded.message()));
  return absl::OkStatus();
}

void AddBlock(KeyShapes& shapes, const std::string& prefix, int64_t dim, int64_t hidden) {
  shapes.insert(shapes.end(), {{prefix + "norm1.weight", {dim}},
                               {prefix + "norm1.bias", {dim}},
                               {prefix + "attn.qkv.weight", {3 * dim, dim}},
                               {prefix + "attn.qkv.bias", {3 * dim}},
                               {prefix + "attn.proj.weight", {dim, dim}},
                               {prefix + "attn.proj.bias", {dim}},
                               {prefix + "norm2.weight", {dim}},
                               {prefix + "norm2.bias", {dim}},
                               {prefix + "mlp.fc1.weight", {hidden, dim}},
                               {prefix + "mlp.fc1.bias", {hidden}},
                               {prefix + "mlp.fc2.weight", {dim, hidden}},
                               {prefix + "mlp.fc2.bias", {dim}}});
}

}  // namespace

const char* EncoderSourceKey(EncoderSource which) {
  return which == EncoderSource::kTargetEncoder ? "target_encoder" : "encoder";
}

absl::Status LoadEncoderFromCheckpoint(const c10::IValue& checkpoint, const std::string& what,
                                       models::VisionTransformerImpl& encoder, EncoderSource which, bool strict) {
  return LoadSection(checkpoint, what, EncoderSourceKey(which), encoder, strict);
}

absl::Status LoadPredictorFromCheckpoint(const c10::IValue& checkpoint, const std::string& what,
                                         models::VisionTransformerPredictorImpl& predictor, bool strict) {
  return LoadSection(checkpoint, what, "predictor", predictor, strict);
}

absl::Status LoadEncoder(const std::string& path, models::VisionTransformerImpl& encoder, EncoderSource which,
                         bool strict) {
  absl::StatusOr<c10::IValue> checkpoint = ReadTorchFile(path);
  if (!checkpoint.ok()) return checkpoint.status();
  return LoadEncoderFromCheckpoint(*checkpoint, path, encoder, which, strict);
}

absl::Status LoadPredictor(const std::string& path, models::VisionTransformerPredictorImpl& predictor,
                           bool strict) {
  absl::StatusOr<c10::IValue> checkpoint = ReadTorchFile(path);
  if (!checkpoint.ok()) return checkpoint.status();
  return LoadPredictorFromCheckpoint(*checkpoint, path, predictor, strict);
}

KeyShapes OfficialEncoderShapes(const models::VisionTransformerOptions& o) {
  const int64_t d = o.embed_dim, grid = o.img_size / o.patch_size;
  KeyShapes shapes = {{"pos_embed", {1, grid * grid, d}},
                      {"patch_embed.proj.weight", {d, o.in_chans, o.patch_size, o.patch_size}},
                      {"patch_embed.proj.bias", {d}}};
  for (int64_t b = 0; b < o.depth; ++b) {
    AddBlock(shapes, absl::StrCat("blocks.", b, "."), d, models::MlpHiddenDim(d, o.mlp_ratio));
  }
  shapes.insert(shapes.end(), {{"norm.weight", {d}}, {"norm.bias", {d}}});
  return shapes;
}

KeyShapes OfficialPredictorShapes(const models::PredictorOptions& o) {
  const int64_t p = o.predictor_embed_dim, n = o.grid_h * o.grid_w;
  // Own parameters first, then submodules: PyTorch's state_dict order.
  KeyShapes shapes = {{"mask_token", {1, 1, p}},
                      {"predictor_pos_embed", {1, n, p}},
                      {"predictor_embed.weight", {p, o.embed_dim}},
                      {"predictor_embed.bias", {p}}};
  for (int64_t b = 0; b < o.depth; ++b) {
    AddBlock(shapes, absl::StrCat("predictor_blocks.", b, "."), p, models::MlpHiddenDim(p, o.mlp_ratio));
  }
  shapes.insert(shapes.end(), {{"predictor_norm.weight", {p}},
                               {"predictor_norm.bias", {p}},
                               {"predictor_proj.weight", {o.embed_dim, p}},
                               {"predictor_proj.bias", {o.embed_dim}}});
  return shapes;
}

}  // namespace ijepa::checkpoint
