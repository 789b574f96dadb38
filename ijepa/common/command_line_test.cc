#include "ijepa/common/command_line.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/flags/flag.h"

ABSL_FLAG(ijepa::common::OptionalString, test_config, {}, "a file; given empty is an error");
ABSL_FLAG(bool, test_resume, false, "a boolean flag");

namespace ijepa::common {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// argv as main() gets it, from string literals the test keeps alive.
struct Argv {
  explicit Argv(std::vector<std::string> a) : strings(std::move(a)) {
    for (std::string& s : strings) pointers.push_back(s.data());
  }
  std::vector<std::string> strings;
  std::vector<char*> pointers;
};

std::vector<std::string> Strings(const std::vector<char*>& args) { return {args.begin(), args.end()}; }

TEST(TakeRepeatedFlagTest, TakesEveryFormInOrderAndKeepsTheRest) {
  Argv argv({"prog", "--set", "optimization.ema=0.99,1.0", "--config=c.pbtxt", "--set=a.b=1", "-set=c=2",
             "--settings=x", "--out", "dir", "-set", "d=[1, 2]"});
  auto values = TakeRepeatedFlag("set", &argv.pointers);
  ASSERT_TRUE(values.ok()) << values.status();
  EXPECT_THAT(*values, ElementsAre("optimization.ema=0.99,1.0", "a.b=1", "c=2", "d=[1, 2]"));
  EXPECT_THAT(Strings(argv.pointers), ElementsAre("prog", "--config=c.pbtxt", "--settings=x", "--out", "dir"));
}

TEST(TakeRepeatedFlagTest, EmptyValuesAreValues) {
  Argv argv({"prog", "--set=", "--set", ""});
  auto values = TakeRepeatedFlag("set", &argv.pointers);
  ASSERT_TRUE(values.ok()) << values.status();
  EXPECT_THAT(*values, ElementsAre("", ""));
  EXPECT_THAT(Strings(argv.pointers), ElementsAre("prog"));
}

TEST(TakeRepeatedFlagTest, StopsAtDoubleDash) {
  Argv argv({"prog", "--set=a=1", "--", "--set=b=2"});
  auto values = TakeRepeatedFlag("set", &argv.pointers);
  ASSERT_TRUE(values.ok()) << values.status();
  EXPECT_THAT(*values, ElementsAre("a=1"));
  EXPECT_THAT(Strings(argv.pointers), ElementsAre("prog", "--", "--set=b=2"));
}

TEST(TakeRepeatedFlagTest, ALastFlagWithoutValueIsAnError) {
  Argv argv({"prog", "--set=a=1", "--set"});
  auto values = TakeRepeatedFlag("set", &argv.pointers);
  ASSERT_FALSE(values.ok());
  EXPECT_THAT(std::string(values.status().message()), HasSubstr("--set needs a value"));
}

TEST(OptionalStringTest, TellsNotGivenFromGivenEmpty) {
  OptionalString flag;
  auto absent = NonEmptyIfGiven(flag, "config", "a file name");
  ASSERT_TRUE(absent.ok());
  EXPECT_FALSE(absent->has_value());

  std::string error;
  ASSERT_TRUE(AbslParseFlag("", &flag, &error));
  auto empty = NonEmptyIfGiven(flag, "config", "a file name");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().message(), "--config needs a file name, got ''");

  ASSERT_TRUE(AbslParseFlag("run.pbtxt", &flag, &error));
  EXPECT_EQ(AbslUnparseFlag(flag), "run.pbtxt");
  auto given = NonEmptyIfGiven(flag, "config", "a file name");
  ASSERT_TRUE(given.ok());
  EXPECT_EQ(given->value_or(""), "run.pbtxt");
}

// absl's usage message can be set once per process: each parse runs in a child process.
int ParseAndCheck(std::vector<std::string> args) {
  Argv argv(std::move(args));
  auto sets = ParseCommandLineWithSets(static_cast<int>(argv.pointers.size()), argv.pointers.data(), "usage: prog");
  if (!sets.ok()) {
    std::fprintf(stderr, "error: %s\n", std::string(sets.status().message()).c_str());
    std::exit(2);
  }
  const OptionalString config = absl::GetFlag(FLAGS_test_config);
  const bool expected = *sets == std::vector<std::string>{"x=1,2", "y=3"} && absl::GetFlag(FLAGS_test_resume) &&
                        config.value.has_value() && config.value->empty();
  std::exit(expected ? 0 : 3);
}

TEST(ParseCommandLineWithSetsDeathTest, AbslFlagsAndSetsTogether) {
  EXPECT_EXIT(ParseAndCheck({"prog", "--test_config=", "--set", "x=1,2", "--test_resume", "--set=y=3"}),
              ::testing::ExitedWithCode(0), "");
}

TEST(ParseCommandLineWithSetsDeathTest, PositionalArgumentsAreRefused) {
  EXPECT_EXIT(ParseAndCheck({"prog", "stray"}), ::testing::ExitedWithCode(2),
              "error: unexpected argument 'stray'\nusage: prog");
}

TEST(ParseCommandLineWithSetsDeathTest, UnknownFlagsExit) {
  EXPECT_EXIT(ParseAndCheck({"prog", "--no_such_flag=1"}), ::testing::ExitedWithCode(1),
              "Unknown command line flag 'no_such_flag'");
}

}  // namespace
}  // namespace ijepa::common
