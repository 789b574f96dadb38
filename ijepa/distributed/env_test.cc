#include "ijepa/distributed/env.h"

#include <map>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ijepa::distributed {
namespace {

using ::testing::HasSubstr;

absl::StatusOr<DistributedEnv> Parse(const std::map<std::string, std::string>& vars) {
  return DistributedEnvFromLookup([&](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  });
}

TEST(DistributedEnvTest, NothingSetIsASingleProcess) {
  absl::StatusOr<DistributedEnv> env = Parse({{"HOME", "/root"}});
  ASSERT_TRUE(env.ok()) << env.status();
  EXPECT_EQ(env->rank, 0);
  EXPECT_EQ(env->world_size, 1);
  EXPECT_EQ(env->local_rank, 0);
}

TEST(DistributedEnvTest, TorchrunVariables) {
  absl::StatusOr<DistributedEnv> env = Parse({{"RANK", "5"},
                                              {"WORLD_SIZE", "8"},
                                              {"LOCAL_RANK", "1"},
                                              {"MASTER_ADDR", "10.0.0.7"},
                                              {"MASTER_PORT", "12345"}});
  ASSERT_TRUE(env.ok()) << env.status();
  EXPECT_EQ(env->rank, 5);
  EXPECT_EQ(env->world_size, 8);
  EXPECT_EQ(env->local_rank, 1);
  EXPECT_EQ(env->master_addr, "10.0.0.7");
  EXPECT_EQ(env->master_port, 12345);
}

TEST(DistributedEnvTest, TorchrunWinsOverSlurm) {
  absl::StatusOr<DistributedEnv> env =
      Parse({{"RANK", "1"}, {"WORLD_SIZE", "2"}, {"LOCAL_RANK", "1"}, {"MASTER_ADDR", "h"},
             {"MASTER_PORT", "29501"}, {"SLURM_PROCID", "7"}, {"SLURM_NTASKS", "16"},
             {"SLURM_LOCALID", "3"}, {"SLURM_JOB_NODELIST", "node[1-4]"}});
  ASSERT_TRUE(env.ok()) << env.status();
  EXPECT_EQ(env->rank, 1);
  EXPECT_EQ(env->world_size, 2);
  EXPECT_EQ(env->master_addr, "h");
}

TEST(DistributedEnvTest, SingleRankTorchrunNeedsNoMaster) {
  absl::StatusOr<DistributedEnv> env = Parse({{"RANK", "0"}, {"WORLD_SIZE", "1"}, {"LOCAL_RANK", "0"}});
  ASSERT_TRUE(env.ok()) << env.status();
  EXPECT_EQ(env->world_size, 1);
}

TEST(DistributedEnvTest, TorchrunErrorsNameTheVariable) {
  const std::map<std::string, std::string> good = {{"RANK", "1"}, {"WORLD_SIZE", "2"},
                                                   {"LOCAL_RANK", "1"}, {"MASTER_ADDR", "h"},
                                                   {"MASTER_PORT", "29501"}};
  struct Case {
    std::string variable, value, expected;  // value "" = unset
  };
  for (const Case& c : std::vector<Case>{
           {"RANK", "one", "RANK='one': expected an integer"},
           {"RANK", "2", "RANK=2 is not below WORLD_SIZE=2"},
           {"RANK", "-1", "RANK='-1': expected an integer in [0,"},
           {"WORLD_SIZE", "0", "WORLD_SIZE='0': expected an integer in [1,"},
           {"WORLD_SIZE", "2x", "WORLD_SIZE='2x'"},
           {"WORLD_SIZE", " 2", "WORLD_SIZE=' 2'"},
           {"LOCAL_RANK", "", "LOCAL_RANK is not set"},
           {"WORLD_SIZE", "", "WORLD_SIZE is not set"},
           {"MASTER_ADDR", "", "MASTER_ADDR is not set"},
           {"MASTER_ADDR", "a b", "MASTER_ADDR='a b'"},
           {"MASTER_PORT", "", "MASTER_PORT is not set"},
           {"MASTER_PORT", "70000", "MASTER_PORT='70000': expected an integer in [1, 65535]"},
           {"MASTER_PORT", "http", "MASTER_PORT='http': expected an integer"},
       }) {
    std::map<std::string, std::string> vars = good;
    if (c.value.empty()) {
      vars.erase(c.variable);
    } else {
      vars[c.variable] = c.value;
    }
    absl::StatusOr<DistributedEnv> env = Parse(vars);
    ASSERT_FALSE(env.ok()) << c.variable << "=" << c.value;
    EXPECT_EQ(env.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(env.status().message()), HasSubstr(c.expected));
  }
}

TEST(DistributedEnvTest, SlurmVariables) {
  absl::StatusOr<DistributedEnv> env =
      Parse({{"SLURM_PROCID", "9"}, {"SLURM_NTASKS", "16"}, {"SLURM_LOCALID", "1"},
             {"SLURM_JOB_NODELIST", "gpu[003-005,007]"}, {"SLURM_NODELIST", "other1"}});
  ASSERT_TRUE(env.ok()) << env.status();
  EXPECT_EQ(env->rank, 9);
  EXPECT_EQ(env->world_size, 16);
  EXPECT_EQ(env->local_rank, 1);
  EXPECT_EQ(env->master_addr, "gpu003");  // SLURM_JOB_NODELIST first, zero padding kept
  EXPECT_EQ(env->master_port, 29500);
}

TEST(DistributedEnvTest, SlurmFallsBackToNodelistAndHonoursMasterOverrides) {
  absl::StatusOr<DistributedEnv> env =
      Parse({{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "2"}, {"SLURM_LOCALID", "0"},
             {"SLURM_NODELIST", "cn12,cn13"}, {"MASTER_PORT", "31000"}});
  ASSERT_TRUE(env.ok()) << env.status();
  EXPECT_EQ(env->master_addr, "cn12");
  EXPECT_EQ(env->master_port, 31000);

  env = Parse({{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "2"}, {"SLURM_LOCALID", "0"},
               {"SLURM_NODELIST", "cn12,cn13"}, {"MASTER_ADDR", "10.1.1.1"}});
  ASSERT_TRUE(env.ok()) << env.status();
  EXPECT_EQ(env->master_addr, "10.1.1.1");
}

TEST(DistributedEnvTest, SlurmErrorsNameTheVariable) {
  absl::StatusOr<DistributedEnv> env =
      Parse({{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "2"}, {"SLURM_LOCALID", "0"}});
  ASSERT_FALSE(env.ok());
  EXPECT_THAT(std::string(env.status().message()), HasSubstr("SLURM_JOB_NODELIST"));

  env = Parse({{"SLURM_PROCID", "0"}, {"SLURM_LOCALID", "0"}, {"SLURM_NODELIST", "a"}});
  ASSERT_FALSE(env.ok());
  EXPECT_THAT(std::string(env.status().message()), HasSubstr("SLURM_NTASKS is not set"));

  env = Parse({{"SLURM_PROCID", "4"}, {"SLURM_NTASKS", "4"}, {"SLURM_LOCALID", "0"},
               {"SLURM_NODELIST", "a"}});
  ASSERT_FALSE(env.ok());
  EXPECT_THAT(std::string(env.status().message()), HasSubstr("SLURM_PROCID=4 is not below SLURM_NTASKS=4"));

  env = Parse({{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "4"}, {"SLURM_LOCALID", "x"},
               {"SLURM_NODELIST", "a"}});
  ASSERT_FALSE(env.ok());
  EXPECT_THAT(std::string(env.status().message()), HasSubstr("SLURM_LOCALID='x'"));

  env = Parse({{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "4"}, {"SLURM_LOCALID", "0"},
               {"SLURM_JOB_NODELIST", "node[5-3]"}});
  ASSERT_FALSE(env.ok());
  EXPECT_THAT(std::string(env.status().message()), HasSubstr("SLURM_JOB_NODELIST='node[5-3]'"));
}

TEST(SlurmNodelistTest, FirstHost) {
  struct Case {
    std::string list, first;
  };
  for (const Case& c : std::vector<Case>{
           {"node001", "node001"},
           {"node[003-005,007]", "node003"},
           {"node[007,003-005]", "node007"},
           {"a1,b[2-3]", "a1"},
           {"gpu[10-11],cpu[1-2]", "gpu10"},
           {"rack[2-3]-n[08-09]", "rack2-n08"},
           {"n[1-2]-ib", "n1-ib"},
           {"node-1.cluster.org", "node-1.cluster.org"},
           {"[5-6]", "5"},
       }) {
    absl::StatusOr<std::string> first = FirstHostOfSlurmNodelist(c.list, "SLURM_NODELIST");
    ASSERT_TRUE(first.ok()) << c.list << ": " << first.status();
    EXPECT_EQ(*first, c.first) << c.list;
  }
}

TEST(SlurmNodelistTest, MalformedListsAreErrors) {
  for (const std::string list : {"", "node[1-2", "node1-2]", "node[]", "node[a-b]", "node[1-2-3]",
                                 "node[5-1]", "a,,b", "a,", ",a", "node[1,]", "no de",
                                 "n[[1]]"}) {
    absl::StatusOr<std::string> first = FirstHostOfSlurmNodelist(list, "SLURM_JOB_NODELIST");
    ASSERT_FALSE(first.ok()) << "'" << list << "' was accepted as " << *first;
    EXPECT_THAT(std::string(first.status().message()),
                HasSubstr("SLURM_JOB_NODELIST='" + list + "'"));
  }
}

}  // namespace
}  // namespace ijepa::distributed
