// The project's two pseudo-random generators, each a transcription of its reference C code, so
// every stream built on them (masks, augmentations, shuffles, subsets, splits) is the same on
// every platform, compiler and library version; std:: and absl distributions do not promise that.
// Plain C++, no dependencies: ijepa/masking uses it and must stay LibTorch-free.
#pragma once

#include <cstdint>

namespace ijepa::common {

// SplitMix64 (Steele, Lea and Flood; Vigna's splitmix64.c): the state advances by the golden-ratio
// gamma and each output is the new state through Stafford's mix13.
class SplitMix64 {
 public:
  static constexpr uint64_t kGamma = 0x9e3779b97f4a7c15ULL;

  explicit SplitMix64(uint64_t state) : state_(state) {}

  uint64_t Next() {
    uint64_t z = (state_ += kGamma);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

 private:
  uint64_t state_;
};

// The first output of SplitMix64(x): a bijective 64-bit hash of x, for deriving keys and seeds.
inline uint64_t SplitMix64Hash(uint64_t x) { return SplitMix64(x).Next(); }

// xoshiro256** 1.0 (Blackman and Vigna, xoshiro256starstar.c) from a given 256-bit state, which
// must not be all zero. How the state is derived from a key is the caller's (its streams depend
// on it).
class Xoshiro256StarStar {
 public:
  Xoshiro256StarStar(uint64_t s0, uint64_t s1, uint64_t s2, uint64_t s3) : s_{s0, s1, s2, s3} {}

  // The state the xoshiro authors suggest from a 64-bit seed: SplitMix64(seed)'s first 4 outputs.
  static Xoshiro256StarStar FromSplitMix64(uint64_t seed) {
    SplitMix64 words(seed);
    const uint64_t s0 = words.Next();
    const uint64_t s1 = words.Next();
    const uint64_t s2 = words.Next();
    const uint64_t s3 = words.Next();
    return Xoshiro256StarStar(s0, s1, s2, s3);
  }

  uint64_t Next() {
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, 1): the top 53 bits of Next() (the conversion the xoshiro authors recommend).
  double NextDouble() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

  uint64_t s_[4];
};

}  // namespace ijepa::common
