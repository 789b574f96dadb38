#include "ijepa/checkpoint/hf_ijepa.h"

#include <cmath>
#include <filesystem>
#include <map>
#include <system_error>
#include <vector>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/match.h"
#include "ijepa/checkpoint/safetensors.h"
#include "ijepa/common/atomic_file.h"
#include "ijepa/common/read_file.h"

namespace ijepa::checkpoint {
namespace {

using Json = nlohmann::json;

// The official models' LayerNorm eps (partial(nn.LayerNorm, eps=1e-6)); //ijepa/models uses it
// everywhere, so a folder that asks for another cannot be reproduced.
constexpr double kOfficialLayerNormEps = 1e-6;
constexpr uint64_t kMaxConfigBytes = 1 << 20;

// One tensor of ours and the HF tensors it is made of (three for qkv: query, key, value rows).
struct Slot {
  std::string ours;
  std::vector<std::string> hf;
  std::vector<int64_t> hf_shape;  // each HF tensor's shape
};

// transformers 5's in-memory names (save_original_format=False) vs the on-disk ViT-style names.
enum class HfNames { kOnDisk, kInMemory };

std::vector<Slot> Slots(const models::VisionTransformerOptions& o, HfNames names) {
  const int64_t d = o.embed_dim, grid = o.img_size / o.patch_size, hidden = models::MlpHiddenDim(d, o.mlp_ratio);
  std::vector<Slot> slots = {
      {"pos_embed", {"embeddings.position_embeddings"}, {1, grid * grid, d}},
      {"patch_embed.proj.weight", {"embeddings.patch_embeddings.projection.weight"}, {d, o.in_chans, o.patch_size, o.patch_size}},
      {"patch_embed.proj.bias", {"embeddings.patch_embeddings.projection.bias"}, {d}},
  };
  const bool disk = names == HfNames::kOnDisk;
  for (int64_t i = 0; i < o.depth; ++i) {
    const std::string ours = absl::StrCat("blocks.", i, ".");
    const std::string hf = disk ? absl::StrCat("encoder.layer.", i, ".") : absl::StrCat("layers.", i, ".");
    const std::string q = disk ? "attention.attention.query" : "attention.q_proj";
    const std::string k = disk ? "attention.attention.key" : "attention.k_proj";
    const std::string v = disk ? "attention.attention.value" : "attention.v_proj";
    const std::string out = disk ? "attention.output.dense" : "attention.o_proj";
    const std::string fc1 = disk ? "intermediate.dense" : "mlp.fc1";
    const std::string fc2 = disk ? "output.dense" : "mlp.fc2";
    for (const char* p : {"weight", "bias"}) {
      slots.push_back({ours + "norm1." + p, {hf + "layernorm_before." + p}, {d}});
    }
    slots.push_back({ours + "attn.qkv.weight", {hf + q + ".weight", hf + k + ".weight", hf + v + ".weight"}, {d, d}});
    if (o.qkv_bias) {
      slots.push_back({ours + "attn.qkv.bias", {hf + q + ".bias", hf + k + ".bias", hf + v + ".bias"}, {d}});
    }
    slots.push_back({ours + "attn.proj.weight", {hf + out + ".weight"}, {d, d}});
    slots.push_back({ours + "attn.proj.bias", {hf + out + ".bias"}, {d}});
    for (const char* p : {"weight", "bias"}) {
      slots.push_back({ours + "norm2." + p, {hf + "layernorm_after." + p}, {d}});
    }
    slots.push_back({ours + "mlp.fc1.weight", {hf + fc1 + ".weight"}, {hidden, d}});
    slots.push_back({ours + "mlp.fc1.bias", {hf + fc1 + ".bias"}, {hidden}});
    slots.push_back({ours + "mlp.fc2.weight", {hf + fc2 + ".weight"}, {d, hidden}});
    slots.push_back({ours + "mlp.fc2.bias", {hf + fc2 + ".bias"}, {d}});
  }
  slots.push_back({"norm.weight", {"layernorm.weight"}, {d}});
  slots.push_back({"norm.bias", {"layernorm.bias"}, {d}});
  return slots;
}

std::string Shape(at::IntArrayRef sizes) { return absl::StrCat("[", absl::StrJoin(sizes, ", "), "]"); }

// At most 40 names, then a count, as LoadStateDict lists them.
std::string List(const std::vector<std::string>& names) {
  constexpr size_t kShown = 40;
  std::vector<std::string> shown(names.begin(), names.begin() + std::min(names.size(), kShown));
  std::string out = absl::StrJoin(shown, ", ");
  if (names.size() > kShown) absl::StrAppend(&out, ", ... (", names.size() - kShown, " more)");
  return out;
}

absl::Status FieldError(const std::string& what, const std::string& field, const std::string& message) {
  return absl::InvalidArgumentError(absl::StrCat(what, ": ", field, ": ", message));
}

absl::StatusOr<int64_t> PositiveInt(const Json& config, const std::string& field, int64_t fallback,
                                    const std::string& what) {
  if (!config.contains(field)) return fallback;
  const Json& v = config[field];
  if (!v.is_number_integer() || v.get<int64_t>() < 1) {
    return FieldError(what, field, absl::StrCat("expected a positive integer, got ", v.dump()));
  }
  return v.get<int64_t>();
}

// image_size / patch_size: an int, or [h, w] with h == w (our encoders are square).
absl::StatusOr<int64_t> SquareSize(const Json& config, const std::string& field, int64_t fallback,
                                   const std::string& what) {
  if (!config.contains(field)) return fallback;
  const Json& v = config[field];
  if (v.is_array()) {
    if (v.size() != 2 || !v[0].is_number_integer() || v[0] != v[1] || v[0].get<int64_t>() < 1) {
      return FieldError(what, field, absl::StrCat("expected a positive integer or [n, n] (square only), got ", v.dump()));
    }
    return v[0].get<int64_t>();
  }
  return PositiveInt(config, field, fallback, what);
}

absl::StatusOr<double> Rate(const Json& config, const std::string& field, double fallback, const std::string& what) {
  if (!config.contains(field)) return fallback;
  const Json& v = config[field];
  if (!v.is_number()) return FieldError(what, field, absl::StrCat("expected a number, got ", v.dump()));
  return v.get<double>();
}

}  // namespace

absl::StatusOr<models::VisionTransformerOptions> EncoderOptionsFromHfConfig(const std::string& json_text,
                                                                          const std::string& what) {
  Json config;
  try {
    config = Json::parse(json_text);
  } catch (const Json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": not valid JSON: ", e.what()));
  }
  if (!config.is_object()) return absl::InvalidArgumentError(absl::StrCat(what, ": expected a JSON object"));
  // model_type decides the config class in transformers; anything but I-JEPA is another model.
  if (!config.contains("model_type") || config["model_type"] != "ijepa") {
    return FieldError(what, "model_type",
                      absl::StrCat("expected \"ijepa\" (a transformers IJepaModel folder), got ",
                                   config.contains("model_type") ? config["model_type"].dump() : "nothing"));
  }
  if (config.contains("architectures")) {
    const Json& a = config["architectures"];
    if (!a.is_array() || a.size() != 1 || a[0] != "IJepaModel") {
      return FieldError(what, "architectures",
                        absl::StrCat("expected [\"IJepaModel\"] (the bare encoder; heads such as "
                                     "IJepaForImageClassification are not read), got ",
                                     a.dump()));
    }
  }
  // Defaults are IJepaConfig's (transformers 5.25), which from_pretrained applies to missing fields.
  models::VisionTransformerOptions o;
  absl::StatusOr<int64_t> v;
  if (v = PositiveInt(config, "hidden_size", 768, what); !v.ok()) return v.status();
  o.embed_dim = *v;
  if (v = PositiveInt(config, "num_hidden_layers", 12, what); !v.ok()) return v.status();
  o.depth = *v;
  if (v = PositiveInt(config, "num_attention_heads", 12, what); !v.ok()) return v.status();
  o.num_heads = *v;
  if (v = PositiveInt(config, "intermediate_size", 3072, what); !v.ok()) return v.status();
  const int64_t intermediate = *v;
  if (v = SquareSize(config, "image_size", 224, what); !v.ok()) return v.status();
  o.img_size = *v;
  if (v = SquareSize(config, "patch_size", 16, what); !v.ok()) return v.status();
  o.patch_size = *v;
  if (v = PositiveInt(config, "num_channels", 3, what); !v.ok()) return v.status();
  o.in_chans = *v;
  if (config.contains("qkv_bias")) {
    if (!config["qkv_bias"].is_boolean()) return FieldError(what, "qkv_bias", "expected true or false");
    o.qkv_bias = config["qkv_bias"].get<bool>();
  }
  const std::string act = config.contains("hidden_act") ? config["hidden_act"].dump() : "\"gelu\"";
  if (act != "\"gelu\"") {
    return FieldError(what, "hidden_act",
                      absl::StrCat("expected \"gelu\" (exact GELU, as the official model), got ", act));
  }
  absl::StatusOr<double> r = Rate(config, "layer_norm_eps", 1e-12, what);
  if (!r.ok()) return r.status();
  if (std::abs(*r - kOfficialLayerNormEps) > 1e-9 * kOfficialLayerNormEps) {
    return FieldError(what, "layer_norm_eps",
                      absl::StrCat("expected 1e-06 (the official I-JEPA LayerNorms, which this project's models "
                                   "use), got ",
                                   *r, config.contains("layer_norm_eps") ? "" : " (IJepaConfig's default, field absent)"));
  }
  if (r = Rate(config, "hidden_dropout_prob", 0.0, what); !r.ok()) return r.status();
  o.drop_rate = *r;
  if (r = Rate(config, "attention_probs_dropout_prob", 0.0, what); !r.ok()) return r.status();
  o.attn_drop_rate = *r;
  if (r = Rate(config, "initializer_range", 0.02, what); !r.ok()) return r.status();
  o.init_std = *r;
  if (o.embed_dim % o.num_heads != 0) {
    return FieldError(what, "num_attention_heads",
                      absl::StrCat(o.num_heads, " does not divide hidden_size ", o.embed_dim));
  }
  if (config.contains("head_dim") && config["head_dim"] != o.embed_dim / o.num_heads) {
    return FieldError(what, "head_dim", absl::StrCat("expected hidden_size / num_attention_heads = ",
                                                     o.embed_dim / o.num_heads, ", got ", config["head_dim"].dump()));
  }
  // Our MLP width is int(dim * mlp_ratio), as the official code computes it; the published
  // folders carry mlp_ratio (48/11 for ViT-g). Any ratio that gives back intermediate_size
  // exactly builds the same model; the midpoint always does.
  o.mlp_ratio = (static_cast<double>(intermediate) + 0.5) / static_cast<double>(o.embed_dim);
  if (intermediate % o.embed_dim == 0) o.mlp_ratio = static_cast<double>(intermediate / o.embed_dim);
  if (config.contains("mlp_ratio") && config["mlp_ratio"].is_number() &&
      models::MlpHiddenDim(o.embed_dim, config["mlp_ratio"].get<double>()) == intermediate) {
    o.mlp_ratio = config["mlp_ratio"].get<double>();
  }
  if (models::MlpHiddenDim(o.embed_dim, o.mlp_ratio) != intermediate) {
    return FieldError(what, "intermediate_size", absl::StrCat(intermediate, " cannot be built as int(hidden_size * r)"));
  }
  if (absl::Status s = models::ValidateVisionTransformerOptions(o); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": unsupported architecture: ", s.message()));
  }
  return o;
}

std::string HfConfigFor(const models::VisionTransformerOptions& o) {
  // Key order is the JSON library's (sorted), as save_pretrained's own sort_keys=True output.
  const Json config = {
      {"architectures", {"IJepaModel"}},
      {"model_type", "ijepa"},
      {"hidden_size", o.embed_dim},
      {"num_hidden_layers", o.depth},
      {"num_attention_heads", o.num_heads},
      {"intermediate_size", models::MlpHiddenDim(o.embed_dim, o.mlp_ratio)},
      {"mlp_ratio", o.mlp_ratio},  // informational, as in the published folders
      {"hidden_act", "gelu"},
      {"hidden_dropout_prob", o.drop_rate},
      {"attention_probs_dropout_prob", o.attn_drop_rate},
      {"initializer_range", o.init_std},
      {"layer_norm_eps", kOfficialLayerNormEps},
      {"image_size", o.img_size},
      {"patch_size", o.patch_size},
      {"num_channels", o.in_chans},
      {"qkv_bias", o.qkv_bias},
  };
  return config.dump(2) + "\n";
}

absl::StatusOr<StateDict> EncoderStateFromHf(const StateDict& hf, const models::VisionTransformerOptions& options,
                                             const std::string& what) {
  std::map<std::string, at::Tensor> by_name;
  bool in_memory = false, on_disk = false;
  for (const auto& [name, tensor] : hf) {
    by_name[name] = tensor;
    in_memory |= absl::StartsWith(name, "layers.");
    on_disk |= absl::StartsWith(name, "encoder.layer.");
  }
  if (in_memory && on_disk) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": mixes transformers' on-disk names (encoder.layer.N.*) and in-memory names (layers.N.*)"));
  }
  const std::vector<Slot> slots = Slots(options, in_memory ? HfNames::kInMemory : HfNames::kOnDisk);
  std::vector<std::string> missing, mismatched, unexpected;
  std::map<std::string, bool> expected;
  for (const Slot& slot : slots) {
    for (const std::string& name : slot.hf) {
      expected[name] = true;
      auto it = by_name.find(name);
      if (it == by_name.end()) {
        missing.push_back(name);
      } else if (it->second.sizes() != at::IntArrayRef(slot.hf_shape)) {
        mismatched.push_back(absl::StrCat(name, " (file ", Shape(it->second.sizes()), ", config.json implies ",
                                          Shape(slot.hf_shape), ")"));
      }
    }
  }
  for (const auto& [name, tensor] : hf) {
    if (!expected.count(name)) unexpected.push_back(name);
  }
  if (!missing.empty() || !mismatched.empty() || !unexpected.empty()) {
    std::vector<std::string> parts;
    if (!missing.empty()) parts.push_back(absl::StrCat(missing.size(), " missing: ", List(missing)));
    if (!unexpected.empty()) {
      parts.push_back(absl::StrCat(unexpected.size(), " unexpected (the official encoder has no pooler or mask token): ",
                                   List(unexpected)));
    }
    if (!mismatched.empty()) parts.push_back(absl::StrCat(mismatched.size(), " mismatched: ", List(mismatched)));
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": weights do not fit the IJepaModel of config.json: ", absl::StrJoin(parts, "; ")));
  }
  StateDict out;
  out.reserve(slots.size());
  for (const Slot& slot : slots) {
    if (slot.hf.size() == 1) {
      out.emplace_back(slot.ours, by_name[slot.hf[0]]);
    } else {
      std::vector<at::Tensor> parts;
      for (const std::string& name : slot.hf) parts.push_back(by_name[name]);
      out.emplace_back(slot.ours, at::cat(parts, 0));  // official qkv rows: q, then k, then v
    }
  }
  return out;
}

absl::StatusOr<StateDict> HfStateFromEncoder(const StateDict& encoder,
                                             const models::VisionTransformerOptions& options) {
  std::map<std::string, at::Tensor> by_name(encoder.begin(), encoder.end());
  StateDict out;
  std::vector<std::string> problems;
  for (const Slot& slot : Slots(options, HfNames::kOnDisk)) {
    auto it = by_name.find(slot.ours);
    std::vector<int64_t> ours_shape = slot.hf_shape;
    ours_shape[0] *= static_cast<int64_t>(slot.hf.size());
    if (it == by_name.end()) {
      problems.push_back(absl::StrCat(slot.ours, " (missing)"));
      continue;
    }
    if (it->second.sizes() != at::IntArrayRef(ours_shape)) {
      problems.push_back(absl::StrCat(slot.ours, " (", Shape(it->second.sizes()), ", expected ", Shape(ours_shape), ")"));
      continue;
    }
    const std::vector<at::Tensor> parts = it->second.detach().chunk(static_cast<int64_t>(slot.hf.size()), 0);
    for (size_t i = 0; i < slot.hf.size(); ++i) out.emplace_back(slot.hf[i], parts[i].contiguous());
    by_name.erase(it);
  }
  for (const auto& [name, tensor] : by_name) problems.push_back(absl::StrCat(name, " (no IJepaModel weight)"));
  if (!problems.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("encoder state does not fit its architecture: ", List(problems)));
  }
  return out;
}

absl::StatusOr<models::VisionTransformerOptions> InferEncoderOptions(const StateDict& encoder, int64_t num_heads,
                                                                     const std::string& what) {
  std::map<std::string, at::Tensor> by_name(encoder.begin(), encoder.end());
  auto get = [&](const std::string& name, int64_t dims) -> absl::StatusOr<at::Tensor> {
    auto it = by_name.find(name);
    if (it == by_name.end() || it->second.dim() != dims) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": no ", dims, "-D '", name,
                                                     "' (not an I-JEPA encoder state dict)"));
    }
    return it->second;
  };
  absl::StatusOr<at::Tensor> pos = get("pos_embed", 3), proj = get("patch_embed.proj.weight", 4),
                             fc1 = get("blocks.0.mlp.fc1.weight", 2);
  for (const auto* t : {&pos, &proj, &fc1}) {
    if (!t->ok()) return t->status();
  }
  models::VisionTransformerOptions o;
  o.embed_dim = pos->size(2);
  o.in_chans = proj->size(1);
  o.patch_size = proj->size(2);
  const int64_t n = pos->size(1);
  const auto grid = static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(n))));
  if (grid * grid != n) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": pos_embed has ", n, " positions, not a square grid"));
  }
  o.img_size = grid * o.patch_size;
  o.depth = 0;
  while (by_name.count(absl::StrCat("blocks.", o.depth, ".attn.qkv.weight"))) ++o.depth;
  o.qkv_bias = by_name.count("blocks.0.attn.qkv.bias") > 0;
  const int64_t hidden = fc1->size(0);
  o.mlp_ratio = hidden % o.embed_dim == 0 ? static_cast<double>(hidden / o.embed_dim)
                                          : (static_cast<double>(hidden) + 0.5) / static_cast<double>(o.embed_dim);
  o.num_heads = num_heads;
  if (num_heads <= 0) {
    for (const std::string& name : models::NamedModels()) {
      absl::StatusOr<models::VisionTransformerOptions> named = models::NamedVisionTransformer(name, o.patch_size, o.img_size, o.in_chans);
      if (named.ok() && named->embed_dim == o.embed_dim) o.num_heads = named->num_heads;
    }
    if (o.num_heads <= 0) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": width ", o.embed_dim,
                                                     " is no official named model; give the head count (--num_heads)"));
    }
  }
  if (absl::Status s = models::ValidateVisionTransformerOptions(o); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": ", s.message()));
  }
  return o;
}

bool IsHfFolder(const std::string& path) {
  std::error_code error;
  return std::filesystem::is_directory(path, error);
}

absl::StatusOr<HfEncoder> ReadHfEncoder(const std::string& dir) {
  const std::filesystem::path folder(dir);
  std::error_code error;
  if (!std::filesystem::is_directory(folder, error)) {
    return absl::InvalidArgumentError(absl::StrCat(dir, ": not a folder (a Hugging Face model folder is expected)"));
  }
  const std::string config_path = (folder / kHfConfigFile).string();
  if (!std::filesystem::exists(config_path, error)) {
    return absl::NotFoundError(absl::StrCat(dir, ": no ", kHfConfigFile,
                                            " (not a Hugging Face model folder; save_pretrained writes one)"));
  }
  absl::StatusOr<std::string> text = common::ReadRegularFile(config_path, "Hugging Face config", kMaxConfigBytes);
  if (!text.ok()) return text.status();
  absl::StatusOr<models::VisionTransformerOptions> options = EncoderOptionsFromHfConfig(*text, config_path);
  if (!options.ok()) return options.status();
  const std::string weights_path = (folder / kHfWeightsFile).string();
  if (!std::filesystem::exists(weights_path, error)) {
    std::string hint;
    if (std::filesystem::exists(folder / "model.safetensors.index.json", error)) {
      hint = " (the folder is sharded: model.safetensors.index.json; sharded folders are not read)";
    } else if (std::filesystem::exists(folder / "pytorch_model.bin", error)) {
      hint = " (only pytorch_model.bin: re-save with save_pretrained(dir), which writes safetensors)";
    }
    return absl::NotFoundError(absl::StrCat(dir, ": no ", kHfWeightsFile, hint));
  }
  absl::StatusOr<Safetensors> weights = ReadSafetensors(weights_path);
  if (!weights.ok()) return weights.status();
  StateDict hf(weights->tensors.begin(), weights->tensors.end());
  absl::StatusOr<StateDict> state = EncoderStateFromHf(hf, *options, weights_path);
  if (!state.ok()) return state.status();
  return HfEncoder{*options, *std::move(state)};
}

absl::Status WriteHfEncoder(const std::string& dir, const models::VisionTransformerOptions& options,
                            const StateDict& encoder) {
  absl::StatusOr<StateDict> hf = HfStateFromEncoder(encoder, options);
  if (!hf.ok()) return absl::Status(hf.status().code(), absl::StrCat(dir, ": ", hf.status().message()));
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) return absl::PermissionDeniedError(absl::StrCat(dir, ": cannot create the folder: ", error.message()));
  Safetensors contents;
  contents.tensors.assign(hf->begin(), hf->end());
  contents.metadata = {{"format", "pt"}};  // transformers refuses safetensors without it
  const std::filesystem::path folder(dir);
  if (absl::Status s = WriteSafetensors((folder / kHfWeightsFile).string(), contents); !s.ok()) return s;
  // config.json last: a folder with it is complete.
  return common::WriteFileAtomically((folder / kHfConfigFile).string(), HfConfigFor(options));
}

}  // namespace ijepa::checkpoint
