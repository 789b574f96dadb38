#include "ijepa/training/pretrain_setup.h"

#include <torch/torch.h>

#include <vector>

#include "absl/strings/str_cat.h"
#include "ijepa/data/data_config.h"
#include "ijepa/data/transforms.h"
#include "ijepa/masking/mask_sampler.h"
#include "ijepa/models/model_config.h"
#include "ijepa/training/config.h"

namespace ijepa::training {
namespace {

std::vector<torch::Tensor> ParametersAndBuffers(const torch::nn::Module& m) {
  std::vector<torch::Tensor> all = m.parameters();
  for (const auto& b : m.buffers()) all.push_back(b);
  return all;
}

}  // namespace

absl::StatusOr<std::unique_ptr<data::DataLoader>> MakePretrainLoader(
    const PretrainConfig& config, std::shared_ptr<const data::Dataset> dataset, int rank,
    int world_size, const c10::Device& device) {
  auto transform_options = data::TrainTransformOptionsFromConfig(config.data());
  if (!transform_options.ok()) return transform_options.status();
  auto transform = std::make_shared<const data::Transform>(*transform_options);
  const int grid = config.data().crop_size() / config.mask().patch_size();
  auto created = masking::CreateMaskSampler(config.mask(), grid, grid);
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

absl::StatusOr<PretrainModels> MakePretrainModels(const PretrainConfig& config,
                                                  const c10::Device& device,
                                                  distributed::Communicator* communicator) {
  const models::ModelConfig model_config = ModelConfigFor(config);
  auto encoder_options = models::EncoderOptionsFromConfig(model_config);
  if (!encoder_options.ok()) return encoder_options.status();
  auto predictor_options = models::PredictorOptionsFromConfig(model_config);
  if (!predictor_options.ok()) return predictor_options.status();
  PretrainModels m;
  torch::manual_seed(config.seed());
  m.encoder = models::VisionTransformer(*encoder_options);
  m.predictor = models::VisionTransformerPredictor(*predictor_options);
  // Official src/helper.py init_model (also undoes the constructors' depth rescaling).
  models::ReinitializeLikeOfficialInitModel(*m.encoder);
  models::ReinitializeLikeOfficialInitModel(*m.predictor);
  m.encoder->to(device);
  m.predictor->to(device);
  if (communicator != nullptr) {
    communicator->Broadcast(ParametersAndBuffers(*m.encoder));
    communicator->Broadcast(ParametersAndBuffers(*m.predictor));
  }
  m.target_encoder = MakeTargetEncoder(*encoder_options, m.encoder, device);
  return m;
}

TrainingSchedules PretrainSchedules(const PretrainConfig& config, int64_t iterations_per_epoch) {
  const OptimizationConfig& o = config.optimization();
  const auto [ema0, ema1] = EmaRange(o);
  return MakeTrainingSchedules(iterations_per_epoch, o.warmup(), o.epochs(), o.ipe_scale(),
                               o.start_lr(), o.lr(), o.final_lr(), o.weight_decay(),
                               o.final_weight_decay(), ema0, ema1);
}

TrainStepOptions PretrainStepOptions(const PretrainConfig& config, const c10::Device& device,
                                     distributed::Communicator* communicator) {
  TrainStepOptions options;
  options.loss = config.meta().loss() == MetaConfig::L2 ? LossKind::kL2 : LossKind::kSmoothL1;
  options.per_position_targets = config.meta().target_norm() == MetaConfig::LAYER_NORM_PER_POSITION;
  options.bf16_autocast =
      device.is_cuda() ? config.meta().use_bfloat16() : config.meta().cpu_bfloat16();
  options.communicator = communicator;
  return options;
}

RunLoggerOptions PretrainLoggerOptions(const PretrainConfig& config, int rank, int world_size,
                                       int64_t iterations_per_epoch, int64_t total_steps,
                                       int64_t embed_dim) {
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

}  // namespace ijepa::training
