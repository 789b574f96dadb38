// Small command-line helpers shared by the eval binaries.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace ijepa::eval {

// --name=value / --name value / --flag parsing into a map the binaries read; repeated --set
// values accumulate. `booleans` are the flags that take no value. Unknown flags are errors.
struct ParsedArgs {
  std::vector<std::pair<std::string, std::string>> values;  // in order
  bool Has(const std::string& name) const;
  std::string Get(const std::string& name, const std::string& fallback = "") const;  // last value
  std::vector<std::string> GetAll(const std::string& name) const;
};
absl::Status ParseArgs(int argc, char** argv, const std::vector<std::string>& with_value,
                       const std::vector<std::string>& booleans, const std::string& usage, ParsedArgs* out);

}  // namespace ijepa::eval
