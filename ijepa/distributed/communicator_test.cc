#include "ijepa/distributed/communicator.h"

#include <chrono>
#include <cstdlib>
#include <functional>
#include <future>

#include <ATen/ATen.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ijepa/distributed/test_util.h"

namespace ijepa::distributed {
namespace {

using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

constexpr std::chrono::milliseconds kTimeout(5000);

DistributedEnv Env(int rank, int world_size, int port) {
  DistributedEnv env;
  env.rank = rank;
  env.world_size = world_size;
  env.local_rank = rank;
  env.master_addr = "127.0.0.1";
  env.master_port = port;
  return env;
}

// Runs `body(communicator)` for every rank of a world on threads of this process (Gloo over
// loopback TCP, exactly as across processes) and waits for all of them.
void RunRanks(int world_size, const std::function<void(Communicator&)>& body) {
  // LibTorch 2.x records every collective in c10d's process-wide FlightRecorder, whose
  // recordWithResetEnabled (2.11) inserts into a map before taking its mutex: process groups of
  // one process enqueuing at the same time, as the ranks-as-threads here do, crash it (a
  // SIGSEGV about once in 200 runs, seen in ProcessGroupGloo::enqueue). One process per rank,
  // as in training, never races there. A buffer size of 0 turns the recorder off; it is read
  // once, when the first process group is made. LibTorch 1.13 has no recorder.
  setenv("TORCH_FR_BUFFER_SIZE", "0", /*overwrite=*/1);
  const PortReservation reserved = testing::ReservePort();
  const int port = reserved.port();
  std::vector<std::future<void>> ranks;
  for (int rank = 0; rank < world_size; ++rank) {
    ranks.push_back(std::async(std::launch::async, [&, rank] {
      absl::StatusOr<std::unique_ptr<Communicator>> comm =
          Communicator::Create(Env(rank, world_size, port), torch::kCPU, kTimeout);
      ASSERT_TRUE(comm.ok()) << comm.status();
      body(**comm);
    }));
  }
  for (auto& rank : ranks) rank.get();
}

TEST(CommunicatorTest, BroadcastCopiesRootValuesInBuckets) {
  RunRanks(2, [](Communicator& comm) {
    comm.set_bucket_bytes(64);  // 16 floats: the tensors below need several buckets
    // Different values on each rank, like independent model initialisations.
    auto make = [](int rank) {
      const float k = static_cast<float>(rank + 1);
      return std::vector<at::Tensor>{at::arange(12, at::kFloat).view({3, 4}) * k,
                                     at::sin(at::arange(20, at::kFloat) * k),
                                     at::arange(5, at::kLong) * (rank + 1),
                                     (at::arange(4, at::kFloat).view({2, 2}) - k).t()};
    };
    std::vector<at::Tensor> tensors = make(comm.rank());
    tensors[0].requires_grad_();
    const std::vector<at::Tensor> expected = make(0);
    const int64_t before = comm.num_collectives();
    comm.Broadcast(tensors, /*root=*/0);
    // The layout check, float buckets {t0: 48 B} {t1: 80 B} {t3: 16 B} and the long bucket {t2}.
    EXPECT_EQ(comm.num_collectives() - before, 5);
    for (size_t i = 0; i < tensors.size(); ++i) {
      EXPECT_TRUE(at::equal(tensors[i], expected[i])) << "rank " << comm.rank() << " tensor " << i;
    }
    EXPECT_TRUE(tensors[0].requires_grad());
  });
}

TEST(CommunicatorTest, BroadcastFromAnotherRoot) {
  RunRanks(3, [](Communicator& comm) {
    std::vector<at::Tensor> tensors = {at::full({4}, comm.rank(), at::kFloat)};
    comm.Broadcast(tensors, /*root=*/2);
    EXPECT_TRUE(at::equal(tensors[0], at::full({4}, 2, at::kFloat)));
  });
}

TEST(CommunicatorTest, BroadcastRejectsDifferentModels) {
  RunRanks(2, [](Communicator& comm) {
    std::vector<at::Tensor> tensors = {at::zeros({comm.rank() == 0 ? 4 : 5})};
    if (comm.rank() == 0) {
      // Root sends the layout, then waits for a bucket the other rank never joins.
      EXPECT_THROW(comm.Broadcast(tensors), CommunicationError);
    } else {
      try {
        comm.Broadcast(tensors);
        ADD_FAILURE() << "a layout mismatch was accepted";
      } catch (const CommunicationError& e) {
        EXPECT_THAT(e.what(), HasSubstr("broadcasts 1 tensors of 5 elements in total but root "
                                        "rank 0 has 1 tensors of 4 elements"));
      }
    }
  });
}

TEST(CommunicatorTest, AllReduceMeanGradientsAveragesInBuckets) {
  RunRanks(2, [](Communicator& comm) {
    const float r = static_cast<float>(comm.rank());
    at::Tensor a = at::zeros({10}).requires_grad_();
    at::Tensor b = at::zeros({3, 3}).requires_grad_();
    at::Tensor unused_here = at::zeros({4}).requires_grad_();  // grad only on rank 0
    at::Tensor unused_everywhere = at::zeros({2}).requires_grad_();
    at::Tensor frozen = at::zeros({2});  // requires no grad: skipped
    at::Tensor empty = at::zeros({0, 3}).requires_grad_();
    empty.mutable_grad() = at::zeros({0, 3});
    a.mutable_grad() = at::full({10}, 1.0f + r);
    b.mutable_grad() = at::arange(9, at::kFloat).view({3, 3}).t() * (r + 1);  // non-contiguous
    if (comm.rank() == 0) unused_here.mutable_grad() = at::full({4}, 6.0f);
    comm.set_bucket_bytes(40);  // 10 floats per bucket: a | b | unused_here
    const int64_t before = comm.num_collectives();
    comm.AllReduceMeanGradients({a, b, unused_here, unused_everywhere, frozen, empty});
    EXPECT_EQ(comm.num_collectives() - before, 1 + 3);  // presence flags + 3 buckets
    EXPECT_TRUE(at::allclose(a.grad(), at::full({10}, 1.5f)));
    EXPECT_TRUE(at::allclose(b.grad(), at::arange(9, at::kFloat).view({3, 3}).t() * 1.5f));
    ASSERT_TRUE(unused_here.grad().defined()) << "rank " << comm.rank();
    EXPECT_TRUE(at::allclose(unused_here.grad(), at::full({4}, 3.0f)));
    EXPECT_FALSE(unused_everywhere.grad().defined());
    EXPECT_FALSE(frozen.grad().defined());
    EXPECT_EQ(empty.grad().numel(), 0);

    // Default 25 MB buckets: all three in one collective.
    comm.set_bucket_bytes(Communicator::kDefaultBucketBytes);
    const int64_t before_default = comm.num_collectives();
    comm.AllReduceMeanGradients({a, b, unused_here});
    EXPECT_EQ(comm.num_collectives() - before_default, 1 + 1);
  });
}

TEST(CommunicatorTest, AllReduceMeanAndBarrier) {
  RunRanks(3, [](Communicator& comm) {
    EXPECT_DOUBLE_EQ(comm.AllReduceMean(comm.rank() * 3.0 + 0.5), 3.5);
    comm.Barrier();
    EXPECT_EQ(comm.world_size(), 3);
  });
}

TEST(CommunicatorTest, SingleProcessIsTheIdentity) {
  DistributedEnv env;  // rank 0 of 1; no port is opened
  absl::StatusOr<std::unique_ptr<Communicator>> comm =
      Communicator::Create(env, torch::kCPU, kTimeout);
  ASSERT_TRUE(comm.ok()) << comm.status();
  at::Tensor p = at::zeros({3}).requires_grad_();
  p.mutable_grad() = at::full({3}, 2.0f);
  (*comm)->AllReduceMeanGradients({p});
  (*comm)->Broadcast({p});
  (*comm)->Barrier();
  EXPECT_TRUE(at::equal(p.grad(), at::full({3}, 2.0f)));
  EXPECT_EQ((*comm)->AllReduceMean(4.25), 4.25);
  EXPECT_EQ((*comm)->num_collectives(), 0);
}

TEST(CommunicatorTest, PeerThatNeverJoinsTimesOutNamingRankAndAddress) {
  const PortReservation reserved = testing::ReservePort();
  const int port = reserved.port();
  const auto start = Clock::now();
  absl::StatusOr<std::unique_ptr<Communicator>> comm =
      Communicator::Create(Env(0, 3, port), torch::kCPU, std::chrono::milliseconds(1000));
  const auto elapsed = Clock::now() - start;
  ASSERT_FALSE(comm.ok());
  EXPECT_EQ(comm.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(std::string(comm.status().message()),
              HasSubstr("ranks 1, 2 never joined the rendezvous at 127.0.0.1:" +
                        std::to_string(port) + " within 1000 ms"));
  // The rendezvous waits out its whole timeout before it gives up (how much longer a busy machine
  // takes is not this test's business; a hang is the test runner's timeout).
  EXPECT_GE(elapsed, std::chrono::milliseconds(1000));
}

TEST(CommunicatorTest, MissingRankZeroTimesOutNamingTheAddress) {
  // Held, so nothing listens there: rank 0 is missing for sure.
  const PortReservation reserved = testing::ReservePort();
  const int port = reserved.port();
  absl::StatusOr<std::unique_ptr<Communicator>> comm =
      Communicator::Create(Env(1, 2, port), torch::kCPU, std::chrono::milliseconds(1000));
  ASSERT_FALSE(comm.ok());
  EXPECT_EQ(comm.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(std::string(comm.status().message()),
              HasSubstr("rank 1 of 2 could not reach the rendezvous hosted by rank 0 at "
                        "127.0.0.1:" + std::to_string(port) + " within 1000 ms"));
}

TEST(CommunicatorTest, DuplicateRankIsAnError) {
  const PortReservation reserved = testing::ReservePort();
  const int port = reserved.port();
  auto start = [&](int rank) {
    return std::async(std::launch::async, [&, rank] {
      return Communicator::Create(Env(rank, 2, port), torch::kCPU, kTimeout);
    });
  };
  auto rank0 = start(0);
  auto rank1 = start(1);
  absl::StatusOr<std::unique_ptr<Communicator>> comm0 = rank0.get(), comm1 = rank1.get();
  ASSERT_TRUE(comm0.ok()) << comm0.status();
  ASSERT_TRUE(comm1.ok()) << comm1.status();
  // Rank 0's store is still up: a second process claiming rank 1 is turned away at once.
  absl::StatusOr<std::unique_ptr<Communicator>> duplicate =
      Communicator::Create(Env(1, 2, port), torch::kCPU, kTimeout);
  ASSERT_FALSE(duplicate.ok());
  EXPECT_THAT(std::string(duplicate.status().message()),
              HasSubstr("another process already joined the rendezvous at 127.0.0.1:" +
                        std::to_string(port) + " as rank 1 (two processes with the same RANK?)"));
}

TEST(CommunicatorTest, RanksMayStartBeforeRankZero) {
  const PortReservation reserved = testing::ReservePort();
  const int port = reserved.port();
  std::promise<void> rank1_started;
  auto rank1 = std::async(std::launch::async, [&] {
    rank1_started.set_value();
    auto comm = Communicator::Create(Env(1, 2, port), torch::kCPU, kTimeout);
    if (!comm.ok()) return comm.status();
    EXPECT_EQ((*comm)->AllReduceMean(3.0), 2.0);
    return absl::OkStatus();
  });
  // Rank 1 is inside Create, where nothing listens on the port yet (it is held, not served), and
  // it has not given up: it waits for rank 0 rather than failing.
  rank1_started.get_future().wait();
  ASSERT_EQ(rank1.wait_for(std::chrono::seconds(0)), std::future_status::timeout)
      << "rank 1 returned before rank 0 started: " << rank1.get();
  auto comm = Communicator::Create(Env(0, 2, port), torch::kCPU, kTimeout);
  ASSERT_TRUE(comm.ok()) << comm.status();
  EXPECT_EQ((*comm)->AllReduceMean(1.0), 2.0);
  absl::Status status = rank1.get();
  EXPECT_TRUE(status.ok()) << status;
}

TEST(CommunicatorTest, RejectsBadArguments) {
  EXPECT_EQ(Communicator::Create(Env(2, 2, 1234), torch::kCPU, kTimeout).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Communicator::Create(Env(0, 2, 0), torch::kCPU, kTimeout).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Communicator::Create(Env(0, 2, 1234), torch::kCPU, std::chrono::milliseconds(0))
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
#ifndef IJEPA_WITH_CUDA
  absl::Status cuda =
      Communicator::Create(Env(0, 2, 1234), torch::Device(torch::kCUDA, 0), kTimeout).status();
  EXPECT_EQ(cuda.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(cuda.message()), HasSubstr("--config=cuda"));
#endif
}

TEST(CommunicatorTest, PeerThatLeavesMakesCollectivesFail) {
  const PortReservation reserved = testing::ReservePort();
  const int port = reserved.port();
  std::promise<void> rank1_gone;
  auto rank1 = std::async(std::launch::async, [&] {
    auto comm = Communicator::Create(Env(1, 2, port), torch::kCPU, kTimeout);
    ASSERT_TRUE(comm.ok()) << comm.status();
    (*comm)->Barrier();
    comm->reset();  // closes its connections, as a process that dies
    rank1_gone.set_value();
  });
  auto comm = Communicator::Create(Env(0, 2, port), torch::kCPU, kTimeout);
  ASSERT_TRUE(comm.ok()) << comm.status();
  (*comm)->Barrier();
  rank1_gone.get_future().wait();
  rank1.get();
  try {
    (*comm)->AllReduceMean(1.0);
    ADD_FAILURE() << "a collective with a departed peer succeeded";
  } catch (const CommunicationError& e) {
    EXPECT_THAT(e.what(), HasSubstr("rank 0 of 2 (rendezvous 127.0.0.1:" + std::to_string(port) +
                                    "): all-reduce of a scalar failed"));
  }
}

}  // namespace
}  // namespace ijepa::distributed
