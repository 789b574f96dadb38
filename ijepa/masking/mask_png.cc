#include "ijepa/masking/mask_png.h"

#include <png.h>

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "ijepa/common/atomic_file.h"
#include "ijepa/common/read_file.h"

namespace ijepa::masking {
namespace {

void Blend(uint8_t* px, const std::array<uint8_t, 3>& colour, int alpha_percent) {
  for (int c = 0; c < 3; ++c) {
    px[c] = static_cast<uint8_t>((px[c] * (100 - alpha_percent) + colour[c] * alpha_percent) / 100);
  }
}

}  // namespace

absl::StatusOr<RgbImage> ReadPng(const std::string& path) {
  absl::StatusOr<std::string> bytes = common::ReadRegularFile(path, "PNG", kMaxPngFileBytes);
  if (!bytes.ok()) return bytes.status();
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&image, bytes->data(), bytes->size())) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot read PNG ", path, ": ", image.message));
  }
  // The header's size is checked before the pixels are allocated: a small file may declare a
  // 100000x100000 image.
  const uint64_t pixels = uint64_t{image.width} * image.height;
  if (pixels == 0 || pixels > static_cast<uint64_t>(kMaxPngPixels)) {
    png_image_free(&image);
    return absl::InvalidArgumentError(absl::StrCat("PNG ", path, " is ", image.width, "x", image.height, " = ",
                                                   pixels, " pixels; expected 1 to ", kMaxPngPixels));
  }
  image.format = PNG_FORMAT_RGB;
  RgbImage out;
  out.width = static_cast<int>(image.width);
  out.height = static_cast<int>(image.height);
  out.pixels.resize(PNG_IMAGE_SIZE(image));
  if (!png_image_finish_read(&image, nullptr, out.pixels.data(), 0, nullptr)) {
    const std::string message = image.message;
    png_image_free(&image);
    return absl::InvalidArgumentError(absl::StrCat("cannot decode PNG ", path, ": ", message));
  }
  return out;
}

absl::Status WritePng(const std::string& path, const RgbImage& image) {
  png_image png{};
  png.version = PNG_IMAGE_VERSION;
  png.width = static_cast<png_uint_32>(image.width);
  png.height = static_cast<png_uint_32>(image.height);
  png.format = PNG_FORMAT_RGB;
  // Encoded in memory, then written atomically: a reader never sees half a picture.
  png_alloc_size_t size = 0;
  if (!png_image_write_to_memory(&png, nullptr, &size, 0, image.pixels.data(), 0, nullptr)) {
    return absl::InternalError(absl::StrCat("cannot encode PNG ", path, ": ", png.message));
  }
  std::string bytes(size, '\0');
  if (!png_image_write_to_memory(&png, bytes.data(), &size, 0, image.pixels.data(), 0, nullptr)) {
    return absl::InternalError(absl::StrCat("cannot encode PNG ", path, ": ", png.message));
  }
  bytes.resize(size);
  if (absl::Status status = common::WriteFileAtomically(path, bytes); !status.ok()) {
    return absl::UnavailableError(absl::StrCat("cannot write PNG ", path, ": ", status.message()));
  }
  return absl::OkStatus();
}

RgbImage RenderMasks(const BatchMasks& masks, int grid_h, int grid_w,
                     const RenderOptions& options) {
  const int batch = masks.context.empty() ? 0 : static_cast<int>(masks.context[0].size());
  const int cell = std::max(options.cell, 1);
  const int columns = std::max(1, std::min(options.columns, std::max(batch, 1)));
  const int rows = (batch + columns - 1) / columns;
  const int tile_w = grid_w * cell, tile_h = grid_h * cell;
  RgbImage out;
  out.width = columns * tile_w + (columns + 1) * options.gap;
  out.height = rows * tile_h + (rows + 1) * options.gap;
  out.pixels.assign(static_cast<size_t>(out.width) * out.height * 3, 255);

  // Per patch: 0 = none, 1 = context; target colour index + 2 in `target`.
  std::vector<uint8_t> in_context(grid_h * grid_w);
  std::vector<int> target(grid_h * grid_w);
  for (int b = 0; b < batch; ++b) {
    std::fill(in_context.begin(), in_context.end(), 0);
    std::fill(target.begin(), target.end(), -1);
    for (const auto& per_image : masks.context) {
      for (int32_t idx : per_image[b]) in_context[idx] = 1;
    }
    for (size_t m = 0; m < masks.targets.size(); ++m) {
      for (int32_t idx : masks.targets[m][b]) target[idx] = static_cast<int>(m);
    }
    const int x0 = options.gap + (b % columns) * (tile_w + options.gap);
    const int y0 = options.gap + (b / columns) * (tile_h + options.gap);
    for (int y = 0; y < tile_h; ++y) {
      for (int x = 0; x < tile_w; ++x) {
        uint8_t* px = &out.pixels[(static_cast<size_t>(y0 + y) * out.width + x0 + x) * 3];
        if (options.background != nullptr && options.background->width > 0) {
          const RgbImage& bg = *options.background;
          const auto c = bg.At(x * bg.width / tile_w, y * bg.height / tile_h);
          std::copy(c.begin(), c.end(), px);
        } else {
          std::fill(px, px + 3, 200);
        }
        const int patch = (y / cell) * grid_w + x / cell;
        const int cx = x % cell, cy = y % cell;
        const bool frame = cell >= 4 && (cx == 0 || cy == 0 || cx == cell - 1 || cy == cell - 1);
        if (target[patch] >= 0) {
          const auto& colour = kTargetColours[target[patch] % kTargetColours.size()];
          if (in_context[patch] && frame) {
            Blend(px, kContextColour, 100);
          } else {
            Blend(px, colour, 75);
          }
        } else if (in_context[patch]) {
          Blend(px, kContextColour, 60);
        } else {
          Blend(px, {0, 0, 0}, 50);  // neither: dimmed
        }
        // Thin patch grid lines so single patches can be counted.
        if (cell >= 6 && (cx == 0 || cy == 0)) Blend(px, {255, 255, 255}, 25);
      }
    }
  }
  return out;
}

}  // namespace ijepa::masking
