// Test-only data-parallel trainer: a tiny MLP on fixed synthetic data, trained with the
// Communicator exactly as a real trainer uses it (broadcast at start, bucketed gradient mean after
// backward, loss mean for logging). Launched as 1 or N processes by the tests, which compare the
// parameters it writes, and kill or stop ranks mid-run.
//
// Files written (prefix = --out): PREFIX.init.rR and PREFIX.final.rR hold rank R's parameters
// (raw float32, in parameter order) after the start-up broadcast and after training;
// PREFIX.progress.rR holds the last step rank R finished.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <iostream>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/nn/functional/loss.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/linear.h>
#include <torch/optim/adamw.h>
#include <torch/optim/sgd.h>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "ijepa/common/atomic_file.h"
#include "ijepa/distributed/communicator.h"
#include "ijepa/distributed/env.h"

ABSL_FLAG(int, steps, 5, "Optimizer steps; negative: until the process is killed (tests act mid-run).");
ABSL_FLAG(int, global_batch, 8, "Samples per step over all ranks (divisible by WORLD_SIZE).");
ABSL_FLAG(std::string, optimizer, "sgd", "sgd (with momentum and weight decay) | adamw");
ABSL_FLAG(double, lr, 0.05, "Learning rate.");
ABSL_FLAG(std::string, out, "", "Prefix of the files written (see the top of this file).");
ABSL_FLAG(int, timeout_ms, 5000, "Rendezvous and collective timeout.");
ABSL_FLAG(int64_t, bucket_bytes, ijepa::distributed::Communicator::kDefaultBucketBytes,
          "Gradient bucket size.");
ABSL_FLAG(bool, skip_allreduce, false,
          "Negative control: do not average gradients (ranks then drift apart).");

namespace {

// Whole files, atomically: a test that reads one while this rank runs sees a complete file.
void WriteFile(const std::string& path, const std::string& contents) {
  if (absl::Status s = ijepa::common::WriteFileAtomically(path, contents); !s.ok()) {
    throw std::runtime_error(std::string(s.message()));
  }
}

void WriteParameters(const torch::nn::Module& model, const std::string& path) {
  std::string bytes;
  for (const torch::Tensor& p : model.parameters()) {
    torch::Tensor flat = p.detach().to(torch::kFloat).contiguous().view({-1});
    bytes.append(reinterpret_cast<const char*>(flat.data_ptr<float>()), flat.numel() * sizeof(float));
  }
  WriteFile(path, bytes);
}

int Run() {
  using ijepa::distributed::Communicator;
  absl::StatusOr<ijepa::distributed::DistributedEnv> env =
      ijepa::distributed::DistributedEnvFromEnvironment();
  if (!env.ok()) {
    std::cerr << env.status() << "\n";
    return 1;
  }
  const std::string out = absl::GetFlag(FLAGS_out);
  const int global_batch = absl::GetFlag(FLAGS_global_batch);
  if (out.empty() || global_batch % env->world_size != 0) {
    std::cerr << "--out is required and --global_batch must be divisible by WORLD_SIZE\n";
    return 1;
  }
  at::set_num_threads(1);
  absl::StatusOr<std::unique_ptr<Communicator>> comm = Communicator::Create(
      *env, torch::kCPU, std::chrono::milliseconds(absl::GetFlag(FLAGS_timeout_ms)));
  if (!comm.ok()) {
    std::cerr << comm.status() << "\n";
    return 1;
  }
  (*comm)->set_bucket_bytes(absl::GetFlag(FLAGS_bucket_bytes));
  const int rank = env->rank, world = env->world_size;

  // A different initialisation on every rank: only the broadcast makes them agree.
  torch::manual_seed(1234 + rank);
  torch::nn::Sequential model(torch::nn::Linear(6, 16), torch::nn::Tanh(), torch::nn::Linear(16, 3));
  std::vector<torch::Tensor> state = model->parameters();
  (*comm)->Broadcast(state);
  WriteParameters(*model, out + ".init.r" + std::to_string(rank));

  std::unique_ptr<torch::optim::Optimizer> optimizer;
  const double lr = absl::GetFlag(FLAGS_lr);
  if (absl::GetFlag(FLAGS_optimizer) == "adamw") {
    optimizer = std::make_unique<torch::optim::AdamW>(
        model->parameters(), torch::optim::AdamWOptions(lr).weight_decay(0.05));
  } else {
    optimizer = std::make_unique<torch::optim::SGD>(
        model->parameters(), torch::optim::SGDOptions(lr).momentum(0.9).weight_decay(1e-3));
  }

  const int64_t local_batch = global_batch / world;
  const int steps = absl::GetFlag(FLAGS_steps);
  for (int step = 0; steps < 0 || step < steps; ++step) {
    // The same global batch on every rank (seeded by step); each takes its contiguous shard.
    auto gen = at::make_generator<at::CPUGeneratorImpl>(777 + step);
    torch::Tensor x = at::randn({global_batch, 6}, gen);
    torch::Tensor y = at::randn({global_batch, 3}, gen);
    x = x.narrow(0, rank * local_batch, local_batch);
    y = y.narrow(0, rank * local_batch, local_batch);
    optimizer->zero_grad();
    torch::Tensor loss = torch::mse_loss(model->forward(x), y);
    loss.backward();
    if (!absl::GetFlag(FLAGS_skip_allreduce)) (*comm)->AllReduceMeanGradients(model->parameters());
    optimizer->step();
    const double mean_loss = (*comm)->AllReduceMean(loss.item<double>());
    if (rank == 0) std::cout << "step " << step << " loss " << mean_loss << std::endl;
    WriteFile(out + ".progress.r" + std::to_string(rank), std::to_string(step) + "\n");
  }
  (*comm)->Barrier();
  WriteParameters(*model, out + ".final.r" + std::to_string(rank));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  try {
    return Run();
  } catch (const std::exception& e) {
    // A CommunicationError (peer died or timed out) ends the job: say why and exit non-zero.
    std::cerr << "toy_trainer: " << e.what() << std::endl;
    return 1;
  }
}
