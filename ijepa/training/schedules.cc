#include "ijepa/training/schedules.h"

#include <algorithm>
#include <cmath>

namespace ijepa::training {
namespace {
constexpr double kPi = 3.14159265358979323846;
}  // namespace

WarmupCosineSchedule::WarmupCosineSchedule(int64_t warmup_steps, double start_lr, double ref_lr,
                                           int64_t t_max, double final_lr)
    : warmup_steps_(warmup_steps),
      start_lr_(start_lr),
      ref_lr_(ref_lr),
      final_lr_(final_lr),
      t_max_(t_max - warmup_steps) {}

double WarmupCosineSchedule::ValueAt(int64_t step) const {
  if (step < warmup_steps_) {
    const double progress =
        static_cast<double>(step) / static_cast<double>(std::max<int64_t>(1, warmup_steps_));
    return start_lr_ + progress * (ref_lr_ - start_lr_);
  }
  const double progress = static_cast<double>(step - warmup_steps_) /
                          static_cast<double>(std::max<int64_t>(1, t_max_));
  return std::max(final_lr_,
                  final_lr_ + (ref_lr_ - final_lr_) * 0.5 * (1.0 + std::cos(kPi * progress)));
}

CosineWDSchedule::CosineWDSchedule(double ref_wd, int64_t t_max, double final_wd)
    : ref_wd_(ref_wd), t_max_(t_max), final_wd_(final_wd) {}

double CosineWDSchedule::ValueAt(int64_t step) const {
  // The official code divides by T_max unguarded; a zero-length run would raise there. Treat it
  // as already finished instead.
  const double progress =
      t_max_ > 0 ? static_cast<double>(step) / static_cast<double>(t_max_) : 1.0;
  const double wd = final_wd_ + (ref_wd_ - final_wd_) * 0.5 * (1.0 + std::cos(kPi * progress));
  return final_wd_ <= ref_wd_ ? std::max(final_wd_, wd) : std::min(final_wd_, wd);
}

MomentumSchedule::MomentumSchedule(double ema0, double ema1, int64_t iterations_per_epoch,
                                   int64_t epochs, double ipe_scale)
    : ema0_(ema0),
      ema1_(ema1),
      total_(static_cast<double>(iterations_per_epoch * epochs) * ipe_scale),
      last_index_(static_cast<int64_t>(total_)) {}

double MomentumSchedule::ValueAt(int64_t index) const {
  if (total_ <= 0) return ema0_;
  const int64_t i = std::clamp<int64_t>(index, 0, last_index_);
  return ema0_ + static_cast<double>(i) * (ema1_ - ema0_) / total_;
}

TrainingSchedules MakeTrainingSchedules(int64_t iterations_per_epoch, double warmup_epochs,
                                        int64_t epochs, double ipe_scale, double start_lr,
                                        double ref_lr, double final_lr, double weight_decay,
                                        double final_weight_decay, double ema0, double ema1) {
  const auto warmup_steps =
      static_cast<int64_t>(warmup_epochs * static_cast<double>(iterations_per_epoch));
  const auto t_max = static_cast<int64_t>(
      ipe_scale * static_cast<double>(epochs) * static_cast<double>(iterations_per_epoch));
  return TrainingSchedules{
      WarmupCosineSchedule(warmup_steps, start_lr, ref_lr, t_max, final_lr),
      CosineWDSchedule(weight_decay, t_max, final_weight_decay),
      MomentumSchedule(ema0, ema1, iterations_per_epoch, epochs, ipe_scale),
  };
}

}  // namespace ijepa::training
