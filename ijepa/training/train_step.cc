#include "ijepa/training/train_step.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "ijepa/common/torch_compat.h"
#include "ijepa/training/collapse_signals.h"
#include "ijepa/training/ema.h"

namespace ijepa::training {
namespace {

GradStats ComputeGradStats(const torch::nn::Module& encoder) {
  GradStats s;
  bool any = false, first_set = false;
  s.min = std::numeric_limits<double>::infinity();
  s.max = -std::numeric_limits<double>::infinity();
  for (const auto& item : encoder.named_parameters()) {
    const torch::Tensor& p = item.value();
    const std::string& n = item.key();
    if (!p.grad().defined() || p.dim() == 1 ||
        (n.size() >= 5 && n.compare(n.size() - 5, 5, ".bias") == 0)) {
      continue;
    }
    const double norm = p.grad().norm().item<double>();
    any = true;
    s.min = std::min(s.min, norm);
    s.max = std::max(s.max, norm);
    if (n.find("qkv") != std::string::npos) {
      s.last_layer = norm;
      if (!first_set) s.first_layer = norm, first_set = true;
    }
  }
  if (!any) s.min = s.max = 0;
  return s;
}

}  // namespace

TrainStep::TrainStep(models::VisionTransformer encoder, models::VisionTransformer target_encoder,
                     models::VisionTransformerPredictor predictor, PretrainOptimizer* optimizer,
                     TrainingSchedules schedules, TrainStepOptions options)
    : encoder_(std::move(encoder)),
      target_encoder_(std::move(target_encoder)),
      predictor_(std::move(predictor)),
      optimizer_(optimizer),
      schedules_(std::move(schedules)),
      options_(options) {
  for (auto* m : std::vector<torch::nn::Module*>{encoder_.get(), predictor_.get()}) {
    for (const auto& p : m->parameters()) {
      if (p.requires_grad()) trainable_.push_back(p);
    }
  }
  // The official EMA zips encoder.parameters() with target_encoder.parameters(), all of them.
  online_ = encoder_->parameters();
  target_ = target_encoder_->parameters();
}

TrainStepResult TrainStep::Run(const at::Tensor& images, const masking::MaskTensors& masks,
                               int64_t step, bool compute_grad_stats) {
  TrainStepResult result;
  result.lr = schedules_.lr.ValueAt(step + 1);
  result.wd = schedules_.wd.ValueAt(step + 1);
  result.momentum = schedules_.momentum.ValueAt(step);
  optimizer_->SetLrAndWeightDecay(result.lr, result.wd);

  torch::Tensor loss, predictions;
  {
    compat::AutocastGuard guard(images.device(), at::kBFloat16, options_.bf16_autocast);
    torch::Tensor h;
    {
      torch::NoGradGuard no_grad;
      const torch::Tensor target_features = target_encoder_->forward(images);
      result.pooled_targets = target_features.mean(1).to(at::kFloat);
      h = MakeTargets(target_features, masks.targets, static_cast<int64_t>(masks.context.size()),
                      options_.per_position_targets);
    }
    predictions = predictor_->forward(encoder_->forward(images, masks.context), masks.context,
                                      masks.targets);
    loss = PredictionLoss(predictions, h, options_.loss);
  }
  const torch::Tensor prediction_std = NormalizedFeatureStd(predictions);
  // The step's one host sync: the loss and the prediction spread together.
  const torch::Tensor host = torch::stack({loss.detach(), prediction_std}).to(torch::kCPU);
  result.loss = host[0].item<double>();
  result.prediction_std = host[1].item<double>();
  if (options_.communicator != nullptr) {
    result.loss = options_.communicator->AllReduceMean(result.loss);
  }
  if (!std::isfinite(result.loss)) return result;

  loss.backward();
  if (options_.communicator != nullptr) options_.communicator->AllReduceMeanGradients(trainable_);
  optimizer_->adamw().step();
  if (compute_grad_stats) result.grad_stats = ComputeGradStats(*encoder_);
  optimizer_->adamw().zero_grad();
  EmaUpdate(target_, online_, result.momentum);
  result.stepped = true;
  return result;
}

}  // namespace ijepa::training
