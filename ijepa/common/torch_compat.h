// The one place where LibTorch 1.13 (Debian's libtorch-dev) and LibTorch 2.x differ for this
// project. Code elsewhere calls the helpers below instead of testing TORCH_VERSION itself, so a
// LibTorch upgrade touches only this file.
#pragma once

#include <ATen/ATen.h>
#include <ATen/autocast_mode.h>
#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>
#include <torch/version.h>

#include <sstream>
#include <string>
#include <type_traits>
#include <utility>

// True when the LibTorch being compiled against is at least major.minor.
#define IJEPA_TORCH_VERSION_AT_LEAST(major, minor) \
  (TORCH_VERSION_MAJOR > (major) ||                \
   (TORCH_VERSION_MAJOR == (major) && TORCH_VERSION_MINOR >= (minor)))

// at::scaled_dot_product_attention (fused flash / memory-efficient / oneDNN kernels) arrived in
// LibTorch 2.0. Defined to 0 or 1 so it can be used in `#if`.
#if IJEPA_TORCH_VERSION_AT_LEAST(2, 0)
#define IJEPA_HAS_FUSED_ATTENTION 1
#else
#define IJEPA_HAS_FUSED_ATTENTION 0
#endif

namespace ijepa::compat {

inline constexpr bool kHasFusedAttention = IJEPA_HAS_FUSED_ATTENTION;
inline constexpr int kTorchVersionMajor = TORCH_VERSION_MAJOR;
inline constexpr int kTorchVersionMinor = TORCH_VERSION_MINOR;

#if IJEPA_HAS_FUSED_ATTENTION
// softmax(q k^T / sqrt(head_dim)) v with LibTorch's fused kernel. q, k, v: [B, heads, N, head_dim].
// Dropout on the attention weights uses LibTorch's RNG inside the kernel.
inline at::Tensor FusedScaledDotProductAttention(const at::Tensor& q, const at::Tensor& k,
                                                 const at::Tensor& v, double dropout_p) {
  return at::scaled_dot_product_attention(q, k, v, /*attn_mask=*/{}, dropout_p,
                                          /*is_causal=*/false);
}
#endif

// The key under which a torch::optim optimizer keeps a parameter's state (Optimizer::state()):
// LibTorch 1.13 keys it by the printed TensorImpl address (c10::guts::to_string of
// unsafeGetTensorImpl()), LibTorch 2.x by the TensorImpl pointer itself. Decided from the map's
// key type rather than a version number, and a template so this header does not pull in
// torch/optim. Usage: state().find(compat::OptimizerStateKey<torch::optim::Optimizer>(p)).
template <typename Optimizer>
auto OptimizerStateKey(const at::Tensor& param) {
  using Key = typename std::decay_t<decltype(std::declval<const Optimizer&>().state())>::key_type;
  if constexpr (std::is_same_v<Key, std::string>) {
    std::ostringstream out;
    out << param.unsafeGetTensorImpl();
    return out.str();
  } else {
    static_assert(std::is_same_v<Key, void*>, "unknown torch::optim state key type");
    return static_cast<void*>(param.unsafeGetTensorImpl());
  }
}

// Autocast state for one device type. LibTorch 2.4 replaced the per-device functions
// (set_enabled / set_cpu_enabled, set_autocast_gpu_dtype / set_autocast_cpu_dtype) by functions
// taking an at::DeviceType.
inline bool IsAutocastEnabled(c10::DeviceType device_type) {
#if IJEPA_TORCH_VERSION_AT_LEAST(2, 4)
  return at::autocast::is_autocast_enabled(device_type);
#else
  return device_type == c10::DeviceType::CPU ? at::autocast::is_cpu_enabled()
                                             : at::autocast::is_enabled();
#endif
}

inline void SetAutocastEnabled(c10::DeviceType device_type, bool enabled) {
#if IJEPA_TORCH_VERSION_AT_LEAST(2, 4)
  at::autocast::set_autocast_enabled(device_type, enabled);
#else
  TORCH_CHECK(device_type == c10::DeviceType::CPU || device_type == c10::DeviceType::CUDA,
              "autocast on LibTorch < 2.4 supports only CPU and CUDA, got ",
              c10::DeviceTypeName(device_type));
  if (device_type == c10::DeviceType::CPU) {
    at::autocast::set_cpu_enabled(enabled);
  } else {
    at::autocast::set_enabled(enabled);
  }
#endif
}

inline c10::ScalarType GetAutocastDtype(c10::DeviceType device_type) {
#if IJEPA_TORCH_VERSION_AT_LEAST(2, 4)
  return at::autocast::get_autocast_dtype(device_type);
#else
  return device_type == c10::DeviceType::CPU ? at::autocast::get_autocast_cpu_dtype()
                                             : at::autocast::get_autocast_gpu_dtype();
#endif
}

inline void SetAutocastDtype(c10::DeviceType device_type, c10::ScalarType dtype) {
#if IJEPA_TORCH_VERSION_AT_LEAST(2, 4)
  at::autocast::set_autocast_dtype(device_type, dtype);
#else
  if (device_type == c10::DeviceType::CPU) {
    at::autocast::set_autocast_cpu_dtype(dtype);
  } else {
    at::autocast::set_autocast_gpu_dtype(dtype);
  }
#endif
}

// RAII mixed precision for a region (the official `torch.cuda.amp.autocast(dtype=bfloat16)`):
// enables autocast on `device`'s type with `dtype` and restores the previous state on exit,
// clearing the cast cache when the outermost region ends, as Python's autocast does.
// `enabled == false` makes the guard a no-op so callers need no branch.
class AutocastGuard {
 public:
  AutocastGuard(c10::Device device, c10::ScalarType dtype, bool enabled = true)
      : device_type_(device.type()), enabled_(enabled) {
    if (!enabled_) return;
    previous_enabled_ = IsAutocastEnabled(device_type_);
    previous_dtype_ = GetAutocastDtype(device_type_);
    SetAutocastDtype(device_type_, dtype);
    SetAutocastEnabled(device_type_, true);
    at::autocast::increment_nesting();
  }
  ~AutocastGuard() {
    if (!enabled_) return;
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    SetAutocastEnabled(device_type_, previous_enabled_);
    SetAutocastDtype(device_type_, previous_dtype_);
  }
  AutocastGuard(const AutocastGuard&) = delete;
  AutocastGuard& operator=(const AutocastGuard&) = delete;

 private:
  c10::DeviceType device_type_;
  bool enabled_;
  bool previous_enabled_ = false;
  c10::ScalarType previous_dtype_ = c10::ScalarType::Float;
};

}  // namespace ijepa::compat
