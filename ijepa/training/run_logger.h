// What a training run tells people and files while it runs: the run's fixed files
// (params-ijepa.pbtxt, train_subset.txt), one CSV row per step with the collapse signals, the
// progress line with its ETA, the RankMe collapse warning, the gradient line and the SVG loss
// curve. The Trainer composes loader -> TrainStep -> RunLogger -> checkpoints; everything the run
// reports goes through here.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ijepa/common/event_file.h"
#include "ijepa/training/collapse_signals.h"
#include "ijepa/training/run_log.h"
#include "ijepa/training/train_step.h"

namespace ijepa::training {

struct RunLoggerOptions {
  std::string folder;     // created if missing
  std::string tag;        // logging.write_tag: `{tag}_r{rank}.csv`, `{tag}-loss.svg`
  int rank = 0;           // only rank 0 prints and writes the run's shared files
  std::string config_text;  // the resolved config, written as params-ijepa.pbtxt
  // The training images a subset run uses (indices into the split's files), written one a line
  // as train_subset.txt; unset when the whole split trains.
  std::optional<std::vector<int64_t>> subset_indices;
  // Resuming at global step `start_step`: the CSV keeps its rows of the steps before it and the
  // loss curve continues from them. A fresh run truncates the CSV.
  bool resume = false;
  int64_t start_step = 0;
  int64_t iterations_per_epoch = 0;
  int64_t epochs = 0;
  int64_t total_steps = 0;      // of the whole run, for the ETA
  int64_t images_per_step = 0;  // all ranks together
  int64_t log_freq = 1;         // logging.log_freq: iterations between progress lines
  int64_t rankme_window = 1;    // logging.rankme_window: images RankMe is computed over
  double rankme_warn_fraction = 0;  // logging.rankme_warn_fraction
  int64_t embed_dim = 0;        // the encoder's: RankMe's maximum is min(window rows, embed_dim)
  std::string svg_title;
  // logging.tensorboard: rank 0 writes TensorBoard scalars to `{folder}/tb/`.
  bool tensorboard = false;
  // Receives each line (rank 0 only); null prints to stdout.
  std::function<void(const std::string&)> print;
};

// Where the run stands after one step, besides what TrainStep returned.
struct StepContext {
  int64_t epoch = 0;          // 0-based
  int64_t itr = 0;            // batch index within the epoch
  int64_t global_step = 0;    // steps completed, this one included
  double avg_loss = 0;        // mean loss of the epoch so far, this step included
  double mask_a = 0, mask_b = 0;  // context / target patches per mask
  double seconds = 0;         // wall time of the step (loading included)
  bool last = false;          // the run's last step: reported as a logged step
};

class RunLogger {
 public:
  // Creates the folder, writes the run's fixed files (rank 0) and opens this rank's CSV log.
  static absl::StatusOr<std::unique_ptr<RunLogger>> Open(RunLoggerOptions options);

  // Whether batch `itr` is a logged step (logging.log_freq): progress line, RankMe, gradients.
  bool LogNow(int64_t itr) const { return itr % options_.log_freq == 0; }

  // One line to the print sink (rank 0 only).
  void Print(const std::string& line) const;

  // Records step `context` with `result` (a stepped one): adds its pooled targets to the RankMe
  // window and appends the CSV row; on logged and last steps also computes RankMe and prints the
  // progress line (rates and ETA over the steps since the previous line), the collapse warning
  // once the window is full and RankMe is below rankme_warn_fraction of its maximum, and on
  // logged steps the gradient line.
  absl::Status Step(const StepContext& context, const TrainStepResult& result);

  // Prints "epoch N/M done: avg. loss L" (`epoch` 0-based) and writes the loss curve (rank 0).
  absl::Status EpochDone(int64_t epoch, double epoch_loss);

  // Writes the loss curve of every step so far (rank 0), if there is one.
  absl::Status WriteLossCurve() const;

  // The probe's accuracies (percent; `knn_top1` < 0 when k-NN was off) as TensorBoard scalars
  // probe/linear_top1, probe/linear_top5, probe/knn_top1 at the last global step recorded.
  void ProbeDone(double top1, double top5, double knn_top1);

  // The TensorBoard event file being written; empty when there is none (off, other ranks, or
  // stopped after a failed write).
  std::string tensorboard_path() const { return tb_ != nullptr ? tb_->path() : ""; }

  // RankMe / its maximum at the last step that computed it; NaN before.
  double relative_rankme() const { return relative_rankme_; }

 private:
  RunLogger(RunLoggerOptions options, CsvLog csv, std::vector<double> curve);
  // Opens the event file (a new one, with a restart marker, on resume).
  void OpenTensorBoard();
  // A failure is reported once and ends TensorBoard logging: the plots are a view of the run,
  // not worth stopping hours of training for (the CSV has the same numbers).
  void WriteTensorBoard(int64_t step, const common::Scalars& scalars);

  RunLoggerOptions options_;
  CsvLog csv_;
  std::vector<double> curve_;  // the loss of every global step, resumed ones included
  FeatureWindow feature_window_;
  std::unique_ptr<common::EventFileWriter> tb_;
  int64_t last_step_ = 0;  // the last global step recorded
  double relative_rankme_ = std::numeric_limits<double>::quiet_NaN();
  // Since the last progress line.
  double interval_seconds_ = 0;
  int64_t interval_steps_ = 0, interval_images_ = 0;
};

}  // namespace ijepa::training
