// Replays training steps recorded from the official I-JEPA trainer through this project's
// TrainStep and says whether every loss and final tensor agrees (exit 0) or not (exit 1).
//   /usr/bin/python3 tools/make_training_fixture.py --official=DIR --out=/tmp/f.pt
//   bazel run //ijepa/training:replay_steps -- --fixture=/tmp/f.pt
// With --resume_from=CKPT (an official training checkpoint, make_training_fixture.py
// --checkpoint-out), the models and AdamW state are restored from it as `pretrain` resumes, and
// only the recorded steps after it are replayed.
#include <cstdio>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "ijepa/checkpoint/torch_file.h"
#include "ijepa/common/host_memory.h"
#include "ijepa/common/threads.h"
#include "ijepa/common/user_path.h"
#include "ijepa/models/layers.h"
#include "ijepa/training/replay.h"

ABSL_FLAG(std::string, fixture, "", "fixture written by tools/make_training_fixture.py");
ABSL_FLAG(std::string, resume_from, "",
          "official training checkpoint to resume from (make_training_fixture.py --checkpoint-out)");
ABSL_FLAG(int, threads, 1, "LibTorch intra-op threads (the tolerances are for 1)");
ABSL_FLAG(double, loss_tolerance, 1e-5, "relative tolerance of each step's loss");
ABSL_FLAG(double, tensor_tolerance, 1e-5, "absolute tolerance of every final tensor");
ABSL_FLAG(bool, bf16, false,
          "run the steps under CPU bf16 autocast (meta.cpu_bfloat16) to measure its effect; the "
          "float32 tolerances then fail by design");

ABSL_FLAG(std::string, cpu_linear, "blas",
          "library for the float32 linear layers on the CPU: blas (ATen's, as the official code) or "
          "onednn (meta.cpu_linear, docs/performance.md)");
ABSL_FLAG(std::string, profile, "",
          "write a Chrome trace of the second replayed step (every ATen operator) to this file; "
          "tools/summarize_trace.py totals it by operator");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("replay_steps --fixture=FILE.pt: step-exact check against the official trainer");
  absl::ParseCommandLine(argc, argv);
  const std::string path = absl::GetFlag(FLAGS_fixture);
  if (path.empty()) {
    std::fprintf(stderr, "replay_steps: --fixture=FILE is required\n");
    return 2;
  }
  ijepa::ConfigureIntraOpThreads(absl::GetFlag(FLAGS_threads));
  const std::string cpu_linear = absl::GetFlag(FLAGS_cpu_linear);
  if (cpu_linear != "blas" && cpu_linear != "onednn") {
    std::fprintf(stderr, "replay_steps: --cpu_linear must be blas or onednn, got '%s'\n", cpu_linear.c_str());
    return 2;
  }
  if (cpu_linear == "onednn" && !ijepa::models::SetCpuLinear(ijepa::models::CpuLinear::kOneDnn)) {
    std::fprintf(stderr, "replay_steps: --cpu_linear=onednn: this LibTorch was built without oneDNN\n");
    return 2;
  }
  ijepa::KeepFreedHostMemory();  // as pretrain does, so the timings are the trainer's
  auto fixture = ijepa::training::ReadReplayFixture(ijepa::UserPath(path));
  if (!fixture.ok()) {
    std::fprintf(stderr, "replay_steps: %s\n", std::string(fixture.status().message()).c_str());
    return 2;
  }
  ijepa::training::ReplayTolerance tolerance;
  tolerance.loss_relative = absl::GetFlag(FLAGS_loss_tolerance);
  tolerance.tensor_absolute = absl::GetFlag(FLAGS_tensor_tolerance);
  const std::string resume_from = absl::GetFlag(FLAGS_resume_from);
  absl::StatusOr<ijepa::training::ReplayReport> report;
  if (resume_from.empty()) {
    report = ijepa::training::ReplayOfficialSteps(*fixture, tolerance, absl::GetFlag(FLAGS_bf16),
                                                   ijepa::UserPath(absl::GetFlag(FLAGS_profile)));
  } else {
    auto checkpoint = ijepa::checkpoint::ReadTorchFile(ijepa::UserPath(resume_from));
    if (!checkpoint.ok()) {
      std::fprintf(stderr, "replay_steps: %s\n", std::string(checkpoint.status().message()).c_str());
      return 2;
    }
    report = ijepa::training::ReplayOfficialStepsFromCheckpoint(*fixture, *checkpoint, resume_from,
                                                                tolerance, absl::GetFlag(FLAGS_bf16),
                                                                ijepa::UserPath(absl::GetFlag(FLAGS_profile)));
  }
  if (!report.ok()) {
    std::fprintf(stderr, "replay_steps: %s\n", std::string(report.status().message()).c_str());
    return 2;
  }
  std::fputs(ijepa::training::FormatReplayReport(*report).c_str(), stdout);
  return report->ok() ? 0 : 1;
}
