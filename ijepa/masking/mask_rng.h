#pragma once

#include <cstdint>

#include "ijepa/common/rng.h"

namespace ijepa::masking {

// A small, portable pseudo-random generator (common::Xoshiro256StarStar, its state derived from the
// key through common::SplitMix64) whose streams are keyed by integers. Every draw is integer arithmetic defined by this file, so the masks of a
// (seed, epoch, batch, rank) key are the same on every platform, compiler and library version
// (std:: and absl distributions do not promise that).
class MaskRng {
 public:
  // A stream keyed by up to five integers; different keys give independent streams.
  explicit MaskRng(uint64_t k0, uint64_t k1 = 0, uint64_t k2 = 0, uint64_t k3 = 0,
                   uint64_t k4 = 0);

  uint64_t Next();
  // Uniform double in [0, 1) with 53 random bits.
  double Uniform();
  // Uniform integer in [0, n) without modulo bias; n must be >= 1.
  uint32_t UniformInt(uint32_t n);

 private:
  common::Xoshiro256StarStar rng_;
};

}  // namespace ijepa::masking
