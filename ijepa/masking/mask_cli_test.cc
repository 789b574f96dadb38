#include "ijepa/masking/mask_cli.h"

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ijepa::masking {
namespace {

using ::testing::HasSubstr;

std::string WriteTemp(const std::string& name, const std::string& text) {
  const std::string path = std::string(::testing::TempDir()) + "/" + name;
  std::ofstream(path) << text;
  return path;
}

TEST(MaskCliTest, JsonIsPerImage) {
  BatchMasks masks;
  masks.context = {{{0, 1}, {2, 3}}};                    // 1 context mask, 2 images
  masks.targets = {{{4}, {5}}, {{6}, {7}}, {{8}, {9}}};  // 3 targets
  EXPECT_EQ(BatchMasksToJson(masks),
            R"({"context": [[0, 1], [2, 3]], "targets": [[[4], [6], [8]], [[5], [7], [9]]]})");
  masks.context.push_back({{10}, {11}});
  EXPECT_THAT(BatchMasksToJson(masks), HasSubstr(R"("context": [[[0, 1], [10]], [[2, 3], [11]]])"));
}

TEST(MaskCliTest, ParseGrid) {
  absl::StatusOr<PatchGrid> grid = ParseGrid("12x18", "grid");
  ASSERT_TRUE(grid.ok());
  EXPECT_EQ(grid->height, 12);
  EXPECT_EQ(grid->width, 18);
  for (const char* bad : {"14", "14x", "x14", "0x14", "14x14x1", "ax3"}) {
    grid = ParseGrid(bad, "grid");
    ASSERT_FALSE(grid.ok()) << bad;
    EXPECT_THAT(std::string(grid.status().message()), HasSubstr("--grid"));
  }
}

TEST(MaskCliTest, ReadsConfigAndReportsFileErrors) {
  absl::StatusOr<MaskConfig> config =
      ReadMaskConfigFile(WriteTemp("ok.pbtxt", "num_pred_masks: 2\nmin_keep: 4\n"));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->num_pred_masks(), 2);
  EXPECT_TRUE(ReadMaskConfigFile("").ok());
  config = ReadMaskConfigFile("/nonexistent/mask.pbtxt");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()), HasSubstr("/nonexistent/mask.pbtxt"));
  const std::string bad = WriteTemp("bad.pbtxt", "min_keep: 4\nnum_pred_mask: 2\n");
  config = ReadMaskConfigFile(bad);
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()), HasSubstr(bad));
  // The project's one text-proto reader (//ijepa/common:text_proto): type, file, line:column.
  EXPECT_THAT(std::string(config.status().message()), HasSubstr("MaskConfig"));
  EXPECT_THAT(std::string(config.status().message()), HasSubstr(": 2:"));
  EXPECT_THAT(std::string(config.status().message()), HasSubstr("num_pred_mask"));
}

std::vector<std::string> Lines(const std::string& text) {
  return absl::StrSplit(text, '\n', absl::SkipEmpty());
}

TEST(MaskCliTest, WritesOneLinePerBatchAndHonoursOfficial) {
  SampleMasksArgs args;
  args.grid = PatchGrid{6, 6};
  args.config.set_min_keep(2);
  args.batch_size = 3;
  args.batches = 40;
  std::ostringstream fixed_out, official_out;
  ASSERT_TRUE(WriteSampledMasks(args, fixed_out).ok());
  args.official = true;
  ASSERT_TRUE(WriteSampledMasks(args, official_out).ok());
  const std::vector<std::string> fixed = Lines(fixed_out.str());
  ASSERT_EQ(fixed.size(), 40u);
  EXPECT_EQ(fixed[0].rfind("{\"context\": [[", 0), 0u) << fixed[0];
  // Patch 35 (last row, last column) is reachable only with the fixes on.
  EXPECT_THAT(fixed_out.str(), HasSubstr(", 35]"));
  EXPECT_THAT(official_out.str(), ::testing::Not(HasSubstr("35")));
  // The same batch from a resumed invocation is the same line.
  args.official = false;
  args.start_batch = 7;
  args.batches = 1;
  std::ostringstream resumed;
  ASSERT_TRUE(WriteSampledMasks(args, resumed).ok());
  EXPECT_EQ(Lines(resumed.str())[0], fixed[7]);
}

TEST(MaskCliTest, Errors) {
  SampleMasksArgs args;
  args.grid = PatchGrid{14, 14};
  args.batches = 1;
  std::ostringstream out;
  EXPECT_THAT(std::string(WriteSampledMasks(args, out).message()), HasSubstr("--batch"));
  // A billion images used to be sampled (and held) until memory ran out.
  args.batch_size = 1000000000;
  EXPECT_THAT(std::string(WriteSampledMasks(args, out).message()),
              HasSubstr("--batch must be <= 65536 images, got 1000000000"));
  args.batch_size = 2;
  args.config.set_min_keep(100);
  EXPECT_THAT(std::string(WriteSampledMasks(args, out).message()), HasSubstr("min_keep"));
  args.config.set_min_keep(10);
  args.config.set_fix_random_truncation(true);
  args.official = true;
  EXPECT_THAT(std::string(WriteSampledMasks(args, out).message()),
              HasSubstr("fix_random_truncation"));
  EXPECT_TRUE(out.str().empty());
}

}  // namespace
}  // namespace ijepa::masking
