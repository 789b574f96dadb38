#pragma once

// Pieces shared by the masking command-line tools (sample_masks, visualize_masks).

#include <cstdint>
#include <ostream>
#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ijepa/masking/batch_masks.h"
#include "ijepa/masking/mask.pb.h"
#include "ijepa/masking/mask_options.h"

namespace ijepa::masking {

// Reads a MaskConfig text proto; an empty path gives the default config. Errors name the file
// (and line/column for syntax errors).
absl::StatusOr<MaskConfig> ReadMaskConfigFile(const std::string& path);

// Parses "HxW" (e.g. "14x14") into a grid; errors name `flag_name`.
absl::StatusOr<PatchGrid> ParseGrid(absl::string_view text, absl::string_view flag_name);

// One batch as a JSON object on one line:
//   {"context": [[idx...] per image], "targets": [[[idx...] per target] per image]}
// With num_enc_masks > 1 each image's "context" entry is a list of masks, like "targets".
std::string BatchMasksToJson(const BatchMasks& masks);

struct SampleMasksArgs {
  MaskConfig config;
  PatchGrid grid;
  int batch_size = 0;
  int64_t batches = 0;
  uint64_t seed = 0;
  int64_t epoch = 0;
  int64_t start_batch = 0;
  int rank = 0;
  bool official = false;  // sets official_behavior on the config
};

// Writes one JSON line per batch (batches start_batch .. start_batch + batches - 1) to `out`.
absl::Status WriteSampledMasks(const SampleMasksArgs& args, std::ostream& out);

}  // namespace ijepa::masking
