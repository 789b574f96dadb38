// One I-JEPA optimizer step, exactly the body of the official src/train.py loop. The Trainer and
// //ijepa/training:replay_steps (the step-parity check against the official code) both call it,
// so what the replay proves is what training runs.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "ijepa/distributed/communicator.h"
#include "ijepa/masking/torch_masks.h"
#include "ijepa/models/predictor.h"
#include "ijepa/models/vision_transformer.h"
#include "ijepa/training/loss.h"
#include "ijepa/training/optimizer.h"
#include "ijepa/training/schedules.h"

namespace ijepa::training {

// Official grad_logger: gradient norms of the encoder's non-bias, non-1-D parameters; first and
// last layer are the first and last `qkv` weights.
struct GradStats {
  double first_layer = 0, last_layer = 0, min = 0, max = 0;
};

struct TrainStepOptions {
  LossKind loss = LossKind::kSmoothL1;
  // meta.target_norm LAYER_NORM_PER_POSITION (MakeTargets' per_position); false is official.
  bool per_position_targets = false;
  // bf16 autocast around the forward passes (official use_bfloat16), on the images' device.
  bool bf16_autocast = false;
  // Data-parallel collectives (loss and gradient all-reduce); null for one process.
  distributed::Communicator* communicator = nullptr;
};

struct TrainStepResult {
  // The all-reduced loss. When it is not finite nothing was stepped (no backward, no optimizer
  // step, no EMA update): the caller decides what to report.
  double loss = 0;
  bool stepped = false;
  double lr = 0, wd = 0, momentum = 0;  // the scheduled values this step used
  GradStats grad_stats;                 // filled when asked for
  // Collapse signals (//ijepa/training:collapse_signals), computed without autograd, so they
  // change nothing the step computes. `pooled_targets` [B, D]: the target encoder's full-image
  // output averaged over patches (what the probe sees), detached, on the images' device.
  // `prediction_std`: NormalizedFeatureStd of the predictor's outputs.
  at::Tensor pooled_targets;
  double prediction_std = 0;
};

// The models and optimizer are shared handles: the step updates them in place.
class TrainStep {
 public:
  TrainStep(models::VisionTransformer encoder, models::VisionTransformer target_encoder,
            models::VisionTransformerPredictor predictor, PretrainOptimizer* optimizer,
            TrainingSchedules schedules, TrainStepOptions options);

  // Step `step` (0-based global step index): lr / wd of the official schedulers' (step+1)-th
  // step() and the momentum of the step-th `next(momentum_scheduler)`; target forward without
  // grad + layer_norm + target gather + repeat per context mask; context encoder; predictor; loss;
  // backward; gradient all-reduce; AdamW step; zero_grad; EMA update of the target encoder.
  // `images` [B, C, H, W] and the masks on the models' device.
  TrainStepResult Run(const at::Tensor& images, const masking::MaskTensors& masks, int64_t step,
                      bool compute_grad_stats = false);

 private:
  models::VisionTransformer encoder_, target_encoder_;
  models::VisionTransformerPredictor predictor_;
  PretrainOptimizer* optimizer_;
  TrainingSchedules schedules_;
  TrainStepOptions options_;
  std::vector<at::Tensor> trainable_, online_, target_;
};

}  // namespace ijepa::training
