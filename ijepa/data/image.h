#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace ijepa::data {

// A decoded image: interleaved HWC uint8 pixels, 1 (grey) or 3 (RGB) channels.
struct Image {
  int height = 0, width = 0, channels = 0;
  std::vector<uint8_t> pixels;  // height * width * channels bytes, row-major

  bool empty() const { return pixels.empty(); }
  uint8_t at(int y, int x, int c) const {
    return pixels[(static_cast<size_t>(y) * width + x) * channels + c];
  }
};

}  // namespace ijepa::data
