#pragma once

#include <cstdint>

#include "ijepa/eval/labeled_features.h"

namespace ijepa::eval {

struct KnnOptions {
  int64_t k = 20;             // neighbours (clamped to the training set size)
  double temperature = 0.07;  // votes weigh exp(cosine / temperature)
  int64_t chunk_size = 256;   // test rows per similarity matrix (memory bound)
};

// DINO's eval_knn.knn_classifier: features L2-normalised, the k most cosine-similar training
// examples vote for their class with weight exp(sim / T); classes are ranked by summed votes.
// Pooled features [N, D] only; the computation runs on train.features' device.
Accuracy KnnClassify(const LabeledFeatures& train, const LabeledFeatures& test, int64_t num_classes,
                     const KnnOptions& options);

}  // namespace ijepa::eval
