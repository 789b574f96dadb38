#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "ijepa/data/dataset.h"
#include "ijepa/data/sample_rng.h"

namespace ijepa::data {

// Deterministic balanced low-shot selection: `per_class` images of every class when per_class
// > 0, otherwise round(fraction * class size) (at least 1) of every class, fraction in (0, 1].
// Each class is shuffled by its own generator seeded from (seed, class), so the choice for one
// class does not depend on the others. Returns sorted indices into `labels`. A class with fewer
// images than per_class is an error naming the class (a probe would silently be unbalanced).
// `stream` separates independent selections made with the same seed (low-shot labels, holdout).
absl::StatusOr<std::vector<int64_t>> BalancedSubset(const std::vector<int64_t>& labels,
                                                    int64_t per_class, double fraction,
                                                    uint64_t seed,
                                                    uint64_t stream = SampleRng::kLowShotStream);

// A view of `base` restricted to `indices` (in that order).
class SubsetDataset : public Dataset {
 public:
  SubsetDataset(std::shared_ptr<const Dataset> base, std::vector<int64_t> indices);

  int64_t size() const override { return static_cast<int64_t>(indices_.size()); }
  absl::StatusOr<Example> Load(int64_t index) const override;
  absl::StatusOr<Example> Load(int64_t index, const DownscaleFn& downscale) const override;
  int64_t num_classes() const override { return base_->num_classes(); }
  const std::vector<int64_t>& labels() const override { return labels_; }
  const std::vector<int64_t>& indices() const { return indices_; }

 private:
  std::shared_ptr<const Dataset> base_;
  std::vector<int64_t> indices_;
  std::vector<int64_t> labels_;
};

}  // namespace ijepa::data
