// Moving an encoder between a torch.save checkpoint and a Hugging Face IJepaModel folder
// (//tools:convert_checkpoint --to=hf / --from=hf, and the eval binaries' loaders).
#pragma once

#include <cstdint>
#include <string>

#include <ATen/core/ivalue.h>

#include "absl/status/statusor.h"
#include "ijepa/checkpoint/hf_ijepa.h"

namespace ijepa::checkpoint {

// A checkpoint made from an HF folder carries the folder's config.json under this key, so the
// architecture travels with the weights (widths that no named model has included).
inline constexpr char kHfConfigEntry[] = "hf_config";

// The encoder `which` ("target_encoder" or "encoder") of a checkpoint dict (official or project
// layout; "module." stripped) with its architecture: from the "hf_config" entry when present,
// otherwise from the tensor shapes (InferEncoderOptions, `num_heads` 0 for the named widths).
absl::StatusOr<HfEncoder> EncoderFromCheckpoint(const c10::IValue& checkpoint, const std::string& which,
                                                int64_t num_heads, const std::string& what);

// {which: state dict (official names, no prefix), "hf_config": config.json text}: what
// `convert_checkpoint --from=hf` writes; linear_probe / extract_features read it like a folder.
c10::IValue CheckpointFromHfEncoder(const HfEncoder& encoder, const std::string& which);

}  // namespace ijepa::checkpoint
