// bazel run //ijepa/eval:linear_probe -- --checkpoint=PATH [--config=FILE.pbtxt]
//     [--set field=value ...] [--random_init] [--raw_pixels] [--baselines] [--out=FILE.json]
//
// Evaluates a frozen encoder (the target encoder by default) with linear probes, k-NN and
// optionally the attentive probe under the config's label protocols (default: Fashion-MNIST with
// 60 labels per class), prints the JSON report and writes it to --out.
#include <chrono>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <string>
#include <vector>

#include <google/protobuf/text_format.h>

#include <glog/logging.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "ijepa/common/atomic_file.h"
#include "ijepa/common/run_folder.h"
#include "ijepa/common/threads.h"
#include "ijepa/data/data_config.h"
#include "ijepa/common/user_path.h"
#include "ijepa/eval/cli.h"
#include "ijepa/eval/encoder_loader.h"
#include "ijepa/eval/eval_config.h"
#include "ijepa/eval/eval_data.h"
#include "ijepa/eval/evaluation.h"
#include "ijepa/eval/low_shot_probe.h"
#include "ijepa/eval/report.h"

namespace ijepa::eval {
namespace {

constexpr char kUsage[] =
    "usage: linear_probe --checkpoint=PATH [--config=FILE.pbtxt] [--set field=value ...]\n"
    "                    [--random_init] [--raw_pixels] [--baselines] [--out=FILE.json]\n"
    "  --checkpoint   a checkpoint of //ijepa/training:pretrain or an official I-JEPA .pth.tar\n"
    "                 (then set the architecture: --set model.model_name=vit_huge ...), or a\n"
    "                 Hugging Face IJepaModel folder (config.json + model.safetensors)\n"
    "  --config       eval config (text ijepa.eval.EvalConfig, see ijepa/eval/eval.proto);\n"
    "                 default: Fashion-MNIST, 60 labels per class, linear probe + k-NN\n"
    "  --set          override one config field, e.g. --set protocol[0].per_class=10\n"
    "                 --set linear.training.lrs=0.1,1.0 --set which=ENCODER\n"
    "  --random_init  probe a randomly initialised encoder (architecture from the checkpoint's\n"
    "                 config when --checkpoint is given, else from the eval config's model)\n"
    "  --raw_pixels   also report softmax regression on standardised raw pixels; alone (no\n"
    "                 --checkpoint / --random_init) it reports only that baseline\n"
    "  --baselines    also run the same protocols on a randomly initialised encoder of the same\n"
    "                 architecture and on raw pixels (reported under \"baselines\"): the README\n"
    "                 comparison in one command\n"
    "  --out          JSON output file (default: eval_<checkpoint name | random_init |\n"
    "                 raw_pixels>.json in the current directory)\n";

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "linear_probe: error: %s\n", std::string(status.message()).c_str());
  return 1;
}

std::string DefaultOut(const std::string& checkpoint, bool random_init, bool encoder) {
  std::string name = "raw_pixels";
  if (random_init) {
    name = "random_init";
  } else if (encoder) {
    std::string path = checkpoint;
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
  const double load_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
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
  context.total_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return BuildReport(*results, context);
}

int Main(int argc, char** argv) {
  const auto start = std::chrono::steady_clock::now();
  ParsedArgs args;
  if (absl::Status s = ParseArgs(argc, argv, {"checkpoint", "config", "set", "out"},
                                 {"random_init", "raw_pixels", "baselines", "help"}, kUsage, &args);
      !s.ok()) {
    return Fail(s);
  }
  if (args.Get("help") == "true") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  const std::string checkpoint = UserPath(args.Get("checkpoint"));
  const bool random_init = args.Get("random_init") == "true";
  const bool raw_pixels = args.Get("raw_pixels") == "true";
  const bool baselines = args.Get("baselines") == "true";
  const bool use_encoder = !checkpoint.empty() || random_init;
  if (!use_encoder && !raw_pixels) {
    return Fail(absl::InvalidArgumentError(absl::StrCat("give --checkpoint=PATH, --random_init or --raw_pixels\n", kUsage)));
  }

  absl::StatusOr<EvalConfig> config =
      args.Has("config") ? LoadEvalConfigFile(UserPath(args.Get("config"))) : absl::StatusOr<EvalConfig>(EvalConfig());
  if (!config.ok()) return Fail(config.status());
  for (const std::string& set : args.GetAll("set")) {
    if (absl::Status s = ApplyEvalOverride(set, &*config); !s.ok()) return Fail(s);
  }
  if (raw_pixels) config->set_raw_pixels(true);
  if (config->has_feature_cache_dir()) config->set_feature_cache_dir(UserPath(config->feature_cache_dir()));
  absl::StatusOr<EvalOptions> options = EvalOptionsFromConfig(*config);
  if (!options.ok()) return Fail(options.status());
  if (config->num_workers() <= 0) {
    return Fail(absl::InvalidArgumentError(absl::StrCat("eval config field num_workers must be > 0, got ",
                                                        config->num_workers())));
  }
  const int threads = ConfigureIntraOpThreads(options->threads);
  const c10::Device device(options->device);

  models::ModelConfig fallback = DefaultEvalModel();
  fallback.MergeFrom(config->model());
  RunSetup setup{*config, *options, fallback, threads, device};

  // The main run: the checkpoint's encoder, a random-init encoder, or raw pixels alone.
  EncoderSpec spec;
  spec.checkpoint = checkpoint;
  spec.target_encoder = options->target_encoder;
  spec.random_init = random_init;
  spec.fallback_model = fallback;
  spec.seed = options->seed;
  absl::StatusOr<EvalReport> report = RunOne(setup, use_encoder ? &spec : nullptr, options->raw_pixels);
  if (!report.ok()) return Fail(report.status());
  if (baselines) {
    if (!checkpoint.empty() && !random_init) {
      EncoderSpec random = spec;
      random.random_init = true;
      absl::StatusOr<EvalReport> r = RunOne(setup, &random, false);
      if (!r.ok()) return Fail(r.status());
      *report->add_baselines() = *std::move(r);
    }
    if (!options->raw_pixels) {
      // Raw pixels at the encoder's input size and normalisation.
      absl::StatusOr<EvalReport> r = RunOne(setup, nullptr, true, use_encoder ? &spec : nullptr);
      if (!r.ok()) return Fail(r.status());
      *report->add_baselines() = *std::move(r);
    }
  }
  report->mutable_timings()->set_total_s(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());

  absl::StatusOr<std::string> json = ReportToJson(*report);
  if (!json.ok()) return Fail(json.status());
  std::printf("%s\n", json->c_str());
  std::fflush(stdout);
  const std::string out = args.Has("out") ? UserPath(args.Get("out")) : DefaultOut(checkpoint, random_init, use_encoder);
  // A kill -9 of an earlier probe during this write left out.tmp (older versions) or out.tmp.XXXXXX.
  if (auto removed = common::RemoveStaleTemporariesOf(out); !removed.ok()) return Fail(removed.status());
  if (absl::Status s = WriteTextFile(out, *json); !s.ok()) return Fail(s);
  // A short summary after the JSON, for people.
  std::vector<const EvalReport*> all = {&*report};
  for (const EvalReport& b : report->baselines()) all.push_back(&b);
  for (const EvalReport* r : all) {
    for (const MethodResult& m : r->results()) {
      std::fprintf(stderr, "%-14s %-12s %-9s %-10s top1 %6.2f  top5 %6.2f\n", m.protocol().c_str(),
                   r->weights().c_str(), m.method().c_str(), m.features().c_str(), m.top1(), m.top5());
    }
  }
  std::fprintf(stderr, "wrote %s\n", out.c_str());
  return 0;
}

}  // namespace
}  // namespace ijepa::eval

int main(int argc, char** argv) {
  FLAGS_logtostderr = true;  // progress lines go to stderr; the JSON / result goes to stdout
  google::InitGoogleLogging(argv[0]);
  try {
    ijepa::common::RemoveTemporariesOnTerminationSignals();
    return ijepa::eval::Main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "linear_probe: error: %s\n", e.what());
    return 1;
  }
}
