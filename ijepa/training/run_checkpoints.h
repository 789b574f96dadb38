// Where and when a pretraining run writes its checkpoints, and what it resumes from:
// `{folder}/{tag}-latest.pth.tar` inside epochs every logging.checkpoint_every_steps and where the
// run stops, after every epoch (official save_checkpoint(epoch + 1)), plus `{tag}-ep{N}.pth.tar`
// every logging.checkpoint_freq epochs. Only rank 0 writes.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ijepa/training/pretrain.pb.h"
#include "ijepa/training/training_checkpoint.h"

namespace ijepa::training {

class RunCheckpoints {
 public:
  // `modules` are not owned and must outlive this.
  RunCheckpoints(const PretrainConfig& config, TrainingModules modules, int rank, int world_size,
                 int64_t iterations_per_epoch);

  // meta.load_checkpoint: restores the modules and the CPU generator from meta.read_checkpoint
  // (relative paths in logging.folder) or, when that is empty, the latest checkpoint. Errors say
  // that resuming failed and name the file; nothing falls back to a fresh start.
  absl::StatusOr<ResumeState> Resume();

  // After a step that did not finish its epoch (`state` after it; `stop`: the run ends here).
  absl::Status AfterStep(const ResumeState& state, bool stop);

  // After an epoch: `state` counts it as completed (epoch = completed epochs, itr 0).
  absl::Status AfterEpoch(const ResumeState& state, double epoch_loss);

  std::string LatestPath() const;
  // The checkpoint restored by Resume(); empty if none.
  const std::string& resumed_from() const { return resumed_from_; }
  // The latest-checkpoint this run wrote last (or an epoch file, until the next write); empty if
  // none.
  const std::string& latest_written() const { return latest_written_; }

 private:
  absl::Status Save(const std::string& path, const ResumeState& state, double epoch_loss);

  PretrainConfig config_;
  TrainingModules modules_;
  int rank_, world_size_;
  int64_t ipe_;
  std::string resumed_from_, latest_written_;
};

}  // namespace ijepa::training
