#pragma once

#include <cstdint>

#include "ijepa/masking/batch_masks.h"
#include "ijepa/masking/block_geometry.h"
#include "ijepa/masking/mask_options.h"
#include "ijepa/masking/mask_sampler.h"

namespace ijepa::masking {

// What happened inside one Sample call of the multi-block sampler.
struct MultiBlockStats {
  // Times a context block failed 20 placements in a row, so one more target stopped constraining
  // it (the official "decreasing acceptable-regions" warning). After such a relaxation the
  // context may overlap the targets that no longer constrain it.
  int64_t relaxations = 0;
  // Rejected context placements (kept min_keep patches or fewer).
  int64_t rejected_placements = 0;
};

// The official multi-block sampler (src/masks/multiblock.py, MaskCollator), with the four fixes of
// MaskFixes switchable. Per batch: one target block size and one (square) context block size,
// shared by every image, as the official collator. Per image: num_pred_masks target blocks at
// random positions, then num_enc_masks context blocks whose patches inside any target are removed
// (unless allow_overlap); a context placement keeping min_keep patches or fewer is redrawn, and
// after 20 failures the last remaining target stops constraining it. Finally every context (and
// every target) mask is cut to the shortest length in the batch.
//
// Randomness: block sizes come from a stream keyed by (seed, epoch, batch_index) only, so every
// rank uses the same sizes in a step, as the official collator (whose size generator is seeded by
// the iteration count) does; positions and truncation from a stream keyed by
// (seed, epoch, batch_index, rank).
class MultiBlockSampler : public MaskSampler {
 public:
  // `options` must have passed ValidateMaskOptions for this grid (CreateMaskSampler does that).
  MultiBlockSampler(const MaskOptions& options, int grid_h, int grid_w);

  BatchMasks Sample(int batch_size, uint64_t seed, int64_t epoch, int64_t batch_index,
                    int rank) const override;
  // As Sample, also reporting what the rejection loop did.
  BatchMasks SampleWithStats(int batch_size, uint64_t seed, int64_t epoch, int64_t batch_index,
                             int rank, MultiBlockStats* stats) const;
  // The (target, context) block sizes of a batch; the same on every rank.
  std::pair<BlockSize, BlockSize> BatchBlockSizes(uint64_t seed, int64_t epoch,
                                                  int64_t batch_index) const;

  int grid_h() const override { return grid_h_; }
  int grid_w() const override { return grid_w_; }

 private:
  MaskOptions options_;
  int grid_h_;
  int grid_w_;
};

}  // namespace ijepa::masking
