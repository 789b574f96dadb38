// Conversion between the official I-JEPA checkpoint layout and this project's.
//
// Official (src/train.py save_checkpoint): {encoder, predictor, target_encoder: state dicts whose
// keys carry DistributedDataParallel's "module." prefix; opt; scaler; epoch; loss; batch_size;
// world_size; lr} and nothing else.
// Project (what //ijepa/training writes): the same entries with state-dict keys WITHOUT the
// prefix, plus this project's extras (itr, config, rng, ...).
#pragma once

#include <string>
#include <vector>

#include <ATen/core/ivalue.h>

#include "absl/status/statusor.h"

namespace ijepa::checkpoint {

enum class CheckpointLayout { kOfficial, kProject };

// The three model sections and the other entries of the official layout, in its order.
inline constexpr const char* kModelSections[] = {"encoder", "predictor", "target_encoder"};
inline constexpr const char* kOfficialEntries[] = {"encoder",   "predictor", "target_encoder", "opt",  "scaler",
                                                   "epoch",     "loss",      "batch_size",     "world_size", "lr"};

// kOfficial when the model sections' keys carry the "module." prefix, kProject when they do not.
// Errors when the value is not a checkpoint dict with the three model sections.
absl::StatusOr<CheckpointLayout> DetectLayout(const c10::IValue& checkpoint, const std::string& what);

struct ConvertedCheckpoint {
  c10::IValue value;
  std::vector<std::string> dropped;  // entries left out (project extras when writing official)
};

// Official -> project: strips "module." from the three state dicts; every other entry is kept as
// it is (opt, scaler, epoch, ...). Project -> official: adds "module." to the three state dicts,
// keeps the official entries present and drops the rest (reported in `dropped`). Tensors are
// shared, not copied; dtypes are kept. Either direction accepts input in either layout.
absl::StatusOr<ConvertedCheckpoint> ConvertCheckpoint(const c10::IValue& checkpoint, CheckpointLayout to,
                                                      const std::string& what);

}  // namespace ijepa::checkpoint
