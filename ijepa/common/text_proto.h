// Protobuf text format for config files and their command-line overrides (the binaries' --set),
// on any message type, so every binary parses and overrides its config the same way.
#pragma once

#include <string>
#include <string_view>

#include <google/protobuf/message.h>

#include "absl/status/status.h"

namespace ijepa::common {

// Replaces *message with `text` parsed as text format. Errors name the message type, `source`
// (a file name) and the line:column of each problem. `skip_unknown_fields` accepts fields (and
// extensions) the message does not have: for a message that mirrors a few fields of a larger one.
absl::Status ParseTextProto(std::string_view text, std::string_view source,
                            google::protobuf::Message* message, bool skip_unknown_fields = false);

// Reads and parses the text-format file at `path`, which must be a readable regular file
// (common::ReadRegularFile: a folder, FIFO or device is an error naming the path, never an empty
// config).
absl::Status LoadTextProtoFile(const std::string& path, google::protobuf::Message* message);

// Applies one "path.to.field=value" assignment (a --set flag) to *message:
//   section.sub.field=3          nested sections; unset sections are created
//   section[i].field=3           element i of a repeated message section (i == size appends one)
//   field=0.5,1.0  field=[a, b]  a whole repeated scalar list (replaced; empty value clears it)
//   field[i]=0.25                element i of a repeated scalar, which must exist
//   enum_field=NAME              scalars use their text-format spelling, enums their names
//   string_field=/a b  or "/a b" strings with or without quotes
// Errors start with "--set PATH:" and say what is wrong (unknown field with the list of fields,
// enum with the list of names, index out of range, ...). `example` is a valid assignment shown
// when `assignment` has no '=' ("--set expects section.field=value (e.g. EXAMPLE), got '...'").
absl::Status ApplyTextProtoOverride(std::string_view assignment, std::string_view example,
                                    google::protobuf::Message* message);

// Every float and double field set in `message` (nested sections and repeated fields included)
// must be finite: "optimization.lr: expected a finite number, got inf" (InvalidArgument; repeated
// elements as "optimization.ema[1]"). Text format spells inf and nan, and a range check like
// `lr > 0` lets +inf through; configs validate this first.
absl::Status CheckFiniteFields(const google::protobuf::Message& message);

}  // namespace ijepa::common
