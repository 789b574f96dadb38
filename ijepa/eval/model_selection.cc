#include "ijepa/eval/model_selection.h"

#include <cmath>

namespace ijepa::eval {
namespace {

// Validation top-1 of the (lr, wd) the sweep chose; -1 when the sweep does not list it.
double ChosenValidationTop1(const MethodScore& s) {
  double val = -1.0;
  for (const SweepPoint& p : s.sweep) {
    if (p.lr == s.lr && p.weight_decay == s.weight_decay) val = p.val_top1;
  }
  return val;
}

const MethodScore* BestLinearOf(const EvalResults& results, const std::string& protocol, bool raw_pixels) {
  const MethodScore* best = nullptr;
  double best_val = -1.0;
  for (const MethodScore& s : results.scores) {
    if (s.protocol != protocol || s.method != "linear" || (s.features == "raw_pixels") != raw_pixels) continue;
    const double val = ChosenValidationTop1(s);
    if (best == nullptr || val > best_val) {
      best = &s;
      best_val = val;
    }
  }
  return best;
}

void MeanAndSampleStd(const std::vector<double>& xs, double* mean, double* std) {
  *mean = 0.0;
  *std = 0.0;
  if (xs.empty()) return;
  for (double x : xs) *mean += x;
  *mean /= static_cast<double>(xs.size());
  if (xs.size() < 2) return;
  double sum_sq = 0.0;
  for (double x : xs) sum_sq += (x - *mean) * (x - *mean);
  *std = std::sqrt(sum_sq / static_cast<double>(xs.size() - 1));
}

}  // namespace

const MethodScore* BestLinear(const EvalResults& results, const std::string& protocol) {
  const MethodScore* encoder = BestLinearOf(results, protocol, /*raw_pixels=*/false);
  return encoder != nullptr ? encoder : BestLinearOf(results, protocol, /*raw_pixels=*/true);
}

const MethodScore* KnnOn(const EvalResults& results, const std::string& protocol, const std::string& features) {
  for (const MethodScore& s : results.scores) {
    if (s.protocol == protocol && s.method == "knn" && s.features == features) return &s;
  }
  return nullptr;
}

ChosenScores ChooseScores(const EvalResults& results) {
  ChosenScores out;
  std::vector<double> linear, knn;
  for (const ProtocolSummary& p : results.protocols) {
    const MethodScore* best = BestLinear(results, p.protocol.name);
    if (best == nullptr) continue;
    ChosenScore c;
    c.protocol = p.protocol.name;
    c.features = best->features;
    c.linear_top1 = best->test.top1;
    linear.push_back(c.linear_top1);
    if (const MethodScore* k = KnnOn(results, c.protocol, c.features); k != nullptr) {
      c.has_knn = true;
      c.knn_top1 = k->test.top1;
      knn.push_back(c.knn_top1);
    }
    out.per_protocol.push_back(c);
  }
  MeanAndSampleStd(linear, &out.linear_mean, &out.linear_std);
  out.knn_count = static_cast<int>(knn.size());
  MeanAndSampleStd(knn, &out.knn_mean, &out.knn_std);
  return out;
}

}  // namespace ijepa::eval
