#include "ijepa/training/collapse_signals.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>
#include <c10/util/Exception.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace ijepa::training {

double EffectiveRank(const at::Tensor& features) {
  TORCH_CHECK(features.dim() == 2 && features.size(0) > 0 && features.size(1) > 0,
              "EffectiveRank: features must be a non-empty [N, D] matrix, got ", features.sizes());
  c10::NoGradGuard no_grad;
  const at::Tensor x = features.detach().to(at::kCPU, at::kDouble);
  const at::Tensor sigma = at::linalg_svdvals(x);
  const at::Tensor p = sigma / sigma.sum() + 1e-7;
  return std::exp(-(p * p.log()).sum().item<double>());
}

at::Tensor NormalizedFeatureStd(const at::Tensor& features) {
  TORCH_CHECK(features.dim() >= 2, "NormalizedFeatureStd: features must be [..., D], got ",
              features.sizes());
  c10::NoGradGuard no_grad;
  const at::Tensor rows = features.detach().reshape({-1, features.size(-1)}).to(at::kFloat);
  if (rows.size(0) < 2) return at::full({}, std::nan(""), rows.options());  // no spread to measure
  // F.normalize's eps keeps an all-zero row at zero instead of NaN.
  const at::Tensor unit = rows / rows.norm(2, {1}, /*keepdim=*/true).clamp_min(1e-12);
  return unit.std({0}, /*unbiased=*/true).mean();
}

FeatureWindow::FeatureWindow(int64_t capacity) : capacity_(capacity) {
  TORCH_CHECK(capacity > 0, "FeatureWindow: capacity must be > 0, got ", capacity);
}

void FeatureWindow::Add(const at::Tensor& rows) {
  TORCH_CHECK(rows.dim() == 2, "FeatureWindow::Add: rows must be [B, D], got ", rows.sizes());
  if (!chunks_.empty()) {
    TORCH_CHECK(rows.size(1) == chunks_.front().size(1), "FeatureWindow::Add: rows have ",
                rows.size(1), " features, the window ", chunks_.front().size(1));
  }
  at::Tensor kept = rows.detach();
  if (kept.size(0) > capacity_) kept = kept.narrow(0, kept.size(0) - capacity_, capacity_);
  chunks_.push_back(kept.clone());
  size_ += kept.size(0);
  while (size_ > capacity_) {
    at::Tensor& oldest = chunks_.front();
    const int64_t excess = size_ - capacity_;
    if (oldest.size(0) <= excess) {
      size_ -= oldest.size(0);
      chunks_.pop_front();
    } else {
      oldest = oldest.narrow(0, excess, oldest.size(0) - excess);
      size_ -= excess;
    }
  }
}

at::Tensor FeatureWindow::Rows() const {
  if (chunks_.empty()) return at::Tensor();
  return at::cat(std::vector<at::Tensor>(chunks_.begin(), chunks_.end()), 0);
}

double RelativeEffectiveRank(const FeatureWindow& window) {
  const at::Tensor rows = window.Rows();
  TORCH_CHECK(rows.defined(), "RelativeEffectiveRank: the window is empty");
  return EffectiveRank(rows) / static_cast<double>(std::min(rows.size(0), rows.size(1)));
}

}  // namespace ijepa::training
