#pragma once

#include <cstdint>

#include <ATen/core/Tensor.h>

namespace ijepa::eval {

// A cached feature set: what a probe trains on instead of images.
struct LabeledFeatures {
  // float [N, D] (pooled) or [N, T, D] (per-patch, for the attentive probe).
  at::Tensor features;
  // int64 [N], class ids in [0, num_classes).
  at::Tensor labels;

  int64_t size() const { return labels.defined() ? labels.size(0) : 0; }
};

// Top-k accuracies in percent over `count` examples. top5 is top-min(5, num_classes).
struct Accuracy {
  double top1 = 0.0;
  double top5 = 0.0;
  int64_t count = 0;
};

}  // namespace ijepa::eval
