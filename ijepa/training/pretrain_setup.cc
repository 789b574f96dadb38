#include "ijepa/training/pretrain_setup.h"

#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ijepa/data/transforms.h"
#include "ijepa/masking/mask_sampler.h"
#include "ijepa/models/layers.h"

namespace ijepa::training {
namespace {

std::vector<torch::Tensor> ParametersAndBuffers(const torch::nn::Module& m) {
  std::vector<torch::Tensor> all = m.parameters();
  for (const auto& b : m.buffers()) all.push_back(b);
  return all;
}

}  // namespace

absl::StatusOr<std::unique_ptr<data::DataLoader>> MakePretrainLoader(
    const ValidatedPretrainConfig& run, std::shared_ptr<const data::Dataset> dataset, int rank,
    int world_size, const c10::Device& device) {
  const PretrainConfig& config = run.config();
  auto transform = std::make_shared<const data::Transform>(run.train_transform());
  auto created = masking::CreateMaskSampler(run.mask(), run.grid(), run.grid());
  if (!created.ok()) return created.status();
  std::shared_ptr<const masking::MaskSampler> sampler(std::move(*created));
  const uint64_t seed = config.seed();
  data::DataLoader::MaskFn mask_fn = [sampler, seed, rank](int batch_size, int64_t epoch,
                                                           int64_t batch_index) {
    return sampler->Sample(batch_size, seed, epoch, batch_index, rank);
  };
  const int64_t images = dataset->size();
  auto loader = std::make_unique<data::DataLoader>(
      std::move(dataset), transform,
      data::LoaderOptionsFromConfig(config.data(), seed, rank, world_size, /*shuffle=*/true,
                                    device.is_cuda()),
      mask_fn);
  if (loader->batches_per_epoch() <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "data set has ", images, " images: not one full batch of data.batch_size=",
        config.data().batch_size(), " per rank with ", world_size, " ranks"));
  }
  return loader;
}

models::VisionTransformer MakeTargetEncoder(const models::VisionTransformerOptions& options,
                                            const models::VisionTransformer& encoder,
                                            const c10::Device& device) {
  models::VisionTransformer target(options);
  target->to(device);
  torch::NoGradGuard no_grad;
  const auto src = ParametersAndBuffers(*encoder);
  const auto dst = ParametersAndBuffers(*target);
  for (size_t i = 0; i < src.size(); ++i) dst[i].copy_(src[i]);
  for (auto& p : target->parameters()) p.set_requires_grad(false);
  return target;
}

PretrainModels MakePretrainModels(const ValidatedPretrainConfig& run, const c10::Device& device,
                                  distributed::Communicator* communicator) {
  PretrainModels m;
  torch::manual_seed(run.config().seed());
  m.encoder = models::VisionTransformer(run.encoder());
  m.predictor = models::VisionTransformerPredictor(run.predictor());
  // Official src/helper.py init_model (also undoes the constructors' depth rescaling).
  models::ReinitializeLikeOfficialInitModel(*m.encoder);
  models::ReinitializeLikeOfficialInitModel(*m.predictor);
  if (run.config().meta().patch_embed_init() == MetaConfig::FAN_IN) {
    // Drawn last, so the other weights are those of an OFFICIAL run with the same seed.
    torch::Tensor weight = m.encoder->patch_embed->proj->weight;
    models::TruncNormal_(weight, 1.0 / std::sqrt(static_cast<double>(weight[0].numel())));
  }
  m.encoder->to(device);
  m.predictor->to(device);
  if (communicator != nullptr) {
    communicator->Broadcast(ParametersAndBuffers(*m.encoder));
    communicator->Broadcast(ParametersAndBuffers(*m.predictor));
  }
  m.target_encoder = MakeTargetEncoder(run.encoder(), m.encoder, device);
  return m;
}

TrainingSchedules PretrainSchedules(const ValidatedPretrainConfig& run, int64_t iterations_per_epoch) {
  const OptimizationConfig& o = run.config().optimization();
  const auto [ema0, ema1] = run.ema();
  return MakeTrainingSchedules(iterations_per_epoch, o.warmup(), o.epochs(), o.ipe_scale(),
                               o.start_lr(), o.lr(), o.final_lr(), o.weight_decay(),
                               o.final_weight_decay(), ema0, ema1);
}

TrainStepOptions PretrainStepOptions(const ValidatedPretrainConfig& run, const c10::Device& device,
                                     distributed::Communicator* communicator) {
  const PretrainConfig& config = run.config();
  TrainStepOptions options;
  options.loss = config.meta().loss() == MetaConfig::L2 ? LossKind::kL2 : LossKind::kSmoothL1;
  options.per_position_targets = config.meta().target_norm() == MetaConfig::LAYER_NORM_PER_POSITION;
  options.bf16_autocast =
      device.is_cuda() ? config.meta().use_bfloat16() : config.meta().cpu_bfloat16();
  options.communicator = communicator;
  return options;
}

RunLoggerOptions PretrainLoggerOptions(const ValidatedPretrainConfig& run, int rank, int world_size,
                                       int64_t iterations_per_epoch, int64_t total_steps,
                                       int64_t embed_dim) {
  const PretrainConfig& config = run.config();
  RunLoggerOptions o;
  o.folder = config.logging().folder();
  o.tag = config.logging().write_tag();
  o.rank = rank;
  o.config_text = ConfigToText(config);
  o.iterations_per_epoch = iterations_per_epoch;
  o.epochs = config.optimization().epochs();
  o.total_steps = total_steps;
  o.images_per_step = static_cast<int64_t>(config.data().batch_size()) * world_size;
  o.log_freq = config.logging().log_freq();
  o.rankme_window = config.logging().rankme_window();
  o.rankme_warn_fraction = config.logging().rankme_warn_fraction();
  o.embed_dim = embed_dim;
  o.svg_title = absl::StrCat(o.tag, ": ", config.meta().model_name(), " I-JEPA loss");
  o.tensorboard = config.logging().tensorboard();
  return o;
}

absl::Status ConfigureCpuLinear(MetaConfig::CpuLinear choice, int rank) {
  if (choice == MetaConfig::BLAS) {
    models::SetCpuLinear(models::CpuLinear::kBlas);
    return absl::OkStatus();
  }
  if (models::SetCpuLinear(models::CpuLinear::kOneDnn)) return absl::OkStatus();
  if (choice == MetaConfig::ONEDNN) {
    return absl::FailedPreconditionError(
        "config field meta.cpu_linear is ONEDNN but this LibTorch was built without oneDNN "
        "(at::hasMKLDNN() is false); use BLAS or AUTO");
  }
  if (rank == 0) {
    std::printf("meta.cpu_linear AUTO: this LibTorch has no oneDNN; CPU linear layers run on its BLAS\n");
  }
  return absl::OkStatus();
}

}  // namespace ijepa::training
