#include "ijepa/masking/multi_block_sampler.h"

#include <algorithm>
#include <limits>
#include <vector>

#include "ijepa/masking/stream_keys.h"

namespace ijepa::masking {
namespace {

// Failed placements before one more target region is dropped (official `og_timeout`).
constexpr int kPlacementsPerRelaxation = 20;

}  // namespace

MultiBlockSampler::MultiBlockSampler(const MaskOptions& options, int grid_h, int grid_w)
    : options_(options), grid_h_(grid_h), grid_w_(grid_w) {}

std::pair<BlockSize, BlockSize> MultiBlockSampler::BatchBlockSizes(uint64_t seed, int64_t epoch,
                                                                   int64_t batch_index) const {
  MaskRng rng = SizeStream(seed, epoch, batch_index);
  // Same order as the official collator: target size first, then the square context size.
  const BlockSize pred = SampleBlockSize(rng, options_.pred_mask_scale, options_.aspect_ratio,
                                         grid_h_, grid_w_, options_.fixes);
  const BlockSize enc = SampleBlockSize(rng, options_.enc_mask_scale, Range{1.0, 1.0}, grid_h_,
                                        grid_w_, options_.fixes);
  return {pred, enc};
}

BatchMasks MultiBlockSampler::Sample(int batch_size, uint64_t seed, int64_t epoch,
                                     int64_t batch_index, int rank) const {
  return SampleWithStats(batch_size, seed, epoch, batch_index, rank, nullptr);
}

BatchMasks MultiBlockSampler::SampleWithStats(int batch_size, uint64_t seed, int64_t epoch,
                                              int64_t batch_index, int rank,
                                              MultiBlockStats* stats) const {
  batch_size = std::max(batch_size, 0);
  MultiBlockStats local_stats;
  const auto [pred_size, enc_size] = BatchBlockSizes(seed, epoch, batch_index);
  MaskRng rng = PositionStream(seed, epoch, batch_index, rank);
  const int npred = options_.num_pred_masks;
  const int nenc = options_.num_enc_masks;
  const bool last = options_.fixes.last_row_col;

  BatchMasks out;
  out.targets.assign(npred, std::vector<std::vector<int32_t>>(batch_size));
  out.context.assign(nenc, std::vector<std::vector<int32_t>>(batch_size));
  // first_cover[i]: the lowest target index covering patch i (npred when none). A context patch
  // survives the first `n` target regions iff first_cover >= n.
  std::vector<int32_t> first_cover(static_cast<size_t>(grid_h_) * grid_w_);

  for (int b = 0; b < batch_size; ++b) {
    std::fill(first_cover.begin(), first_cover.end(), npred);
    for (int t = 0; t < npred; ++t) {
      // Target blocks are unconstrained, so validation (block area > min_keep) makes the
      // official rejection loop accept the first placement.
      const int top = SampleCorner(rng, grid_h_, pred_size.h, last);
      const int left = SampleCorner(rng, grid_w_, pred_size.w, last);
      std::vector<int32_t>& mask = out.targets[t][b];
      mask.reserve(pred_size.area());
      for (int r = top; r < top + pred_size.h; ++r) {
        for (int c = left; c < left + pred_size.w; ++c) {
          const int32_t idx = r * grid_w_ + c;
          mask.push_back(idx);
          if (first_cover[idx] == npred) first_cover[idx] = t;
        }
      }
    }
    for (int e = 0; e < nenc; ++e) {
      std::vector<int32_t>& mask = out.context[e][b];
      int tries = 0;
      int timeout = kPlacementsPerRelaxation;
      while (true) {
        const int top = SampleCorner(rng, grid_h_, enc_size.h, last);
        const int left = SampleCorner(rng, grid_w_, enc_size.w, last);
        // Patches inside targets [0, regions) are excluded.
        const int regions = options_.allow_overlap ? 0 : std::max(npred - tries, 0);
        // Branch-free: write every block patch, advance only past the ones outside the targets.
        mask.resize(enc_size.area());
        int kept = 0;
        for (int r = top; r < top + enc_size.h; ++r) {
          for (int c = left; c < left + enc_size.w; ++c) {
            const int32_t idx = r * grid_w_ + c;
            mask[kept] = idx;
            kept += first_cover[idx] >= regions;
          }
        }
        mask.resize(kept);
        if (kept > options_.min_keep) break;
        ++local_stats.rejected_placements;
        // Terminates: once every region is dropped the whole block counts, and validation made
        // every block larger than min_keep.
        if (--timeout == 0) {
          ++tries;
          ++local_stats.relaxations;
          timeout = kPlacementsPerRelaxation;
        }
      }
    }
  }
  EqualizeLengths(out.targets, options_.fixes.random_truncation, rng);
  EqualizeLengths(out.context, options_.fixes.random_truncation, rng);
  if (stats != nullptr) *stats = local_stats;
  return out;
}

}  // namespace ijepa::masking
