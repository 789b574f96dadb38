// Runs a frozen encoder over a data set once and keeps the features, so probes can train for
// many epochs without touching the backbone again.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include "absl/status/statusor.h"
#include "ijepa/data/data.pb.h"
#include "ijepa/data/dataset.h"
#include "ijepa/data/transforms.h"
#include "ijepa/eval/pooling.h"
#include "ijepa/models/vision_transformer.h"

namespace ijepa::eval {

// What to keep from each image.
struct FeatureRequest {
  std::vector<PoolMode> pools;  // pooled encoder features (kMean / kLast4), one tensor each
  bool patches = false;         // the last block's per-patch features [N, T, D] (attentive probe)
  bool raw_pixels = false;      // the transformed image, flattened [N, C*H*W] (pixel baseline)
};

struct ExtractedFeatures {
  std::map<PoolMode, at::Tensor> pooled;  // float [N, D] or [N, 4D], CPU
  at::Tensor patches;                     // float [N, T, D], CPU, when requested
  at::Tensor raw_pixels;                  // float [N, C*H*W], CPU, when requested
  at::Tensor labels;                      // int64 [N], CPU
  std::vector<int64_t> indices;           // data set index of every row (the requested order)
  double seconds = 0.0;                   // wall time of decoding + encoding
};

struct ExtractOptions {
  int64_t batch_size = 256;  // images per encoder forward
  int num_workers = 2;       // decode threads
  c10::Device device = c10::Device(c10::kCPU);
};

// Puts the encoder in eval mode (restored afterwards) and runs it under no-grad on `indices` of
// `dataset` (in that order), batched; every requested pooling comes from the same pass
// (ForwardLastBlocks with the largest k needed). `encoder` may be null only when the request
// asks for raw pixels alone. An unreadable image is an error (features must match labels).
// The encoder's parameters are neither changed nor given gradients.
absl::StatusOr<ExtractedFeatures> ExtractFeatures(models::VisionTransformerImpl* encoder,
                                                  std::shared_ptr<const data::Dataset> dataset,
                                                  const std::vector<int64_t>& indices,
                                                  std::shared_ptr<const data::Transform> transform,
                                                  const FeatureRequest& request,
                                                  const ExtractOptions& options);

// The evaluation transform for `config` (normalisation, channels, crop_size = model input).
// Images already at the input size are used as they are: when image 0 of `probe` is
// crop_size x crop_size, the resize step is crop_size (an identity on such images) instead of
// the usual crop_size / 0.875 resize + center crop.
absl::StatusOr<std::shared_ptr<const data::Transform>> MakeEvalTransform(const data::DataConfig& config,
                                                                         const data::Dataset& probe);

}  // namespace ijepa::eval
