#include "ijepa/training/training_checkpoint.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/Generator.h>

#include <mutex>

#include "absl/strings/str_cat.h"
#include "ijepa/checkpoint/state_dict.h"

namespace ijepa::training {
namespace {

absl::StatusOr<c10::IValue> Get(const c10::impl::GenericDict& dict, const std::string& key,
                                const std::string& path) {
  auto it = dict.find(c10::IValue(key));
  if (it == dict.end()) {
    return absl::InvalidArgumentError(absl::StrCat("checkpoint ", path, " has no '", key, "' entry"));
  }
  return it->value();
}

// DistributedDataParallel's prefix: train.py always wraps its models, so every official file has
// it and its load_checkpoint needs it.
constexpr char kDdpPrefix[] = "module.";

}  // namespace

c10::impl::GenericDict TrainingCheckpointDict(const TrainingModules& m, const ResumeState& s,
                                              const CheckpointInfo& info) {
  auto dict = c10::impl::GenericDict(c10::StringType::get(), c10::AnyType::get());
  dict.insert("encoder", checkpoint::StateDictToIValue(checkpoint::ModuleStateDict(*m.encoder), kDdpPrefix));
  dict.insert("predictor",
              checkpoint::StateDictToIValue(checkpoint::ModuleStateDict(*m.predictor), kDdpPrefix));
  dict.insert("target_encoder",
              checkpoint::StateDictToIValue(checkpoint::ModuleStateDict(*m.target_encoder), kDdpPrefix));
  dict.insert("opt", m.optimizer->StateDict());
  dict.insert("scaler", c10::IValue());
  dict.insert("epoch", s.epoch);
  dict.insert("loss", info.loss);
  dict.insert("batch_size", info.batch_size);
  dict.insert("world_size", info.world_size);
  dict.insert("lr", info.lr);
  // Extras: exact resume inside an epoch.
  dict.insert("itr", s.itr);
  dict.insert("global_step", s.global_step);
  dict.insert("iterations_per_epoch", info.iterations_per_epoch);
  dict.insert("epoch_loss_sum", s.epoch_loss_sum);
  dict.insert("epoch_loss_count", s.epoch_loss_count);
  if (info.encoder_config.has_value()) checkpoint::AddEncoderConfig(*info.encoder_config, &dict);
  return dict;
}

absl::StatusOr<ResumeState> RestoreTrainingCheckpoint(const c10::IValue& file, const std::string& path,
                                                      const TrainingModules& m, int64_t ipe) {
  if (!file.isGenericDict()) return absl::InvalidArgumentError(absl::StrCat("checkpoint ", path, " is not a dict"));
  const auto dict = file.toGenericDict();
  struct Part {
    const char* key;
    torch::nn::Module* module;
  };
  for (const Part& part : {Part{"encoder", m.encoder}, Part{"predictor", m.predictor},
                           Part{"target_encoder", m.target_encoder}}) {
    auto value = Get(dict, part.key, path);
    if (!value.ok()) return value.status();
    // Strips `module.` when every key has it.
    auto sd = checkpoint::StateDictFromIValue(*value, absl::StrCat(path, ": ", part.key));
    if (!sd.ok()) return sd.status();
    if (absl::Status s = checkpoint::LoadStateDict(*part.module, *sd, /*strict=*/true); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat(path, ": ", part.key, ": ", s.message()));
    }
  }
  auto opt = Get(dict, "opt", path);
  if (!opt.ok()) return opt.status();
  if (absl::Status s = m.optimizer->LoadStateDict(*opt); !s.ok()) {
    return absl::Status(s.code(), absl::StrCat(path, ": ", s.message()));
  }
  auto epoch = Get(dict, "epoch", path);
  if (!epoch.ok()) return epoch.status();
  if (!epoch->isInt()) return absl::InvalidArgumentError(absl::StrCat(path, ": 'epoch' is not an int"));
  ResumeState s;
  s.epoch = epoch->toInt();
  // Extras written by this project; an official checkpoint has none and resumes at an epoch start
  // (train.py: start_epoch = epoch, schedulers stepped start_epoch * ipe times).
  auto int_extra = [&](const char* key, int64_t fallback) -> int64_t {
    auto it = dict.find(c10::IValue(std::string(key)));
    return it != dict.end() && it->value().isInt() ? it->value().toInt() : fallback;
  };
  s.itr = int_extra("itr", 0);
  s.global_step = int_extra("global_step", s.epoch * ipe + s.itr);
  s.epoch_loss_count = int_extra("epoch_loss_count", 0);
  if (auto it = dict.find(c10::IValue(std::string("epoch_loss_sum"))); it != dict.end() && it->value().isDouble()) {
    s.epoch_loss_sum = it->value().toDouble();
  }
  const int64_t saved_ipe = int_extra("iterations_per_epoch", ipe);
  if (s.itr > 0 && saved_ipe != ipe) {
    return absl::FailedPreconditionError(absl::StrCat(
        path, " was written mid-epoch with ", saved_ipe, " iterations per epoch, but this run has ",
        ipe, " (data set, data.batch_size or world size changed)"));
  }
  if (s.epoch < 0 || s.itr < 0 || s.itr >= ipe) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": epoch ", s.epoch, " / itr ", s.itr,
                                                   " out of range"));
  }
  return s;
}

c10::impl::GenericDict RngStateDict(uint64_t seed) {
  auto rng = c10::impl::GenericDict(c10::StringType::get(), c10::AnyType::get());
  {
    at::Generator gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    rng.insert("torch_cpu", gen.get_state());
  }
  rng.insert("seed", static_cast<int64_t>(seed));
  return rng;
}

absl::Status RestoreRngState(const c10::IValue& file, const std::string& path) {
  const auto dict = file.toGenericDict();
  auto it = dict.find(c10::IValue(std::string("rng")));
  if (it == dict.end() || !it->value().isGenericDict()) return absl::OkStatus();
  const auto rng = it->value().toGenericDict();
  auto cpu = rng.find(c10::IValue(std::string("torch_cpu")));
  if (cpu == rng.end() || !cpu->value().isTensor()) return absl::OkStatus();
  try {
    at::Generator gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(cpu->value().toTensor());
  } catch (const c10::Error& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": rng.torch_cpu: ", e.what_without_backtrace()));
  }
  return absl::OkStatus();
}

}  // namespace ijepa::training
