#pragma once

#include <torch/nn/module.h>
#include <torch/optim/adamw.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace ijepa::training {

// The official `init_opt` test for the groups without weight decay: ('bias' in name) or the
// parameter is 1-D -- a substring test, kept as is.
bool IsWeightDecayExcluded(const std::string& name, const torch::Tensor& parameter);

// One AdamW parameter group, as the official `init_opt` builds them.
struct ParamGroupInfo {
  std::string name;                      // "encoder", "predictor", "encoder_no_wd", ...
  bool wd_exclude = false;               // official 'WD_exclude': weight decay fixed at 0
  std::vector<std::string> param_names;  // names within their module, in registration order
                                         // (frozen parameters included, as in the official groups)
};

// AdamW over an encoder and a predictor with the four official parameter groups:
//   0: encoder weights (not bias, not 1-D)       - scheduled weight decay
//   1: predictor weights (not bias, not 1-D)     - scheduled weight decay
//   2: encoder biases and 1-D parameters         - weight decay 0 (WD_exclude)
//   3: predictor biases and 1-D parameters       - weight decay 0 (WD_exclude)
// Membership and order are exactly the official ones, over named_parameters() of each module,
// frozen parameters (requires_grad false: the sin-cos `pos_embed` / `predictor_pos_embed`)
// included: they never get a gradient, so AdamW skips them and they have no state entry, but they
// count in the numbering, so the official `opt.load_state_dict` accepts what StateDict() writes and
// maps every moment to the right parameter. Betas, eps and amsgrad are PyTorch's AdamW defaults
// (0.9, 0.999), 1e-8, false, as in the official code.
class PretrainOptimizer {
 public:
  PretrainOptimizer(const torch::nn::Module& encoder, const torch::nn::Module& predictor);

  torch::optim::AdamW& adamw() { return *adamw_; }
  const std::vector<ParamGroupInfo>& groups() const { return groups_; }

  // The official per-step schedule update: lr on every group, weight decay on the groups that are
  // not WD_exclude.
  void SetLrAndWeightDecay(double lr, double weight_decay);

  // The optimizer state in the layout of Python's `optimizer.state_dict()`:
  // {"state": {index: {"step", "exp_avg", "exp_avg_sq"}}, "param_groups": [{"lr", "betas", "eps",
  // "weight_decay", "amsgrad", "foreach", "maximize", "capturable", ["WD_exclude"], "params"}]},
  // parameters numbered consecutively across groups. Tensors are detached clones.
  c10::IValue StateDict() const;

  // Restores what StateDict() or the official train.py (Python's AdamW.state_dict() over the
  // official groups) wrote. Also accepts the layout this project wrote before it matched the
  // official groups: every group without its frozen parameters. Parameter ids are mapped through
  // each saved group's `params` list, as Python's load_state_dict does. Errors name the group or
  // parameter index that does not match this optimizer; on error nothing is changed.
  absl::Status LoadStateDict(const c10::IValue& state);

 private:
  std::vector<ParamGroupInfo> groups_;
  std::unique_ptr<torch::optim::AdamW> adamw_;
};

}  // namespace ijepa::training
