// bazel run //ijepa/eval:linear_probe -- --checkpoint=PATH [--config=FILE.pbtxt]
//     [--set field=value ...] [--random_init] [--raw_pixels] [--baselines] [--out=FILE.json]
//
// Evaluates a frozen encoder (the target encoder by default) with linear probes, k-NN and
// optionally the attentive probe under the config's label protocols (default: Fashion-MNIST with
// 60 labels per class), prints the JSON report and writes it to --out.
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
#include "ijepa/eval/linear_probe.h"
#include "ijepa/eval/report.h"

ABSL_FLAG(std::string, checkpoint, "",
          "a checkpoint of //ijepa/training:pretrain, an official I-JEPA .pth.tar (then set the architecture: "
          "--set model.model_name=vit_huge ...), or a Hugging Face IJepaModel folder (config.json + "
          "model.safetensors)");
ABSL_FLAG(ijepa::common::OptionalString, config, {},
          "eval config (text ijepa.eval.EvalConfig, see ijepa/eval/eval.proto); default: Fashion-MNIST, 60 labels "
          "per class, linear probe + k-NN");
ABSL_FLAG(bool, random_init, false,
          "probe a randomly initialised encoder (architecture from the checkpoint's config when --checkpoint is "
          "given, else from the eval config's model)");
ABSL_FLAG(bool, raw_pixels, false,
          "also report softmax regression on standardised raw pixels; alone (no --checkpoint / --random_init) it "
          "reports only that baseline");
ABSL_FLAG(bool, baselines, false,
          "also run the same protocols on a randomly initialised encoder of the same architecture and on raw "
          "pixels (reported under \"baselines\"): the README comparison in one command");
ABSL_FLAG(ijepa::common::OptionalString, out, {},
          "JSON output file (default: eval_<checkpoint name | random_init | raw_pixels>.json in the current "
          "directory)");

namespace ijepa::eval {
namespace {

constexpr char kUsage[] =
    "usage: linear_probe --checkpoint=PATH [--config=FILE.pbtxt] [--set field=value ...]\n"
    "                    [--random_init] [--raw_pixels] [--baselines] [--out=FILE.json]\n"
    "  --set  override one eval config field (repeatable), e.g. --set protocol[0].per_class=10\n"
    "         --set linear.training.lrs=0.1,1.0 --set which=ENCODER";

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "linear_probe: error: %s\n", std::string(status.message()).c_str());
  return 1;
}

int Main(int argc, char** argv) {
  absl::StatusOr<std::vector<std::string>> sets = common::ParseCommandLineWithSets(argc, argv, kUsage);
  if (!sets.ok()) return Fail(sets.status());
  absl::StatusOr<std::optional<std::string>> config_path =
      common::NonEmptyIfGiven(absl::GetFlag(FLAGS_config), "config", "a file name");
  if (!config_path.ok()) return Fail(config_path.status());
  absl::StatusOr<std::optional<std::string>> out_flag =
      common::NonEmptyIfGiven(absl::GetFlag(FLAGS_out), "out", "a file name");
  if (!out_flag.ok()) return Fail(out_flag.status());
  LinearProbeRequest request;
  request.checkpoint = UserPath(absl::GetFlag(FLAGS_checkpoint));
  request.random_init = absl::GetFlag(FLAGS_random_init);
  request.baselines = absl::GetFlag(FLAGS_baselines);
  const bool raw_pixels = absl::GetFlag(FLAGS_raw_pixels);
  if (request.checkpoint.empty() && !request.random_init && !raw_pixels) {
    return Fail(absl::InvalidArgumentError(absl::StrCat("give --checkpoint=PATH, --random_init or --raw_pixels\n",
                                                        kUsage)));
  }

  if (*config_path) **config_path = UserPath(**config_path);
  absl::StatusOr<EvalConfig> config = ResolveEvalConfig(*config_path, *sets);
  if (!config.ok()) return Fail(config.status());
  if (raw_pixels) config->set_raw_pixels(true);
  absl::StatusOr<EvalReport> report = RunLinearProbe(*config, request);
  if (!report.ok()) return Fail(report.status());

  absl::StatusOr<std::string> json = ReportToJson(*report);
  if (!json.ok()) return Fail(json.status());
  std::printf("%s\n", json->c_str());
  std::fflush(stdout);
  const std::string out = *out_flag ? UserPath(**out_flag) : DefaultReportPath(request);
  // A kill -9 of an earlier probe during this write left out.tmp (older versions) or out.tmp.XXXXXX.
  if (auto removed = common::RemoveStaleTemporariesOf(out); !removed.ok()) return Fail(removed.status());
  if (absl::Status s = WriteTextFile(out, *json); !s.ok()) return Fail(s);
  std::fprintf(stderr, "%swrote %s\n", ReportSummary(*report).c_str(), out.c_str());
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
