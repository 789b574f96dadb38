// Masks per second of the default multi-block config (official YAML values, fixes on), batch 128.
//   bazel build --config=opt //ijepa/masking:mask_sampler_benchmark
//   bazel-out/k8-opt/bin/ijepa/masking/mask_sampler_benchmark
// items_per_second counts images (one context + num_pred_masks targets each), the unit of the
// official collator's throughput; masks_per_second counts every context and target mask.
#include <memory>

#include "benchmark/benchmark.h"
#include "ijepa/masking/mask_sampler.h"

namespace ijepa::masking {
namespace {

void BM_DefaultMultiBlock(benchmark::State& state) {
  const int side = static_cast<int>(state.range(0));
  const int batch = static_cast<int>(state.range(1));
  MaskConfig config;
  config.set_official_behavior(state.range(2) != 0);
  auto sampler = CreateMaskSampler(config, side, side);
  if (!sampler.ok()) {
    state.SkipWithError(std::string(sampler.status().message()).c_str());
    return;
  }
  int64_t batch_index = 0;
  for (auto _ : state) {
    BatchMasks masks = (*sampler)->Sample(batch, /*seed=*/0, /*epoch=*/0, batch_index++, 0);
    benchmark::DoNotOptimize(masks.context.data());
  }
  state.SetItemsProcessed(state.iterations() * batch);
  state.counters["masks_per_second"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * batch *
          (config.num_enc_masks() + config.num_pred_masks()),
      benchmark::Counter::kIsRate);
}
// Args: grid side, batch size, official (0 = fixes on, 1 = official behaviour).
BENCHMARK(BM_DefaultMultiBlock)
    ->ArgNames({"grid", "batch", "official"})
    ->Args({14, 128, 0})
    ->Args({16, 128, 0})
    ->Args({14, 128, 1})
    ->Args({16, 128, 1});

}  // namespace
}  // namespace ijepa::masking
