#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ijepa/data/dataset.h"
#include "ijepa/distributed/communicator.h"
#include "ijepa/models/predictor.h"
#include "ijepa/models/vision_transformer.h"
#include "ijepa/training/config.h"

namespace ijepa::training {

// What the caller may inject instead of the defaults.
struct TrainerDeps {
  // Training images; null opens config.data() split "train" (data::OpenDataset).
  std::shared_ptr<const data::Dataset> dataset;
  // Data-parallel collectives; null for a single process.
  distributed::Communicator* communicator = nullptr;
  // Receives each progress line (rank 0 only); null prints to stdout.
  std::function<void(const std::string&)> print;
};

struct TrainSummary {
  int64_t start_step = 0;        // global step the run started (or resumed) at
  int64_t steps = 0;             // global steps completed when Run() returned
  int64_t epochs_completed = 0;
  int64_t iterations_per_epoch = 0;
  std::vector<double> losses;    // loss of every step this Run() executed (all-reduced)
  double last_epoch_loss = 0.0;  // mean loss of the last epoch trained (possibly partial)
  double seconds = 0.0;          // wall time of the training loop
  double images_per_second = 0.0;
  // Collapse signals at the last logged step: RankMe / min(window, embed dim) (NaN before any),
  // and the last step's spread of the normalised predictions.
  double relative_rankme = std::numeric_limits<double>::quiet_NaN();
  double prediction_std = std::numeric_limits<double>::quiet_NaN();
  std::string latest_checkpoint;  // empty when none was written
};

// The I-JEPA pretraining loop of the official src/train.py: per step, masks from the loader,
// target encoder forward without grad (layer-normed, gathered at the targets), context encoder +
// predictor, smooth-L1 / L2 loss, backward, AdamW step with the scheduled lr / wd, EMA update of
// the target encoder. Writes to config.logging().folder: params-ijepa.pbtxt (resolved config),
// `{tag}_r{rank}.csv`, `{tag}-latest.pth.tar` (+ `{tag}-ep{N}.pth.tar` every checkpoint_freq
// epochs), `{tag}-loss.svg` and (logging.tensorboard) `tb/events.out.tfevents.*`.
class Trainer {
 public:
  // Opens the data, builds models and optimizer from the validated config
  // (ValidatePretrainConfig), and when config.meta().load_checkpoint() restores the checkpoint
  // (an unreadable or mismatching one is an error, never a silent fresh start). Nothing is
  // written yet.
  static absl::StatusOr<std::unique_ptr<Trainer>> Create(const ValidatedPretrainConfig& run,
                                                         TrainerDeps deps = {});
  ~Trainer();

  // Trains until optimization.epochs (or optimization.max_steps) are done. A non-finite loss stops
  // the run with an error naming the step, lr and last finite loss; the last checkpoint written
  // stays as it was.
  absl::StatusOr<TrainSummary> Run();

  models::VisionTransformer& encoder();
  models::VisionTransformer& target_encoder();
  models::VisionTransformerPredictor& predictor();
  int64_t iterations_per_epoch() const;
  int64_t global_step() const;
  // `{folder}/{tag}-latest.pth.tar`.
  std::string LatestCheckpointPath() const;
  // After Run(): records the end-of-training probe's accuracies (percent; knn_top1 < 0 when
  // k-NN was off) as TensorBoard scalars at the last step (logging.tensorboard, rank 0).
  void ProbeDone(double top1, double top5, double knn_top1);

  class Impl;

 private:
  explicit Trainer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ijepa::training
