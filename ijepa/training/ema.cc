#include "ijepa/training/ema.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>
#include <c10/util/Exception.h>

namespace ijepa::training {

void EmaUpdate(const std::vector<at::Tensor>& target, const std::vector<at::Tensor>& online,
               double momentum) {
  TORCH_CHECK(target.size() == online.size(), "EmaUpdate: ", target.size(),
              " target tensors but ", online.size(), " online tensors");
  TORCH_CHECK(momentum >= 0.0 && momentum <= 1.0, "EmaUpdate: momentum must be in [0, 1], got ",
              momentum);
  for (size_t i = 0; i < target.size(); ++i) {
    TORCH_CHECK(target[i].sizes() == online[i].sizes(), "EmaUpdate: tensor ", i, " has shape ",
                target[i].sizes(), " in the target but ", online[i].sizes(), " online");
    TORCH_CHECK(target[i].scalar_type() == online[i].scalar_type(), "EmaUpdate: tensor ", i,
                " dtype differs between target and online");
  }
  if (target.empty()) return;
  c10::NoGradGuard no_grad;
  at::_foreach_mul_(target, momentum);
  at::_foreach_add_(target, online, 1.0 - momentum);
}

}  // namespace ijepa::training
