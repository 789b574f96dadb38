#include "ijepa/training/replay.h"

#include <torch/csrc/autograd/profiler_legacy.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <map>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ijepa/checkpoint/state_dict.h"
#include "ijepa/checkpoint/torch_file.h"
#include "ijepa/masking/torch_masks.h"
#include "ijepa/models/model_options.h"
#include "ijepa/training/optimizer.h"
#include "ijepa/training/schedules.h"
#include "ijepa/training/train_step.h"
#include "ijepa/training/training_checkpoint.h"

namespace ijepa::training {
namespace {

using Dict = c10::impl::GenericDict;

absl::StatusOr<c10::IValue> Entry(const Dict& dict, const std::string& key, const std::string& where) {
  auto it = dict.find(c10::IValue(key));
  if (it == dict.end()) {
    return absl::InvalidArgumentError(absl::StrCat("fixture: ", where, " has no '", key, "'"));
  }
  return it->value();
}

absl::StatusOr<Dict> DictEntry(const Dict& dict, const std::string& key, const std::string& where) {
  auto v = Entry(dict, key, where);
  if (!v.ok()) return v.status();
  if (!v->isGenericDict()) {
    return absl::InvalidArgumentError(absl::StrCat("fixture: ", where, ".", key, " is not a dict"));
  }
  return v->toGenericDict();
}

absl::StatusOr<c10::List<c10::IValue>> ListEntry(const Dict& dict, const std::string& key,
                                                 const std::string& where) {
  auto v = Entry(dict, key, where);
  if (!v.ok()) return v.status();
  if (!v->isList()) {
    return absl::InvalidArgumentError(absl::StrCat("fixture: ", where, ".", key, " is not a list"));
  }
  return v->toList();
}

absl::StatusOr<double> Number(const Dict& dict, const std::string& key, const std::string& where) {
  auto v = Entry(dict, key, where);
  if (!v.ok()) return v.status();
  if (v->isDouble()) return v->toDouble();
  if (v->isInt()) return static_cast<double>(v->toInt());
  return absl::InvalidArgumentError(absl::StrCat("fixture: ", where, ".", key, " is not a number"));
}

absl::StatusOr<std::vector<double>> Numbers(const Dict& dict, const std::string& key,
                                            const std::string& where) {
  auto list = ListEntry(dict, key, where);
  if (!list.ok()) return list.status();
  std::vector<double> out;
  for (const c10::IValue& v : *list) {
    if (!v.isDouble() && !v.isInt()) {
      return absl::InvalidArgumentError(absl::StrCat("fixture: ", where, ".", key, " holds a non-number"));
    }
    out.push_back(v.isDouble() ? v.toDouble() : static_cast<double>(v.toInt()));
  }
  return out;
}

absl::StatusOr<std::vector<at::Tensor>> Tensors(const c10::IValue& v, const std::string& where) {
  if (!v.isList()) return absl::InvalidArgumentError(absl::StrCat("fixture: ", where, " is not a list"));
  std::vector<at::Tensor> out;
  for (const c10::IValue& t : v.toList()) {
    if (!t.isTensor()) {
      return absl::InvalidArgumentError(absl::StrCat("fixture: ", where, " holds a non-tensor"));
    }
    out.push_back(t.toTensor());
  }
  return out;
}

absl::Status LoadInto(torch::nn::Module& module, const Dict& dict, const std::string& key,
                      const std::string& where) {
  auto v = Entry(dict, key, where);
  if (!v.ok()) return v.status();
  auto sd = checkpoint::StateDictFromIValue(*v, absl::StrCat("fixture: ", where, ".", key));
  if (!sd.ok()) return sd.status();
  return checkpoint::LoadStateDict(module, *sd, /*strict=*/true);
}

double RelativeDifference(double a, double b) {
  return std::abs(a - b) / std::max(std::abs(b), 1e-30);
}

// Official init_opt: per group, the parameters of named_parameters() (frozen ones included) whose
// name has no "bias" and that are not 1-D, then those that are.
std::vector<std::string> OfficialGroupNames(const torch::nn::Module& module, bool no_decay) {
  std::vector<std::string> names;
  for (const auto& item : module.named_parameters()) {
    if (IsWeightDecayExcluded(item.key(), item.value()) == no_decay) names.push_back(item.key());
  }
  return names;
}

// Compares a final state dict in the fixture with a module, tensor by tensor.
absl::StatusOr<ReplayTensorGroup> CompareModule(const torch::nn::Module& module, const Dict& expected,
                                                const std::string& key) {
  auto v = Entry(expected, key, "expected_final");
  if (!v.ok()) return v.status();
  auto sd = checkpoint::StateDictFromIValue(*v, absl::StrCat("fixture: expected_final.", key));
  if (!sd.ok()) return sd.status();
  std::map<std::string, at::Tensor> ours;
  for (const auto& [name, t] : checkpoint::ModuleStateDict(module)) ours[name] = t;
  ReplayTensorGroup group;
  group.name = key;
  group.max_abs_diff = 0;
  for (const auto& [name, t] : *sd) {
    auto it = ours.find(name);
    if (it == ours.end() || it->second.sizes() != t.sizes()) {
      return absl::InvalidArgumentError(absl::StrCat("fixture: expected_final.", key, ".", name,
                                                     " has no tensor of its shape in the model"));
    }
    const double diff = (it->second.detach().to(at::kDouble) - t.to(at::kDouble)).abs().max().item<double>();
    ++group.tensors;
    if (diff >= group.max_abs_diff) {
      group.max_abs_diff = diff;
      group.worst = absl::StrCat(key, ".", name);
    }
  }
  return group;
}

}  // namespace

absl::StatusOr<c10::IValue> ReadReplayFixture(const std::string& path) {
  auto read = checkpoint::ReadTorchFile(path);
  if (!read.ok()) return read.status();
  if (!read->isGenericDict()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a dict (want a fixture written by "
                                                   "tools/make_training_fixture.py)"));
  }
  return read;
}

namespace {

// Compares this optimizer's AdamW moments with an official `opt` state dict, matched by parameter
// name (group membership by the official init_opt rule, independent of how this optimizer numbers
// its parameters). Differences go into `avg` / `avg_sq`; a parameter with state on one side only
// is reported through `mismatch`.
absl::Status CompareMoments(const PretrainOptimizer& optimizer, const torch::nn::Module& encoder,
                            const torch::nn::Module& predictor, const Dict& opt,
                            const std::string& where, ReplayTensorGroup* avg,
                            ReplayTensorGroup* avg_sq,
                            const std::function<void(std::string)>& mismatch) {
  auto official_state = DictEntry(opt, "state", where);
  auto official_groups = ListEntry(opt, "param_groups", where);
  if (!official_state.ok()) return official_state.status();
  if (!official_groups.ok()) return official_groups.status();
  const std::vector<std::vector<std::string>> official_names = {
      OfficialGroupNames(encoder, false), OfficialGroupNames(predictor, false),
      OfficialGroupNames(encoder, true), OfficialGroupNames(predictor, true)};
  if (official_groups->size() != official_names.size()) {
    return absl::InvalidArgumentError(absl::StrCat("fixture: ", where, " must have 4 parameter groups"));
  }
  std::map<std::string, std::pair<at::Tensor, at::Tensor>> ours;  // "g:name" -> moments
  {
    const c10::IValue state = optimizer.StateDict();
    const Dict ours_state = state.toGenericDict().at("state").toGenericDict();
    int64_t index = 0;
    for (size_t g = 0; g < optimizer.groups().size(); ++g) {
      for (const std::string& name : optimizer.groups()[g].param_names) {
        auto it = ours_state.find(c10::IValue(index++));
        if (it == ours_state.end()) continue;
        const Dict s = it->value().toGenericDict();
        ours[absl::StrCat(g, ":", name)] = {s.at("exp_avg").toTensor(), s.at("exp_avg_sq").toTensor()};
      }
    }
  }
  for (size_t g = 0; g < official_names.size(); ++g) {
    const c10::IValue group = official_groups->get(g);
    if (!group.isGenericDict()) return absl::InvalidArgumentError("fixture: opt.param_groups entry is not a dict");
    auto ids = ListEntry(group.toGenericDict(), "params", absl::StrCat("opt.param_groups[", g, "]"));
    if (!ids.ok()) return ids.status();
    if (ids->size() != official_names[g].size()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "fixture: opt.param_groups[", g, "] has ", ids->size(), " parameters, the official init_opt "
          "gives this model ", official_names[g].size()));
    }
    for (size_t j = 0; j < ids->size(); ++j) {
      const std::string& name = official_names[g][j];
      auto it = official_state->find(ids->get(j));
      const std::string key = absl::StrCat(g, ":", name);
      auto mine = ours.find(key);
      if (it == official_state->end()) {
        if (mine != ours.end()) mismatch(absl::StrCat("AdamW state of ", name, ": ours has one, official none"));
        continue;
      }
      if (mine == ours.end()) {
        mismatch(absl::StrCat("AdamW state of ", name, ": official has one, ours none"));
        continue;
      }
      const Dict s = it->value().toGenericDict();
      const std::pair<ReplayTensorGroup*, std::pair<const char*, const at::Tensor*>> moments[] = {
          {avg, {"exp_avg", &mine->second.first}}, {avg_sq, {"exp_avg_sq", &mine->second.second}}};
      for (const auto& [out, what] : moments) {
        const at::Tensor official = s.at(what.first).toTensor();
        if (official.sizes() != what.second->sizes()) {
          return absl::InvalidArgumentError(absl::StrCat("fixture: AdamW ", what.first, " of ", name,
                                                         " has another shape than the parameter"));
        }
        const double diff =
            (what.second->to(at::kDouble) - official.to(at::kDouble)).abs().max().item<double>();
        ++out->tensors;
        if (diff >= out->max_abs_diff) {
          out->max_abs_diff = diff;
          out->worst = absl::StrCat(out->name, "[", name, "]");
        }
      }
    }
  }
  return absl::OkStatus();
}

// The replay; with `start` (an official training checkpoint read from `start_path`), from the
// state it holds, restored as the trainer resumes.
absl::StatusOr<ReplayReport> Replay(const c10::IValue& fixture_value, const c10::IValue* start,
                                    const std::string& start_path, const ReplayTolerance& tolerance,
                                    bool bf16_autocast, const std::string& profile_trace) {
  if (!fixture_value.isGenericDict()) return absl::InvalidArgumentError("fixture: not a dict");
  const Dict fixture = fixture_value.toGenericDict();
  auto config = DictEntry(fixture, "config", "fixture");
  if (!config.ok()) return config.status();
  const Dict& c = *config;

  // --- models from the recorded architecture
  std::map<std::string, double> n;
  for (const char* key : {"embed_dim", "depth", "num_heads", "mlp_hidden_dim", "crop_size",
                          "patch_size", "in_chans", "pred_depth", "pred_emb_dim", "warmup",
                          "epochs", "iterations_per_epoch", "ipe_scale", "start_lr", "lr",
                          "final_lr", "weight_decay", "final_weight_decay"}) {
    auto v = Number(c, key, "config");
    if (!v.ok()) return v.status();
    n[key] = *v;
  }
  auto ema = Numbers(c, "ema", "config");
  if (!ema.ok()) return ema.status();
  if (ema->size() != 2) return absl::InvalidArgumentError("fixture: config.ema must hold 2 values");
  auto loss_name = Entry(c, "loss", "config");
  if (!loss_name.ok()) return loss_name.status();
  if (!loss_name->isString() ||
      (loss_name->toStringRef() != "smooth_l1" && loss_name->toStringRef() != "l2")) {
    return absl::InvalidArgumentError("fixture: config.loss must be \"smooth_l1\" or \"l2\"");
  }

  models::VisionTransformerOptions enc;
  enc.img_size = static_cast<int64_t>(n["crop_size"]);
  enc.patch_size = static_cast<int64_t>(n["patch_size"]);
  enc.in_chans = static_cast<int64_t>(n["in_chans"]);
  enc.embed_dim = static_cast<int64_t>(n["embed_dim"]);
  enc.depth = static_cast<int64_t>(n["depth"]);
  enc.num_heads = static_cast<int64_t>(n["num_heads"]);
  enc.mlp_ratio = n["mlp_hidden_dim"] / n["embed_dim"];
  if (absl::Status s = models::ValidateVisionTransformerOptions(enc); !s.ok()) return s;
  const models::PredictorOptions pred = models::PredictorForEncoder(
      enc, static_cast<int64_t>(n["pred_emb_dim"]), static_cast<int64_t>(n["pred_depth"]));
  if (absl::Status s = models::ValidatePredictorOptions(pred); !s.ok()) return s;

  models::VisionTransformer encoder(enc), target_encoder(enc);
  models::VisionTransformerPredictor predictor(pred);
  for (auto& p : target_encoder->parameters()) p.set_requires_grad(false);
  encoder->train();
  predictor->train();
  target_encoder->train();
  PretrainOptimizer optimizer(*encoder, *predictor);
  const int64_t ipe = static_cast<int64_t>(n["iterations_per_epoch"]);

  ReplayReport report;
  auto mismatch = [&](std::string what) {
    if (report.first_mismatch.empty()) report.first_mismatch = std::move(what);
  };
  if (start == nullptr) {
    for (auto [module, key] : std::vector<std::pair<torch::nn::Module*, const char*>>{
             {encoder.get(), "encoder"}, {predictor.get(), "predictor"},
             {target_encoder.get(), "target_encoder"}}) {
      if (absl::Status s = LoadInto(*module, fixture, key, "fixture"); !s.ok()) return s;
    }
  } else {
    // Exactly the trainer's resume.
    auto restored = RestoreTrainingCheckpoint(
        *start, start_path, {encoder.get(), predictor.get(), target_encoder.get(), &optimizer}, ipe);
    if (!restored.ok()) return restored.status();
    report.start_step = restored->global_step;
    // What was restored is what the file holds: weights, and every moment on its parameter.
    const Dict file = start->toGenericDict();
    for (auto [module, key] : std::vector<std::pair<torch::nn::Module*, const char*>>{
             {encoder.get(), "encoder"}, {predictor.get(), "predictor"},
             {target_encoder.get(), "target_encoder"}}) {
      auto group = CompareModule(*module, file, key);
      if (!group.ok()) return group.status();
      report.restored.push_back(*group);
    }
    auto opt = DictEntry(file, "opt", start_path);
    if (!opt.ok()) return opt.status();
    ReplayTensorGroup avg{"adamw.exp_avg"}, avg_sq{"adamw.exp_avg_sq"};
    if (absl::Status s = CompareMoments(optimizer, *encoder, *predictor, *opt, start_path + ": opt",
                                        &avg, &avg_sq, mismatch);
        !s.ok()) {
      return s;
    }
    report.restored.push_back(avg);
    report.restored.push_back(avg_sq);
    for (const ReplayTensorGroup& group : report.restored) {
      if (group.max_abs_diff != 0) {
        mismatch(absl::StrFormat("restored %s differs from the checkpoint by %.3e (largest in %s)",
                                 group.name, group.max_abs_diff, group.worst));
      }
    }
  }
  TrainingSchedules schedules = MakeTrainingSchedules(
      ipe, n["warmup"], static_cast<int64_t>(n["epochs"]), n["ipe_scale"], n["start_lr"], n["lr"],
      n["final_lr"], n["weight_decay"], n["final_weight_decay"], (*ema)[0], (*ema)[1]);
  TrainStepOptions options;
  options.loss = loss_name->toStringRef() == "l2" ? LossKind::kL2 : LossKind::kSmoothL1;
  options.bf16_autocast = bf16_autocast;
  TrainStep train_step(encoder, target_encoder, predictor, &optimizer, schedules, options);

  // --- the recorded steps
  auto images = Entry(fixture, "images", "fixture");
  auto masks_enc = ListEntry(fixture, "masks_enc", "fixture");
  auto masks_pred = ListEntry(fixture, "masks_pred", "fixture");
  if (!images.ok()) return images.status();
  if (!masks_enc.ok()) return masks_enc.status();
  if (!masks_pred.ok()) return masks_pred.status();
  auto image_batches = Tensors(*images, "images");
  if (!image_batches.ok()) return image_batches.status();
  std::map<std::string, std::vector<double>> expected;
  for (const char* key : {"expected_loss", "expected_lr", "expected_wd", "expected_momentum"}) {
    auto v = Numbers(fixture, key, "fixture");
    if (!v.ok()) return v.status();
    expected[key] = *v;
  }
  // Optional (older fixtures have none): the official train_step closure's time per step.
  std::vector<double> official_seconds;
  if (fixture.contains(c10::IValue("official_step_seconds"))) {
    auto v = Numbers(fixture, "official_step_seconds", "fixture");
    if (!v.ok()) return v.status();
    official_seconds = *v;
  }
  const size_t steps = image_batches->size();
  for (const auto& [key, values] : expected) {
    if (values.size() != steps) {
      return absl::InvalidArgumentError(absl::StrCat("fixture: ", key, " has ", values.size(),
                                                     " values for ", steps, " recorded steps"));
    }
  }
  if (!official_seconds.empty() && official_seconds.size() != steps) {
    return absl::InvalidArgumentError(absl::StrCat("fixture: official_step_seconds has ",
                                                   official_seconds.size(), " values for ", steps,
                                                   " recorded steps"));
  }
  if (masks_enc->size() != steps || masks_pred->size() != steps) {
    return absl::InvalidArgumentError("fixture: masks_enc / masks_pred do not have one entry per step");
  }
  if (report.start_step < 0 || report.start_step > static_cast<int64_t>(steps)) {
    return absl::InvalidArgumentError(absl::StrCat("the checkpoint resumes at step ", report.start_step,
                                                   "; the fixture records ", steps));
  }

  for (size_t i = static_cast<size_t>(report.start_step); i < steps; ++i) {
    masking::MaskTensors masks;
    auto context = Tensors(masks_enc->get(i), absl::StrCat("masks_enc[", i, "]"));
    auto targets = Tensors(masks_pred->get(i), absl::StrCat("masks_pred[", i, "]"));
    if (!context.ok()) return context.status();
    if (!targets.ok()) return targets.status();
    masks.context = *context;
    masks.targets = *targets;
    std::optional<torch::autograd::profiler::RecordProfile> profile;
    if (!profile_trace.empty() && i == static_cast<size_t>(report.start_step) + 1) {
      profile.emplace(profile_trace);
    }
    const auto start_time = std::chrono::steady_clock::now();
    const TrainStepResult r = train_step.Run((*image_batches)[i], masks, static_cast<int64_t>(i));
    profile.reset();  // writes the trace
    ReplayStep line;
    line.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_time).count();
    if (!official_seconds.empty()) line.official_seconds = official_seconds[i];
    line.step = static_cast<int64_t>(i) + 1;
    line.loss = r.loss;
    line.expected_loss = expected["expected_loss"][i];
    line.lr = r.lr;
    line.expected_lr = expected["expected_lr"][i];
    line.wd = r.wd;
    line.expected_wd = expected["expected_wd"][i];
    line.momentum = r.momentum;
    line.expected_momentum = expected["expected_momentum"][i];
    report.steps.push_back(line);
    const double loss_rel = RelativeDifference(line.loss, line.expected_loss);
    if (!(loss_rel <= tolerance.loss_relative)) {
      mismatch(absl::StrFormat("step %d: loss %.8f vs official %.8f (relative difference %.2e > %.0e)",
                               line.step, line.loss, line.expected_loss, loss_rel,
                               tolerance.loss_relative));
    }
    const std::pair<const char*, std::pair<double, double>> scheduled[] = {
        {"lr", {line.lr, line.expected_lr}},
        {"weight decay", {line.wd, line.expected_wd}},
        {"EMA momentum", {line.momentum, line.expected_momentum}}};
    for (const auto& [what, values] : scheduled) {
      const double rel = RelativeDifference(values.first, values.second);
      if (!(rel <= tolerance.schedule_relative)) {
        mismatch(absl::StrFormat("step %d: %s %.10g vs official %.10g", line.step, what,
                                 values.first, values.second));
      }
    }
    if (!r.stepped) {
      mismatch(absl::StrFormat("step %d: loss %f is not finite; the replay stopped", line.step, r.loss));
      break;
    }
  }

  // --- the final state
  auto final_state = DictEntry(fixture, "expected_final", "fixture");
  if (!final_state.ok()) return final_state.status();
  for (auto [module, key] : std::vector<std::pair<torch::nn::Module*, const char*>>{
           {encoder.get(), "encoder"}, {predictor.get(), "predictor"},
           {target_encoder.get(), "target_encoder"}}) {
    auto group = CompareModule(*module, *final_state, key);
    if (!group.ok()) return group.status();
    report.finals.push_back(*group);
  }

  auto opt = DictEntry(*final_state, "opt", "expected_final");
  if (!opt.ok()) return opt.status();
  ReplayTensorGroup avg{"adamw.exp_avg"}, avg_sq{"adamw.exp_avg_sq"};
  if (absl::Status s = CompareMoments(optimizer, *encoder, *predictor, *opt, "expected_final.opt",
                                      &avg, &avg_sq, mismatch);
      !s.ok()) {
    return s;
  }
  report.finals.push_back(avg);
  report.finals.push_back(avg_sq);
  for (const ReplayTensorGroup& group : report.finals) {
    if (!(group.max_abs_diff <= tolerance.tensor_absolute)) {
      mismatch(absl::StrFormat("final %s differs by %.3e > %.0e (largest in %s)", group.name,
                               group.max_abs_diff, tolerance.tensor_absolute, group.worst));
    }
  }
  return report;
}

}  // namespace

absl::StatusOr<ReplayReport> ReplayOfficialSteps(const c10::IValue& fixture,
                                                 const ReplayTolerance& tolerance,
                                                 bool bf16_autocast,
                                                 const std::string& profile_trace) {
  return Replay(fixture, nullptr, "", tolerance, bf16_autocast, profile_trace);
}

absl::StatusOr<ReplayReport> ReplayOfficialStepsFromCheckpoint(const c10::IValue& fixture,
                                                               const c10::IValue& checkpoint,
                                                               const std::string& path,
                                                               const ReplayTolerance& tolerance,
                                                               bool bf16_autocast,
                                                               const std::string& profile_trace) {
  return Replay(fixture, &checkpoint, path, tolerance, bf16_autocast, profile_trace);
}

ReplayTiming MedianStepTimes(const ReplayReport& report) {
  ReplayTiming timing;
  if (report.steps.size() < 2) return timing;
  std::vector<double> ours, official;
  for (size_t i = 1; i < report.steps.size(); ++i) {
    ours.push_back(report.steps[i].seconds);
    official.push_back(report.steps[i].official_seconds);
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
  };
  timing.seconds = median(ours);
  timing.official_seconds = median(official);
  timing.steps = static_cast<int64_t>(ours.size());
  return timing;
}

std::string FormatReplayReport(const ReplayReport& report) {
  std::string out;
  for (const ReplayTensorGroup& g : report.restored) {
    absl::StrAppendFormat(&out, "restored %-15s %4d tensors, max |ours - file| = %.3e\n", g.name,
                          g.tensors, g.max_abs_diff);
  }
  if (report.start_step > 0) {
    absl::StrAppendFormat(&out, "resumed after step %d\n", report.start_step);
  }
  out += absl::StrFormat("%-5s %-14s %-14s %-10s %-12s %-12s %-12s %-9s %-9s\n", "step", "loss",
                         "official", "rel.diff", "lr", "wd", "momentum", "ms", "off.ms");
  for (const ReplayStep& s : report.steps) {
    absl::StrAppendFormat(&out, "%-5d %-14.8f %-14.8f %-10.2e %-12.6e %-12.6e %-12.8f %-9.1f %-9.1f\n",
                          s.step, s.loss, s.expected_loss,
                          RelativeDifference(s.loss, s.expected_loss), s.lr, s.wd, s.momentum,
                          1e3 * s.seconds, 1e3 * s.official_seconds);
  }
  if (const ReplayTiming t = MedianStepTimes(report); t.steps > 0) {
    absl::StrAppendFormat(&out, "median step (%d steps after the first): ours %.1f ms, official %.1f ms\n",
                          t.steps, 1e3 * t.seconds, 1e3 * t.official_seconds);
  }
  for (const ReplayTensorGroup& g : report.finals) {
    absl::StrAppendFormat(&out, "final %-18s %4d tensors, max |ours - official| = %.3e (%s)\n",
                          g.name, g.tensors, g.max_abs_diff, g.worst);
  }
  absl::StrAppend(&out, report.ok() ? "replay: every step and final tensor agrees\n"
                                    : absl::StrCat("replay: MISMATCH: ", report.first_mismatch, "\n"));
  return out;
}

}  // namespace ijepa::training
