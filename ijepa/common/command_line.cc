#include "ijepa/common/command_line.h"

#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_cat.h"

namespace ijepa::common {

bool AbslParseFlag(absl::string_view text, OptionalString* flag, std::string* /*error*/) {
  flag->value = std::string(text);
  return true;
}

std::string AbslUnparseFlag(const OptionalString& flag) { return flag.value.value_or(""); }

absl::StatusOr<std::optional<std::string>> NonEmptyIfGiven(const OptionalString& flag, absl::string_view name,
                                                           absl::string_view what) {
  if (flag.value.has_value() && flag.value->empty()) {
    return absl::InvalidArgumentError(absl::StrCat("--", name, " needs ", what, ", got ''"));
  }
  return flag.value;
}

absl::StatusOr<std::vector<std::string>> TakeRepeatedFlag(absl::string_view name, std::vector<char*>* args) {
  std::vector<std::string> values;
  std::vector<char*> kept;
  size_t i = 0;
  if (!args->empty()) kept.push_back((*args)[i++]);
  for (; i < args->size(); ++i) {
    absl::string_view arg = (*args)[i];
    if (arg == "--") break;  // the rest is positional, as absl treats it
    absl::string_view flag = arg;
    if (!absl::ConsumePrefix(&flag, "--")) absl::ConsumePrefix(&flag, "-");
    if (flag.size() == arg.size() || !absl::ConsumePrefix(&flag, name)) {
      kept.push_back((*args)[i]);
    } else if (flag.empty()) {
      if (i + 1 == args->size()) return absl::InvalidArgumentError(absl::StrCat("--", name, " needs a value"));
      values.emplace_back((*args)[++i]);
    } else if (absl::ConsumePrefix(&flag, "=")) {
      values.emplace_back(flag);
    } else {
      kept.push_back((*args)[i]);  // another flag that starts with NAME (--settings)
    }
  }
  for (; i < args->size(); ++i) kept.push_back((*args)[i]);
  *args = std::move(kept);
  return values;
}

absl::StatusOr<std::vector<std::string>> ParseCommandLineWithSets(int argc, char** argv, absl::string_view usage) {
  absl::SetProgramUsageMessage(usage);
  std::vector<char*> args(argv, argv + argc);
  absl::StatusOr<std::vector<std::string>> sets = TakeRepeatedFlag("set", &args);
  if (!sets.ok()) return sets.status();
  const int remaining = static_cast<int>(args.size());
  args.push_back(nullptr);  // argv[argc], as main() has it
  const std::vector<char*> positional = absl::ParseCommandLine(remaining, args.data());
  if (positional.size() > 1) {
    return absl::InvalidArgumentError(absl::StrCat("unexpected argument '", positional[1], "'\n", usage));
  }
  return sets;
}

}  // namespace ijepa::common
