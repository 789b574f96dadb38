#include "ijepa/data/sampler.h"

#include <algorithm>
#include <map>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ijepa::data {
namespace {

TEST(ShardIndicesTest, EveryIndexExactlyOncePerEpochAcrossRanks) {
  for (int world : {1, 2, 4}) {
    std::vector<int64_t> all;
    for (int rank = 0; rank < world; ++rank) {
      ShardOptions options;
      options.seed = 3, options.rank = rank, options.world_size = world;
      const auto shard = ShardIndices(100, 5, options);
      EXPECT_EQ(shard.size(), 100u / world);
      all.insert(all.end(), shard.begin(), shard.end());
    }
    std::sort(all.begin(), all.end());
    for (int i = 0; i < 100; ++i) ASSERT_EQ(all[i], i) << "world " << world;
  }
}

TEST(ShardIndicesTest, PadsToEqualShardsWithTheHeadOfTheOrder) {
  // DistributedSampler: 10 samples on 4 ranks -> 12 positions, the first two repeated.
  ShardOptions options;
  options.shuffle = false;
  options.world_size = 4;
  std::vector<std::vector<int64_t>> shards;
  for (int rank = 0; rank < 4; ++rank) {
    options.rank = rank;
    shards.push_back(ShardIndices(10, 0, options));
  }
  EXPECT_THAT(shards[0], ::testing::ElementsAre(0, 4, 8));
  EXPECT_THAT(shards[1], ::testing::ElementsAre(1, 5, 9));
  EXPECT_THAT(shards[2], ::testing::ElementsAre(2, 6, 0));
  EXPECT_THAT(shards[3], ::testing::ElementsAre(3, 7, 1));
  options.drop_last = true;
  options.rank = 3;
  EXPECT_THAT(ShardIndices(10, 0, options), ::testing::ElementsAre(3, 7));
  // Padding longer than the data set repeats it.
  options.drop_last = false;
  options.world_size = 5;
  options.rank = 4;
  EXPECT_THAT(ShardIndices(2, 0, options), ::testing::ElementsAre(0));
}

TEST(ShardIndicesTest, OrderDependsOnSeedAndEpochOnly) {
  ShardOptions options;
  options.seed = 11;
  const auto epoch0 = ShardIndices(1000, 0, options);
  EXPECT_EQ(epoch0, ShardIndices(1000, 0, options));
  EXPECT_NE(epoch0, ShardIndices(1000, 1, options));
  options.seed = 12;
  EXPECT_NE(epoch0, ShardIndices(1000, 0, options));
  std::vector<int64_t> sorted = epoch0;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_NE(sorted, epoch0);  // actually shuffled
}

}  // namespace
}  // namespace ijepa::data
