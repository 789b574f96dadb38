#pragma once

#include <cstdint>

namespace ijepa::training {

// Learning-rate schedule of the official `WarmupCosineSchedule` (src/utils/schedulers.py):
// linear from start_lr to ref_lr over `warmup_steps`, then cosine from ref_lr to final_lr over the
// remaining `t_max - warmup_steps` steps (never below final_lr). Stateless: ValueAt(s) is the value
// the official object returns from its s-th call of step() (s >= 1), so a resumed run needs only
// the global step count.
class WarmupCosineSchedule {
 public:
  WarmupCosineSchedule(int64_t warmup_steps, double start_lr, double ref_lr, int64_t t_max,
                       double final_lr);

  double ValueAt(int64_t step) const;

 private:
  int64_t warmup_steps_;
  double start_lr_, ref_lr_, final_lr_;
  int64_t t_max_;  // Steps of the cosine phase (official `T_max - warmup_steps`).
};

// Weight-decay schedule of the official `CosineWDSchedule`: cosine from ref_wd to final_wd over
// t_max steps, clamped at final_wd. ValueAt(s) is the value of the s-th step() call (s >= 1).
class CosineWDSchedule {
 public:
  CosineWDSchedule(double ref_wd, int64_t t_max, double final_wd);

  double ValueAt(int64_t step) const;

 private:
  double ref_wd_;
  int64_t t_max_;
  double final_wd_;
};

// EMA momentum of the official train.py generator: ema0 + i * (ema1 - ema0) / (ipe * epochs *
// ipe_scale) for i = 0 .. int(ipe * epochs * ipe_scale). ValueAt(i) is the momentum applied after
// optimizer step i (0-based). The official generator raises StopIteration past its last value
// (possible when ipe_scale < 1); here the index is clamped to the last value instead.
class MomentumSchedule {
 public:
  MomentumSchedule(double ema0, double ema1, int64_t iterations_per_epoch, int64_t epochs,
                   double ipe_scale);

  double ValueAt(int64_t index) const;

 private:
  double ema0_, ema1_;
  double total_;        // ipe * epochs * ipe_scale (the denominator, a float as in Python).
  int64_t last_index_;  // int(total_).
};

// The three schedules as the official `init_opt` builds them from the config.
struct TrainingSchedules {
  WarmupCosineSchedule lr;
  CosineWDSchedule wd;
  MomentumSchedule momentum;
};

// warmup_epochs, epochs and ipe_scale as in the YAML `optimization` section; iterations_per_epoch
// is the loader length. warmup_steps = int(warmup * ipe), T_max = int(ipe_scale * epochs * ipe).
TrainingSchedules MakeTrainingSchedules(int64_t iterations_per_epoch, double warmup_epochs,
                                        int64_t epochs, double ipe_scale, double start_lr,
                                        double ref_lr, double final_lr, double weight_decay,
                                        double final_weight_decay, double ema0, double ema1);

}  // namespace ijepa::training
