#include "ijepa/eval/evaluation.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <tuple>
#include <memory>
#include <utility>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <glog/logging.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "ijepa/data/data_config.h"
#include "ijepa/data/subset.h"
#include "ijepa/eval/attentive_classifier.h"
#include "ijepa/eval/feature_cache.h"
#include "ijepa/eval/feature_extractor.h"
#include "ijepa/eval/knn.h"
#include "ijepa/eval/linear_classifier.h"
#include "ijepa/eval/splits.h"

namespace ijepa::eval {
namespace {

// Feature kinds are keyed by their report name.
using FeatureTable = std::map<std::string, at::Tensor>;

FeatureTable Tabulate(const ExtractedFeatures& f) {
  FeatureTable table;
  for (const auto& [mode, t] : f.pooled) table[std::string(PoolModeName(mode))] = t;
  if (f.patches.defined()) table["patches"] = f.patches;
  if (f.raw_pixels.defined()) table["raw_pixels"] = f.raw_pixels;
  return table;
}

// One split's features: rows in `indices` order.
struct SplitFeatures {
  FeatureTable table;
  at::Tensor labels;
  std::vector<int64_t> indices;
};

absl::StatusOr<SplitFeatures> Extract(const EvalInputs& inputs, const EvalOptions& options,
                                      std::shared_ptr<const data::Dataset> dataset,
                                      const std::vector<int64_t>& indices, const std::string& split,
                                      const c10::Device& device, EvalResults& results) {
  FeatureRequest request;
  if (inputs.encoder != nullptr) {
    request.pools = options.pools;
    request.patches = options.attentive;
  }
  request.raw_pixels = options.raw_pixels;
  absl::StatusOr<std::shared_ptr<const data::Transform>> transform = MakeEvalTransform(inputs.data, *dataset);
  if (!transform.ok()) return transform.status();
  ExtractOptions eo;
  eo.batch_size = options.extract_batch_size;
  eo.num_workers = inputs.num_workers;
  eo.device = device;
  absl::StatusOr<ExtractedFeatures> f;
  if (!options.feature_cache_dir.empty()) {
    const std::string key = FeatureCacheKey(inputs.encoder_id, inputs.data, split, indices, request);
    f = CachedExtractFeatures(options.feature_cache_dir, key, inputs.encoder, dataset, indices, *transform,
                              request, eo);
  } else {
    f = ExtractFeatures(inputs.encoder, dataset, indices, *transform, request, eo);
  }
  if (!f.ok()) return f.status();
  results.extract_seconds += f->seconds;
  results.images_encoded += static_cast<int64_t>(indices.size());
  LOG(INFO) << "features of " << indices.size() << " " << split << " images in " << f->seconds << " s";
  return SplitFeatures{Tabulate(*f), f->labels, f->indices};
}

absl::StatusOr<std::vector<int64_t>> ProtocolIndices(const ProtocolOptions& p, const data::Dataset& train) {
  if (p.per_class > 0 || p.percent > 0) {
    absl::StatusOr<std::vector<int64_t>> subset =
        data::BalancedSubset(train.labels(), p.per_class, p.percent / 100.0, p.seed);
    if (!subset.ok()) {
      return absl::Status(subset.status().code(), absl::StrCat("protocol ", p.name, ": ", subset.status().message()));
    }
    return subset;
  }
  std::vector<int64_t> all(train.size());
  for (int64_t i = 0; i < train.size(); ++i) all[i] = i;
  return all;
}

std::vector<int64_t> TestIndices(const data::Dataset& test, int64_t max_images, uint64_t seed) {
  std::vector<int64_t> indices(test.size());
  for (int64_t i = 0; i < test.size(); ++i) indices[i] = i;
  if (max_images <= 0 || max_images >= test.size()) return indices;
  at::Generator gen = at::detail::createCPUGenerator(seed ^ 0x7E57ULL);
  at::Tensor perm = at::randperm(test.size(), gen, at::TensorOptions().dtype(at::kLong)).slice(0, 0, max_images);
  perm = std::get<0>(perm.sort());
  return std::vector<int64_t>(perm.data_ptr<int64_t>(), perm.data_ptr<int64_t>() + max_images);
}

LabeledFeatures Rows(const at::Tensor& features, const at::Tensor& labels, const std::vector<int64_t>& rows) {
  const at::Tensor idx = at::tensor(rows, at::kLong);
  return {features.index_select(0, idx), labels.index_select(0, idx)};
}

// Standardises raw pixels with statistics of the protocol's labelled images only.
std::pair<at::Tensor, at::Tensor> Standardize(const at::Tensor& labelled, const at::Tensor& test) {
  const at::Tensor mean = labelled.mean(0, /*keepdim=*/true);
  const at::Tensor std = labelled.std(0, /*unbiased=*/false, /*keepdim=*/true).clamp_min(1e-6);
  return {(labelled - mean) / std, (test - mean) / std};
}

MethodScore FromFit(const ProbeFit& fit, std::string protocol, std::string method, std::string features,
                    int64_t dim) {
  MethodScore s;
  s.protocol = std::move(protocol);
  s.method = std::move(method);
  s.features = std::move(features);
  s.test = fit.test;
  s.feature_dim = dim;
  s.num_train = fit.num_train;
  s.num_val = fit.num_val;
  s.lr = fit.lr;
  s.weight_decay = fit.weight_decay;
  s.sweep = fit.sweep;
  s.seconds = fit.seconds;
  return s;
}

void LogScore(const MethodScore& s, const std::string& split) {
  LOG(INFO) << s.protocol << " " << s.method << "(" << s.features << "): top1 " << s.test.top1 << " top5 "
            << s.test.top5 << " (" << s.test.count << " " << split << " images, " << s.seconds << " s)";
}

}  // namespace

absl::StatusOr<EvalResults> RunEvaluation(const EvalInputs& inputs, const EvalOptions& options,
                                          const c10::Device& device) {
  if (inputs.train == nullptr || inputs.test == nullptr) {
    return absl::InvalidArgumentError("RunEvaluation: train and test data sets are required");
  }
  if (inputs.encoder == nullptr && !options.raw_pixels) {
    return absl::InvalidArgumentError("RunEvaluation: no encoder and raw_pixels off: nothing to evaluate");
  }
  if (!options.feature_cache_dir.empty() && inputs.encoder_id.empty()) {
    return absl::InvalidArgumentError("RunEvaluation: feature_cache_dir needs an encoder_id to key the cache");
  }
  EvalResults results;
  results.num_classes = inputs.train->num_classes();
  if (results.num_classes < 2) {
    return absl::InvalidArgumentError(absl::StrCat("the training split has ", results.num_classes,
                                                   " classes; a probe needs at least 2"));
  }

  // Test features, once.
  const std::vector<int64_t> test_indices = TestIndices(*inputs.test, options.max_test_images, options.seed);
  if (test_indices.empty()) return absl::InvalidArgumentError("the test split is empty");
  absl::StatusOr<SplitFeatures> test = Extract(inputs, options, inputs.test, test_indices, inputs.test_split, device, results);
  if (!test.ok()) return test.status();
  results.num_test = static_cast<int64_t>(test_indices.size());

  // Labelled subsets: protocols on the main training split share one extraction of their union;
  // subset-file protocols open their own view of the split.
  std::vector<std::vector<int64_t>> protocol_indices(options.protocols.size());
  std::vector<int64_t> union_indices;
  for (size_t i = 0; i < options.protocols.size(); ++i) {
    if (!options.protocols[i].subset_file.empty()) continue;
    absl::StatusOr<std::vector<int64_t>> indices = ProtocolIndices(options.protocols[i], *inputs.train);
    if (!indices.ok()) return indices.status();
    protocol_indices[i] = *std::move(indices);
    union_indices.insert(union_indices.end(), protocol_indices[i].begin(), protocol_indices[i].end());
  }
  std::sort(union_indices.begin(), union_indices.end());
  union_indices.erase(std::unique(union_indices.begin(), union_indices.end()), union_indices.end());
  SplitFeatures train_union;
  if (!union_indices.empty()) {
    absl::StatusOr<SplitFeatures> f = Extract(inputs, options, inputs.train, union_indices, "train", device, results);
    if (!f.ok()) return f.status();
    train_union = *std::move(f);
  }

  for (size_t i = 0; i < options.protocols.size(); ++i) {
    const ProtocolOptions& protocol = options.protocols[i];
    SplitFeatures labelled;
    if (!protocol.subset_file.empty()) {
      data::DataConfig config = inputs.data;
      config.set_subset_file(protocol.subset_file);
      absl::StatusOr<std::shared_ptr<data::Dataset>> subset = data::OpenDataset(config, "train");
      if (!subset.ok()) {
        return absl::Status(subset.status().code(),
                            absl::StrCat("protocol ", protocol.name, ": ", subset.status().message()));
      }
      std::vector<int64_t> all((*subset)->size());
      for (int64_t j = 0; j < (*subset)->size(); ++j) all[j] = j;
      absl::StatusOr<SplitFeatures> f =
          Extract(inputs, options, *subset, all, "train:" + protocol.subset_file, device, results);
      if (!f.ok()) return f.status();
      labelled = *std::move(f);
    } else {
      // Rows of this protocol's images within the union extraction.
      std::vector<int64_t> rows;
      rows.reserve(protocol_indices[i].size());
      for (int64_t index : protocol_indices[i]) {
        rows.push_back(std::lower_bound(union_indices.begin(), union_indices.end(), index) - union_indices.begin());
      }
      const at::Tensor idx = at::tensor(rows, at::kLong);
      for (const auto& [name, t] : train_union.table) labelled.table[name] = t.index_select(0, idx);
      labelled.labels = train_union.labels.index_select(0, idx);
      labelled.indices = protocol_indices[i];
    }
    const int64_t n = labelled.labels.size(0);
    results.protocols.push_back({protocol, n});
    if (n < 2) return absl::InvalidArgumentError(absl::StrCat("protocol ", protocol.name, " has ", n, " labelled images"));

    // Hyper-parameters are chosen on a class-balanced validation carve-out of these labels.
    const std::vector<int64_t> labels(labelled.labels.data_ptr<int64_t>(), labelled.labels.data_ptr<int64_t>() + n);
    const TrainValSplit split = CarveValidation(labels, options.val_fraction, protocol.seed);
    const int64_t classes = results.num_classes;

    for (const auto& [name, features] : labelled.table) {
      const at::Tensor& test_features = test->table.at(name);
      const bool raw = name == "raw_pixels";
      const bool patches = name == "patches";
      at::Tensor train_x = features, test_x = test_features;
      if (raw) std::tie(train_x, test_x) = Standardize(features, test_features);
      const LabeledFeatures train_part = Rows(train_x, labelled.labels, split.train);
      const LabeledFeatures val_part = Rows(train_x, labelled.labels, split.val);
      const LabeledFeatures test_set{test_x, test->labels};
      const int64_t dim = train_x.size(-1);

      if (patches) {
        const int64_t heads =
            options.attentive_num_heads > 0 ? options.attentive_num_heads : inputs.encoder->options().num_heads;
        AttentiveClassifierOptions ao;
        ao.embed_dim = dim;
        ao.num_classes = classes;
        ao.num_heads = heads;
        ao.mlp_ratio = options.attentive_mlp_ratio;
        ao.seed = options.seed;
        HeadFactory make = [&] {
          auto head = std::make_shared<AttentiveClassifierImpl>(ao);
          head->to(device);
          return std::shared_ptr<ProbeHeadImpl>(head);
        };
        results.scores.push_back(FromFit(SweepAndFit(make, train_part, val_part, test_set, options.attentive_sweep, device),
                                         protocol.name, "attentive", name, dim));
        LogScore(results.scores.back(), inputs.test_split);
        continue;
      }
      if (options.linear || raw) {
        LinearClassifierOptions lo{dim, classes, /*batch_norm=*/options.linear_batch_norm && !raw, 0.01, options.seed};
        HeadFactory make = [&] {
          auto head = std::make_shared<LinearClassifierImpl>(lo);
          head->to(device);
          return std::shared_ptr<ProbeHeadImpl>(head);
        };
        results.scores.push_back(FromFit(SweepAndFit(make, train_part, val_part, test_set, options.linear_sweep, device),
                                         protocol.name, "linear", name, dim));
        LogScore(results.scores.back(), inputs.test_split);
      }
      if (options.knn) {
        const auto start = std::chrono::steady_clock::now();
        MethodScore s;
        s.protocol = protocol.name;
        s.method = "knn";
        s.features = name;
        s.feature_dim = dim;
        s.num_train = n;
        s.k = std::min<int64_t>(options.knn_options.k, n);
        s.temperature = options.knn_options.temperature;
        s.test = KnnClassify({train_x.to(device), labelled.labels}, {test_x, test->labels}, classes, options.knn_options);
        s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        results.scores.push_back(s);
        LogScore(results.scores.back(), inputs.test_split);
      }
    }
  }
  return results;
}

}  // namespace ijepa::eval
