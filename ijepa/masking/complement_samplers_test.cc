#include "ijepa/masking/complement_samplers.h"

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "ijepa/masking/mask_sampler.h"
#include "ijepa/masking/mask_test_util.h"

namespace ijepa::masking {
namespace {

using ::ijepa::masking::testing::BoundingBox;
using ::ijepa::masking::testing::Box;
using ::ijepa::masking::testing::IsSortedUnique;
using ::ijepa::masking::testing::ParseConfig;

std::unique_ptr<MaskSampler> Make(const std::string& text, int gh, int gw) {
  absl::StatusOr<std::unique_ptr<MaskSampler>> sampler =
      CreateMaskSampler(ParseConfig(text), gh, gw);
  EXPECT_TRUE(sampler.ok()) << sampler.status();
  return std::move(*sampler);
}

// Context and targets partition the grid (targets may overlap each other).
void ExpectComplement(const BatchMasks& m, int b, int cells) {
  std::vector<int> covered(cells, 0);
  for (const auto& t : m.targets) {
    ASSERT_TRUE(IsSortedUnique(t[b]));
    for (int32_t idx : t[b]) covered[idx] = 1;
  }
  ASSERT_TRUE(IsSortedUnique(m.context[0][b]));
  for (int32_t idx : m.context[0][b]) ASSERT_EQ(covered[idx], 0) << idx;
}

TEST(ComplementSamplersTest, RandomPatchesSizesAndUniformCoverage) {
  const int gh = 14, gw = 14, cells = 196;
  auto sampler = Make("strategy: RANDOM_PATCHES num_pred_masks: 1 pred_mask_scale: [0.5, 0.7]",
                      gh, gw);
  std::vector<int> hits(cells, 0);
  int images = 0;
  for (int i = 0; i < 400; ++i) {
    const BatchMasks m = sampler->Sample(8, 1, 0, i, 0);
    ASSERT_EQ(m.targets.size(), 1u);
    const int k = static_cast<int>(m.targets[0][0].size());
    // int(196 * scale) for scale in [0.5, 0.7].
    ASSERT_GE(k, 98);
    ASSERT_LE(k, 137);
    for (int b = 0; b < 8; ++b) {
      ASSERT_EQ(static_cast<int>(m.targets[0][b].size()), k);
      // One target: the context is exactly the rest, no truncation needed.
      ASSERT_EQ(static_cast<int>(m.context[0][b].size()), cells - k);
      ExpectComplement(m, b, cells);
      for (int32_t idx : m.targets[0][b]) ++hits[idx];
      ++images;
    }
  }
  // Every patch, the last included, is a target about 60% of the time.
  for (int i = 0; i < cells; ++i) EXPECT_NEAR(hits[i] / static_cast<double>(images), 0.6, 0.06);
}

TEST(ComplementSamplersTest, CenterBlockIsCentred) {
  auto sampler = Make("strategy: CENTER_BLOCK num_pred_masks: 1 pred_mask_scale: [0.3, 0.6]",
                      15, 16);
  for (int i = 0; i < 300; ++i) {
    const BatchMasks m = sampler->Sample(4, 2, 0, i, 0);
    for (int b = 0; b < 4; ++b) {
      const auto& t = m.targets[0][b];
      const Box box = BoundingBox(t, 16);
      ASSERT_EQ(static_cast<int>(t.size()), box.h * box.w);
      ASSERT_EQ(box.top, (15 - box.h) / 2);
      ASSERT_EQ(box.left, (16 - box.w) / 2);
      ASSERT_EQ(m.context[0][b].size(), 240 - t.size());
      ExpectComplement(m, b, 240);
    }
  }
}

TEST(ComplementSamplersTest, RandomBlocksReachEveryRowAndColumnWithFix) {
  for (bool official : {false, true}) {
    auto sampler = Make(std::string("strategy: RANDOM_BLOCK num_pred_masks: 2 ") +
                            (official ? "official_behavior: true" : ""),
                        10, 12);
    std::set<int> rows, cols;
    for (int i = 0; i < 300; ++i) {
      const BatchMasks m = sampler->Sample(4, 3, 0, i, 0);
      for (int b = 0; b < 4; ++b) {
        ExpectComplement(m, b, 120);
        for (const auto& t : m.targets) {
          const Box box = BoundingBox(t[b], 12);
          ASSERT_EQ(static_cast<int>(t[b].size()), box.h * box.w);
          for (int32_t idx : t[b]) rows.insert(idx / 12), cols.insert(idx % 12);
        }
        ASSERT_GT(m.context[0][b].size(), 10u);
      }
    }
    EXPECT_EQ(rows.size(), official ? 9u : 10u);
    EXPECT_EQ(cols.size(), official ? 11u : 12u);
  }
}

TEST(ComplementSamplersTest, QuadrantsPartitionTheGrid) {
  for (int side : {14, 15}) {
    auto sampler = Make("strategy: QUADRANTS num_pred_masks: 3 min_keep: 4", side, side);
    std::vector<int> context_quadrant_count(4, 0);
    for (int i = 0; i < 200; ++i) {
      const BatchMasks m = sampler->Sample(8, 4, 0, i, 0);
      ASSERT_EQ(m.targets.size(), 3u);
      for (int b = 0; b < 8; ++b) {
        ExpectComplement(m, b, side * side);
        const Box box = BoundingBox(m.context[0][b], side);
        // The context is (a subset of) one quadrant.
        const int half = side / 2;
        const int q = (box.top >= half ? 2 : 0) + (box.left >= half ? 1 : 0);
        ASSERT_LE(box.top + box.h, box.top >= half ? side : half);
        ASSERT_LE(box.left + box.w, box.left >= half ? side : half);
        ++context_quadrant_count[q];
        if (side % 2 == 0) {
          // Even grid: quadrants are equal, nothing is truncated; together they cover the grid.
          size_t total = m.context[0][b].size();
          for (const auto& t : m.targets) total += t[b].size();
          ASSERT_EQ(total, static_cast<size_t>(side * side));
        }
      }
      // Odd grid: lengths are equalized to the smallest quadrant.
      for (const auto& t : m.targets) ASSERT_EQ(t[0].size(), t[7].size());
      ASSERT_EQ(m.context[0][0].size(), m.context[0][7].size());
    }
    for (int q = 0; q < 4; ++q) EXPECT_NEAR(context_quadrant_count[q], 400, 80) << q;
  }
}

TEST(ComplementSamplersTest, Deterministic) {
  auto a = Make("strategy: RANDOM_BLOCK num_pred_masks: 2", 14, 14);
  auto b = Make("strategy: RANDOM_BLOCK num_pred_masks: 2", 14, 14);
  EXPECT_EQ(a->Sample(8, 1, 2, 3, 4).targets, b->Sample(8, 1, 2, 3, 4).targets);
  EXPECT_EQ(a->Sample(8, 1, 2, 3, 4).context, b->Sample(8, 1, 2, 3, 4).context);
  EXPECT_NE(a->Sample(8, 1, 2, 3, 4).targets, b->Sample(8, 1, 2, 3, 5).targets);
}

}  // namespace
}  // namespace ijepa::masking
