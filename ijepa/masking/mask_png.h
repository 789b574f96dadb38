#pragma once

// Drawing masks as a PNG picture (libpng), for the visualize_masks tool.

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ijepa/masking/batch_masks.h"

namespace ijepa::masking {

// 8-bit RGB, row-major, 3 bytes per pixel.
struct RgbImage {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> pixels;
  std::array<uint8_t, 3> At(int x, int y) const {
    const size_t i = (static_cast<size_t>(y) * width + x) * 3;
    return {pixels[i], pixels[i + 1], pixels[i + 2]};
  }
};

// Limits of ReadPng: the pixel count is the data decoders' (ijepa/data kMaxImagePixels, PIL's
// decompression-bomb limit), checked on the header before any pixel is allocated.
inline constexpr int64_t kMaxPngPixels = 89478485;
inline constexpr uint64_t kMaxPngFileBytes = uint64_t{1} << 30;

// Any PNG, converted to RGB. `path` must be a regular file (common::ReadRegularFile) and the image
// at most kMaxPngPixels; errors name the path.
absl::StatusOr<RgbImage> ReadPng(const std::string& path);
absl::Status WritePng(const std::string& path, const RgbImage& image);

struct RenderOptions {
  int cell = 16;     // pixels per patch side
  int columns = 4;   // images per row of the picture
  int gap = 4;       // white pixels between images
  // Optional picture shown under the masks (resized to the grid, nearest neighbour); else grey.
  const RgbImage* background = nullptr;
};

// Colours: context patches blue, target m in kTargetColours[m % size]; a patch in a target and the
// context (allow_overlap) gets the target colour with a blue frame; other patches show the
// background dimmed. One tile per image of the batch, `columns` tiles per row.
inline constexpr std::array<std::array<uint8_t, 3>, 6> kTargetColours = {
    {{228, 26, 28}, {255, 127, 0}, {77, 175, 74}, {152, 78, 163}, {247, 129, 191}, {166, 86, 40}}};
inline constexpr std::array<uint8_t, 3> kContextColour = {55, 126, 184};

RgbImage RenderMasks(const BatchMasks& masks, int grid_h, int grid_w, const RenderOptions& options);

}  // namespace ijepa::masking
