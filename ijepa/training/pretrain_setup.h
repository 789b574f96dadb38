// From the validated PretrainConfig (ValidatePretrainConfig) to the parts of a pretraining run, built as the official
// src/train.py builds them: the loader with its masks, the models with init_model, the schedules
// and step options, and the run logger's options.
#pragma once

#include <c10/core/Device.h>

#include <cstdint>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ijepa/data/data_loader.h"
#include "ijepa/data/dataset.h"
#include "ijepa/distributed/communicator.h"
#include "ijepa/models/predictor.h"
#include "ijepa/models/vision_transformer.h"
#include "ijepa/training/config.h"
#include "ijepa/training/run_logger.h"
#include "ijepa/training/schedules.h"
#include "ijepa/training/train_step.h"

namespace ijepa::training {

// This rank's shuffled training loader over `dataset`: data.* transforms and loader options, masks
// from the config's sampler as a pure function of (seed, epoch, batch index, rank). An error when
// the data set holds less than one full batch per rank.
absl::StatusOr<std::unique_ptr<data::DataLoader>> MakePretrainLoader(
    const ValidatedPretrainConfig& run, std::shared_ptr<const data::Dataset> dataset, int rank,
    int world_size, const c10::Device& device);

struct PretrainModels {
  models::VisionTransformer encoder{nullptr}, target_encoder{nullptr};
  models::VisionTransformerPredictor predictor{nullptr};
};

// The target encoder (official `copy.deepcopy(encoder)`): a VisionTransformer built from
// `options` on `device`, holding `encoder`'s parameters and buffers, without gradients. Built
// after the encoder's init, so the default generator advances as in the official run.
models::VisionTransformer MakeTargetEncoder(const models::VisionTransformerOptions& options,
                                            const models::VisionTransformer& encoder,
                                            const c10::Device& device);

// Official init_model after torch::manual_seed(seed): encoder and predictor
// re-initialised (models::ReinitializeLikeOfficialInitModel) on `device`, broadcast from rank 0
// when `communicator` is given; the target encoder a copy of the encoder without gradients.
PretrainModels MakePretrainModels(const ValidatedPretrainConfig& run, const c10::Device& device,
                                  distributed::Communicator* communicator);

// The lr, wd and EMA-momentum schedules of optimization.* over `iterations_per_epoch`.
TrainingSchedules PretrainSchedules(const ValidatedPretrainConfig& run, int64_t iterations_per_epoch);

// meta.loss, bf16 autocast (meta.use_bfloat16 on CUDA, meta.cpu_bfloat16 on the CPU).
TrainStepOptions PretrainStepOptions(const ValidatedPretrainConfig& run, const c10::Device& device,
                                     distributed::Communicator* communicator);

// logging.* and the run's shape; resume, start_step, print and subset_indices are the caller's.
RunLoggerOptions PretrainLoggerOptions(const ValidatedPretrainConfig& run, int rank, int world_size,
                                       int64_t iterations_per_epoch, int64_t total_steps,
                                       int64_t embed_dim);

// meta.cpu_linear -> models::SetCpuLinear. AUTO takes oneDNN where LibTorch has it and says so
// on rank 0 when it has not; ONEDNN without oneDNN is an error naming the field.
absl::Status ConfigureCpuLinear(MetaConfig::CpuLinear choice, int rank);

}  // namespace ijepa::training
