// The command line of every binary here: absl flags, plus the repeatable `--set field=value`
// override that absl flags cannot express (they keep only a flag's last occurrence, and list flags
// split at commas, while overrides repeat and carry commas: --set optimization.ema=0.99,1.0).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ijepa::common {

// A string flag that tells "not given" from "given empty". absl reads `--config=` of a
// std::optional<std::string> flag as "not given", which would silently start the defaults; with
// this type `--config=` is a value the binary can refuse (RequiredIfGiven).
struct OptionalString {
  std::optional<std::string> value;
};
bool AbslParseFlag(absl::string_view text, OptionalString* flag, std::string* error);
std::string AbslUnparseFlag(const OptionalString& flag);

// nullopt when `flag` was not given; the value when it is not empty; else InvalidArgument
// "--NAME needs WHAT, got ''".
absl::StatusOr<std::optional<std::string>> NonEmptyIfGiven(const OptionalString& flag, absl::string_view name,
                                                           absl::string_view what);

// Removes every `--NAME=VALUE` and `--NAME VALUE` (also with one dash, as absl accepts) before a
// `--` from `args` (args[0] is the program) and returns the values in order. Error: `--NAME` last,
// without a value.
absl::StatusOr<std::vector<std::string>> TakeRepeatedFlag(absl::string_view name, std::vector<char*>* args);

// The binaries' parser: sets `usage` as absl's program usage message, takes the repeatable --set
// out (TakeRepeatedFlag), then absl::ParseCommandLine parses the rest (an unknown flag, a bad value
// or --help prints absl's message and exits, as in every binary here), and positional arguments
// are refused. Returns the --set values in order.
absl::StatusOr<std::vector<std::string>> ParseCommandLineWithSets(int argc, char** argv, absl::string_view usage);

}  // namespace ijepa::common
