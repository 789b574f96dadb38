#include "ijepa/masking/torch_masks.h"

#include <ATen/ATen.h>

namespace ijepa::masking {

std::vector<at::Tensor> ToIndexTensors(const std::vector<std::vector<std::vector<int32_t>>>& masks,
                                       c10::Device device) {
  std::vector<at::Tensor> out;
  out.reserve(masks.size());
  for (size_t m = 0; m < masks.size(); ++m) {
    const auto& per_image = masks[m];
    const int64_t batch = static_cast<int64_t>(per_image.size());
    const int64_t k = batch == 0 ? 0 : static_cast<int64_t>(per_image[0].size());
    // Filled on the CPU, then moved in one copy.
    at::Tensor cpu = at::empty({batch, k}, at::TensorOptions().dtype(at::kLong));
    int64_t* data = cpu.data_ptr<int64_t>();
    for (int64_t b = 0; b < batch; ++b) {
      TORCH_CHECK(static_cast<int64_t>(per_image[b].size()) == k, "ToIndexTensors: mask ", m,
                  " has ", per_image[b].size(), " indices for image ", b, " but ", k,
                  " for image 0; masks of a batch must have equal lengths");
      for (int64_t j = 0; j < k; ++j) data[b * k + j] = per_image[b][j];
    }
    out.push_back(device.is_cpu() ? cpu : cpu.to(device));
  }
  return out;
}

MaskTensors ToMaskTensors(const BatchMasks& masks, c10::Device device) {
  return MaskTensors{ToIndexTensors(masks.context, device), ToIndexTensors(masks.targets, device)};
}

}  // namespace ijepa::masking
