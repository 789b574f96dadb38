// Converts I-JEPA checkpoints between the official layout (facebookresearch/ijepa .pth.tar, keys
// with DDP's "module." prefix) and this project's (no prefix, extra entries). See
// docs/checkpoints.md.
//
//   bazel run //tools:convert_checkpoint -- --in=IN1K-vit.h.14-300e.pth.tar --out=vith14.pt
//   bazel run //tools:convert_checkpoint -- --in=run/latest.pt --out=latest.pth.tar --to=official
#include <cstdio>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_join.h"
#include "ijepa/checkpoint/convert.h"
#include "ijepa/checkpoint/torch_file.h"
#include "ijepa/common/atomic_file.h"
#include "ijepa/common/run_folder.h"

ABSL_FLAG(std::string, in, "", "Checkpoint to read (torch.save zip format, either layout).");
ABSL_FLAG(std::string, out, "", "File to write (atomically; torch.load reads it).");
ABSL_FLAG(std::string, to, "auto",
          "Layout to write: 'official' (module.-prefixed keys, official entries only), 'project' (no prefix, "
          "all entries kept), or 'auto' (the other layout than the input's).");

namespace {

int Fail(const std::string& message) {
  std::fprintf(stderr, "convert_checkpoint: %s\n", message.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  ijepa::common::RemoveTemporariesOnTerminationSignals();  // Ctrl-C during the write leaves nothing
  absl::ParseCommandLine(argc, argv);
  const std::string in = absl::GetFlag(FLAGS_in), out = absl::GetFlag(FLAGS_out), to = absl::GetFlag(FLAGS_to);
  if (in.empty() || out.empty()) return Fail("--in and --out are required");
  if (to != "auto" && to != "official" && to != "project") {
    return Fail("--to must be 'official', 'project' or 'auto', got '" + to + "'");
  }
  absl::StatusOr<c10::IValue> checkpoint = ijepa::checkpoint::ReadTorchFile(in);
  if (!checkpoint.ok()) return Fail(std::string(checkpoint.status().message()));
  absl::StatusOr<ijepa::checkpoint::CheckpointLayout> layout = ijepa::checkpoint::DetectLayout(*checkpoint, in);
  if (!layout.ok()) return Fail(std::string(layout.status().message()));
  using ijepa::checkpoint::CheckpointLayout;
  const CheckpointLayout target =
      to == "official" ? CheckpointLayout::kOfficial
      : to == "project"
          ? CheckpointLayout::kProject
          : (*layout == CheckpointLayout::kOfficial ? CheckpointLayout::kProject : CheckpointLayout::kOfficial);
  absl::StatusOr<ijepa::checkpoint::ConvertedCheckpoint> converted =
      ijepa::checkpoint::ConvertCheckpoint(*checkpoint, target, in);
  if (!converted.ok()) return Fail(std::string(converted.status().message()));
  if (auto removed = ijepa::common::RemoveStaleTemporariesOf(out); !removed.ok()) {
    return Fail(std::string(removed.status().message()));
  }
  if (absl::Status s = ijepa::checkpoint::WriteTorchFile(out, converted->value); !s.ok()) {
    return Fail(std::string(s.message()));
  }
  const auto name = [](CheckpointLayout l) { return l == CheckpointLayout::kOfficial ? "official" : "project"; };
  std::printf("%s (%s layout) -> %s (%s layout)%s%s\n", in.c_str(), name(*layout), out.c_str(), name(target),
              converted->dropped.empty() ? "" : "; dropped: ", absl::StrJoin(converted->dropped, ", ").c_str());
  return 0;
}
