// Time per probe epoch: training the linear probe on cached features vs re-encoding the images
// with the frozen encoder every epoch (what the cache avoids). The encoder is the default
// pretraining architecture (ViT-Tiny, patch 4, 28x28 grey: Fashion-MNIST).
//
//   bazel build --config=opt //ijepa/eval:probe_benchmark
//   bazel-out/k8-opt/bin/ijepa/eval/probe_benchmark
#include <memory>
#include <vector>

#include <ATen/ATen.h>
#include <benchmark/benchmark.h>
#include <torch/csrc/autograd/grad_mode.h>
#include <torch/utils.h>

#include "ijepa/common/threads.h"
#include "ijepa/eval/linear_classifier.h"
#include "ijepa/eval/pooling.h"
#include "ijepa/eval/probe_trainer.h"
#include "ijepa/models/model_options.h"
#include "ijepa/models/vision_transformer.h"

namespace ijepa::eval {
namespace {

constexpr int64_t kBatch = 64;

models::VisionTransformer DefaultEncoder() {
  torch::manual_seed(0);
  auto options = models::NamedVisionTransformer("vit_tiny", 4, 28, 1);
  models::VisionTransformer encoder(*options);
  encoder->eval();
  return encoder;
}

void TrainOneEpoch(const LabeledFeatures& features, int64_t dim) {
  auto head = std::make_shared<LinearClassifierImpl>(LinearClassifierOptions{dim, 10, true, 0.01, 0});
  TrainOptions o;
  o.epochs = 1;
  o.batch_size = kBatch;
  TrainHead(*head, features, o, c10::Device(c10::kCPU));
}

// One epoch over cached mean-pooled features.
void BM_ProbeEpochCachedFeatures(benchmark::State& state) {
  ConfigureIntraOpThreads(0);
  const int64_t n = state.range(0);
  const LabeledFeatures features{at::randn({n, 192}), at::randint(10, {n}, at::kLong)};
  for (auto _ : state) TrainOneEpoch(features, 192);
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_ProbeEpochCachedFeatures)->Arg(600)->Arg(6000)->Unit(benchmark::kMillisecond);

// One epoch that first re-encodes the n images with the frozen ViT-Tiny, then trains.
void BM_ProbeEpochReencoding(benchmark::State& state) {
  ConfigureIntraOpThreads(0);
  const int64_t n = state.range(0);
  models::VisionTransformer encoder = DefaultEncoder();
  const at::Tensor images = at::randn({n, 1, 28, 28});
  const at::Tensor labels = at::randint(10, {n}, at::kLong);
  for (auto _ : state) {
    std::vector<at::Tensor> parts;
    {
      at::NoGradGuard no_grad;
      for (int64_t start = 0; start < n; start += 256) {
        parts.push_back(PoolBlocks(encoder->ForwardLastBlocks(images.slice(0, start, std::min(n, start + 256)), 1),
                                   PoolMode::kMean));
      }
    }
    TrainOneEpoch({at::cat(parts), labels}, 192);
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_ProbeEpochReencoding)->Arg(600)->Arg(6000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace ijepa::eval

BENCHMARK_MAIN();
