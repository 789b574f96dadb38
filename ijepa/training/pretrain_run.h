// What the pretrain binary does once its flags are read: the run's config from the command line,
// and the run itself (process group, trainer, low-shot probe).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ijepa/training/config.h"
#include "ijepa/training/pretrain.pb.h"

namespace ijepa::training {

struct PretrainCommand {
  std::optional<std::string> config_path;  // nullopt: the built-in default config
  std::vector<std::string> sets;           // --set overrides, applied in order
  std::optional<std::string> out;          // overrides logging.folder
  bool resume = false;                     // sets meta.load_checkpoint
};

// The config of a run: the file (or `default_text`, named `default_source` in errors), the
// overrides, --out and --resume; logging.folder taken relative to where the user started the
// binary (UserPath). Not validated.
absl::StatusOr<PretrainConfig> ResolvePretrainConfig(const PretrainCommand& command, const std::string& default_text,
                                                     const std::string& default_source);

// `threads: 0` means all hardware threads; with several processes on one machine (torchrun and
// //tools:launch set LOCAL_WORLD_SIZE) each gets its share, so they do not oversubscribe the
// cores: max(1, hardware / LOCAL_WORLD_SIZE). A LOCAL_WORLD_SIZE that is not a positive integer is
// an error naming it.
absl::StatusOr<int> ThreadsPerLocalProcess(int hardware_threads);

// Trains the validated `run` (ValidatePretrainConfig): under torchrun / SLURM variables in a process group, one run
// per output folder (the folder's lock), progress and a final summary on stdout (rank 0), then
// with probe.enabled the low-shot linear probe of the target encoder (rank 0).
absl::Status RunPretraining(ValidatedPretrainConfig run);

}  // namespace ijepa::training
