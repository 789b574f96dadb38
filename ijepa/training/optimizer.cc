#include "ijepa/training/optimizer.h"

#include <ATen/core/Dict.h>
#include <ATen/core/ivalue.h>

#include <map>
#include <sstream>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ijepa/common/torch_compat.h"

namespace ijepa::training {
namespace {

using torch::optim::AdamWOptions;
using torch::optim::AdamWParamState;

// The key of a parameter in Optimizer::state(); its type differs between LibTorch 1.13 and 2.x.
auto StateKey(const torch::Tensor& p) { return compat::OptimizerStateKey<torch::optim::Optimizer>(p); }

c10::impl::GenericDict StringKeyedDict() {
  return c10::impl::GenericDict(c10::StringType::get(), c10::AnyType::get());
}

absl::StatusOr<c10::IValue> Field(const c10::impl::GenericDict& dict, const std::string& key,
                                  const std::string& where) {
  auto it = dict.find(c10::IValue(key));
  if (it == dict.end()) return absl::InvalidArgumentError(absl::StrCat(where, ": missing '", key, "'"));
  return it->value();
}

}  // namespace

bool IsWeightDecayExcluded(const std::string& name, const torch::Tensor& parameter) {
  return name.find("bias") != std::string::npos || parameter.dim() == 1;
}

PretrainOptimizer::PretrainOptimizer(const torch::nn::Module& encoder,
                                     const torch::nn::Module& predictor) {
  std::vector<std::vector<torch::Tensor>> params(4);
  groups_ = {{"encoder", false, {}},
             {"predictor", false, {}},
             {"encoder_no_wd", true, {}},
             {"predictor_no_wd", true, {}}};
  const torch::nn::Module* modules[2] = {&encoder, &predictor};
  for (int m = 0; m < 2; ++m) {
    for (const auto& item : modules[m]->named_parameters(/*recurse=*/true)) {
      const int group = m + (IsWeightDecayExcluded(item.key(), item.value()) ? 2 : 0);
      groups_[group].param_names.push_back(item.key());
      params[group].push_back(item.value());
    }
  }
  std::vector<torch::optim::OptimizerParamGroup> param_groups;
  for (int g = 0; g < 4; ++g) {
    auto options = std::make_unique<AdamWOptions>();
    if (groups_[g].wd_exclude) options->weight_decay(0.0);
    param_groups.emplace_back(params[g], std::move(options));
  }
  adamw_ = std::make_unique<torch::optim::AdamW>(std::move(param_groups), AdamWOptions());
}

void PretrainOptimizer::SetLrAndWeightDecay(double lr, double weight_decay) {
  auto& param_groups = adamw_->param_groups();
  for (size_t g = 0; g < param_groups.size(); ++g) {
    auto& options = static_cast<AdamWOptions&>(param_groups[g].options());
    options.lr(lr);
    if (!groups_[g].wd_exclude) options.weight_decay(weight_decay);
  }
}

c10::IValue PretrainOptimizer::StateDict() const {
  auto state = c10::impl::GenericDict(c10::IntType::get(), c10::AnyType::get());
  c10::impl::GenericList group_list(c10::AnyType::get());
  int64_t index = 0;
  const auto& param_groups = adamw_->param_groups();
  for (size_t g = 0; g < param_groups.size(); ++g) {
    const auto& options = static_cast<const AdamWOptions&>(param_groups[g].options());
    c10::List<int64_t> ids;
    for (const torch::Tensor& p : param_groups[g].params()) {
      auto it = adamw_->state().find(StateKey(p));
      if (it != adamw_->state().end()) {
        const auto& s = static_cast<const AdamWParamState&>(*it->second);
        auto entry = StringKeyedDict();
        // Python's AdamW (1.12+) keeps `step` as a float tensor.
        entry.insert("step", at::scalar_tensor(static_cast<double>(s.step()), at::kFloat));
        entry.insert("exp_avg", s.exp_avg().detach().clone());
        entry.insert("exp_avg_sq", s.exp_avg_sq().detach().clone());
        state.insert(index, entry);
      }
      ids.push_back(index++);
    }
    auto group = StringKeyedDict();
    group.insert("lr", options.lr());
    group.insert("betas", c10::ivalue::Tuple::create(std::get<0>(options.betas()),
                                                     std::get<1>(options.betas())));
    group.insert("eps", options.eps());
    group.insert("weight_decay", options.weight_decay());
    group.insert("amsgrad", options.amsgrad());
    group.insert("foreach", c10::IValue());
    group.insert("maximize", false);
    group.insert("capturable", false);
    if (groups_[g].wd_exclude) group.insert("WD_exclude", true);
    group.insert("params", ids);
    group_list.push_back(group);
  }
  auto result = StringKeyedDict();
  result.insert("state", state);
  result.insert("param_groups", group_list);
  return result;
}

absl::Status PretrainOptimizer::LoadStateDict(const c10::IValue& value) {
  if (!value.isGenericDict()) return absl::InvalidArgumentError("optimizer state: not a dict");
  const auto dict = value.toGenericDict();
  auto state_or = Field(dict, "state", "optimizer state");
  if (!state_or.ok()) return state_or.status();
  auto groups_or = Field(dict, "param_groups", "optimizer state");
  if (!groups_or.ok()) return groups_or.status();
  if (!state_or->isGenericDict() || !groups_or->isList()) {
    return absl::InvalidArgumentError("optimizer state: 'state' must be a dict and 'param_groups' a list");
  }
  auto& param_groups = adamw_->param_groups();
  const auto saved_groups = groups_or->toList();
  if (saved_groups.size() != param_groups.size()) {
    return absl::InvalidArgumentError(absl::StrCat("optimizer state: ", saved_groups.size(),
                                                   " parameter groups, expected ",
                                                   param_groups.size()));
  }
  // Validate everything before touching the optimizer, so a bad file leaves it unchanged.
  // The official layout has every parameter in its group; the one this project wrote before
  // matching it skipped the frozen ones. One layout for the whole file, decided by the sizes.
  std::vector<std::vector<torch::Tensor>> trainable(param_groups.size());
  std::vector<size_t> saved_sizes(param_groups.size(), 0);
  bool official_layout = true, older_layout = true;
  for (size_t g = 0; g < param_groups.size(); ++g) {
    for (const auto& p : param_groups[g].params()) {
      if (p.requires_grad()) trainable[g].push_back(p);
    }
    const std::string where = absl::StrCat("optimizer state: param_groups[", g, "]");
    const c10::IValue group = saved_groups.get(g);
    if (!group.isGenericDict()) return absl::InvalidArgumentError(where + " is not a dict");
    auto params = Field(group.toGenericDict(), "params", where);
    if (!params.ok()) return params.status();
    if (!params->isList()) return absl::InvalidArgumentError(where + ": 'params' is not a list");
    saved_sizes[g] = params->toList().size();
    official_layout &= saved_sizes[g] == param_groups[g].params().size();
    older_layout &= saved_sizes[g] == trainable[g].size();
  }
  for (size_t g = 0; g < param_groups.size() && !official_layout && !older_layout; ++g) {
    const size_t all = param_groups[g].params().size(), saved = saved_sizes[g];
    if (saved == all) continue;
    return absl::InvalidArgumentError(absl::StrCat(
        "optimizer state: param_groups[", g, "]: ", saved, " parameters, expected ", all, " (",
        groups_[g].name, ", official init_opt membership)",
        trainable[g].size() != all && saved != trainable[g].size()
            ? absl::StrCat(" or ", trainable[g].size(), " (the older layout without the frozen parameters)")
            : ""));
  }
  std::map<int64_t, torch::Tensor> by_id;  // saved parameter id -> this optimizer's tensor
  std::vector<std::pair<double, double>> lr_wd;
  for (size_t g = 0; g < param_groups.size(); ++g) {
    const std::string where = absl::StrCat("optimizer state: param_groups[", g, "]");
    const c10::IValue group_value = saved_groups.get(g);
    if (!group_value.isGenericDict()) return absl::InvalidArgumentError(where + " is not a dict");
    const auto group = group_value.toGenericDict();
    auto params = Field(group, "params", where);
    auto lr = Field(group, "lr", where);
    auto wd = Field(group, "weight_decay", where);
    for (const auto* f : {&params, &lr, &wd}) {
      if (!f->ok()) return f->status();
    }
    const size_t saved = saved_sizes[g];
    const std::vector<torch::Tensor>& targets = official_layout ? param_groups[g].params() : trainable[g];
    for (size_t j = 0; j < saved; ++j) {
      const c10::IValue id = params->toList().get(j);
      if (!id.isInt() || !by_id.emplace(id.toInt(), targets[j]).second) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": 'params' must hold distinct ints (entry ", j, ")"));
      }
    }
    if (!lr->isDouble() || !(wd->isDouble() || wd->isInt())) {
      return absl::InvalidArgumentError(where + ": 'lr' and 'weight_decay' must be numbers");
    }
    lr_wd.emplace_back(lr->toDouble(), wd->isDouble() ? wd->toDouble() : static_cast<double>(wd->toInt()));
  }
  std::vector<std::pair<torch::Tensor, std::unique_ptr<AdamWParamState>>> new_state;
  for (const auto& entry : state_or->toGenericDict()) {
    if (!entry.key().isInt() || by_id.count(entry.key().toInt()) == 0) {
      return absl::InvalidArgumentError(
          "optimizer state: a 'state' key is not a parameter id of 'param_groups'");
    }
    const std::string where = absl::StrCat("optimizer state: state[", entry.key().toInt(), "]");
    const torch::Tensor& p = by_id.at(entry.key().toInt());
    if (!entry.value().isGenericDict()) return absl::InvalidArgumentError(where + " is not a dict");
    const auto s = entry.value().toGenericDict();
    auto step = Field(s, "step", where);
    auto exp_avg = Field(s, "exp_avg", where);
    auto exp_avg_sq = Field(s, "exp_avg_sq", where);
    for (const auto* f : {&step, &exp_avg, &exp_avg_sq}) {
      if (!f->ok()) return f->status();
    }
    if (!exp_avg->isTensor() || !exp_avg_sq->isTensor() ||
        exp_avg->toTensor().sizes() != p.sizes() || exp_avg_sq->toTensor().sizes() != p.sizes()) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": exp_avg / exp_avg_sq must be tensors of the parameter's shape [",
          absl::StrJoin(p.sizes(), ", "), "]"));
    }
    int64_t step_count = 0;
    if (step->isTensor()) {
      step_count = static_cast<int64_t>(step->toTensor().item<double>());
    } else if (step->isInt() || step->isDouble()) {
      step_count = step->isInt() ? step->toInt() : static_cast<int64_t>(step->toDouble());
    } else {
      return absl::InvalidArgumentError(where + ": 'step' must be a number or a tensor");
    }
    auto param_state = std::make_unique<AdamWParamState>();
    param_state->step(step_count);
    param_state->exp_avg(exp_avg->toTensor().to(p.options()).clone());
    param_state->exp_avg_sq(exp_avg_sq->toTensor().to(p.options()).clone());
    new_state.emplace_back(p, std::move(param_state));
  }
  adamw_->state().clear();
  for (auto& [p, param_state] : new_state) {
    adamw_->state()[StateKey(p)] = std::move(param_state);
  }
  for (size_t g = 0; g < param_groups.size(); ++g) {
    auto& options = static_cast<AdamWOptions&>(param_groups[g].options());
    options.lr(lr_wd[g].first);
    options.weight_decay(lr_wd[g].second);
  }
  return absl::OkStatus();
}

}  // namespace ijepa::training
