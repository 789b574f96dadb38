#include "ijepa/training/run_logger.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ijepa/common/atomic_file.h"

namespace ijepa::training {
namespace {

namespace fs = std::filesystem;

std::string InFolder(const RunLoggerOptions& o, const std::string& name) {
  return (fs::path(o.folder) / name).string();
}

}  // namespace

absl::StatusOr<std::unique_ptr<RunLogger>> RunLogger::Open(RunLoggerOptions options) {
  std::error_code ec;
  fs::create_directories(options.folder, ec);
  if (ec) {
    return absl::InternalError(
        absl::StrCat("cannot create logging.folder ", options.folder, ": ", ec.message()));
  }
  if (options.rank == 0) {
    const std::string params = InFolder(options, "params-ijepa.pbtxt");
    if (absl::Status s = common::WriteFileAtomically(params, options.config_text); !s.ok()) {
      return s;
    }
    // The subset is a function of the config, but a list is what other tools (and people) read.
    if (options.subset_indices.has_value()) {
      std::string lines;
      for (int64_t i : *options.subset_indices) absl::StrAppend(&lines, i, "\n");
      const std::string subset = InFolder(options, "train_subset.txt");
      if (absl::Status s = common::WriteFileAtomically(subset, lines); !s.ok()) return s;
    }
  }
  std::vector<StepRecord> history;
  auto csv = CsvLog::Open(InFolder(options, absl::StrCat(options.tag, "_r", options.rank, ".csv")),
                          options.resume, options.start_step, options.iterations_per_epoch,
                          &history);
  if (!csv.ok()) return csv.status();
  std::vector<double> curve;
  for (const StepRecord& r : history) curve.push_back(r.loss);
  std::unique_ptr<RunLogger> logger(
      new RunLogger(std::move(options), *std::move(csv), std::move(curve)));
  logger->OpenTensorBoard();
  return logger;
}

RunLogger::RunLogger(RunLoggerOptions options, CsvLog csv, std::vector<double> curve)
    : options_(std::move(options)),
      csv_(std::move(csv)),
      curve_(std::move(curve)),
      feature_window_(options_.rankme_window),
      last_step_(options_.start_step) {}

void RunLogger::OpenTensorBoard() {
  if (options_.rank != 0 || !options_.tensorboard) return;
  auto writer = common::EventFileWriter::Create(InFolder(options_, "tb"));
  if (!writer.ok()) {
    Print(absl::StrCat("WARNING: ", writer.status().message(),
                       "; training goes on without TensorBoard logging"));
    return;
  }
  tb_ = *std::move(writer);
  // Steps after the checkpoint that a killed run logged are replaced by this run's.
  if (options_.resume) WriteTensorBoard(options_.start_step + 1, {});
}

void RunLogger::WriteTensorBoard(int64_t step, const common::Scalars& scalars) {
  if (tb_ == nullptr) return;
  const absl::Status s =
      scalars.empty() ? tb_->WriteRestart(step) : tb_->WriteScalars(step, scalars);
  if (s.ok()) return;
  Print(absl::StrCat("WARNING: ", s.message(),
                     "; TensorBoard logging stops here, training goes on (the CSV log has every "
                     "step)"));
  tb_.reset();
}

void RunLogger::ProbeDone(double top1, double top5, double knn_top1) {
  common::Scalars scalars = {{"probe/linear_top1", top1}, {"probe/linear_top5", top5}};
  if (knn_top1 >= 0) scalars.emplace_back("probe/knn_top1", knn_top1);
  WriteTensorBoard(last_step_, scalars);
}

void RunLogger::Print(const std::string& line) const {
  if (options_.rank != 0) return;
  if (options_.print) {
    options_.print(line);
  } else {
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
  }
}

absl::Status RunLogger::Step(const StepContext& c, const TrainStepResult& result) {
  feature_window_.Add(result.pooled_targets);
  curve_.push_back(result.loss);
  last_step_ = c.global_step;
  interval_seconds_ += c.seconds;
  interval_steps_ += 1;
  interval_images_ += options_.images_per_step;
  const bool log_now = LogNow(c.itr);
  // RankMe costs an SVD of the window: logged steps only.
  const double rankme = log_now || c.last ? EffectiveRank(feature_window_.Rows())
                                          : std::numeric_limits<double>::quiet_NaN();
  const int64_t rankme_max = std::min(feature_window_.size(), options_.embed_dim);
  if (!std::isnan(rankme)) relative_rankme_ = rankme / static_cast<double>(rankme_max);
  if (absl::Status s = csv_.Append({c.epoch + 1, c.itr, result.loss, c.mask_a, c.mask_b,
                                    static_cast<int64_t>(std::llround(c.seconds * 1000)), rankme,
                                    result.prediction_std});
      !s.ok()) {
    return s;
  }
  if (!log_now && !c.last) return absl::OkStatus();

  ProgressInfo p;
  p.epoch = c.epoch + 1;
  p.epochs = options_.epochs;
  p.itr = c.itr;
  p.iterations_per_epoch = options_.iterations_per_epoch;
  p.step = c.global_step;
  p.total_steps = options_.total_steps;
  p.loss = result.loss;
  p.avg_loss = c.avg_loss;
  p.lr = result.lr;
  p.wd = result.wd;
  p.mask_a = c.mask_a;
  p.mask_b = c.mask_b;
  p.images_per_second = interval_images_ / std::max(interval_seconds_, 1e-9);
  p.ms_per_step = 1000.0 * interval_seconds_ / std::max<int64_t>(interval_steps_, 1);
  p.eta_seconds = (options_.total_steps - c.global_step) * p.ms_per_step / 1000.0;
  p.rankme = rankme;
  p.rankme_max = rankme_max;
  p.pred_std = result.prediction_std;
  Print(FormatProgress(p));
  const double warn_below = options_.rankme_warn_fraction;
  if (feature_window_.size() == feature_window_.capacity() &&
      rankme < warn_below * static_cast<double>(rankme_max)) {
    Print(absl::StrFormat(
        "WARNING: RankMe %.1f is %.1f%% of its maximum %d, below logging.rankme_warn_fraction "
        "%.2f: the target features are collapsing (docs/training.md, \"Collapse signals\")",
        rankme, 100.0 * rankme / static_cast<double>(rankme_max), rankme_max, warn_below));
  }
  if (log_now) {
    const GradStats& g = result.grad_stats;
    Print(absl::StrFormat("  grad_stats: [%.2e %.2e] (%.2e, %.2e)", g.first_layer, g.last_layer,
                          g.min, g.max));
  }
  WriteTensorBoard(c.global_step, {{"train/loss", result.loss},
                                   {"train/lr", result.lr},
                                   {"train/wd", result.wd},
                                   {"train/ema_momentum", result.momentum},
                                   {"train/images_per_s", p.images_per_second},
                                   {"collapse/rankme", rankme},
                                   {"collapse/rankme_relative", relative_rankme_},
                                   {"collapse/pred_std", result.prediction_std}});
  interval_seconds_ = 0;
  interval_steps_ = interval_images_ = 0;
  return absl::OkStatus();
}

absl::Status RunLogger::EpochDone(int64_t epoch, double epoch_loss) {
  Print(absl::StrFormat("epoch %d/%d done: avg. loss %.5f", epoch + 1, options_.epochs,
                        epoch_loss));
  return WriteLossCurve();
}

absl::Status RunLogger::WriteLossCurve() const {
  if (options_.rank != 0 || curve_.empty()) return absl::OkStatus();
  return WriteLossCurveSvg(InFolder(options_, absl::StrCat(options_.tag, "-loss.svg")), curve_,
                           options_.svg_title);
}

}  // namespace ijepa::training
