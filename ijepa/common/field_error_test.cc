#include "ijepa/common/field_error.h"

#include <gtest/gtest.h>

#include <string>

namespace ijepa::common {
namespace {

TEST(FieldErrorStyleTest, DefaultIsTheHouseStyleWithTheFieldsOwnName) {
  const absl::Status status = FieldErrorStyle().Error("pred_depth", "> 0", "0");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "pred_depth must be > 0, got 0");
}

TEST(FieldErrorStyleTest, CallerNamesAndWords) {
  FieldErrorStyle style;
  style.name = [](absl::string_view field) { return "meta." + std::string(field); };
  EXPECT_EQ(style.Name("pred_depth"), "meta.pred_depth");
  EXPECT_EQ(style.Error("pred_depth", "> 0", "0").message(), "meta.pred_depth must be > 0, got 0");
  style.words = [](absl::string_view name, absl::string_view expected, absl::string_view got) {
    return std::string(name) + " is " + std::string(got) + "; expected " + std::string(expected);
  };
  EXPECT_EQ(style.Error("pred_depth", "> 0", "0").message(), "meta.pred_depth is 0; expected > 0");
}

}  // namespace
}  // namespace ijepa::common
