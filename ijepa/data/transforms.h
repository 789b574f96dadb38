#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "ijepa/data/image.h"
#include "ijepa/data/sample_rng.h"

namespace ijepa::data {

// Plain options of the image pipeline (see data_config.h for building them from a DataConfig).
struct TransformOptions {
  enum class Mode {
    // Training: RandomResizedCrop(crop_size, scale, ratio) as torchvision.
    kRandomResizedCrop,
    // Evaluation: Resize(resize_size) of the shorter side, then CenterCrop(crop_size).
    kResizeCenterCrop,
  };
  Mode mode = Mode::kRandomResizedCrop;
  int crop_size = 224;
  double scale_min = 0.3, scale_max = 1.0;              // I-JEPA's crop_scale
  double ratio_min = 3.0 / 4.0, ratio_max = 4.0 / 3.0;  // torchvision's default
  int resize_size = 256;                                // kResizeCenterCrop only
  bool horizontal_flip = false;                         // p = 0.5
  // RandomApply(ColorJitter(0.8s, 0.8s, 0.8s, 0.2s), p=0.8) then RandomGrayscale(p=0.2).
  bool color_distortion = false;
  double color_jitter_strength = 1.0;  // s
  bool gaussian_blur = false;          // p = 0.5, sigma uniform in [0.1, 2]
  int channels = 3;                    // output channels: 3 (grey repeated) or 1 (luma)
  std::vector<float> mean = {0.485f, 0.456f, 0.406f};  // one per output channel
  std::vector<float> std = {0.229f, 0.224f, 0.225f};
  bool allow_scaled_decode = true;  // let JPEG decoding shrink in the DCT when the crop allows
};

// Checks ranges and sizes; errors name the option and what was expected.
absl::Status ValidateTransformOptions(const TransformOptions& options);

// The random choices for one sample, drawn before decoding from the original image size so the
// decoder may shrink (see Transform::MaxDownscale).
struct TransformParams {
  int original_height = 0, original_width = 0;
  // Crop box in original-image pixels (torchvision's i, j, h, w), or for evaluation the whole
  // image with the center-crop window in resized coordinates.
  int top = 0, left = 0, height = 0, width = 0;
  bool flip = false;
  bool jitter = false;
  double brightness = 1, contrast = 1, saturation = 1, hue = 0;
  std::array<int, 4> jitter_order = {0, 1, 2, 3};  // torchvision's fn_idx
  bool grayscale = false;
  bool blur = false;
  double blur_sigma = 0;
};

// The torchvision-style pipeline from a decoded image to a normalised float CHW image.
// Stateless and thread-safe; all randomness comes from the SampleRng passed in.
class Transform {
 public:
  explicit Transform(TransformOptions options);  // options must pass ValidateTransformOptions

  int channels() const { return options_.channels; }
  int height() const { return options_.crop_size; }
  int width() const { return options_.crop_size; }
  int64_t output_size() const { return int64_t{channels()} * height() * width(); }
  const TransformOptions& options() const { return options_; }

  // Draws the sample's random parameters for an image of the given original size. Uses the
  // generator in a fixed order, so equal generators give equal parameters.
  TransformParams Sample(int original_height, int original_width, SampleRng& rng) const;

  // Largest factor in {1, 2, 4, 8} by which the decoder may shrink the original image while the
  // crop keeps at least the output resolution (1 when scaled decoding is off).
  int MaxDownscale(const TransformParams& params) const;

  // Applies `params` to `image`, which is the original or a shrunken decode of it (its size may
  // differ from params' original size; the crop box is scaled accordingly). Writes
  // output_size() floats, CHW, to `out`.
  void Apply(const Image& image, const TransformParams& params, float* out) const;

  // Sample + Apply with the generator of (seed, epoch, index) for an already decoded image.
  void Run(const Image& image, uint64_t seed, int64_t epoch, int64_t index, float* out) const;

  // torchvision's RandomResizedCrop.get_params: 10 tries of (scale, log-uniform ratio), then
  // the center-crop fallback. Returns {top, left, height, width}.
  static std::array<int, 4> RandomResizedCropBox(int height, int width, double scale_min,
                                                 double scale_max, double ratio_min,
                                                 double ratio_max, SampleRng& rng);

 private:
  TransformOptions options_;
};

}  // namespace ijepa::data
