// Statistical tests of the multi-block sampler over thousands of images: every invariant a user
// relies on, with the fixes on and with the official behaviour.
#include "ijepa/masking/multi_block_sampler.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>
#include <utility>
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

MultiBlockSampler MakeSampler(const std::string& text, int grid_h, int grid_w) {
  absl::StatusOr<MaskOptions> options = MaskOptionsFromProto(ParseConfig(text));
  EXPECT_TRUE(options.ok()) << options.status();
  const absl::Status valid = ValidateMaskOptions(*options, grid_h, grid_w);
  EXPECT_TRUE(valid.ok()) << valid;
  return MultiBlockSampler(*options, grid_h, grid_w);
}

// Is (h, w) the official rounding of some (scale, aspect) in the ranges? Interval arithmetic, a
// formulation independent of the sampler's: for a given max_keep, round(sqrt(keep * a)) == h holds
// for a in [(h - .5)^2 / keep, (h + .5)^2 / keep] (unbounded above when h is the cap).
bool ReachableIndependently(int h, int w, Range scale, Range aspect, int grid_h, int grid_w,
                            bool full) {
  const int cap_h = full ? grid_h : grid_h - 1, cap_w = full ? grid_w : grid_w - 1;
  const int keep_lo = static_cast<int>(grid_h * grid_w * scale.min);
  const int keep_hi = static_cast<int>(grid_h * grid_w * scale.max);
  for (int keep = std::max(keep_lo, 1); keep <= keep_hi; ++keep) {
    double lo = aspect.min, hi = aspect.max;
    lo = std::max(lo, (h - 0.5) * (h - 0.5) / keep);
    if (h < cap_h) hi = std::min(hi, (h + 0.5) * (h + 0.5) / keep);
    // w = round(sqrt(keep / a)) == w  <=>  a in [keep / (w + .5)^2, keep / (w - .5)^2].
    hi = std::min(hi, keep / ((w - 0.5) * (w - 0.5)));
    if (w < cap_w) lo = std::max(lo, keep / ((w + 0.5) * (w + 0.5)));
    if (lo <= hi + 1e-12) return true;
  }
  return false;
}

// The (h, w) pairs the official shared draw can produce, by dense search over that one draw.
std::set<std::pair<int, int>> TiedSizes(Range scale, Range aspect, int grid_h, int grid_w,
                                        bool full) {
  std::set<std::pair<int, int>> sizes;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    const double r = static_cast<double>(i) / n;
    const BlockSize s = BlockSizeFor(scale.min + r * (scale.max - scale.min),
                                     aspect.min + r * (aspect.max - aspect.min), grid_h, grid_w,
                                     full);
    sizes.insert({s.h, s.w});
  }
  return sizes;
}

// Runs `batches` batches of `batch` images and calls fn(masks) for each.
template <typename Fn>
void ForBatches(const MultiBlockSampler& sampler, int batches, int batch, Fn fn,
                uint64_t seed = 17) {
  for (int i = 0; i < batches; ++i) fn(sampler.Sample(batch, seed, /*epoch=*/1, i, /*rank=*/0));
}

TEST(MultiBlockSamplerTest, ShapesSortedAndEqualLengthsInBatch) {
  for (bool official : {false, true}) {
    const MultiBlockSampler sampler =
        MakeSampler(official ? "official_behavior: true num_enc_masks: 2" : "num_enc_masks: 2",
                    14, 14);
    ForBatches(sampler, 200, 16, [&](const BatchMasks& m) {
      ASSERT_EQ(m.context.size(), 2u);
      ASSERT_EQ(m.targets.size(), 4u);
      // As the official collator, every context mask (all images, all masks) has one length.
      const size_t kc = m.context[0][0].size();
      for (const auto& per_image : m.context) {
        ASSERT_EQ(per_image.size(), 16u);
        for (const auto& c : per_image) {
          ASSERT_EQ(c.size(), kc);
          ASSERT_TRUE(IsSortedUnique(c));
          ASSERT_LT(c.back(), 196);
          ASSERT_GE(c.front(), 0);
        }
      }
      const size_t kt = m.targets[0][0].size();
      for (const auto& per_image : m.targets) {
        ASSERT_EQ(per_image.size(), 16u);
        for (const auto& t : per_image) {
          ASSERT_EQ(t.size(), kt);
          ASSERT_TRUE(IsSortedUnique(t));
        }
      }
    });
  }
}

TEST(MultiBlockSamplerTest, TargetBlockSizesFollowOfficialRounding) {
  const Range scale{0.15, 0.2}, aspect{0.75, 1.5};
  for (bool official : {false, true}) {
    const int gh = 14, gw = 16;
    const MultiBlockSampler sampler = MakeSampler(official ? "official_behavior: true" : "", gh, gw);
    const std::set<std::pair<int, int>> tied = TiedSizes(scale, aspect, gh, gw, !official);
    std::set<std::pair<int, int>> seen;
    int off_tied_curve = 0;
    ForBatches(sampler, 3000, 2, [&](const BatchMasks& m) {
      const Box first = BoundingBox(m.targets[0][0], gw);
      for (const auto& per_image : m.targets) {
        for (const auto& t : per_image) {
          const Box box = BoundingBox(t, gw);
          // A target is a full rectangle, and every target of the batch has the same size.
          ASSERT_EQ(static_cast<int>(t.size()), box.h * box.w);
          ASSERT_EQ(box.h, first.h);
          ASSERT_EQ(box.w, first.w);
        }
      }
      ASSERT_TRUE(ReachableIndependently(first.h, first.w, scale, aspect, gh, gw, !official))
          << first.h << "x" << first.w;
      if (official) {
        ASSERT_TRUE(tied.count({first.h, first.w})) << first.h << "x" << first.w;
      }
      off_tied_curve += !tied.count({first.h, first.w});
      seen.insert({first.h, first.w});
    });
    if (official) {
      // The shared draw reaches every size on its curve.
      EXPECT_EQ(seen, tied);
    } else {
      // Independent draws reach sizes the shared draw cannot (e.g. small and tall).
      EXPECT_GT(off_tied_curve, 300);
      EXPECT_GT(seen.size(), tied.size());
    }
  }
}

TEST(MultiBlockSamplerTest, ScaleAndAspectIndependentOnlyWithFix) {
  // Official: one draw makes area and h/w strongly correlated; the fix removes that.
  for (bool official : {false, true}) {
    const MultiBlockSampler sampler =
        MakeSampler(official ? "official_behavior: true pred_mask_scale: [0.1, 0.4]"
                             : "pred_mask_scale: [0.1, 0.4]",
                    32, 32);
    std::vector<double> area, ratio;
    for (int i = 0; i < 4000; ++i) {
      const BlockSize s = sampler.BatchBlockSizes(5, 0, i).first;
      area.push_back(s.area());
      ratio.push_back(static_cast<double>(s.h) / s.w);
    }
    auto mean = [](const std::vector<double>& v) {
      double s = 0;
      for (double x : v) s += x;
      return s / v.size();
    };
    const double ma = mean(area), mr = mean(ratio);
    double cov = 0, va = 0, vr = 0;
    for (size_t i = 0; i < area.size(); ++i) {
      cov += (area[i] - ma) * (ratio[i] - mr);
      va += (area[i] - ma) * (area[i] - ma);
      vr += (ratio[i] - mr) * (ratio[i] - mr);
    }
    const double corr = cov / std::sqrt(va * vr);
    std::printf("official=%d corr(area, h/w) = %.3f\n", official, corr);
    if (official) {
      EXPECT_GT(corr, 0.9);
    } else {
      EXPECT_LT(std::abs(corr), 0.06);
    }
  }
}

TEST(MultiBlockSamplerTest, ContextBlockIsSquareWithFullGridOnlyWithFix) {
  // With allow_overlap the context is the whole block, so its size is visible.
  for (bool official : {false, true}) {
    const MultiBlockSampler sampler = MakeSampler(
        official ? "official_behavior: true allow_overlap: true" : "allow_overlap: true", 14, 14);
    std::set<int> sides;
    ForBatches(sampler, 2000, 1, [&](const BatchMasks& m) {
      const auto& c = m.context[0][0];
      const Box box = BoundingBox(c, 14);
      ASSERT_EQ(static_cast<int>(c.size()), box.h * box.w);
      ASSERT_EQ(box.h, box.w);
      sides.insert(box.h);
    });
    // enc_mask_scale [0.85, 1]: max_keep in [166, 196], side round(sqrt) in {13, 14}.
    if (official) {
      EXPECT_EQ(sides, (std::set<int>{13}));
    } else {
      EXPECT_EQ(sides, (std::set<int>{13, 14}));
    }
  }
}

TEST(MultiBlockSamplerTest, NoTargetContextOverlapUnlessAllowed) {
  for (const char* text : {"", "official_behavior: true", "num_pred_masks: 2 num_enc_masks: 2"}) {
    for (int side : {14, 16}) {
      const MultiBlockSampler sampler = MakeSampler(text, side, side);
      for (int i = 0; i < 100; ++i) {
        MultiBlockStats stats;
        const BatchMasks m = sampler.SampleWithStats(32, 3, 0, i, 0, &stats);
        ASSERT_EQ(stats.relaxations, 0) << text;
        for (int b = 0; b < 32; ++b) {
          std::vector<char> in_target(side * side, 0);
          for (const auto& t : m.targets) {
            for (int32_t idx : t[b]) in_target[idx] = 1;
          }
            for (const auto& c : m.context) {
            for (int32_t idx : c[b]) ASSERT_FALSE(in_target[idx]) << text;
          }
        }
      }
    }
  }
  // allow_overlap: the context block keeps target patches.
  const MultiBlockSampler sampler = MakeSampler("allow_overlap: true", 14, 14);
  int overlapping = 0;
  ForBatches(sampler, 100, 8, [&](const BatchMasks& m) {
    for (int b = 0; b < 8; ++b) {
      std::vector<char> in_target(196, 0);
      for (const auto& t : m.targets) {
        for (int32_t idx : t[b]) in_target[idx] = 1;
      }
      for (int32_t idx : m.context[0][b]) overlapping += in_target[idx];
    }
  });
  EXPECT_GT(overlapping, 10000);
}

TEST(MultiBlockSamplerTest, MinKeepHonouredAndRelaxationTerminates) {
  // Small context blocks among four targets on an 8x8 grid: placements often keep <= min_keep
  // patches, so the sampler must redraw and, after 20 failures, relax as the official code does.
  for (bool official : {false, true}) {
    const std::string text = std::string(official ? "official_behavior: true " : "") +
                             "enc_mask_scale: [0.3, 0.4] pred_mask_scale: [0.2, 0.25] "
                             "min_keep: 4";
    const MultiBlockSampler sampler = MakeSampler(text, 8, 8);
    int64_t relaxations = 0, rejected = 0;
    for (int i = 0; i < 300; ++i) {
      MultiBlockStats stats;
      const BatchMasks m = sampler.SampleWithStats(16, 1, 0, i, 0, &stats);
      relaxations += stats.relaxations;
      rejected += stats.rejected_placements;
      for (const auto& per_image : m.context) {
        for (const auto& c : per_image) ASSERT_GT(static_cast<int>(c.size()), 4);
      }
      for (const auto& per_image : m.targets) {
        for (const auto& t : per_image) ASSERT_GT(static_cast<int>(t.size()), 4);
      }
    }
    EXPECT_GT(rejected, 100);
    EXPECT_GT(relaxations, 0);
  }
  // Default config: every mask keeps more than min_keep = 10.
  const MultiBlockSampler sampler = MakeSampler("", 14, 14);
  ForBatches(sampler, 200, 32, [&](const BatchMasks& m) {
    ASSERT_GT(m.context[0][0].size(), 10u);
    ASSERT_GT(m.targets[0][0].size(), 10u);
  });
}

TEST(MultiBlockSamplerTest, LastRowAndColumnReachableOnlyWithFix) {
  const int gh = 12, gw = 18;  // not square, to catch a swapped axis
  for (bool official : {false, true}) {
    const MultiBlockSampler sampler =
        MakeSampler(official ? "official_behavior: true" : "", gh, gw);
    std::vector<int> target_rows(gh), target_cols(gw), context_rows(gh), context_cols(gw);
    ForBatches(sampler, 500, 8, [&](const BatchMasks& m) {
      for (const auto& per_image : m.targets) {
        for (const auto& t : per_image) {
          for (int32_t idx : t) ++target_rows[idx / gw], ++target_cols[idx % gw];
        }
      }
      for (const auto& c : m.context[0]) {
        for (int32_t idx : c) ++context_rows[idx / gw], ++context_cols[idx % gw];
      }
    });
    for (int r = 0; r < gh - 1; ++r) EXPECT_GT(target_rows[r], 0) << r;
    for (int c = 0; c < gw - 1; ++c) EXPECT_GT(target_cols[c], 0) << c;
    if (official) {
      EXPECT_EQ(target_rows[gh - 1], 0);
      EXPECT_EQ(target_cols[gw - 1], 0);
      EXPECT_EQ(context_rows[gh - 1], 0);
      EXPECT_EQ(context_cols[gw - 1], 0);
    } else {
      // With the fix the grid is symmetric: the last row is as likely as the first.
      EXPECT_NEAR(target_rows[gh - 1], target_rows[0], 0.1 * target_rows[0]);
      EXPECT_NEAR(target_cols[gw - 1], target_cols[0], 0.1 * target_cols[0]);
      EXPECT_GT(context_rows[gh - 1], 0);
      EXPECT_GT(context_cols[gw - 1], 0);
    }
  }
}

// Context patches per grid half: a truncation that always drops the row-major tail depletes the
// bottom (and right) of the context; a uniform one does not.
struct HalfCounts {
  double top = 0, bottom = 0, left = 0, right = 0;
};
HalfCounts ContextHalves(const MultiBlockSampler& sampler, int side) {
  HalfCounts h;
  ForBatches(sampler, 150, 64, [&](const BatchMasks& m) {
    for (const auto& c : m.context[0]) {
      for (int32_t idx : c) {
        (idx / side < side / 2 ? h.top : h.bottom) += 1;
        (idx % side < side / 2 ? h.left : h.right) += 1;
      }
    }
  });
  return h;
}

TEST(MultiBlockSamplerTest, TruncationHasNoPositionalBiasWithFix) {
  // All other fixes on, so the only asymmetry left is the truncation's.
  const HalfCounts fixed = ContextHalves(MakeSampler("", 16, 16), 16);
  EXPECT_NEAR(fixed.bottom / fixed.top, 1.0, 0.03);
  EXPECT_NEAR(fixed.right / fixed.left, 1.0, 0.03);
  const HalfCounts tail = ContextHalves(MakeSampler("fix_random_truncation: false", 16, 16), 16);
  EXPECT_LT(tail.bottom / tail.top, 0.8);
  std::printf("context bottom/top: fix %.3f, official truncation %.3f; right/left: %.3f, %.3f\n",
              fixed.bottom / fixed.top, tail.bottom / tail.top, fixed.right / fixed.left,
              tail.right / tail.left);
}

TEST(MultiBlockSamplerTest, DeterministicAcrossRunsResumeAndRanks) {
  const MultiBlockSampler a = MakeSampler("", 14, 14);
  const MultiBlockSampler b = MakeSampler("", 14, 14);
  // A run that goes through batches 0..9 of epoch 3, and a resumed one that starts at batch 6
  // with a fresh sampler, see the same masks.
  std::vector<BatchMasks> run;
  for (int i = 0; i < 10; ++i) run.push_back(a.Sample(8, 42, 3, i, 1));
  for (int i = 6; i < 10; ++i) {
    const BatchMasks resumed = b.Sample(8, 42, 3, i, 1);
    EXPECT_EQ(resumed.context, run[i].context) << i;
    EXPECT_EQ(resumed.targets, run[i].targets) << i;
  }
  // Each key component changes the masks.
  const BatchMasks base = a.Sample(8, 42, 3, 5, 1);
  EXPECT_NE(a.Sample(8, 43, 3, 5, 1).targets, base.targets);
  EXPECT_NE(a.Sample(8, 42, 4, 5, 1).targets, base.targets);
  EXPECT_NE(a.Sample(8, 42, 3, 6, 1).targets, base.targets);
  EXPECT_NE(a.Sample(8, 42, 3, 5, 0).targets, base.targets);
  // Block sizes are shared by every rank of a step; positions are not.
  for (int i = 0; i < 50; ++i) {
    const BatchMasks r0 = a.Sample(4, 42, 3, i, 0), r1 = a.Sample(4, 42, 3, i, 1);
    EXPECT_EQ(r0.targets[0][0].size(), r1.targets[0][0].size());
    EXPECT_EQ(BoundingBox(r0.targets[0][0], 14).h, BoundingBox(r1.targets[0][0], 14).h);
  }
}

TEST(MultiBlockSamplerTest, FactoryBuildsTheSameSampler) {
  absl::StatusOr<std::unique_ptr<MaskSampler>> sampler = CreateMaskSampler(MaskConfig(), 14, 14);
  ASSERT_TRUE(sampler.ok()) << sampler.status();
  EXPECT_EQ((*sampler)->grid_h(), 14);
  const MultiBlockSampler direct = MakeSampler("", 14, 14);
  EXPECT_EQ((*sampler)->Sample(8, 1, 2, 3, 0).context, direct.Sample(8, 1, 2, 3, 0).context);
  EXPECT_TRUE((*sampler)->Sample(0, 1, 2, 3, 0).context[0].empty());
}

}  // namespace
}  // namespace ijepa::masking
