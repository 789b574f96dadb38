#include "ijepa/eval/cli.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace ijepa::eval {

bool ParsedArgs::Has(const std::string& name) const {
  return std::any_of(values.begin(), values.end(), [&](const auto& v) { return v.first == name; });
}

std::string ParsedArgs::Get(const std::string& name, const std::string& fallback) const {
  std::string result = fallback;
  for (const auto& [k, v] : values) {
    if (k == name) result = v;
  }
  return result;
}

std::vector<std::string> ParsedArgs::GetAll(const std::string& name) const {
  std::vector<std::string> result;
  for (const auto& [k, v] : values) {
    if (k == name) result.push_back(v);
  }
  return result;
}

absl::Status ParseArgs(int argc, char** argv, const std::vector<std::string>& with_value,
                       const std::vector<std::string>& booleans, const std::string& usage, ParsedArgs* out) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (!absl::StartsWith(arg, "--")) {
      return absl::InvalidArgumentError(absl::StrCat("unexpected argument '", arg, "'\n", usage));
    }
    const size_t eq = arg.find('=');
    const std::string name = arg.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
    if (std::find(booleans.begin(), booleans.end(), name) != booleans.end()) {
      const std::string value = eq == std::string::npos ? "true" : arg.substr(eq + 1);
      if (value != "true" && value != "false") {
        return absl::InvalidArgumentError(absl::StrCat("--", name, " takes true or false, got '", value, "'"));
      }
      out->values.emplace_back(name, value);
      continue;
    }
    if (std::find(with_value.begin(), with_value.end(), name) == with_value.end()) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag '--", name, "'\n", usage));
    }
    if (eq != std::string::npos) {
      out->values.emplace_back(name, arg.substr(eq + 1));
    } else if (i + 1 < argc) {
      out->values.emplace_back(name, argv[++i]);
    } else {
      return absl::InvalidArgumentError(absl::StrCat("--", name, " needs a value\n", usage));
    }
  }
  return absl::OkStatus();
}

}  // namespace ijepa::eval
