#include "ijepa/data/subset.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "ijepa/data/sample_rng.h"

namespace ijepa::data {

absl::StatusOr<std::vector<int64_t>> BalancedSubset(const std::vector<int64_t>& labels,
                                                    int64_t per_class, double fraction,
                                                    uint64_t seed, uint64_t stream) {
  if (per_class < 0) {
    return absl::InvalidArgumentError(absl::StrCat("low-shot per_class is ", per_class,
                                                   "; expected >= 0"));
  }
  if (per_class == 0 && !(fraction > 0.0 && fraction <= 1.0)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "low-shot fraction is ", fraction, "; expected a value in (0, 1] when per_class is 0"));
  }
  std::map<int64_t, std::vector<int64_t>> by_class;
  for (size_t i = 0; i < labels.size(); ++i) by_class[labels[i]].push_back(static_cast<int64_t>(i));
  std::vector<int64_t> selected;
  for (auto& [label, members] : by_class) {
    int64_t take = per_class;
    if (per_class == 0) {
      take = std::max<int64_t>(1, static_cast<int64_t>(std::floor(fraction * members.size() + 0.5)));
    } else if (per_class > static_cast<int64_t>(members.size())) {
      return absl::InvalidArgumentError(absl::StrCat("class ", label, " has ", members.size(),
                                                     " images, fewer than the ", per_class,
                                                     " per class asked for"));
    }
    SampleRng rng(seed, /*epoch=*/0, /*index=*/label, stream);
    rng.Shuffle(members);
    selected.insert(selected.end(), members.begin(), members.begin() + take);
  }
  std::sort(selected.begin(), selected.end());
  return selected;
}

SubsetDataset::SubsetDataset(std::shared_ptr<const Dataset> base, std::vector<int64_t> indices)
    : base_(std::move(base)), indices_(std::move(indices)) {
  labels_.reserve(indices_.size());
  const std::vector<int64_t>& base_labels = base_->labels();
  for (int64_t i : indices_) labels_.push_back(base_labels.at(i));
}

absl::StatusOr<Example> SubsetDataset::Load(int64_t index) const {
  if (index < 0 || index >= size()) {
    return absl::OutOfRangeError(absl::StrCat("subset index ", index, " outside [0, ", size(), ")"));
  }
  return base_->Load(indices_[index]);
}

absl::StatusOr<Example> SubsetDataset::Load(int64_t index, const DownscaleFn& downscale) const {
  if (index < 0 || index >= size()) {
    return absl::OutOfRangeError(absl::StrCat("subset index ", index, " outside [0, ", size(), ")"));
  }
  return base_->Load(indices_[index], downscale);
}

}  // namespace ijepa::data
