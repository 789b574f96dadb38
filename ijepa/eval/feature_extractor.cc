#include "ijepa/eval/feature_extractor.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <utility>

#include <ATen/ATen.h>
#include <c10/util/Exception.h>
#include <glog/logging.h>
#include <torch/csrc/autograd/grad_mode.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "ijepa/data/data_config.h"
#include "ijepa/data/data_loader.h"
#include "ijepa/data/subset.h"

namespace ijepa::eval {
namespace {

// Restores the module's training flag on scope exit.
class EvalModeScope {
 public:
  explicit EvalModeScope(torch::nn::Module* module) : module_(module) {
    if (module_ != nullptr) {
      was_training_ = module_->is_training();
      module_->eval();
    }
  }
  ~EvalModeScope() {
    if (module_ != nullptr && was_training_) module_->train();
  }

 private:
  torch::nn::Module* module_;
  bool was_training_ = false;
};

}  // namespace

absl::StatusOr<ExtractedFeatures> ExtractFeatures(models::VisionTransformerImpl* encoder,
                                                  std::shared_ptr<const data::Dataset> dataset,
                                                  const std::vector<int64_t>& indices,
                                                  std::shared_ptr<const data::Transform> transform,
                                                  const FeatureRequest& request,
                                                  const ExtractOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  const bool needs_encoder = !request.pools.empty() || request.patches;
  if (needs_encoder && encoder == nullptr) {
    return absl::InvalidArgumentError("ExtractFeatures: encoder features requested but no encoder given");
  }
  if (!needs_encoder && !request.raw_pixels) {
    return absl::InvalidArgumentError("ExtractFeatures: nothing requested");
  }
  if (options.batch_size <= 0) {
    return absl::InvalidArgumentError(absl::StrCat("ExtractFeatures: batch_size must be > 0, got ", options.batch_size));
  }
  if (encoder != nullptr) {
    const auto& mo = encoder->options();
    if (transform->height() != mo.img_size || transform->channels() != mo.in_chans) {
      return absl::InvalidArgumentError(absl::StrCat(
          "images are ", transform->channels(), "x", transform->height(), "x", transform->width(),
          " (data.channels x data.crop_size^2) but the encoder expects ", mo.in_chans, "x", mo.img_size, "x",
          mo.img_size));
    }
  }
  for (int64_t i : indices) {
    if (i < 0 || i >= dataset->size()) {
      return absl::OutOfRangeError(absl::StrCat("ExtractFeatures: index ", i, " outside the data set (size ",
                                                dataset->size(), ")"));
    }
  }
  const int64_t n = static_cast<int64_t>(indices.size());
  ExtractedFeatures out;
  out.indices = indices;
  out.labels = at::empty({n}, at::kLong);
  if (n == 0) return out;

  auto subset = std::make_shared<data::SubsetDataset>(dataset, indices);
  data::DataLoader::Options lo;
  lo.batch_size = static_cast<int>(options.batch_size);
  lo.num_workers = options.num_workers;
  lo.prefetch_batches = 2;
  lo.shuffle = false;
  lo.drop_last = false;
  lo.max_skipped_fraction = 0.0;  // a skipped image would silently shrink the test set
  data::DataLoader loader(subset, transform, lo);
  loader.StartEpoch(0);

  int64_t blocks = 0;
  for (PoolMode p : request.pools) blocks = std::max(blocks, BlocksNeeded(p));
  if (request.patches) blocks = std::max<int64_t>(blocks, 1);

  EvalModeScope eval_mode(encoder);
  at::NoGradGuard no_grad;
  std::map<PoolMode, std::vector<at::Tensor>> pooled_parts;
  std::vector<at::Tensor> patch_parts, pixel_parts, label_parts;
  std::vector<at::Tensor> row_parts;
  int64_t seen = 0;
  while (true) {
    absl::StatusOr<std::optional<data::Batch>> next = loader.Next();
    if (!next.ok()) return next.status();
    if (!next->has_value()) break;
    data::Batch& batch = **next;
    const int64_t b = batch.images.size(0);
    if (b != static_cast<int64_t>(batch.indices.size())) {
      return absl::InternalError("ExtractFeatures: batch rows and indices disagree");
    }
    row_parts.push_back(at::tensor(batch.indices, at::kLong));  // positions within `indices`
    label_parts.push_back(batch.labels.to(at::kLong));
    if (request.raw_pixels) pixel_parts.push_back(batch.images.reshape({b, -1}).clone());
    if (needs_encoder) {
      std::vector<at::Tensor> outs = encoder->ForwardLastBlocks(batch.images.to(options.device), blocks);
      for (PoolMode p : request.pools) pooled_parts[p].push_back(PoolBlocks(outs, p).to(at::kCPU).to(at::kFloat));
      if (request.patches) patch_parts.push_back(outs.back().to(at::kCPU).to(at::kFloat));
    }
    seen += b;
    if (batch.batch_index % 20 == 0) VLOG(1) << "extracted " << seen << "/" << n << " images";
  }
  if (seen != n) {
    return absl::DataLossError(absl::StrCat("ExtractFeatures: the loader returned ", seen, " of ", n, " images"));
  }
  // Rows come back in loader order; scatter them into the requested order.
  const at::Tensor rows = at::cat(row_parts);
  const at::Tensor order = at::empty({n}, at::kLong).index_put_({rows}, at::arange(n, at::kLong));
  out.labels = at::cat(label_parts).index_select(0, order);
  for (auto& [mode, parts] : pooled_parts) out.pooled[mode] = at::cat(parts).index_select(0, order);
  if (request.patches) out.patches = at::cat(patch_parts).index_select(0, order);
  if (request.raw_pixels) out.raw_pixels = at::cat(pixel_parts).index_select(0, order);
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

absl::StatusOr<std::shared_ptr<const data::Transform>> MakeEvalTransform(const data::DataConfig& config,
                                                                         const data::Dataset& probe) {
  absl::StatusOr<data::TransformOptions> options = data::EvalTransformOptionsFromConfig(config);
  if (!options.ok()) return options.status();
  if (probe.size() > 0) {
    absl::StatusOr<data::Example> first = probe.Load(0);
    if (!first.ok()) return first.status();
    if (first->image.height == options->crop_size && first->image.width == options->crop_size) {
      options->resize_size = options->crop_size;
    }
  }
  return std::shared_ptr<const data::Transform>(std::make_shared<data::Transform>(*options));
}

}  // namespace ijepa::eval
