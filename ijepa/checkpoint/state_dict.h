// State dicts: the ordered name -> tensor lists that move between checkpoints and modules, with
// the official (PyTorch) parameter names.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <ATen/core/ivalue.h>
#include <torch/nn/module.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ijepa::checkpoint {

using StateDict = std::vector<std::pair<std::string, torch::Tensor>>;  // ordered

// Parameters then buffers of `module` (recursively), under their registered names, which are the
// official state_dict keys. The tensors alias the module's (no copy).
StateDict ModuleStateDict(const torch::nn::Module& module);

// Converts a dict of str -> tensor (as read from a checkpoint) into a StateDict in file order,
// removing the "module." prefix DistributedDataParallel adds. Errors name `what` (e.g.
// "ckpt.pth.tar: encoder") and the offending key.
absl::StatusOr<StateDict> StateDictFromIValue(const c10::IValue& dict, std::string_view what);

// The inverse: a dict of str -> tensor, each key prefixed by `prefix` (e.g. "module." for the
// official layout).
c10::IValue StateDictToIValue(const StateDict& state, std::string_view prefix = "");

// Copies values into the module's parameters/buffers (converting dtype between floating types and
// moving to the module's device). Shapes are always checked; strict also requires every module
// key present and no extra keys. Nothing is copied unless every check passes; errors list the
// offending names. Non-strict loads log the missing and unexpected names.
absl::Status LoadStateDict(torch::nn::Module& module, const StateDict& state, bool strict);

}  // namespace ijepa::checkpoint
