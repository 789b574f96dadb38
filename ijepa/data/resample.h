#pragma once

#include <vector>

#include "ijepa/data/image.h"

namespace ijepa::data {

// A region of the source image in (fractional) pixel coordinates, as PIL's resize `box`.
struct Box {
  double left = 0, top = 0, right = 0, bottom = 0;
};

// Antialiased bilinear resampling with PIL's algorithm (Image.resize(size, BILINEAR, box):
// triangle filter widened by the shrink factor, separable, edge-normalised weights), which is
// what torchvision's Resize/RandomResizedCrop use on PIL images.
//
// Resizes `box` of `image` (channels 1 or 3; RGB is converted to luma first when
// `to_grey`) to out_width x out_height, and returns only the window
// [window_left, window_left + window_width) x [window_top, ...) of that output (the rest is
// never computed: resize-then-center-crop costs only the crop). Output is planar float
// [channels][window_height][window_width] in [0, 1].
std::vector<float> ResampleBilinear(const Image& image, const Box& box, int out_width, int out_height,
                                    int window_left, int window_top, int window_width,
                                    int window_height, bool to_grey);

// As above, into `result` (resized as needed), so a caller can reuse one buffer.
void ResampleBilinear(const Image& image, const Box& box, int out_width, int out_height, int window_left,
                      int window_top, int window_width, int window_height, bool to_grey,
                      std::vector<float>& result);

// PIL's convert("L") luma of one RGB pixel: (299 R + 587 G + 114 B) / 1000, rounded.
inline uint8_t PilLuma(uint8_t r, uint8_t g, uint8_t b) {
  return static_cast<uint8_t>((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16);
}

}  // namespace ijepa::data
