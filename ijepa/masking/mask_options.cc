#include "ijepa/masking/mask_options.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ijepa/masking/block_geometry.h"

namespace ijepa::masking {
namespace {

using ::google::protobuf::RepeatedField;

absl::Status CheckRange(const Range& range, const char* name, bool is_fraction) {
  // Written so that NaN fails every comparison and is rejected.
  const bool ok = range.min > 0 && range.min <= range.max && std::isfinite(range.max) &&
                  (!is_fraction || range.max <= 1);
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "MaskConfig.", name, ": expected ",
      is_fraction ? "[min, max] with 0 < min <= max <= 1" : "[min, max] with 0 < min <= max",
      ", got [", range.min, ", ", range.max, "]"));
}

absl::StatusOr<Range> RangeFromProto(const RepeatedField<double>& field, const char* name,
                                     Range fallback, bool is_fraction) {
  if (field.empty()) return fallback;
  if (field.size() != 2) {
    return absl::InvalidArgumentError(absl::StrCat(
        "MaskConfig.", name, ": expected [min, max] (2 values), got ", field.size(), " values [",
        absl::StrJoin(field, ", "), "]"));
  }
  const Range range{field.Get(0), field.Get(1)};
  if (absl::Status status = CheckRange(range, name, is_fraction); !status.ok()) return status;
  return range;
}

absl::StatusOr<MaskStrategy> StrategyFromProto(MaskConfig::Strategy strategy) {
  switch (strategy) {
    case MaskConfig::MULTI_BLOCK:
      return MaskStrategy::kMultiBlock;
    case MaskConfig::RANDOM_PATCHES:
      return MaskStrategy::kRandomPatches;
    case MaskConfig::CENTER_BLOCK:
      return MaskStrategy::kCenterBlock;
    case MaskConfig::RANDOM_BLOCK:
      return MaskStrategy::kRandomBlock;
    case MaskConfig::QUADRANTS:
      return MaskStrategy::kQuadrants;
    default:
      return absl::InvalidArgumentError(
          "MaskConfig.strategy: expected MULTI_BLOCK, RANDOM_PATCHES, CENTER_BLOCK, RANDOM_BLOCK "
          "or QUADRANTS, got STRATEGY_UNSPECIFIED");
  }
}

absl::Status Invalid(const std::string& field, const std::string& message) {
  return absl::InvalidArgumentError(absl::StrCat("MaskConfig.", field, ": ", message));
}

// The complement strategies keep as context what the targets leave: when the targets can cover
// `worst_target_area` of the `cells` patches, the context must still keep more than min_keep.
absl::Status CheckContextRoom(int64_t worst_target_area, int64_t cells, const std::string& grid,
                              int min_keep) {
  if (cells - worst_target_area > min_keep) return absl::OkStatus();
  return Invalid("pred_mask_scale",
                 absl::StrCat("targets may cover ", std::min<int64_t>(worst_target_area, cells),
                              " of the ", cells, " patches of a ", grid,
                              " grid, leaving a context of min_keep (", min_keep,
                              ") patches or fewer"));
}

}  // namespace

absl::StatusOr<MaskOptions> MaskOptionsFromProto(const MaskConfig& config) {
  MaskOptions options;
  const MaskOptions defaults;
  absl::StatusOr<MaskStrategy> strategy = StrategyFromProto(config.strategy());
  if (!strategy.ok()) return strategy.status();
  options.strategy = *strategy;

  if (config.patch_size() < 1) {
    return Invalid("patch_size", absl::StrCat("expected >= 1, got ", config.patch_size()));
  }
  options.patch_size = config.patch_size();
  if (config.num_enc_masks() < 1) {
    return Invalid("num_enc_masks", absl::StrCat("expected >= 1, got ", config.num_enc_masks()));
  }
  options.num_enc_masks = config.num_enc_masks();
  if (config.num_pred_masks() < 1) {
    return Invalid("num_pred_masks",
                   absl::StrCat("expected >= 1, got ", config.num_pred_masks()));
  }
  options.num_pred_masks = config.num_pred_masks();
  if (config.min_keep() < 0) {
    return Invalid("min_keep", absl::StrCat("expected >= 0, got ", config.min_keep()));
  }
  options.min_keep = config.min_keep();
  options.allow_overlap = config.allow_overlap();

  absl::StatusOr<Range> range = RangeFromProto(config.enc_mask_scale(), "enc_mask_scale",
                                               defaults.enc_mask_scale, /*is_fraction=*/true);
  if (!range.ok()) return range.status();
  options.enc_mask_scale = *range;
  range = RangeFromProto(config.pred_mask_scale(), "pred_mask_scale", defaults.pred_mask_scale,
                         /*is_fraction=*/true);
  if (!range.ok()) return range.status();
  options.pred_mask_scale = *range;
  range = RangeFromProto(config.aspect_ratio(), "aspect_ratio", defaults.aspect_ratio,
                         /*is_fraction=*/false);
  if (!range.ok()) return range.status();
  options.aspect_ratio = *range;

  if (config.official_behavior()) {
    const std::pair<bool, const char*> explicit_fixes[] = {
        {config.has_fix_last_row_col() && config.fix_last_row_col(), "fix_last_row_col"},
        {config.has_fix_full_grid_blocks() && config.fix_full_grid_blocks(),
         "fix_full_grid_blocks"},
        {config.has_fix_independent_scale_aspect() && config.fix_independent_scale_aspect(),
         "fix_independent_scale_aspect"},
        {config.has_fix_random_truncation() && config.fix_random_truncation(),
         "fix_random_truncation"},
    };
    for (const auto& [set, name] : explicit_fixes) {
      if (set) {
        return Invalid(name,
                       "is set to true, which contradicts official_behavior: true (official "
                       "behaviour turns every fix off)");
      }
    }
    options.fixes = MaskFixes::Official();
  } else {
    options.fixes.last_row_col = config.fix_last_row_col();
    options.fixes.full_grid_blocks = config.fix_full_grid_blocks();
    options.fixes.independent_scale_aspect = config.fix_independent_scale_aspect();
    options.fixes.random_truncation = config.fix_random_truncation();
  }
  if (options.fixes.full_grid_blocks && !options.fixes.last_row_col) {
    return Invalid("fix_full_grid_blocks",
                   "requires fix_last_row_col: a full-grid block has no corner position in the "
                   "official range [0, H - h - 1]");
  }
  return options;
}

absl::Status ValidateMaskOptions(const MaskOptions& options, int grid_h, int grid_w) {
  if (grid_h < 1 || grid_w < 1 || static_cast<int64_t>(grid_h) * grid_w > kMaxGridPatches) {
    return absl::InvalidArgumentError(absl::StrCat("patch grid: expected at least 1x1 and at most ",
                                                   kMaxGridPatches, " patches, got ", grid_h, "x",
                                                   grid_w));
  }
  if (options.num_enc_masks < 1) {
    return Invalid("num_enc_masks", absl::StrCat("expected >= 1, got ", options.num_enc_masks));
  }
  if (options.num_pred_masks < 1) {
    return Invalid("num_pred_masks",
                   absl::StrCat("expected >= 1, got ", options.num_pred_masks));
  }
  if (options.min_keep < 0) {
    return Invalid("min_keep", absl::StrCat("expected >= 0, got ", options.min_keep));
  }
  if (options.patch_size < 1) {
    return Invalid("patch_size", absl::StrCat("expected >= 1, got ", options.patch_size));
  }
  for (const auto& [range, name, is_fraction] :
       {std::make_tuple(options.enc_mask_scale, "enc_mask_scale", true),
        std::make_tuple(options.pred_mask_scale, "pred_mask_scale", true),
        std::make_tuple(options.aspect_ratio, "aspect_ratio", false)}) {
    if (absl::Status status = CheckRange(range, name, is_fraction); !status.ok()) return status;
  }
  const MaskFixes& fixes = options.fixes;
  if (fixes.full_grid_blocks && !fixes.last_row_col) {
    return Invalid("fix_full_grid_blocks", "requires fix_last_row_col");
  }
  const std::string grid = absl::StrCat(grid_h, "x", grid_w);
  const int cells = grid_h * grid_w;
  const bool is_block_strategy = options.strategy == MaskStrategy::kMultiBlock ||
                                 options.strategy == MaskStrategy::kCenterBlock ||
                                 options.strategy == MaskStrategy::kRandomBlock;
  if (options.strategy != MaskStrategy::kMultiBlock) {
    if (options.num_enc_masks != 1) {
      return Invalid("num_enc_masks",
                     absl::StrCat("expected 1 for every strategy but MULTI_BLOCK (the context is "
                                  "the complement of the targets), got ",
                                  options.num_enc_masks));
    }
    if (options.allow_overlap) {
      return Invalid("allow_overlap",
                     "only MULTI_BLOCK supports it (the other strategies' context is the "
                     "complement of the targets)");
    }
  }
  if (is_block_strategy && !fixes.full_grid_blocks && (grid_h < 2 || grid_w < 2)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "patch grid ", grid, ": official block sizes are capped at (H-1)x(W-1), so every side "
        "must be at least 2 (or set MaskConfig.fix_full_grid_blocks)"));
  }

  switch (options.strategy) {
    case MaskStrategy::kMultiBlock:
    case MaskStrategy::kCenterBlock:
    case MaskStrategy::kRandomBlock: {
      const AreaBounds pred =
          BlockAreaBounds(options.pred_mask_scale, options.aspect_ratio, grid_h, grid_w,
                          fixes.full_grid_blocks);
      if (pred.min_area <= options.min_keep) {
        return Invalid("min_keep",
                       absl::StrCat("expected fewer patches than the smallest target block: "
                                    "pred_mask_scale and aspect_ratio give blocks of ",
                                    pred.min_area, " patches on a ", grid,
                                    " grid, and a mask must keep more than min_keep (",
                                    options.min_keep, ")"));
      }
      if (options.strategy == MaskStrategy::kMultiBlock) {
        const AreaBounds enc = BlockAreaBounds(options.enc_mask_scale, Range{1.0, 1.0}, grid_h,
                                               grid_w, fixes.full_grid_blocks);
        if (enc.min_area <= options.min_keep) {
          return Invalid("min_keep",
                         absl::StrCat("expected fewer patches than the smallest context block: "
                                      "enc_mask_scale gives blocks of ",
                                      enc.min_area, " patches on a ", grid,
                                      " grid, and a mask must keep more than min_keep (",
                                      options.min_keep, ")"));
        }
        break;
      }
      if (options.strategy == MaskStrategy::kCenterBlock && options.num_pred_masks != 1) {
        return Invalid("num_pred_masks",
                       absl::StrCat("expected 1 for CENTER_BLOCK (every centred block is the "
                                    "same), got ",
                                    options.num_pred_masks));
      }
      const int64_t worst = static_cast<int64_t>(options.num_pred_masks) * pred.max_area;
      if (absl::Status room = CheckContextRoom(worst, cells, grid, options.min_keep); !room.ok()) {
        return room;
      }
      break;
    }
    case MaskStrategy::kRandomPatches: {
      const int lo = static_cast<int>(cells * options.pred_mask_scale.min);
      const int hi = static_cast<int>(cells * options.pred_mask_scale.max);
      if (lo <= options.min_keep) {
        return Invalid("min_keep",
                       absl::StrCat("expected fewer patches than the smallest target: "
                                    "pred_mask_scale gives ",
                                    lo, " patches on a ", grid,
                                    " grid, and a mask must keep more than min_keep (",
                                    options.min_keep, ")"));
      }
      const int64_t worst = static_cast<int64_t>(options.num_pred_masks) * hi;
      if (absl::Status room = CheckContextRoom(worst, cells, grid, options.min_keep); !room.ok()) {
        return room;
      }
      break;
    }
    case MaskStrategy::kQuadrants: {
      if (options.num_pred_masks != 3) {
        return Invalid("num_pred_masks",
                       absl::StrCat("expected 3 for QUADRANTS (one quadrant is the context, the "
                                    "other three the targets), got ",
                                    options.num_pred_masks));
      }
      if (grid_h < 2 || grid_w < 2) {
        return absl::InvalidArgumentError(
            absl::StrCat("patch grid ", grid, ": QUADRANTS needs at least 2x2 patches"));
      }
      const int smallest = (grid_h / 2) * (grid_w / 2);
      if (smallest <= options.min_keep) {
        return Invalid("min_keep", absl::StrCat("expected fewer patches than the smallest "
                                                "quadrant (",
                                                smallest, " patches on a ", grid, " grid), got ",
                                                options.min_keep));
      }
      break;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<PatchGrid> PatchGridForImage(int image_h, int image_w, int patch_size) {
  if (patch_size < 1) {
    return Invalid("patch_size", absl::StrCat("expected >= 1, got ", patch_size));
  }
  if (image_h < patch_size || image_w < patch_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("image of ", image_h, "x", image_w, " pixels is smaller than one patch (",
                     "MaskConfig.patch_size = ", patch_size, ")"));
  }
  return PatchGrid{image_h / patch_size, image_w / patch_size};
}

}  // namespace ijepa::masking
