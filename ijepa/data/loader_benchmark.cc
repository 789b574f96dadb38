// Images/s for decode + RandomResizedCrop(224) + normalize on generated 500x375 JPEGs, per
// sample on 1 and 2 threads and through the DataLoader with 1 and 2 workers. The JPEGs are
// written to $IJEPA_BENCH_DIR (default /tmp/ijepa_loader_benchmark) so that
// tools/data_reference_benchmark.py can measure PIL + torchvision on the same files.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "ijepa/data/data_loader.h"
#include "ijepa/data/image_folder.h"
#include "ijepa/data/test_util.h"
#include "ijepa/data/transforms.h"

namespace ijepa::data {
namespace {

constexpr int kImages = 64;

std::shared_ptr<ImageFolderDataset> BenchmarkDataset() {
  static std::shared_ptr<ImageFolderDataset> dataset = [] {
    const char* env = std::getenv("IJEPA_BENCH_DIR");
    const std::string root = env ? env : "/tmp/ijepa_loader_benchmark";
    if (!std::filesystem::exists(root + "/class_0/img_0.jpg")) {
      for (int i = 0; i < kImages; ++i) {
        // 500x375 (w x h), quality 90, two classes.
        const Image image = testing::PatternImage(375, 500, 3, static_cast<uint32_t>(i));
        testing::WriteFile(root + "/class_" + std::to_string(i % 2) + "/img_" + std::to_string(i) + ".jpg",
                           testing::EncodeJpeg(image, 90));
      }
    }
    auto opened = ImageFolderDataset::Open(root);
    if (!opened.ok()) std::abort();
    return *opened;
  }();
  return dataset;
}

std::shared_ptr<const Transform> TrainTransform(bool scaled_decode, int crop_size = 224) {
  TransformOptions options;  // RandomResizedCrop(crop_size, scale 0.3-1), ImageNet normalization
  options.crop_size = crop_size;
  options.allow_scaled_decode = scaled_decode;
  return std::make_shared<Transform>(options);
}

// One sample at a time on each benchmark thread: read, decode, crop + resize, normalize.
void BM_DecodeCropNormalize(benchmark::State& state) {
  const auto dataset = BenchmarkDataset();
  const auto transform = TrainTransform(state.range(0) != 0, static_cast<int>(state.range(1)));
  std::vector<float> out(transform->output_size());
  int64_t index = state.thread_index();
  for (auto _ : state) {
    const int64_t i = index % dataset->size();
    SampleRng rng(0, 0, index);
    TransformParams params;
    auto example = dataset->Load(i, [&](int h, int w) {
      params = transform->Sample(h, w, rng);
      return transform->MaxDownscale(params);
    });
    if (!example.ok()) state.SkipWithError(std::string(example.status().message()).c_str());
    transform->Apply(example->image, params, out.data());
    benchmark::DoNotOptimize(out.data());
    index += state.threads();
  }
  state.SetItemsProcessed(state.iterations());
}
// At 224 from 500x375 the crop is never 2x the output, so scaled decoding cannot apply; at 112 it
// often can (crops of at least 224x224), which shows what it saves.
BENCHMARK(BM_DecodeCropNormalize)
    ->ArgNames({"scaled_decode", "crop"})
    ->Args({1, 224})
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime();
BENCHMARK(BM_DecodeCropNormalize)->ArgNames({"scaled_decode", "crop"})->Args({0, 112})->Args({1, 112})->UseRealTime();

// The two halves separately, one thread: JPEG decode of a 500x375 file, and crop + resize +
// normalize of the decoded image.
void BM_DecodeOnly(benchmark::State& state) {
  const auto dataset = BenchmarkDataset();
  int64_t index = 0;
  for (auto _ : state) {
    auto example = dataset->Load(index++ % dataset->size());
    benchmark::DoNotOptimize(example);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecodeOnly)->UseRealTime();

void BM_TransformOnly(benchmark::State& state) {
  const auto dataset = BenchmarkDataset();
  const auto transform = TrainTransform(false);
  auto example = dataset->Load(0);
  std::vector<float> out(transform->output_size());
  int64_t index = 0;
  for (auto _ : state) {
    transform->Run(example->image, 0, 0, index++, out.data());
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TransformOnly)->UseRealTime();

// The whole loader: batches of 32, float [32, 3, 224, 224], workers = range(0).
void BM_DataLoader(benchmark::State& state) {
  const auto dataset = BenchmarkDataset();
  DataLoader::Options options;
  options.batch_size = 32;
  options.num_workers = static_cast<int>(state.range(0));
  DataLoader loader(dataset, TrainTransform(state.range(1) != 0), options);
  int64_t epoch = 0, images = 0;
  loader.StartEpoch(epoch);
  for (auto _ : state) {
    auto batch = loader.Next();
    if (!batch.ok()) state.SkipWithError(std::string(batch.status().message()).c_str());
    if (!batch->has_value()) {
      loader.StartEpoch(++epoch);
      batch = loader.Next();
    }
    images += (**batch).images.size(0);
  }
  state.SetItemsProcessed(images);
}
BENCHMARK(BM_DataLoader)->ArgNames({"workers", "scaled_decode"})->Args({1, 1})->Args({2, 1})->UseRealTime();

}  // namespace
}  // namespace ijepa::data
