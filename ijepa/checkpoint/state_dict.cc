#include "ijepa/checkpoint/state_dict.h"

#include <unordered_map>
#include <unordered_set>

#include <ATen/core/Dict.h>
#include <c10/core/GradMode.h>
#include <glog/logging.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/match.h"

namespace ijepa::checkpoint {
namespace {

constexpr char kDdpPrefix[] = "module.";
constexpr size_t kMaxNamesInError = 40;

// "a, b, c" for at most kMaxNamesInError names, then how many more there are.
std::string NameList(const std::vector<std::string>& names) {
  if (names.size() <= kMaxNamesInError) return absl::StrJoin(names, ", ");
  std::vector<std::string> head(names.begin(), names.begin() + kMaxNamesInError);
  return absl::StrCat(absl::StrJoin(head, ", "), " and ", names.size() - kMaxNamesInError, " more");
}

std::string Shape(const torch::Tensor& t) { return absl::StrCat("[", absl::StrJoin(t.sizes(), ", "), "]"); }

}  // namespace

StateDict ModuleStateDict(const torch::nn::Module& module) {
  StateDict state;
  for (const auto& item : module.named_parameters(/*recurse=*/true)) state.emplace_back(item.key(), item.value());
  for (const auto& item : module.named_buffers(/*recurse=*/true)) state.emplace_back(item.key(), item.value());
  return state;
}

absl::StatusOr<StateDict> StateDictFromIValue(const c10::IValue& dict, std::string_view what_view) {
  const std::string what(what_view);  // Debian's Abseil has its own string_view type.
  if (!dict.isGenericDict()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": expected a state dict (dict of str -> tensor), found ", dict.tagKind()));
  }
  StateDict state;
  std::unordered_set<std::string> seen;
  for (const auto& kv : dict.toGenericDict()) {
    if (!kv.key().isString()) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": state dict key of type ", kv.key().tagKind(),
                                                     " (expected str)"));
    }
    std::string name = kv.key().toStringRef();
    if (!kv.value().isTensor()) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": entry '", name, "' is a ", kv.value().tagKind(),
                                                     ", expected a tensor"));
    }
    if (absl::StartsWith(name, kDdpPrefix)) name.erase(0, sizeof(kDdpPrefix) - 1);
    if (!seen.insert(name).second) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": key '", name, "' appears twice (with and without '",
                                                     kDdpPrefix, "')"));
    }
    state.emplace_back(std::move(name), kv.value().toTensor());
  }
  return state;
}

c10::IValue StateDictToIValue(const StateDict& state, std::string_view prefix) {
  c10::impl::GenericDict dict(c10::StringType::get(), c10::TensorType::get());
  for (const auto& [name, tensor] : state) dict.insert(std::string(prefix) + name, tensor);
  return dict;
}

absl::Status LoadStateDict(torch::nn::Module& module, const StateDict& state, bool strict) {
  std::unordered_map<std::string, const torch::Tensor*> values;
  std::vector<std::string> unexpected, missing, mismatched;
  for (const auto& [name, tensor] : state) {
    if (!values.emplace(name, &tensor).second) {
      return absl::InvalidArgumentError(absl::StrCat("state dict has key '", name, "' twice"));
    }
  }
  const StateDict targets = ModuleStateDict(module);
  std::unordered_set<std::string> known;
  for (const auto& [name, target] : targets) {
    known.insert(name);
    auto it = values.find(name);
    if (it == values.end()) {
      missing.push_back(name);
      continue;
    }
    const torch::Tensor& value = *it->second;
    if (value.sizes() != target.sizes()) {
      mismatched.push_back(absl::StrCat(name, " (checkpoint ", Shape(value), ", model ", Shape(target), ")"));
    } else if (value.scalar_type() != target.scalar_type() &&
               !(value.is_floating_point() && target.is_floating_point())) {
      mismatched.push_back(absl::StrCat(name, " (checkpoint dtype ", c10::toString(value.scalar_type()),
                                        ", model dtype ", c10::toString(target.scalar_type()), ")"));
    }
  }
  for (const auto& [name, tensor] : state) {
    if (known.count(name) == 0) unexpected.push_back(name);
  }
  if (!mismatched.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("state dict does not fit the model: ", mismatched.size(), " mismatched tensors: ",
                     NameList(mismatched)));
  }
  // NaN weights used to load silently and surface much later (a probe that "diverged": "lower the
  // learning rates"); name the tensors instead.
  std::vector<std::string> non_finite;
  for (const auto& [name, target] : targets) {
    auto it = values.find(name);
    if (it == values.end() || !it->second->is_floating_point()) continue;
    const int64_t bad = torch::isfinite(*it->second).logical_not().sum().item<int64_t>();
    if (bad > 0) non_finite.push_back(absl::StrCat(name, " (", bad, " of ", it->second->numel(), " values)"));
  }
  if (!non_finite.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "state dict holds non-finite values (NaN or inf) in ", non_finite.size(), " tensors: ", NameList(non_finite),
        "; the checkpoint comes from a diverged run or is damaged"));
  }
  if (strict && (!missing.empty() || !unexpected.empty())) {
    std::string message = "state dict does not match the model (strict):";
    if (!missing.empty()) absl::StrAppend(&message, " ", missing.size(), " missing keys: ", NameList(missing), ";");
    if (!unexpected.empty()) {
      absl::StrAppend(&message, " ", unexpected.size(), " unexpected keys: ", NameList(unexpected), ";");
    }
    return absl::InvalidArgumentError(message);
  }
  if (!missing.empty()) LOG(WARNING) << "state dict: " << missing.size() << " missing keys: " << NameList(missing);
  if (!unexpected.empty()) {
    LOG(WARNING) << "state dict: " << unexpected.size() << " unexpected keys: " << NameList(unexpected);
  }
  c10::NoGradGuard no_grad;
  for (const auto& [name, target] : targets) {
    auto it = values.find(name);
    if (it != values.end()) {
      torch::Tensor dst = target;  // shares the module's storage
      dst.copy_(*it->second);
    }
  }
  return absl::OkStatus();
}

}  // namespace ijepa::checkpoint
