// bazel run //ijepa/eval:extract_features -- --checkpoint=PATH --data=DIR_OR_CONFIG --out=FILE
//     [--pool=mean|last4|none] [--which=target_encoder|encoder] [--split=train|test|val] ...
//
// Runs a frozen encoder over one split of a data set and writes its features for other tools:
// a file Python's torch.load reads, holding a dict
//   features  float [N, D] (mean), [N, 4D] (last4) or [N, num_patches, D] (none)
//   labels    int64 [N];  indices int64 [N] (data set index of each row)
//   pool, which, split, checkpoint (str); model, data (the configs used, text format).
#include <algorithm>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/core/Dict.h>
#include <google/protobuf/text_format.h>

#include <glog/logging.h>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "ijepa/checkpoint/torch_file.h"
#include "ijepa/common/atomic_file.h"
#include "ijepa/common/run_folder.h"
#include "ijepa/common/text_proto.h"
#include "ijepa/common/threads.h"
#include "ijepa/data/data_config.h"
#include "ijepa/common/user_path.h"
#include "ijepa/eval/cli.h"
#include "ijepa/eval/encoder_loader.h"
#include "ijepa/eval/eval_data.h"
#include "ijepa/eval/feature_extractor.h"
#include "ijepa/eval/low_shot_probe.h"

namespace ijepa::eval {
namespace {

constexpr char kUsage[] =
    "usage: extract_features --checkpoint=PATH --data=DIR_OR_CONFIG --out=FILE\n"
    "         [--pool=mean|last4|none] [--which=target_encoder|encoder] [--split=SPLIT]\n"
    "         [--max_images=N] [--batch_size=N] [--num_workers=N] [--threads=N] [--device=cpu|cuda]\n"
    "         [--random_init] [--model_name=vit_tiny --patch_size=4 --crop_size=28 --in_chans=1]\n"
    "  --data         a data set folder (IDX, CIFAR-10/100 binaries or an ImageFolder tree, detected)\n"
    "                 or a .pbtxt ijepa.data.DataConfig; fields not given come from the checkpoint's\n"
    "                 embedded pretraining config (normalisation, channels, crop size)\n"
    "  --pool         mean: [N, D]; last4: mean of each of the last 4 blocks, [N, 4D];\n"
    "                 none: per-patch last block, [N, patches, D]. Default mean\n"
    "  --checkpoint   a checkpoint of //ijepa/training:pretrain, an official .pth.tar, or a Hugging\n"
    "                 Face IJepaModel folder (config.json + model.safetensors; its architecture)\n"
    "  --which        weights of the checkpoint. Default target_encoder\n"
    "  --split        train, test or val. Default train\n"
    "  --max_images   first N images of the split only (0 = all). Default 0\n"
    "  --model_name, --patch_size, --crop_size, --in_chans: the architecture of a checkpoint\n"
    "                 without an embedded config (official .pth.tar). Default vit_tiny/4/28/1\n";

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "extract_features: error: %s\n", std::string(status.message()).c_str());
  return 1;
}

bool Exists(const std::filesystem::path& p) {
  std::error_code error;
  return std::filesystem::exists(p, error);
}

// A data config for --data: a .pbtxt DataConfig, or a folder whose layout names its kind.
absl::StatusOr<data::DataConfig> DataOverrides(const std::string& arg) {
  data::DataConfig config;
  std::error_code error;
  if (std::filesystem::is_regular_file(arg, error)) {
    if (absl::Status s = common::LoadTextProtoFile(arg, &config); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat("--data: ", s.message()));
    }
    return config;
  }
  if (!std::filesystem::is_directory(arg, error)) {
    return absl::NotFoundError(absl::StrCat("--data ", arg, ": neither a folder nor a .pbtxt data config"));
  }
  const std::filesystem::path dir(arg);
  config.set_root_path(arg);
  config.set_image_folder("");
  if (Exists(dir / "train-images-idx3-ubyte.gz") || Exists(dir / "train-images-idx3-ubyte") ||
      Exists(dir / "t10k-images-idx3-ubyte.gz") || Exists(dir / "t10k-images-idx3-ubyte")) {
    config.set_dataset(data::DataConfig::IDX);
  } else if (Exists(dir / "data_batch_1.bin") || Exists(dir / "test_batch.bin")) {
    config.set_dataset(data::DataConfig::CIFAR10);
  } else if (Exists(dir / "train.bin") || Exists(dir / "test.bin")) {
    config.set_dataset(data::DataConfig::CIFAR100);
  } else {
    config.set_dataset(data::DataConfig::IMAGE_FOLDER);
  }
  return config;
}

absl::Status ParseInt(const ParsedArgs& args, const std::string& name, int64_t* value) {
  if (!args.Has(name)) return absl::OkStatus();
  if (!absl::SimpleAtoi(args.Get(name), value)) {
    return absl::InvalidArgumentError(absl::StrCat("--", name, " expects an integer, got '", args.Get(name), "'"));
  }
  return absl::OkStatus();
}

int Main(int argc, char** argv) {
  ParsedArgs args;
  if (absl::Status s = ParseArgs(argc, argv,
                                 {"checkpoint", "data", "out", "pool", "which", "split", "max_images", "batch_size",
                                  "num_workers", "threads", "device", "model_name", "patch_size", "crop_size",
                                  "in_chans", "seed"},
                                 {"random_init", "help"}, kUsage, &args);
      !s.ok()) {
    return Fail(s);
  }
  if (args.Get("help") == "true") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  const std::string checkpoint = UserPath(args.Get("checkpoint"));
  const bool random_init = args.Get("random_init") == "true";
  if (checkpoint.empty() && !random_init) return Fail(absl::InvalidArgumentError(absl::StrCat("--checkpoint is required\n", kUsage)));
  if (!args.Has("data")) return Fail(absl::InvalidArgumentError(absl::StrCat("--data is required\n", kUsage)));
  if (!args.Has("out")) return Fail(absl::InvalidArgumentError(absl::StrCat("--out is required\n", kUsage)));
  const std::string pool_name = args.Get("pool", "mean");
  FeatureRequest request;
  if (pool_name == "none") {
    request.patches = true;
  } else {
    absl::StatusOr<PoolMode> pool = ParsePoolMode(pool_name);
    if (!pool.ok()) return Fail(pool.status());
    request.pools = {*pool};
  }
  const std::string which = args.Get("which", "target_encoder");
  if (which != "target_encoder" && which != "encoder") {
    return Fail(absl::InvalidArgumentError(absl::StrCat("--which expects target_encoder or encoder, got '", which, "'")));
  }
  int64_t max_images = 0, batch_size = 256, num_workers = 2, threads = 0, patch_size = 4, crop_size = 28,
          in_chans = 1, seed = 0;
  for (auto [name, value] : std::vector<std::pair<const char*, int64_t*>>{
           {"max_images", &max_images}, {"batch_size", &batch_size}, {"num_workers", &num_workers},
           {"threads", &threads}, {"patch_size", &patch_size}, {"crop_size", &crop_size},
           {"in_chans", &in_chans}, {"seed", &seed}}) {
    if (absl::Status s = ParseInt(args, name, value); !s.ok()) return Fail(s);
  }
  if (max_images < 0 || batch_size <= 0 || num_workers < 0) {
    return Fail(absl::InvalidArgumentError("--max_images must be >= 0, --batch_size > 0, --num_workers >= 0"));
  }
  const int used_threads = ConfigureIntraOpThreads(static_cast<int>(threads));
  const std::string device_name = args.Get("device", "cpu");
  if (device_name != "cpu" && device_name.rfind("cuda", 0) != 0) {
    return Fail(absl::InvalidArgumentError(absl::StrCat("--device expects cpu, cuda or cuda:N, got '", device_name, "'")));
  }
  const c10::Device device(device_name);

  EncoderSpec spec;
  spec.checkpoint = checkpoint;
  spec.target_encoder = which == "target_encoder";
  spec.random_init = random_init;
  spec.fallback_model = DefaultEvalModel();
  spec.fallback_model.set_model_name(args.Get("model_name", "vit_tiny"));
  spec.fallback_model.set_patch_size(patch_size);
  spec.fallback_model.set_crop_size(crop_size);
  spec.fallback_model.set_in_chans(in_chans);
  spec.seed = static_cast<uint64_t>(seed);
  absl::StatusOr<LoadedEncoder> loaded = LoadEncoder(spec, device);
  if (!loaded.ok()) return Fail(loaded.status());

  absl::StatusOr<data::DataConfig> overrides = DataOverrides(UserPath(args.Get("data")));
  if (!overrides.ok()) return Fail(overrides.status());
  absl::StatusOr<data::DataConfig> data = ResolveEvalData(loaded->pretrain_data, *overrides, true, loaded->model);
  if (!data.ok()) return Fail(data.status());
  const std::string split = args.Get("split", "train");
  absl::StatusOr<std::shared_ptr<data::Dataset>> dataset = data::OpenDataset(*data, split);
  if (!dataset.ok()) return Fail(dataset.status());
  const int64_t n = max_images > 0 ? std::min(max_images, (*dataset)->size()) : (*dataset)->size();
  std::vector<int64_t> indices(n);
  for (int64_t i = 0; i < n; ++i) indices[i] = i;
  absl::StatusOr<std::shared_ptr<const data::Transform>> transform = MakeEvalTransform(*data, **dataset);
  if (!transform.ok()) return Fail(transform.status());
  ExtractOptions eo;
  eo.batch_size = batch_size;
  eo.num_workers = static_cast<int>(num_workers);
  eo.device = device;
  absl::StatusOr<ExtractedFeatures> f = ExtractFeatures(loaded->encoder.get(), *dataset, indices, *transform, request, eo);
  if (!f.ok()) return Fail(f.status());

  c10::impl::GenericDict dict(c10::StringType::get(), c10::AnyType::get());
  dict.insert(std::string("features"), request.patches ? f->patches : f->pooled.begin()->second);
  dict.insert(std::string("labels"), f->labels);
  dict.insert(std::string("indices"), at::tensor(indices, at::kLong));
  dict.insert(std::string("pool"), pool_name);
  dict.insert(std::string("which"), loaded->weights);
  dict.insert(std::string("split"), split);
  dict.insert(std::string("checkpoint"), checkpoint);
  std::string model_text, data_text;
  google::protobuf::TextFormat::PrintToString(loaded->model, &model_text);
  google::protobuf::TextFormat::PrintToString(*data, &data_text);
  dict.insert(std::string("model"), model_text);
  dict.insert(std::string("data"), data_text);
  const std::string out = UserPath(args.Get("out"));
  if (auto removed = common::RemoveStaleTemporariesOf(out); !removed.ok()) return Fail(removed.status());
  if (absl::Status s = checkpoint::WriteTorchFile(out, c10::IValue(dict)); !s.ok()) return Fail(s);
  const at::Tensor& features = request.patches ? f->patches : f->pooled.begin()->second;
  std::fprintf(stderr, "wrote %s: features %s of %lld %s images in %.1f s (%d threads, %s)\n", out.c_str(),
               c10::str(features.sizes()).c_str(), static_cast<long long>(n), split.c_str(), f->seconds,
               used_threads, device_name.c_str());
  return 0;
}

}  // namespace
}  // namespace ijepa::eval

int main(int argc, char** argv) {
  FLAGS_logtostderr = true;  // progress lines go to stderr; the JSON / result goes to stdout
  google::InitGoogleLogging(argv[0]);
  ijepa::common::RemoveTemporariesOnTerminationSignals();  // Ctrl-C during the write leaves nothing
  try {
    return ijepa::eval::Main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "extract_features: error: %s\n", e.what());
    return 1;
  }
}
