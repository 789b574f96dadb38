#include "ijepa/training/config.h"

#include <google/protobuf/text_format.h>

#include <string_view>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ijepa/common/device_name.h"
#include "ijepa/common/field_error.h"
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
  return models::ModelConfigFromPretrainConfig(config);
}

namespace {

// The model's checks (//ijepa/models) name the fields by where ModelConfigFor takes them from;
// ModelConfig fields it leaves at their defaults keep their ModelConfig names.
common::FieldErrorStyle ModelFieldsInPretrainConfig() {
  common::FieldErrorStyle style;
  style.name = [](absl::string_view field) -> std::string {
    static constexpr std::pair<absl::string_view, absl::string_view> kPaths[] = {
        {"model_name", "meta.model_name"},
        {"patch_size", "mask.patch_size"},
        {"crop_size", "data.crop_size"},
        {"in_chans", "data.channels"},
        {"pred_depth", "meta.pred_depth"},
        {"pred_emb_dim", "meta.pred_emb_dim"},
        {"drop_path_rate", "meta.drop_path_rate"},
        {"pred_drop_path_rate", "meta.pred_drop_path_rate"},
    };
    for (const auto& [model_field, path] : kPaths) {
      if (field == model_field) return std::string(path);
    }
    return absl::StrCat("ModelConfig.", field);
  };
  return style;
}

// The data section's checks (//ijepa/data) in this config's house style.
common::FieldErrorStyle DataFieldsInPretrainConfig() {
  common::FieldErrorStyle style;
  style.name = [](absl::string_view field) { return absl::StrCat("data.", field); };
  return style;
}

absl::Status CheckThreads(int threads) {
  if (threads < 0) return FieldError("threads", ">= 0 (0 = all hardware threads)", absl::StrCat(threads));
  return common::CheckThreadCount("threads", threads);
}

// The fields only the trainer reads (meta's training switches, optimization, logging, device,
// threads, probe); the sections other packages own are checked by them.
absl::Status ValidateTrainingFields(const PretrainConfig& config) {
  // --- meta
  const MetaConfig& meta = config.meta();
  if (meta.copy_data()) {
    return FieldError("meta.copy_data", "false (copying the data set to local scratch is not supported)", "true");
  }
  if (meta.loss() == MetaConfig::LOSS_UNSPECIFIED) return FieldError("meta.loss", "SMOOTH_L1 or L2", "LOSS_UNSPECIFIED");
  if (meta.target_norm() == MetaConfig::TARGET_NORM_UNSPECIFIED) {
    return FieldError("meta.target_norm", "LAYER_NORM or LAYER_NORM_PER_POSITION",
                      "TARGET_NORM_UNSPECIFIED");
  }
  if (meta.cpu_linear() == MetaConfig::CPU_LINEAR_UNSPECIFIED) {
    return FieldError("meta.cpu_linear", "BLAS, ONEDNN or AUTO", "CPU_LINEAR_UNSPECIFIED");
  }
  if (meta.patch_embed_init() == MetaConfig::PATCH_EMBED_INIT_UNSPECIFIED) {
    return FieldError("meta.patch_embed_init", "OFFICIAL or FAN_IN", "PATCH_EMBED_INIT_UNSPECIFIED");
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
  if (!common::ParseDeviceName(config.device())) {
    return FieldError("device", common::kDeviceNameExpected, absl::StrCat("\"", config.device(), "\""));
  }
  if (absl::Status s = CheckThreads(config.threads()); !s.ok()) return s;
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
  return absl::OkStatus();
}

}  // namespace

std::pair<double, double> EmaRange(const OptimizationConfig& optimization) {
  if (optimization.ema_size() == 0) return {0.996, 1.0};
  return {optimization.ema(0), optimization.ema(optimization.ema_size() - 1)};
}

absl::Status ValidatedPretrainConfig::SetThreads(int threads) {
  if (absl::Status s = CheckThreads(threads); !s.ok()) return s;
  config_.set_threads(threads);
  return absl::OkStatus();
}

absl::StatusOr<ValidatedPretrainConfig> ValidatePretrainConfig(const PretrainConfig& config) {
  // inf passed `lr > 0` while nan was refused; no field of a run is meaningful when not finite.
  if (absl::Status s = common::CheckFiniteFields(config); !s.ok()) return s;
  if (absl::Status s = ValidateTrainingFields(config); !s.ok()) return s;

  ValidatedPretrainConfig v;
  v.config_ = config;
  v.ema_ = EmaRange(config.optimization());
  // --- data
  if (absl::Status s = data::ValidateDataConfig(config.data(), DataFieldsInPretrainConfig()); !s.ok()) {
    return InSection("data", s);
  }
  absl::StatusOr<data::TransformOptions> transform = data::TrainTransformOptionsFromConfig(config.data());
  if (!transform.ok()) return InSection("data", transform.status());
  v.train_transform_ = *transform;

  // --- mask settings on their own; whether the grid admits them once the grid is known
  absl::StatusOr<masking::MaskOptions> mask_options = masking::MaskOptionsFromProto(config.mask());
  if (!mask_options.ok()) return InSection("mask", mask_options.status());
  v.mask_ = *mask_options;

  // --- the models built from meta + mask + data (widths, head counts, grid)
  v.model_ = ModelConfigFor(config);
  const common::FieldErrorStyle model_fields = ModelFieldsInPretrainConfig();
  absl::StatusOr<models::VisionTransformerOptions> encoder =
      models::EncoderOptionsFromConfig(v.model_, model_fields);
  if (!encoder.ok()) {
    return InSection("meta (model built from meta, mask.patch_size, data.crop_size, data.channels)",
                     encoder.status());
  }
  v.encoder_ = *encoder;
  absl::StatusOr<models::PredictorOptions> predictor =
      models::PredictorOptionsFromConfig(v.model_, v.encoder_, model_fields);
  if (!predictor.ok()) {
    return InSection("meta (predictor built from meta.pred_depth, meta.pred_emb_dim)",
                     predictor.status());
  }
  v.predictor_ = *predictor;

  // The encoder's checks made crop_size a positive multiple of patch_size.
  v.grid_ = config.data().crop_size() / config.mask().patch_size();
  if (absl::Status s = masking::ValidateMaskOptions(v.mask_, v.grid_, v.grid_); !s.ok()) {
    return InSection("mask", s);
  }
  return v;
}

std::string ConfigToText(const PretrainConfig& config) {
  google::protobuf::TextFormat::Printer printer;
  std::string text;
  printer.PrintToString(config, &text);
  return text;
}

}  // namespace ijepa::training
