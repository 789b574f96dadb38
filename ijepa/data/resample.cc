#include "ijepa/data/resample.h"

#include <algorithm>
#include <cmath>

namespace ijepa::data {
namespace {

// Filter taps for a window of output positions along one axis (PIL's precompute_coeffs).
struct Taps {
  std::vector<int> start;      // first input index per output position
  std::vector<int> count;      // number of inputs per output position
  std::vector<float> weights;  // [positions][max_taps], normalised to sum 1
  int max_taps = 0;
};

Taps ComputeTaps(int in_size, double in0, double in1, int out_size, int window_start,
                 int window_size) {
  const double scale = (in1 - in0) / out_size;
  const double filter_scale = std::max(scale, 1.0);
  const double support = 1.0 * filter_scale;  // bilinear filter support 1
  Taps taps;
  taps.max_taps = static_cast<int>(std::ceil(support)) * 2 + 1;
  taps.start.resize(window_size);
  taps.count.resize(window_size);
  taps.weights.assign(static_cast<size_t>(window_size) * taps.max_taps, 0.0f);
  const double inv_scale = 1.0 / filter_scale;
  for (int j = 0; j < window_size; ++j) {
    const double center = in0 + (window_start + j + 0.5) * scale;
    // C truncation as PIL does (values may be negative before the clamp).
    const int xmin = std::max(static_cast<int>(center - support + 0.5), 0);
    const int xmax = std::min(static_cast<int>(center + support + 0.5), in_size) - xmin;
    const int n = std::clamp(xmax, 0, taps.max_taps);
    double total = 0;
    float* w = &taps.weights[static_cast<size_t>(j) * taps.max_taps];
    for (int x = 0; x < n; ++x) {
      const double t = std::abs((x + xmin - center + 0.5) * inv_scale);
      w[x] = static_cast<float>(t < 1.0 ? 1.0 - t : 0.0);
      total += w[x];
    }
    for (int x = 0; x < n; ++x) w[x] = total > 0 ? static_cast<float>(w[x] / total) : 0.0f;
    taps.start[j] = xmin;
    taps.count[j] = n;
  }
  return taps;
}

}  // namespace

void ResampleBilinear(const Image& image, const Box& box, int out_width, int out_height, int window_left,
                      int window_top, int window_width, int window_height, bool to_grey,
                      std::vector<float>& result) {
  const int source_channels = image.channels;
  const bool grey = to_grey || source_channels == 1;
  const int channels = grey ? 1 : 3;
  const Taps horizontal =
      ComputeTaps(image.width, box.left, box.right, out_width, window_left, window_width);
  const Taps vertical =
      ComputeTaps(image.height, box.top, box.bottom, out_height, window_top, window_height);

  int row_begin = image.height, row_end = 0;
  for (int i = 0; i < window_height; ++i) {
    if (vertical.count[i] == 0) continue;
    row_begin = std::min(row_begin, vertical.start[i]);
    row_end = std::max(row_end, vertical.start[i] + vertical.count[i]);
  }
  row_end = std::max(row_end, row_begin);
  int col_begin = image.width, col_end = 0;
  for (int j = 0; j < window_width; ++j) {
    if (horizontal.count[j] == 0) continue;
    col_begin = std::min(col_begin, horizontal.start[j]);
    col_end = std::max(col_end, horizontal.start[j] + horizontal.count[j]);
  }
  col_end = std::max(col_end, col_begin);
  // Horizontal pass over the rows the vertical pass reads: [row][column][channel].
  // Scratch buffers live per thread: allocating and freeing a few MB per sample makes glibc
  // hand pages back to the kernel and fault them in again, which cost more than the filtering.
  thread_local std::vector<float> rows, source_row, accumulator;
  rows.assign(static_cast<size_t>(row_end - row_begin) * window_width * channels, 0.0f);
  // Source row as float once (luma for grey output of an RGB image), so the tap loops below are
  // plain float multiply-adds.
  source_row.resize(static_cast<size_t>(image.width) * channels);
  for (int r = row_begin; r < row_end; ++r) {
    const uint8_t* __restrict source =
        image.pixels.data() + static_cast<size_t>(r) * image.width * source_channels;
    float* __restrict converted = source_row.data();
    if (grey && source_channels == 3) {
      for (int x = col_begin; x < col_end; ++x) {
        converted[x] = PilLuma(source[3 * x], source[3 * x + 1], source[3 * x + 2]);
      }
    } else {
      const size_t end = static_cast<size_t>(col_end) * channels;
      for (size_t i = static_cast<size_t>(col_begin) * channels; i < end; ++i) {
        converted[i] = static_cast<float>(static_cast<int>(source[i]));
      }
    }
    float* out = &rows[static_cast<size_t>(r - row_begin) * window_width * channels];
    for (int j = 0; j < window_width; ++j) {
      const float* w = &horizontal.weights[static_cast<size_t>(j) * horizontal.max_taps];
      const float* p = source_row.data() + static_cast<size_t>(horizontal.start[j]) * channels;
      const int count = horizontal.count[j];
      if (channels == 1) {
        float sum = 0;
        for (int k = 0; k < count; ++k) sum += w[k] * p[k];
        out[j] = sum;
      } else {
        float s0 = 0, s1 = 0, s2 = 0;
        for (int k = 0; k < count; ++k) {
          s0 += w[k] * p[3 * k];
          s1 += w[k] * p[3 * k + 1];
          s2 += w[k] * p[3 * k + 2];
        }
        out[3 * j] = s0;
        out[3 * j + 1] = s1;
        out[3 * j + 2] = s2;
      }
    }
  }
  // Vertical pass into planar output, scaled to [0, 1].
  const size_t plane = static_cast<size_t>(window_height) * window_width;
  result.resize(plane * channels);
  accumulator.resize(static_cast<size_t>(window_width) * channels);
  for (int i = 0; i < window_height; ++i) {
    std::fill(accumulator.begin(), accumulator.end(), 0.0f);
    const float* w = &vertical.weights[static_cast<size_t>(i) * vertical.max_taps];
    for (int k = 0; k < vertical.count[i]; ++k) {
      const float* __restrict row =
          &rows[static_cast<size_t>(vertical.start[i] + k - row_begin) * window_width * channels];
      float* __restrict sum = accumulator.data();
      const float weight = w[k];
      const size_t width = accumulator.size();
      for (size_t x = 0; x < width; ++x) sum[x] += weight * row[x];
    }
    for (int j = 0; j < window_width; ++j) {
      for (int c = 0; c < channels; ++c) {
        const float v = accumulator[static_cast<size_t>(j) * channels + c] * (1.0f / 255.0f);
        result[c * plane + static_cast<size_t>(i) * window_width + j] = std::clamp(v, 0.0f, 1.0f);
      }
    }
  }
}

std::vector<float> ResampleBilinear(const Image& image, const Box& box, int out_width, int out_height,
                                    int window_left, int window_top, int window_width,
                                    int window_height, bool to_grey) {
  std::vector<float> result;
  ResampleBilinear(image, box, out_width, out_height, window_left, window_top, window_width, window_height,
                   to_grey, result);
  return result;
}

}  // namespace ijepa::data
