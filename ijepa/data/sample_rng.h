#pragma once

#include <cstdint>
#include <utility>
#include <vector>

namespace ijepa::data {

// Small, fast generator (xoshiro256**) whose state is a hash of (seed, epoch, index, stream).
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

  SampleRng(uint64_t seed, int64_t epoch, int64_t index, uint64_t stream = kTransformStream) {
    uint64_t h = SplitMix(seed ^ 0x6a09e667f3bcc908ull);
    h = SplitMix(h ^ static_cast<uint64_t>(epoch));
    h = SplitMix(h ^ static_cast<uint64_t>(index));
    h = SplitMix(h ^ stream);
    for (uint64_t& word : state_) {
      h += 0x9e3779b97f4a7c15ull;
      word = SplitMix(h);
    }
  }

  uint64_t NextU64() {
    const uint64_t result = Rotl(state_[1] * 5, 7) * 9;
    const uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = Rotl(state_[3], 45);
    return result;
  }

  // Uniform in [0, 1) with 53 random bits.
  double Uniform() { return static_cast<double>(NextU64() >> 11) * 0x1.0p-53; }
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
  static uint64_t SplitMix(uint64_t x) {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
  }
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

  uint64_t state_[4];
};

}  // namespace ijepa::data
