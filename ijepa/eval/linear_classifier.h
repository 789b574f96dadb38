#pragma once

#include <cstdint>

#include <ATen/core/Tensor.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/linear.h>

#include "ijepa/eval/probe_head.h"

namespace ijepa::eval {

struct LinearClassifierOptions {
  int64_t in_features = 0;
  int64_t num_classes = 0;
  // BatchNorm1d without affine parameters before the linear layer (the VISSL/MAE recipe the
  // I-JEPA paper uses): standardizes features whose scales differ wildly between layers.
  bool batch_norm = true;
  // Weights ~ N(0, init_std), bias 0, drawn from a generator seeded with `seed` (reproducible
  // without touching LibTorch's global generator).
  double init_std = 0.01;
  uint64_t seed = 0;
};

// [B, D] -> [B, num_classes]. Submodule names: "bn" (when enabled), "linear".
class LinearClassifierImpl : public ProbeHeadImpl {
 public:
  explicit LinearClassifierImpl(const LinearClassifierOptions& options);
  at::Tensor forward(const at::Tensor& features) override;

  const LinearClassifierOptions& options() const { return options_; }

 private:
  LinearClassifierOptions options_;
  torch::nn::BatchNorm1d bn_{nullptr};
  torch::nn::Linear linear_{nullptr};
};

}  // namespace ijepa::eval
