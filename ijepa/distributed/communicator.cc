#include "ijepa/distributed/communicator.h"

#include <unistd.h>

#include <algorithm>
#include <thread>
#include <utility>

#include <ATen/ATen.h>
#include <c10/util/Exception.h>
#include <ATen/core/grad_mode.h>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/csrc/distributed/c10d/Types.hpp>
#include <torch/csrc/distributed/c10d/Work.hpp>

#ifdef IJEPA_WITH_CUDA
#include <c10/cuda/CUDAFunctions.h>
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "glog/logging.h"

namespace ijepa::distributed {

// The three collectives this file needs, over whichever c10d process group was built. A template
// over the group type, not the common base class, because that base changed between LibTorch 1.13
// (ProcessGroup) and 2.x (Backend) while these member functions did not.
class Communicator::Backend {
 public:
  virtual ~Backend() = default;
  virtual c10::intrusive_ptr<c10d::Work> Broadcast(std::vector<at::Tensor>& tensors, int root) = 0;
  virtual c10::intrusive_ptr<c10d::Work> AllReduceSum(std::vector<at::Tensor>& tensors) = 0;
};

namespace {

template <typename Group>
class C10dBackend : public Communicator::Backend {
 public:
  C10dBackend(c10::intrusive_ptr<c10d::Store> store, c10::intrusive_ptr<Group> group)
      : store_(std::move(store)), group_(std::move(group)) {}

  c10::intrusive_ptr<c10d::Work> Broadcast(std::vector<at::Tensor>& tensors, int root) override {
    c10d::BroadcastOptions options;
    options.rootRank = root;
    return group_->broadcast(tensors, options);
  }
  c10::intrusive_ptr<c10d::Work> AllReduceSum(std::vector<at::Tensor>& tensors) override {
    return group_->allreduce(tensors, c10d::AllreduceOptions());  // default op: SUM
  }

 private:
  c10::intrusive_ptr<c10d::Store> store_;  // rank 0's store serves the others: keep it alive
  c10::intrusive_ptr<Group> group_;
};

std::string Address(const DistributedEnv& env) {
  return absl::StrCat(env.master_addr, ":", env.master_port);
}

std::string ExceptionText(const std::exception& e) {
  // c10::Error::what() appends a C++ backtrace; the short form is what a user needs.
  if (const auto* c10_error = dynamic_cast<const c10::Error*>(&e)) {
    return c10_error->what_without_backtrace();
  }
  return e.what();
}

std::string HostName() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0) return "unknown-host";
  return name;
}

std::vector<uint8_t> Bytes(const std::string& text) { return {text.begin(), text.end()}; }

// Rendezvous: rank 0 hosts a TCPStore, every rank registers under its rank, and every rank waits
// until all have. Done here rather than left to the process group so that a missing peer is
// reported by rank number and a duplicated RANK is caught.
absl::StatusOr<c10::intrusive_ptr<c10d::Store>> Rendezvous(const DistributedEnv& env,
                                                          std::chrono::milliseconds timeout) {
  const std::string where = absl::StrCat("rank ", env.rank, " of ", env.world_size);
  c10d::TCPStoreOptions options;
  options.port = static_cast<uint16_t>(env.master_port);
  options.isServer = env.rank == 0;
  options.numWorkers = env.world_size;
  options.waitWorkers = false;  // waited for below, with a message that names the missing ranks
  options.timeout = timeout;
  c10::intrusive_ptr<c10d::Store> store;
  try {
    store = c10::make_intrusive<c10d::TCPStore>(env.master_addr, options);
  } catch (const std::exception& e) {
    if (env.rank == 0) {
      return absl::UnavailableError(absl::StrCat(
          where, " could not host the rendezvous at ", Address(env),
          " (is the port in use, or MASTER_ADDR not this machine?): ", ExceptionText(e)));
    }
    return absl::DeadlineExceededError(
        absl::StrCat(where, " could not reach the rendezvous hosted by rank 0 at ", Address(env),
                     " within ", timeout.count(), " ms: ", ExceptionText(e)));
  }

  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<std::string> keys;
  for (int r = 0; r < env.world_size; ++r) keys.push_back(absl::StrCat("ijepa/joined/", r));
  try {
    if (store->add(keys[env.rank], 1) != 1) {
      return absl::FailedPreconditionError(
          absl::StrCat(where, ": another process already joined the rendezvous at ", Address(env),
                       " as rank ", env.rank, " (two processes with the same RANK?)"));
    }
    store->set(absl::StrCat("ijepa/host/", env.rank), Bytes(HostName()));
    while (!store->check(keys)) {
      if (std::chrono::steady_clock::now() >= deadline) {
        std::vector<int> missing;
        for (int r = 0; r < env.world_size; ++r) {
          if (!store->check({keys[r]})) missing.push_back(r);
        }
        return absl::DeadlineExceededError(absl::StrCat(
            where, ": rank", missing.size() > 1 ? "s " : " ", absl::StrJoin(missing, ", "),
            " never joined the rendezvous at ", Address(env), " within ", timeout.count(),
            " ms (WORLD_SIZE=", env.world_size, ")"));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat(where, ": the rendezvous at ", Address(env),
                                               " failed: ", ExceptionText(e)));
  }
  return store;
}

bool IsLoopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

// Gloo's transport device: the interfaces in GLOO_SOCKET_IFNAME (as torch.distributed), loopback
// for a job on 127.0.0.1, else the address this host name resolves to.
std::vector<std::shared_ptr<::gloo::transport::Device>> GlooDevices(const DistributedEnv& env) {
  std::vector<std::shared_ptr<::gloo::transport::Device>> devices;
  if (const char* interfaces = std::getenv("GLOO_SOCKET_IFNAME"); interfaces && *interfaces) {
    std::vector<std::string> names = absl::StrSplit(interfaces, ',', absl::SkipEmpty());
    for (const std::string& name : names) {
      devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(name));
    }
  } else if (IsLoopback(env.master_addr)) {
    devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
  } else {
    devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
  }
  return devices;
}

absl::StatusOr<std::unique_ptr<Communicator::Backend>> CreateGloo(
    const DistributedEnv& env, c10::intrusive_ptr<c10d::Store> store,
    std::chrono::milliseconds timeout) {
  auto options = c10d::ProcessGroupGloo::Options::create(timeout);
  options->threads = 2;
  try {
    options->devices = GlooDevices(env);
    auto group = c10::make_intrusive<c10d::ProcessGroupGloo>(
        c10::make_intrusive<c10d::PrefixStore>("ijepa/gloo", store), env.rank, env.world_size,
        options);
    return std::unique_ptr<Communicator::Backend>(
        new C10dBackend<c10d::ProcessGroupGloo>(store, group));
  } catch (const std::exception& e) {
    return absl::UnavailableError(
        absl::StrCat("rank ", env.rank, " of ", env.world_size, ": connecting Gloo through ",
                     Address(env), " failed (set GLOO_SOCKET_IFNAME to the network interface "
                     "the machines share if the host name resolves to a wrong address): ",
                     ExceptionText(e)));
  }
}

#ifdef IJEPA_WITH_CUDA
absl::StatusOr<std::unique_ptr<Communicator::Backend>> CreateNccl(
    const DistributedEnv& env, c10::intrusive_ptr<c10d::Store> store, c10::Device device,
    std::chrono::milliseconds timeout) {
  // Without async error handling a collective whose peer died blocks its CUDA stream forever; with
  // it, ProcessGroupNCCL's watchdog aborts the communicator after `timeout` and ends the process.
  // Read when the group is constructed; an explicit user setting wins. (LibTorch >= 2.2 reads the
  // TORCH_-prefixed name.)
  setenv("NCCL_ASYNC_ERROR_HANDLING", "1", /*overwrite=*/0);
  setenv("TORCH_NCCL_ASYNC_ERROR_HANDLING", "1", /*overwrite=*/0);
  try {
    c10::cuda::set_device(device.index());
    auto options = c10d::ProcessGroupNCCL::Options::create();
    options->timeout = timeout;
    auto group = c10::make_intrusive<c10d::ProcessGroupNCCL>(
        c10::make_intrusive<c10d::PrefixStore>("ijepa/nccl", store), env.rank, env.world_size,
        options);
    return std::unique_ptr<Communicator::Backend>(
        new C10dBackend<c10d::ProcessGroupNCCL>(store, group));
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("rank ", env.rank, " of ", env.world_size,
                                               ": creating the NCCL group on ", device.str(),
                                               " through ", Address(env),
                                               " failed: ", ExceptionText(e)));
  }
}
#endif  // IJEPA_WITH_CUDA

// Tensors grouped for one flat collective: same dtype, at most `bucket_bytes` (a larger tensor
// gets a bucket of its own). Indices keep the callers' order, identical on every rank.
std::vector<std::vector<size_t>> MakeBuckets(const std::vector<at::Tensor>& tensors,
                                             int64_t bucket_bytes) {
  std::vector<std::vector<size_t>> buckets;
  std::vector<std::pair<at::ScalarType, size_t>> open;  // dtype -> index of its filling bucket
  std::vector<int64_t> filled;                          // bytes in each bucket
  for (size_t i = 0; i < tensors.size(); ++i) {
    const at::ScalarType dtype = tensors[i].scalar_type();
    const int64_t bytes = tensors[i].numel() * static_cast<int64_t>(tensors[i].element_size());
    auto it = std::find_if(open.begin(), open.end(), [&](const auto& e) { return e.first == dtype; });
    if (it == open.end() || filled[it->second] + bytes > bucket_bytes) {
      buckets.emplace_back();
      filled.push_back(0);
      if (it == open.end()) {
        open.emplace_back(dtype, buckets.size() - 1);
      } else {
        it->second = buckets.size() - 1;
      }
      it = std::find_if(open.begin(), open.end(), [&](const auto& e) { return e.first == dtype; });
    }
    buckets[it->second].push_back(i);
    filled[it->second] += bytes;
  }
  return buckets;
}

int64_t TotalNumel(const std::vector<at::Tensor>& tensors, const std::vector<size_t>& bucket) {
  int64_t numel = 0;
  for (size_t i : bucket) numel += tensors[i].numel();
  return numel;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Communicator>> Communicator::Create(
    const DistributedEnv& env, torch::Device device, std::chrono::milliseconds timeout) {
  if (env.world_size < 1 || env.rank < 0 || env.rank >= env.world_size || env.local_rank < 0) {
    return absl::InvalidArgumentError(absl::StrCat("invalid distributed environment: rank ",
                                                   env.rank, ", world_size ", env.world_size,
                                                   ", local_rank ", env.local_rank));
  }
  if (env.master_port < 1 || env.master_port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid master_port ", env.master_port, ": expected 1..65535"));
  }
  if (timeout.count() <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid timeout ", timeout.count(), " ms: expected > 0"));
  }
  if (device.is_cuda()) {
#ifdef IJEPA_WITH_CUDA
    // The local rank selects the GPU unless the caller named one.
    if (!device.has_index()) device = torch::Device(torch::kCUDA, env.local_rank);
#else
    return absl::FailedPreconditionError(
        "device " + device.str() +
        " needs NCCL: build with --config=cuda against a CUDA LibTorch (see docs/distributed.md)");
#endif
  } else if (!device.is_cpu()) {
    return absl::InvalidArgumentError("distributed training supports cpu (Gloo) and cuda (NCCL) "
                                      "devices, not " + device.str());
  }
  if (env.world_size == 1) {
    // Nothing to talk to: every collective is the identity, and no port is opened.
    return std::unique_ptr<Communicator>(new Communicator(env, device, timeout, nullptr));
  }

  absl::StatusOr<c10::intrusive_ptr<c10d::Store>> store = Rendezvous(env, timeout);
  if (!store.ok()) return store.status();
  absl::StatusOr<std::unique_ptr<Backend>> backend;
  if (device.is_cuda()) {
#ifdef IJEPA_WITH_CUDA
    backend = CreateNccl(env, *store, device, timeout);
#endif
  } else {
    backend = CreateGloo(env, *store, timeout);
  }
  if (!backend.ok()) return backend.status();
  LOG(INFO) << "rank " << env.rank << " of " << env.world_size << " joined the rendezvous at "
            << Address(env) << " (" << (device.is_cuda() ? "nccl on " + device.str() : "gloo")
            << ", timeout " << timeout.count() << " ms)";
  return std::unique_ptr<Communicator>(
      new Communicator(env, device, timeout, *std::move(backend)));
}

Communicator::Communicator(const DistributedEnv& env, torch::Device device,
                           std::chrono::milliseconds timeout, std::unique_ptr<Backend> backend)
    : env_(env), device_(device), timeout_(timeout), backend_(std::move(backend)) {}

Communicator::~Communicator() = default;

void Communicator::set_bucket_bytes(int64_t bytes) {
  TORCH_CHECK(bytes > 0, "bucket size must be positive, got ", bytes, " bytes");
  bucket_bytes_ = bytes;
}

void Communicator::Run(Op op, std::vector<torch::Tensor>& tensors, int root,
                       const std::string& what) {
  ++num_collectives_;
  try {
    c10::intrusive_ptr<c10d::Work> work =
        op == Op::kBroadcast ? backend_->Broadcast(tensors, root) : backend_->AllReduceSum(tensors);
    work->wait();
  } catch (const std::exception& e) {
    throw CommunicationError(absl::StrCat(
        "rank ", env_.rank, " of ", env_.world_size, " (rendezvous ", Address(env_), "): ", what,
        " failed; a peer died or did not answer within ", timeout_.count(),
        " ms: ", ExceptionText(e)));
  }
}

void Communicator::Broadcast(const std::vector<torch::Tensor>& tensors, int root) {
  TORCH_CHECK(root >= 0 && root < env_.world_size, "broadcast root ", root,
              " is not a rank of a world of ", env_.world_size);
  if (env_.world_size == 1) return;
  for (const torch::Tensor& t : tensors) {
    TORCH_CHECK(t.defined() && t.device() == device_, "Broadcast: every tensor must live on ",
                device_.str());
  }
  at::NoGradGuard no_grad;
  // Same tensors on every rank? A mismatch would otherwise garble the weights or hang.
  int64_t numel = 0;
  for (const torch::Tensor& t : tensors) numel += t.numel();
  std::vector<int64_t> local_layout = {static_cast<int64_t>(tensors.size()), numel};
  torch::Tensor layout = at::tensor(local_layout, at::kLong).to(device_);
  std::vector<torch::Tensor> layout_vec = {layout};
  Run(Op::kBroadcast, layout_vec, root, "broadcast of the tensor layout");
  torch::Tensor root_layout = layout.cpu();
  if (root_layout[0].item<int64_t>() != static_cast<int64_t>(tensors.size()) ||
      root_layout[1].item<int64_t>() != numel) {
    throw CommunicationError(absl::StrCat(
        "rank ", env_.rank, " broadcasts ", tensors.size(), " tensors of ", numel,
        " elements in total but root rank ", root, " has ", root_layout[0].item<int64_t>(),
        " tensors of ", root_layout[1].item<int64_t>(), " elements: the models differ"));
  }

  std::vector<std::vector<size_t>> buckets = MakeBuckets(tensors, bucket_bytes_);
  for (size_t b = 0; b < buckets.size(); ++b) {
    const std::vector<size_t>& bucket = buckets[b];
    if (TotalNumel(tensors, bucket) == 0) continue;  // same shapes everywhere: skipped by all
    torch::Tensor flat = at::empty({TotalNumel(tensors, bucket)}, tensors[bucket[0]].options());
    if (env_.rank == root) {
      int64_t offset = 0;
      for (size_t i : bucket) {
        flat.narrow(0, offset, tensors[i].numel()).copy_(tensors[i].reshape({-1}));
        offset += tensors[i].numel();
      }
    }
    std::vector<torch::Tensor> flat_vec = {flat};
    Run(Op::kBroadcast, flat_vec, root,
        absl::StrCat("broadcast of bucket ", b + 1, " of ", buckets.size()));
    if (env_.rank != root) {
      int64_t offset = 0;
      for (size_t i : bucket) {
        tensors[i].copy_(flat.narrow(0, offset, tensors[i].numel()).view(tensors[i].sizes()));
        offset += tensors[i].numel();
      }
    }
  }
}

void Communicator::AllReduceMeanGradients(const std::vector<torch::Tensor>& parameters) {
  if (env_.world_size == 1) return;
  std::vector<torch::Tensor> params;
  for (const torch::Tensor& p : parameters) {
    TORCH_CHECK(p.defined(), "AllReduceMeanGradients: undefined parameter");
    if (!p.requires_grad()) continue;
    TORCH_CHECK(p.device() == device_, "AllReduceMeanGradients: parameter on ", p.device().str(),
                ", expected ", device_.str());
    TORCH_CHECK(!p.grad().defined() || !p.grad().is_sparse(),
                "AllReduceMeanGradients: sparse gradients are not supported");
    params.push_back(p);
  }
  if (params.empty()) return;
  at::NoGradGuard no_grad;

  // How many ranks have a gradient for each parameter (an unused parameter has none).
  torch::Tensor has_grad = at::empty({static_cast<int64_t>(params.size())},
                                        at::TensorOptions().dtype(at::kInt));
  auto has_grad_a = has_grad.accessor<int32_t, 1>();
  for (size_t i = 0; i < params.size(); ++i) has_grad_a[i] = params[i].grad().defined() ? 1 : 0;
  std::vector<torch::Tensor> has_grad_vec = {has_grad.to(device_)};
  Run(Op::kAllReduceSum, has_grad_vec, 0, "all-reduce of the gradient presence flags");
  torch::Tensor ranks_with_grad = has_grad_vec[0].cpu();
  auto ranks_with_grad_a = ranks_with_grad.accessor<int32_t, 1>();

  std::vector<torch::Tensor> reduced;  // the parameters that some rank has a gradient for
  for (size_t i = 0; i < params.size(); ++i) {
    if (ranks_with_grad_a[i] > 0) reduced.push_back(params[i]);
  }
  const double scale = 1.0 / env_.world_size;
  std::vector<std::vector<size_t>> buckets = MakeBuckets(reduced, bucket_bytes_);
  for (size_t b = 0; b < buckets.size(); ++b) {
    const std::vector<size_t>& bucket = buckets[b];
    if (TotalNumel(reduced, bucket) == 0) continue;  // same shapes everywhere: skipped by all
    torch::Tensor flat = at::empty({TotalNumel(reduced, bucket)}, reduced[bucket[0]].options());
    int64_t offset = 0;
    for (size_t i : bucket) {
      torch::Tensor slice = flat.narrow(0, offset, reduced[i].numel());
      const torch::Tensor& grad = reduced[i].grad();
      if (grad.defined()) {
        slice.copy_(grad.reshape({-1}));
      } else {
        slice.zero_();
      }
      offset += reduced[i].numel();
    }
    std::vector<torch::Tensor> flat_vec = {flat};
    Run(Op::kAllReduceSum, flat_vec, 0,
        absl::StrCat("all-reduce of gradient bucket ", b + 1, " of ", buckets.size()));
    flat.mul_(scale);
    offset = 0;
    for (size_t i : bucket) {
      torch::Tensor mean = flat.narrow(0, offset, reduced[i].numel()).view(reduced[i].sizes());
      if (reduced[i].grad().defined()) {
        reduced[i].mutable_grad().copy_(mean);
      } else {
        reduced[i].mutable_grad() = mean.clone();
      }
      offset += reduced[i].numel();
    }
  }
}

double Communicator::AllReduceMean(double value) {
  if (env_.world_size == 1) return value;
  std::vector<torch::Tensor> tensors = {
      at::full({1}, value, at::TensorOptions().dtype(at::kDouble).device(device_))};
  Run(Op::kAllReduceSum, tensors, 0, "all-reduce of a scalar");
  return tensors[0].item<double>() / env_.world_size;
}

void Communicator::Barrier() {
  if (env_.world_size == 1) return;
  // An all-reduce of one element, read on the host: a barrier on every backend, without
  // ProcessGroupNCCL::barrier's guess of which GPU this rank uses.
  std::vector<torch::Tensor> tensors = {
      at::zeros({1}, at::TensorOptions().dtype(at::kInt).device(device_))};
  Run(Op::kAllReduceSum, tensors, 0, "barrier");
  (void)tensors[0].item<int32_t>();
}

}  // namespace ijepa::distributed
