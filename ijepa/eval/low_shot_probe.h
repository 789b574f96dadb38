// A quick low-shot linear probe of an encoder, for the pretrain binary to call when training
// ends (PretrainConfig.probe): balanced `images_per_class` training labels, a small LR x WD sweep
// on a validation carve-out, test accuracy on (a subsample of) the test split, plus k-NN.
//
//   ijepa::eval::LowShotProbeOptions options;
//   options.images_per_class = config.probe().images_per_class();
//   options.max_eval_images = config.probe().max_eval_images();
//   options.epochs = config.probe().epochs();
//   absl::StatusOr<ijepa::eval::ProbeResult> r =
//       ijepa::eval::RunLowShotProbe(*target_encoder, config.data(), options, device);
//   if (r.ok()) LOG(INFO) << ijepa::eval::ProbeResultLine(*r);
//
// The encoder is used in eval mode under no-grad (its mode is restored), its weights untouched.
#pragma once

#include <cstdint>
#include <string>

#include <c10/core/Device.h>

#include "absl/status/statusor.h"
#include "ijepa/data/data.pb.h"
#include "ijepa/models/vision_transformer.h"

namespace ijepa::eval {

struct LowShotProbeOptions {
  int64_t images_per_class = 60;  // 60 = 1% of Fashion-MNIST
  int64_t max_eval_images = 2000; // 0 = the whole test split
  int64_t epochs = 100;           // linear-probe epochs
  uint64_t seed = 0;              // subset, validation carve-out, probe init
  bool knn = true;                // also the k-NN (k=20, T=0.07) accuracy
  int num_workers = 2;            // decode threads
  int64_t extract_batch_size = 256;
  // Scored split: "" = the data set's test split (DefaultTestSplit); "holdout" = the validation
  // split of data.holdout_per_class.
  std::string split;
};

struct ProbeResult {
  // The linear probe whose pooling (mean / last4) and hyper-parameters won on validation.
  double top1 = 0.0, top5 = 0.0;
  std::string pool;
  double lr = 0.0, weight_decay = 0.0;
  double knn_top1 = -1.0;  // -1 when k-NN was off
  int64_t num_labeled = 0, num_test = 0;
  double extract_seconds = 0.0, total_seconds = 0.0;
};

// `data` is the pretraining run's data section: the same data set, normalisation and input size
// (its low-shot / subset fields are ignored: the probe picks its own labels). The test split is
// "val" for IMAGE_FOLDER data sets and "test" otherwise.
absl::StatusOr<ProbeResult> RunLowShotProbe(models::VisionTransformerImpl& encoder, const data::DataConfig& data,
                                            const LowShotProbeOptions& options, const c10::Device& device);

// The split scored: "val" for IMAGE_FOLDER data sets (the ImageNet layout), "test" otherwise.
std::string DefaultTestSplit(const data::DataConfig& data);

// One human-readable line: "low-shot probe (60/class, 2000 test): top1 71.2% top5 98.0% [last4,
// lr 0.1, wd 0.0005], k-NN 69.0%, 12.3 s".
std::string ProbeResultLine(const ProbeResult& result, const LowShotProbeOptions& options);

}  // namespace ijepa::eval
