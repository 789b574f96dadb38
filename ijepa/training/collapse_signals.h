// Signals that tell a learning I-JEPA run from a collapsing one while it runs. The loss cannot:
// targets that stop depending on the image (constant, or position-only) are easy to predict, so a
// collapsing run's loss falls too.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <deque>

namespace ijepa::training {

// RankMe (Garrido et al., ICML 2023, eq. 1): exp of the entropy of the singular values of
// `features` [N, D] normalised to sum 1 (plus eps = 1e-7, as the paper). Between 1 (all rows
// parallel: collapsed) and min(N, D) (all singular values equal). Computed in float64 on the CPU.
double EffectiveRank(const at::Tensor& features);

// Mean over the D dimensions of the standard deviation (unbiased, over rows) of the rows of
// `features` [..., D] scaled to unit L2 norm. 0 when every row points the same way; 1/sqrt(D) for
// rows spread evenly over the sphere; NaN for fewer than 2 rows. A 0-dim float32 tensor on the
// input's device (no host sync).
at::Tensor NormalizedFeatureStd(const at::Tensor& features);

// The image-level features of the last `capacity` images seen (oldest dropped first), for
// EffectiveRank over more rows than one batch holds: the rank of a batch of B rows is at most B.
class FeatureWindow {
 public:
  explicit FeatureWindow(int64_t capacity);

  // Appends `rows` [B, D] (detached; kept on their device).
  void Add(const at::Tensor& rows);

  // The rows held, oldest first, as one [min(seen, capacity), D] tensor; undefined when empty.
  at::Tensor Rows() const;
  int64_t size() const { return size_; }
  int64_t capacity() const { return capacity_; }

 private:
  int64_t capacity_;
  int64_t size_ = 0;
  std::deque<at::Tensor> chunks_;
};

// RankMe of the window divided by the largest value it can take, min(rows, D): 1 is full rank.
double RelativeEffectiveRank(const FeatureWindow& window);

}  // namespace ijepa::training
