#include "ijepa/training/pretrain_run.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <string>

namespace ijepa::training {
namespace {

using ::testing::HasSubstr;

constexpr char kDefault[] = "meta { model_name: \"vit_tiny\" }\nlogging { folder: \"runs/default\" }\n";

TEST(ResolvePretrainConfigTest, DefaultThenOverridesThenOutAndResume) {
  PretrainCommand command;
  command.sets = {"optimization.ema=0.99,1.0", "meta.model_name=vit_small", "optimization.epochs=3"};
  absl::StatusOr<PretrainConfig> config = ResolvePretrainConfig(command, kDefault, "default.pbtxt");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->meta().model_name(), "vit_small");
  ASSERT_EQ(config->optimization().ema_size(), 2);
  EXPECT_DOUBLE_EQ(config->optimization().ema(0), 0.99);
  EXPECT_EQ(config->optimization().epochs(), 3);
  EXPECT_EQ(config->logging().folder(), "runs/default");
  EXPECT_FALSE(config->meta().load_checkpoint());

  command.out = "/tmp/elsewhere";
  command.resume = true;
  config = ResolvePretrainConfig(command, kDefault, "default.pbtxt");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->logging().folder(), "/tmp/elsewhere");
  EXPECT_TRUE(config->meta().load_checkpoint());
}

TEST(ResolvePretrainConfigTest, AFileReplacesTheDefaultAndErrorsNameTheirSource) {
  const std::string path = ::testing::TempDir() + "/run.pbtxt";
  std::ofstream(path) << "meta { model_name: \"vit_base\" }\n";
  PretrainCommand command;
  command.config_path = path;
  absl::StatusOr<PretrainConfig> config = ResolvePretrainConfig(command, kDefault, "default.pbtxt");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->meta().model_name(), "vit_base");

  command.config_path = ::testing::TempDir();
  config = ResolvePretrainConfig(command, kDefault, "default.pbtxt");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()), HasSubstr("a directory, not a regular file"));

  command.config_path.reset();
  config = ResolvePretrainConfig(command, "meta { bogus: 1 }", "default.pbtxt");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()), HasSubstr("default.pbtxt"));

  command.sets = {"optimization.no_such_field=1"};
  config = ResolvePretrainConfig(command, kDefault, "default.pbtxt");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()), HasSubstr("--set optimization.no_such_field"));
}

TEST(ThreadsPerLocalProcessTest, SharesTheHardwareAmongLocalProcesses) {
  unsetenv("LOCAL_WORLD_SIZE");
  EXPECT_EQ(*ThreadsPerLocalProcess(16), 16);
  setenv("LOCAL_WORLD_SIZE", "4", 1);
  EXPECT_EQ(*ThreadsPerLocalProcess(16), 4);
  EXPECT_EQ(*ThreadsPerLocalProcess(2), 1);  // never 0
  for (const char* bad : {"0", "-2", "four", ""}) {
    setenv("LOCAL_WORLD_SIZE", bad, 1);
    absl::StatusOr<int> threads = ThreadsPerLocalProcess(16);
    ASSERT_FALSE(threads.ok()) << bad;
    EXPECT_THAT(std::string(threads.status().message()),
                HasSubstr(std::string("LOCAL_WORLD_SIZE='") + bad + "': expected a positive integer"));
  }
  unsetenv("LOCAL_WORLD_SIZE");
}

}  // namespace
}  // namespace ijepa::training
