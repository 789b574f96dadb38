#pragma once

#include <cstdint>

#include "ijepa/masking/mask_rng.h"

namespace ijepa::masking {

// The two random streams of a batch. Sizes leave the rank out so every rank of a step draws the
// same block sizes (as the official collator, seeded by the iteration count, does).
inline MaskRng SizeStream(uint64_t seed, int64_t epoch, int64_t batch_index) {
  return MaskRng(/*tag=*/0x53495a45 /* "SIZE" */, seed, static_cast<uint64_t>(epoch),
                 static_cast<uint64_t>(batch_index));
}
inline MaskRng PositionStream(uint64_t seed, int64_t epoch, int64_t batch_index, int rank) {
  return MaskRng(/*tag=*/0x504f5331 /* "POS1" */, seed, static_cast<uint64_t>(epoch),
                 static_cast<uint64_t>(batch_index), static_cast<uint64_t>(rank));
}

}  // namespace ijepa::masking
