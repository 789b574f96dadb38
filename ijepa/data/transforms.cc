#include "ijepa/data/transforms.h"

#include <algorithm>
#include <cfenv>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "ijepa/data/resample.h"

namespace ijepa::data {
namespace {

// Python's round(): half to even (the default floating-point rounding mode).
int RoundHalfEven(double x) { return static_cast<int>(std::nearbyint(x)); }

void Grayscale(const float* r, const float* g, const float* b, float* out, size_t n) {
  // torchvision's rgb_to_grayscale weights for tensors.
  for (size_t i = 0; i < n; ++i) out[i] = 0.2989f * r[i] + 0.587f * g[i] + 0.114f * b[i];
}

void Blend(float* data, size_t n, float factor, const float* other, float other_constant) {
  for (size_t i = 0; i < n; ++i) {
    const float o = other ? other[i] : other_constant;
    data[i] = std::clamp(factor * data[i] + (1.0f - factor) * o, 0.0f, 1.0f);
  }
}

// torchvision.transforms.functional_tensor's _rgb2hsv / hue shift / _hsv2rgb, per pixel.
void AdjustHue(float* r, float* g, float* b, size_t n, float hue_factor) {
  for (size_t i = 0; i < n; ++i) {
    const float maxc = std::max({r[i], g[i], b[i]});
    const float minc = std::min({r[i], g[i], b[i]});
    const bool equal = maxc == minc;
    const float cr = maxc - minc;
    const float s = cr / (equal ? 1.0f : maxc);
    const float divisor = equal ? 1.0f : cr;
    const float rc = (maxc - r[i]) / divisor, gc = (maxc - g[i]) / divisor, bc = (maxc - b[i]) / divisor;
    float h;
    if (maxc == r[i]) {
      h = bc - gc;
    } else if (maxc == g[i]) {
      h = 2.0f + rc - bc;
    } else {
      h = 4.0f + gc - rc;
    }
    h = std::fmod(h / 6.0f + 1.0f, 1.0f);
    h = std::fmod(h + hue_factor, 1.0f);
    if (h < 0) h += 1.0f;
    const float v = maxc;
    const float h6 = h * 6.0f;
    const int sector = static_cast<int>(std::floor(h6)) % 6;
    const float f = h6 - std::floor(h6);
    const float p = std::clamp(v * (1.0f - s), 0.0f, 1.0f);
    const float q = std::clamp(v * (1.0f - s * f), 0.0f, 1.0f);
    const float t = std::clamp(v * (1.0f - s * (1.0f - f)), 0.0f, 1.0f);
    float nr, ng, nb;
    switch (sector) {
      case 0: nr = v, ng = t, nb = p; break;
      case 1: nr = q, ng = v, nb = p; break;
      case 2: nr = p, ng = v, nb = t; break;
      case 3: nr = p, ng = q, nb = v; break;
      case 4: nr = t, ng = p, nb = v; break;
      default: nr = v, ng = p, nb = q; break;
    }
    r[i] = nr, g[i] = ng, b[i] = nb;
  }
}

// Separable Gaussian with edge replication (as PIL's blur treats borders).
void GaussianBlurPlane(float* plane, int height, int width, double sigma, std::vector<float>& scratch) {
  const int radius = std::max(1, static_cast<int>(std::ceil(3.0 * sigma)));
  std::vector<float> kernel(2 * radius + 1);
  double total = 0;
  for (int k = -radius; k <= radius; ++k) {
    kernel[k + radius] = static_cast<float>(std::exp(-0.5 * k * k / (sigma * sigma)));
    total += kernel[k + radius];
  }
  for (float& k : kernel) k = static_cast<float>(k / total);
  scratch.resize(static_cast<size_t>(height) * width);
  for (int y = 0; y < height; ++y) {
    const float* row = plane + static_cast<size_t>(y) * width;
    for (int x = 0; x < width; ++x) {
      float sum = 0;
      for (int k = -radius; k <= radius; ++k) sum += kernel[k + radius] * row[std::clamp(x + k, 0, width - 1)];
      scratch[static_cast<size_t>(y) * width + x] = sum;
    }
  }
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      float sum = 0;
      for (int k = -radius; k <= radius; ++k) {
        sum += kernel[k + radius] * scratch[static_cast<size_t>(std::clamp(y + k, 0, height - 1)) * width + x];
      }
      plane[static_cast<size_t>(y) * width + x] = sum;
    }
  }
}

// Resized size of torchvision's Resize(size) with an int size: shorter side -> size, longer
// side -> int(size * long / short) (truncated).
std::pair<int, int> ShorterSideResize(int height, int width, int size) {
  if (height <= width) {
    return {size, static_cast<int>(static_cast<double>(size) * width / height)};
  }
  return {static_cast<int>(static_cast<double>(size) * height / width), size};
}

}  // namespace

absl::Status ValidateTransformOptions(const TransformOptions& o) {
  if (o.crop_size <= 0 || o.crop_size > 8192) {
    return absl::InvalidArgumentError(absl::StrCat("crop_size is ", o.crop_size, "; expected 1 to 8192"));
  }
  if (!(o.scale_min > 0 && o.scale_min <= o.scale_max && o.scale_max <= 1.0)) {
    return absl::InvalidArgumentError(absl::StrCat("crop_scale is [", o.scale_min, ", ", o.scale_max,
                                                   "]; expected 0 < min <= max <= 1"));
  }
  if (!(o.ratio_min > 0 && o.ratio_min <= o.ratio_max)) {
    return absl::InvalidArgumentError(absl::StrCat("crop_ratio is [", o.ratio_min, ", ", o.ratio_max,
                                                   "]; expected 0 < min <= max"));
  }
  if (o.mode == TransformOptions::Mode::kResizeCenterCrop && o.resize_size < o.crop_size) {
    return absl::InvalidArgumentError(absl::StrCat("eval resize size ", o.resize_size,
                                                   " is smaller than crop_size ", o.crop_size,
                                                   "; expected resize >= crop"));
  }
  if (o.channels != 1 && o.channels != 3) {
    return absl::InvalidArgumentError(absl::StrCat("channels is ", o.channels, "; expected 1 or 3"));
  }
  if (o.mean.size() != static_cast<size_t>(o.channels) || o.std.size() != static_cast<size_t>(o.channels)) {
    return absl::InvalidArgumentError(absl::StrCat("normalization has ", o.mean.size(), " mean and ",
                                                   o.std.size(), " std values; expected ", o.channels,
                                                   " of each (one per channel)"));
  }
  for (float s : o.std) {
    if (!(s > 0)) return absl::InvalidArgumentError(absl::StrCat("normalization std ", s, "; expected > 0"));
  }
  if (o.color_jitter_strength < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("color_jitter_strength is ", o.color_jitter_strength, "; expected >= 0"));
  }
  return absl::OkStatus();
}

Transform::Transform(TransformOptions options) : options_(std::move(options)) {}

std::array<int, 4> Transform::RandomResizedCropBox(int height, int width, double scale_min,
                                                   double scale_max, double ratio_min,
                                                   double ratio_max, SampleRng& rng) {
  const double area = static_cast<double>(height) * width;
  const double log_ratio_min = std::log(ratio_min), log_ratio_max = std::log(ratio_max);
  for (int attempt = 0; attempt < 10; ++attempt) {
    const double target_area = area * rng.Uniform(scale_min, scale_max);
    const double aspect_ratio = std::exp(rng.Uniform(log_ratio_min, log_ratio_max));
    const int w = RoundHalfEven(std::sqrt(target_area * aspect_ratio));
    const int h = RoundHalfEven(std::sqrt(target_area / aspect_ratio));
    if (0 < w && w <= width && 0 < h && h <= height) {
      const int top = static_cast<int>(rng.UniformInt(0, height - h + 1));
      const int left = static_cast<int>(rng.UniformInt(0, width - w + 1));
      return {top, left, h, w};
    }
  }
  // Fallback: central crop, clamped to the ratio range.
  const double in_ratio = static_cast<double>(width) / height;
  int w, h;
  if (in_ratio < ratio_min) {
    w = width;
    h = RoundHalfEven(w / ratio_min);
  } else if (in_ratio > ratio_max) {
    h = height;
    w = RoundHalfEven(h * ratio_max);
  } else {
    w = width;
    h = height;
  }
  return {(height - h) / 2, (width - w) / 2, h, w};
}

TransformParams Transform::Sample(int original_height, int original_width, SampleRng& rng) const {
  const TransformOptions& o = options_;
  TransformParams p;
  p.original_height = original_height;
  p.original_width = original_width;
  if (o.mode == TransformOptions::Mode::kRandomResizedCrop) {
    const auto box = RandomResizedCropBox(original_height, original_width, o.scale_min, o.scale_max,
                                          o.ratio_min, o.ratio_max, rng);
    p.top = box[0], p.left = box[1], p.height = box[2], p.width = box[3];
  } else {
    const auto [resized_h, resized_w] = ShorterSideResize(original_height, original_width, o.resize_size);
    p.height = resized_h;
    p.width = resized_w;
    p.top = RoundHalfEven((resized_h - o.crop_size) / 2.0);
    p.left = RoundHalfEven((resized_w - o.crop_size) / 2.0);
  }
  if (o.horizontal_flip) p.flip = rng.Uniform() < 0.5;
  if (o.color_distortion) {
    const double s = o.color_jitter_strength;
    // RandomApply(p=0.8) draws first; ColorJitter then draws its order and factors.
    p.jitter = rng.Uniform() < 0.8;
    if (p.jitter) {
      std::vector<int> order = {0, 1, 2, 3};
      rng.Shuffle(order);
      std::copy(order.begin(), order.end(), p.jitter_order.begin());
      const double bcs = 0.8 * s, h = std::min(0.2 * s, 0.5);
      if (bcs > 0) {
        p.brightness = rng.Uniform(std::max(0.0, 1 - bcs), 1 + bcs);
        p.contrast = rng.Uniform(std::max(0.0, 1 - bcs), 1 + bcs);
        p.saturation = rng.Uniform(std::max(0.0, 1 - bcs), 1 + bcs);
      }
      if (h > 0) p.hue = rng.Uniform(-h, h);
    }
    p.grayscale = rng.Uniform() < 0.2;
  }
  if (o.gaussian_blur) {
    p.blur = rng.Uniform() < 0.5;
    if (p.blur) p.blur_sigma = rng.Uniform(0.1, 2.0);
  }
  return p;
}

int Transform::MaxDownscale(const TransformParams& p) const {
  if (!options_.allow_scaled_decode) return 1;
  // The decoded image is ceil(original / factor); keep the region we resample from at least as
  // large as what it becomes.
  auto fits = [&](int factor) {
    auto shrunk = [factor](int v) { return (v + factor - 1) / factor; };
    if (options_.mode == TransformOptions::Mode::kRandomResizedCrop) {
      const double sy = static_cast<double>(shrunk(p.original_height)) / p.original_height;
      const double sx = static_cast<double>(shrunk(p.original_width)) / p.original_width;
      return p.height * sy >= options_.crop_size && p.width * sx >= options_.crop_size;
    }
    return shrunk(p.original_height) >= p.height && shrunk(p.original_width) >= p.width;
  };
  for (int factor : {8, 4, 2}) {
    if (fits(factor)) return factor;
  }
  return 1;
}

void Transform::Apply(const Image& image, const TransformParams& p, float* out) const {
  const TransformOptions& o = options_;
  const int size = o.crop_size;
  const bool to_grey = o.channels == 1 && image.channels == 3;
  thread_local std::vector<float> planes, grey, scratch;  // reused: see ResampleBilinear
  if (o.mode == TransformOptions::Mode::kRandomResizedCrop) {
    const double sy = static_cast<double>(image.height) / p.original_height;
    const double sx = static_cast<double>(image.width) / p.original_width;
    const Box box{p.left * sx, p.top * sy, (p.left + p.width) * sx, (p.top + p.height) * sy};
    ResampleBilinear(image, box, size, size, 0, 0, size, size, to_grey, planes);
  } else {
    const Box box{0, 0, static_cast<double>(image.width), static_cast<double>(image.height)};
    ResampleBilinear(image, box, p.width, p.height, p.left, p.top, size, size, to_grey, planes);
  }
  const int work_channels = static_cast<int>(planes.size() / (static_cast<size_t>(size) * size));
  const size_t n = static_cast<size_t>(size) * size;
  if (p.flip) {
    for (int c = 0; c < work_channels; ++c) {
      for (int y = 0; y < size; ++y) {
        float* row = planes.data() + c * n + static_cast<size_t>(y) * size;
        std::reverse(row, row + size);
      }
    }
  }
  grey.resize(work_channels == 3 ? n : 0);
  auto compute_grey = [&] { Grayscale(&planes[0], &planes[n], &planes[2 * n], grey.data(), n); };
  if (p.jitter) {
    for (int op : p.jitter_order) {
      if (op == 0 && p.brightness != 1) {
        Blend(planes.data(), planes.size(), static_cast<float>(p.brightness), nullptr, 0.0f);
      } else if (op == 1 && p.contrast != 1) {
        double mean = 0;
        if (work_channels == 3) {
          compute_grey();
          for (float v : grey) mean += v;
        } else {
          for (float v : planes) mean += v;
        }
        Blend(planes.data(), planes.size(), static_cast<float>(p.contrast), nullptr,
              static_cast<float>(mean / n));
      } else if (op == 2 && p.saturation != 1 && work_channels == 3) {
        compute_grey();
        for (int c = 0; c < 3; ++c) Blend(&planes[c * n], n, static_cast<float>(p.saturation), grey.data(), 0);
      } else if (op == 3 && p.hue != 0 && work_channels == 3) {
        AdjustHue(&planes[0], &planes[n], &planes[2 * n], n, static_cast<float>(p.hue));
      }
    }
  }
  if (p.grayscale && work_channels == 3) {
    compute_grey();
    for (int c = 0; c < 3; ++c) std::copy(grey.begin(), grey.end(), planes.begin() + c * n);
  }
  if (p.blur) {
    for (int c = 0; c < work_channels; ++c) GaussianBlurPlane(&planes[c * n], size, size, p.blur_sigma, scratch);
  }
  for (int c = 0; c < o.channels; ++c) {
    const float* source = &planes[(work_channels == 1 ? 0 : c) * n];
    const float mean = o.mean[c], inv_std = 1.0f / o.std[c];
    float* target = out + c * n;
    for (size_t i = 0; i < n; ++i) target[i] = (source[i] - mean) * inv_std;
  }
}

void Transform::Run(const Image& image, uint64_t seed, int64_t epoch, int64_t index, float* out) const {
  SampleRng rng(seed, epoch, index);
  Apply(image, Sample(image.height, image.width, rng), out);
}

}  // namespace ijepa::data
