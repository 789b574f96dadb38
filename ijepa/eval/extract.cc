#include "ijepa/eval/extract.h"

#include <ATen/ATen.h>
#include <ATen/core/Dict.h>
#include <google/protobuf/text_format.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <system_error>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ijepa/checkpoint/torch_file.h"
#include "ijepa/common/run_folder.h"
#include "ijepa/common/threads.h"
#include "ijepa/common/user_path.h"
#include "ijepa/data/data_config.h"
#include "ijepa/eval/encoder_loader.h"
#include "ijepa/eval/eval_config.h"
#include "ijepa/eval/eval_data.h"
#include "ijepa/eval/feature_extractor.h"

namespace ijepa::eval {
namespace {

bool Exists(const std::filesystem::path& p) {
  std::error_code error;
  return std::filesystem::exists(p, error);
}

// The FeatureRequest of extract.pool and its name in the written file.
absl::StatusOr<std::pair<FeatureRequest, std::string>> Pooling(ExtractConfig::Pool pool) {
  FeatureRequest request;
  switch (pool) {
    case ExtractConfig::MEAN:
      request.pools = {PoolMode::kMean};
      return std::make_pair(request, std::string("mean"));
    case ExtractConfig::LAST4:
      request.pools = {PoolMode::kLast4};
      return std::make_pair(request, std::string("last4"));
    case ExtractConfig::NONE:
      request.patches = true;
      return std::make_pair(request, std::string("none"));
    default:
      return absl::InvalidArgumentError(absl::StrCat("eval config field extract.pool must be MEAN, LAST4 or NONE, got ",
                                                     ExtractConfig::Pool_Name(pool)));
  }
}

}  // namespace

absl::StatusOr<data::DataConfig> DataConfigOfFolder(const std::string& folder) {
  std::error_code error;
  if (!std::filesystem::is_directory(folder, error)) {
    return absl::NotFoundError(absl::StrCat("extract.data_folder ", folder, ": not a folder"));
  }
  const std::filesystem::path dir(folder);
  data::DataConfig config;
  config.set_root_path(folder);
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

absl::StatusOr<std::string> ExtractFeaturesToFile(const EvalConfig& config, const ExtractRequest& request) {
  absl::StatusOr<EvalOptions> options = EvalOptionsFromConfig(config);
  if (!options.ok()) return options.status();
  const ExtractConfig& extract = config.extract();
  absl::StatusOr<std::pair<FeatureRequest, std::string>> pooling = Pooling(extract.pool());
  if (!pooling.ok()) return pooling.status();
  const auto& [features_request, pool_name] = *pooling;
  if (extract.max_images() < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("eval config field extract.max_images must be >= 0, got ", extract.max_images()));
  }
  if (config.num_workers() < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("eval config field num_workers must be >= 0, got ", config.num_workers()));
  }
  if (request.checkpoint.empty() && !request.random_init) {
    return absl::InvalidArgumentError("--checkpoint is required");
  }
  const int threads = ConfigureIntraOpThreads(options->threads);
  const c10::Device device(options->device);

  EncoderSpec spec;
  spec.checkpoint = request.checkpoint;
  spec.target_encoder = options->target_encoder;
  spec.random_init = request.random_init;
  spec.fallback_model = DefaultEvalModel();
  spec.fallback_model.MergeFrom(config.model());
  spec.seed = options->seed;
  absl::StatusOr<LoadedEncoder> loaded = LoadEncoder(spec, device);
  if (!loaded.ok()) return loaded.status();

  data::DataConfig overrides = config.data();
  if (!extract.data_folder().empty()) {
    absl::StatusOr<data::DataConfig> folder = DataConfigOfFolder(UserPath(extract.data_folder()));
    if (!folder.ok()) return folder.status();
    overrides.MergeFrom(*folder);
  }
  const bool has_overrides = config.has_data() || !extract.data_folder().empty();
  absl::StatusOr<data::DataConfig> data = ResolveEvalData(loaded->pretrain_data, overrides, has_overrides, loaded->model);
  if (!data.ok()) return data.status();
  data->set_root_path(UserPath(data->root_path()));
  const std::string& split = extract.split();
  absl::StatusOr<std::shared_ptr<data::Dataset>> dataset = data::OpenDataset(*data, split);
  if (!dataset.ok()) return dataset.status();
  const int64_t size = (*dataset)->size();
  const int64_t n = extract.max_images() > 0 ? std::min<int64_t>(extract.max_images(), size) : size;
  std::vector<int64_t> indices(n);
  for (int64_t i = 0; i < n; ++i) indices[i] = i;
  absl::StatusOr<std::shared_ptr<const data::Transform>> transform = MakeEvalTransform(*data, **dataset);
  if (!transform.ok()) return transform.status();
  ExtractOptions eo;
  eo.batch_size = options->extract_batch_size;
  eo.num_workers = config.num_workers();
  eo.device = device;
  absl::StatusOr<ExtractedFeatures> f =
      ExtractFeatures(loaded->encoder.get(), *dataset, indices, *transform, features_request, eo);
  if (!f.ok()) return f.status();

  const at::Tensor& features = features_request.patches ? f->patches : f->pooled.begin()->second;
  c10::impl::GenericDict dict(c10::StringType::get(), c10::AnyType::get());
  dict.insert(std::string("features"), features);
  dict.insert(std::string("labels"), f->labels);
  dict.insert(std::string("indices"), at::tensor(indices, at::kLong));
  dict.insert(std::string("pool"), pool_name);
  dict.insert(std::string("which"), loaded->weights);
  dict.insert(std::string("split"), split);
  dict.insert(std::string("checkpoint"), request.checkpoint);
  std::string model_text, data_text;
  google::protobuf::TextFormat::PrintToString(loaded->model, &model_text);
  google::protobuf::TextFormat::PrintToString(*data, &data_text);
  dict.insert(std::string("model"), model_text);
  dict.insert(std::string("data"), data_text);
  if (auto removed = common::RemoveStaleTemporariesOf(request.out); !removed.ok()) return removed.status();
  if (absl::Status s = checkpoint::WriteTorchFile(request.out, c10::IValue(dict)); !s.ok()) return s;
  return absl::StrFormat("wrote %s: features %s of %d %s images in %.1f s (%d threads, %s)", request.out,
                         c10::str(features.sizes()), n, split, f->seconds, threads, options->device);
}

}  // namespace ijepa::eval
