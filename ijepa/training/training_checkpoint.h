// The training checkpoint: what the official src/train.py `save_checkpoint` writes, plus this
// project's extras for resuming inside an epoch. Written and read here, for the Trainer and for
// the tests that resume from files the official code wrote (docs/checkpoints.md).
#pragma once

#include <ATen/core/Dict.h>
#include <ATen/core/ivalue.h>
#include <torch/nn/module.h>

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ijepa/checkpoint/encoder_config.h"
#include "ijepa/training/optimizer.h"

namespace ijepa::training {

// Where a run stands; the extras this project adds to the official layout.
struct ResumeState {
  int64_t epoch = 0;        // completed epochs
  int64_t itr = 0;          // batches completed in epoch `epoch`
  int64_t global_step = 0;  // optimizer steps completed
  double epoch_loss_sum = 0;
  int64_t epoch_loss_count = 0;
};

// What a checkpoint holds the state of. Not owned.
struct TrainingModules {
  torch::nn::Module* encoder = nullptr;
  torch::nn::Module* predictor = nullptr;
  torch::nn::Module* target_encoder = nullptr;
  PretrainOptimizer* optimizer = nullptr;
};

// The official entries that are not state.
struct CheckpointInfo {
  double loss = 0;  // mean loss of the epoch (so far)
  int64_t batch_size = 0;
  int64_t world_size = 1;
  double lr = 0;  // the configured reference lr (official 'lr': optimization.lr)
  int64_t iterations_per_epoch = 0;
  // The encoder's architecture and pretraining data section, for evaluation (the
  // `encoder_config` extra, checkpoint::AddEncoderConfig); not written when unset.
  std::optional<checkpoint::EncoderConfig> encoder_config;
};

// The dict the official `save_checkpoint` writes: `encoder`, `predictor`, `target_encoder` (state
// dicts whose keys carry DistributedDataParallel's `module.` prefix, as every official file has,
// whatever the world size), `opt` (PretrainOptimizer::StateDict: the official groups), `scaler`
// (None), `epoch`, `loss`, `batch_size`, `world_size`, `lr`; then the extras `itr`,
// `global_step`, `iterations_per_epoch`, `epoch_loss_sum`, `epoch_loss_count` and, when
// `info.encoder_config` is set, `encoder_config`. The caller may add more entries before writing.
c10::impl::GenericDict TrainingCheckpointDict(const TrainingModules& modules, const ResumeState& state,
                                              const CheckpointInfo& info);

// Loads models and optimizer from a checkpoint read from `path` (named in errors): one this
// project wrote, or one the official train.py wrote (keys with or without `module.`, the official
// AdamW groups with the frozen position embeddings, no extras). Returns where training continues:
// without extras, as the official resume does, at the start of epoch `epoch`, i.e. global step
// epoch * iterations_per_epoch, where the lr / wd / momentum schedules continue. Errors (missing
// entries, shapes, optimizer layout, a mid-epoch file from another iterations_per_epoch) name the
// entry; the modules may be partly loaded after an error.
absl::StatusOr<ResumeState> RestoreTrainingCheckpoint(const c10::IValue& file, const std::string& path,
                                                      const TrainingModules& modules,
                                                      int64_t iterations_per_epoch);

// The `rng` extra: the default CPU generator's state (`torch_cpu`) and the run's `seed`. Masks and
// augmentations are pure functions of (seed, epoch, batch / sample index, rank), so nothing else
// random needs saving.
c10::impl::GenericDict RngStateDict(uint64_t seed);

// Sets the default CPU generator from `file`'s `rng.torch_cpu` when the file has one (official
// files do not); errors name `path`.
absl::Status RestoreRngState(const c10::IValue& file, const std::string& path);

}  // namespace ijepa::training
