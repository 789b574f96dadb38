#include "ijepa/training/trainer.h"

#include <ATen/Context.h>
#include <torch/torch.h>

#include <chrono>
#include <limits>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ijepa/common/host_memory.h"
#include "ijepa/common/threads.h"
#include "ijepa/data/data_config.h"
#include "ijepa/data/data_loader.h"
#include "ijepa/data/subset.h"
#include "ijepa/masking/torch_masks.h"
#include "ijepa/training/config.h"
#include "ijepa/training/optimizer.h"
#include "ijepa/training/pretrain_setup.h"
#include "ijepa/training/run_checkpoints.h"
#include "ijepa/training/run_logger.h"
#include "ijepa/training/train_step.h"

namespace ijepa::training {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

double EpochMeanLoss(const ResumeState& s) {
  return s.epoch_loss_count > 0 ? s.epoch_loss_sum / s.epoch_loss_count : 0.0;
}

}  // namespace

class Trainer::Impl {
 public:
  Impl(ValidatedPretrainConfig run, TrainerDeps deps)
      : run(std::move(run)), config(this->run.config()), deps(std::move(deps)) {}

  const ValidatedPretrainConfig run;
  const PretrainConfig& config;  // run.config()
  TrainerDeps deps;
  torch::Device device{torch::kCPU};
  int rank = 0, world_size = 1;
  std::shared_ptr<const data::Dataset> dataset;
  std::unique_ptr<data::DataLoader> loader;
  int64_t ipe = 0;
  PretrainModels models;
  std::unique_ptr<PretrainOptimizer> optimizer;
  std::optional<TrainStep> train_step;
  std::optional<RunCheckpoints> checkpoints;
  ResumeState state;
  // Outlives Run(): the probe's scalars go to the same TensorBoard file.
  std::unique_ptr<RunLogger> logger;

  absl::Status Init();
  absl::StatusOr<std::unique_ptr<RunLogger>> OpenLogger(int64_t total_steps) const;
  absl::Status NonFiniteLoss(const TrainStepResult& r, int64_t itr, double last_finite_loss) const;
  absl::StatusOr<TrainSummary> Run();
};

absl::Status Trainer::Impl::Init() {
  const std::string& dev = config.device();
  if (dev != "cpu" && !at::hasCUDA()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "config field device is \"", dev, "\" but this LibTorch build has no CUDA; use \"cpu\""));
  }
  device = torch::Device(dev);
  ConfigureIntraOpThreads(config.threads());
  KeepFreedHostMemory();
  if (deps.communicator != nullptr) {
    rank = deps.communicator->rank();
    world_size = deps.communicator->world_size();
  }
  if (absl::Status s = ConfigureCpuLinear(config.meta().cpu_linear(), rank); !s.ok()) return s;
  dataset = deps.dataset;
  if (dataset == nullptr) {
    auto opened = data::OpenDataset(config.data(), "train");
    if (!opened.ok()) return opened.status();
    dataset = *std::move(opened);
  }
  auto made_loader = MakePretrainLoader(run, dataset, rank, world_size, device);
  if (!made_loader.ok()) return made_loader.status();
  loader = *std::move(made_loader);
  ipe = loader->batches_per_epoch();

  models = MakePretrainModels(run, device, deps.communicator);  // same on all ranks
  optimizer = std::make_unique<PretrainOptimizer>(*models.encoder, *models.predictor);
  train_step.emplace(models.encoder, models.target_encoder, models.predictor, optimizer.get(),
                     PretrainSchedules(run, ipe),
                     PretrainStepOptions(run, device, deps.communicator));
  checkpoints.emplace(config,
                      TrainingModules{models.encoder.get(), models.predictor.get(),
                                      models.target_encoder.get(), optimizer.get()},
                      rank, world_size, ipe);
  if (config.meta().load_checkpoint()) {
    auto resumed = checkpoints->Resume();
    if (!resumed.ok()) return resumed.status();
    state = *resumed;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<RunLogger>> Trainer::Impl::OpenLogger(int64_t total_steps) const {
  RunLoggerOptions o = PretrainLoggerOptions(run, rank, world_size, ipe, total_steps,
                                             models.encoder->embed_dim());
  // Which training images a subset run (data.low_shot_*, data.holdout_per_class) used.
  if (const auto* subset = dynamic_cast<const data::SubsetDataset*>(dataset.get())) {
    o.subset_indices = subset->indices();
  }
  o.resume = !checkpoints->resumed_from().empty();
  o.start_step = state.global_step;
  o.print = deps.print;
  return RunLogger::Open(std::move(o));
}

absl::Status Trainer::Impl::NonFiniteLoss(const TrainStepResult& r, int64_t itr,
                                          double last_finite_loss) const {
  std::string last_good = checkpoints->latest_written();
  if (last_good.empty()) last_good = checkpoints->resumed_from();
  if (last_good.empty()) last_good = "(none written yet)";
  return absl::InternalError(absl::StrFormat(
      "loss is %f at epoch %d, itr %d (global step %d), lr %.3e; last finite loss %.5f. "
      "Stopped without stepping or saving; the last good checkpoint is %s",
      r.loss, state.epoch + 1, itr, state.global_step + 1, r.lr, last_finite_loss, last_good));
}

absl::StatusOr<TrainSummary> Trainer::Impl::Run() {
  const int64_t epochs = config.optimization().epochs();
  int64_t total_steps = epochs * ipe;
  if (config.optimization().max_steps() > 0) {
    total_steps = std::min<int64_t>(total_steps, config.optimization().max_steps());
  }
  auto opened = OpenLogger(total_steps);
  if (!opened.ok()) return opened.status();
  logger = *std::move(opened);
  RunLogger& log = *logger;

  TrainSummary summary;
  summary.start_step = state.global_step;
  summary.iterations_per_epoch = ipe;
  models.encoder->train();
  models.predictor->train();
  models.target_encoder->train();  // as the official code; no dropout at the default rates
  if (!checkpoints->resumed_from().empty()) {
    log.Print(absl::StrFormat("resumed from %s at epoch %d, itr %d (step %d of %d)",
                              checkpoints->resumed_from(), state.epoch + 1, state.itr,
                              state.global_step, total_steps));
  }
  log.Print(absl::StrFormat(
      "training %s (%d-dim, grid %dx%d) on %s: %d epochs x %d steps, batch %d x %d rank(s)",
      config.meta().model_name(), models.encoder->embed_dim(), models.encoder->grid_h(),
      models.encoder->grid_w(), device.str(), epochs, ipe, config.data().batch_size(),
      world_size));

  double last_finite_loss = std::numeric_limits<double>::quiet_NaN();
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
      TORCH_CHECK(batch.masks.has_value(), "data loader returned a batch without masks");
      const masking::MaskTensors masks = masking::ToMaskTensors(*batch.masks, device);
      const torch::Tensor images = batch.images.to(device, /*non_blocking=*/true);
      const TrainStepResult result =
          train_step->Run(images, masks, state.global_step, log.LogNow(itr));
      if (!result.stepped) return NonFiniteLoss(result, itr, last_finite_loss);
      last_finite_loss = result.loss;
      state.global_step += 1;
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
      context.avg_loss = EpochMeanLoss(state);
      context.mask_a = static_cast<double>(masks.context[0].size(1));
      context.mask_b = static_cast<double>(masks.targets[0].size(1));
      context.seconds = Seconds(Clock::now() - step_start);
      context.last = stop;
      if (absl::Status s = log.Step(context, result); !s.ok()) return s;
      if (state.itr < ipe) {
        if (absl::Status s = checkpoints->AfterStep(state, stop); !s.ok()) return s;
      }
    }
    if (state.itr >= ipe) {
      const int64_t epoch = state.epoch;
      const double epoch_loss = EpochMeanLoss(state);
      summary.last_epoch_loss = epoch_loss;
      state = ResumeState{epoch + 1, /*itr=*/0, state.global_step};
      if (absl::Status s = checkpoints->AfterEpoch(state, epoch_loss); !s.ok()) return s;
      if (absl::Status s = log.EpochDone(epoch, epoch_loss); !s.ok()) return s;
    } else if (state.epoch_loss_count > 0) {
      summary.last_epoch_loss = EpochMeanLoss(state);
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
  summary.latest_checkpoint = checkpoints->latest_written();
  return summary;
}

Trainer::Trainer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Trainer::~Trainer() = default;

absl::StatusOr<std::unique_ptr<Trainer>> Trainer::Create(const ValidatedPretrainConfig& run,
                                                         TrainerDeps deps) {
  auto impl = std::make_unique<Impl>(run, std::move(deps));
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

models::VisionTransformer& Trainer::encoder() { return impl_->models.encoder; }
models::VisionTransformer& Trainer::target_encoder() { return impl_->models.target_encoder; }
models::VisionTransformerPredictor& Trainer::predictor() { return impl_->models.predictor; }
int64_t Trainer::iterations_per_epoch() const { return impl_->ipe; }
int64_t Trainer::global_step() const { return impl_->state.global_step; }
std::string Trainer::LatestCheckpointPath() const { return impl_->checkpoints->LatestPath(); }
void Trainer::ProbeDone(double top1, double top5, double knn_top1) {
  if (impl_->logger != nullptr) impl_->logger->ProbeDone(top1, top5, knn_top1);
}

}  // namespace ijepa::training
