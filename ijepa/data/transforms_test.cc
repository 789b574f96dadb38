#include "ijepa/data/transforms.h"

#include <cmath>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ijepa/data/resample.h"
#include "ijepa/data/test_util.h"

namespace ijepa::data {
namespace {

TEST(RandomResizedCropTest, CropsLieInsideAndFollowScaleAndRatio) {
  // 500x375 (w x h): for scale <= 0.5625 every ratio in [3/4, 4/3] fits, so conditional on
  // that range the scale is uniform and the log-ratio symmetric around 0.
  const int height = 375, width = 500;
  const double area = height * width;
  int small = 0, wide = 0;
  double small_scale_sum = 0;
  for (int i = 0; i < 20000; ++i) {
    SampleRng rng(1, 0, i);
    const auto [top, left, h, w] = Transform::RandomResizedCropBox(height, width, 0.3, 1.0, 3.0 / 4, 4.0 / 3, rng);
    ASSERT_GE(top, 0);
    ASSERT_GE(left, 0);
    ASSERT_LE(top + h, height);
    ASSERT_LE(left + w, width);
    const double scale = h * w / area;
    const double ratio = static_cast<double>(w) / h;
    // Rounding w and h to integers moves scale and ratio by well under 1%.
    ASSERT_GE(scale, 0.3 * 0.99);
    ASSERT_LE(scale, 1.0);
    ASSERT_GE(ratio, 0.75 * 0.99);
    ASSERT_LE(ratio, 4.0 / 3 * 1.01);
    if (scale < 0.5) {
      ++small;
      small_scale_sum += scale;
      wide += ratio > 1.0;
    }
  }
  ASSERT_GT(small, 3000);
  EXPECT_NEAR(small_scale_sum / small, 0.4, 0.005);
  EXPECT_NEAR(static_cast<double>(wide) / small, 0.5, 0.03);
}

TEST(RandomResizedCropTest, FallsBackToCenterCropAsTorchvision) {
  SampleRng rng(0, 0, 0);
  // A 10x1000 strip cannot hold any crop of ratio <= 4/3 and >= 90% of the area.
  auto box = Transform::RandomResizedCropBox(10, 1000, 0.9, 1.0, 3.0 / 4, 4.0 / 3, rng);
  // in_ratio 100 > 4/3: h = 10, w = round(10 * 4/3) = 13, centered.
  EXPECT_EQ(box, (std::array<int, 4>{0, (1000 - 13) / 2, 10, 13}));
  box = Transform::RandomResizedCropBox(1000, 10, 0.9, 1.0, 3.0 / 4, 4.0 / 3, rng);
  EXPECT_EQ(box, (std::array<int, 4>{(1000 - 13) / 2, 0, 13, 10}));  // w / (3/4) = 13.33 -> 13
}

TEST(TransformTest, NormalizationValuesForGreyAndRgb) {
  TransformOptions options;
  options.crop_size = 8;
  Transform transform(options);
  std::vector<float> out(transform.output_size());
  // Grey 100 repeated to three channels, each normalised with its own mean and std.
  transform.Run(testing::ConstantImage(20, 30, {100}), 0, 0, 0, out.data());
  const float v = 100.0f / 255.0f;
  for (int c = 0; c < 3; ++c) {
    for (int i = 0; i < 64; ++i) {
      ASSERT_NEAR(out[c * 64 + i], (v - options.mean[c]) / options.std[c], 1e-5) << c;
    }
  }
  transform.Run(testing::ConstantImage(20, 30, {0, 128, 255}), 0, 0, 0, out.data());
  EXPECT_NEAR(out[0], (0.0f - 0.485f) / 0.229f, 1e-5);
  EXPECT_NEAR(out[64], (128.0f / 255 - 0.456f) / 0.224f, 1e-5);
  EXPECT_NEAR(out[128 + 63], (1.0f - 0.406f) / 0.225f, 1e-5);

  // One output channel from RGB: PIL's luma, Fashion-MNIST stats.
  options.channels = 1;
  options.mean = {0.2860f};
  options.std = {0.3530f};
  Transform grey(options);
  std::vector<float> one(grey.output_size());
  grey.Run(testing::ConstantImage(9, 9, {10, 200, 40}), 0, 0, 0, one.data());
  EXPECT_NEAR(one[5], (PilLuma(10, 200, 40) / 255.0f - 0.2860f) / 0.3530f, 1e-5);
}

TEST(TransformTest, EvalResizeThenCenterCropMatchesTorchvisionGeometry) {
  TransformOptions options;
  options.mode = TransformOptions::Mode::kResizeCenterCrop;
  options.crop_size = 224;
  options.resize_size = 256;
  Transform transform(options);
  SampleRng rng(0, 0, 0);
  const TransformParams p = transform.Sample(300, 400, rng);
  EXPECT_EQ(p.height, 256);
  EXPECT_EQ(p.width, 341);  // int(256 * 400 / 300)
  EXPECT_EQ(p.top, 16);
  EXPECT_EQ(p.left, 58);  // round(58.5) = 58 (half to even, as Python)

  // Resizing a 256-high image to 256 is the identity: the output is the exact center window.
  const Image image = testing::PatternImage(256, 300, 3, 3);
  std::vector<float> out(transform.output_size());
  transform.Run(image, 0, 0, 0, out.data());
  const int top = 16, left = 38;
  for (int c = 0; c < 3; ++c) {
    for (int y = 0; y < 224; y += 37) {
      for (int x = 0; x < 224; x += 41) {
        const float expected = (image.at(top + y, left + x, c) / 255.0f - options.mean[c]) / options.std[c];
        ASSERT_NEAR(out[(c * 224 + y) * 224 + x], expected, 1e-4) << c << " " << y << " " << x;
      }
    }
  }
}

TEST(TransformTest, DownscaleByTwoAveragesPixelPairs) {
  // PIL's bilinear (triangle) filter on an exact 2x shrink averages 2x2 blocks... with a
  // support of 2 source pixels: weights 1/8, 3/8, 3/8, 1/8 per axis.
  Image image = testing::ConstantImage(4, 8, {0});
  for (int y = 0; y < 4; ++y) {
    for (int x = 0; x < 8; ++x) image.pixels[y * 8 + x] = static_cast<uint8_t>(x * 10);
  }
  const std::vector<float> out = ResampleBilinear(image, Box{0, 0, 8, 4}, 4, 2, 0, 0, 4, 2, false);
  // Output column 1 centres on source x = 3: (1*10 + 3*20 + 3*30 + 1*40) / 8 = 25.
  EXPECT_NEAR(out[1] * 255, 25.0, 1e-3);
  // Column 0 at the edge: taps x = 0, 1, 2 with weights 3, 3, 1 (renormalised).
  EXPECT_NEAR(out[0] * 255, (3 * 0 + 3 * 10 + 1 * 20) / 7.0, 1e-3);
}

TEST(TransformTest, SameSeedEpochIndexGiveSameOutputOthersDiffer) {
  TransformOptions options;
  options.crop_size = 32;
  options.horizontal_flip = options.color_distortion = options.gaussian_blur = true;
  options.color_jitter_strength = 1.0;
  Transform transform(options);
  const Image image = testing::PatternImage(60, 80, 3, 4);
  std::vector<float> a(transform.output_size()), b(a.size()), c(a.size()), d(a.size());
  transform.Run(image, 5, 2, 17, a.data());
  transform.Run(image, 5, 2, 17, b.data());
  transform.Run(image, 5, 2, 18, c.data());
  transform.Run(image, 5, 3, 17, d.data());
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_NE(a, d);
}

TEST(TransformTest, FlipGreyscaleAndBrightnessParams) {
  TransformOptions options;
  options.crop_size = 16;
  options.mean = {0, 0, 0};
  options.std = {1, 1, 1};
  Transform transform(options);
  const Image image = testing::PatternImage(16, 16, 3, 5);
  TransformParams p;
  p.original_height = p.original_width = p.height = p.width = 16;
  std::vector<float> plain(transform.output_size()), flipped(plain.size()), grey(plain.size()), dark(plain.size());
  transform.Apply(image, p, plain.data());
  // Identity geometry: the output is the image scaled to [0, 1].
  EXPECT_NEAR(plain[3 * 16 + 5], image.at(3, 5, 0) / 255.0f, 1e-5);
  TransformParams q = p;
  q.flip = true;
  transform.Apply(image, q, flipped.data());
  EXPECT_FLOAT_EQ(flipped[16 * 16 + 2 * 16 + 0], plain[16 * 16 + 2 * 16 + 15]);
  q = p;
  q.grayscale = true;
  transform.Apply(image, q, grey.data());
  EXPECT_FLOAT_EQ(grey[7], grey[256 + 7]);
  EXPECT_NEAR(grey[7], 0.2989f * plain[7] + 0.587f * plain[256 + 7] + 0.114f * plain[512 + 7], 1e-5);
  q = p;
  q.jitter = true;
  q.brightness = 0.5;
  transform.Apply(image, q, dark.data());
  EXPECT_NEAR(dark[100], plain[100] * 0.5f, 1e-6);
}

TEST(TransformTest, MaxDownscaleKeepsCropAtOutputResolution) {
  TransformOptions options;
  options.crop_size = 100;
  Transform transform(options);
  TransformParams p;
  p.original_height = 500, p.original_width = 500, p.height = 400, p.width = 450;
  EXPECT_EQ(transform.MaxDownscale(p), 4);  // 400 / 4 = 100 >= 100; 400 / 8 = 50 < 100
  p.height = 150;
  EXPECT_EQ(transform.MaxDownscale(p), 1);
  options.allow_scaled_decode = false;
  p.height = 400;
  EXPECT_EQ(Transform(options).MaxDownscale(p), 1);
}

TEST(TransformTest, ValidationNamesTheOption) {
  TransformOptions options;
  options.scale_min = 0;
  EXPECT_THAT(std::string(ValidateTransformOptions(options).message()), ::testing::HasSubstr("crop_scale"));
  options = TransformOptions();
  options.channels = 1;
  EXPECT_THAT(std::string(ValidateTransformOptions(options).message()), ::testing::HasSubstr("expected 1 of each"));
  EXPECT_TRUE(ValidateTransformOptions(TransformOptions()).ok());
}

}  // namespace
}  // namespace ijepa::data
