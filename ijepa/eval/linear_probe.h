// What the linear_probe binary does once its flags and config are read: the main evaluation (a
// checkpoint's encoder, a random-init encoder, or raw pixels alone) and optionally its baselines,
// as one EvalReport.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "ijepa/eval/eval.pb.h"
#include "ijepa/eval/report.pb.h"

namespace ijepa::eval {

struct LinearProbeRequest {
  std::string checkpoint;  // "" = none
  bool random_init = false;
  // Also a random-init encoder of the same architecture (when a checkpoint is evaluated) and raw
  // pixels at the encoder's input size and normalisation (unless config.raw_pixels), reported
  // under "baselines".
  bool baselines = false;
};

// Validates `config` (EvalOptionsFromConfig; num_workers > 0), sets the LibTorch thread count and
// runs. Without checkpoint and random_init, config.raw_pixels must be set (raw pixels alone).
absl::StatusOr<EvalReport> RunLinearProbe(const EvalConfig& config, const LinearProbeRequest& request);

// The report file when --out is not given: eval_<checkpoint file name without .pth.tar / .pt /
// .pth / .tar | random_init | raw_pixels>.json, relative to where the user started the binary.
std::string DefaultReportPath(const LinearProbeRequest& request);

}  // namespace ijepa::eval
