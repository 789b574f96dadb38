#include "ijepa/eval/probe_trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <string>
#include <utility>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <c10/util/Exception.h>
#include <glog/logging.h>
#include <torch/csrc/autograd/grad_mode.h>
#include <torch/nn/functional/loss.h>
#include <torch/optim/adamw.h>
#include <torch/optim/sgd.h>

namespace ijepa::eval {
namespace {

constexpr double kPi = 3.14159265358979323846;

// Weight matrices get weight decay; biases, norm parameters and learned tokens (1-D or
// named *token*) do not.
bool Decays(const std::string& name, const at::Tensor& p) {
  return p.dim() >= 2 && name.find("token") == std::string::npos;
}

std::unique_ptr<torch::optim::Optimizer> MakeOptimizer(ProbeHeadImpl& head, const TrainOptions& o) {
  std::vector<at::Tensor> decay, no_decay;
  for (const auto& item : head.named_parameters(/*recurse=*/true)) {
    if (!item.value().requires_grad()) continue;
    (Decays(item.key(), item.value()) ? decay : no_decay).push_back(item.value());
  }
  if (o.optimizer == OptimizerKind::kSgd) {
    std::vector<torch::optim::OptimizerParamGroup> groups;
    groups.emplace_back(decay, std::make_unique<torch::optim::SGDOptions>(
                                   torch::optim::SGDOptions(o.lr).momentum(o.momentum).weight_decay(o.weight_decay)));
    groups.emplace_back(no_decay, std::make_unique<torch::optim::SGDOptions>(
                                      torch::optim::SGDOptions(o.lr).momentum(o.momentum).weight_decay(0.0)));
    return std::make_unique<torch::optim::SGD>(std::move(groups), torch::optim::SGDOptions(o.lr));
  }
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(decay, std::make_unique<torch::optim::AdamWOptions>(
                                 torch::optim::AdamWOptions(o.lr).weight_decay(o.weight_decay)));
  groups.emplace_back(no_decay, std::make_unique<torch::optim::AdamWOptions>(
                                    torch::optim::AdamWOptions(o.lr).weight_decay(0.0)));
  return std::make_unique<torch::optim::AdamW>(std::move(groups), torch::optim::AdamWOptions(o.lr));
}

void SetLr(torch::optim::Optimizer& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) group.options().set_lr(lr);
}

// Batch boundaries that split n into ceil(n / batch_size) near-equal batches, so no batch is
// left with a single example (BatchNorm cannot train on one).
std::vector<int64_t> BatchBounds(int64_t n, int64_t batch_size) {
  const int64_t num_batches = (n + batch_size - 1) / batch_size;
  std::vector<int64_t> bounds(num_batches + 1);
  for (int64_t i = 0; i <= num_batches; ++i) bounds[i] = i * n / num_batches;
  return bounds;
}

LabeledFeatures Concat(const LabeledFeatures& a, const LabeledFeatures& b) {
  if (b.size() == 0) return a;
  return {at::cat({a.features, b.features}, 0), at::cat({a.labels, b.labels}, 0)};
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

double ScheduledLr(const TrainOptions& o, int64_t step, int64_t total_steps) {
  const double steps_per_epoch = static_cast<double>(total_steps) / std::max<int64_t>(o.epochs, 1);
  const double warmup_steps = o.warmup_epochs * steps_per_epoch;
  if (step < warmup_steps) return o.lr * (step + 1) / warmup_steps;
  switch (o.schedule) {
    case ScheduleKind::kConstant:
      return o.lr;
    case ScheduleKind::kStep: {
      const double epoch = step / steps_per_epoch;
      double lr = o.lr;
      for (double m : o.step_milestones) {
        if (epoch >= m * o.epochs) lr *= o.step_gamma;
      }
      return lr;
    }
    case ScheduleKind::kCosine:
    default: {
      const double span = std::max(1.0, total_steps - warmup_steps);
      const double progress = std::min(1.0, (step - warmup_steps) / span);
      return o.lr * 0.5 * (1.0 + std::cos(kPi * progress));
    }
  }
}

bool TrainHead(ProbeHeadImpl& head, const LabeledFeatures& train, const TrainOptions& options,
               const c10::Device& device) {
  const int64_t n = train.size();
  TORCH_CHECK(n >= 2, "TrainHead needs at least 2 training examples, got ", n);
  TORCH_CHECK(train.features.size(0) == n, "TrainHead: ", train.features.size(0),
              " feature rows but ", n, " labels");
  TORCH_CHECK(options.epochs > 0 && options.batch_size > 1,
              "TrainHead: epochs must be > 0 and batch_size > 1");
  at::Tensor features = train.features.to(at::kFloat);
  at::Tensor labels = train.labels.to(at::kLong);
  auto optimizer = MakeOptimizer(head, options);
  const std::vector<int64_t> bounds = BatchBounds(n, std::min(options.batch_size, n));
  const int64_t steps_per_epoch = static_cast<int64_t>(bounds.size()) - 1;
  const int64_t total_steps = steps_per_epoch * options.epochs;
  at::Generator gen = at::detail::createCPUGenerator(options.seed);
  head.train();
  int64_t step = 0;
  at::Tensor last_loss;
  for (int64_t epoch = 0; epoch < options.epochs; ++epoch) {
    at::Tensor order = at::randperm(n, gen, at::TensorOptions().dtype(at::kLong));
    for (int64_t b = 0; b < steps_per_epoch; ++b, ++step) {
      at::Tensor idx = order.slice(0, bounds[b], bounds[b + 1]);
      at::Tensor x = features.index_select(0, idx).to(device);
      at::Tensor y = labels.index_select(0, idx).to(device);
      SetLr(*optimizer, ScheduledLr(options, step, total_steps));
      optimizer->zero_grad();
      at::Tensor loss = torch::nn::functional::cross_entropy(head.forward(x), y);
      loss.backward();
      optimizer->step();
      last_loss = loss.detach();
    }
    // Checked once per epoch: a per-step .item() would synchronise a GPU every step.
    if (!std::isfinite(last_loss.item<double>())) {
      LOG(WARNING) << "probe diverged at epoch " << epoch << " (lr " << options.lr << ", weight decay "
                   << options.weight_decay << ")";
      head.eval();
      return false;
    }
  }
  head.eval();
  return true;
}

at::Tensor PredictLogits(ProbeHeadImpl& head, const at::Tensor& features, int64_t batch_size,
                         const c10::Device& device) {
  at::NoGradGuard no_grad;
  head.eval();
  std::vector<at::Tensor> out;
  const int64_t n = features.size(0);
  for (int64_t start = 0; start < n; start += batch_size) {
    at::Tensor x = features.slice(0, start, std::min(n, start + batch_size)).to(at::kFloat).to(device);
    out.push_back(head.forward(x).to(at::kCPU));
  }
  TORCH_CHECK(!out.empty(), "PredictLogits: no features");
  return at::cat(out, 0);
}

Accuracy TopKAccuracy(const at::Tensor& logits, const at::Tensor& labels) {
  TORCH_CHECK(logits.dim() == 2 && labels.dim() == 1 && logits.size(0) == labels.size(0),
              "TopKAccuracy: logits [N, C] and labels [N] expected, got ", logits.sizes(), " and ",
              labels.sizes());
  Accuracy acc;
  acc.count = labels.size(0);
  if (acc.count == 0) return acc;
  const int64_t k = std::min<int64_t>(5, logits.size(1));
  at::Tensor top = std::get<1>(logits.topk(k, 1, /*largest=*/true, /*sorted=*/true));
  at::Tensor correct = top.eq(labels.to(top.device()).to(at::kLong).view({-1, 1}));
  acc.top1 = 100.0 * correct.narrow(1, 0, 1).sum().item<double>() / acc.count;
  acc.top5 = 100.0 * correct.sum().item<double>() / acc.count;
  return acc;
}

ProbeFit SweepAndFit(const HeadFactory& make_head, const LabeledFeatures& train,
                     const LabeledFeatures& val, const LabeledFeatures& test,
                     const SweepOptions& options, const c10::Device& device) {
  const auto start = std::chrono::steady_clock::now();
  TORCH_CHECK(!options.lrs.empty() && !options.weight_decays.empty(),
              "SweepAndFit: the lr and weight_decay grids must not be empty");
  // Non-finite features made every grid point "diverge", reported as "lower the learning rates".
  for (const auto* split : {&train, &val, &test}) {
    if (split->size() == 0) continue;
    const int64_t bad = at::isfinite(split->features).logical_not().sum().item<int64_t>();
    TORCH_CHECK(bad == 0, "the ", split == &train ? "training" : split == &val ? "validation" : "test",
                " features hold ", bad, " non-finite values (NaN or inf): the encoder produced them, so its "
                "weights or input are broken; no probe learning rate can fix that");
  }
  const size_t grid = options.lrs.size() * options.weight_decays.size();
  TORCH_CHECK(val.size() > 0 || grid == 1,
              "SweepAndFit: a sweep over ", grid, " points needs a validation split");
  ProbeFit fit;
  fit.lr = options.lrs.front();
  fit.weight_decay = options.weight_decays.front();
  if (grid > 1) {
    double best = -1.0;
    for (double lr : options.lrs) {
      for (double wd : options.weight_decays) {
        TrainOptions o = options.train;
        o.lr = lr;
        o.weight_decay = wd;
        std::shared_ptr<ProbeHeadImpl> head = make_head();
        // A diverging grid point scores 0 on validation instead of ending the sweep.
        const double top1 =
            TrainHead(*head, train, o, device)
                ? TopKAccuracy(PredictLogits(*head, val.features, o.batch_size, device), val.labels).top1
                : 0.0;
        fit.sweep.push_back({lr, wd, top1});
        VLOG(1) << "sweep lr=" << lr << " wd=" << wd << " val_top1=" << top1;
        if (top1 > best) {
          best = top1;
          fit.lr = lr;
          fit.weight_decay = wd;
        }
      }
    }
  }
  fit.num_val = val.size();
  const LabeledFeatures final_train = options.final_fit_includes_val ? Concat(train, val) : train;
  TrainOptions o = options.train;
  o.lr = fit.lr;
  o.weight_decay = fit.weight_decay;
  std::shared_ptr<ProbeHeadImpl> head = make_head();
  TORCH_CHECK(TrainHead(*head, final_train, o, device), "the final probe fit diverged (lr ", o.lr,
              ", weight decay ", o.weight_decay, "): lower the learning rates of the grid");
  fit.num_train = final_train.size();
  fit.test = TopKAccuracy(PredictLogits(*head, test.features, o.batch_size, device), test.labels);
  fit.seconds = SecondsSince(start);
  return fit;
}

}  // namespace ijepa::eval
