#include "ijepa/eval/pooling.h"

#include <vector>

#include <ATen/ATen.h>
#include <gtest/gtest.h>

namespace ijepa::eval {
namespace {

std::vector<at::Tensor> Blocks(int64_t count, int64_t b, int64_t n, int64_t d) {
  std::vector<at::Tensor> blocks;
  for (int64_t i = 0; i < count; ++i) blocks.push_back(at::randn({b, n, d}).add(i * 10.0));
  return blocks;
}

TEST(PoolingTest, ShapesPerMode) {
  std::vector<at::Tensor> blocks = Blocks(4, 3, 49, 8);
  EXPECT_EQ(PoolBlocks(blocks, PoolMode::kMean).sizes(), (std::vector<int64_t>{3, 8}));
  EXPECT_EQ(PoolBlocks(blocks, PoolMode::kLast4).sizes(), (std::vector<int64_t>{3, 32}));
  EXPECT_EQ(PoolBlocks(blocks, PoolMode::kNone).sizes(), (std::vector<int64_t>{3, 49, 8}));
  EXPECT_EQ(BlocksNeeded(PoolMode::kLast4), 4);
  EXPECT_EQ(BlocksNeeded(PoolMode::kMean), 1);
}

TEST(PoolingTest, ValuesAreMeansOfTheRightBlocksInDepthOrder) {
  std::vector<at::Tensor> blocks = Blocks(5, 2, 4, 3);  // 5 blocks: last4 uses blocks 1..4
  at::Tensor mean = PoolBlocks(blocks, PoolMode::kMean);
  EXPECT_TRUE(at::allclose(mean, blocks[4].mean(1)));
  at::Tensor last4 = PoolBlocks(blocks, PoolMode::kLast4);
  for (int i = 0; i < 4; ++i) {
    EXPECT_TRUE(at::allclose(last4.slice(1, 3 * i, 3 * (i + 1)), blocks[1 + i].mean(1)));
  }
  EXPECT_TRUE(at::equal(PoolBlocks(blocks, PoolMode::kNone), blocks[4]));
}

TEST(PoolingTest, ErrorsNameTheProblem) {
  EXPECT_THROW(PoolBlocks(Blocks(2, 1, 4, 3), PoolMode::kLast4), c10::Error);
  EXPECT_THROW(PoolBlocks({at::zeros({2, 3})}, PoolMode::kMean), c10::Error);
  auto bad = ParsePoolMode("max");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("mean, last4, none"), std::string::npos);
  EXPECT_EQ(*ParsePoolMode("last4"), PoolMode::kLast4);
  EXPECT_EQ(PoolModeName(PoolMode::kNone), "none");
}

}  // namespace
}  // namespace ijepa::eval
