// Converts I-JEPA checkpoints between the official layout (facebookresearch/ijepa .pth.tar, keys
// with DDP's "module." prefix) and this project's (no prefix, extra entries), and between either
// and a Hugging Face transformers IJepaModel folder (config.json + model.safetensors). See
// docs/checkpoints.md.
//
//   bazel run //tools:convert_checkpoint -- --in=IN1K-vit.h.14-300e.pth.tar --out=vith14.pt
//   bazel run //tools:convert_checkpoint -- --in=run/latest.pt --out=latest.pth.tar --to=official
//   bazel run //tools:convert_checkpoint -- --in=run/jepa-latest.pth.tar --out=hf_dir --to=hf
//   bazel run //tools:convert_checkpoint -- --in=hf_dir --out=encoder.pth.tar --from=hf
#include <cstdio>
#include <filesystem>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_join.h"
#include "ijepa/checkpoint/convert.h"
#include "ijepa/checkpoint/hf_convert.h"
#include "ijepa/checkpoint/hf_ijepa.h"
#include "ijepa/checkpoint/torch_file.h"
#include "ijepa/common/atomic_file.h"
#include "ijepa/common/run_folder.h"

ABSL_FLAG(std::string, in, "", "Checkpoint to read (torch.save zip format, either layout; a folder with --from=hf).");
ABSL_FLAG(std::string, out, "", "File to write (atomically; torch.load reads it); a folder with --to=hf.");
ABSL_FLAG(std::string, to, "auto",
          "Layout to write: 'official' (module.-prefixed keys, official entries only), 'project' (no prefix, "
          "all entries kept), 'auto' (the other layout than the input's), or 'hf' (a transformers IJepaModel "
          "folder of one encoder: config.json + model.safetensors).");
ABSL_FLAG(std::string, from, "",
          "'hf': --in is a transformers IJepaModel folder; writes a torch.save file holding its encoder under "
          "--which and its config.json under 'hf_config' (linear_probe / extract_features read it).");
ABSL_FLAG(std::string, which, "target_encoder",
          "With --to=hf: the encoder to export, 'target_encoder' (the EMA encoder the paper evaluates) or "
          "'encoder' (the context encoder, which the published HF folders hold). With --from=hf: the key to "
          "store the folder's encoder under.");
ABSL_FLAG(int64_t, num_heads, 0,
          "With --to=hf: attention heads of the encoder, which its tensor shapes do not give; 0 takes the "
          "official named model of that width (192: 3, 384: 6, 768: 12, 1024/1280/1408: 16).");

namespace {

int Fail(const std::string& message) {
  std::fprintf(stderr, "convert_checkpoint: %s\n", message.c_str());
  return 1;
}

int ToHf(const std::string& in, const std::string& out, const std::string& which, int64_t num_heads) {
  absl::StatusOr<c10::IValue> checkpoint = ijepa::checkpoint::ReadTorchFile(in);
  if (!checkpoint.ok()) return Fail(std::string(checkpoint.status().message()));
  absl::StatusOr<ijepa::checkpoint::HfEncoder> encoder =
      ijepa::checkpoint::EncoderFromCheckpoint(*checkpoint, which, num_heads, in);
  if (!encoder.ok()) return Fail(std::string(encoder.status().message()));
  // A folder that does not exist yet has no leftovers to clean.
  for (const char* name : {ijepa::checkpoint::kHfConfigFile, ijepa::checkpoint::kHfWeightsFile}) {
    if (!std::filesystem::is_directory(out)) break;
    if (auto removed = ijepa::common::RemoveStaleTemporariesOf(out + "/" + name); !removed.ok()) {
      return Fail(std::string(removed.status().message()));
    }
  }
  if (absl::Status s = ijepa::checkpoint::WriteHfEncoder(out, encoder->options, encoder->state); !s.ok()) {
    return Fail(std::string(s.message()));
  }
  const auto& o = encoder->options;
  std::printf("%s (%s) -> %s (transformers IJepaModel: hidden %lld, %lld layers, %lld heads, image %lld, patch %lld, "
              "%lld channels)\n",
              in.c_str(), which.c_str(), out.c_str(), static_cast<long long>(o.embed_dim),
              static_cast<long long>(o.depth), static_cast<long long>(o.num_heads), static_cast<long long>(o.img_size),
              static_cast<long long>(o.patch_size), static_cast<long long>(o.in_chans));
  return 0;
}

int FromHf(const std::string& in, const std::string& out, const std::string& which) {
  absl::StatusOr<ijepa::checkpoint::HfEncoder> encoder = ijepa::checkpoint::ReadHfEncoder(in);
  if (!encoder.ok()) return Fail(std::string(encoder.status().message()));
  if (auto removed = ijepa::common::RemoveStaleTemporariesOf(out); !removed.ok()) {
    return Fail(std::string(removed.status().message()));
  }
  if (absl::Status s = ijepa::checkpoint::WriteTorchFile(out, ijepa::checkpoint::CheckpointFromHfEncoder(*encoder, which));
      !s.ok()) {
    return Fail(std::string(s.message()));
  }
  std::printf("%s (transformers IJepaModel) -> %s (%s + hf_config)\n", in.c_str(), out.c_str(), which.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  ijepa::common::RemoveTemporariesOnTerminationSignals();  // Ctrl-C during the write leaves nothing
  absl::ParseCommandLine(argc, argv);
  const std::string in = absl::GetFlag(FLAGS_in), out = absl::GetFlag(FLAGS_out), to = absl::GetFlag(FLAGS_to);
  if (in.empty() || out.empty()) return Fail("--in and --out are required");
  const std::string from = absl::GetFlag(FLAGS_from), which = absl::GetFlag(FLAGS_which);
  if (which != "target_encoder" && which != "encoder") {
    return Fail("--which must be 'target_encoder' or 'encoder', got '" + which + "'");
  }
  if (!from.empty() && from != "hf") return Fail("--from must be 'hf' (or absent), got '" + from + "'");
  if (from == "hf") {
    if (to != "auto") return Fail("--from=hf writes a torch.save file; drop --to");
    return FromHf(in, out, which);
  }
  if (to == "hf") return ToHf(in, out, which, absl::GetFlag(FLAGS_num_heads));
  if (to != "auto" && to != "official" && to != "project") {
    return Fail("--to must be 'official', 'project', 'auto' or 'hf', got '" + to + "'");
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
