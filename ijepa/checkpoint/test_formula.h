// The value formula shared with tools/make_checkpoint_fixtures.py and tools/read_checkpoint.py:
// element i of the k-th tensor is ((7 i + 13 k) % 97 - 48) / 16, exact in every float type.
#pragma once

#include <cstdint>

#include <ATen/ATen.h>

namespace ijepa::checkpoint::testing {

inline at::Tensor Formula(int64_t k, at::IntArrayRef shape, at::ScalarType dtype = at::kFloat) {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  const at::Tensor i = at::arange(n, at::kLong);
  return ((i * 7 + 13 * k).remainder(97) - 48).to(at::kDouble).div(16).reshape(shape).to(dtype);
}

inline at::Tensor IntFormula(int64_t k, at::IntArrayRef shape, at::ScalarType dtype, int64_t modulus) {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  const at::Tensor i = at::arange(n, at::kLong);
  return (i * 7 + 13 * k).remainder(modulus).reshape(shape).to(dtype);
}

}  // namespace ijepa::checkpoint::testing
