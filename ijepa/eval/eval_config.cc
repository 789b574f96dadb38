#include "ijepa/eval/eval_config.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "ijepa/common/device_name.h"
#include "ijepa/common/limits.h"
#include "ijepa/common/text_proto.h"

namespace ijepa::eval {
namespace {

absl::Status FieldError(absl::string_view field, absl::string_view expected, const absl::AlphaNum& got) {
  return absl::InvalidArgumentError(
      absl::StrCat("eval config field ", field, " must be ", expected, ", got ", got.Piece()));
}

absl::Status ValidateTraining(const ProbeTrainingConfig& t, absl::string_view section) {
  auto name = [&](absl::string_view field) { return absl::StrCat(section, ".training.", field); };
  if (t.optimizer() == OPTIMIZER_UNSPECIFIED) return FieldError(name("optimizer"), "SGD or ADAMW", "OPTIMIZER_UNSPECIFIED");
  if (t.schedule() == SCHEDULE_UNSPECIFIED) {
    return FieldError(name("schedule"), "COSINE, STEP or CONSTANT", "SCHEDULE_UNSPECIFIED");
  }
  if (t.epochs() <= 0) return FieldError(name("epochs"), "> 0", t.epochs());
  if (t.batch_size() <= 1) return FieldError(name("batch_size"), "> 1", t.batch_size());
  for (double lr : t.lrs()) {
    if (!(lr > 0) || !std::isfinite(lr)) return FieldError(name("lrs"), "finite values > 0", lr);
  }
  for (double wd : t.weight_decays()) {
    if (!(wd >= 0) || !std::isfinite(wd)) return FieldError(name("weight_decays"), "finite values >= 0", wd);
  }
  if (!(t.momentum() >= 0 && t.momentum() < 1)) return FieldError(name("momentum"), "in [0, 1)", t.momentum());
  if (!(t.warmup_epochs() >= 0 && t.warmup_epochs() < t.epochs())) {
    return FieldError(name("warmup_epochs"), "in [0, epochs)", t.warmup_epochs());
  }
  double previous = 0.0;
  for (double m : t.step_milestones()) {
    if (!(m > previous && m < 1.0)) {
      return FieldError(name("step_milestones"), "increasing fractions in (0, 1)", m);
    }
    previous = m;
  }
  if (!(t.step_gamma() > 0 && t.step_gamma() <= 1)) return FieldError(name("step_gamma"), "in (0, 1]", t.step_gamma());
  return absl::OkStatus();
}

// `defaults` supplies the per-kind grid and the values of fields the config leaves unset.
SweepOptions ToSweep(const ProbeTrainingConfig& t, const SweepOptions& defaults, bool final_fit_includes_val,
                     uint64_t seed) {
  SweepOptions s = defaults;
  TrainOptions& o = s.train;
  if (t.has_optimizer()) o.optimizer = t.optimizer() == ADAMW ? OptimizerKind::kAdamW : OptimizerKind::kSgd;
  if (t.has_schedule()) {
    o.schedule = t.schedule() == STEP       ? ScheduleKind::kStep
                 : t.schedule() == CONSTANT ? ScheduleKind::kConstant
                                            : ScheduleKind::kCosine;
  }
  if (t.has_epochs()) o.epochs = t.epochs();
  if (t.has_batch_size()) o.batch_size = t.batch_size();
  if (t.has_momentum()) o.momentum = t.momentum();
  if (t.has_warmup_epochs()) o.warmup_epochs = t.warmup_epochs();
  if (t.step_milestones_size() > 0) o.step_milestones.assign(t.step_milestones().begin(), t.step_milestones().end());
  if (t.has_step_gamma()) o.step_gamma = t.step_gamma();
  o.seed = seed;
  if (t.lrs_size() > 0) s.lrs.assign(t.lrs().begin(), t.lrs().end());
  if (t.weight_decays_size() > 0) s.weight_decays.assign(t.weight_decays().begin(), t.weight_decays().end());
  s.final_fit_includes_val = final_fit_includes_val;
  return s;
}

std::string FormatNumber(double v) { return absl::StrCat(v); }

}  // namespace

absl::StatusOr<EvalConfig> ParseEvalConfigText(std::string_view text, std::string_view source) {
  EvalConfig config;
  absl::Status status = common::ParseTextProto(text, source, &config);
  if (!status.ok()) return status;
  return config;
}

absl::StatusOr<EvalConfig> LoadEvalConfigFile(const std::string& path) {
  EvalConfig config;
  absl::Status status = common::LoadTextProtoFile(path, &config);
  if (!status.ok()) return status;
  return config;
}

absl::Status ApplyEvalOverride(std::string_view assignment, EvalConfig* config) {
  return common::ApplyTextProtoOverride(assignment, "linear.training.epochs=50", config);
}

absl::StatusOr<EvalConfig> ResolveEvalConfig(const std::optional<std::string>& path,
                                             const std::vector<std::string>& sets) {
  absl::StatusOr<EvalConfig> config = path.has_value() ? LoadEvalConfigFile(*path) : EvalConfig();
  if (!config.ok()) return config.status();
  for (const std::string& set : sets) {
    if (absl::Status s = ApplyEvalOverride(set, &*config); !s.ok()) return s;
  }
  return config;
}

absl::StatusOr<EvalOptions> EvalOptionsFromConfig(const EvalConfig& config) {
  // Range checks such as `lr > 0` let +inf through; no field is meaningful when not finite.
  if (absl::Status s = common::CheckFiniteFields(config); !s.ok()) return s;
  EvalOptions o;
  if (config.which() == EvalConfig::WHICH_UNSPECIFIED) {
    return FieldError("which", "TARGET_ENCODER or ENCODER", "WHICH_UNSPECIFIED");
  }
  o.target_encoder = config.which() == EvalConfig::TARGET_ENCODER;
  if (config.pool_size() > 0) {
    o.pools.clear();
    for (int p : config.pool()) {
      if (p == EvalConfig::POOL_UNSPECIFIED) return FieldError("pool", "MEAN or LAST4", "POOL_UNSPECIFIED");
      const PoolMode mode = p == EvalConfig::MEAN ? PoolMode::kMean : PoolMode::kLast4;
      if (std::find(o.pools.begin(), o.pools.end(), mode) != o.pools.end()) {
        return FieldError("pool", "distinct values", EvalConfig::Pool_Name(static_cast<EvalConfig::Pool>(p)));
      }
      o.pools.push_back(mode);
    }
  }

  if (config.protocol_size() == 0) o.protocols.push_back({"60_per_class", 60, 0.0, "", 0});
  for (int i = 0; i < config.protocol_size(); ++i) {
    const LowShotProtocol& p = config.protocol(i);
    const std::string field = absl::StrCat("protocol[", i, "]");
    const int chosen = (p.per_class() != 0) + (p.percent() != 0) + !p.subset_file().empty();
    if (chosen > 1) return FieldError(field, "at most one of per_class, percent, subset_file", chosen);
    if (p.per_class() < 0) return FieldError(field + ".per_class", "> 0", p.per_class());
    if (!(p.percent() >= 0 && p.percent() <= 100)) return FieldError(field + ".percent", "in (0, 100]", p.percent());
    ProtocolOptions po{p.name(), p.per_class(), p.percent(), p.subset_file(), p.seed()};
    if (po.name.empty()) {
      if (po.per_class > 0) {
        po.name = absl::StrCat(po.per_class, "_per_class");
      } else if (po.percent > 0) {
        po.name = absl::StrCat(FormatNumber(po.percent), "pct");
      } else if (!po.subset_file.empty()) {
        std::string base = po.subset_file.substr(po.subset_file.find_last_of('/') + 1);
        po.name = base.substr(0, base.find_last_of('.'));
      } else {
        po.name = "full";
      }
    }
    for (const ProtocolOptions& other : o.protocols) {
      if (other.name == po.name) return FieldError(field + ".name", "unique among protocols", po.name);
    }
    o.protocols.push_back(po);
  }

  if (!(config.val_fraction() >= 0 && config.val_fraction() < 1)) {
    return FieldError("val_fraction", "in [0, 1)", config.val_fraction());
  }
  o.val_fraction = config.val_fraction();

  // Linear probe: SGD + cosine, 100 epochs, batch 64, grid lr {0.01, 0.1, 1} x wd {0, 5e-4, 5e-3}.
  const LinearProbeConfig& linear = config.linear();
  absl::Status status = ValidateTraining(linear.training(), "linear");
  if (!status.ok()) return status;
  SweepOptions linear_defaults;
  linear_defaults.train.epochs = 100;
  linear_defaults.train.batch_size = 64;
  linear_defaults.lrs = {0.01, 0.1, 1.0};
  linear_defaults.weight_decays = {0.0, 5e-4, 5e-3};
  o.linear = linear.enabled();
  o.linear_batch_norm = linear.batch_norm();
  o.linear_sweep = ToSweep(linear.training(), linear_defaults, config.final_fit_includes_val(), config.seed());

  const KnnConfig& knn = config.knn();
  if (knn.k() <= 0) return FieldError("knn.k", "> 0", knn.k());
  if (!(knn.temperature() > 0)) return FieldError("knn.temperature", "> 0", knn.temperature());
  o.knn = knn.enabled();
  o.knn_options.k = knn.k();
  o.knn_options.temperature = knn.temperature();

  // Attentive probe: V-JEPA's recipe scaled down (AdamW, cosine, 1 warm-up epoch).
  const AttentiveProbeConfig& attentive = config.attentive();
  status = ValidateTraining(attentive.training(), "attentive");
  if (!status.ok()) return status;
  if (attentive.num_heads() < 0) return FieldError("attentive.num_heads", ">= 0", attentive.num_heads());
  if (!(attentive.mlp_ratio() > 0)) return FieldError("attentive.mlp_ratio", "> 0", attentive.mlp_ratio());
  SweepOptions attentive_defaults;
  attentive_defaults.train.optimizer = OptimizerKind::kAdamW;
  attentive_defaults.train.epochs = 50;
  attentive_defaults.train.batch_size = 64;
  attentive_defaults.train.warmup_epochs = 1;
  attentive_defaults.lrs = {3e-4, 1e-3, 3e-3};
  attentive_defaults.weight_decays = {0.01};
  o.attentive = attentive.enabled();
  o.attentive_num_heads = attentive.num_heads();
  o.attentive_mlp_ratio = attentive.mlp_ratio();
  o.attentive_sweep =
      ToSweep(attentive.training(), attentive_defaults, config.final_fit_includes_val(), config.seed());

  for (const SweepOptions* s : {&o.linear_sweep, &o.attentive_sweep}) {
    if (o.val_fraction == 0 && s->lrs.size() * s->weight_decays.size() > 1) {
      return FieldError("val_fraction", "> 0 when a probe sweeps more than one lr x weight_decay point",
                        o.val_fraction);
    }
  }

  o.raw_pixels = config.raw_pixels();
  if (config.extract_batch_size() <= 0) {
    return FieldError("extract_batch_size", "> 0", config.extract_batch_size());
  }
  o.extract_batch_size = config.extract_batch_size();
  if (config.max_test_images() < 0) return FieldError("max_test_images", ">= 0", config.max_test_images());
  o.max_test_images = config.max_test_images();
  o.feature_cache_dir = config.feature_cache_dir();
  if (!common::ParseDeviceName(config.device())) {
    return FieldError("device", common::kDeviceNameExpected, absl::StrCat("\"", config.device(), "\""));
  }
  o.device = config.device();
  if (config.threads() < 0) return FieldError("threads", ">= 0", config.threads());
  if (absl::Status s = common::CheckThreadCount("threads", config.threads()); !s.ok()) return s;
  o.threads = config.threads();
  o.seed = config.seed();
  if (!o.linear && !o.knn && !o.attentive) {
    return FieldError("linear.enabled / knn.enabled / attentive.enabled", "at least one true", "all false");
  }
  return o;
}

}  // namespace ijepa::eval
