#include "ijepa/data/image_decoder.h"

#include <cmath>
#include <cstdlib>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ijepa/data/test_util.h"

namespace ijepa::data {
namespace {

using ::testing::HasSubstr;

double MeanAbsDiff(const Image& a, const Image& b) {
  double sum = 0;
  for (size_t i = 0; i < a.pixels.size(); ++i) sum += std::abs(int{a.pixels[i]} - int{b.pixels[i]});
  return sum / a.pixels.size();
}

TEST(ImageDecoderTest, JpegRoundTripRgbAndGrey) {
  const Image rgb = testing::PatternImage(37, 53, 3, 1);
  auto decoded = DecodeImage(testing::EncodeJpeg(rgb, 95), "a.jpg");
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->height, 37);
  EXPECT_EQ(decoded->width, 53);
  EXPECT_EQ(decoded->channels, 3);
  EXPECT_LT(MeanAbsDiff(*decoded, rgb), 4.0);

  const Image grey = testing::PatternImage(20, 30, 1, 2);
  auto decoded_grey = DecodeJpeg(testing::EncodeJpeg(grey, 95), "g.jpg");
  ASSERT_TRUE(decoded_grey.ok());
  EXPECT_EQ(decoded_grey->channels, 1);
  EXPECT_LT(MeanAbsDiff(*decoded_grey, grey), 4.0);
}

TEST(ImageDecoderTest, ScaledJpegDecodeReportsOriginalSizeAndShrinks) {
  const Image rgb = testing::PatternImage(375, 500, 3, 3);
  int seen_h = 0, seen_w = 0;
  auto decoded = DecodeJpeg(testing::EncodeJpeg(rgb), "s.jpg", [&](int h, int w) {
    seen_h = h, seen_w = w;
    return 4;
  });
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(seen_h, 375);
  EXPECT_EQ(seen_w, 500);
  EXPECT_EQ(decoded->height, 94);  // ceil(375 / 4)
  EXPECT_EQ(decoded->width, 125);
}

TEST(ImageDecoderTest, PngRoundTripIsExactAndAlphaIsDropped) {
  const Image rgb = testing::PatternImage(17, 23, 3, 4);
  auto decoded = DecodeImage(testing::EncodePng(rgb), "a.png");
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->pixels, rgb.pixels);

  const Image grey = testing::PatternImage(9, 11, 1, 5);
  auto decoded_grey = DecodePng(testing::EncodePng(grey), "g.png");
  ASSERT_TRUE(decoded_grey.ok());
  EXPECT_EQ(decoded_grey->channels, 1);
  EXPECT_EQ(decoded_grey->pixels, grey.pixels);

  // Fully transparent pixels keep their colour (PIL's convert("RGB") drops alpha, no compositing).
  Image rgba = testing::ConstantImage(4, 4, {200, 100, 50, 0});
  auto decoded_rgba = DecodePng(testing::EncodePng(rgba), "t.png");
  ASSERT_TRUE(decoded_rgba.ok());
  EXPECT_EQ(decoded_rgba->channels, 3);
  EXPECT_EQ(decoded_rgba->at(2, 2, 0), 200);
  EXPECT_EQ(decoded_rgba->at(2, 2, 2), 50);
}

TEST(ImageDecoderTest, TruncatedJpegIsDataLossNamingTheFile) {
  const std::string jpeg = testing::EncodeJpeg(testing::PatternImage(64, 64, 3, 6));
  auto decoded = DecodeImage(jpeg.substr(0, jpeg.size() / 2), "/data/cut.jpg");
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(decoded.status().message(), HasSubstr("/data/cut.jpg: truncated JPEG"));
}

TEST(ImageDecoderTest, TruncatedPngAndGarbageAreErrors) {
  const std::string png = testing::EncodePng(testing::PatternImage(64, 64, 3, 7));
  auto cut = DecodeImage(png.substr(0, png.size() / 2), "/data/cut.png");
  ASSERT_FALSE(cut.ok());
  EXPECT_THAT(cut.status().message(), HasSubstr("/data/cut.png"));

  auto garbage = DecodeImage("this is not an image", "notes.jpg");
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(garbage.status().message(), HasSubstr("notes.jpg: not a JPEG or PNG file"));

  std::string corrupt = testing::EncodeJpeg(testing::PatternImage(32, 32, 3, 8));
  for (size_t i = 2; i < 200 && i < corrupt.size(); ++i) corrupt[i] = static_cast<char>(i * 31);
  EXPECT_FALSE(DecodeImage(corrupt, "c.jpg").ok());
}

TEST(ImageDecoderTest, HugeDeclaredSizeIsRejectedBeforeAllocation) {
  std::string jpeg = testing::EncodeJpeg(testing::PatternImage(16, 16, 1, 9));
  // Patch the SOF0 frame size to 60000 x 60000.
  const size_t sof = jpeg.find("\xFF\xC0");
  ASSERT_NE(sof, std::string::npos);
  jpeg[sof + 5] = static_cast<char>(0xEA), jpeg[sof + 6] = 0x60;
  jpeg[sof + 7] = static_cast<char>(0xEA), jpeg[sof + 8] = 0x60;
  auto decoded = DecodeJpeg(jpeg, "big.jpg");
  ASSERT_FALSE(decoded.ok());
  EXPECT_THAT(decoded.status().message(), HasSubstr("60000x60000"));
}

}  // namespace
}  // namespace ijepa::data
