// End to end: //ijepa/training:pretrain as 2 processes (Gloo, through the launcher library) on a
// global batch of 8 gives the weights of 1 process on the same global batch of 8, with the same
// data (DistributedSampler sharding of one permutation, per-index augmentations) and the same
// masks (CENTER_BLOCK: no rank-dependent randomness, so the comparison is exact up to fp32).
#include <algorithm>
#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "gtest/gtest.h"
#include "ijepa/checkpoint/state_dict.h"
#include "ijepa/checkpoint/torch_file.h"
#include "ijepa/distributed/launcher.h"
#include "ijepa/distributed/test_util.h"

namespace ijepa::distributed {
namespace {

constexpr char kFashionMnist[] = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz";

std::string Config(int per_rank_batch, const std::string& folder) {
  return R"pb(
data {
  dataset: IDX
  root_path: "/usr/share/datasets/fashion-mnist"
  batch_size: )pb" + std::to_string(per_rank_batch) + R"pb(
  crop_size: 28
  crop_scale: [0.5, 1.0]
  channels: 1
  num_workers: 1
  use_horizontal_flip: true
  low_shot_per_class: 2
}
mask {
  patch_size: 4
  num_enc_masks: 1
  num_pred_masks: 1
  pred_mask_scale: [0.2, 0.3]
  aspect_ratio: [0.75, 1.5]
  min_keep: 4
  strategy: CENTER_BLOCK
}
meta {
  model_name: "vit_tiny"
  pred_depth: 2
  pred_emb_dim: 48
  use_bfloat16: false
  load_checkpoint: false
}
optimization {
  ema: [0.9, 1.0]
  epochs: 2
  max_steps: 3
  warmup: 0.5
  start_lr: 0.001
  lr: 0.002
  final_lr: 1.0e-06
  weight_decay: 0.04
  final_weight_decay: 0.4
  ipe_scale: 1.0
}
logging {
  folder: ")pb" + folder + R"pb("
  write_tag: "jepa"
  log_freq: 1
  checkpoint_freq: 1
  checkpoint_every_steps: 0
}
threads: 1
seed: 3
)pb";
}

// Runs pretrain with `nproc` processes and a global batch of 8; returns the output folder.
std::string Pretrain(int nproc) {
  const std::string folder = testing::TempPath("pretrain_np" + std::to_string(nproc));
  const std::string config_path = folder + ".pbtxt";
  std::ofstream(config_path) << Config(8 / nproc, folder);
  LaunchOptions options;
  options.nproc_per_node = nproc;
  options.master_port = 0;
  options.command = {testing::RunfilesPath("ijepa/training/pretrain"), "--config=" + config_path};
  absl::StatusOr<int> code = Launch(options);
  EXPECT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(code.value_or(-1), 0) << "pretrain with " << nproc << " processes failed";
  return folder;
}

checkpoint::StateDict Read(const std::string& path, const std::string& key) {
  absl::StatusOr<c10::IValue> file = checkpoint::ReadTorchFile(path);
  EXPECT_TRUE(file.ok()) << file.status();
  if (!file.ok()) return {};
  c10::IValue value;
  for (const auto& entry : file->toGenericDict()) {
    if (entry.key().toStringRef() == key) value = entry.value();
  }
  absl::StatusOr<checkpoint::StateDict> state = checkpoint::StateDictFromIValue(value, path + ": " + key);
  EXPECT_TRUE(state.ok()) << state.status();
  return state.ok() ? *state : checkpoint::StateDict();
}

// Largest |a - b| over all tensors of two state dicts with the same keys.
double MaxDiff(const checkpoint::StateDict& a, const checkpoint::StateDict& b) {
  EXPECT_EQ(a.size(), b.size());
  double max = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    EXPECT_EQ(a[i].first, b[i].first);
    max = std::max(max, (a[i].second.to(at::kDouble) - b[i].second.to(at::kDouble))
                            .abs().max().item<double>());
  }
  return max;
}

std::vector<std::string> Lines(const std::string& path) {
  std::vector<std::string> lines;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(PretrainEqualityTest, TwoProcessesMatchOneProcessOnTheSameGlobalBatch) {
  if (!std::ifstream(kFashionMnist).good()) {
    GTEST_SKIP() << kFashionMnist << " is missing (Debian package dataset-fashion-mnist)";
  }
  const std::string one = Pretrain(1);
  const std::string two = Pretrain(2);
  const std::string ckpt1 = one + "/jepa-latest.pth.tar", ckpt2 = two + "/jepa-latest.pth.tar";

  for (const std::string key : {"encoder", "predictor", "target_encoder"}) {
    const checkpoint::StateDict a = Read(ckpt1, key), b = Read(ckpt2, key);
    ASSERT_FALSE(a.empty()) << key;
    const double diff = MaxDiff(a, b);
    std::cout << key << ": max |1 process - 2 processes| = " << diff << "\n";
    EXPECT_LT(diff, 1e-5) << key;
  }
  // Training happened: the encoder moved away from its EMA copy far beyond that tolerance.
  const double moved = MaxDiff(Read(ckpt1, "encoder"), Read(ckpt1, "target_encoder"));
  std::cout << "max |encoder - target_encoder| = " << moved << "\n";
  EXPECT_GT(moved, 1e-3);

  // Rank 0's log of the 2-process run has the all-reduced loss, i.e. the single run's loss; rank 1
  // writes its own log.
  const std::vector<std::string> log1 = Lines(one + "/jepa_r0.csv");
  const std::vector<std::string> log2 = Lines(two + "/jepa_r0.csv");
  EXPECT_EQ(log1.size(), 1u + 3u);  // header + 3 steps
  EXPECT_EQ(Lines(two + "/jepa_r1.csv").size(), log2.size());
  ASSERT_EQ(log1.size(), log2.size());
  for (size_t i = 1; i < log1.size(); ++i) {
    // epoch,itr,loss,... : compare the loss column numerically.
    auto loss = [](const std::string& line) {
      size_t a = line.find(','), b = line.find(',', a + 1), c = line.find(',', b + 1);
      return std::stod(line.substr(b + 1, c - b - 1));
    };
    EXPECT_NEAR(loss(log1[i]), loss(log2[i]), 1e-5) << log1[i] << " vs " << log2[i];
  }
}

}  // namespace
}  // namespace ijepa::distributed
