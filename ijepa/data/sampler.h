#pragma once

#include <cstdint>
#include <vector>

namespace ijepa::data {

// torch.utils.data.DistributedSampler semantics, with a fresh order every epoch:
//  * shuffle: a permutation of [0, dataset_size) drawn from (seed, epoch) (the same on every
//    rank, like DistributedSampler's generator seeded with seed + epoch), else 0, 1, 2, ...;
//  * drop_last = false: the list is padded with its own head to a multiple of world_size;
//    drop_last = true: its tail is dropped to a multiple of world_size;
//  * rank r takes positions r, r + world_size, r + 2 * world_size, ...
// So across ranks every index appears exactly once per epoch (plus the padding).
struct ShardOptions {
  bool shuffle = true;
  uint64_t seed = 0;
  int rank = 0;
  int world_size = 1;
  bool drop_last = false;
};

// Preconditions: dataset_size >= 0, world_size >= 1, 0 <= rank < world_size.
std::vector<int64_t> ShardIndices(int64_t dataset_size, int64_t epoch, const ShardOptions& options);

}  // namespace ijepa::data
