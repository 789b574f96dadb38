#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ijepa::training {

// One row of the official CSV log (src/utils/logging.py CSVLogger as train.py configures it).
struct StepRecord {
  int64_t epoch = 0;     // 1-based, as the official log
  int64_t itr = 0;       // 0-based batch index within the epoch
  double loss = 0.0;
  double mask_a = 0.0;   // context patches per mask
  double mask_b = 0.0;   // target patches per mask
  int64_t time_ms = 0;   // wall time of the training step
  // (extension) Collapse signals (//ijepa/training:collapse_signals); NaN where not computed,
  // written as an empty field. RankMe of the pooled target features over the recent window
  // (computed on logged steps only: it costs an SVD) and the spread of the normalised predictions.
  double rankme = std::numeric_limits<double>::quiet_NaN();
  double pred_std = std::numeric_limits<double>::quiet_NaN();
};

// The per-rank CSV log `{tag}_r{rank}.csv`: the official header
// "epoch,itr,loss,mask-A,mask-B,time (ms)" and formats (%d, %d, %.5f, %.5f, %.5f, %d), then two
// columns of this project, "rankme,pred-std" (%.2f, %.5f; empty when not computed). Readers of the
// official columns by name or by position are unaffected.
class CsvLog {
 public:
  // Starts a fresh log at `path` (truncating any old one) when `resume` is false. When resuming,
  // keeps the rows of the first `keep_steps` global steps (global step = (epoch - 1) *
  // iterations_per_epoch + itr), dropping rows a killed run wrote after its last checkpoint, and
  // returns them in `history` (may be null). Errors name the file.
  static absl::StatusOr<CsvLog> Open(const std::string& path, bool resume, int64_t keep_steps,
                                     int64_t iterations_per_epoch,
                                     std::vector<StepRecord>* history);

  // Appends one row and flushes it to the file.
  absl::Status Append(const StepRecord& record);

  const std::string& path() const { return path_; }

 private:
  explicit CsvLog(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

// Formats a row as the official logger ("3,17,0.12345,40.00000,9.00000,250") followed by the
// collapse signals (",87.31,0.05210", or ",,0.05210" on a step without RankMe).
std::string FormatCsvRow(const StepRecord& record);

// Writes an SVG line chart of loss against global step (raw values faint, a moving average
// solid), with labelled axes, atomically (temporary file + rename). Opens in any browser.
absl::Status WriteLossCurveSvg(const std::string& path, const std::vector<double>& losses,
                               const std::string& title);

// "1h02m", "3m07s", "12s".
std::string FormatDuration(double seconds);

// What the progress line shows.
struct ProgressInfo {
  int64_t epoch = 0, epochs = 0;         // epoch 1-based
  int64_t itr = 0, iterations_per_epoch = 0;
  int64_t step = 0, total_steps = 0;     // global step (1-based, after this step)
  double loss = 0.0, avg_loss = 0.0;     // this step; mean over the epoch so far
  double lr = 0.0, wd = 0.0;
  double mask_a = 0.0, mask_b = 0.0;
  double images_per_second = 0.0;        // all ranks together
  double ms_per_step = 0.0;
  double eta_seconds = 0.0;
  // Collapse signals; a NaN rankme leaves them out of the line. rankme_max = min(window rows, D).
  double rankme = std::numeric_limits<double>::quiet_NaN();
  int64_t rankme_max = 0;
  double pred_std = std::numeric_limits<double>::quiet_NaN();
};

// One human-readable progress line, e.g.
// "ep 2/10 it 150/234 [ 15.2%] loss 0.1234 (avg 0.1301) lr 2.50e-04 wd 4.10e-02 masks 40/9
//  | rankme 87.3/192 pred-std 0.0521 | 123.4 img/s 250 ms/step | ETA 9m12s"
std::string FormatProgress(const ProgressInfo& info);

}  // namespace ijepa::training
