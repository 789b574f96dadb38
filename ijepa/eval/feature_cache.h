// On-disk cache of extracted features for big sets and repeated runs: one torch.load-able file
// per (encoder weights, data config, split, images, feature kinds).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ijepa/data/data.pb.h"
#include "ijepa/eval/feature_extractor.h"

namespace ijepa::eval {

// A 128-bit hex digest of everything that determines the features.
std::string FeatureCacheKey(const std::string& encoder_id, const data::DataConfig& data, const std::string& split,
                            const std::vector<int64_t>& indices, const FeatureRequest& request);

// Returns the features stored under `key` in `dir` when present and consistent (same key, same
// indices, every requested kind); otherwise extracts them and writes
// `dir/features-<key>.pt` (a dict: key, indices, labels, mean / last4 / patches / raw_pixels)
// with WriteTorchFile. A cache file that cannot be read is reported and recomputed.
absl::StatusOr<ExtractedFeatures> CachedExtractFeatures(const std::string& dir, const std::string& key,
                                                        models::VisionTransformerImpl* encoder,
                                                        std::shared_ptr<const data::Dataset> dataset,
                                                        const std::vector<int64_t>& indices,
                                                        std::shared_ptr<const data::Transform> transform,
                                                        const FeatureRequest& request, const ExtractOptions& options);

}  // namespace ijepa::eval
