#include "ijepa/masking/mask_rng.h"

#include <initializer_list>

namespace ijepa::masking {
namespace {

common::Xoshiro256StarStar FromKey(uint64_t k0, uint64_t k1, uint64_t k2, uint64_t k3,
                                   uint64_t k4) {
  // Absorb the key one word at a time, so (a, b) and (b, a) give different streams.
  uint64_t h = 0x2545f4914f6cdd1dULL;
  for (uint64_t k : {k0, k1, k2, k3, k4}) h = common::SplitMix64Hash(h ^ k);
  return common::Xoshiro256StarStar::FromSplitMix64(h);
}

}  // namespace

MaskRng::MaskRng(uint64_t k0, uint64_t k1, uint64_t k2, uint64_t k3, uint64_t k4)
    : rng_(FromKey(k0, k1, k2, k3, k4)) {}

uint64_t MaskRng::Next() { return rng_.Next(); }

double MaskRng::Uniform() { return rng_.NextDouble(); }

uint32_t MaskRng::UniformInt(uint32_t n) {
  // Lemire's multiply-and-reject method.
  uint64_t m = static_cast<uint64_t>(static_cast<uint32_t>(Next() >> 32)) * n;
  uint32_t low = static_cast<uint32_t>(m);
  if (low < n) {
    const uint32_t threshold = static_cast<uint32_t>(-n) % n;
    while (low < threshold) {
      m = static_cast<uint64_t>(static_cast<uint32_t>(Next() >> 32)) * n;
      low = static_cast<uint32_t>(m);
    }
  }
  return static_cast<uint32_t>(m >> 32);
}

}  // namespace ijepa::masking
