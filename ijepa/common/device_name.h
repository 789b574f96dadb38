// The device names the configs accept, checked the same way everywhere (no LibTorch here, so the
// check runs where the config is validated, before anything touches a device).
#pragma once

#include <optional>
#include <string_view>

namespace ijepa::common {

// What an error says a device field must be.
inline constexpr char kDeviceNameExpected[] = "\"cpu\", \"cuda\" or \"cuda:N\"";

struct DeviceName {
  bool cuda = false;
  int index = -1;  // N of "cuda:N"; -1 for "cpu" and "cuda" (the current CUDA device)
};

// "cpu", "cuda" or "cuda:N" with N decimal digits only (no sign, no spaces); anything else is
// nullopt.
std::optional<DeviceName> ParseDeviceName(std::string_view name);

}  // namespace ijepa::common
