#include "ijepa/training/run_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "ijepa/common/atomic_file.h"
#include "ijepa/common/read_file.h"

namespace ijepa::training {
namespace {

constexpr char kHeader[] = "epoch,itr,loss,mask-A,mask-B,time (ms),rankme,pred-std";

// "" for NaN (a signal not computed on that step), else the number in `format`.
std::string OptionalNumber(double value, const absl::FormatSpec<double>& format) {
  return std::isnan(value) ? std::string() : absl::StrFormat(format, value);
}

// An empty field is NaN (not computed); anything else must be a number.
bool ParseOptionalNumber(const std::string& field, double* value) {
  if (field.empty()) {
    *value = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  return absl::SimpleAtod(field, value);
}

absl::Status ErrnoError(const std::string& what, const std::string& path) {
  return absl::InternalError(absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

// Nice tick step (1, 2 or 5 times a power of ten) giving about `target` ticks over `range`.
double TickStep(double range, int target) {
  if (!(range > 0)) return 1.0;
  const double raw = range / target;
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (raw <= m * power) return m * power;
  }
  return 10.0 * power;
}

}  // namespace

std::string FormatCsvRow(const StepRecord& r) {
  return absl::StrFormat("%d,%d,%.5f,%.5f,%.5f,%d,%s,%s", r.epoch, r.itr, r.loss, r.mask_a,
                         r.mask_b, r.time_ms, OptionalNumber(r.rankme, "%.2f"),
                         OptionalNumber(r.pred_std, "%.5f"));
}

absl::StatusOr<CsvLog> CsvLog::Open(const std::string& path, bool resume, int64_t keep_steps,
                                    int64_t iterations_per_epoch,
                                    std::vector<StepRecord>* history) {
  std::vector<StepRecord> kept;
  if (resume) {
    // No CSV yet (a resume from meta.read_checkpoint into a new folder) is fine; a CSV that cannot
    // be read (a folder in its place, EIO) is an error, not an empty history that the rewrite
    // below would make permanent.
    absl::StatusOr<std::string> text = common::ReadRegularFile(path, "CSV log");
    if (!text.ok() && text.status().code() != absl::StatusCode::kNotFound) return text.status();
    if (text.ok()) {
      std::istringstream in(*text);
      std::string line;
      int line_number = 0;
      while (std::getline(in, line)) {
        ++line_number;
        // The header of this version, or the official six-column one of older runs.
        if (line.empty() || absl::StartsWith(line, "epoch,")) continue;
        const std::vector<std::string> fields = absl::StrSplit(line, ',');
        StepRecord r;
        const bool has_signals = fields.size() == 8;
        if ((fields.size() != 6 && !has_signals) || !absl::SimpleAtoi(fields[0], &r.epoch) ||
            !absl::SimpleAtoi(fields[1], &r.itr) || !absl::SimpleAtod(fields[2], &r.loss) ||
            !absl::SimpleAtod(fields[3], &r.mask_a) || !absl::SimpleAtod(fields[4], &r.mask_b) ||
            !absl::SimpleAtoi(fields[5], &r.time_ms) ||
            (has_signals && (!ParseOptionalNumber(fields[6], &r.rankme) ||
                             !ParseOptionalNumber(fields[7], &r.pred_std)))) {
          // A run killed mid-write leaves a partial last line; anything after it is dropped too.
          break;
        }
        if ((r.epoch - 1) * iterations_per_epoch + r.itr < keep_steps) kept.push_back(r);
      }
    }
  }
  std::string contents = absl::StrCat(kHeader, "\n");
  for (const StepRecord& r : kept) absl::StrAppend(&contents, FormatCsvRow(r), "\n");
  if (absl::Status s = common::WriteFileAtomically(path, contents); !s.ok()) return s;
  if (history != nullptr) *history = std::move(kept);
  return CsvLog(path);
}

absl::Status CsvLog::Append(const StepRecord& record) {
  std::FILE* f = std::fopen(path_.c_str(), "a");
  if (f == nullptr) return ErrnoError("cannot append to CSV log", path_);
  const std::string row = FormatCsvRow(record) + "\n";
  const bool ok = std::fwrite(row.data(), 1, row.size(), f) == row.size();
  if (std::fclose(f) != 0 || !ok) return ErrnoError("cannot write CSV log", path_);
  return absl::OkStatus();
}

absl::Status WriteLossCurveSvg(const std::string& path, const std::vector<double>& losses,
                               const std::string& title) {
  constexpr double kWidth = 800, kHeight = 450, kLeft = 70, kRight = 20, kTop = 40, kBottom = 50;
  const double plot_w = kWidth - kLeft - kRight, plot_h = kHeight - kTop - kBottom;
  std::vector<double> finite;
  for (double l : losses) {
    if (std::isfinite(l)) finite.push_back(l);
  }
  double lo = 0.0, hi = 1.0;
  if (!finite.empty()) {
    lo = *std::min_element(finite.begin(), finite.end());
    hi = *std::max_element(finite.begin(), finite.end());
    if (hi - lo < 1e-12) {
      lo -= 0.5;
      hi += 0.5;
    }
  }
  const double n = std::max<double>(1.0, static_cast<double>(losses.size()));
  auto x_of = [&](double step) { return kLeft + plot_w * (step / n); };
  auto y_of = [&](double loss) { return kTop + plot_h * (1.0 - (loss - lo) / (hi - lo)); };

  std::ostringstream svg;
  svg << absl::StrFormat(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
      "font-family=\"sans-serif\" font-size=\"12\">\n"
      "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
      "<text x=\"%.0f\" y=\"24\" font-size=\"15\">%s</text>\n",
      kWidth, kHeight, kLeft, title);
  // Grid lines and tick labels.
  const double y_step = TickStep(hi - lo, 6);
  for (double v = std::ceil(lo / y_step) * y_step; v <= hi + 1e-12; v += y_step) {
    svg << absl::StrFormat(
        "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
        "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n",
        kLeft, y_of(v), kLeft + plot_w, y_of(v), kLeft - 6, y_of(v) + 4, v);
  }
  const double x_step = TickStep(n, 8);
  for (double s = 0; s <= n + 1e-9; s += x_step) {
    svg << absl::StrFormat(
        "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>"
        "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%g</text>\n",
        x_of(s), kTop, x_of(s), kTop + plot_h, x_of(s), kTop + plot_h + 18, s);
  }
  svg << absl::StrFormat(
      "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#333\"/>\n"
      "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">training step</text>\n"
      "<text x=\"16\" y=\"%.1f\" transform=\"rotate(-90 16 %.1f)\" "
      "text-anchor=\"middle\">loss</text>\n",
      kLeft, kTop, plot_w, plot_h, kLeft + plot_w / 2, kHeight - 10, kTop + plot_h / 2,
      kTop + plot_h / 2);
  // Raw losses, then a centred moving average over ~2% of the run.
  auto polyline = [&](const std::vector<double>& values, const char* style) {
    svg << "<polyline fill=\"none\" " << style << " points=\"";
    for (size_t i = 0; i < values.size(); ++i) {
      if (!std::isfinite(values[i])) continue;
      svg << absl::StrFormat("%.1f,%.1f ", x_of(static_cast<double>(i + 1)), y_of(values[i]));
    }
    svg << "\"/>\n";
  };
  polyline(losses, "stroke=\"#9ecae1\" stroke-width=\"1\"");
  const int window = std::max<int>(1, static_cast<int>(losses.size() / 50));
  std::vector<double> smooth(losses.size());
  for (size_t i = 0; i < losses.size(); ++i) {
    double sum = 0;
    int count = 0;
    for (int64_t j = static_cast<int64_t>(i) - window; j <= static_cast<int64_t>(i) + window; ++j) {
      if (j >= 0 && j < static_cast<int64_t>(losses.size()) && std::isfinite(losses[j])) {
        sum += losses[j];
        ++count;
      }
    }
    smooth[i] = count > 0 ? sum / count : NAN;
  }
  polyline(smooth, "stroke=\"#08519c\" stroke-width=\"2\"");
  svg << "</svg>\n";
  return common::WriteFileAtomically(path, svg.str());
}

std::string FormatDuration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const int64_t s = static_cast<int64_t>(std::llround(seconds));
  if (s >= 3600) return absl::StrFormat("%dh%02dm", s / 3600, (s % 3600) / 60);
  if (s >= 60) return absl::StrFormat("%dm%02ds", s / 60, s % 60);
  return absl::StrFormat("%ds", s);
}

std::string FormatProgress(const ProgressInfo& p) {
  const double percent =
      p.total_steps > 0 ? 100.0 * static_cast<double>(p.step) / static_cast<double>(p.total_steps)
                        : 0.0;
  const std::string signals =
      std::isnan(p.rankme)
          ? std::string()
          : absl::StrFormat(" | rankme %.1f/%d pred-std %.4f", p.rankme, p.rankme_max, p.pred_std);
  return absl::StrFormat(
      "ep %d/%d it %d/%d [%5.1f%%] loss %.4f (avg %.4f) lr %.2e wd %.2e masks %.0f/%.0f%s | "
      "%.1f img/s %.0f ms/step | ETA %s",
      p.epoch, p.epochs, p.itr + 1, p.iterations_per_epoch, percent, p.loss, p.avg_loss, p.lr,
      p.wd, p.mask_a, p.mask_b, signals, p.images_per_second, p.ms_per_step,
      FormatDuration(p.eta_seconds));
}

}  // namespace ijepa::training
