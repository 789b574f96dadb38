// bazel run //ijepa/training:pretrain -- [--config=FILE.pbtxt] [--set section.field=value ...]
//                                        [--out=DIR] [--resume]
//
// Parses and validates the run's config, wires the trainer to the data set and (under torchrun /
// SLURM variables) the process group, trains, and with probe.enabled scores the target encoder
// with a quick low-shot linear probe. With no --config it runs configs/fmnist_vit_tiny.pbtxt
// (built into the binary).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ijepa/common/atomic_file.h"
#include "ijepa/common/user_path.h"
#include "ijepa/distributed/communicator.h"
#include "ijepa/distributed/env.h"
#include "ijepa/eval/low_shot_probe.h"
#include "ijepa/training/config.h"
#include "ijepa/training/run_folder.h"
#include "ijepa/training/trainer.h"

extern const char kDefaultPretrainConfig[];

namespace {

constexpr char kUsage[] =
    "usage: pretrain [--config=FILE.pbtxt] [--set section.field=value ...] [--out=DIR] [--resume]\n"
    "  --config  run config (text proto, see ijepa/training/pretrain.proto); default: the built-in\n"
    "            Fashion-MNIST ViT-Tiny config (configs/fmnist_vit_tiny.pbtxt)\n"
    "  --set     override one field, e.g. --set optimization.epochs=2 --set optimization.ema=0.99,1.0\n"
    "  --out     output folder (overrides logging.folder)\n"
    "  --resume  continue from {folder}/{write_tag}-latest.pth.tar (or meta.read_checkpoint);\n"
    "            fails if that checkpoint cannot be read\n";

struct Args {
  std::string config_path;
  std::vector<std::string> sets;
  std::string out;
  bool resume = false;
};

// `threads: 0` means all hardware threads; with several processes on one machine (torchrun and
// //tools:launch set LOCAL_WORLD_SIZE) each gets its share, so they do not oversubscribe the cores.
absl::StatusOr<int> ThreadsPerLocalProcess() {
  const int hardware = std::max(1u, std::thread::hardware_concurrency());
  int local_processes = 1;
  if (const char* value = std::getenv("LOCAL_WORLD_SIZE"); value != nullptr) {
    if (!absl::SimpleAtoi(value, &local_processes) || local_processes < 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "environment variable LOCAL_WORLD_SIZE='", value, "': expected a positive integer"));
    }
  }
  return std::max(1, hardware / local_processes);
}

absl::Status ParseArgs(int argc, char** argv, Args* args) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const std::string& flag, std::string* out) -> absl::Status {
      if (absl::StartsWith(a, flag + "=")) {
        *out = a.substr(flag.size() + 1);
      } else if (i + 1 < argc) {
        *out = argv[++i];
      } else {
        return absl::InvalidArgumentError(absl::StrCat(flag, " needs a value"));
      }
      return absl::OkStatus();
    };
    if (a == "--config" || absl::StartsWith(a, "--config=")) {
      if (absl::Status s = value("--config", &args->config_path); !s.ok()) return s;
      // An empty value would otherwise mean "no --config" and start the built-in defaults.
      if (args->config_path.empty()) return absl::InvalidArgumentError("--config needs a file name, got ''");
    } else if (a == "--set" || absl::StartsWith(a, "--set=")) {
      std::string v;
      if (absl::Status s = value("--set", &v); !s.ok()) return s;
      args->sets.push_back(v);
    } else if (a == "--out" || absl::StartsWith(a, "--out=")) {
      if (absl::Status s = value("--out", &args->out); !s.ok()) return s;
      // An empty value would otherwise fall back to the config's logging.folder.
      if (args->out.empty()) return absl::InvalidArgumentError("--out needs a folder, got ''");
    } else if (a == "--resume") {
      args->resume = true;
    } else if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown argument '", a, "'\n", kUsage));
    }
  }
  return absl::OkStatus();
}

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "pretrain: error: %s\n", std::string(status.message()).c_str());
  return 1;
}

int Main(int argc, char** argv) {
  // SIGTERM / SIGINT during a checkpoint or config write remove its temporary before dying.
  ijepa::common::RemoveTemporariesOnTerminationSignals();
  Args args;
  if (absl::Status s = ParseArgs(argc, argv, &args); !s.ok()) return Fail(s);
  absl::StatusOr<ijepa::training::PretrainConfig> config =
      args.config_path.empty()
          ? ijepa::training::ParseConfigText(kDefaultPretrainConfig, "configs/fmnist_vit_tiny.pbtxt")
          : ijepa::training::LoadConfigFile(ijepa::UserPath(args.config_path));
  if (!config.ok()) return Fail(config.status());
  for (const std::string& set : args.sets) {
    if (absl::Status s = ijepa::training::ApplyOverride(set, &*config); !s.ok()) return Fail(s);
  }
  if (!args.out.empty()) config->mutable_logging()->set_folder(args.out);
  config->mutable_logging()->set_folder(ijepa::UserPath(config->logging().folder()));
  if (args.resume) config->mutable_meta()->set_load_checkpoint(true);
  if (absl::Status s = ijepa::training::ValidateConfig(*config); !s.ok()) return Fail(s);

  auto env = ijepa::distributed::DistributedEnvFromEnvironment();
  if (!env.ok()) return Fail(env.status());
  // One run per output folder at a time; stale temporaries of killed runs go before this one writes.
  auto folder_lock = ijepa::training::ClaimRunFolder(config->logging().folder(), config->logging().write_tag(),
                                                     env->rank);
  if (!folder_lock.ok()) return Fail(folder_lock.status());
  std::unique_ptr<ijepa::distributed::Communicator> communicator;
  if (env->world_size > 1) {
    if (config->threads() == 0) {
      absl::StatusOr<int> threads = ThreadsPerLocalProcess();
      if (!threads.ok()) return Fail(threads.status());
      config->set_threads(*threads);
    }
    auto created = ijepa::distributed::Communicator::Create(
        *env, torch::Device(config->device()), std::chrono::seconds(config->distributed_timeout_s()));
    if (!created.ok()) return Fail(created.status());
    communicator = *std::move(created);
  }
  ijepa::training::TrainerDeps deps;
  deps.communicator = communicator.get();
  auto trainer = ijepa::training::Trainer::Create(*config, deps);
  if (!trainer.ok()) return Fail(trainer.status());
  auto summary = (*trainer)->Run();
  if (!summary.ok()) return Fail(summary.status());
  if (env->rank == 0) {
    std::printf("done: %lld steps (%lld this run) in %s, %.1f img/s; last epoch loss %.5f\n"
                "output: %s\n",
                static_cast<long long>(summary->steps),
                static_cast<long long>(summary->steps - summary->start_step),
                absl::StrFormat("%.1f s", summary->seconds).c_str(), summary->images_per_second,
                summary->last_epoch_loss, config->logging().folder().c_str());
    std::fflush(stdout);
  }
  if (config->probe().enabled() && env->rank == 0) {
    ijepa::eval::LowShotProbeOptions options;
    options.images_per_class = config->probe().images_per_class();
    options.max_eval_images = config->probe().max_eval_images();
    options.epochs = config->probe().epochs();
    options.split = config->probe().split();
    options.seed = config->seed();
    options.num_workers = std::max(1, config->data().num_workers());
    std::printf("low-shot linear probe of the target encoder...\n");
    std::fflush(stdout);
    auto probe = ijepa::eval::RunLowShotProbe(*(*trainer)->target_encoder(), config->data(), options,
                                              torch::Device(config->device()));
    if (!probe.ok()) return Fail(probe.status());
    std::printf("%s\n", ijepa::eval::ProbeResultLine(*probe, options).c_str());
    (*trainer)->ProbeDone(probe->top1, probe->top5, probe->knn_top1);
  }
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
