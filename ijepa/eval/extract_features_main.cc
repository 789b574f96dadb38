// bazel run //ijepa/eval:extract_features -- --checkpoint=PATH --out=FILE [--config=FILE.pbtxt]
//     [--set field=value ...] [--random_init]
//
// Runs a frozen encoder over one split of a data set and writes its features for other tools (a
// file torch.load reads; see ijepa/eval/extract.h). The eval config (ijepa/eval/eval.proto) says
// which data, weights, split, pooling and device: the same config and --set as linear_probe.
#include <cstdio>
#include <exception>
#include <string>

#include <glog/logging.h>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "ijepa/common/atomic_file.h"
#include "ijepa/common/command_line.h"
#include "ijepa/common/run_folder.h"
#include "ijepa/common/user_path.h"
#include "ijepa/eval/eval_config.h"
#include "ijepa/eval/extract.h"

ABSL_FLAG(std::string, checkpoint, "",
          "a checkpoint of //ijepa/training:pretrain, an official .pth.tar (architecture from the config's "
          "model section), or a Hugging Face IJepaModel folder (config.json + model.safetensors)");
ABSL_FLAG(ijepa::common::OptionalString, config, {},
          "eval config (text ijepa.eval.EvalConfig, see ijepa/eval/eval.proto); default: the checkpoint's "
          "pretraining data, train split, mean pooling, target encoder");
ABSL_FLAG(bool, random_init, false, "a randomly initialised encoder instead of the checkpoint's weights");
ABSL_FLAG(ijepa::common::OptionalString, out, {}, "the file to write (required)");

namespace ijepa::eval {
namespace {

constexpr char kUsage[] =
    "usage: extract_features --checkpoint=PATH --out=FILE [--config=FILE.pbtxt] [--set field=value ...]\n"
    "                        [--random_init]\n"
    "  --set  override one eval config field (repeatable), e.g.\n"
    "         --set extract.data_folder=/usr/share/datasets/fashion-mnist  (kind detected from the files)\n"
    "         --set extract.split=test --set extract.pool=LAST4 (MEAN, LAST4, NONE: per patch)\n"
    "         --set extract.max_images=1000 --set which=ENCODER --set device=cuda\n"
    "         --set extract_batch_size=256 --set num_workers=2 --set threads=0 --set seed=0\n"
    "         --set model.model_name=vit_huge --set model.patch_size=14 ... (a checkpoint without config)";

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "extract_features: error: %s\n", std::string(status.message()).c_str());
  return 1;
}

int Main(int argc, char** argv) {
  absl::StatusOr<std::vector<std::string>> sets = common::ParseCommandLineWithSets(argc, argv, kUsage);
  if (!sets.ok()) return Fail(sets.status());
  absl::StatusOr<std::optional<std::string>> config_path =
      common::NonEmptyIfGiven(absl::GetFlag(FLAGS_config), "config", "a file name");
  if (!config_path.ok()) return Fail(config_path.status());
  absl::StatusOr<std::optional<std::string>> out = common::NonEmptyIfGiven(absl::GetFlag(FLAGS_out), "out", "a file name");
  if (!out.ok()) return Fail(out.status());
  ExtractRequest request;
  request.checkpoint = UserPath(absl::GetFlag(FLAGS_checkpoint));
  request.random_init = absl::GetFlag(FLAGS_random_init);
  if (request.checkpoint.empty() && !request.random_init) {
    return Fail(absl::InvalidArgumentError(absl::StrCat("--checkpoint is required\n", kUsage)));
  }
  if (!out->has_value()) return Fail(absl::InvalidArgumentError(absl::StrCat("--out is required\n", kUsage)));
  request.out = UserPath(**out);

  if (*config_path) **config_path = UserPath(**config_path);
  absl::StatusOr<EvalConfig> config = ResolveEvalConfig(*config_path, *sets);
  if (!config.ok()) return Fail(config.status());
  absl::StatusOr<std::string> done = ExtractFeaturesToFile(*config, request);
  if (!done.ok()) return Fail(done.status());
  std::fprintf(stderr, "%s\n", done->c_str());
  return 0;
}

}  // namespace
}  // namespace ijepa::eval

int main(int argc, char** argv) {
  FLAGS_logtostderr = true;  // progress lines go to stderr
  google::InitGoogleLogging(argv[0]);
  ijepa::common::RemoveTemporariesOnTerminationSignals();  // Ctrl-C during the write leaves nothing
  try {
    return ijepa::eval::Main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "extract_features: error: %s\n", e.what());
    return 1;
  }
}
