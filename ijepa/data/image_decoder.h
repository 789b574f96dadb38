#pragma once

#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ijepa/data/dataset.h"
#include "ijepa/data/image.h"

namespace ijepa::data {

enum class ImageFormat { kUnknown, kJpeg, kPng };

// Largest image decoded, in pixels: PIL's decompression-bomb limit (Image.MAX_IMAGE_PIXELS), so a
// header claiming 65535x65535 cannot allocate gigabytes.
inline constexpr int64_t kMaxImagePixels = 89478485;

// By magic bytes (FF D8 FF for JPEG, 89 50 4E 47 0D 0A 1A 0A for PNG), never by file name.
ImageFormat DetectImageFormat(std::string_view bytes);

// JPEG via libjpeg-turbo. Grey files give 1 channel, everything else 3 (RGB; CMYK/YCCK are
// converted as PIL does for Adobe files). `downscale`, when given, is called once with the
// original size and may return 2, 4 or 8 to decode smaller in the DCT (scaled decoding); output
// size is then ceil(size / factor). A file that ends before its image data does (truncated) is
// an error; other libjpeg warnings (e.g. extraneous bytes before a marker, common in ImageNet)
// are not, as with PIL. `what` names the source in errors.
absl::StatusOr<Image> DecodeJpeg(std::string_view bytes, absl::string_view what,
                                 const DownscaleFn& downscale = nullptr);

// PNG via libpng (simplified API). Grey (with or without alpha) gives 1 channel, colour and
// palette 3; alpha is dropped as PIL's convert("RGB") does.
absl::StatusOr<Image> DecodePng(std::string_view bytes, absl::string_view what);

// Dispatches on the magic bytes; other formats are InvalidArgument errors naming `what`.
absl::StatusOr<Image> DecodeImage(std::string_view bytes, absl::string_view what,
                                  const DownscaleFn& downscale = nullptr);

}  // namespace ijepa::data
