#include "ijepa/training/run_checkpoints.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "ijepa/checkpoint/torch_file.h"
#include "ijepa/training/config.h"

namespace ijepa::training {
namespace {

namespace fs = std::filesystem;

double EpochMeanLoss(const ResumeState& s) {
  return s.epoch_loss_count > 0 ? s.epoch_loss_sum / s.epoch_loss_count : 0.0;
}

}  // namespace

RunCheckpoints::RunCheckpoints(const PretrainConfig& config, TrainingModules modules, int rank,
                               int world_size, int64_t iterations_per_epoch)
    : config_(config),
      modules_(modules),
      rank_(rank),
      world_size_(world_size),
      ipe_(iterations_per_epoch) {}

std::string RunCheckpoints::LatestPath() const {
  const std::string name = config_.logging().write_tag() + "-latest.pth.tar";
  return (fs::path(config_.logging().folder()) / name).string();
}

absl::StatusOr<ResumeState> RunCheckpoints::Resume() {
  std::string path = config_.meta().read_checkpoint();
  if (path.empty()) {
    path = LatestPath();
  } else if (fs::path(path).is_relative()) {
    path = (fs::path(config_.logging().folder()) / path).string();
  }
  auto fail = [](const absl::Status& st) {
    return absl::Status(st.code(),
                        absl::StrCat("cannot resume (meta.load_checkpoint): ", st.message()));
  };
  auto read = checkpoint::ReadTorchFile(path);
  if (!read.ok()) return fail(read.status());
  auto restored = RestoreTrainingCheckpoint(*read, path, modules_, ipe_);
  if (!restored.ok()) return fail(restored.status());
  if (absl::Status st = RestoreRngState(*read, path); !st.ok()) return fail(st);
  resumed_from_ = path;
  return restored;
}

absl::Status RunCheckpoints::AfterStep(const ResumeState& state, bool stop) {
  const int64_t every = config_.logging().checkpoint_every_steps();
  if (!stop && (every <= 0 || state.global_step % every != 0)) return absl::OkStatus();
  return Save(LatestPath(), state, EpochMeanLoss(state));
}

absl::Status RunCheckpoints::AfterEpoch(const ResumeState& state, double epoch_loss) {
  if (absl::Status s = Save(LatestPath(), state, epoch_loss); !s.ok()) return s;
  if (state.epoch % config_.logging().checkpoint_freq() != 0) return absl::OkStatus();
  const std::string ep_path = (fs::path(config_.logging().folder()) /
                               absl::StrCat(config_.logging().write_tag(), "-ep", state.epoch,
                                            ".pth.tar"))
                                  .string();
  if (absl::Status s = Save(ep_path, state, epoch_loss); !s.ok()) return s;
  latest_written_ = LatestPath();  // the file to resume from, not the epoch copy
  return absl::OkStatus();
}

absl::Status RunCheckpoints::Save(const std::string& path, const ResumeState& state,
                                  double epoch_loss) {
  if (rank_ != 0) return absl::OkStatus();
  CheckpointInfo info;
  info.loss = epoch_loss;
  info.batch_size = config_.data().batch_size();
  info.world_size = world_size_;
  info.lr = config_.optimization().lr();
  info.iterations_per_epoch = ipe_;
  // What evaluation rebuilds the encoder from, without reading the training config.
  info.encoder_config.emplace();
  *info.encoder_config->mutable_model() = ModelConfigFor(config_);
  *info.encoder_config->mutable_data() = config_.data();
  auto dict = TrainingCheckpointDict(modules_, state, info);
  dict.insert("config", ConfigToText(config_));
  dict.insert("rng", RngStateDict(config_.seed()));
  if (absl::Status st = checkpoint::WriteTorchFile(path, dict); !st.ok()) return st;
  latest_written_ = path;
  return absl::OkStatus();
}

}  // namespace ijepa::training
