#include "ijepa/eval/splits.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "ijepa/common/rng.h"

namespace ijepa::eval {

TrainValSplit CarveValidation(const std::vector<int64_t>& labels, double val_fraction, uint64_t seed) {
  TrainValSplit split;
  if (val_fraction <= 0.0) {
    for (int64_t i = 0; i < static_cast<int64_t>(labels.size()); ++i) split.train.push_back(i);
    return split;
  }
  std::map<int64_t, std::vector<int64_t>> by_class;
  for (int64_t i = 0; i < static_cast<int64_t>(labels.size()); ++i) by_class[labels[i]].push_back(i);
  for (auto& [label, members] : by_class) {
    // SplitMix64: fully specified, so splits are identical everywhere.
    common::SplitMix64 rng(seed ^ (0xD1B54A32D192ED03ULL * static_cast<uint64_t>(label + 1)));
    for (size_t i = members.size(); i > 1; --i) {  // Fisher-Yates
      std::swap(members[i - 1], members[rng.Next() % i]);
    }
    const int64_t n = members.size();
    int64_t n_val = std::llround(val_fraction * n);
    if (n >= 2) n_val = std::clamp<int64_t>(n_val, 1, n - 1);
    else n_val = 0;
    split.val.insert(split.val.end(), members.begin(), members.begin() + n_val);
    split.train.insert(split.train.end(), members.begin() + n_val, members.end());
  }
  std::sort(split.train.begin(), split.train.end());
  std::sort(split.val.begin(), split.val.end());
  return split;
}

}  // namespace ijepa::eval
