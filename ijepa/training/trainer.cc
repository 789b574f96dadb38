#include "ijepa/training/trainer.h"

#include <ATen/Context.h>
#include <ATen/core/Generator.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ijepa/checkpoint/torch_file.h"
#include "ijepa/common/threads.h"
#include "ijepa/data/data_config.h"
#include "ijepa/data/data_loader.h"
#include "ijepa/data/subset.h"
#include "ijepa/data/transforms.h"
#include "ijepa/masking/mask_sampler.h"
#include "ijepa/masking/torch_masks.h"
#include "ijepa/models/model_config.h"
#include "ijepa/training/config.h"
#include "ijepa/training/loss.h"
#include "ijepa/training/optimizer.h"
#include "ijepa/training/run_logger.h"
#include "ijepa/training/schedules.h"
#include "ijepa/training/train_step.h"
#include "ijepa/training/training_checkpoint.h"

namespace ijepa::training {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

std::vector<torch::Tensor> ParametersAndBuffers(const torch::nn::Module& m) {
  std::vector<torch::Tensor> all = m.parameters();
  for (const auto& b : m.buffers()) all.push_back(b);
  return all;
}

}  // namespace

class Trainer::Impl {
 public:
  PretrainConfig config;
  TrainerDeps deps;
  torch::Device device{torch::kCPU};
  int rank = 0, world_size = 1;
  std::string folder, tag;
  std::shared_ptr<const data::Dataset> dataset;
  std::shared_ptr<const masking::MaskSampler> sampler;
  std::unique_ptr<data::DataLoader> loader;
  int64_t ipe = 0;
  models::VisionTransformer encoder{nullptr}, target_encoder{nullptr};
  models::VisionTransformerPredictor predictor{nullptr};
  std::unique_ptr<PretrainOptimizer> optimizer;
  std::optional<TrainStep> train_step;
  ResumeState state;
  std::string resumed_from;  // the checkpoint restored (meta.read_checkpoint or latest); empty if none
  std::string latest_written;

  bool resumed() const { return !resumed_from.empty(); }
  std::string LatestPath() const { return (fs::path(folder) / (tag + "-latest.pth.tar")).string(); }

  absl::Status Init();
  absl::Status Restore(const std::string& path);
  absl::Status SaveCheckpoint(const std::string& path, const ResumeState& s, double epoch_loss);
  absl::StatusOr<std::unique_ptr<RunLogger>> OpenLogger(int64_t total_steps) const;
  absl::Status NonFiniteLoss(const TrainStepResult& r, int64_t itr, int64_t step,
                             double last_finite_loss) const;
  double EpochMeanLoss() const;
  absl::Status EndEpoch(RunLogger& log);
  absl::StatusOr<TrainSummary> Run();
};

absl::Status Trainer::Impl::Init() {
  if (absl::Status s = ValidateConfig(config); !s.ok()) return s;
  const std::string& dev = config.device();
  if (dev != "cpu" && !at::hasCUDA()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "config field device is \"", dev, "\" but this LibTorch build has no CUDA; use \"cpu\""));
  }
  device = torch::Device(dev);
  ConfigureIntraOpThreads(config.threads());
  if (deps.communicator != nullptr) {
    rank = deps.communicator->rank();
    world_size = deps.communicator->world_size();
  }
  folder = config.logging().folder();
  tag = config.logging().write_tag();

  // --- data and masks
  if (deps.dataset != nullptr) {
    dataset = deps.dataset;
  } else {
    auto opened = data::OpenDataset(config.data(), "train");
    if (!opened.ok()) return opened.status();
    dataset = *std::move(opened);
  }
  auto transform_options = data::TrainTransformOptionsFromConfig(config.data());
  if (!transform_options.ok()) return transform_options.status();
  auto transform = std::make_shared<const data::Transform>(*transform_options);
  const int grid = config.data().crop_size() / config.mask().patch_size();
  auto created = masking::CreateMaskSampler(config.mask(), grid, grid);
  if (!created.ok()) return created.status();
  sampler = std::shared_ptr<const masking::MaskSampler>(std::move(*created));
  const uint64_t seed = config.seed();
  const int mask_rank = rank;
  std::shared_ptr<const masking::MaskSampler> s = sampler;
  data::DataLoader::MaskFn mask_fn = [s, seed, mask_rank](int batch_size, int64_t epoch,
                                                          int64_t batch_index) {
    return s->Sample(batch_size, seed, epoch, batch_index, mask_rank);
  };
  loader = std::make_unique<data::DataLoader>(
      dataset, transform,
      data::LoaderOptionsFromConfig(config.data(), seed, rank, world_size, /*shuffle=*/true,
                                    device.is_cuda()),
      mask_fn);
  ipe = loader->batches_per_epoch();
  if (ipe <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "data set has ", dataset->size(), " images: not one full batch of data.batch_size=",
        config.data().batch_size(), " per rank with ", world_size, " ranks"));
  }

  // --- models (official init_model), identical on every rank
  const models::ModelConfig model_config = ModelConfigFor(config);
  auto encoder_options = models::EncoderOptionsFromConfig(model_config);
  if (!encoder_options.ok()) return encoder_options.status();
  auto predictor_options = models::PredictorOptionsFromConfig(model_config);
  if (!predictor_options.ok()) return predictor_options.status();
  torch::manual_seed(seed);
  encoder = models::VisionTransformer(*encoder_options);
  predictor = models::VisionTransformerPredictor(*predictor_options);
  // Official src/helper.py init_model (also undoes the constructors' depth rescaling).
  models::ReinitializeLikeOfficialInitModel(*encoder);
  models::ReinitializeLikeOfficialInitModel(*predictor);
  encoder->to(device);
  predictor->to(device);
  if (deps.communicator != nullptr) {
    deps.communicator->Broadcast(ParametersAndBuffers(*encoder));
    deps.communicator->Broadcast(ParametersAndBuffers(*predictor));
  }
  target_encoder = models::VisionTransformer(*encoder_options);
  target_encoder->to(device);
  {
    torch::NoGradGuard no_grad;
    const auto src = ParametersAndBuffers(*encoder);
    const auto dst = ParametersAndBuffers(*target_encoder);
    for (size_t i = 0; i < src.size(); ++i) dst[i].copy_(src[i]);
  }
  for (auto& p : target_encoder->parameters()) p.set_requires_grad(false);

  optimizer = std::make_unique<PretrainOptimizer>(*encoder, *predictor);
  const OptimizationConfig& o = config.optimization();
  const auto [ema0, ema1] = EmaRange(o);
  const TrainingSchedules schedules = MakeTrainingSchedules(
      ipe, o.warmup(), o.epochs(), o.ipe_scale(), o.start_lr(), o.lr(), o.final_lr(),
      o.weight_decay(), o.final_weight_decay(), ema0, ema1);
  TrainStepOptions step_options;
  step_options.loss = config.meta().loss() == MetaConfig::L2 ? LossKind::kL2 : LossKind::kSmoothL1;
  step_options.bf16_autocast =
      device.is_cuda() ? config.meta().use_bfloat16() : config.meta().cpu_bfloat16();
  step_options.communicator = deps.communicator;
  train_step.emplace(encoder, target_encoder, predictor, optimizer.get(), schedules, step_options);

  if (config.meta().load_checkpoint()) {
    std::string path = config.meta().read_checkpoint();
    if (path.empty()) {
      path = LatestPath();
    } else if (fs::path(path).is_relative()) {
      path = (fs::path(folder) / path).string();
    }
    if (absl::Status st = Restore(path); !st.ok()) {
      return absl::Status(st.code(), absl::StrCat("cannot resume (meta.load_checkpoint): ",
                                                  st.message()));
    }
    resumed_from = path;
  }
  return absl::OkStatus();
}

absl::Status Trainer::Impl::Restore(const std::string& path) {
  auto read = checkpoint::ReadTorchFile(path);
  if (!read.ok()) return read.status();
  auto restored = RestoreTrainingCheckpoint(
      *read, path, {encoder.get(), predictor.get(), target_encoder.get(), optimizer.get()}, ipe);
  if (!restored.ok()) return restored.status();
  if (absl::Status st = RestoreRngState(*read, path); !st.ok()) return st;
  state = *restored;
  return absl::OkStatus();
}

absl::Status Trainer::Impl::SaveCheckpoint(const std::string& path, const ResumeState& s,
                                           double epoch_loss) {
  if (rank != 0) return absl::OkStatus();
  CheckpointInfo info;
  info.loss = epoch_loss;
  info.batch_size = config.data().batch_size();
  info.world_size = world_size;
  info.lr = config.optimization().lr();
  info.iterations_per_epoch = ipe;
  auto dict = TrainingCheckpointDict(
      {encoder.get(), predictor.get(), target_encoder.get(), optimizer.get()}, s, info);
  dict.insert("config", ConfigToText(config));
  dict.insert("rng", RngStateDict(config.seed()));
  if (absl::Status st = checkpoint::WriteTorchFile(path, dict); !st.ok()) return st;
  latest_written = path;
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<RunLogger>> Trainer::Impl::OpenLogger(int64_t total_steps) const {
  RunLoggerOptions o;
  o.folder = folder;
  o.tag = tag;
  o.rank = rank;
  o.config_text = ConfigToText(config);
  // Which training images a subset run (data.low_shot_*, data.holdout_per_class) used.
  if (const auto* subset = dynamic_cast<const data::SubsetDataset*>(dataset.get())) {
    o.subset_indices = subset->indices();
  }
  o.resume = resumed();
  o.start_step = state.global_step;
  o.iterations_per_epoch = ipe;
  o.epochs = config.optimization().epochs();
  o.total_steps = total_steps;
  o.images_per_step = static_cast<int64_t>(config.data().batch_size()) * world_size;
  o.log_freq = config.logging().log_freq();
  o.rankme_window = config.logging().rankme_window();
  o.rankme_warn_fraction = config.logging().rankme_warn_fraction();
  o.embed_dim = encoder->embed_dim();
  o.svg_title = absl::StrCat(tag, ": ", config.meta().model_name(), " I-JEPA loss");
  o.print = deps.print;
  return RunLogger::Open(std::move(o));
}

absl::Status Trainer::Impl::NonFiniteLoss(const TrainStepResult& r, int64_t itr, int64_t step,
                                          double last_finite_loss) const {
  return absl::InternalError(absl::StrFormat(
      "loss is %f at epoch %d, itr %d (global step %d), lr %.3e; last finite loss %.5f. "
      "Stopped without stepping or saving; the last good checkpoint is %s",
      r.loss, state.epoch + 1, itr, step + 1, r.lr, last_finite_loss,
      latest_written.empty() ? (resumed() ? resumed_from : "(none written yet)") : latest_written));
}

double Trainer::Impl::EpochMeanLoss() const {
  return state.epoch_loss_count > 0 ? state.epoch_loss_sum / state.epoch_loss_count : 0.0;
}

absl::Status Trainer::Impl::EndEpoch(RunLogger& log) {
  // Official save_checkpoint(epoch + 1).
  const int64_t epoch = state.epoch;
  const double epoch_loss = EpochMeanLoss();
  ResumeState done;
  done.epoch = epoch + 1;
  done.global_step = state.global_step;
  state = done;
  if (absl::Status s = SaveCheckpoint(LatestPath(), state, epoch_loss); !s.ok()) return s;
  if ((epoch + 1) % config.logging().checkpoint_freq() == 0) {
    const std::string ep_path =
        (fs::path(folder) / absl::StrCat(tag, "-ep", epoch + 1, ".pth.tar")).string();
    if (absl::Status s = SaveCheckpoint(ep_path, state, epoch_loss); !s.ok()) return s;
    latest_written = LatestPath();
  }
  return log.EpochDone(epoch, epoch_loss);
}

absl::StatusOr<TrainSummary> Trainer::Impl::Run() {
  const int64_t epochs = config.optimization().epochs();
  int64_t total_steps = epochs * ipe;
  if (config.optimization().max_steps() > 0) {
    total_steps = std::min<int64_t>(total_steps, config.optimization().max_steps());
  }
  auto logger = OpenLogger(total_steps);
  if (!logger.ok()) return logger.status();
  RunLogger& log = **logger;

  TrainSummary summary;
  summary.start_step = state.global_step;
  summary.iterations_per_epoch = ipe;
  encoder->train();
  predictor->train();
  target_encoder->train();  // as the official code; no dropout at the default rates either way
  if (resumed()) {
    log.Print(absl::StrFormat("resumed from %s at epoch %d, itr %d (step %d of %d)", resumed_from,
                              state.epoch + 1, state.itr, state.global_step, total_steps));
  }
  log.Print(absl::StrFormat(
      "training %s (%d-dim, grid %dx%d) on %s: %d epochs x %d steps, batch %d x %d rank(s)",
      config.meta().model_name(), encoder->embed_dim(), encoder->grid_h(), encoder->grid_w(),
      device.str(), epochs, ipe, config.data().batch_size(), world_size));

  double last_finite_loss = std::numeric_limits<double>::quiet_NaN();
  const int64_t every = config.logging().checkpoint_every_steps();
  const auto loop_start = Clock::now();
  bool stop = state.global_step >= total_steps;
  while (!stop && state.epoch < epochs) {
    loader->StartEpoch(state.epoch, state.itr);
    while (!stop) {
      const auto step_start = Clock::now();
      auto next = loader->Next();
      if (!next.ok()) return next.status();
      if (!next->has_value()) break;
      data::Batch& batch = **next;
      const int64_t itr = batch.batch_index;
      const int64_t step = state.global_step;  // 0-based index of this step
      TORCH_CHECK(batch.masks.has_value(), "data loader returned a batch without masks");
      const masking::MaskTensors masks = masking::ToMaskTensors(*batch.masks, device);
      const torch::Tensor images = batch.images.to(device, /*non_blocking=*/true);
      const TrainStepResult result = train_step->Run(images, masks, step, log.LogNow(itr));
      if (!result.stepped) return NonFiniteLoss(result, itr, step, last_finite_loss);
      last_finite_loss = result.loss;
      state.global_step = step + 1;
      state.itr = itr + 1;
      state.epoch_loss_sum += result.loss;
      state.epoch_loss_count += 1;
      summary.losses.push_back(result.loss);
      summary.prediction_std = result.prediction_std;
      stop = state.global_step >= total_steps;

      StepContext context;
      context.epoch = state.epoch;
      context.itr = itr;
      context.global_step = state.global_step;
      context.avg_loss = EpochMeanLoss();
      context.mask_a = static_cast<double>(masks.context[0].size(1));
      context.mask_b = static_cast<double>(masks.targets[0].size(1));
      context.seconds = Seconds(Clock::now() - step_start);
      context.last = stop;
      if (absl::Status s = log.Step(context, result); !s.ok()) return s;
      // Inside an epoch: every checkpoint_every_steps, and where the run stops.
      if (state.itr < ipe && (stop || (every > 0 && state.global_step % every == 0))) {
        if (absl::Status s = SaveCheckpoint(LatestPath(), state, EpochMeanLoss()); !s.ok()) {
          return s;
        }
      }
    }
    if (state.itr >= ipe) {
      summary.last_epoch_loss = EpochMeanLoss();
      if (absl::Status s = EndEpoch(log); !s.ok()) return s;
    } else if (state.epoch_loss_count > 0) {
      summary.last_epoch_loss = EpochMeanLoss();
    }
  }
  if (absl::Status s = log.WriteLossCurve(); !s.ok()) return s;
  summary.relative_rankme = log.relative_rankme();
  summary.steps = state.global_step;
  summary.epochs_completed = state.epoch;
  summary.seconds = Seconds(Clock::now() - loop_start);
  const int64_t images_per_step = static_cast<int64_t>(config.data().batch_size()) * world_size;
  summary.images_per_second =
      summary.seconds > 0
          ? (state.global_step - summary.start_step) * images_per_step / summary.seconds
          : 0.0;
  summary.latest_checkpoint = latest_written;
  return summary;
}

Trainer::Trainer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Trainer::~Trainer() = default;

absl::StatusOr<std::unique_ptr<Trainer>> Trainer::Create(const PretrainConfig& config,
                                                         TrainerDeps deps) {
  auto impl = std::make_unique<Impl>();
  impl->config = config;
  impl->deps = std::move(deps);
  try {
    if (absl::Status s = impl->Init(); !s.ok()) return s;
  } catch (const c10::Error& e) {
    return absl::InternalError(absl::StrCat("building the trainer failed: ", e.what_without_backtrace()));
  }
  return std::unique_ptr<Trainer>(new Trainer(std::move(impl)));
}

absl::StatusOr<TrainSummary> Trainer::Run() {
  try {
    return impl_->Run();
  } catch (const c10::Error& e) {
    return absl::InternalError(absl::StrCat("training failed: ", e.what_without_backtrace()));
  }
}

models::VisionTransformer& Trainer::encoder() { return impl_->encoder; }
models::VisionTransformer& Trainer::target_encoder() { return impl_->target_encoder; }
models::VisionTransformerPredictor& Trainer::predictor() { return impl_->predictor; }
int64_t Trainer::iterations_per_epoch() const { return impl_->ipe; }
int64_t Trainer::global_step() const { return impl_->state.global_step; }
std::string Trainer::LatestCheckpointPath() const { return impl_->LatestPath(); }

}  // namespace ijepa::training
