#include "ijepa/eval/linear_probe.h"

#include <google/protobuf/text_format.h>
#include <glog/logging.h>

#include <chrono>
#include <filesystem>
#include <memory>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "ijepa/common/threads.h"
#include "ijepa/common/user_path.h"
#include "ijepa/data/data_config.h"
#include "ijepa/eval/encoder_loader.h"
#include "ijepa/eval/eval_config.h"
#include "ijepa/eval/eval_data.h"
#include "ijepa/eval/evaluation.h"
#include "ijepa/eval/low_shot_probe.h"
#include "ijepa/eval/report.h"

namespace ijepa::eval {
namespace {

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

struct RunSetup {
  const EvalConfig& config;
  const EvalOptions& options;
  const models::ModelConfig& fallback_model;
  int threads;
  c10::Device device;
};

// One evaluation: `spec` null means no encoder (raw pixels only). `data_from` supplies the
// checkpoint whose embedded data config (normalisation) the raw-pixel baseline should use.
absl::StatusOr<EvalReport> RunOne(const RunSetup& setup, const EncoderSpec* spec, bool raw_pixels,
                                  const EncoderSpec* data_from = nullptr) {
  const auto start = std::chrono::steady_clock::now();
  LoadedEncoder loaded;
  loaded.model = setup.fallback_model;
  loaded.weights = "none";
  if (spec != nullptr || data_from != nullptr) {
    absl::StatusOr<LoadedEncoder> encoder = LoadEncoder(spec != nullptr ? *spec : *data_from, setup.device);
    if (!encoder.ok()) return encoder.status();
    loaded = *std::move(encoder);
  }
  if (spec == nullptr) loaded.weights = "none";
  const double load_seconds = SecondsSince(start);
  EvalOptions options = setup.options;
  options.raw_pixels = raw_pixels;

  absl::StatusOr<data::DataConfig> data =
      ResolveEvalData(loaded.pretrain_data, setup.config.data(), setup.config.has_data(), loaded.model);
  if (!data.ok()) return data.status();
  data->set_root_path(UserPath(data->root_path()));
  EvalInputs inputs;
  inputs.encoder = spec != nullptr ? loaded.encoder.get() : nullptr;
  inputs.encoder_id = spec != nullptr ? loaded.id : "raw_pixels";
  inputs.data = *data;
  inputs.num_workers = setup.config.num_workers();
  absl::StatusOr<std::shared_ptr<data::Dataset>> train = data::OpenDataset(*data, "train");
  if (!train.ok()) return train.status();
  const std::string test_split =
      setup.config.test_split().empty() ? DefaultTestSplit(*data) : setup.config.test_split();
  absl::StatusOr<std::shared_ptr<data::Dataset>> test = data::OpenDataset(*data, test_split);
  if (!test.ok()) return test.status();
  inputs.train = *train;
  inputs.test = *test;
  inputs.test_split = test_split;
  LOG(INFO) << "evaluating " << loaded.weights << (raw_pixels ? " + raw pixels" : "");
  absl::StatusOr<EvalResults> results = RunEvaluation(inputs, options, setup.device);
  if (!results.ok()) return results.status();

  ReportContext context;
  context.checkpoint = spec != nullptr ? spec->checkpoint : "";
  context.weights = loaded.weights;
  if (spec != nullptr) {
    const auto& o = loaded.encoder->options();
    context.model_name = loaded.model.model_name();
    context.patch_size = o.patch_size;
    context.img_size = o.img_size;
    context.in_chans = o.in_chans;
    context.embed_dim = o.embed_dim;
    context.depth = o.depth;
  }
  context.dataset = absl::StrCat(data::DataConfig::DatasetKind_Name(data->dataset()), " ", data::DatasetFolder(*data),
                                 " (test split: ", test_split, ")");
  context.load_seconds = load_seconds;
  context.threads = setup.threads;
  context.device = options.device;
  EvalConfig resolved = setup.config;
  *resolved.mutable_data() = *data;
  *resolved.mutable_model() = loaded.model;
  resolved.set_raw_pixels(raw_pixels);
  google::protobuf::TextFormat::PrintToString(resolved, &context.config_text);
  context.total_seconds = SecondsSince(start);
  return BuildReport(*results, context);
}

}  // namespace

std::string DefaultReportPath(const LinearProbeRequest& request) {
  std::string name = "raw_pixels";
  if (request.random_init) {
    name = "random_init";
  } else if (!request.checkpoint.empty()) {
    std::string path = request.checkpoint;
    while (path.size() > 1 && path.back() == '/') path.pop_back();  // an HF folder given as "dir/"
    name = std::filesystem::path(path).filename().string();
    for (const char* suffix : {".pth.tar", ".pt", ".pth", ".tar"}) {
      const std::string s = suffix;
      if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0) {
        name.resize(name.size() - s.size());
        break;
      }
    }
  }
  return UserPath(absl::StrCat("eval_", name, ".json"));
}

absl::StatusOr<EvalReport> RunLinearProbe(const EvalConfig& given, const LinearProbeRequest& request) {
  const auto start = std::chrono::steady_clock::now();
  const bool use_encoder = !request.checkpoint.empty() || request.random_init;
  if (!use_encoder && !given.raw_pixels()) {
    return absl::InvalidArgumentError("give --checkpoint=PATH, --random_init or --raw_pixels");
  }
  EvalConfig config = given;
  if (config.has_feature_cache_dir()) config.set_feature_cache_dir(UserPath(config.feature_cache_dir()));
  absl::StatusOr<EvalOptions> options = EvalOptionsFromConfig(config);
  if (!options.ok()) return options.status();
  if (config.num_workers() <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("eval config field num_workers must be > 0, got ", config.num_workers()));
  }
  const int threads = ConfigureIntraOpThreads(options->threads);
  const c10::Device device(options->device);

  models::ModelConfig fallback = DefaultEvalModel();
  fallback.MergeFrom(config.model());
  RunSetup setup{config, *options, fallback, threads, device};

  // The main run: the checkpoint's encoder, a random-init encoder, or raw pixels alone.
  EncoderSpec spec;
  spec.checkpoint = request.checkpoint;
  spec.target_encoder = options->target_encoder;
  spec.random_init = request.random_init;
  spec.fallback_model = fallback;
  spec.seed = options->seed;
  absl::StatusOr<EvalReport> report = RunOne(setup, use_encoder ? &spec : nullptr, options->raw_pixels);
  if (!report.ok()) return report.status();
  if (request.baselines) {
    if (!request.checkpoint.empty() && !request.random_init) {
      EncoderSpec random = spec;
      random.random_init = true;
      absl::StatusOr<EvalReport> r = RunOne(setup, &random, false);
      if (!r.ok()) return r.status();
      *report->add_baselines() = *std::move(r);
    }
    if (!options->raw_pixels) {
      // Raw pixels at the encoder's input size and normalisation.
      absl::StatusOr<EvalReport> r = RunOne(setup, nullptr, true, use_encoder ? &spec : nullptr);
      if (!r.ok()) return r.status();
      *report->add_baselines() = *std::move(r);
    }
  }
  report->mutable_timings()->set_total_s(SecondsSince(start));
  return report;
}

}  // namespace ijepa::eval
