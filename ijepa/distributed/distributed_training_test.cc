// Multi-process tests of data-parallel training: real processes on 127.0.0.1, Gloo over TCP,
// started by the launcher library (as //tools:launch does) or one by one when a test needs to
// kill or stop a single rank.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "ijepa/distributed/launcher.h"
#include "ijepa/distributed/test_util.h"

namespace ijepa::distributed {
namespace {


std::string Trainer() { return testing::RunfilesPath("ijepa/distributed/toy_trainer"); }

std::vector<float> ReadFloats(const std::string& path) {
  const std::string bytes = testing::ReadFile(path);
  std::vector<float> values(bytes.size() / sizeof(float));
  std::memcpy(values.data(), bytes.data(), values.size() * sizeof(float));
  return values;
}

float MaxAbsDiff(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  float max = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) max = std::max(max, std::abs(a[i] - b[i]));
  return max;
}

// Trains with `nproc` processes through the launcher; returns the file prefix.
std::string Train(int nproc, const std::string& name, const std::vector<std::string>& flags) {
  LaunchOptions options;
  options.nproc_per_node = nproc;
  options.master_port = 0;  // a free port
  const std::string prefix = testing::TempPath(name);
  options.command = {Trainer(), "--out=" + prefix};
  options.command.insert(options.command.end(), flags.begin(), flags.end());
  absl::StatusOr<int> code = Launch(options);
  EXPECT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(code.value_or(-1), 0) << name;
  return prefix;
}

struct EqualityCase {
  std::string optimizer;
  std::string bucket_bytes;
};

class DataParallelEqualityTest : public ::testing::TestWithParam<EqualityCase> {};

// K steps on a global batch of B with 2 ranks (B/2 each, gradients averaged) give the parameters
// of 1 process on the whole batch of B, to fp32 rounding.
TEST_P(DataParallelEqualityTest, TwoProcessesMatchOneProcess) {
  const EqualityCase& c = GetParam();
  const std::vector<std::string> flags = {"--steps=6", "--global_batch=8",
                                          "--optimizer=" + c.optimizer,
                                          "--bucket_bytes=" + c.bucket_bytes};
  const std::string one = Train(1, "one_" + c.optimizer + c.bucket_bytes, flags);
  const std::string two = Train(2, "two_" + c.optimizer + c.bucket_bytes, flags);

  const std::vector<float> init = ReadFloats(one + ".init.r0");
  const std::vector<float> single = ReadFloats(one + ".final.r0");
  const std::vector<float> rank0 = ReadFloats(two + ".final.r0");
  const std::vector<float> rank1 = ReadFloats(two + ".final.r1");
  ASSERT_EQ(single.size(), 6u * 16 + 16 + 16 * 3 + 3);
  // Rank 1 started from its own seed; the broadcast gave it rank 0's (= the single run's) weights.
  EXPECT_EQ(MaxAbsDiff(ReadFloats(two + ".init.r1"), init), 0.0f);
  EXPECT_EQ(MaxAbsDiff(ReadFloats(two + ".init.r0"), init), 0.0f);
  // Training moved the weights far more than the tolerance, so the comparison means something.
  EXPECT_GT(MaxAbsDiff(single, init), 0.02f);
  // Both ranks apply the same averaged gradients: bitwise the same weights.
  EXPECT_EQ(MaxAbsDiff(rank0, rank1), 0.0f);
  EXPECT_LT(MaxAbsDiff(rank0, single), 1e-5f);
}

INSTANTIATE_TEST_SUITE_P(Optimizers, DataParallelEqualityTest,
                         ::testing::Values(EqualityCase{"sgd", "26214400"},  // one bucket
                                           EqualityCase{"adamw", "128"}),    // 8+ buckets
                         [](const auto& info) {
                           return info.param.optimizer + "_bucket" + info.param.bucket_bytes;
                         });

// Negative control: without the gradient all-reduce, the ranks drift apart and away from the
// single-process run, far beyond the tolerance above.
TEST(DataParallelTest, WithoutAllReduceRanksDiverge) {
  const std::vector<std::string> flags = {"--steps=6", "--global_batch=8", "--optimizer=adamw"};
  const std::string one = Train(1, "control_one", flags);
  std::vector<std::string> skip = flags;
  skip.push_back("--skip_allreduce");
  const std::string two = Train(2, "control_two", skip);
  EXPECT_GT(MaxAbsDiff(ReadFloats(two + ".final.r0"), ReadFloats(two + ".final.r1")), 1e-3f);
  EXPECT_GT(MaxAbsDiff(ReadFloats(two + ".final.r0"), ReadFloats(one + ".final.r0")), 1e-3f);
}

}  // namespace
}  // namespace ijepa::distributed
