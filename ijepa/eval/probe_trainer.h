#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include <c10/core/Device.h>

#include "ijepa/eval/labeled_features.h"
#include "ijepa/eval/probe_head.h"

namespace ijepa::eval {

enum class OptimizerKind { kSgd, kAdamW };
enum class ScheduleKind { kCosine, kStep, kConstant };

// How one probe is trained on cached features.
struct TrainOptions {
  OptimizerKind optimizer = OptimizerKind::kSgd;
  ScheduleKind schedule = ScheduleKind::kCosine;
  int64_t epochs = 100;
  int64_t batch_size = 256;
  double lr = 0.1;
  // SGD: coupled L2; AdamW: decoupled. Applied to weight matrices only (not biases, norms or the
  // attentive probe's query token), as VISSL/DINO do.
  double weight_decay = 0.0;
  double momentum = 0.9;              // SGD only (Nesterov off, as VISSL's linear eval)
  double warmup_epochs = 0.0;         // linear warm-up from 0 before the schedule
  std::vector<double> step_milestones = {0.6, 0.8};  // kStep: fractions of `epochs`
  double step_gamma = 0.1;                           // kStep: LR factor at each milestone
  uint64_t seed = 0;                  // shuffling order
};

// Learning rate at optimisation step `step` of `total_steps` (warm-up, then the schedule).
double ScheduledLr(const TrainOptions& options, int64_t step, int64_t total_steps);

// Trains `head` in place on `train` (features moved to `device` batch by batch; the head must
// already be on `device`). Returns false, stopping early, when the loss becomes non-finite
// (checked at the end of each epoch). Throws c10::Error on shape mismatches.
bool TrainHead(ProbeHeadImpl& head, const LabeledFeatures& train, const TrainOptions& options,
               const c10::Device& device);

// Logits [N, num_classes] of `head` in eval mode, no grad, batched.
at::Tensor PredictLogits(ProbeHeadImpl& head, const at::Tensor& features, int64_t batch_size,
                         const c10::Device& device);

// Top-1 / top-min(5, C) accuracy in percent of logits [N, C] against labels [N].
Accuracy TopKAccuracy(const at::Tensor& logits, const at::Tensor& labels);

// Builds a freshly initialised head (already on the right device) for one fit.
using HeadFactory = std::function<std::shared_ptr<ProbeHeadImpl>()>;

struct SweepOptions {
  TrainOptions train;                 // lr / weight_decay are overwritten by the grid
  std::vector<double> lrs = {0.1};
  std::vector<double> weight_decays = {0.0};
  // After choosing on `val`, refit on train + val (all labelled data the protocol allows).
  bool final_fit_includes_val = true;
};

struct SweepPoint {
  double lr = 0.0;
  double weight_decay = 0.0;
  double val_top1 = 0.0;
};

struct ProbeFit {
  double lr = 0.0;                     // chosen
  double weight_decay = 0.0;           // chosen
  std::vector<SweepPoint> sweep;       // every grid point with its validation top-1
  Accuracy test;
  int64_t num_train = 0;               // examples the final head was fitted on
  int64_t num_val = 0;                 // examples used to choose the hyper-parameters
  double seconds = 0.0;                // sweep + final fit + test
};

// Grid-searches lr x weight_decay on `val` (never on `test`), refits with the best point
// (ties: first in grid order, lr-major), and reports accuracy on `test`. With an empty `val` the
// grid must have exactly one point. A grid point that diverges scores 0 on validation; a final
// fit that diverges throws c10::Error.
ProbeFit SweepAndFit(const HeadFactory& make_head, const LabeledFeatures& train,
                     const LabeledFeatures& val, const LabeledFeatures& test,
                     const SweepOptions& options, const c10::Device& device);

}  // namespace ijepa::eval
