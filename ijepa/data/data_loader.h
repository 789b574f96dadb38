#pragma once

#include <ATen/core/Tensor.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ijepa/data/data.pb.h"
#include "ijepa/data/dataset.h"
#include "ijepa/data/transforms.h"
#include "ijepa/masking/batch_masks.h"

namespace ijepa::data {

struct Batch {
  at::Tensor images;  // float [B, C, H, W], normalised; pinned when Options::pin_memory and CUDA
  at::Tensor labels;  // int64 [B]
  std::vector<int64_t> indices;  // data set index of every row
  std::optional<ijepa::masking::BatchMasks> masks;  // from the MaskFn, when one was given
  int64_t epoch = 0, batch_index = 0;
};

// Multi-threaded loader: worker threads decode and transform samples straight into the batch
// tensors of a bounded window of upcoming batches; Next() returns batches in order.
//
// Determinism: the order of an epoch depends on (seed, epoch, rank, world_size) only, and every
// sample's augmentation on (seed, epoch, data set index) only (SampleRng), so batches are
// bit-identical for any num_workers, and StartEpoch(e, k) reproduces batch k of epoch e exactly
// as an uninterrupted run produced it.
//
// Unreadable samples (corrupt, truncated, missing files) are skipped with a warning naming the
// file: the batch is returned without them (smaller). Next() fails once the skipped samples of
// the epoch exceed max_skipped_fraction of the epoch's samples on this rank.
class DataLoader {
 public:
  struct Options {
    int batch_size = 64;
    int num_workers = 2;        // 0: decode on the calling thread inside Next()
    int prefetch_batches = 4;   // batches decoded ahead of the consumer (at least 1)
    bool shuffle = true;
    bool drop_last = true;      // drop the last incomplete batch of the shard
    uint64_t seed = 0;
    int rank = 0;
    int world_size = 1;
    double max_skipped_fraction = 0.01;
    // Page-locked batch memory for fast host-to-GPU copies; needs a CUDA build (ignored, with a
    // log line, otherwise).
    bool pin_memory = false;
    // DistributedSampler(drop_last): drop the tail of the epoch instead of padding every rank's
    // shard to equal length. The official code leaves it false.
    bool sampler_drop_last = false;
  };
  // Called once per batch (from a worker thread; must be thread-safe) with the batch's final
  // size, epoch and batch index. MaskSampler::Sample fits: it is const and deterministic.
  using MaskFn = std::function<ijepa::masking::BatchMasks(int batch_size, int64_t epoch, int64_t batch_index)>;

  // Preconditions (checked, message names the option): batch_size >= 1, num_workers >= 0,
  // prefetch_batches >= 1, world_size >= 1, 0 <= rank < world_size, fraction in [0, 1].
  DataLoader(std::shared_ptr<const Dataset> dataset, std::shared_ptr<const Transform> transform,
             Options options, MaskFn mask_fn = nullptr);
  ~DataLoader();
  DataLoader(const DataLoader&) = delete;
  DataLoader& operator=(const DataLoader&) = delete;

  // Batches of one epoch on this rank.
  int64_t batches_per_epoch() const;
  // Samples of one epoch on this rank (after padding or sampler_drop_last).
  int64_t samples_per_epoch() const { return shard_size_; }
  // Begins epoch `epoch` at batch `start_batch` (resume). Work still in flight for a previous
  // epoch is finished and discarded first. Must precede the first Next().
  void StartEpoch(int64_t epoch, int64_t start_batch = 0);
  // Next batch of the epoch; nullopt at its end; an error when too many samples were unreadable.
  absl::StatusOr<std::optional<Batch>> Next();
  // Samples skipped so far in the current epoch.
  int64_t skipped_in_epoch() const;

  const Options& options() const { return options_; }

 private:
  struct PendingBatch;
  void WorkerLoop();
  std::shared_ptr<PendingBatch> CreateBatch(int64_t batch_index);
  void LoadSample(PendingBatch& batch, int slot);
  void FinishBatch(PendingBatch& batch);
  bool ClaimWork(std::shared_ptr<PendingBatch>& batch, int& slot);  // with mutex_ held

  std::shared_ptr<const Dataset> dataset_;
  std::shared_ptr<const Transform> transform_;
  Options options_;
  MaskFn mask_fn_;
  int64_t shard_size_ = 0;
  bool pin_ = false;

  mutable std::mutex mutex_;
  std::condition_variable work_ready_;   // workers wait for claimable samples
  std::condition_variable batch_ready_;  // Next() waits for its batch; StartEpoch for idle workers
  bool stop_ = false;
  bool epoch_started_ = false;
  int64_t epoch_ = 0;
  std::vector<int64_t> shard_;
  int64_t num_batches_ = 0;
  int64_t next_to_return_ = 0;  // batch index Next() hands out next
  int64_t next_to_create_ = 0;  // first batch index not yet in `window_`
  std::deque<std::shared_ptr<PendingBatch>> window_;  // batches being filled, in order
  int busy_workers_ = 0;
  int64_t skipped_ = 0;
  std::string last_skip_message_;
  std::vector<std::thread> workers_;
};

// One image through `transform` with the generator of (seed, epoch, index), as the loader would
// produce it: float [C, H, W] (for single-image tools and tests; the loader itself writes into
// batch tensors directly).
at::Tensor TransformToTensor(const Transform& transform, const Image& image, uint64_t seed, int64_t epoch,
                             int64_t index);

// Loader options from a validated DataConfig (batch_size, num_workers, pin_mem, drop_last,
// max_skipped_fraction); pin_memory is pin_mem && on_cuda.
DataLoader::Options LoaderOptionsFromConfig(const DataConfig& config, uint64_t seed, int rank,
                                            int world_size, bool shuffle, bool on_cuda);

}  // namespace ijepa::data
