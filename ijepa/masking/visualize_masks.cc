// Draws the masks of one batch as a PNG: context blue, each target its own colour, over an image
// (--image) or a grey background.
//   bazel run //ijepa/masking:visualize_masks -- --config=mask.pbtxt --grid=14x14 --batch=8 \
//       --output=/tmp/masks.png [--image=photo.png] [--official]
#include <cstdint>
#include <iostream>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "ijepa/common/limits.h"
#include "ijepa/masking/mask_cli.h"
#include "ijepa/masking/mask_png.h"
#include "ijepa/masking/mask_sampler.h"

ABSL_FLAG(std::string, config, "", "ijepa.masking.MaskConfig text proto; empty = defaults");
ABSL_FLAG(std::string, grid, "14x14", "patch grid HxW (image size / patch_size)");
ABSL_FLAG(int, batch, 8, "images to draw");
ABSL_FLAG(uint64_t, seed, 0, "run seed");
ABSL_FLAG(int64_t, epoch, 0, "epoch");
ABSL_FLAG(int64_t, batch_index, 0, "batch index in the epoch");
ABSL_FLAG(int, rank, 0, "distributed rank");
ABSL_FLAG(bool, official, false, "official behaviour: every fix off (official_behavior: true)");
ABSL_FLAG(std::string, image, "", "optional PNG drawn under the masks");
ABSL_FLAG(int, cell, 16, "pixels per patch side");
ABSL_FLAG(int, columns, 4, "images per row");
ABSL_FLAG(std::string, output, "", "PNG file to write (required)");

namespace {

int Fail(const absl::Status& status) {
  std::cerr << "visualize_masks: " << status.message() << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("Writes a PNG of the masks one batch gets under a MaskConfig.");
  absl::ParseCommandLine(argc, argv);
  using namespace ijepa::masking;
  const std::string output = absl::GetFlag(FLAGS_output);
  if (output.empty()) return Fail(absl::InvalidArgumentError("--output: a PNG path is required"));
  if (absl::GetFlag(FLAGS_batch) < 1 || absl::GetFlag(FLAGS_cell) < 1 ||
      absl::GetFlag(FLAGS_columns) < 1) {
    return Fail(absl::InvalidArgumentError("--batch, --cell and --columns must be >= 1"));
  }
  absl::StatusOr<MaskConfig> config = ReadMaskConfigFile(absl::GetFlag(FLAGS_config));
  if (!config.ok()) return Fail(config.status());
  if (absl::GetFlag(FLAGS_official)) config->set_official_behavior(true);
  absl::StatusOr<PatchGrid> grid = ParseGrid(absl::GetFlag(FLAGS_grid), "grid");
  if (!grid.ok()) return Fail(grid.status());
  // The picture is about batch x (grid x cell)^2 pixels: bound it before sampling or drawing.
  if (absl::Status s = ijepa::common::CheckBatchSize("--batch", absl::GetFlag(FLAGS_batch)); !s.ok()) return Fail(s);
  const double picture_pixels = static_cast<double>(absl::GetFlag(FLAGS_batch)) * grid->height * grid->width *
                                absl::GetFlag(FLAGS_cell) * absl::GetFlag(FLAGS_cell);
  if (picture_pixels > static_cast<double>(kMaxPngPixels)) {
    return Fail(absl::InvalidArgumentError(absl::StrCat(
        "--batch=", absl::GetFlag(FLAGS_batch), " images of a ", grid->height, "x", grid->width, " grid at --cell=",
        absl::GetFlag(FLAGS_cell), " make a picture of about ", static_cast<int64_t>(picture_pixels),
        " pixels; expected at most ", kMaxPngPixels, " (lower --batch or --cell)")));
  }
  absl::StatusOr<std::unique_ptr<MaskSampler>> sampler =
      CreateMaskSampler(*config, grid->height, grid->width);
  if (!sampler.ok()) return Fail(sampler.status());
  const BatchMasks masks =
      (*sampler)->Sample(absl::GetFlag(FLAGS_batch), absl::GetFlag(FLAGS_seed),
                         absl::GetFlag(FLAGS_epoch), absl::GetFlag(FLAGS_batch_index),
                         absl::GetFlag(FLAGS_rank));
  RenderOptions options;
  options.cell = absl::GetFlag(FLAGS_cell);
  options.columns = absl::GetFlag(FLAGS_columns);
  absl::StatusOr<RgbImage> background;
  if (!absl::GetFlag(FLAGS_image).empty()) {
    background = ReadPng(absl::GetFlag(FLAGS_image));
    if (!background.ok()) return Fail(background.status());
    options.background = &*background;
  }
  const RgbImage picture = RenderMasks(masks, grid->height, grid->width, options);
  if (absl::Status status = WritePng(output, picture); !status.ok()) return Fail(status);
  std::cerr << "visualize_masks: wrote " << output << " (" << picture.width << "x"
            << picture.height << ", " << absl::GetFlag(FLAGS_batch) << " images)\n";
  return 0;
}
