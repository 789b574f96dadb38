#pragma once

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>

namespace ijepa::eval {

// A trainable classifier on frozen features (linear or attentive). Maps features [B, ...] to
// logits [B, num_classes]; the probe trainer only needs this and the module's parameters.
class ProbeHeadImpl : public torch::nn::Module {
 public:
  virtual at::Tensor forward(const at::Tensor& features) = 0;
};

}  // namespace ijepa::eval
