#pragma once

#include <cstdint>
#include <vector>

namespace ijepa::eval {

struct TrainValSplit {
  std::vector<int64_t> train;  // positions into the input, sorted
  std::vector<int64_t> val;    // positions into the input, sorted
};

// Carves a class-balanced validation split out of the labelled training examples `labels`
// (labels[i] is example i's class): round(val_fraction * n_c) examples of each class c, but at
// least 1 and never all of them when the class has 2+ examples. Deterministic in (labels,
// val_fraction, seed) on every platform (own PRNG, no std::shuffle). val_fraction in [0, 1).
TrainValSplit CarveValidation(const std::vector<int64_t>& labels, double val_fraction, uint64_t seed);

}  // namespace ijepa::eval
