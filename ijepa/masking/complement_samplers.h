#pragma once

#include <cstdint>

#include "ijepa/masking/batch_masks.h"
#include "ijepa/masking/mask_options.h"
#include "ijepa/masking/mask_sampler.h"

namespace ijepa::masking {

// The ablation strategies of the paper (Table 6), whose single context is the complement of the
// targets' union. Lengths are equalized across the batch like the multi-block sampler's (only
// needed when targets overlap or quadrants differ in size). Randomness as MultiBlockSampler: sizes
// keyed by (seed, epoch, batch_index), positions by (seed, epoch, batch_index, rank).
class ComplementSampler : public MaskSampler {
 public:
  // `options` must have passed ValidateMaskOptions for this grid; its strategy must be
  // kRandomPatches, kCenterBlock, kRandomBlock or kQuadrants.
  ComplementSampler(const MaskOptions& options, int grid_h, int grid_w);

  BatchMasks Sample(int batch_size, uint64_t seed, int64_t epoch, int64_t batch_index,
                    int rank) const override;
  int grid_h() const override { return grid_h_; }
  int grid_w() const override { return grid_w_; }

 private:
  MaskOptions options_;
  int grid_h_;
  int grid_w_;
};

}  // namespace ijepa::masking
