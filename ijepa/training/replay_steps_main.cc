// Replays training steps recorded from the official I-JEPA trainer through this project's
// TrainStep and says whether every loss and final tensor agrees (exit 0) or not (exit 1).
//   /usr/bin/python3 tools/make_training_fixture.py --official=DIR --out=/tmp/f.pt
//   bazel run //ijepa/training:replay_steps -- --fixture=/tmp/f.pt
#include <cstdio>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "ijepa/common/threads.h"
#include "ijepa/common/user_path.h"
#include "ijepa/training/replay.h"

ABSL_FLAG(std::string, fixture, "", "fixture written by tools/make_training_fixture.py");
ABSL_FLAG(int, threads, 1, "LibTorch intra-op threads (the tolerances are for 1)");
ABSL_FLAG(double, loss_tolerance, 1e-5, "relative tolerance of each step's loss");
ABSL_FLAG(double, tensor_tolerance, 1e-5, "absolute tolerance of every final tensor");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("replay_steps --fixture=FILE.pt: step-exact check against the official trainer");
  absl::ParseCommandLine(argc, argv);
  const std::string path = absl::GetFlag(FLAGS_fixture);
  if (path.empty()) {
    std::fprintf(stderr, "replay_steps: --fixture=FILE is required\n");
    return 2;
  }
  ijepa::ConfigureIntraOpThreads(absl::GetFlag(FLAGS_threads));
  auto fixture = ijepa::training::ReadReplayFixture(ijepa::UserPath(path));
  if (!fixture.ok()) {
    std::fprintf(stderr, "replay_steps: %s\n", std::string(fixture.status().message()).c_str());
    return 2;
  }
  ijepa::training::ReplayTolerance tolerance;
  tolerance.loss_relative = absl::GetFlag(FLAGS_loss_tolerance);
  tolerance.tensor_absolute = absl::GetFlag(FLAGS_tensor_tolerance);
  auto report = ijepa::training::ReplayOfficialSteps(*fixture, tolerance);
  if (!report.ok()) {
    std::fprintf(stderr, "replay_steps: %s\n", std::string(report.status().message()).c_str());
    return 2;
  }
  std::fputs(ijepa::training::FormatReplayReport(*report).c_str(), stdout);
  return report->ok() ? 0 : 1;
}
