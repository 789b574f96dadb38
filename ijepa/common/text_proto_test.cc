#include "ijepa/common/text_proto.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ijepa/common/text_proto_test.pb.h"

namespace ijepa::common {
namespace {

using ::ijepa::common::testing::TestConfig;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kExample[] = "section.name=x";

std::string Message(const absl::Status& status) { return std::string(status.message()); }

absl::Status Set(const char* assignment, TestConfig* config) {
  return ApplyTextProtoOverride(assignment, kExample, config);
}

TEST(TextProtoTest, ParsesTextAndNamesSourceAndLineOnError) {
  TestConfig config;
  ASSERT_TRUE(ParseTextProto("mode: FAST\nsection { name: \"a\" }\nscales: [0.5, 1]\n", "ok.pbtxt", &config).ok());
  EXPECT_EQ(config.mode(), TestConfig::FAST);
  EXPECT_EQ(config.section().name(), "a");
  EXPECT_THAT(config.scales(), ElementsAre(0.5, 1.0));

  const absl::Status bad = ParseTextProto("steps: 1\nsection { nme: 2 }\n", "run.pbtxt", &config);
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(bad), HasSubstr("cannot parse TestConfig from run.pbtxt: 2:"));
  EXPECT_THAT(Message(bad), HasSubstr("nme"));
}

TEST(TextProtoTest, LoadReportsAMissingFileByPath) {
  TestConfig config;
  const absl::Status status = LoadTextProtoFile("/nonexistent/x.pbtxt", &config);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(Message(status), HasSubstr("/nonexistent/x.pbtxt"));
}

TEST(TextProtoTest, LoadRefusesAFolderInsteadOfReadingAnEmptyConfig) {
  // A folder given as --config used to parse as an empty config: every default, silently.
  TestConfig config;
  const std::string dir = ::testing::TempDir();
  const absl::Status status = LoadTextProtoFile(dir, &config);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(status), HasSubstr("config file " + dir + ": a directory, not a regular file"));
}

TEST(TextProtoTest, OverridesScalarsEnumsStringsAndNestedSections) {
  TestConfig config;
  ASSERT_TRUE(Set("steps=3", &config).ok());
  ASSERT_TRUE(Set("mode=SLOW", &config).ok());
  ASSERT_TRUE(Set("section.name=/tmp/a b", &config).ok());
  ASSERT_TRUE(Set("section.inner.count=7", &config).ok());
  EXPECT_EQ(config.steps(), 3);
  EXPECT_EQ(config.mode(), TestConfig::SLOW);
  EXPECT_EQ(config.section().name(), "/tmp/a b");
  EXPECT_EQ(config.section().inner().count(), 7);
  ASSERT_TRUE(Set("section.name=\"quoted\"", &config).ok());
  EXPECT_EQ(config.section().name(), "quoted");
  ASSERT_TRUE(Set("section.name='single'", &config).ok());
  EXPECT_EQ(config.section().name(), "single");
}

TEST(TextProtoTest, OverridesWholeListsAndSingleElements) {
  TestConfig config;
  ASSERT_TRUE(Set("scales=0.5,1.0", &config).ok());
  EXPECT_THAT(config.scales(), ElementsAre(0.5, 1.0));
  ASSERT_TRUE(Set("scales=[0.25, 2]", &config).ok());
  EXPECT_THAT(config.scales(), ElementsAre(0.25, 2.0));
  ASSERT_TRUE(Set("scales[1]=3", &config).ok());
  EXPECT_THAT(config.scales(), ElementsAre(0.25, 3.0));
  ASSERT_TRUE(Set("tags=a, \"b\"", &config).ok());
  ASSERT_TRUE(Set("tags[0]=z", &config).ok());
  EXPECT_THAT(config.tags(), ElementsAre("z", "b"));
  ASSERT_TRUE(Set("modes=[FAST, SLOW]", &config).ok());
  ASSERT_TRUE(Set("modes[1]=FAST", &config).ok());
  EXPECT_THAT(config.modes(), ElementsAre(TestConfig::FAST, TestConfig::FAST));
  ASSERT_TRUE(Set("flags=true,false", &config).ok());
  ASSERT_TRUE(Set("flags[1]=true", &config).ok());
  EXPECT_THAT(config.flags(), ElementsAre(true, true));
  ASSERT_TRUE(Set("scales=", &config).ok());
  EXPECT_EQ(config.scales_size(), 0);
}

TEST(TextProtoTest, IndexedRepeatedSectionsEditOrAppend) {
  TestConfig config;
  ASSERT_TRUE(Set("items[0].count=1", &config).ok());  // appends
  ASSERT_TRUE(Set("items[1].count=2", &config).ok());  // appends
  ASSERT_TRUE(Set("items[0].count=5", &config).ok());  // edits
  ASSERT_TRUE(Set("items[1].values=1,2", &config).ok());
  ASSERT_TRUE(Set("items[1].values[0]=9", &config).ok());
  ASSERT_EQ(config.items_size(), 2);
  EXPECT_EQ(config.items(0).count(), 5);
  EXPECT_EQ(config.items(1).count(), 2);
  EXPECT_THAT(config.items(1).values(), ElementsAre(9.0, 2.0));
}

TEST(TextProtoTest, ErrorsNameThePathAndWhatIsWrong) {
  TestConfig config;
  ASSERT_TRUE(Set("scales=1,2", &config).ok());
  EXPECT_EQ(Message(Set("steps", &config)),
            "--set expects section.field=value (e.g. section.name=x), got 'steps'");
  EXPECT_FALSE(Set("=3", &config).ok());
  EXPECT_THAT(Message(Set("section.nam=x", &config)),
              HasSubstr("--set section.nam: Section has no field 'nam' (fields: inner, name)"));
  EXPECT_THAT(Message(Set("steps=three", &config)), HasSubstr("--set steps: cannot parse 'three' as int32"));
  EXPECT_THAT(Message(Set("steps=3 4", &config)), HasSubstr("cannot parse '3 4'"));
  EXPECT_THAT(Message(Set("mode=MEDIUM", &config)), HasSubstr("one of MODE_UNSPECIFIED, FAST, SLOW"));
  EXPECT_THAT(Message(Set("steps.x=1", &config)), HasSubstr("'steps' is not a section"));
  EXPECT_THAT(Message(Set("section=1", &config)), HasSubstr("is a message; set one of its fields (section.FIELD=...)"));
  EXPECT_THAT(Message(Set("items[0]=1", &config)), HasSubstr("is a message"));
  EXPECT_THAT(Message(Set("steps[0]=1", &config)), HasSubstr("'steps' is not repeated"));
  EXPECT_THAT(Message(Set("section[0].name=x", &config)), HasSubstr("'section' is not repeated"));
  EXPECT_THAT(Message(Set("scales[2]=1", &config)), HasSubstr("index 2 out of range (scales has 2 values)"));
  EXPECT_THAT(Message(Set("scales[x]=1", &config)), HasSubstr("malformed index in 'scales[x]'"));
  EXPECT_THAT(Message(Set("scales=[1,2", &config)), HasSubstr("missing ']'"));
  EXPECT_THAT(Message(Set("items.count=1", &config)),
              HasSubstr("'items' is repeated (0 elements): write items[i] with i <= 0"));
  EXPECT_THAT(Message(Set("items[1].count=1", &config)), HasSubstr("with i <= 0"));
  // A failed element assignment leaves the list as it was.
  EXPECT_FALSE(Set("scales[0]=1 x", &config).ok());
  EXPECT_THAT(config.scales(), ElementsAre(1.0, 2.0));
}

}  // namespace
}  // namespace ijepa::common
