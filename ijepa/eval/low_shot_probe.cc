#include "ijepa/eval/low_shot_probe.h"

#include <chrono>
#include <memory>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "ijepa/data/data_config.h"
#include "ijepa/eval/eval_config.h"
#include "ijepa/eval/evaluation.h"
#include "ijepa/eval/model_selection.h"

namespace ijepa::eval {

std::string DefaultTestSplit(const data::DataConfig& data) {
  return data.dataset() == data::DataConfig::IMAGE_FOLDER ? "val" : "test";
}

absl::StatusOr<ProbeResult> RunLowShotProbe(models::VisionTransformerImpl& encoder, const data::DataConfig& data,
                                            const LowShotProbeOptions& options, const c10::Device& device) {
  const auto start = std::chrono::steady_clock::now();
  if (options.images_per_class <= 0) {
    return absl::InvalidArgumentError(absl::StrFormat("probe images_per_class must be > 0, got %d", options.images_per_class));
  }
  if (options.epochs <= 0) return absl::InvalidArgumentError(absl::StrFormat("probe epochs must be > 0, got %d", options.epochs));
  if (options.max_eval_images < 0) {
    return absl::InvalidArgumentError(absl::StrFormat("probe max_eval_images must be >= 0, got %d", options.max_eval_images));
  }
  // The defaults of the linear_probe binary, with this probe's protocol and epochs.
  EvalConfig config;
  LowShotProtocol* protocol = config.add_protocol();
  protocol->set_per_class(static_cast<int32_t>(options.images_per_class));
  protocol->set_seed(options.seed);
  config.mutable_linear()->mutable_training()->set_epochs(static_cast<int32_t>(options.epochs));
  config.mutable_knn()->set_enabled(options.knn);
  config.set_max_test_images(static_cast<int32_t>(options.max_eval_images));
  config.set_extract_batch_size(static_cast<int32_t>(options.extract_batch_size));
  config.set_seed(options.seed);
  absl::StatusOr<EvalOptions> eval_options = EvalOptionsFromConfig(config);
  if (!eval_options.ok()) return eval_options.status();

  EvalInputs inputs;
  inputs.encoder = &encoder;
  inputs.data = data;
  inputs.data.clear_low_shot_per_class();
  inputs.data.clear_low_shot_percent();
  inputs.data.clear_subset_file();
  inputs.num_workers = options.num_workers;
  absl::StatusOr<std::shared_ptr<data::Dataset>> train = data::OpenDataset(inputs.data, "train");
  if (!train.ok()) return train.status();
  const std::string split = options.split.empty() ? DefaultTestSplit(inputs.data) : options.split;
  absl::StatusOr<std::shared_ptr<data::Dataset>> test = data::OpenDataset(inputs.data, split);
  if (!test.ok()) return test.status();
  inputs.train = *train;
  inputs.test = *test;
  inputs.test_split = split;

  absl::StatusOr<EvalResults> results = RunEvaluation(inputs, *eval_options, device);
  if (!results.ok()) return results.status();
  const std::string name = eval_options->protocols[0].name;
  const MethodScore* best = BestLinear(*results, name);
  if (best == nullptr) return absl::InternalError("low-shot probe produced no linear result");
  ProbeResult r;
  r.top1 = best->test.top1;
  r.top5 = best->test.top5;
  r.pool = best->features;
  r.lr = best->lr;
  r.weight_decay = best->weight_decay;
  if (const MethodScore* knn = KnnOn(*results, name, best->features); knn != nullptr) r.knn_top1 = knn->test.top1;
  r.num_labeled = results->protocols[0].num_labeled;
  r.num_test = results->num_test;
  r.extract_seconds = results->extract_seconds;
  r.total_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

std::string ProbeResultLine(const ProbeResult& r, const LowShotProbeOptions& options) {
  std::string line = absl::StrFormat("low-shot probe (%d/class, %d labelled, %d %s): top1 %.2f%% top5 %.2f%% "
                                     "[%s, lr %g, wd %g]",
                                     options.images_per_class, r.num_labeled, r.num_test,
                                     options.split.empty() ? "test" : options.split, r.top1, r.top5,
                                     r.pool, r.lr, r.weight_decay);
  if (r.knn_top1 >= 0) line += absl::StrFormat(", k-NN %.2f%%", r.knn_top1);
  return line + absl::StrFormat(", %.1f s", r.total_seconds);
}

}  // namespace ijepa::eval
