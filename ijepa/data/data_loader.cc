#include "ijepa/data/data_loader.h"

#include <ATen/Context.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/index_select.h>
#include <c10/util/Exception.h>
#include <glog/logging.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "ijepa/data/sample_rng.h"
#include "ijepa/data/sampler.h"

namespace ijepa::data {

struct DataLoader::PendingBatch {
  int64_t epoch = 0, batch_index = 0;
  std::vector<int64_t> indices;  // data set index per slot
  at::Tensor images, labels;     // full size; rows of skipped samples are dropped at the end
  std::vector<char> ok;          // per slot, written only by the slot's worker
  int next_slot = 0;             // claim cursor, under mutex_
  int done = 0;                  // finished slots, under mutex_
  bool ready = false;            // under mutex_
  Batch result;
};

DataLoader::DataLoader(std::shared_ptr<const Dataset> dataset, std::shared_ptr<const Transform> transform,
                       Options options, MaskFn mask_fn)
    : dataset_(std::move(dataset)),
      transform_(std::move(transform)),
      options_(options),
      mask_fn_(std::move(mask_fn)) {
  TORCH_CHECK(dataset_ != nullptr, "DataLoader: dataset is null");
  TORCH_CHECK(transform_ != nullptr, "DataLoader: transform is null");
  TORCH_CHECK(options_.batch_size >= 1, "DataLoader: batch_size is ", options_.batch_size, "; expected >= 1");
  TORCH_CHECK(options_.num_workers >= 0, "DataLoader: num_workers is ", options_.num_workers, "; expected >= 0");
  TORCH_CHECK(options_.prefetch_batches >= 1, "DataLoader: prefetch_batches is ", options_.prefetch_batches,
              "; expected >= 1");
  TORCH_CHECK(options_.world_size >= 1, "DataLoader: world_size is ", options_.world_size, "; expected >= 1");
  TORCH_CHECK(options_.rank >= 0 && options_.rank < options_.world_size, "DataLoader: rank is ", options_.rank,
              "; expected in [0, world_size = ", options_.world_size, ")");
  TORCH_CHECK(options_.max_skipped_fraction >= 0 && options_.max_skipped_fraction <= 1,
              "DataLoader: max_skipped_fraction is ", options_.max_skipped_fraction, "; expected in [0, 1]");
  const int64_t n = dataset_->size(), world = options_.world_size;
  shard_size_ = options_.sampler_drop_last ? n / world : (n + world - 1) / world;
  if (options_.pin_memory) {
    pin_ = at::Context::hasCUDA();
    if (!pin_) LOG(INFO) << "DataLoader: pin_memory requested but LibTorch has no CUDA; using pageable memory";
  }
  for (int i = 0; i < options_.num_workers; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

DataLoader::~DataLoader() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  work_ready_.notify_all();
  for (std::thread& worker : workers_) worker.join();
}

int64_t DataLoader::batches_per_epoch() const {
  const int64_t b = options_.batch_size;
  return options_.drop_last ? shard_size_ / b : (shard_size_ + b - 1) / b;
}

int64_t DataLoader::skipped_in_epoch() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return skipped_;
}

void DataLoader::StartEpoch(int64_t epoch, int64_t start_batch) {
  TORCH_CHECK(epoch >= 0, "DataLoader::StartEpoch: epoch is ", epoch, "; expected >= 0");
  TORCH_CHECK(start_batch >= 0, "DataLoader::StartEpoch: start_batch is ", start_batch, "; expected >= 0");
  std::unique_lock<std::mutex> lock(mutex_);
  // Stop handing out work of the previous epoch and let in-flight samples finish.
  window_.clear();
  num_batches_ = 0;
  batch_ready_.wait(lock, [this] { return busy_workers_ == 0; });
  ShardOptions shard;
  shard.shuffle = options_.shuffle;
  shard.seed = options_.seed;
  shard.rank = options_.rank;
  shard.world_size = options_.world_size;
  shard.drop_last = options_.sampler_drop_last;
  shard_ = ShardIndices(dataset_->size(), epoch, shard);
  epoch_ = epoch;
  num_batches_ = batches_per_epoch();
  next_to_return_ = next_to_create_ = std::min(start_batch, num_batches_);
  skipped_ = 0;
  last_skip_message_.clear();
  epoch_started_ = true;
  lock.unlock();
  work_ready_.notify_all();
}

std::shared_ptr<DataLoader::PendingBatch> DataLoader::CreateBatch(int64_t batch_index) {
  auto batch = std::make_shared<PendingBatch>();
  batch->epoch = epoch_;
  batch->batch_index = batch_index;
  const int64_t begin = batch_index * options_.batch_size;
  const int64_t end = std::min<int64_t>(begin + options_.batch_size, static_cast<int64_t>(shard_.size()));
  batch->indices.assign(shard_.begin() + begin, shard_.begin() + end);
  const int64_t rows = end - begin;
  batch->images = at::empty({rows, transform_->channels(), transform_->height(), transform_->width()},
                            at::TensorOptions().dtype(at::kFloat).pinned_memory(pin_));
  batch->labels = at::empty({rows}, at::TensorOptions().dtype(at::kLong).pinned_memory(pin_));
  batch->ok.assign(rows, 0);
  return batch;
}

bool DataLoader::ClaimWork(std::shared_ptr<PendingBatch>& batch, int& slot) {
  if (!epoch_started_) return false;
  for (const auto& pending : window_) {
    if (pending->next_slot < static_cast<int>(pending->indices.size())) {
      batch = pending;
      slot = pending->next_slot++;
      return true;
    }
  }
  if (next_to_create_ < num_batches_ && next_to_create_ < next_to_return_ + options_.prefetch_batches) {
    window_.push_back(CreateBatch(next_to_create_++));
    batch = window_.back();
    slot = batch->next_slot++;
    return true;
  }
  return false;
}

void DataLoader::LoadSample(PendingBatch& batch, int slot) {
  const int64_t index = batch.indices[slot];
  SampleRng rng(options_.seed, batch.epoch, index);
  TransformParams params;
  bool sampled = false;
  // Crops are drawn from the original size as soon as the decoder knows it, so the decoder can
  // shrink in the DCT by as much as the crop allows.
  const DownscaleFn downscale = [&](int height, int width) {
    params = transform_->Sample(height, width, rng);
    sampled = true;
    return transform_->MaxDownscale(params);
  };
  absl::StatusOr<Example> example = dataset_->Load(index, downscale);
  if (!example.ok()) {
    LOG(WARNING) << "DataLoader: skipping unreadable sample " << index << " (epoch " << batch.epoch
                 << ", batch " << batch.batch_index << "): " << example.status().message();
    std::lock_guard<std::mutex> lock(mutex_);
    ++skipped_;
    last_skip_message_ = std::string(example.status().message());
    return;
  }
  if (!sampled) params = transform_->Sample(example->image.height, example->image.width, rng);
  float* out = batch.images.data_ptr<float>() + slot * transform_->output_size();
  transform_->Apply(example->image, params, out);
  batch.labels.data_ptr<int64_t>()[slot] = example->label;
  batch.ok[slot] = 1;
}

void DataLoader::FinishBatch(PendingBatch& batch) {
  Batch& result = batch.result;
  result.epoch = batch.epoch;
  result.batch_index = batch.batch_index;
  std::vector<int64_t> good_rows;
  for (size_t i = 0; i < batch.ok.size(); ++i) {
    if (batch.ok[i]) {
      good_rows.push_back(static_cast<int64_t>(i));
      result.indices.push_back(batch.indices[i]);
    }
  }
  if (good_rows.size() == batch.ok.size()) {
    result.images = std::move(batch.images);
    result.labels = std::move(batch.labels);
  } else {
    at::Tensor rows = at::empty({static_cast<int64_t>(good_rows.size())}, at::TensorOptions().dtype(at::kLong));
    std::copy(good_rows.begin(), good_rows.end(), rows.data_ptr<int64_t>());
    result.images = at::index_select(batch.images, 0, rows);
    result.labels = at::index_select(batch.labels, 0, rows);
    batch.images.reset();
    batch.labels.reset();
  }
  if (mask_fn_ && !result.indices.empty()) {
    result.masks = mask_fn_(static_cast<int>(result.indices.size()), batch.epoch, batch.batch_index);
  }
}

void DataLoader::WorkerLoop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    std::shared_ptr<PendingBatch> batch;
    int slot = 0;
    work_ready_.wait(lock, [&] { return stop_ || ClaimWork(batch, slot); });
    if (stop_) return;
    ++busy_workers_;
    lock.unlock();
    LoadSample(*batch, slot);
    lock.lock();
    if (++batch->done == static_cast<int>(batch->indices.size())) {
      lock.unlock();
      FinishBatch(*batch);
      lock.lock();
      batch->ready = true;
    }
    --busy_workers_;
    batch_ready_.notify_all();
  }
}

absl::StatusOr<std::optional<Batch>> DataLoader::Next() {
  while (true) {
    std::shared_ptr<PendingBatch> batch;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      if (!epoch_started_) {
        return absl::FailedPreconditionError("DataLoader::Next called before StartEpoch");
      }
      if (next_to_return_ >= num_batches_) return std::optional<Batch>();
      if (workers_.empty()) {
        batch = CreateBatch(next_to_return_);
      } else {
        work_ready_.notify_all();
        batch_ready_.wait(lock, [this] { return !window_.empty() && window_.front()->ready; });
        batch = std::move(window_.front());
        window_.pop_front();
      }
      ++next_to_return_;
    }
    if (workers_.empty()) {
      for (size_t slot = 0; slot < batch->indices.size(); ++slot) LoadSample(*batch, static_cast<int>(slot));
      FinishBatch(*batch);
    } else {
      work_ready_.notify_all();  // a window slot is free again
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (skipped_ > options_.max_skipped_fraction * static_cast<double>(shard_size_)) {
        return absl::DataLossError(absl::StrCat(
            "DataLoader: ", skipped_, " of the ", shard_size_, " samples of epoch ", epoch_,
            " on rank ", options_.rank, " were unreadable, more than max_skipped_fraction = ",
            options_.max_skipped_fraction, " allows; last error: ", last_skip_message_));
      }
    }
    // A batch whose every sample was unreadable carries nothing: move on to the next one.
    if (batch->result.indices.empty()) continue;
    return std::optional<Batch>(std::move(batch->result));
  }
}

at::Tensor TransformToTensor(const Transform& transform, const Image& image, uint64_t seed, int64_t epoch,
                             int64_t index) {
  at::Tensor out = at::empty({transform.channels(), transform.height(), transform.width()},
                             at::TensorOptions().dtype(at::kFloat));
  transform.Run(image, seed, epoch, index, out.data_ptr<float>());
  return out;
}

DataLoader::Options LoaderOptionsFromConfig(const DataConfig& config, uint64_t seed, int rank, int world_size,
                                            bool shuffle, bool on_cuda) {
  DataLoader::Options o;
  o.batch_size = config.batch_size();
  o.num_workers = config.num_workers();
  o.shuffle = shuffle;
  o.drop_last = config.drop_last();
  o.seed = seed;
  o.rank = rank;
  o.world_size = world_size;
  o.max_skipped_fraction = config.max_skipped_fraction();
  o.pin_memory = config.pin_mem() && on_cuda;
  return o;
}

}  // namespace ijepa::data
