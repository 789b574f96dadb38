// The CUDA path checked on a GPU machine in a few minutes (tools/gpu/README.md). Built here with
// --config=cuda, run there against that machine's own LibTorch by tools/gpu/run_gpu_check.sh:
//   forward     a ViT forward on the GPU against the CPU, float32 (max |diff| <= 1e-4);
//   train       bf16 I-JEPA training steps (TrainStep, the function the Trainer calls) of a large
//               ViT at a large batch: images/s and model FLOPs utilisation against a bf16 peak;
//   nccl        a process group of world size 1 (NCCL on CUDA, Gloo on CPU) and an all-reduce;
//   checkpoint  a few steps of a small model on the device, its training checkpoint and the target
//               encoder's output on a fixed input written to --out, for --verify_checkpoint here.
// With --device=cpu every check runs on the CPU at small sizes: the packaging test of the bundle.
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "ijepa/checkpoint/state_dict.h"
#include "ijepa/checkpoint/torch_file.h"
#include "ijepa/distributed/communicator.h"
#include "ijepa/masking/mask.pb.h"
#include "ijepa/masking/mask_sampler.h"
#include "ijepa/masking/torch_masks.h"
#include "ijepa/models/model_options.h"
#include "ijepa/models/predictor.h"
#include "ijepa/models/vision_transformer.h"
#include "ijepa/training/optimizer.h"
#include "ijepa/training/pretrain_setup.h"
#include "ijepa/training/schedules.h"
#include "ijepa/training/train_step.h"
#include "ijepa/training/training_checkpoint.h"

ABSL_FLAG(std::string, device, "cuda", "cuda (the GPU check) or cpu (the packaging test)");
ABSL_FLAG(std::string, checks, "forward,train,nccl,checkpoint", "comma-separated checks to run");
ABSL_FLAG(std::string, out, "", "folder for the checkpoint check's files");
ABSL_FLAG(std::string, model, "vit_huge", "train check: encoder (official name)");
ABSL_FLAG(int, patch, 14, "train check: patch size");
ABSL_FLAG(int, crop, 224, "train check: image size");
ABSL_FLAG(int, batch, 128, "train check: images per step");
ABSL_FLAG(int, pred_depth, 12, "train check: predictor depth (official ViT-H/14 config: 12)");
ABSL_FLAG(int, pred_dim, 384, "train check: predictor width");
ABSL_FLAG(int, steps, 50, "train check: timed steps");
ABSL_FLAG(int, warmup_steps, 5, "train check: untimed steps first (allocator, cuDNN/cuBLAS setup)");
ABSL_FLAG(double, peak_tflops, 790.0,
          "bf16 peak for the utilisation figure (H200: about 790 TFLOP/s measured with a large "
          "matrix product)");
ABSL_FLAG(std::string, verify_checkpoint, "",
          "instead of the checks: read a folder written by the checkpoint check (on this machine's "
          "CPU) and compare the target encoder's output with the one recorded there");

namespace ijepa::gpu_check {
namespace {

using Clock = std::chrono::steady_clock;

struct Models {
  models::VisionTransformerOptions encoder_options;
  models::VisionTransformer encoder{nullptr}, target_encoder{nullptr};
  models::VisionTransformerPredictor predictor{nullptr};
};

Models BuildModels(const models::VisionTransformerOptions& options, int64_t pred_dim,
                   int64_t pred_depth, torch::Device device) {
  Models m;
  m.encoder_options = options;
  m.encoder = models::VisionTransformer(options);
  m.predictor = models::VisionTransformerPredictor(
      models::PredictorForEncoder(options, pred_dim, pred_depth));
  models::ReinitializeLikeOfficialInitModel(*m.encoder);
  models::ReinitializeLikeOfficialInitModel(*m.predictor);
  m.encoder->to(device);
  m.predictor->to(device);
  m.target_encoder = training::MakeTargetEncoder(options, m.encoder, device);
  return m;
}

// The official mask settings of the ImageNet configs (configs/in1k_vith14_ep300.pbtxt).
// min_keep 10 as those configs; smaller for the small checkpoint model's 8x8 grid.
std::unique_ptr<masking::MaskSampler> OfficialSampler(int grid, int min_keep = 10) {
  masking::MaskConfig config;
  config.set_patch_size(1);  // only the grid matters to the sampler
  config.set_official_behavior(true);
  config.set_min_keep(min_keep);
  auto sampler = masking::CreateMaskSampler(config, grid, grid);
  TORCH_CHECK(sampler.ok(), "mask sampler: ", std::string(sampler.status().message()));
  return *std::move(sampler);
}

// Matrix-product FLOPs of `tokens` tokens through `depth` pre-norm blocks of width d (MLP 4d):
// qkv + proj (4 d^2) and fc1 + fc2 (8 d^2) per token, and q k^T + attn v (2 n^2 d), times 2.
double BlockFlops(double tokens, double d, double depth) {
  return depth * (2.0 * tokens * 12.0 * d * d + 4.0 * tokens * tokens * d);
}

// Model FLOPs of one I-JEPA step per image: target encoder forward on all patches; context
// encoder and predictor forward + backward (x3); the predictor runs once per target block on the
// context plus that block's tokens, with its embed / proj linears; the patch embedding.
double StepFlopsPerImage(const models::VisionTransformerOptions& e, int64_t pred_dim,
                         int64_t pred_depth, double context_tokens, double target_tokens,
                         int64_t targets) {
  const double n = static_cast<double>((e.img_size / e.patch_size) * (e.img_size / e.patch_size));
  const double d = static_cast<double>(e.embed_dim), depth = static_cast<double>(e.depth);
  const double patch = 2.0 * static_cast<double>(e.in_chans * e.patch_size * e.patch_size) * d;
  const double target = n * patch + BlockFlops(n, d, depth);
  const double context = context_tokens * patch + BlockFlops(context_tokens, d, depth);
  const double tokens = context_tokens + target_tokens;
  const double predictor = static_cast<double>(targets) *
                           (BlockFlops(tokens, static_cast<double>(pred_dim), pred_depth) +
                            2.0 * 2.0 * tokens * d * static_cast<double>(pred_dim));
  return target + 3.0 * (context + predictor);
}

absl::Status CheckForward(torch::Device device) {
  auto options = models::NamedVisionTransformer("vit_small", 16, 224, 3);
  if (!options.ok()) return options.status();
  torch::manual_seed(0);
  models::VisionTransformer cpu(*options);
  models::VisionTransformer dev(*options);
  {
    torch::NoGradGuard no_grad;
    const auto src = cpu->parameters();
    const auto dst = dev->parameters();
    for (size_t i = 0; i < src.size(); ++i) dst[i].copy_(src[i]);
  }
  dev->to(device);
  cpu->eval();
  dev->eval();
  torch::NoGradGuard no_grad;
  const torch::Tensor images = torch::randn({4, 3, 224, 224});
  const torch::Tensor expected = cpu->forward(images);
  const torch::Tensor actual = dev->forward(images.to(device)).to(torch::kCPU);
  const double diff = (actual - expected).abs().max().item<double>();
  std::printf("forward: vit_small/16 at 224, batch 4, float32, %s against cpu: max |diff| = %.3e\n",
              device.str().c_str(), diff);
  if (!(diff <= 1e-4))
    return absl::InternalError(absl::StrFormat("forward: difference %.3e > 1e-4", diff));
  return absl::OkStatus();
}

absl::Status CheckTrain(torch::Device device) {
  const int patch = absl::GetFlag(FLAGS_patch), crop = absl::GetFlag(FLAGS_crop);
  const int batch = absl::GetFlag(FLAGS_batch), steps = absl::GetFlag(FLAGS_steps);
  const int warmup = absl::GetFlag(FLAGS_warmup_steps);
  const int pred_depth = absl::GetFlag(FLAGS_pred_depth), pred_dim = absl::GetFlag(FLAGS_pred_dim);
  auto options = models::NamedVisionTransformer(absl::GetFlag(FLAGS_model), patch, crop, 3);
  if (!options.ok()) return options.status();
  torch::manual_seed(0);
  Models m = BuildModels(*options, pred_dim, pred_depth, device);
  training::PretrainOptimizer optimizer(*m.encoder, *m.predictor);
  const int64_t total = warmup + steps;
  training::TrainStepOptions step_options;
  step_options.bf16_autocast = true;
  training::TrainStep step(
      m.encoder, m.target_encoder, m.predictor, &optimizer,
      training::MakeTrainingSchedules(total, 0.1, 1, 1.0, 2e-4, 1e-3, 1e-6, 0.04, 0.4, 0.996, 1.0),
      step_options);
  const int grid = crop / patch;
  const auto sampler = OfficialSampler(grid);
  const torch::Tensor images = torch::randn({batch, 3, crop, crop}).to(device);
  double seconds = 0, flops = 0, loss = 0;
  for (int64_t i = 0; i < total; ++i) {
    const masking::BatchMasks batch_masks = sampler->Sample(batch, 0, 0, i, 0);
    const masking::MaskTensors masks = masking::ToMaskTensors(batch_masks, device);
    if (device.is_cuda()) torch::cuda::synchronize();
    const auto start = Clock::now();
    const training::TrainStepResult r = step.Run(images, masks, i);  // syncs on the loss
    if (device.is_cuda()) torch::cuda::synchronize();
    const double s = std::chrono::duration<double>(Clock::now() - start).count();
    if (!r.stepped)
      return absl::InternalError(absl::StrFormat("train: loss %f at step %d", r.loss, i));
    loss = r.loss;
    if (i < warmup) continue;
    seconds += s;
    flops += batch * StepFlopsPerImage(*options, pred_dim, pred_depth,
                                       static_cast<double>(masks.context[0].size(1)),
                                       static_cast<double>(masks.targets[0].size(1)),
                                       static_cast<int64_t>(masks.targets.size()));
  }
  const double images_per_second = steps * batch / seconds;
  const double tflops = flops / seconds / 1e12;
  std::printf(
      "train: %s/%d at %d, predictor %dx%d, batch %d, bf16 autocast, %d steps after %d "
      "warm-up: %.1f images/s, %.3f s/step, %.1f model TFLOP/s = %.1f%% of %.0f TFLOP/s; "
      "last loss %.5f\n",
      absl::GetFlag(FLAGS_model).c_str(), patch, crop, pred_depth, pred_dim, batch, steps, warmup,
      images_per_second, seconds / steps, tflops, 100.0 * tflops / absl::GetFlag(FLAGS_peak_tflops),
      absl::GetFlag(FLAGS_peak_tflops), loss);
  if (device.is_cuda()) {
    std::printf("train: peak GPU memory not reported (no LibTorch C++ API for it)\n");
  }
  return absl::OkStatus();
}

absl::Status CheckProcessGroup(torch::Device device) {
  distributed::DistributedEnv env;
  env.master_port = 29531;
  auto communicator = distributed::Communicator::Create(env, device, std::chrono::seconds(60));
  if (!communicator.ok()) return communicator.status();
  const double mean = (*communicator)->AllReduceMean(3.25);
  torch::Tensor p = torch::zeros({1000}, torch::TensorOptions().device(device)).requires_grad_();
  p.mutable_grad() = torch::full({1000}, 2.0, torch::TensorOptions().device(device));
  (*communicator)->AllReduceMeanGradients({p});
  const double grad = p.grad().sum().item<double>();
  std::printf(
      "nccl: world size 1 on %s (%s): all-reduce mean of 3.25 = %g, gradient bucket sum "
      "%g (expected 2000)\n",
      device.str().c_str(), device.is_cuda() ? "ProcessGroupNCCL" : "ProcessGroupGloo", mean, grad);
  if (mean != 3.25 || grad != 2000.0) return absl::InternalError("nccl: wrong all-reduce result");
  return absl::OkStatus();
}

// The small model both the checkpoint check and its verification build.
models::VisionTransformerOptions SmallEncoder() {
  models::VisionTransformerOptions o;
  o.img_size = 32;
  o.patch_size = 4;
  o.in_chans = 3;
  o.embed_dim = 64;
  o.depth = 2;
  o.num_heads = 2;
  return o;
}

// Steps of the checkpoint check, one epoch: the file resumes at global step kCheckpointSteps.
constexpr int64_t kCheckpointSteps = 3;

torch::Tensor FixedInput() {
  return torch::linspace(-2.0, 2.0, 2 * 3 * 32 * 32).reshape({2, 3, 32, 32});
}

absl::Status CheckCheckpoint(torch::Device device, const std::string& out) {
  if (out.empty()) return absl::InvalidArgumentError("checkpoint: --out is required");
  std::filesystem::create_directories(out);
  torch::manual_seed(0);
  Models m = BuildModels(SmallEncoder(), 32, 2, device);
  training::PretrainOptimizer optimizer(*m.encoder, *m.predictor);
  const training::TrainingSchedules schedules = training::MakeTrainingSchedules(
      kCheckpointSteps, 0.0, 1, 1.0, 1e-3, 1e-3, 1e-3, 0.04, 0.04, 0.9, 0.9);
  training::TrainStep step(m.encoder, m.target_encoder, m.predictor, &optimizer, schedules, {});
  const auto sampler = OfficialSampler(8, /*min_keep=*/4);
  for (int64_t i = 0; i < kCheckpointSteps; ++i) {
    const masking::MaskTensors masks =
        masking::ToMaskTensors(sampler->Sample(4, 0, 0, i, 0), device);
    step.Run(torch::randn({4, 3, 32, 32}).to(device), masks, i);
  }
  training::ResumeState state;
  state.epoch = 1;
  state.global_step = kCheckpointSteps;
  training::CheckpointInfo info;
  info.batch_size = 4;
  info.iterations_per_epoch = kCheckpointSteps;
  auto dict = training::TrainingCheckpointDict(
      {m.encoder.get(), m.predictor.get(), m.target_encoder.get(), &optimizer}, state, info);
  m.target_encoder->eval();
  torch::NoGradGuard no_grad;
  dict.insert("expected_target_output",
              m.target_encoder->forward(FixedInput().to(device)).to(torch::kCPU));
  dict.insert("written_on", device.str());
  const std::string path = (std::filesystem::path(out) / "gpu_checkpoint.pth.tar").string();
  if (absl::Status s = checkpoint::WriteTorchFile(path, dict); !s.ok()) return s;
  std::printf(
      "checkpoint: 3 steps of a small model on %s, written to %s (%lld bytes); verify "
      "here with: gpu_check --verify_checkpoint=%s\n",
      device.str().c_str(), path.c_str(), static_cast<long long>(std::filesystem::file_size(path)),
      path.c_str());
  return absl::OkStatus();
}

absl::Status VerifyCheckpoint(const std::string& path) {
  auto file = checkpoint::ReadTorchFile(path);
  if (!file.ok()) return file.status();
  if (!file->isGenericDict()) return absl::InvalidArgumentError(absl::StrCat(path, ": not a dict"));
  const auto dict = file->toGenericDict();
  torch::manual_seed(0);
  Models m = BuildModels(SmallEncoder(), 32, 2, torch::kCPU);
  training::PretrainOptimizer optimizer(*m.encoder, *m.predictor);
  auto state = training::RestoreTrainingCheckpoint(
      *file, path, {m.encoder.get(), m.predictor.get(), m.target_encoder.get(), &optimizer},
      kCheckpointSteps);
  if (!state.ok()) return state.status();
  const auto expected = dict.find(c10::IValue(std::string("expected_target_output")));
  if (expected == dict.end() || !expected->value().isTensor()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": no expected_target_output"));
  }
  m.target_encoder->eval();
  torch::NoGradGuard no_grad;
  const double diff = (m.target_encoder->forward(FixedInput()) - expected->value().toTensor())
                          .abs()
                          .max()
                          .item<double>();
  std::printf(
      "verify: %s (written on %s) restored at step %lld; target encoder output on the CPU "
      "against the recorded one: max |diff| = %.3e\n",
      path.c_str(), dict.at("written_on").toStringRef().c_str(),
      static_cast<long long>(state->global_step), diff);
  if (!(diff <= 1e-4)) return absl::InternalError("verify: outputs differ by more than 1e-4");
  return absl::OkStatus();
}

int Main() {
  if (const std::string verify = absl::GetFlag(FLAGS_verify_checkpoint); !verify.empty()) {
    const absl::Status s = VerifyCheckpoint(verify);
    if (!s.ok()) std::fprintf(stderr, "gpu_check: %s\n", std::string(s.message()).c_str());
    return s.ok() ? 0 : 1;
  }
  const std::string device_name = absl::GetFlag(FLAGS_device);
  if (device_name != "cpu" && !torch::cuda::is_available()) {
    std::fprintf(stderr, "gpu_check: --device=%s but LibTorch sees no CUDA device\n",
                 device_name.c_str());
    return 1;
  }
  const torch::Device device(device_name);
  int failed = 0;
  const std::vector<std::string> checks = absl::StrSplit(absl::GetFlag(FLAGS_checks), ',');
  for (const std::string& check : checks) {
    const auto start = Clock::now();
    absl::Status s;
    try {
      if (check == "forward") {
        s = CheckForward(device);
      } else if (check == "train") {
        s = CheckTrain(device);
      } else if (check == "nccl") {
        s = CheckProcessGroup(device);
      } else if (check == "checkpoint") {
        s = CheckCheckpoint(device, absl::GetFlag(FLAGS_out));
      } else {
        s = absl::InvalidArgumentError(absl::StrCat("unknown check '", check, "'"));
      }
    } catch (const c10::Error& e) {
      s = absl::InternalError(absl::StrCat(check, ": ", e.what_without_backtrace()));
    } catch (const std::exception& e) {
      s = absl::InternalError(absl::StrCat(check, ": ", e.what()));
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    std::printf("%s: %s (%.1f s)\n", check.c_str(),
                s.ok() ? "OK" : std::string(s.message()).c_str(), seconds);
    std::fflush(stdout);
    failed += s.ok() ? 0 : 1;
  }
  std::printf("gpu_check: %d check(s) failed\n", failed);
  return failed == 0 ? 0 : 1;
}

}  // namespace
}  // namespace ijepa::gpu_check

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("gpu_check: the CUDA path on a GPU machine (tools/gpu/README.md)");
  absl::ParseCommandLine(argc, argv);
  return ijepa::gpu_check::Main();
}
