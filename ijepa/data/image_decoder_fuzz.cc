// Fuzz target: the JPEG and PNG decoders (plain and scaled) and the transform on whatever they
// decode. Any input must give an image or an error, never a crash, a hang or a huge allocation.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "ijepa/data/image_decoder.h"
#include "ijepa/data/transforms.h"

namespace {

void Check(const absl::StatusOr<ijepa::data::Image>& image, const ijepa::data::Transform& transform) {
  if (!image.ok()) return;
  if (image->pixels.size() != static_cast<size_t>(image->height) * image->width * image->channels) __builtin_trap();
  std::vector<float> out(transform.output_size());
  transform.Run(*image, 1, 2, 3, out.data());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ijepa::data;
  static const Transform* transform = [] {
    TransformOptions options;
    options.crop_size = 16;
    options.horizontal_flip = options.color_distortion = options.gaussian_blur = true;
    return new Transform(options);
  }();
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const int factor = size > 0 ? 1 << (data[size - 1] % 4) : 1;
  Check(DecodeImage(bytes, "fuzz"), *transform);
  Check(DecodeJpeg(bytes, "fuzz", [factor](int, int) { return factor; }), *transform);
  Check(DecodePng(bytes, "fuzz"), *transform);
  return 0;
}
