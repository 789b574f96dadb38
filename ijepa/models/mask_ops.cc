#include "ijepa/models/mask_ops.h"

#include <ATen/ATen.h>
#include <c10/util/Exception.h>

namespace ijepa::models {

at::Tensor ApplyMasks(const at::Tensor& x, const std::vector<at::Tensor>& masks) {
  TORCH_CHECK(x.dim() == 3, "ApplyMasks: x must be [B, N, D], got ", x.sizes());
  TORCH_CHECK(!masks.empty(), "ApplyMasks: at least one mask is required");
  std::vector<at::Tensor> kept;
  kept.reserve(masks.size());
  for (size_t i = 0; i < masks.size(); ++i) {
    const at::Tensor& m = masks[i];
    TORCH_CHECK(m.defined() && m.dim() == 2 && m.scalar_type() == at::kLong,
                "ApplyMasks: mask ", i, " must be an int64 [B, K] tensor, got ",
                m.defined() ? m.toString() : "undefined", " ",
                m.defined() ? m.sizes() : at::IntArrayRef{});
    TORCH_CHECK(m.size(0) == x.size(0), "ApplyMasks: mask ", i, " has batch ", m.size(0),
                " but x has batch ", x.size(0));
    // expand instead of the official repeat: same indices, no copy.
    kept.push_back(at::gather(x, 1, m.unsqueeze(-1).expand({-1, -1, x.size(2)})));
  }
  return kept.size() == 1 ? kept[0] : at::cat(kept, 0);
}

at::Tensor RepeatInterleaveBatch(const at::Tensor& x, int64_t batch, int64_t repeat) {
  TORCH_CHECK(batch > 0 && repeat > 0, "RepeatInterleaveBatch: batch (", batch,
              ") and repeat (", repeat, ") must be > 0");
  TORCH_CHECK(x.dim() >= 1 && x.size(0) % batch == 0, "RepeatInterleaveBatch: leading size ",
              x.dim() >= 1 ? x.size(0) : 0, " is not a multiple of batch ", batch);
  const int64_t chunks = x.size(0) / batch;
  std::vector<int64_t> view_shape = {chunks, 1, batch};
  std::vector<int64_t> expand_shape = {chunks, repeat, batch};
  std::vector<int64_t> out_shape = {chunks * repeat * batch};
  for (int64_t d = 1; d < x.dim(); ++d) {
    view_shape.push_back(x.size(d));
    expand_shape.push_back(x.size(d));
    out_shape.push_back(x.size(d));
  }
  return x.reshape(view_shape).expand(expand_shape).reshape(out_shape);
}

}  // namespace ijepa::models
