#include "ijepa/eval/linear_classifier.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <c10/util/Exception.h>
#include <torch/csrc/autograd/grad_mode.h>

namespace ijepa::eval {

LinearClassifierImpl::LinearClassifierImpl(const LinearClassifierOptions& options)
    : options_(options) {
  TORCH_CHECK(options.in_features > 0, "LinearClassifier: in_features must be > 0, got ",
              options.in_features);
  TORCH_CHECK(options.num_classes > 1, "LinearClassifier: num_classes must be > 1, got ",
              options.num_classes);
  if (options.batch_norm) {
    bn_ = register_module(
        "bn", torch::nn::BatchNorm1d(torch::nn::BatchNorm1dOptions(options.in_features).affine(false)));
  }
  linear_ = register_module("linear", torch::nn::Linear(options.in_features, options.num_classes));
  at::NoGradGuard no_grad;
  at::Generator gen = at::detail::createCPUGenerator(options.seed);
  at::Tensor weight = at::empty(linear_->weight.sizes(), at::kFloat);
  weight.normal_(0.0, options.init_std, gen);
  linear_->weight.copy_(weight);
  linear_->bias.zero_();
}

at::Tensor LinearClassifierImpl::forward(const at::Tensor& features) {
  TORCH_CHECK(features.dim() == 2 && features.size(1) == options_.in_features,
              "LinearClassifier expects features [B, ", options_.in_features, "], got ",
              features.sizes());
  at::Tensor x = features;
  if (bn_) x = bn_->forward(x);
  return linear_->forward(x);
}

}  // namespace ijepa::eval
