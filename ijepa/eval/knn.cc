#include "ijepa/eval/knn.h"

#include <algorithm>
#include <tuple>

#include <ATen/ATen.h>
#include <c10/util/Exception.h>
#include <torch/csrc/autograd/grad_mode.h>

namespace ijepa::eval {
namespace {

// F.normalize(x, dim=1): rows scaled to unit L2 norm (eps 1e-12 as PyTorch).
at::Tensor L2Normalize(const at::Tensor& x) {
  return x / x.norm(2, {1}, /*keepdim=*/true).clamp_min(1e-12);
}

}  // namespace

Accuracy KnnClassify(const LabeledFeatures& train, const LabeledFeatures& test, int64_t num_classes,
                     const KnnOptions& options) {
  TORCH_CHECK(train.features.dim() == 2 && test.features.dim() == 2,
              "KnnClassify needs pooled features [N, D]; got train ", train.features.sizes(),
              " and test ", test.features.sizes());
  TORCH_CHECK(train.features.size(1) == test.features.size(1), "KnnClassify: train dim ",
              train.features.size(1), " != test dim ", test.features.size(1));
  TORCH_CHECK(train.size() > 0, "KnnClassify: empty training set");
  TORCH_CHECK(options.k > 0 && options.temperature > 0 && options.chunk_size > 0,
              "KnnClassify: k, temperature and chunk_size must be > 0");
  TORCH_CHECK(num_classes > 0, "KnnClassify: num_classes must be > 0");
  at::NoGradGuard no_grad;
  const auto device = train.features.device();
  const at::Tensor bank = L2Normalize(train.features.to(at::kFloat)).t();  // [D, Ntrain]
  const at::Tensor bank_labels = train.labels.to(device).to(at::kLong);
  TORCH_CHECK(bank_labels.min().item<int64_t>() >= 0 &&
                  bank_labels.max().item<int64_t>() < num_classes,
              "KnnClassify: training labels must lie in [0, ", num_classes, ")");
  const int64_t k = std::min(options.k, train.size());
  const int64_t top = std::min<int64_t>(5, std::min(k, num_classes));
  const int64_t n = test.size();
  double correct1 = 0, correct5 = 0;
  for (int64_t start = 0; start < n; start += options.chunk_size) {
    const int64_t end = std::min(n, start + options.chunk_size);
    const at::Tensor queries = L2Normalize(test.features.slice(0, start, end).to(device).to(at::kFloat));
    const at::Tensor targets = test.labels.slice(0, start, end).to(device).to(at::kLong);
    const int64_t b = end - start;
    at::Tensor sims, idx;
    std::tie(sims, idx) = at::mm(queries, bank).topk(k, 1, /*largest=*/true, /*sorted=*/true);
    const at::Tensor neighbours = bank_labels.index_select(0, idx.reshape({-1})).view({b, k});
    // votes[b, c] = sum over neighbours of class c of exp(sim / T).
    const at::Tensor votes =
        at::zeros({b, num_classes}, sims.options()).scatter_add_(1, neighbours, sims.div(options.temperature).exp());
    const at::Tensor ranked = std::get<1>(votes.sort(1, /*descending=*/true));
    const at::Tensor hits = ranked.eq(targets.view({-1, 1}));
    correct1 += hits.narrow(1, 0, 1).sum().item<double>();
    correct5 += hits.narrow(1, 0, top).sum().item<double>();
  }
  Accuracy acc;
  acc.count = n;
  if (n > 0) {
    acc.top1 = 100.0 * correct1 / n;
    acc.top5 = 100.0 * correct5 / n;
  }
  return acc;
}

}  // namespace ijepa::eval
