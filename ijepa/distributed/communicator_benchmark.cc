// Collective throughput over this machine's loopback (or a real network, under SLURM / the
// launcher on several machines). Every rank runs the same benchmarks with fixed iteration counts so
// their collectives pair up; run it through the launcher:
//   bazel build --config=opt //ijepa/distributed:communicator_benchmark //tools:launch
//   bazel-out/k8-opt/bin/tools/launch --nproc_per_node=2 --
//     bazel-out/k8-opt/bin/ijepa/distributed/communicator_benchmark
#include <benchmark/benchmark.h>

#include <chrono>
#include <iostream>
#include <memory>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include "ijepa/distributed/communicator.h"
#include "ijepa/distributed/env.h"

namespace {

ijepa::distributed::Communicator* g_comm = nullptr;

// Gradients of a model of `mebibytes` MiB of fp32 parameters: per MiB one large tensor and two
// small ones (a transformer's layout: big weight matrices, small biases and norms).
std::vector<at::Tensor> Parameters(int64_t mebibytes) {
  std::vector<at::Tensor> params;
  for (int64_t i = 0; i < mebibytes; ++i) {
    for (int64_t numel : {int64_t{256 * 1024} - 1024, int64_t{768}, int64_t{256}}) {
      at::Tensor p = at::zeros({numel}).requires_grad_();
      p.mutable_grad() = at::randn({numel});
      params.push_back(p);
    }
  }
  return params;
}

void BM_AllReduceMeanGradients(benchmark::State& state) {
  const std::vector<at::Tensor> params = Parameters(state.range(0));
  int64_t bytes = 0;
  for (const at::Tensor& p : params) bytes += p.numel() * 4;
  for (auto _ : state) g_comm->AllReduceMeanGradients(params);
  state.SetBytesProcessed(state.iterations() * bytes);
  state.counters["buckets_per_call"] =
      static_cast<double>((bytes + g_comm->bucket_bytes() - 1) / g_comm->bucket_bytes());
}
// MiB of gradients: 6; 22 ~ ViT-Tiny (5.5M parameters); 100 ~ ViT-Small (22M) in 4 buckets.
BENCHMARK(BM_AllReduceMeanGradients)->Arg(6)->Arg(22)->Arg(100)->Iterations(10)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_AllReduceMeanScalar(benchmark::State& state) {
  double x = 1.0;
  for (auto _ : state) benchmark::DoNotOptimize(x = g_comm->AllReduceMean(x));
}
BENCHMARK(BM_AllReduceMeanScalar)->Iterations(200)->Unit(benchmark::kMicrosecond)->UseRealTime();

void BM_Broadcast(benchmark::State& state) {
  const std::vector<at::Tensor> params = Parameters(state.range(0));
  int64_t bytes = 0;
  for (const at::Tensor& p : params) bytes += p.numel() * 4;
  for (auto _ : state) g_comm->Broadcast(params);
  state.SetBytesProcessed(state.iterations() * bytes);
}
BENCHMARK(BM_Broadcast)->Arg(22)->Iterations(10)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  auto env = ijepa::distributed::DistributedEnvFromEnvironment();
  if (!env.ok()) {
    std::cerr << env.status() << "\n";
    return 1;
  }
  auto comm = ijepa::distributed::Communicator::Create(*env, at::kCPU, std::chrono::seconds(60));
  if (!comm.ok()) {
    std::cerr << comm.status() << "\n";
    return 1;
  }
  g_comm = comm->get();
  at::set_num_threads(1);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  g_comm->Barrier();
  return 0;
}
