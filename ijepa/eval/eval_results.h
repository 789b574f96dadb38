// What an evaluation produces (plain structs; report.h turns them into the JSON report).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ijepa/eval/eval_options.h"
#include "ijepa/eval/labeled_features.h"
#include "ijepa/eval/probe_trainer.h"

namespace ijepa::eval {

// One classifier on one feature kind under one protocol.
struct MethodScore {
  std::string protocol;
  std::string method;    // "linear" | "knn" | "attentive"
  std::string features;  // "mean" | "last4" | "patches" | "raw_pixels"
  Accuracy test;
  int64_t feature_dim = 0;
  int64_t num_train = 0, num_val = 0;
  double lr = 0.0, weight_decay = 0.0;
  std::vector<SweepPoint> sweep;
  int64_t k = 0;
  double temperature = 0.0;
  double seconds = 0.0;
};

struct ProtocolSummary {
  ProtocolOptions protocol;
  int64_t num_labeled = 0;
};

struct EvalResults {
  std::vector<ProtocolSummary> protocols;
  std::vector<MethodScore> scores;
  int64_t num_classes = 0;
  int64_t num_test = 0;
  int64_t images_encoded = 0;
  double extract_seconds = 0.0;
};

}  // namespace ijepa::eval
