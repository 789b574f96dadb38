// Which score a protocol reports. An evaluation fits one linear probe per pooling (mean, last4)
// and scores each on the test split; the number to report is the one whose pooling won on the
// validation carve-out of the protocol's labels, never the best test score.
#pragma once

#include <string>
#include <vector>

#include "ijepa/eval/eval_results.h"

namespace ijepa::eval {

// The linear probe `protocol` reports: among the encoder's poolings, the one whose chosen (lr, wd)
// scored the highest validation top-1 (ties to the first listed); in an evaluation with no
// encoder features (the raw-pixel baseline alone), its raw-pixel probe. Null when the protocol
// has no linear probe.
const MethodScore* BestLinear(const EvalResults& results, const std::string& protocol);

// The k-NN score of `protocol` on `features`, or null when k-NN was not run.
const MethodScore* KnnOn(const EvalResults& results, const std::string& protocol, const std::string& features);

// What each protocol reports, and their mean and sample standard deviation: the protocols are
// usually the label subsets of one budget drawn with different seeds.
struct ChosenScore {
  std::string protocol;
  std::string features;
  double linear_top1 = 0.0;
  bool has_knn = false;
  double knn_top1 = 0.0;
};
struct ChosenScores {
  std::vector<ChosenScore> per_protocol;
  double linear_mean = 0.0, linear_std = 0.0;
  // Over the protocols that ran k-NN (knn_count of them).
  int knn_count = 0;
  double knn_mean = 0.0, knn_std = 0.0;
};
ChosenScores ChooseScores(const EvalResults& results);

}  // namespace ijepa::eval
