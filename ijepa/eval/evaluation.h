// The evaluation protocol: label subsets, one feature extraction per split, then linear probes
// (with a validation sweep), k-NN, the attentive probe and the raw-pixel baseline per protocol.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <c10/core/Device.h>

#include "absl/status/statusor.h"
#include "ijepa/data/data.pb.h"
#include "ijepa/data/dataset.h"
#include "ijepa/eval/eval_options.h"
#include "ijepa/eval/eval_results.h"
#include "ijepa/eval/labeled_features.h"
#include "ijepa/eval/probe_trainer.h"
#include "ijepa/models/vision_transformer.h"

namespace ijepa::eval {

struct EvalInputs {
  // Frozen encoder; null evaluates the raw-pixel baseline only (options.raw_pixels required).
  models::VisionTransformerImpl* encoder = nullptr;
  // Identifies the encoder's weights in the on-disk feature cache (e.g. "ckpt.pth.tar:<size>:
  // <mtime>:target_encoder"); required when options.feature_cache_dir is set.
  std::string encoder_id;
  std::shared_ptr<const data::Dataset> train;
  std::shared_ptr<const data::Dataset> test;
  // The name of the split `test` was opened as ("test", "holdout", ...). It keys the feature cache:
  // a holdout and a test split of the same size and data config must never share cached features.
  std::string test_split = "test";
  // The resolved data config (normalisation, crop = model input, subset files are opened from it).
  data::DataConfig data;
  int num_workers = 2;  // decode threads during extraction
};

// Runs every protocol of `options`. Hyper-parameters are chosen on a validation split carved from
// each protocol's labels; the test split is only scored. Errors name the problem (empty class in
// a subset, unreadable image, shape mismatch).
absl::StatusOr<EvalResults> RunEvaluation(const EvalInputs& inputs, const EvalOptions& options,
                                          const c10::Device& device);

}  // namespace ijepa::eval
