#include "ijepa/data/sampler.h"

#include <numeric>

#include "ijepa/data/sample_rng.h"

namespace ijepa::data {

std::vector<int64_t> ShardIndices(int64_t dataset_size, int64_t epoch, const ShardOptions& options) {
  std::vector<int64_t> order(dataset_size);
  std::iota(order.begin(), order.end(), int64_t{0});
  if (options.shuffle) {
    SampleRng rng(options.seed, epoch, /*index=*/0, SampleRng::kShuffleStream);
    rng.Shuffle(order);
  }
  const int64_t world = options.world_size;
  int64_t total;
  if (options.drop_last) {
    total = dataset_size / world * world;
    order.resize(total);
  } else {
    total = (dataset_size + world - 1) / world * world;
    // Pad with the head of the list, repeated if the list is shorter than the padding.
    for (int64_t i = 0; static_cast<int64_t>(order.size()) < total; ++i) order.push_back(order[i]);
  }
  std::vector<int64_t> shard;
  shard.reserve(total / world);
  for (int64_t i = options.rank; i < total; i += world) shard.push_back(order[i]);
  return shard;
}

}  // namespace ijepa::data
