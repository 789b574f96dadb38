#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <torch/types.h>

#include "absl/status/statusor.h"
#include "ijepa/distributed/env.h"

namespace ijepa::distributed {

// Thrown by the collectives when a peer dies, stops answering within the timeout, or disagrees on
// the tensors (shapes, count). The message names this rank, the operation and the rendezvous
// address. A binary lets it reach main(), logs it and exits non-zero: the job cannot continue.
class CommunicationError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Data-parallel collectives over one c10d process group: Gloo for CPU tensors, NCCL for CUDA
// tensors (builds with IJEPA_WITH_CUDA). Every rank must make the same calls in the same order with
// tensors of the same shapes and dtypes. Not thread-safe.
class Communicator {
 public:
  // Gradients are reduced in flat buckets of at most this many bytes: one collective per bucket,
  // not per tensor (as DistributedDataParallel's bucket_cap_mb = 25).
  static constexpr int64_t kDefaultBucketBytes = 25 * 1024 * 1024;

  // Rendezvous through a c10d TCPStore hosted by rank 0 at env.master_addr:env.master_port, then
  // builds the process group. `device` is where the tensors live: CPU selects Gloo; CUDA selects
  // NCCL on GPU env.local_rank (the caller passes that device; a mismatch is an error). `timeout`
  // bounds the rendezvous (a peer that never joins) and every collective (a peer that died or
  // hangs). Errors name the rank and the address.
  static absl::StatusOr<std::unique_ptr<Communicator>> Create(const DistributedEnv& env,
                                                             torch::Device device,
                                                             std::chrono::milliseconds timeout);
  ~Communicator();
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;

  int rank() const { return env_.rank; }
  int world_size() const { return env_.world_size; }
  int local_rank() const { return env_.local_rank; }
  const DistributedEnv& env() const { return env_; }
  torch::Device device() const { return device_; }
  std::chrono::milliseconds timeout() const { return timeout_; }

  int64_t bucket_bytes() const { return bucket_bytes_; }
  void set_bucket_bytes(int64_t bytes);

  // Overwrites `tensors` (in place, no autograd) with root's values: parameters and buffers at the
  // start of training so that every rank begins from rank 0's initialisation. First checks that
  // every rank passes the same number of tensors with the same total size.
  void Broadcast(const std::vector<torch::Tensor>& tensors, int root = 0);

  // Replaces each parameter's .grad() with its mean over ranks. Parameters that do not require
  // grad are skipped. A parameter with no grad on some ranks counts as zero there; it gets the mean
  // if any rank had a grad, and stays without grad if none had (as an optimizer then skips it).
  void AllReduceMeanGradients(const std::vector<torch::Tensor>& parameters);

  // Mean of `value` over ranks (the loss, for logging).
  double AllReduceMean(double value);

  // Returns when every rank has called it.
  void Barrier();

  // Number of collectives issued so far (tests check the bucketing with it).
  int64_t num_collectives() const { return num_collectives_; }

  // Internal: the process group behind the collectives (defined in communicator.cc).
  class Backend;

 private:
  Communicator(const DistributedEnv& env, torch::Device device, std::chrono::milliseconds timeout,
               std::unique_ptr<Backend> backend);

  // Runs one collective op and turns any failure into a CommunicationError naming `what`.
  enum class Op { kBroadcast, kAllReduceSum, kBarrier };
  void Run(Op op, std::vector<torch::Tensor>& tensors, int root, const std::string& what);

  DistributedEnv env_;
  torch::Device device_;
  std::chrono::milliseconds timeout_;
  int64_t bucket_bytes_ = kDefaultBucketBytes;
  int64_t num_collectives_ = 0;
  std::unique_ptr<Backend> backend_;
};

}  // namespace ijepa::distributed
