#include "ijepa/masking/block_geometry.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "gtest/gtest.h"

namespace ijepa::masking {
namespace {

TEST(BlockSizeForTest, MatchesOfficialArithmetic) {
  // 14x14, scale 0.15, aspect 0.75: max_keep = int(29.4) = 29; h = round(sqrt(21.75)) = 5;
  // w = round(sqrt(38.67)) = 6.
  EXPECT_EQ(BlockSizeFor(0.15, 0.75, 14, 14, true), (BlockSize{5, 6}));
  // Python's round() is half-to-even: sqrt(25 * 0.25) = 2.5 rounds to 2, sqrt(9 * 1) = 3.
  EXPECT_EQ(BlockSizeFor(25.5 / 196, 0.25, 14, 14, true), (BlockSize{2, 10}));
  // sqrt(12.25) = 3.5 rounds to 4.
  EXPECT_EQ(BlockSizeFor(49.5 / 196, 0.25, 14, 14, true).h, 4);
  // Full grid: official caps at H - 1, the fix at H.
  EXPECT_EQ(BlockSizeFor(1.0, 1.0, 14, 14, false), (BlockSize{13, 13}));
  EXPECT_EQ(BlockSizeFor(1.0, 1.0, 14, 14, true), (BlockSize{14, 14}));
  EXPECT_EQ(BlockSizeFor(1.0, 1.0, 12, 18, true), (BlockSize{12, 15}));
}

TEST(SampleBlockSizeTest, OfficialUsesOneDrawForScaleAndAspect) {
  const Range scale{0.15, 0.2}, aspect{0.75, 1.5};
  MaskRng a(3), b(3);
  const double r = b.Uniform();
  EXPECT_EQ(SampleBlockSize(a, scale, aspect, 14, 14, MaskFixes::Official()),
            BlockSizeFor(0.15 + r * 0.05, 0.75 + r * 0.75, 14, 14, false));
  MaskRng c(3), d(3);
  const double r1 = d.Uniform(), r2 = d.Uniform();
  EXPECT_EQ(SampleBlockSize(c, scale, aspect, 14, 14, MaskFixes()),
            BlockSizeFor(0.15 + r1 * 0.05, 0.75 + r2 * 0.75, 14, 14, true));
}

TEST(BlockAreaBoundsTest, AgreesWithDenseSearch) {
  struct Case {
    Range scale, aspect;
    int h, w;
    bool full;
  };
  for (const Case& c : {Case{{0.15, 0.2}, {0.75, 1.5}, 14, 14, true},
                        Case{{0.15, 0.2}, {0.75, 1.5}, 16, 16, false},
                        Case{{0.85, 1.0}, {1.0, 1.0}, 14, 14, true},
                        Case{{0.85, 1.0}, {1.0, 1.0}, 14, 14, false},
                        Case{{0.01, 0.1}, {0.3, 3.0}, 9, 20, true}}) {
    int lo = 1 << 30, hi = 0;
    const int n = 1500;
    for (int i = 0; i <= n; ++i) {
      for (int j = 0; j <= n; ++j) {
        const double s = c.scale.min + (c.scale.max - c.scale.min) * i / n;
        const double a = c.aspect.min + (c.aspect.max - c.aspect.min) * j / n;
        const int area = BlockSizeFor(s, a, c.h, c.w, c.full).area();
        lo = std::min(lo, area);
        hi = std::max(hi, area);
      }
    }
    const AreaBounds bounds = BlockAreaBounds(c.scale, c.aspect, c.h, c.w, c.full);
    // The exact bound may find slivers the grid misses, never the other way round.
    EXPECT_LE(bounds.min_area, lo);
    EXPECT_GE(bounds.max_area, hi);
    EXPECT_GE(bounds.min_area, lo - 2);
    EXPECT_LE(bounds.max_area, hi + 2);
  }
}

TEST(SampleCornerTest, RangeWithAndWithoutFix) {
  MaskRng rng(5);
  std::vector<int> seen_fixed(14), seen_official(14);
  for (int i = 0; i < 5000; ++i) {
    ++seen_fixed[SampleCorner(rng, 14, 5, true)];
    ++seen_official[SampleCorner(rng, 14, 5, false)];
  }
  for (int v = 0; v <= 9; ++v) EXPECT_GT(seen_fixed[v], 0) << v;
  for (int v = 10; v < 14; ++v) EXPECT_EQ(seen_fixed[v], 0) << v;
  for (int v = 0; v <= 8; ++v) EXPECT_GT(seen_official[v], 0) << v;
  for (int v = 9; v < 14; ++v) EXPECT_EQ(seen_official[v], 0) << v;
  // A full-extent block fits only at 0.
  EXPECT_EQ(SampleCorner(rng, 14, 14, true), 0);
}

TEST(KeepRandomSubsetTest, UniformOverPositionsAndSorted) {
  MaskRng rng(9);
  const int n = 40, keep = 25, trials = 20000;
  std::vector<int> kept(n);
  for (int t = 0; t < trials; ++t) {
    std::vector<int32_t> v(n);
    for (int i = 0; i < n; ++i) v[i] = 2 * i;
    KeepRandomSubset(v, keep, rng);
    ASSERT_EQ(v.size(), static_cast<size_t>(keep));
    ASSERT_TRUE(std::is_sorted(v.begin(), v.end()));
    for (int32_t x : v) ++kept[x / 2];
  }
  // Every position kept with probability keep / n, in particular the last ones.
  const double expected = static_cast<double>(trials) * keep / n;
  const double sd = std::sqrt(trials * (static_cast<double>(keep) / n) * (1.0 - 1.0 * keep / n));
  for (int i = 0; i < n; ++i) EXPECT_NEAR(kept[i], expected, 5 * sd) << i;
}

TEST(EqualizeLengthsTest, OfficialKeepsPrefixFixKeepsRandomSubset) {
  std::vector<std::vector<std::vector<int32_t>>> masks = {{{0, 1, 2, 3, 4}, {5, 6, 7}},
                                                         {{8, 9, 10, 11}, {12, 13, 14, 15}}};
  MaskRng rng(1);
  auto official = masks;
  EqualizeLengths(official, /*random=*/false, rng);
  EXPECT_EQ(official[0][0], (std::vector<int32_t>{0, 1, 2}));
  EXPECT_EQ(official[0][1], (std::vector<int32_t>{5, 6, 7}));
  EXPECT_EQ(official[1][0], (std::vector<int32_t>{8, 9, 10}));
  EXPECT_EQ(official[1][1], (std::vector<int32_t>{12, 13, 14}));
  // Random: over many draws the last index of the first mask survives as often as the first.
  int first = 0, last = 0;
  for (int t = 0; t < 4000; ++t) {
    auto fixed = masks;
    EqualizeLengths(fixed, /*random=*/true, rng);
    for (const auto& per_image : fixed) {
      for (const auto& m : per_image) ASSERT_EQ(m.size(), 3u);
    }
    EXPECT_EQ(fixed[0][1], (std::vector<int32_t>{5, 6, 7}));
    first += fixed[0][0].front() == 0;
    last += fixed[0][0].back() == 4;
  }
  EXPECT_NEAR(first / 4000.0, 0.6, 0.04);
  EXPECT_NEAR(last / 4000.0, 0.6, 0.04);
}

}  // namespace
}  // namespace ijepa::masking
