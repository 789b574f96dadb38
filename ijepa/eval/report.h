// The linear_probe binary's JSON: EvalResults plus run metadata as an EvalReport proto
// (ijepa/eval/report.proto is the schema), printed with the proto3 JSON mapping.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ijepa/eval/eval_results.h"
#include "ijepa/eval/report.pb.h"

namespace ijepa::eval {

struct ReportContext {
  std::string checkpoint;  // "" when none
  std::string weights;     // "target_encoder" | "encoder" | "random_init" | "none"
  std::string model_name;
  int64_t patch_size = 0, img_size = 0, in_chans = 0, embed_dim = 0, depth = 0;
  std::string dataset;     // e.g. "IDX /usr/share/datasets/fashion-mnist"
  double load_seconds = 0.0, total_seconds = 0.0;
  int threads = 0;
  std::string device;
  std::string config_text;  // resolved EvalConfig
};

EvalReport BuildReport(const EvalResults& results, const ReportContext& context);

// Pretty JSON with the proto's snake_case names and every field present but a chosen result's
// knn when k-NN was not run.
absl::StatusOr<std::string> ReportToJson(const EvalReport& report);

// For people, per report and per baseline: one line per result,
// "PROTOCOL WEIGHTS METHOD FEATURES top1 NN.NN  top5 NN.NN", then the number to report,
// "WEIGHTS, pooling chosen on validation (POOLINGS): linear top1 M +- S over N protocol(s), k-NN M +- S".
std::string ReportSummary(const EvalReport& report);

// Writes `text` to `path` atomically (temporary file + rename).
absl::Status WriteTextFile(const std::string& path, const std::string& text);

}  // namespace ijepa::eval
