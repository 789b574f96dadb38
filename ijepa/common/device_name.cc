#include "ijepa/common/device_name.h"

#include <algorithm>
#include <cctype>

#include "absl/strings/numbers.h"

namespace ijepa::common {

std::optional<DeviceName> ParseDeviceName(std::string_view name) {
  if (name == "cpu") return DeviceName{};
  if (name == "cuda") return DeviceName{true, -1};
  constexpr std::string_view kCuda = "cuda:";
  if (name.substr(0, kCuda.size()) != kCuda) return std::nullopt;
  const std::string_view digits = name.substr(kCuda.size());
  if (digits.empty() ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    return std::nullopt;
  }
  DeviceName device{true, 0};
  if (!absl::SimpleAtoi(absl::string_view(digits.data(), digits.size()), &device.index)) return std::nullopt;  // too large for an int
  return device;
}

}  // namespace ijepa::common
