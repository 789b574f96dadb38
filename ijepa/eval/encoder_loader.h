// Builds the frozen encoder to evaluate: from a checkpoint written by //ijepa/training (which
// embeds the encoder's architecture and pretraining data section, checkpoint::ReadEncoderConfig),
// from an official I-JEPA .pth.tar (no config: the architecture comes from the caller), or
// randomly initialised.
#pragma once

#include <optional>
#include <string>

#include <c10/core/Device.h>

#include "absl/status/statusor.h"
#include "ijepa/data/data.pb.h"
#include "ijepa/models/model.pb.h"
#include "ijepa/models/vision_transformer.h"

namespace ijepa::eval {

struct EncoderSpec {
  std::string checkpoint;        // "" only with random_init
  bool target_encoder = true;    // which state dict: "target_encoder" or "encoder"
  bool random_init = false;      // keep the (seeded) initial weights; architecture still from
                                 // the checkpoint's config when a checkpoint is given
  models::ModelConfig fallback_model;  // used when there is no embedded config
  uint64_t seed = 0;             // random initialisation
};

struct LoadedEncoder {
  models::VisionTransformer encoder{nullptr};
  models::ModelConfig model;                      // the architecture built
  std::optional<data::DataConfig> pretrain_data;  // the run's data section, when embedded
  std::string weights;                            // "target_encoder" | "encoder" | "random_init"
  std::string id;                                 // path:size:mtime:weights (feature cache key)
};

// Errors name the checkpoint and the problem (missing key, shape mismatch: with an official
// checkpoint the hint says which model fields to set).
absl::StatusOr<LoadedEncoder> LoadEncoder(const EncoderSpec& spec, const c10::Device& device);

// The architecture of the default pretraining run (configs/fmnist_vit_tiny.pbtxt): vit_tiny,
// patch 4, 28x28, 1 channel.
models::ModelConfig DefaultEvalModel();

}  // namespace ijepa::eval
