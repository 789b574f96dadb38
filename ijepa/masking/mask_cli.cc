#include "ijepa/masking/mask_cli.h"

#include <fstream>
#include <memory>
#include <sstream>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "ijepa/common/limits.h"
#include "ijepa/common/text_proto.h"
#include "ijepa/masking/mask_sampler.h"

namespace ijepa::masking {
namespace {

void AppendIndices(const std::vector<int32_t>& indices, std::string& out) {
  out += '[';
  for (size_t i = 0; i < indices.size(); ++i) {
    if (i > 0) out += ", ";
    absl::StrAppend(&out, indices[i]);
  }
  out += ']';
}

}  // namespace

absl::StatusOr<MaskConfig> ReadMaskConfigFile(const std::string& path) {
  MaskConfig config;
  if (path.empty()) return config;
  if (absl::Status s = common::LoadTextProtoFile(path, &config); !s.ok()) return s;
  return config;
}

absl::StatusOr<PatchGrid> ParseGrid(absl::string_view text, absl::string_view flag_name) {
  const std::vector<absl::string_view> parts = absl::StrSplit(text, 'x');
  PatchGrid grid;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &grid.height) ||
      !absl::SimpleAtoi(parts[1], &grid.width) || grid.height < 1 || grid.width < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--", flag_name, ": expected HxW with positive integers (e.g. 14x14), got \"", text, "\""));
  }
  return grid;
}

std::string BatchMasksToJson(const BatchMasks& masks) {
  const size_t batch = masks.context.empty() ? 0 : masks.context[0].size();
  const bool nested_context = masks.context.size() > 1;
  std::string out = "{\"context\": [";
  for (size_t b = 0; b < batch; ++b) {
    if (b > 0) out += ", ";
    if (nested_context) out += '[';
    for (size_t m = 0; m < masks.context.size(); ++m) {
      if (m > 0) out += ", ";
      AppendIndices(masks.context[m][b], out);
    }
    if (nested_context) out += ']';
  }
  out += "], \"targets\": [";
  for (size_t b = 0; b < batch; ++b) {
    if (b > 0) out += ", ";
    out += '[';
    for (size_t m = 0; m < masks.targets.size(); ++m) {
      if (m > 0) out += ", ";
      AppendIndices(masks.targets[m][b], out);
    }
    out += ']';
  }
  out += "]}";
  return out;
}

absl::Status WriteSampledMasks(const SampleMasksArgs& args, std::ostream& out) {
  if (args.batch_size < 1) {
    return absl::InvalidArgumentError(absl::StrCat("--batch: expected >= 1, got ", args.batch_size));
  }
  if (absl::Status s = common::CheckBatchSize("--batch", args.batch_size); !s.ok()) return s;
  if (args.batches < 0) {
    return absl::InvalidArgumentError(absl::StrCat("--batches: expected >= 0, got ", args.batches));
  }
  MaskConfig config = args.config;
  if (args.official) config.set_official_behavior(true);
  absl::StatusOr<std::unique_ptr<MaskSampler>> sampler =
      CreateMaskSampler(config, args.grid.height, args.grid.width);
  if (!sampler.ok()) return sampler.status();
  for (int64_t i = 0; i < args.batches; ++i) {
    const BatchMasks masks =
        (*sampler)->Sample(args.batch_size, args.seed, args.epoch, args.start_batch + i, args.rank);
    out << BatchMasksToJson(masks) << '\n';
  }
  out.flush();
  if (!out) return absl::DataLossError("writing the masks failed");
  return absl::OkStatus();
}

}  // namespace ijepa::masking
