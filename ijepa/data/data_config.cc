#include "ijepa/data/data_config.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numeric>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ijepa/common/field_error.h"
#include "ijepa/common/limits.h"
#include "ijepa/data/cifar.h"
#include "ijepa/data/idx.h"
#include "ijepa/data/image_folder.h"
#include "ijepa/data/subset.h"

namespace ijepa::data {
namespace fs = std::filesystem;
namespace {

struct Stats {
  std::vector<float> mean, std;
};

Stats DefaultStats(DataConfig::DatasetKind kind) {
  switch (kind) {
    case DataConfig::IDX:
      return {{0.2860f}, {0.3530f}};  // Fashion-MNIST training set
    case DataConfig::CIFAR10:
      return {{0.4914f, 0.4822f, 0.4465f}, {0.2470f, 0.2435f, 0.2616f}};
    case DataConfig::CIFAR100:
      return {{0.5071f, 0.4865f, 0.4409f}, {0.2673f, 0.2564f, 0.2762f}};
    default:
      return {{0.485f, 0.456f, 0.406f}, {0.229f, 0.224f, 0.225f}};  // ImageNet
  }
}

// Fits `values` to `channels`: one value repeats; three values become their luma-weighted average
// for one channel (colour stats applied to luma images).
std::vector<float> FitChannels(const std::vector<float>& values, int channels) {
  if (static_cast<int>(values.size()) == channels) return values;
  if (values.size() == 1) return std::vector<float>(channels, values[0]);
  return {0.299f * values[0] + 0.587f * values[1] + 0.114f * values[2]};
}

absl::Status CheckRange(const google::protobuf::RepeatedField<float>& values, const std::string& field) {
  if (values.empty()) return absl::OkStatus();
  if (values.size() != 2 || !(values[0] > 0) || values[0] > values[1]) {
    return absl::InvalidArgumentError(absl::StrCat(field, " has ", values.size(),
                                                   " value(s)", values.size() == 2 ? absl::StrCat(" [", values[0], ", ", values[1], "]") : "",
                                                   "; expected two values 0 < min <= max"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ExistingIdxFile(const std::string& folder, const std::string& name) {
  std::error_code error;
  for (const std::string& candidate : {name + ".gz", name}) {
    const std::string path = (fs::path(folder) / candidate).string();
    if (fs::exists(path, error)) return path;
  }
  return absl::NotFoundError(absl::StrCat("IDX data set folder ", folder, ": found neither ", name,
                                          ".gz nor ", name,
                                          " (expected MNIST-style {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz] files)"));
}

}  // namespace

common::FieldErrorStyle DataFieldStyle() {
  common::FieldErrorStyle style;
  style.name = [](absl::string_view field) { return absl::StrCat("data.", field); };
  style.words = [](absl::string_view name, absl::string_view expected, absl::string_view got) {
    return absl::StrCat(name, " is ", got, "; expected ", expected);
  };
  return style;
}

absl::Status ValidateDataConfig(const DataConfig& c, const common::FieldErrorStyle& style) {
  if (c.dataset() == DataConfig::DATASET_KIND_UNSPECIFIED) {
    return style.Error("dataset", "IDX, IMAGE_FOLDER, CIFAR10 or CIFAR100", "unspecified");
  }
  if (c.root_path().empty()) return style.Error("root_path", "a folder", "empty");
  if (c.batch_size() <= 0) return style.Error("batch_size", "> 0", absl::StrCat(c.batch_size()));
  if (c.crop_size() <= 0 || c.crop_size() > 8192) {
    return style.Error("crop_size", "1 to 8192", absl::StrCat(c.crop_size()));
  }
  if (absl::Status s = CheckRange(c.crop_scale(), style.Name("crop_scale")); !s.ok()) return s;
  if (c.crop_scale_size() == 2 && c.crop_scale(1) > 1.0f) {
    return style.Error("crop_scale max", "<= 1", absl::StrCat(c.crop_scale(1)));
  }
  if (absl::Status s = CheckRange(c.crop_ratio(), style.Name("crop_ratio")); !s.ok()) return s;
  if (c.num_workers() < 0) return style.Error("num_workers", ">= 0", absl::StrCat(c.num_workers()));
  // 100000 workers aborted in std::thread's constructor; a billion images per batch exhausted memory.
  if (absl::Status s = common::CheckThreadCount(style.Name("num_workers"), c.num_workers()); !s.ok()) {
    return s;
  }
  if (absl::Status s = common::CheckBatchSize(style.Name("batch_size"), c.batch_size()); !s.ok()) return s;
  if (c.color_jitter_strength() < 0) {
    return style.Error("color_jitter_strength", ">= 0", absl::StrCat(c.color_jitter_strength()));
  }
  if (c.channels() != 1 && c.channels() != 3) return style.Error("channels", "1 or 3", absl::StrCat(c.channels()));
  for (const auto* field : {&c.normalization_mean(), &c.normalization_std()}) {
    const int n = field->size();
    if (n != 0 && n != 1 && n != c.channels()) {
      return absl::InvalidArgumentError(absl::StrCat(
          style.Name(field == &c.normalization_mean() ? "normalization_mean" : "normalization_std"), " has ", n,
          " values; expected none (data set default), 1, or ", c.channels(), " (", style.Name("channels"), ")"));
    }
  }
  for (float s : c.normalization_std()) {
    if (!(s > 0)) {
      return absl::InvalidArgumentError(absl::StrCat(style.Name("normalization_std"), " has ", s, "; expected > 0"));
    }
  }
  if (!(c.max_skipped_fraction() >= 0 && c.max_skipped_fraction() <= 1)) {
    return style.Error("max_skipped_fraction", "in [0, 1]", absl::StrCat(c.max_skipped_fraction()));
  }
  if (c.eval_resize_size() < 0 || (c.eval_resize_size() > 0 && c.eval_resize_size() < c.crop_size())) {
    return style.Error("eval_resize_size",
                       absl::StrCat("0 (automatic) or >= ", style.Name("crop_size"), " ", c.crop_size()),
                       absl::StrCat(c.eval_resize_size()));
  }
  if (c.low_shot_per_class() < 0) {
    return style.Error("low_shot_per_class", ">= 0", absl::StrCat(c.low_shot_per_class()));
  }
  if (c.holdout_per_class() < 0) {
    return style.Error("holdout_per_class", ">= 0", absl::StrCat(c.holdout_per_class()));
  }
  if (!(c.low_shot_percent() >= 0 && c.low_shot_percent() <= 100)) {
    return style.Error("low_shot_percent", "in [0, 100]", absl::StrCat(c.low_shot_percent()));
  }
  if (!c.subset_file().empty() && c.dataset() != DataConfig::IMAGE_FOLDER) {
    return absl::InvalidArgumentError(absl::StrCat(style.Name("subset_file"), " is set but ", style.Name("dataset"),
                                                   " is not IMAGE_FOLDER; subset files list image file names"));
  }
  return absl::OkStatus();
}

absl::StatusOr<Normalization> NormalizationFromConfig(const DataConfig& config) {
  if (absl::Status s = ValidateDataConfig(config); !s.ok()) return s;
  const Stats defaults = DefaultStats(config.dataset());
  Normalization n;
  n.mean = FitChannels(config.normalization_mean().empty()
                           ? defaults.mean
                           : std::vector<float>(config.normalization_mean().begin(), config.normalization_mean().end()),
                       config.channels());
  n.std = FitChannels(config.normalization_std().empty()
                          ? defaults.std
                          : std::vector<float>(config.normalization_std().begin(), config.normalization_std().end()),
                      config.channels());
  return n;
}

absl::StatusOr<TransformOptions> TrainTransformOptionsFromConfig(const DataConfig& config) {
  absl::StatusOr<Normalization> normalization = NormalizationFromConfig(config);
  if (!normalization.ok()) return normalization.status();
  TransformOptions o;
  o.mode = TransformOptions::Mode::kRandomResizedCrop;
  o.crop_size = config.crop_size();
  if (config.crop_scale_size() == 2) o.scale_min = config.crop_scale(0), o.scale_max = config.crop_scale(1);
  if (config.crop_ratio_size() == 2) o.ratio_min = config.crop_ratio(0), o.ratio_max = config.crop_ratio(1);
  o.horizontal_flip = config.use_horizontal_flip();
  o.color_distortion = config.use_color_distortion();
  o.color_jitter_strength = config.color_jitter_strength();
  o.gaussian_blur = config.use_gaussian_blur();
  o.channels = config.channels();
  o.mean = normalization->mean;
  o.std = normalization->std;
  o.allow_scaled_decode = config.allow_scaled_decode();
  if (absl::Status s = ValidateTransformOptions(o); !s.ok()) return s;
  return o;
}

absl::StatusOr<TransformOptions> EvalTransformOptionsFromConfig(const DataConfig& config) {
  absl::StatusOr<TransformOptions> o = TrainTransformOptionsFromConfig(config);
  if (!o.ok()) return o.status();
  o->mode = TransformOptions::Mode::kResizeCenterCrop;
  o->resize_size = config.eval_resize_size() > 0
                       ? config.eval_resize_size()
                       : static_cast<int>(std::lround(config.crop_size() / 0.875));
  o->horizontal_flip = o->color_distortion = o->gaussian_blur = false;
  if (absl::Status s = ValidateTransformOptions(*o); !s.ok()) return s;
  return o;
}

std::string DatasetFolder(const DataConfig& config) {
  if (config.image_folder().empty()) return config.root_path();
  return (fs::path(config.root_path()) / config.image_folder()).string();
}

absl::StatusOr<std::shared_ptr<Dataset>> OpenDataset(const DataConfig& config, std::string_view split) {
  if (absl::Status s = ValidateDataConfig(config); !s.ok()) return s;
  const bool holdout = split == "holdout";
  if (holdout && config.holdout_per_class() <= 0) {
    return absl::InvalidArgumentError(
        "data split 'holdout' needs data.holdout_per_class > 0 (the images to hold out of the "
        "training split)");
  }
  // The holdout is part of the training split's files.
  const bool train = split == "train" || holdout;
  if (!train && split != "val" && split != "test") {
    return absl::InvalidArgumentError(absl::StrCat("data split '", std::string(split), "'; expected train, holdout, val or test"));
  }
  const std::string folder = DatasetFolder(config);
  std::error_code error;
  if (!fs::is_directory(folder, error)) {
    return absl::NotFoundError(absl::StrCat("data set folder ", folder,
                                            " (data.root_path/data.image_folder) does not exist or is not a folder"));
  }
  std::shared_ptr<Dataset> dataset;
  switch (config.dataset()) {
    case DataConfig::IMAGE_FOLDER: {
      auto opened = ImageFolderDataset::Open((fs::path(folder) / (train ? "train" : std::string(split))).string(),
                                             train ? config.subset_file() : "");
      if (!opened.ok()) return opened.status();
      dataset = *std::move(opened);
      break;
    }
    case DataConfig::IDX: {
      const std::string prefix = train ? "train" : "t10k";
      auto images = ExistingIdxFile(folder, prefix + "-images-idx3-ubyte");
      if (!images.ok()) return images.status();
      auto labels = ExistingIdxFile(folder, prefix + "-labels-idx1-ubyte");
      if (!labels.ok()) return labels.status();
      auto opened = IdxDataset::Open(*images, *labels);
      if (!opened.ok()) return opened.status();
      dataset = *std::move(opened);
      break;
    }
    case DataConfig::CIFAR10:
    case DataConfig::CIFAR100: {
      const bool ten = config.dataset() == DataConfig::CIFAR10;
      std::vector<std::string> names;
      if (ten && train) {
        for (int i = 1; i <= 5; ++i) names.push_back(absl::StrCat("data_batch_", i, ".bin"));
      } else {
        names.push_back(ten ? "test_batch.bin" : (train ? "train.bin" : "test.bin"));
      }
      std::vector<std::string> paths;
      for (const std::string& name : names) paths.push_back((fs::path(folder) / name).string());
      auto opened = CifarDataset::Open(ten ? CifarKind::kCifar10 : CifarKind::kCifar100, paths);
      if (!opened.ok()) return opened.status();
      dataset = *std::move(opened);
      break;
    }
    default:
      return absl::InvalidArgumentError("data.dataset: unknown kind");
  }
  if (!train) return dataset;
  const bool low_shot = config.low_shot_per_class() > 0 || config.low_shot_percent() > 0;
  if (config.holdout_per_class() == 0 && !low_shot) return dataset;
  // Positions in the split's files: the holdout, or the rest of the split and then its low-shot
  // selection. One SubsetDataset of file positions, so its indices() name the files' images.
  std::vector<int64_t> kept(dataset->size());
  std::iota(kept.begin(), kept.end(), 0);
  if (config.holdout_per_class() > 0) {
    auto held = BalancedSubset(dataset->labels(), config.holdout_per_class(), 0.0,
                               config.holdout_seed(), SampleRng::kHoldoutStream);
    if (!held.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("data.holdout_per_class: ", held.status().message()));
    }
    if (holdout) return std::make_shared<SubsetDataset>(std::move(dataset), *std::move(held));
    std::vector<bool> is_held(dataset->size(), false);
    for (int64_t i : *held) is_held[i] = true;
    kept.erase(std::remove_if(kept.begin(), kept.end(), [&](int64_t i) { return is_held[i]; }),
               kept.end());
  }
  if (low_shot) {
    std::vector<int64_t> labels;
    labels.reserve(kept.size());
    for (int64_t i : kept) labels.push_back(dataset->labels()[i]);
    auto chosen = BalancedSubset(labels, config.low_shot_per_class(),
                                 config.low_shot_percent() / 100.0, config.low_shot_seed());
    if (!chosen.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("data.low_shot_*: ", chosen.status().message()));
    }
    for (int64_t& i : *chosen) i = kept[i];
    kept = *std::move(chosen);
  }
  return std::make_shared<SubsetDataset>(std::move(dataset), std::move(kept));
}

}  // namespace ijepa::data
