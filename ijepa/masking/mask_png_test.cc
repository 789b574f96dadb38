#include "ijepa/masking/mask_png.h"

#include <fstream>
#include <iterator>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ijepa::masking {
namespace {

// 2x3 grid, one image: patch 0 context, patch 1 target 0, patch 4 target 1, patch 5 both.
BatchMasks Example() {
  BatchMasks m;
  m.context = {{{0, 5}}};
  m.targets = {{{1}}, {{4, 5}}};
  return m;
}

TEST(MaskPngTest, RenderColoursEachPatch) {
  RenderOptions options;
  options.cell = 8;
  options.gap = 2;
  const RgbImage img = RenderMasks(Example(), 2, 3, options);
  EXPECT_EQ(img.width, 3 * 8 + 2 * 2);
  EXPECT_EQ(img.height, 2 * 8 + 2 * 2);
  auto centre = [&](int patch) { return img.At(2 + (patch % 3) * 8 + 4, 2 + (patch / 3) * 8 + 4); };
  const auto context = centre(0), t0 = centre(1), none = centre(2), t1 = centre(4), both = centre(5);
  // Context is bluish, target 0 reddish, target 1 orange, the rest dimmed grey.
  EXPECT_GT(context[2], context[0]);
  EXPECT_GT(t0[0], t0[2]);
  EXPECT_GT(t1[1], t1[2]);
  EXPECT_GT(t1[0], t1[2]);
  EXPECT_NE(t0, t1);
  EXPECT_EQ(none[0], none[1]);
  EXPECT_LT(none[0], 150);
  // Target over context: target colour inside, context colour on the frame.
  EXPECT_EQ(both, t1);
  const auto frame = img.At(2 + 2 * 8 + 7, 2 + 8 + 3);
  EXPECT_EQ(frame, kContextColour);
  // The gap stays white.
  EXPECT_EQ(img.At(0, 0), (std::array<uint8_t, 3>{255, 255, 255}));
}

TEST(MaskPngTest, BackgroundShowsThrough) {
  RgbImage bg{1, 1, {0, 0, 255}};
  RenderOptions options;
  options.cell = 8;
  const RgbImage plain = RenderMasks(Example(), 2, 3, options);
  options.background = &bg;
  const RgbImage over = RenderMasks(Example(), 2, 3, options);
  const int x = options.gap + 2 * 8 + 4, y = options.gap + 4;  // patch 2: no mask
  EXPECT_EQ(over.At(x, y), (std::array<uint8_t, 3>{0, 0, 127}));
  EXPECT_NE(over.At(x, y), plain.At(x, y));
}

TEST(MaskPngTest, WriteThenReadRoundTrips) {
  RenderOptions options;
  options.cell = 5;
  const RgbImage img = RenderMasks(Example(), 2, 3, options);
  const std::string path = std::string(::testing::TempDir()) + "/masks.png";
  ASSERT_TRUE(WritePng(path, img).ok());
  absl::StatusOr<RgbImage> back = ReadPng(path);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->width, img.width);
  EXPECT_EQ(back->height, img.height);
  EXPECT_EQ(back->pixels, img.pixels);
}

TEST(MaskPngTest, ReadErrorsNameTheFile) {
  absl::StatusOr<RgbImage> img = ReadPng("/nonexistent/picture.png");
  ASSERT_FALSE(img.ok());
  EXPECT_THAT(std::string(img.status().message()), ::testing::HasSubstr("/nonexistent/picture.png"));
}

uint32_t Crc32(const std::string& bytes) {
  uint32_t crc = 0xffffffffu;
  for (unsigned char b : bytes) {
    crc ^= b;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

void PutBe32(std::string& s, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) s[at + i] = static_cast<char>((v >> (24 - 8 * i)) & 0xff);
}

TEST(MaskPngTest, RefusesImagesAboveThePixelLimitBeforeAllocating) {
  // A valid 1x1 PNG whose header then claims 100000 x 100000 (10^10 pixels, 30 GB of RGB).
  const std::string path = std::string(::testing::TempDir()) + "/bomb.png";
  ASSERT_TRUE(WritePng(path, RgbImage{1, 1, {1, 2, 3}}).ok());
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  ASSERT_EQ(bytes.substr(12, 4), "IHDR");
  PutBe32(bytes, 16, 100000);
  PutBe32(bytes, 20, 100000);
  PutBe32(bytes, 29, Crc32(bytes.substr(12, 17)));
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  absl::StatusOr<RgbImage> img = ReadPng(path);
  ASSERT_FALSE(img.ok());
  EXPECT_THAT(std::string(img.status().message()),
              ::testing::HasSubstr("PNG " + path + " is 100000x100000 = 10000000000 pixels; expected 1 to 89478485"));
}

TEST(MaskPngTest, AFolderIsNotAnImage) {
  absl::StatusOr<RgbImage> img = ReadPng(::testing::TempDir());
  ASSERT_FALSE(img.ok());
  EXPECT_THAT(std::string(img.status().message()), ::testing::HasSubstr("a directory, not a regular file"));
}

}  // namespace
}  // namespace ijepa::masking
