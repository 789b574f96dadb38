// Images/s of the ViT encoder, forward (inference) and forward+backward (training step without
// the optimizer), for ViT-Tiny/16 and ViT-Small/16 at 224x224, batch 16.
//
//   bazel build --config=opt //ijepa/models:vit_benchmark
//   bazel-out/k8-opt/bin/ijepa/models/vit_benchmark [--threads=2] [--benchmark_filter=...]
//
// --threads sets LibTorch's intra-op thread count (default 2; the count in effect is reported as
// the `threads` counter).
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "ijepa/common/host_memory.h"
#include "ijepa/common/threads.h"
#include "ijepa/models/model_options.h"
#include "ijepa/models/vision_transformer.h"

namespace ijepa::models {
namespace {

constexpr int64_t kBatch = 16;
int g_threads = 2;

VisionTransformer MakeModel(const char* name) {
  torch::manual_seed(0);
  return VisionTransformer(NamedVisionTransformer(name, 16, 224, 3).value());
}

void SetCounters(benchmark::State& state) {
  state.SetItemsProcessed(state.iterations() * kBatch);  // items_per_second = images/s
  state.counters["threads"] = at::get_num_threads();
  state.counters["batch"] = kBatch;
}

void BM_Forward(benchmark::State& state, const char* name) {
  VisionTransformer model = MakeModel(name);
  model->eval();
  const torch::Tensor images = torch::randn({kBatch, 3, 224, 224});
  torch::NoGradGuard no_grad;
  for (auto _ : state) {
    torch::Tensor out = model->forward(images);
    benchmark::DoNotOptimize(out.data_ptr<float>());
  }
  SetCounters(state);
}

void BM_ForwardBackward(benchmark::State& state, const char* name) {
  VisionTransformer model = MakeModel(name);
  model->train();
  const torch::Tensor images = torch::randn({kBatch, 3, 224, 224});
  for (auto _ : state) {
    model->zero_grad();
    torch::Tensor loss = model->forward(images).pow(2).mean();
    loss.backward();
    benchmark::DoNotOptimize(loss.item<float>());
  }
  SetCounters(state);
}

BENCHMARK_CAPTURE(BM_Forward, vit_tiny16_224, "vit_tiny")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_ForwardBackward, vit_tiny16_224, "vit_tiny")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_Forward, vit_small16_224, "vit_small")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_ForwardBackward, vit_small16_224, "vit_small")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace ijepa::models

int main(int argc, char** argv) {
  // Take --threads=N out of argv before Google Benchmark sees (and rejects) it.
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::strncmp(argv[i], "--threads=", 10) == 0) {
      ijepa::models::g_threads = std::atoi(argv[i] + 10);
    } else {
      args.push_back(argv[i]);
    }
  }
  int count = static_cast<int>(args.size());
  ijepa::ConfigureIntraOpThreads(ijepa::models::g_threads);
  ijepa::KeepFreedHostMemory();  // as the trainer does
  benchmark::Initialize(&count, args.data());
  if (benchmark::ReportUnrecognizedArguments(count, args.data())) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
