#pragma once

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ijepa/masking/mask.pb.h"

namespace ijepa::masking {

// Plain C++ form of MaskConfig (mask.proto documents every field); samplers take this, never the
// proto.
enum class MaskStrategy { kMultiBlock, kRandomPatches, kCenterBlock, kRandomBlock, kQuadrants };

// A closed interval [min, max].
struct Range {
  double min = 0.0;
  double max = 0.0;
};

// The four departures from the official sampler; all on by default. Official() turns all off.
struct MaskFixes {
  bool last_row_col = true;              // corners drawn from [0, H - h], not [0, H - h - 1]
  bool full_grid_blocks = true;          // blocks up to H x W, not (H-1) x (W-1)
  bool independent_scale_aspect = true;  // two uniform draws, not one shared draw
  bool random_truncation = true;         // drop a random subset of surplus, not the tail

  static MaskFixes Official() { return MaskFixes{false, false, false, false}; }
  bool operator==(const MaskFixes& o) const {
    return last_row_col == o.last_row_col && full_grid_blocks == o.full_grid_blocks &&
           independent_scale_aspect == o.independent_scale_aspect &&
           random_truncation == o.random_truncation;
  }
};

struct MaskOptions {
  MaskStrategy strategy = MaskStrategy::kMultiBlock;
  int patch_size = 16;
  int num_enc_masks = 1;
  int num_pred_masks = 4;
  Range enc_mask_scale{0.85, 1.0};
  Range pred_mask_scale{0.15, 0.2};
  Range aspect_ratio{0.75, 1.5};
  int min_keep = 10;  // a mask must keep strictly more patches than this
  bool allow_overlap = false;
  MaskFixes fixes;
};

// Converts a MaskConfig into MaskOptions, applying the schema defaults. Errors name the field:
// malformed ranges, non-positive counts, official_behavior contradicting an explicit fix_*, ...
absl::StatusOr<MaskOptions> MaskOptionsFromProto(const MaskConfig& config);

// Checks that `options` can be sampled on a grid_h x grid_w patch grid without ever looping:
// every block the ranges can produce keeps more than min_keep patches, complement strategies leave
// a context, strategy-specific counts hold. Errors name the field.
absl::Status ValidateMaskOptions(const MaskOptions& options, int grid_h, int grid_w);

// Largest patch grid the samplers accept (256 x 256 patches).
inline constexpr int64_t kMaxGridPatches = 1 << 16;

// The patch grid of an image: (image_h / patch_size, image_w / patch_size), floored as the official
// code does. Errors when the image is smaller than one patch.
struct PatchGrid {
  int height = 0;
  int width = 0;
};
absl::StatusOr<PatchGrid> PatchGridForImage(int image_h, int image_w, int patch_size);

}  // namespace ijepa::masking
