#include "ijepa/eval/encoder_loader.h"

#include <filesystem>
#include <system_error>

#include <ATen/core/Dict.h>
#include <glog/logging.h>
#include <torch/utils.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "ijepa/checkpoint/encoder_config.h"
#include "ijepa/checkpoint/hf_convert.h"
#include "ijepa/checkpoint/hf_ijepa.h"
#include "ijepa/checkpoint/model_checkpoint.h"
#include "ijepa/checkpoint/torch_file.h"
#include "ijepa/models/model_config.h"

namespace ijepa::eval {
namespace {

absl::Status Annotate(const absl::Status& status, const std::string& prefix) {
  return absl::Status(status.code(), absl::StrCat(prefix, status.message()));
}

std::string FileId(const std::string& path) {
  std::error_code error;
  const auto size = std::filesystem::file_size(path, error);
  const auto mtime = std::filesystem::last_write_time(path, error).time_since_epoch().count();
  return absl::StrCat(std::filesystem::absolute(path, error).string(), ":", size, ":", mtime);
}

// ModelConfig names official sizes only; an HF encoder of another width keeps model_name
// "custom" (reports show its width and depth from the built encoder).
models::ModelConfig ModelConfigForHf(const models::VisionTransformerOptions& o) {
  models::ModelConfig model;
  model.set_model_name("custom");
  for (const std::string& name : models::NamedModels()) {
    absl::StatusOr<models::VisionTransformerOptions> named =
        models::NamedVisionTransformer(name, o.patch_size, o.img_size, o.in_chans);
    if (named.ok() && named->embed_dim == o.embed_dim && named->depth == o.depth && named->num_heads == o.num_heads &&
        models::MlpHiddenDim(named->embed_dim, named->mlp_ratio) == models::MlpHiddenDim(o.embed_dim, o.mlp_ratio)) {
      model.set_model_name(name);
    }
  }
  model.set_patch_size(o.patch_size);
  model.set_crop_size(o.img_size);
  model.set_in_chans(o.in_chans);
  return model;
}

// An encoder whose architecture comes with it (an HF folder, or a file convert_checkpoint
// --from=hf wrote): built from its options, no ModelConfig involved.
absl::StatusOr<LoadedEncoder> LoadWithOptions(const checkpoint::HfEncoder& hf, const EncoderSpec& spec,
                                              const std::string& weights, const std::string& id,
                                              const c10::Device& device) {
  LoadedEncoder out;
  out.model = ModelConfigForHf(hf.options);
  LOG(INFO) << spec.checkpoint << ": architecture from its Hugging Face config: width " << hf.options.embed_dim
            << ", depth " << hf.options.depth << ", heads " << hf.options.num_heads << " ("
            << out.model.ShortDebugString() << ")";
  torch::manual_seed(spec.seed);  // the ViT constructor draws from the global generator
  out.encoder = models::VisionTransformer(hf.options);
  if (spec.random_init) {
    out.weights = "random_init";
    out.id = absl::StrCat("random_init:", spec.seed, ":", id);
  } else {
    absl::Status loaded = checkpoint::LoadStateDict(*out.encoder, hf.state, /*strict=*/true);
    if (!loaded.ok()) return Annotate(loaded, spec.checkpoint + ": ");
    out.weights = weights;
    out.id = absl::StrCat(FileId(id), ":", weights);
  }
  out.encoder->to(device);
  out.encoder->eval();
  return out;
}

}  // namespace

models::ModelConfig DefaultEvalModel() {
  models::ModelConfig model;
  model.set_model_name("vit_tiny");
  model.set_patch_size(4);
  model.set_crop_size(28);
  model.set_in_chans(1);
  return model;
}

absl::StatusOr<LoadedEncoder> LoadEncoder(const EncoderSpec& spec, const c10::Device& device) {
  if (!spec.checkpoint.empty() && checkpoint::IsHfFolder(spec.checkpoint)) {
    absl::StatusOr<checkpoint::HfEncoder> hf = checkpoint::ReadHfEncoder(spec.checkpoint);
    if (!hf.ok()) return hf.status();
    const std::string weights_file = spec.checkpoint + "/" + checkpoint::kHfWeightsFile;
    return LoadWithOptions(*hf, spec, "hf_folder", weights_file, device);
  }
  LoadedEncoder out;
  out.model = spec.fallback_model;
  std::optional<c10::Dict<c10::IValue, c10::IValue>> dict;
  if (!spec.checkpoint.empty()) {
    absl::StatusOr<c10::IValue> file = checkpoint::ReadTorchFile(spec.checkpoint);
    if (!file.ok()) return file.status();
    if (!file->isGenericDict()) {
      return absl::InvalidArgumentError(absl::StrCat(spec.checkpoint, ": expected a dict checkpoint"));
    }
    dict = file->toGenericDict();
    if (dict->contains(c10::IValue(std::string(checkpoint::kHfConfigEntry)))) {
      const std::string key = spec.target_encoder ? "target_encoder" : "encoder";
      absl::StatusOr<checkpoint::HfEncoder> hf =
          checkpoint::EncoderFromCheckpoint(*file, key, /*num_heads=*/0, spec.checkpoint);
      if (!hf.ok()) return hf.status();
      return LoadWithOptions(*hf, spec, key, spec.checkpoint, device);
    }
    absl::StatusOr<std::optional<checkpoint::EncoderConfig>> embedded =
        checkpoint::ReadEncoderConfig(*dict, spec.checkpoint);
    if (!embedded.ok()) return embedded.status();
    if (embedded->has_value()) {
      out.model = (*embedded)->model();
      out.pretrain_data = (*embedded)->data();
      LOG(INFO) << "architecture from the checkpoint's embedded config: " << out.model.ShortDebugString();
    } else {
      LOG(INFO) << spec.checkpoint << " embeds no config; architecture from the eval config: "
                << out.model.ShortDebugString();
    }
  } else if (!spec.random_init) {
    return absl::InvalidArgumentError("no checkpoint given: pass --checkpoint=PATH, or --random_init");
  }

  absl::StatusOr<models::VisionTransformerOptions> options = models::EncoderOptionsFromConfig(out.model);
  if (!options.ok()) return Annotate(options.status(), "model: ");
  torch::manual_seed(spec.seed);  // the ViT constructor draws from the global generator
  out.encoder = models::VisionTransformer(*options);

  if (spec.random_init) {
    out.weights = "random_init";
    out.id = absl::StrCat("random_init:", spec.seed, ":", out.model.SerializeAsString());
  } else {
    const std::string key = spec.target_encoder ? "target_encoder" : "encoder";
    absl::Status loaded = checkpoint::LoadEncoderFromCheckpoint(
        c10::IValue(*dict), spec.checkpoint, *out.encoder,
        spec.target_encoder ? checkpoint::EncoderSource::kTargetEncoder : checkpoint::EncoderSource::kEncoder,
        /*strict=*/true);
    if (!loaded.ok()) {
      std::string hint;
      if (!out.pretrain_data.has_value()) {
        hint = " (the checkpoint embeds no config: set its architecture with --set model.model_name=... "
               "--set model.patch_size=... --set model.crop_size=... --set model.in_chans=...)";
      }
      return absl::Status(loaded.code(), absl::StrCat(loaded.message(), hint));
    }
    out.weights = key;
    out.id = absl::StrCat(FileId(spec.checkpoint), ":", key);
  }
  out.encoder->to(device);
  out.encoder->eval();
  return out;
}

}  // namespace ijepa::eval
