// Plain evaluation options (no protobuf): what EvalOptionsFromConfig produces and the evaluation
// code consumes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ijepa/eval/knn.h"
#include "ijepa/eval/pooling.h"
#include "ijepa/eval/probe_trainer.h"

namespace ijepa::eval {

struct ProtocolOptions {
  std::string name;         // as reported
  int64_t per_class = 0;    // > 0: balanced per-class subset
  double percent = 0.0;     // > 0: balanced percentage of every class
  std::string subset_file;  // non-empty: ImageNet subset file
  uint64_t seed = 0;
  // None of the three: every training label.
  bool full() const { return per_class == 0 && percent == 0.0 && subset_file.empty(); }
};

struct EvalOptions {
  bool target_encoder = true;                // else the context encoder
  std::vector<PoolMode> pools = {PoolMode::kMean, PoolMode::kLast4};
  std::vector<ProtocolOptions> protocols;
  double val_fraction = 0.2;

  bool linear = true;
  bool linear_batch_norm = true;
  SweepOptions linear_sweep;

  bool knn = true;
  KnnOptions knn_options;

  bool attentive = false;
  int64_t attentive_num_heads = 0;           // 0: the encoder's
  double attentive_mlp_ratio = 4.0;
  SweepOptions attentive_sweep;

  bool raw_pixels = false;
  int64_t extract_batch_size = 256;
  int64_t max_test_images = 0;               // 0: all
  std::string feature_cache_dir;
  std::string device = "cpu";
  int threads = 0;
  uint64_t seed = 0;
};

}  // namespace ijepa::eval
