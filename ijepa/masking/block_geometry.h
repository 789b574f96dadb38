#pragma once

#include <cstdint>
#include <vector>

#include "ijepa/masking/mask_options.h"
#include "ijepa/masking/mask_rng.h"

namespace ijepa::masking {

// Height and width of a block, in patches.
struct BlockSize {
  int h = 0;
  int w = 0;
  int area() const { return h * w; }
  bool operator==(const BlockSize& o) const { return h == o.h && w == o.w; }
};

// The official `_sample_block_size` arithmetic for a given scale and aspect ratio:
//   max_keep = int(H * W * scale); h = round(sqrt(max_keep * aspect)); w = round(sqrt(max_keep /
//   aspect)), with Python's round-half-to-even; then h, w are capped at H - 1, W - 1 (official) or
// H, W (full_grid_blocks).
BlockSize BlockSizeFor(double scale, double aspect, int grid_h, int grid_w, bool full_grid_blocks);

// Draws a block size: scale uniform in `scale`, aspect uniform in `aspect`, either from one shared
// uniform draw (official) or from two independent draws (fixes.independent_scale_aspect).
BlockSize SampleBlockSize(MaskRng& rng, const Range& scale, const Range& aspect, int grid_h,
                          int grid_w, const MaskFixes& fixes);

// Smallest and largest area (in patches) any (scale, aspect) pair inside the ranges can produce
// through BlockSizeFor. Exact for independent draws, and therefore a safe bound for the shared draw.
struct AreaBounds {
  int min_area = 0;
  int max_area = 0;
  int min_side = 0;  // smallest h or w
};
AreaBounds BlockAreaBounds(const Range& scale, const Range& aspect, int grid_h, int grid_w,
                           bool full_grid_blocks);

// Draws the first row (or column) of a block of `size` patches in a grid of `extent` patches:
// uniform in [0, extent - size] with fixes.last_row_col, else in [0, extent - size - 1] as the
// official `torch.randint(0, extent - size)`. The range must be non-empty (validated beforehand).
inline int SampleCorner(MaskRng& rng, int extent, int size, bool last_row_col) {
  const int count = extent - size + (last_row_col ? 1 : 0);
  return static_cast<int>(rng.UniformInt(static_cast<uint32_t>(count)));
}

// Cuts every mask in `masks` ([mask][image][index]) to the shortest length among them all, as the
// official collator does. random == false keeps the first indices (official); random == true keeps
// a uniformly random subset, still sorted.
void EqualizeLengths(std::vector<std::vector<std::vector<int32_t>>>& masks, bool random,
                     MaskRng& rng);

// Keeps a uniformly random subset of `keep` elements of `indices` (every subset equally likely),
// preserving their order.
void KeepRandomSubset(std::vector<int32_t>& indices, size_t keep, MaskRng& rng);

}  // namespace ijepa::masking
