// Step-exact replay of the official trainer: feeds the images and masks recorded from the official
// src/train.py (tools/make_training_fixture.py) through this project's TrainStep, and compares
// every step's loss and scheduled values and the final weights and AdamW moments.
#pragma once

#include <ATen/core/ivalue.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace ijepa::training {

struct ReplayTolerance {
  double loss_relative = 1e-5;    // per-step loss against the official one
  double tensor_absolute = 1e-5;  // every final weight and AdamW moment
  double schedule_relative = 1e-9;  // lr, weight decay, EMA momentum (closed-form doubles)
};

struct ReplayStep {
  int64_t step = 0;  // 1-based
  double loss = 0, expected_loss = 0;
  double lr = 0, expected_lr = 0, wd = 0, expected_wd = 0, momentum = 0, expected_momentum = 0;
  // Wall time of TrainStep::Run, and of the official train_step closure when the fixture recorded
  // it (make_training_fixture.py: official_step_seconds; 0 when absent). Same images, same masks.
  double seconds = 0, official_seconds = 0;
};

struct ReplayTensorGroup {
  std::string name;  // "encoder", "predictor", "target_encoder", "adamw.exp_avg", "adamw.exp_avg_sq"
  int64_t tensors = 0;
  double max_abs_diff = 0;
  std::string worst;  // the tensor with the largest difference
};

struct ReplayReport {
  int64_t start_step = 0;  // steps the checkpoint had done; steps[0] is the next one
  // After a resume: restored weights and moments against the checkpoint file (all exactly 0).
  std::vector<ReplayTensorGroup> restored;
  std::vector<ReplayStep> steps;
  std::vector<ReplayTensorGroup> finals;
  // Empty when everything agrees; otherwise the first step or tensor that differs, e.g.
  // "step 3: loss 0.4521 vs official 0.4516 (relative difference 1.1e-03 > 1e-05)".
  std::string first_mismatch;
  bool ok() const { return first_mismatch.empty(); }
};

// The fixture as tools/make_training_fixture.py writes it (read with //ijepa/checkpoint).
absl::StatusOr<c10::IValue> ReadReplayFixture(const std::string& path);

// Builds the models from the fixture's config, loads its initial state dicts, runs every recorded
// step through TrainStep on the CPU in float32, and compares. A malformed fixture is an error that
// names the missing or mistyped entry; a numerical disagreement is a report with !ok().
// `bf16_autocast` runs the steps under CPU bf16 autocast (meta.cpu_bfloat16) instead, to measure
// what mixed precision changes against the official float32 run.
// `profile_trace` (when not empty): a Chrome trace of the second replayed step (the first warms up
// the allocator), written by LibTorch's profiler with every ATen operator; replay_steps --profile.
absl::StatusOr<ReplayReport> ReplayOfficialSteps(const c10::IValue& fixture,
                                                 const ReplayTolerance& tolerance = {},
                                                 bool bf16_autocast = false,
                                                 const std::string& profile_trace = "");

// The same replay, continued from an official training checkpoint (what train.py's save_checkpoint
// wrote after some epoch; tools/make_training_fixture.py --checkpoint-out), read from `path`:
// models and AdamW state are restored by RestoreTrainingCheckpoint, exactly as `pretrain` resumes,
// and the recorded steps from the restored global step on are replayed with the schedules at that
// step. The report also compares what was restored with the file (report.restored).
absl::StatusOr<ReplayReport> ReplayOfficialStepsFromCheckpoint(const c10::IValue& fixture,
                                                               const c10::IValue& checkpoint,
                                                               const std::string& path,
                                                               const ReplayTolerance& tolerance = {},
                                                               bool bf16_autocast = false,
                                                               const std::string& profile_trace = "");

// The median step time over the replayed steps after the first (a warm-up for both sides): ours and
// the official one (0 when the fixture has no timings). {0, 0} for fewer than two steps.
struct ReplayTiming {
  double seconds = 0, official_seconds = 0;
  int64_t steps = 0;  // steps the medians are over
};
ReplayTiming MedianStepTimes(const ReplayReport& report);

// The per-step table, the per-group maxima and the median step times, as replay_steps prints them.
std::string FormatReplayReport(const ReplayReport& report);

}  // namespace ijepa::training
