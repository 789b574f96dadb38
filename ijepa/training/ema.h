#pragma once

#include <ATen/core/Tensor.h>

#include <vector>

namespace ijepa::training {

// The official target-encoder update `t = m * t + (1 - m) * c`, in place on `target`, outside
// autograd. `target` and `online` are matching lists (same order, shapes and dtypes), e.g. the
// parameters of the target encoder and of the context encoder. Uses LibTorch's multi-tensor
// `_foreach_mul_` / `_foreach_add_` (one kernel launch per list on CUDA instead of two per tensor).
void EmaUpdate(const std::vector<at::Tensor>& target, const std::vector<at::Tensor>& online,
               double momentum);

}  // namespace ijepa::training
