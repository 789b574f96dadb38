#include "ijepa/masking/complement_samplers.h"

#include <algorithm>
#include <vector>

#include "ijepa/masking/block_geometry.h"
#include "ijepa/masking/stream_keys.h"

namespace ijepa::masking {
namespace {

void AppendBlock(int top, int left, BlockSize size, int grid_w, std::vector<int32_t>& out) {
  out.reserve(out.size() + size.area());
  for (int r = top; r < top + size.h; ++r) {
    for (int c = left; c < left + size.w; ++c) out.push_back(r * grid_w + c);
  }
}

// `count` distinct patches out of `cells`, uniformly, sorted.
void SampleRandomPatches(int cells, int count, MaskRng& rng, std::vector<int32_t>& out) {
  out.resize(cells);
  for (int i = 0; i < cells; ++i) out[i] = i;
  KeepRandomSubset(out, static_cast<size_t>(count), rng);
}

}  // namespace

ComplementSampler::ComplementSampler(const MaskOptions& options, int grid_h, int grid_w)
    : options_(options), grid_h_(grid_h), grid_w_(grid_w) {}

BatchMasks ComplementSampler::Sample(int batch_size, uint64_t seed, int64_t epoch,
                                     int64_t batch_index, int rank) const {
  batch_size = std::max(batch_size, 0);
  const int cells = grid_h_ * grid_w_;
  const int npred = options_.num_pred_masks;
  MaskRng size_rng = SizeStream(seed, epoch, batch_index);
  MaskRng rng = PositionStream(seed, epoch, batch_index, rank);

  // Per-batch sizes, shared by every image so targets need no truncation.
  BlockSize block;
  int random_count = 0;
  switch (options_.strategy) {
    case MaskStrategy::kCenterBlock:
    case MaskStrategy::kRandomBlock:
      block = SampleBlockSize(size_rng, options_.pred_mask_scale, options_.aspect_ratio, grid_h_,
                              grid_w_, options_.fixes);
      break;
    case MaskStrategy::kRandomPatches: {
      const double scale = options_.pred_mask_scale.min +
                           size_rng.Uniform() *
                               (options_.pred_mask_scale.max - options_.pred_mask_scale.min);
      random_count = static_cast<int>(static_cast<double>(cells) * scale);
      break;
    }
    default:
      break;
  }

  BatchMasks out;
  out.targets.assign(npred, std::vector<std::vector<int32_t>>(batch_size));
  out.context.assign(1, std::vector<std::vector<int32_t>>(batch_size));
  std::vector<uint8_t> covered(cells);
  const int half_h = grid_h_ / 2;
  const int half_w = grid_w_ / 2;
  for (int b = 0; b < batch_size; ++b) {
    std::fill(covered.begin(), covered.end(), 0);
    switch (options_.strategy) {
      case MaskStrategy::kCenterBlock:
        AppendBlock((grid_h_ - block.h) / 2, (grid_w_ - block.w) / 2, block, grid_w_,
                    out.targets[0][b]);
        break;
      case MaskStrategy::kRandomBlock:
        for (int t = 0; t < npred; ++t) {
          const int top = SampleCorner(rng, grid_h_, block.h, options_.fixes.last_row_col);
          const int left = SampleCorner(rng, grid_w_, block.w, options_.fixes.last_row_col);
          AppendBlock(top, left, block, grid_w_, out.targets[t][b]);
        }
        break;
      case MaskStrategy::kRandomPatches:
        for (int t = 0; t < npred; ++t) {
          SampleRandomPatches(cells, random_count, rng, out.targets[t][b]);
        }
        break;
      case MaskStrategy::kQuadrants: {
        // Quadrants in row-major order: top-left, top-right, bottom-left, bottom-right; rows
        // [0, H/2) are the top half.
        const int context_quadrant = static_cast<int>(rng.UniformInt(4));
        int t = 0;
        for (int q = 0; q < 4; ++q) {
          if (q == context_quadrant) continue;
          const int top = q < 2 ? 0 : half_h;
          const int left = q % 2 == 0 ? 0 : half_w;
          const BlockSize size{q < 2 ? half_h : grid_h_ - half_h,
                               q % 2 == 0 ? half_w : grid_w_ - half_w};
          AppendBlock(top, left, size, grid_w_, out.targets[t++][b]);
        }
        break;
      }
      case MaskStrategy::kMultiBlock:
        break;
    }
    for (int t = 0; t < npred; ++t) {
      for (int32_t idx : out.targets[t][b]) covered[idx] = 1;
    }
    std::vector<int32_t>& context = out.context[0][b];
    context.reserve(cells);
    for (int i = 0; i < cells; ++i) {
      if (!covered[i]) context.push_back(i);
    }
  }
  EqualizeLengths(out.targets, options_.fixes.random_truncation, rng);
  EqualizeLengths(out.context, options_.fixes.random_truncation, rng);
  return out;
}

}  // namespace ijepa::masking
