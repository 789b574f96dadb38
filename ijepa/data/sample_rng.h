#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "ijepa/common/rng.h"

namespace ijepa::data {

// Small, fast generator (common::Xoshiro256StarStar) whose state is a hash of (seed, epoch, index,
// stream).
// Every sample gets its own generator, so what a sample looks like depends only on these four
// numbers, never on which thread drew it or in what order: batches are identical for any
// worker count, and a resumed run reproduces the interrupted one.
class SampleRng {
 public:
  // Independent streams for the different consumers of randomness.
  enum Stream : uint64_t {
    kTransformStream = 1,
    kShuffleStream = 2,
    kLowShotStream = 3,
    kHoldoutStream = 4,
  };

  SampleRng(uint64_t seed, int64_t epoch, int64_t index, uint64_t stream = kTransformStream)
      : rng_(FromKey(seed, epoch, index, stream)) {}

  uint64_t NextU64() { return rng_.Next(); }

  // Uniform in [0, 1) with 53 random bits.
  double Uniform() { return rng_.NextDouble(); }
  // Uniform in [a, b).
  double Uniform(double a, double b) { return a + (b - a) * Uniform(); }
  // Uniform integer in [lo, hi), hi > lo; unbiased (rejection).
  int64_t UniformInt(int64_t lo, int64_t hi) {
    const uint64_t range = static_cast<uint64_t>(hi - lo);
    const uint64_t limit = UINT64_MAX - UINT64_MAX % range;
    uint64_t x;
    do {
      x = NextU64();
    } while (x >= limit);
    return lo + static_cast<int64_t>(x % range);
  }
  bool Bernoulli(double p) { return Uniform() < p; }

  // Fisher-Yates.
  template <typename T>
  void Shuffle(std::vector<T>& values) {
    for (int64_t i = static_cast<int64_t>(values.size()) - 1; i > 0; --i) {
      std::swap(values[i], values[UniformInt(0, i + 1)]);
    }
  }

 private:
  static common::Xoshiro256StarStar FromKey(uint64_t seed, int64_t epoch, int64_t index,
                                            uint64_t stream) {
    uint64_t h = common::SplitMix64Hash(seed ^ 0x6a09e667f3bcc908ull);
    h = common::SplitMix64Hash(h ^ static_cast<uint64_t>(epoch));
    h = common::SplitMix64Hash(h ^ static_cast<uint64_t>(index));
    h = common::SplitMix64Hash(h ^ stream);
    // Seeded at h + gamma: state word i is mix(h + (i + 2) * gamma), as it has always been.
    return common::Xoshiro256StarStar::FromSplitMix64(h + common::SplitMix64::kGamma);
  }

  common::Xoshiro256StarStar rng_;
};

}  // namespace ijepa::data
