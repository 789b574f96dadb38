#include "ijepa/masking/mask_options.h"

#include <chrono>
#include <limits>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ijepa/masking/mask_sampler.h"
#include "ijepa/masking/mask_test_util.h"

namespace ijepa::masking {
namespace {

using ::ijepa::masking::testing::ParseConfig;
using ::testing::HasSubstr;

TEST(MaskOptionsTest, EmptyConfigGivesOfficialYamlDefaultsWithEveryFixOn) {
  absl::StatusOr<MaskOptions> options = MaskOptionsFromProto(MaskConfig());
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->strategy, MaskStrategy::kMultiBlock);
  EXPECT_EQ(options->patch_size, 16);
  EXPECT_EQ(options->num_enc_masks, 1);
  EXPECT_EQ(options->num_pred_masks, 4);
  EXPECT_DOUBLE_EQ(options->enc_mask_scale.min, 0.85);
  EXPECT_DOUBLE_EQ(options->enc_mask_scale.max, 1.0);
  EXPECT_DOUBLE_EQ(options->pred_mask_scale.min, 0.15);
  EXPECT_DOUBLE_EQ(options->pred_mask_scale.max, 0.2);
  EXPECT_DOUBLE_EQ(options->aspect_ratio.min, 0.75);
  EXPECT_DOUBLE_EQ(options->aspect_ratio.max, 1.5);
  EXPECT_EQ(options->min_keep, 10);
  EXPECT_FALSE(options->allow_overlap);
  EXPECT_TRUE(options->fixes == MaskFixes());
  EXPECT_TRUE(options->fixes.last_row_col && options->fixes.full_grid_blocks &&
              options->fixes.independent_scale_aspect && options->fixes.random_truncation);
}

TEST(MaskOptionsTest, ParsesEveryField) {
  absl::StatusOr<MaskOptions> options = MaskOptionsFromProto(ParseConfig(R"pb(
    patch_size: 14 num_enc_masks: 2 num_pred_masks: 3
    enc_mask_scale: [0.5, 0.9] pred_mask_scale: [0.1, 0.3] aspect_ratio: [0.5, 2.0]
    min_keep: 4 allow_overlap: true strategy: MULTI_BLOCK
    fix_last_row_col: true fix_full_grid_blocks: false fix_independent_scale_aspect: false
    fix_random_truncation: true
  )pb"));
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->patch_size, 14);
  EXPECT_EQ(options->num_enc_masks, 2);
  EXPECT_EQ(options->num_pred_masks, 3);
  EXPECT_DOUBLE_EQ(options->enc_mask_scale.min, 0.5);
  EXPECT_DOUBLE_EQ(options->pred_mask_scale.max, 0.3);
  EXPECT_DOUBLE_EQ(options->aspect_ratio.max, 2.0);
  EXPECT_EQ(options->min_keep, 4);
  EXPECT_TRUE(options->allow_overlap);
  EXPECT_TRUE(options->fixes.last_row_col);
  EXPECT_FALSE(options->fixes.full_grid_blocks);
  EXPECT_FALSE(options->fixes.independent_scale_aspect);
  EXPECT_TRUE(options->fixes.random_truncation);
}

TEST(MaskOptionsTest, OfficialBehaviorTurnsEveryFixOff) {
  absl::StatusOr<MaskOptions> options =
      MaskOptionsFromProto(ParseConfig("official_behavior: true"));
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_TRUE(options->fixes == MaskFixes::Official());
  // An explicit false agrees with it.
  EXPECT_TRUE(
      MaskOptionsFromProto(ParseConfig("official_behavior: true fix_last_row_col: false")).ok());
}

struct BadConfig {
  std::string text;
  std::string field;     // the field the error must name
  std::string expected;  // another fragment of the message
};

class BadConfigTest : public ::testing::TestWithParam<BadConfig> {};

TEST_P(BadConfigTest, ErrorNamesTheField) {
  absl::StatusOr<std::unique_ptr<MaskSampler>> sampler =
      CreateMaskSampler(ParseConfig(GetParam().text), 14, 14);
  ASSERT_FALSE(sampler.ok()) << GetParam().text;
  EXPECT_EQ(sampler.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(sampler.status().message()), HasSubstr(GetParam().field));
  EXPECT_THAT(std::string(sampler.status().message()), HasSubstr(GetParam().expected));
}

INSTANTIATE_TEST_SUITE_P(
    Errors, BadConfigTest,
    ::testing::Values(
        BadConfig{"pred_mask_scale: [0.0, 0.2]", "MaskConfig.pred_mask_scale", "0 < min"},
        BadConfig{"pred_mask_scale: [0.3, 0.2]", "MaskConfig.pred_mask_scale", "[0.3, 0.2]"},
        BadConfig{"enc_mask_scale: [0.85, 1.2]", "MaskConfig.enc_mask_scale", "max <= 1"},
        BadConfig{"enc_mask_scale: [0.85]", "MaskConfig.enc_mask_scale", "got 1 values [0.85]"},
        BadConfig{"aspect_ratio: [-1, 2]", "MaskConfig.aspect_ratio", "0 < min <= max"},
        BadConfig{"aspect_ratio: [nan, 2]", "MaskConfig.aspect_ratio", "0 < min <= max"},
        BadConfig{"num_pred_masks: 0", "MaskConfig.num_pred_masks", ">= 1"},
        BadConfig{"num_enc_masks: -1", "MaskConfig.num_enc_masks", ">= 1"},
        BadConfig{"patch_size: 0", "MaskConfig.patch_size", ">= 1"},
        BadConfig{"min_keep: -2", "MaskConfig.min_keep", ">= 0"},
        BadConfig{"strategy: STRATEGY_UNSPECIFIED", "MaskConfig.strategy", "MULTI_BLOCK"},
        // 14x14 * 0.15 = 29 patches per target block: min_keep 40 can never be met.
        BadConfig{"min_keep: 40", "MaskConfig.min_keep", "smallest target block"},
        BadConfig{"min_keep: 40 pred_mask_scale: [0.5, 0.6] enc_mask_scale: [0.1, 0.2]",
                  "MaskConfig.min_keep",
                  "smallest context block"},
        BadConfig{"official_behavior: true fix_random_truncation: true",
                  "MaskConfig.fix_random_truncation", "contradicts official_behavior"},
        BadConfig{"fix_last_row_col: false", "MaskConfig.fix_full_grid_blocks",
                  "requires fix_last_row_col"},
        BadConfig{"strategy: QUADRANTS", "MaskConfig.num_pred_masks", "expected 3"},
        BadConfig{"strategy: CENTER_BLOCK num_pred_masks: 2", "MaskConfig.num_pred_masks",
                  "expected 1"},
        BadConfig{"strategy: RANDOM_BLOCK allow_overlap: true", "MaskConfig.allow_overlap",
                  "only MULTI_BLOCK"},
        BadConfig{"strategy: RANDOM_PATCHES num_enc_masks: 2", "MaskConfig.num_enc_masks",
                  "expected 1"},
        // Five targets of up to 20% each may cover the whole grid: no context left.
        BadConfig{"strategy: RANDOM_PATCHES num_pred_masks: 5", "MaskConfig.pred_mask_scale",
                  "leaving a context"},
        // One centred block of up to 95% leaves no more than min_keep (10) of 196 patches.
        BadConfig{"strategy: CENTER_BLOCK num_pred_masks: 1 pred_mask_scale: [0.9, 0.95] "
                  "aspect_ratio: [1.0, 1.0]",
                  "MaskConfig.pred_mask_scale", "leaving a context"},
        BadConfig{"strategy: RANDOM_BLOCK pred_mask_scale: [0.5, 0.99] num_pred_masks: 2",
                  "MaskConfig.pred_mask_scale", "leaving a context"}));

TEST(MaskOptionsTest, GridErrors) {
  absl::StatusOr<std::unique_ptr<MaskSampler>> sampler = CreateMaskSampler(MaskConfig(), 0, 14);
  ASSERT_FALSE(sampler.ok());
  EXPECT_THAT(std::string(sampler.status().message()), HasSubstr("patch grid"));
  // Official blocks are at most (H-1)x(W-1): a one-row grid has none.
  sampler = CreateMaskSampler(ParseConfig("official_behavior: true min_keep: 0"), 1, 14);
  ASSERT_FALSE(sampler.ok());
  EXPECT_THAT(std::string(sampler.status().message()), HasSubstr("fix_full_grid_blocks"));
}

TEST(MaskOptionsTest, OptionsBuiltInCodeAreValidatedToo) {
  MaskOptions options;
  options.pred_mask_scale = Range{0.3, 0.2};
  absl::StatusOr<std::unique_ptr<MaskSampler>> sampler = CreateMaskSampler(options, 14, 14);
  ASSERT_FALSE(sampler.ok());
  EXPECT_THAT(std::string(sampler.status().message()), HasSubstr("MaskConfig.pred_mask_scale"));
  options = MaskOptions();
  options.aspect_ratio = Range{0.5, std::numeric_limits<double>::infinity()};
  EXPECT_THAT(std::string(CreateMaskSampler(options, 14, 14).status().message()),
              HasSubstr("MaskConfig.aspect_ratio"));
  options = MaskOptions();
  options.num_pred_masks = 0;
  EXPECT_THAT(std::string(CreateMaskSampler(options, 14, 14).status().message()),
              HasSubstr("MaskConfig.num_pred_masks"));
}

TEST(MaskOptionsTest, LargeGridsAreBoundedAndValidateQuickly) {
  EXPECT_THAT(std::string(CreateMaskSampler(MaskConfig(), 257, 256).status().message()),
              HasSubstr("at most 65536 patches"));
  // The widest ranges on the largest grid: validation enumerates block sizes, and must stay cheap.
  const auto start = std::chrono::steady_clock::now();
  MaskOptions options;
  options.pred_mask_scale = Range{0.001, 1.0};
  options.enc_mask_scale = Range{0.001, 1.0};
  options.aspect_ratio = Range{0.01, 100.0};
  options.min_keep = 0;
  options.num_pred_masks = 1;
  EXPECT_TRUE(ValidateMaskOptions(options, 256, 256).ok());
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(seconds, 10.0);  // ~0.8 s on a loaded 2-core machine; an O(n^2) regression is far slower
}

TEST(MaskOptionsTest, DefaultConfigIsValidOnCommonGrids) {
  for (int side : {14, 16, 7, 8}) {
    MaskConfig config = ParseConfig(side < 10 ? "min_keep: 4" : "");
    for (bool official : {false, true}) {
      config.set_official_behavior(official);
      EXPECT_TRUE(CreateMaskSampler(config, side, side).ok()) << side << " " << official;
    }
  }
}

TEST(MaskOptionsTest, PatchGridForImage) {
  absl::StatusOr<PatchGrid> grid = PatchGridForImage(224, 224, 14);
  ASSERT_TRUE(grid.ok());
  EXPECT_EQ(grid->height, 16);
  EXPECT_EQ(grid->width, 16);
  grid = PatchGridForImage(230, 28, 16);  // floored, as the official `crop_size // patch_size`
  ASSERT_TRUE(grid.ok());
  EXPECT_EQ(grid->height, 14);
  EXPECT_EQ(grid->width, 1);
  grid = PatchGridForImage(8, 28, 16);
  ASSERT_FALSE(grid.ok());
  EXPECT_THAT(std::string(grid.status().message()), HasSubstr("MaskConfig.patch_size"));
  EXPECT_FALSE(PatchGridForImage(28, 28, 0).ok());
}

}  // namespace
}  // namespace ijepa::masking
