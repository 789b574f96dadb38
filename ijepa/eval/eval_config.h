// Parsing, --set overrides and validation of the EvalConfig proto, and its conversion into the
// plain EvalOptions struct the evaluation code takes (protobuf stops here).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ijepa/eval/eval.pb.h"
#include "ijepa/eval/eval_options.h"

namespace ijepa::eval {

// Parses text format; errors carry `source` and line:column.
absl::StatusOr<EvalConfig> ParseEvalConfigText(std::string_view text, std::string_view source);
absl::StatusOr<EvalConfig> LoadEvalConfigFile(const std::string& path);

// Applies "path.to.field=value" (the binary's --set), e.g. linear.training.epochs=50,
// protocol[0].per_class=10, linear.training.lrs=0.1,1.0 (repeated scalars: replaces the list),
// data.root_path=/data/cifar (strings unquoted), which=ENCODER (enums by name). A repeated
// message element is addressed as name[i]; name[i] with i == size appends one. Errors name the path.
absl::Status ApplyEvalOverride(std::string_view assignment, EvalConfig* config);

// A binary's eval config: the file at `path` (nullopt: the defaults, an empty EvalConfig) with the
// `sets` overrides applied in order. Errors are LoadEvalConfigFile's and ApplyEvalOverride's.
absl::StatusOr<EvalConfig> ResolveEvalConfig(const std::optional<std::string>& path,
                                             const std::vector<std::string>& sets);

// Validates and converts. Errors name the field ("linear.training.epochs must be > 0, got 0").
// Data / model sections are validated where the checkpoint's embedded config is known
// (ResolveEvalSetup), not here.
absl::StatusOr<EvalOptions> EvalOptionsFromConfig(const EvalConfig& config);

}  // namespace ijepa::eval
