#include "ijepa/training/schedules.h"

#include <gtest/gtest.h>

namespace ijepa::training {
namespace {

// {step, lr, wd, momentum}: values printed by the official WarmupCosineSchedule,
// CosineWDSchedule and train.py momentum generator (Python, float64) after `step` calls of
// step() / the step-th next(), for start_lr 2e-4, lr 1e-3, final_lr 1e-6, wd 0.04 -> 0.4,
// ema 0.996 -> 1.0.
struct Reference {
  int64_t step;
  double lr, wd, momentum;
};

void ExpectMatches(const TrainingSchedules& s, const std::vector<Reference>& refs) {
  for (const Reference& r : refs) {
    SCOPED_TRACE(r.step);
    EXPECT_NEAR(s.lr.ValueAt(r.step), r.lr, 1e-15);
    EXPECT_NEAR(s.wd.ValueAt(r.step), r.wd, 1e-15);
    EXPECT_NEAR(s.momentum.ValueAt(r.step - 1), r.momentum, 1e-15);
  }
}

TEST(SchedulesTest, MatchesOfficialWithIpeScaleAndFractionalWarmup) {
  // ipe 7, 10 epochs, warmup 2.5 epochs (17 steps), ipe_scale 1.25 (T_max 87).
  const TrainingSchedules s =
      MakeTrainingSchedules(7, 2.5, 10, 1.25, 2e-4, 1e-3, 1e-6, 0.04, 0.4, 0.996, 1.0);
  ExpectMatches(s, {
                       {1, 0.0002470588235294118, 0.040117342829858127, 0.996},
                       {5, 0.00043529411764705884, 0.042925928092239496, 0.99618285714285715},
                       {17, 0.001, 0.072863979059399508, 0.9967314285714286},
                       {18, 0.0009994970367373868, 0.076703248172984129, 0.99677714285714281},
                       {40, 0.00075669318906425027, 0.1973110519803479, 0.99778285714285719},
                       {70, 0.00013946396551821799, 0.36713602094060055, 0.99915428571428566},
                   });
}

TEST(SchedulesTest, MatchesOfficialWithoutIpeScale) {
  // ipe 100, 3 epochs, warmup 1 epoch, ipe_scale 1.0: the run reaches final_lr / final_wd.
  const TrainingSchedules s =
      MakeTrainingSchedules(100, 1.0, 3, 1.0, 2e-4, 1e-3, 1e-6, 0.04, 0.4, 0.996, 1.0);
  ExpectMatches(s, {
                       {1, 0.00020800000000000001, 0.040009869514207819, 0.996},
                       {17, 0.00033600000000000004, 0.042844790565536472, 0.99621333333333328},
                       {88, 0.00090400000000000007, 0.11117215932477248, 0.99716000000000005},
                       {100, 0.001, 0.13, 0.99731999999999998},
                       {150, 0.00085369983720268053, 0.22, 0.99798666666666669},
                       {299, 1.0616220754105364e-06, 0.39999013048579218, 0.99997333333333338},
                       {300, 9.9999999999999995e-07, 0.40000000000000002, 0.99998666666666669},
                   });
}

TEST(SchedulesTest, FollowsOfficialCosinePastTmax) {
  // Past T_max the official cosine rises again (ipe_scale > 1 exists to keep runs inside T_max);
  // the schedule reproduces that instead of silently clamping.
  const WarmupCosineSchedule lr(0, 0.0, 1.0, 10, 0.1);
  EXPECT_DOUBLE_EQ(lr.ValueAt(10), 0.1);
  EXPECT_NEAR(lr.ValueAt(15), 0.55, 1e-15);
  const CosineWDSchedule wd(0.4, 10, 0.04);
  EXPECT_NEAR(wd.ValueAt(5), 0.22, 1e-15);
  EXPECT_DOUBLE_EQ(wd.ValueAt(10), 0.04);
  // Increasing weight decay (final > ref) is clamped with min(): never above final_wd.
  const CosineWDSchedule up(0.04, 10, 0.4);
  EXPECT_DOUBLE_EQ(up.ValueAt(10), 0.4);
}

TEST(SchedulesTest, MomentumClampsAtLastOfficialValue) {
  // ipe 4, 2 epochs, ipe_scale 0.5: the official generator has int(4) + 1 = 5 values.
  const MomentumSchedule m(0.9, 1.0, 4, 2, 0.5);
  EXPECT_DOUBLE_EQ(m.ValueAt(0), 0.9);
  EXPECT_NEAR(m.ValueAt(4), 1.0, 1e-15);
  EXPECT_NEAR(m.ValueAt(7), 1.0, 1e-15);
}

}  // namespace
}  // namespace ijepa::training
