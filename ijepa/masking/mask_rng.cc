#include "ijepa/masking/mask_rng.h"

#include <initializer_list>

namespace ijepa::masking {
namespace {

uint64_t SplitMix64(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

MaskRng::MaskRng(uint64_t k0, uint64_t k1, uint64_t k2, uint64_t k3, uint64_t k4) {
  // Absorb the key one word at a time, so (a, b) and (b, a) give different streams.
  uint64_t h = 0x2545f4914f6cdd1dULL;
  for (uint64_t k : {k0, k1, k2, k3, k4}) {
    uint64_t x = h ^ k;
    h = SplitMix64(x);
  }
  for (uint64_t& s : s_) s = SplitMix64(h);
}

uint64_t MaskRng::Next() {
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

double MaskRng::Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

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
