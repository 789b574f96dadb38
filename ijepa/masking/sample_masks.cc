// Prints the masks a config produces, one JSON object per batch:
//   bazel run //ijepa/masking:sample_masks -- --config=mask.pbtxt --grid=14x14 --batch=4 \
//       --batches=2 [--seed=0] [--official]
#include <cstdint>
#include <iostream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "ijepa/masking/mask_cli.h"

ABSL_FLAG(std::string, config, "", "ijepa.masking.MaskConfig text proto; empty = defaults");
ABSL_FLAG(std::string, grid, "14x14", "patch grid HxW (image size / patch_size)");
ABSL_FLAG(int, batch, 4, "images per batch");
ABSL_FLAG(int64_t, batches, 1, "number of batches to print");
ABSL_FLAG(uint64_t, seed, 0, "run seed");
ABSL_FLAG(int64_t, epoch, 0, "epoch of the first batch");
ABSL_FLAG(int64_t, start_batch, 0, "index of the first batch in the epoch");
ABSL_FLAG(int, rank, 0, "distributed rank");
ABSL_FLAG(bool, official, false, "official behaviour: every fix off (official_behavior: true)");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Prints one JSON object per batch: {\"context\": [[idx...] per image], "
      "\"targets\": [[[idx...] per target] per image]}");
  absl::ParseCommandLine(argc, argv);
  using namespace ijepa::masking;
  absl::StatusOr<MaskConfig> config = ReadMaskConfigFile(absl::GetFlag(FLAGS_config));
  if (!config.ok()) {
    std::cerr << "sample_masks: " << config.status().message() << "\n";
    return 1;
  }
  absl::StatusOr<PatchGrid> grid = ParseGrid(absl::GetFlag(FLAGS_grid), "grid");
  if (!grid.ok()) {
    std::cerr << "sample_masks: " << grid.status().message() << "\n";
    return 1;
  }
  SampleMasksArgs args;
  args.config = *config;
  args.grid = *grid;
  args.batch_size = absl::GetFlag(FLAGS_batch);
  args.batches = absl::GetFlag(FLAGS_batches);
  args.seed = absl::GetFlag(FLAGS_seed);
  args.epoch = absl::GetFlag(FLAGS_epoch);
  args.start_batch = absl::GetFlag(FLAGS_start_batch);
  args.rank = absl::GetFlag(FLAGS_rank);
  args.official = absl::GetFlag(FLAGS_official);
  if (absl::Status status = WriteSampledMasks(args, std::cout); !status.ok()) {
    std::cerr << "sample_masks: " << status.message() << "\n";
    return 1;
  }
  return 0;
}
