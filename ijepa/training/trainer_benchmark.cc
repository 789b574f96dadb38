// Images per second of full I-JEPA training steps (data loading, masks, target forward, context
// encoder + predictor forward and backward, AdamW, EMA) for ViT-Tiny/16 at 224, batch 16,
// predictor depth 6 width 384, on 2 threads: the setting the official Python code was timed at.
// The second argument 1 runs the steps under CPU bf16 autocast (meta.cpu_bfloat16).
//
//   bazel build --config=opt //ijepa/training:trainer_benchmark
//   bazel-out/k8-opt/bin/ijepa/training/trainer_benchmark
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <memory>

#include "ijepa/training/config.h"
#include "ijepa/training/synthetic_dataset.h"
#include "ijepa/training/trainer.h"

namespace ijepa::training {
namespace {

constexpr char kVitTiny224[] = R"pb(
  data { batch_size: 16 crop_size: 224 channels: 3 num_workers: 2 }
  mask { patch_size: 16 }
  meta { model_name: "vit_tiny" pred_depth: 6 pred_emb_dim: 384 }
  optimization { epochs: 100 warmup: 1 }
  logging { log_freq: 1000000 }
  threads: 2
)pb";

void BM_TrainingStepsVitTiny224(benchmark::State& state) {
  const int steps = static_cast<int>(state.range(0));
  auto config = ParseConfigText(kVitTiny224, "benchmark");
  if (!config.ok()) {
    state.SkipWithError(std::string(config.status().message()).c_str());
    return;
  }
  config->mutable_meta()->set_cpu_bfloat16(state.range(1) != 0);
  const std::filesystem::path out =
      std::filesystem::temp_directory_path() / "ijepa_trainer_benchmark";
  config->mutable_logging()->set_folder(out.string());
  config->mutable_optimization()->set_max_steps(steps);
  auto dataset = std::make_shared<SyntheticDataset>(16 * (steps + 1), 224);
  double images = 0, seconds = 0;
  for (auto _ : state) {
    std::filesystem::remove_all(out);
    TrainerDeps deps;
    deps.dataset = dataset;
    deps.print = [](const std::string&) {};
    auto run = ValidatePretrainConfig(*config);
    if (!run.ok()) {
      state.SkipWithError(std::string(run.status().message()).c_str());
      return;
    }
    auto trainer = Trainer::Create(*run, deps);
    if (!trainer.ok()) {
      state.SkipWithError(std::string(trainer.status().message()).c_str());
      return;
    }
    auto summary = (*trainer)->Run();
    if (!summary.ok()) {
      state.SkipWithError(std::string(summary.status().message()).c_str());
      return;
    }
    state.SetIterationTime(summary->seconds);
    images += static_cast<double>(summary->steps) * 16;
    seconds += summary->seconds;
  }
  std::filesystem::remove_all(out);
  state.counters["images_per_second"] = images / seconds;
  state.counters["seconds_per_step"] = seconds / (images / 16);
}
BENCHMARK(BM_TrainingStepsVitTiny224)
    ->ArgNames({"steps", "cpu_bf16"})
    ->Args({10, 0})
    ->Args({10, 1})
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kSecond);

}  // namespace
}  // namespace ijepa::training
