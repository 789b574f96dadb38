// Loads a real-size I-JEPA checkpoint into the C++ models: run by hand on an official download
// (or on tools/make_checkpoint_fixtures.py --big output); skipped when no file is given.
//
//   bazel build -c opt //ijepa/checkpoint:official_checkpoint_test
//   IJEPA_OFFICIAL_CHECKPOINT=IN1K-vit.h.14-300e.pth.tar IJEPA_OFFICIAL_MODEL=vit_huge:14:224:12 \
//     bazel-bin/ijepa/checkpoint/official_checkpoint_test
//
// IJEPA_OFFICIAL_MODEL is size:patch_size:img_size:pred_depth (predictor width 384, as released).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "ijepa/checkpoint/model_checkpoint.h"
#include "ijepa/checkpoint/torch_file.h"

namespace ijepa::checkpoint {
namespace {

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

TEST(OfficialCheckpointTest, LoadsEncodersAndPredictorStrictly) {
  const char* path = std::getenv("IJEPA_OFFICIAL_CHECKPOINT");
  const char* model = std::getenv("IJEPA_OFFICIAL_MODEL");
  if (path == nullptr || model == nullptr) {
    GTEST_SKIP() << "set IJEPA_OFFICIAL_CHECKPOINT and IJEPA_OFFICIAL_MODEL (e.g. vit_huge:14:224:12)";
  }
  const std::vector<std::string> f = absl::StrSplit(model, ':');
  ASSERT_EQ(f.size(), 4u) << "IJEPA_OFFICIAL_MODEL is size:patch_size:img_size:pred_depth";
  int64_t patch, img, pred_depth;
  ASSERT_TRUE(absl::SimpleAtoi(f[1], &patch) && absl::SimpleAtoi(f[2], &img) && absl::SimpleAtoi(f[3], &pred_depth));
  auto options = models::NamedVisionTransformer(f[0], patch, img, 3);
  ASSERT_TRUE(options.ok()) << options.status();

  auto start = std::chrono::steady_clock::now();
  auto checkpoint = ReadTorchFile(path);
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.status();
  std::printf("ReadTorchFile: %.1f s\n", Seconds(start));

  start = std::chrono::steady_clock::now();
  models::VisionTransformer encoder(*options);
  std::printf("construct encoder: %.1f s\n", Seconds(start));
  for (EncoderSource which : {EncoderSource::kTargetEncoder, EncoderSource::kEncoder}) {
    start = std::chrono::steady_clock::now();
    const absl::Status s = LoadEncoderFromCheckpoint(*checkpoint, path, *encoder, which, /*strict=*/true);
    ASSERT_TRUE(s.ok()) << s;
    std::printf("load %s: %.1f s\n", EncoderSourceKey(which), Seconds(start));
  }
  models::VisionTransformerPredictor predictor(models::PredictorForEncoder(*options, 384, pred_depth));
  const absl::Status p = LoadPredictorFromCheckpoint(*checkpoint, path, *predictor, /*strict=*/true);
  ASSERT_TRUE(p.ok()) << p;

  torch::NoGradGuard no_grad;
  start = std::chrono::steady_clock::now();
  const torch::Tensor features = encoder->forward(torch::zeros({1, 3, img, img}));
  std::printf("forward 1 image: %.1f s\n", Seconds(start));
  EXPECT_EQ(features.sizes(), torch::IntArrayRef({1, (img / patch) * (img / patch), options->embed_dim}));
  EXPECT_TRUE(torch::isfinite(features).all().item<bool>());
}

}  // namespace
}  // namespace ijepa::checkpoint
