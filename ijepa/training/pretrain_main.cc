// bazel run //ijepa/training:pretrain -- [--config=FILE.pbtxt] [--set section.field=value ...]
//                                        [--out=DIR] [--resume]
//
// Parses and validates the run's config and runs it (training::RunPretraining: the trainer on the
// data set, under torchrun / SLURM variables in a process group, and with probe.enabled a quick
// low-shot linear probe of the target encoder). With no --config it runs
// configs/fmnist_vit_tiny.pbtxt (built into the binary).
#include <cstdio>
#include <exception>
#include <string>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "ijepa/common/atomic_file.h"
#include "ijepa/common/command_line.h"
#include "ijepa/training/config.h"
#include "ijepa/training/pretrain_run.h"

extern const char kDefaultPretrainConfig[];

ABSL_FLAG(ijepa::common::OptionalString, config, {},
          "run config (text proto, see ijepa/training/pretrain.proto); default: the built-in Fashion-MNIST "
          "ViT-Tiny config (configs/fmnist_vit_tiny.pbtxt)");
ABSL_FLAG(ijepa::common::OptionalString, out, {}, "output folder (overrides logging.folder)");
ABSL_FLAG(bool, resume, false,
          "continue from {folder}/{write_tag}-latest.pth.tar (or meta.read_checkpoint); fails if that checkpoint "
          "cannot be read");

namespace {

constexpr char kUsage[] =
    "usage: pretrain [--config=FILE.pbtxt] [--set section.field=value ...] [--out=DIR] [--resume]\n"
    "  --set  override one config field (repeatable), e.g. --set optimization.epochs=2\n"
    "         --set optimization.ema=0.99,1.0";

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "pretrain: error: %s\n", std::string(status.message()).c_str());
  return 1;
}

int Main(int argc, char** argv) {
  // SIGTERM / SIGINT during a checkpoint or config write remove its temporary before dying.
  ijepa::common::RemoveTemporariesOnTerminationSignals();
  absl::StatusOr<std::vector<std::string>> sets = ijepa::common::ParseCommandLineWithSets(argc, argv, kUsage);
  if (!sets.ok()) return Fail(sets.status());
  ijepa::training::PretrainCommand command;
  command.sets = *sets;
  command.resume = absl::GetFlag(FLAGS_resume);
  // An empty --config would otherwise mean "no --config" and start the built-in defaults, an empty
  // --out fall back to the config's logging.folder.
  absl::StatusOr<std::optional<std::string>> config_path =
      ijepa::common::NonEmptyIfGiven(absl::GetFlag(FLAGS_config), "config", "a file name");
  if (!config_path.ok()) return Fail(config_path.status());
  command.config_path = *config_path;
  absl::StatusOr<std::optional<std::string>> out =
      ijepa::common::NonEmptyIfGiven(absl::GetFlag(FLAGS_out), "out", "a folder");
  if (!out.ok()) return Fail(out.status());
  command.out = *out;

  absl::StatusOr<ijepa::training::PretrainConfig> config =
      ijepa::training::ResolvePretrainConfig(command, kDefaultPretrainConfig, "configs/fmnist_vit_tiny.pbtxt");
  if (!config.ok()) return Fail(config.status());
  absl::StatusOr<ijepa::training::ValidatedPretrainConfig> run = ijepa::training::ValidatePretrainConfig(*config);
  if (!run.ok()) return Fail(run.status());
  if (absl::Status s = ijepa::training::RunPretraining(*std::move(run)); !s.ok()) return Fail(s);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Main(argc, argv);
  } catch (const std::exception& e) {
    return Fail(absl::InternalError(e.what()));
  }
}
