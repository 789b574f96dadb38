#include "ijepa/training/pretrain_run.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ijepa/common/user_path.h"
#include "ijepa/distributed/communicator.h"
#include "ijepa/distributed/env.h"
#include "ijepa/eval/low_shot_probe.h"
#include "ijepa/training/config.h"
#include "ijepa/training/run_folder.h"
#include "ijepa/training/trainer.h"

namespace ijepa::training {

absl::StatusOr<PretrainConfig> ResolvePretrainConfig(const PretrainCommand& command, const std::string& default_text,
                                                     const std::string& default_source) {
  absl::StatusOr<PretrainConfig> config = command.config_path.has_value()
                                              ? LoadConfigFile(UserPath(*command.config_path))
                                              : ParseConfigText(default_text, default_source);
  if (!config.ok()) return config.status();
  for (const std::string& set : command.sets) {
    if (absl::Status s = ApplyOverride(set, &*config); !s.ok()) return s;
  }
  if (command.out.has_value()) config->mutable_logging()->set_folder(*command.out);
  config->mutable_logging()->set_folder(UserPath(config->logging().folder()));
  if (command.resume) config->mutable_meta()->set_load_checkpoint(true);
  return config;
}

absl::StatusOr<int> ThreadsPerLocalProcess(int hardware_threads) {
  int local_processes = 1;
  if (const char* value = std::getenv("LOCAL_WORLD_SIZE"); value != nullptr) {
    if (!absl::SimpleAtoi(value, &local_processes) || local_processes < 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "environment variable LOCAL_WORLD_SIZE='", value, "': expected a positive integer"));
    }
  }
  return std::max(1, hardware_threads / local_processes);
}

absl::Status RunPretraining(ValidatedPretrainConfig run) {
  const PretrainConfig& config = run.config();
  auto env = distributed::DistributedEnvFromEnvironment();
  if (!env.ok()) return env.status();
  // One run per output folder at a time; stale temporaries of killed runs go before this one writes.
  auto folder_lock = ClaimRunFolder(config.logging().folder(), config.logging().write_tag(), env->rank);
  if (!folder_lock.ok()) return folder_lock.status();
  std::unique_ptr<distributed::Communicator> communicator;
  if (env->world_size > 1) {
    if (config.threads() == 0) {
      absl::StatusOr<int> threads =
          ThreadsPerLocalProcess(static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
      if (!threads.ok()) return threads.status();
      if (absl::Status s = run.SetThreads(*threads); !s.ok()) return s;
    }
    auto created = distributed::Communicator::Create(*env, torch::Device(config.device()),
                                                     std::chrono::seconds(config.distributed_timeout_s()));
    if (!created.ok()) return created.status();
    communicator = *std::move(created);
  }
  TrainerDeps deps;
  deps.communicator = communicator.get();
  auto trainer = Trainer::Create(run, deps);
  if (!trainer.ok()) return trainer.status();
  auto summary = (*trainer)->Run();
  if (!summary.ok()) return summary.status();
  if (env->rank == 0) {
    std::printf("done: %lld steps (%lld this run) in %s, %.1f img/s; last epoch loss %.5f\n"
                "output: %s\n",
                static_cast<long long>(summary->steps), static_cast<long long>(summary->steps - summary->start_step),
                absl::StrFormat("%.1f s", summary->seconds).c_str(), summary->images_per_second,
                summary->last_epoch_loss, config.logging().folder().c_str());
    std::fflush(stdout);
  }
  if (config.probe().enabled() && env->rank == 0) {
    eval::LowShotProbeOptions options;
    options.images_per_class = config.probe().images_per_class();
    options.max_eval_images = config.probe().max_eval_images();
    options.epochs = config.probe().epochs();
    options.split = config.probe().split();
    options.seed = config.seed();
    options.num_workers = std::max(1, config.data().num_workers());
    std::printf("low-shot linear probe of the target encoder...\n");
    std::fflush(stdout);
    auto probe = eval::RunLowShotProbe(*(*trainer)->target_encoder(), config.data(), options,
                                       torch::Device(config.device()));
    if (!probe.ok()) return probe.status();
    std::printf("%s\n", eval::ProbeResultLine(*probe, options).c_str());
    (*trainer)->ProbeDone(probe->top1, probe->top5, probe->knn_top1);
  }
  return absl::OkStatus();
}

}  // namespace ijepa::training
