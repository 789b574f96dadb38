#include "ijepa/training/config.h"

#include <google/protobuf/text_format.h>

#include <algorithm>
#include <string_view>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ijepa/common/limits.h"
#include "ijepa/common/text_proto.h"
#include "ijepa/data/data_config.h"
#include "ijepa/masking/mask_options.h"
#include "ijepa/models/model_config.h"
#include "ijepa/models/model_options.h"

namespace ijepa::training {
namespace {

absl::Status FieldError(absl::string_view field, absl::string_view expected, absl::string_view got) {
  return absl::InvalidArgumentError(
      absl::StrCat("config field ", field, " must be ", expected, ", got ", got));
}

std::string Range(const google::protobuf::RepeatedField<double>& values) {
  return absl::StrCat("[", absl::StrJoin(values, ", "), "]");
}

// Prefixes a status from another package's validator with the section it came from.
absl::Status InSection(absl::string_view section, const absl::Status& status) {
  if (status.ok()) return status;
  return absl::Status(status.code(), absl::StrCat("config section ", section, ": ", status.message()));
}

}  // namespace

absl::StatusOr<PretrainConfig> ParseConfigText(absl::string_view text, absl::string_view source) {
  PretrainConfig config;
  absl::Status status = common::ParseTextProto(std::string_view(text.data(), text.size()),
                                               std::string_view(source.data(), source.size()), &config);
  if (!status.ok()) return status;
  return config;
}

absl::StatusOr<PretrainConfig> LoadConfigFile(const std::string& path) {
  PretrainConfig config;
  absl::Status status = common::LoadTextProtoFile(path, &config);
  if (!status.ok()) return status;
  return config;
}

absl::Status ApplyOverride(absl::string_view assignment, PretrainConfig* config) {
  return common::ApplyTextProtoOverride(std::string_view(assignment.data(), assignment.size()),
                                        "optimization.epochs=2", config);
}

models::ModelConfig ModelConfigFor(const PretrainConfig& config) {
  models::ModelConfig model;
  model.set_model_name(config.meta().model_name());
  model.set_patch_size(config.mask().patch_size());
  model.set_crop_size(config.data().crop_size());
  model.set_in_chans(config.data().channels());
  model.set_pred_depth(config.meta().pred_depth());
  model.set_pred_emb_dim(config.meta().pred_emb_dim());
  model.set_drop_path_rate(config.meta().drop_path_rate());
  model.set_pred_drop_path_rate(config.meta().pred_drop_path_rate());
  return model;
}

std::pair<double, double> EmaRange(const OptimizationConfig& optimization) {
  if (optimization.ema_size() == 0) return {0.996, 1.0};
  return {optimization.ema(0), optimization.ema(optimization.ema_size() - 1)};
}

absl::Status ValidateConfig(const PretrainConfig& config) {
  // inf passed `lr > 0` while nan was refused; no field of a run is meaningful when not finite.
  if (absl::Status s = common::CheckFiniteFields(config); !s.ok()) return s;
  // --- meta
  const MetaConfig& meta = config.meta();
  const std::vector<std::string> models = models::NamedModels();
  if (std::find(models.begin(), models.end(), meta.model_name()) == models.end()) {
    return FieldError("meta.model_name", absl::StrCat("one of ", absl::StrJoin(models, ", ")),
                      absl::StrCat("\"", meta.model_name(), "\""));
  }
  if (meta.copy_data()) {
    return FieldError("meta.copy_data", "false (copying the data set to local scratch is not supported)", "true");
  }
  if (meta.pred_depth() <= 0) return FieldError("meta.pred_depth", "> 0", absl::StrCat(meta.pred_depth()));
  if (meta.pred_emb_dim() <= 0) {
    return FieldError("meta.pred_emb_dim", "> 0", absl::StrCat(meta.pred_emb_dim()));
  }
  if (meta.loss() == MetaConfig::LOSS_UNSPECIFIED) return FieldError("meta.loss", "SMOOTH_L1 or L2", "LOSS_UNSPECIFIED");
  if (meta.target_norm() == MetaConfig::TARGET_NORM_UNSPECIFIED) {
    return FieldError("meta.target_norm", "LAYER_NORM or LAYER_NORM_PER_POSITION",
                      "TARGET_NORM_UNSPECIFIED");
  }
  if (meta.drop_path_rate() < 0 || meta.drop_path_rate() >= 1) {
    return FieldError("meta.drop_path_rate", "in [0, 1)", absl::StrCat(meta.drop_path_rate()));
  }
  if (meta.pred_drop_path_rate() < 0 || meta.pred_drop_path_rate() >= 1) {
    return FieldError("meta.pred_drop_path_rate", "in [0, 1)", absl::StrCat(meta.pred_drop_path_rate()));
  }

  // --- optimization
  const OptimizationConfig& opt = config.optimization();
  if (opt.ema_size() != 0 && opt.ema_size() != 2) {
    return FieldError("optimization.ema", "two values [start, end] (or none for [0.996, 1.0])",
                      absl::StrCat(opt.ema_size(), " values"));
  }
  for (double m : opt.ema()) {
    if (!(m >= 0.0 && m <= 1.0)) return FieldError("optimization.ema", "values in [0, 1]", Range(opt.ema()));
  }
  if (opt.epochs() <= 0) return FieldError("optimization.epochs", "> 0", absl::StrCat(opt.epochs()));
  if (!(opt.ipe_scale() > 0)) return FieldError("optimization.ipe_scale", "> 0", absl::StrCat(opt.ipe_scale()));
  if (!(opt.warmup() >= 0)) return FieldError("optimization.warmup", ">= 0 epochs", absl::StrCat(opt.warmup()));
  struct NonNegative { const char* name; double value; };
  for (const NonNegative& f : {NonNegative{"optimization.start_lr", opt.start_lr()},
                               NonNegative{"optimization.lr", opt.lr()},
                               NonNegative{"optimization.final_lr", opt.final_lr()},
                               NonNegative{"optimization.weight_decay", opt.weight_decay()},
                               NonNegative{"optimization.final_weight_decay", opt.final_weight_decay()}}) {
    if (!(f.value >= 0)) return FieldError(f.name, ">= 0", absl::StrCat(f.value));
  }
  if (!(opt.lr() > 0)) return FieldError("optimization.lr", "> 0", absl::StrCat(opt.lr()));
  if (opt.max_steps() < 0) return FieldError("optimization.max_steps", ">= 0", absl::StrCat(opt.max_steps()));

  // --- logging
  const LoggingConfig& logging = config.logging();
  if (logging.folder().empty()) return FieldError("logging.folder", "a folder path", "\"\"");
  if (logging.write_tag().empty() || logging.write_tag().find('/') != std::string::npos) {
    return FieldError("logging.write_tag", "a non-empty file-name prefix without '/'",
                      absl::StrCat("\"", logging.write_tag(), "\""));
  }
  if (logging.log_freq() <= 0) return FieldError("logging.log_freq", "> 0", absl::StrCat(logging.log_freq()));
  if (logging.checkpoint_freq() <= 0) {
    return FieldError("logging.checkpoint_freq", "> 0 epochs", absl::StrCat(logging.checkpoint_freq()));
  }
  if (logging.checkpoint_every_steps() < 0) {
    return FieldError("logging.checkpoint_every_steps", ">= 0", absl::StrCat(logging.checkpoint_every_steps()));
  }
  if (logging.rankme_window() < 2 || logging.rankme_window() > 65536) {
    return FieldError("logging.rankme_window", "in [2, 65536] images", absl::StrCat(logging.rankme_window()));
  }
  if (logging.rankme_warn_fraction() < 0 || logging.rankme_warn_fraction() > 1) {
    return FieldError("logging.rankme_warn_fraction", "in [0, 1]", absl::StrCat(logging.rankme_warn_fraction()));
  }

  // --- top level
  const std::string& device = config.device();
  bool device_ok = device == "cpu" || device == "cuda";
  int ordinal = 0;
  if (absl::StartsWith(device, "cuda:")) device_ok = absl::SimpleAtoi(device.substr(5), &ordinal) && ordinal >= 0;
  if (!device_ok) return FieldError("device", "\"cpu\", \"cuda\" or \"cuda:N\"", absl::StrCat("\"", device, "\""));
  if (config.threads() < 0) return FieldError("threads", ">= 0 (0 = all hardware threads)", absl::StrCat(config.threads()));
  if (absl::Status s = common::CheckThreadCount("threads", config.threads()); !s.ok()) return s;
  if (config.distributed_timeout_s() <= 0) {
    return FieldError("distributed_timeout_s", "> 0", absl::StrCat(config.distributed_timeout_s()));
  }

  // --- probe
  const ProbeConfig& probe = config.probe();
  if (probe.images_per_class() <= 0) {
    return FieldError("probe.images_per_class", "> 0", absl::StrCat(probe.images_per_class()));
  }
  if (probe.max_eval_images() < 0) return FieldError("probe.max_eval_images", ">= 0", absl::StrCat(probe.max_eval_images()));
  if (probe.epochs() <= 0) return FieldError("probe.epochs", "> 0", absl::StrCat(probe.epochs()));
  if (!probe.split().empty() && probe.split() != "holdout") {
    return FieldError("probe.split", "\"\" (the test split) or \"holdout\"", absl::StrCat("\"", probe.split(), "\""));
  }
  if (probe.split() == "holdout" && config.data().holdout_per_class() <= 0) {
    return FieldError("probe.split", "\"\" unless data.holdout_per_class > 0 carves a holdout",
                      "\"holdout\"");
  }

  // --- data
  const auto& data = config.data();
  if (data.batch_size() <= 0) return FieldError("data.batch_size", "> 0", absl::StrCat(data.batch_size()));
  if (data.crop_size() <= 0) return FieldError("data.crop_size", "> 0 pixels", absl::StrCat(data.crop_size()));
  if (data.num_workers() < 0) return FieldError("data.num_workers", ">= 0", absl::StrCat(data.num_workers()));
  if (data.channels() != 1 && data.channels() != 3) {
    return FieldError("data.channels", "1 or 3", absl::StrCat(data.channels()));
  }

  if (absl::Status s = data::ValidateDataConfig(data); !s.ok()) return InSection("data", s);

  // --- mask (the masking library's own validation, on the grid this crop gives)
  const auto& mask = config.mask();
  if (mask.patch_size() <= 0) return FieldError("mask.patch_size", "> 0 pixels", absl::StrCat(mask.patch_size()));
  if (data.crop_size() % mask.patch_size() != 0) {
    return FieldError("data.crop_size", absl::StrCat("a multiple of mask.patch_size (", mask.patch_size(), ")"),
                      absl::StrCat(data.crop_size()));
  }
  // --- the models built from meta + mask + data (widths, head counts, grid)
  if (auto encoder = models::EncoderOptionsFromConfig(ModelConfigFor(config)); !encoder.ok()) {
    return InSection("meta (model built from meta, mask.patch_size, data.crop_size, data.channels)",
                     encoder.status());
  }
  if (auto predictor = models::PredictorOptionsFromConfig(ModelConfigFor(config)); !predictor.ok()) {
    return InSection("meta (predictor built from meta.pred_depth, meta.pred_emb_dim)",
                     predictor.status());
  }

  absl::StatusOr<masking::MaskOptions> mask_options = masking::MaskOptionsFromProto(mask);
  if (!mask_options.ok()) return InSection("mask", mask_options.status());
  const int grid = data.crop_size() / mask.patch_size();
  return InSection("mask", masking::ValidateMaskOptions(*mask_options, grid, grid));
}

std::string ConfigToText(const PretrainConfig& config) {
  google::protobuf::TextFormat::Printer printer;
  std::string text;
  printer.PrintToString(config, &text);
  return text;
}

}  // namespace ijepa::training
