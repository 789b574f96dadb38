#include "ijepa/masking/block_geometry.h"

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <limits>

namespace ijepa::masking {
namespace {

BlockSize BlockSizeFromKeep(int max_keep, double aspect, int grid_h, int grid_w,
                            bool full_grid_blocks) {
  // std::nearbyint rounds half to even under the default rounding mode, like Python's round().
  int h = static_cast<int>(std::nearbyint(std::sqrt(max_keep * aspect)));
  int w = static_cast<int>(std::nearbyint(std::sqrt(max_keep / aspect)));
  const int max_h = full_grid_blocks ? grid_h : grid_h - 1;
  const int max_w = full_grid_blocks ? grid_w : grid_w - 1;
  return BlockSize{std::min(h, max_h), std::min(w, max_w)};
}

}  // namespace

BlockSize BlockSizeFor(double scale, double aspect, int grid_h, int grid_w,
                       bool full_grid_blocks) {
  const int max_keep = static_cast<int>(static_cast<double>(grid_h) * grid_w * scale);
  return BlockSizeFromKeep(max_keep, aspect, grid_h, grid_w, full_grid_blocks);
}

BlockSize SampleBlockSize(MaskRng& rng, const Range& scale, const Range& aspect, int grid_h,
                          int grid_w, const MaskFixes& fixes) {
  const double r_scale = rng.Uniform();
  const double r_aspect = fixes.independent_scale_aspect ? rng.Uniform() : r_scale;
  const double s = scale.min + r_scale * (scale.max - scale.min);
  const double a = aspect.min + r_aspect * (aspect.max - aspect.min);
  return BlockSizeFor(s, a, grid_h, grid_w, fixes.full_grid_blocks);
}

AreaBounds BlockAreaBounds(const Range& scale, const Range& aspect, int grid_h, int grid_w,
                           bool full_grid_blocks) {
  const double cells = static_cast<double>(grid_h) * grid_w;
  const int keep_lo = static_cast<int>(cells * scale.min);
  const int keep_hi = static_cast<int>(cells * scale.max);
  AreaBounds bounds{std::numeric_limits<int>::max(), 0, std::numeric_limits<int>::max()};
  std::vector<double> aspects;
  for (int keep = keep_lo; keep <= keep_hi; ++keep) {
    // h is a non-decreasing step function of the aspect ratio and w a non-increasing one, so on
    // each interval where h is constant the area and min(h, w) are extreme at the interval's
    // ends: evaluating at the range ends and on both sides of every step of h suffices.
    aspects.assign({aspect.min, aspect.max});
    if (keep > 0) {
      const int h_lo = static_cast<int>(std::floor(std::sqrt(keep * aspect.min)));
      const int h_hi = std::min(static_cast<int>(std::ceil(std::sqrt(keep * aspect.max))), grid_h);
      for (int j = h_lo; j <= h_hi; ++j) aspects.push_back((j + 0.5) * (j + 0.5) / keep);
    }
    for (double base : aspects) {
      for (double a : {base * (1 - 1e-12), base, base * (1 + 1e-12)}) {
        if (a < aspect.min || a > aspect.max) continue;
        const BlockSize size = BlockSizeFromKeep(keep, a, grid_h, grid_w, full_grid_blocks);
        bounds.min_area = std::min(bounds.min_area, size.area());
        bounds.max_area = std::max(bounds.max_area, size.area());
        bounds.min_side = std::min(bounds.min_side, std::min(size.h, size.w));
      }
    }
  }
  return bounds;
}

void KeepRandomSubset(std::vector<int32_t>& indices, size_t keep, MaskRng& rng) {
  const size_t n = indices.size();
  if (keep >= n) return;
  // Floyd's algorithm picks a uniformly random m-subset of positions with m draws; pick whichever
  // side (kept or dropped positions) is smaller, then compact in order.
  const bool pick_kept = keep <= n - keep;
  const size_t m = pick_kept ? keep : n - keep;
  thread_local std::vector<uint8_t> picked;
  picked.assign(n, 0);
  for (size_t j = n - m; j < n; ++j) {
    const size_t t = rng.UniformInt(static_cast<uint32_t>(j + 1));
    picked[picked[t] ? j : t] = 1;
  }
  size_t out = 0;
  // Branch-free compaction: which positions survive is random, so a branch would mispredict.
  const uint8_t keep_mark = pick_kept ? 1 : 0;
  for (size_t i = 0; i < n; ++i) {
    indices[out] = indices[i];
    out += picked[i] == keep_mark;
  }
  indices.resize(out);
}

void EqualizeLengths(std::vector<std::vector<std::vector<int32_t>>>& masks, bool random,
                     MaskRng& rng) {
  size_t shortest = std::numeric_limits<size_t>::max();
  for (const auto& per_image : masks) {
    for (const auto& m : per_image) shortest = std::min(shortest, m.size());
  }
  for (auto& per_image : masks) {
    for (auto& m : per_image) {
      if (m.size() <= shortest) continue;
      if (random) {
        KeepRandomSubset(m, shortest, rng);
      } else {
        m.resize(shortest);
      }
    }
  }
}

}  // namespace ijepa::masking
