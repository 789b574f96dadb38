#include "ijepa/common/text_proto.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>

#include <cmath>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "ijepa/common/read_file.h"

namespace ijepa::common {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// absl::string_view is its own type in this Abseil build (not std::string_view).
absl::string_view View(std::string_view s) { return absl::string_view(s.data(), s.size()); }

class CollectErrors : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    errors_.push_back(absl::StrCat(line + 1, ":", column + 1, ": ", message));
  }
  std::string Joined() const { return absl::StrJoin(errors_, "; "); }

 private:
  std::vector<std::string> errors_;
};

// Sets a singular scalar field, or appends to a repeated one, from its text-format spelling.
// A value that fails to parse may still have been appended (protobuf consumes the first token
// before finding trailing garbage); callers that care check the field size.
absl::Status SetScalar(Message* message, const FieldDescriptor* field, absl::string_view value,
                       absl::string_view path) {
  std::string text(absl::StripAsciiWhitespace(value));
  if (field->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
    if (text.size() >= 2 && (text.front() == '"' || text.front() == '\'') &&
        text.back() == text.front()) {
      text = text.substr(1, text.size() - 2);
    }
    const Reflection* reflection = message->GetReflection();
    if (field->is_repeated()) {
      reflection->AddString(message, field, text);
    } else {
      reflection->SetString(message, field, text);
    }
    return absl::OkStatus();
  }
  if (!google::protobuf::TextFormat::ParseFieldValueFromString(text, field, message)) {
    std::string expected = field->cpp_type_name();
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_ENUM) {
      std::vector<std::string> names;
      for (int i = 0; i < field->enum_type()->value_count(); ++i) {
        names.push_back(field->enum_type()->value(i)->name());
      }
      expected = absl::StrCat("one of ", absl::StrJoin(names, ", "));
    }
    return absl::InvalidArgumentError(
        absl::StrCat("--set ", path, ": cannot parse '", text, "' as ", expected));
  }
  return absl::OkStatus();
}

// Replaces element `index` (< size) of a repeated scalar: appends the new value, swaps it into
// place and drops the old one, which works for every scalar type.
absl::Status SetRepeatedScalar(Message* message, const FieldDescriptor* field, int index,
                               absl::string_view value, absl::string_view path) {
  const Reflection* reflection = message->GetReflection();
  const int size = reflection->FieldSize(*message, field);
  const absl::Status status = SetScalar(message, field, value, path);
  if (reflection->FieldSize(*message, field) > size) {
    if (status.ok()) reflection->SwapElements(message, field, index, size);
    reflection->RemoveLast(message, field);
  }
  return status;
}

// Replaces a repeated scalar with "a,b,c" or "[a, b, c]"; an empty list clears it.
absl::Status SetList(Message* message, const FieldDescriptor* field, absl::string_view value,
                     absl::string_view path) {
  absl::string_view list = absl::StripAsciiWhitespace(value);
  if (absl::ConsumePrefix(&list, "[") && !absl::ConsumeSuffix(&list, "]")) {
    return absl::InvalidArgumentError(absl::StrCat("--set ", path, ": missing ']'"));
  }
  message->GetReflection()->ClearField(message, field);
  if (absl::StripAsciiWhitespace(list).empty()) return absl::OkStatus();
  for (absl::string_view item : absl::StrSplit(list, ',')) {
    absl::Status status = SetScalar(message, field, item, path);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ParseTextProto(std::string_view text, std::string_view source, Message* message,
                            bool skip_unknown_fields) {
  google::protobuf::TextFormat::Parser parser;
  parser.AllowUnknownField(skip_unknown_fields);
  parser.AllowUnknownExtension(skip_unknown_fields);
  CollectErrors errors;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(std::string(text), message)) {
    return absl::InvalidArgumentError(absl::StrCat("cannot parse ", message->GetDescriptor()->name(),
                                                   " from ", View(source), ": ", errors.Joined()));
  }
  return absl::OkStatus();
}

absl::Status LoadTextProtoFile(const std::string& path, Message* message) {
  // A folder or FIFO given as --config used to read as an empty config (every default).
  absl::StatusOr<std::string> text = ReadRegularFile(path, "config file");
  if (!text.ok()) return text.status();
  return ParseTextProto(*text, path, message);
}

namespace {

absl::Status CheckFiniteFields(const Message& message, const std::string& prefix) {
  const google::protobuf::Reflection* reflection = message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const FieldDescriptor* field : fields) {
    const std::string name = prefix.empty() ? field->name() : absl::StrCat(prefix, ".", field->name());
    const auto type = field->cpp_type();
    if (type == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (field->is_repeated()) {
        for (int i = 0; i < reflection->FieldSize(message, field); ++i) {
          if (absl::Status s = CheckFiniteFields(reflection->GetRepeatedMessage(message, field, i),
                                                 absl::StrCat(name, "[", i, "]"));
              !s.ok()) {
            return s;
          }
        }
      } else if (absl::Status s = CheckFiniteFields(reflection->GetMessage(message, field), name); !s.ok()) {
        return s;
      }
      continue;
    }
    if (type != FieldDescriptor::CPPTYPE_DOUBLE && type != FieldDescriptor::CPPTYPE_FLOAT) continue;
    auto value_at = [&](int i) -> double {
      if (type == FieldDescriptor::CPPTYPE_DOUBLE) {
        return i < 0 ? reflection->GetDouble(message, field) : reflection->GetRepeatedDouble(message, field, i);
      }
      return i < 0 ? reflection->GetFloat(message, field) : reflection->GetRepeatedFloat(message, field, i);
    };
    const int n = field->is_repeated() ? reflection->FieldSize(message, field) : 1;
    for (int i = 0; i < n; ++i) {
      const double v = value_at(field->is_repeated() ? i : -1);
      if (!std::isfinite(v)) {
        return absl::InvalidArgumentError(absl::StrCat(field->is_repeated() ? absl::StrCat(name, "[", i, "]") : name,
                                                       ": expected a finite number, got ", v));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckFiniteFields(const Message& message) { return CheckFiniteFields(message, ""); }

absl::Status ApplyTextProtoOverride(std::string_view assignment_view, std::string_view example,
                                    Message* message) {
  const absl::string_view assignment = View(assignment_view);
  const size_t eq = assignment.find('=');
  if (eq == absl::string_view::npos || eq == 0) {
    return absl::InvalidArgumentError(absl::StrCat("--set expects section.field=value (e.g. ",
                                                   View(example), "), got '", assignment, "'"));
  }
  const std::string path(absl::StripAsciiWhitespace(assignment.substr(0, eq)));
  const absl::string_view value = assignment.substr(eq + 1);
  const std::vector<std::string> parts = absl::StrSplit(path, '.');
  for (size_t i = 0; i < parts.size(); ++i) {
    std::string name = parts[i];
    int index = -1;  // name[index], if given
    if (const size_t bracket = name.find('['); bracket != std::string::npos) {
      if (name.back() != ']' ||
          !absl::SimpleAtoi(name.substr(bracket + 1, name.size() - bracket - 2), &index) ||
          index < 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("--set ", path, ": malformed index in '", name, "'"));
      }
      name = name.substr(0, bracket);
    }
    const Descriptor* descriptor = message->GetDescriptor();
    const FieldDescriptor* field = descriptor->FindFieldByName(name);
    if (field == nullptr) {
      std::vector<std::string> names;
      for (int f = 0; f < descriptor->field_count(); ++f) names.push_back(descriptor->field(f)->name());
      return absl::InvalidArgumentError(absl::StrCat("--set ", path, ": ", descriptor->name(),
                                                     " has no field '", name, "' (fields: ",
                                                     absl::StrJoin(names, ", "), ")"));
    }
    const Reflection* reflection = message->GetReflection();
    const bool last = i + 1 == parts.size();
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (last) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--set ", path, ": is a message; set one of its fields (", path, ".FIELD=...)"));
      }
      if (field->is_repeated()) {
        const int size = reflection->FieldSize(*message, field);
        if (index < 0 || index > size) {
          return absl::InvalidArgumentError(absl::StrCat("--set ", path, ": '", name,
                                                         "' is repeated (", size, " elements): write ",
                                                         name, "[i] with i <= ", size));
        }
        message = index == size ? reflection->AddMessage(message, field)
                                : reflection->MutableRepeatedMessage(message, field, index);
      } else {
        if (index >= 0) {
          return absl::InvalidArgumentError(absl::StrCat("--set ", path, ": '", name, "' is not repeated"));
        }
        message = reflection->MutableMessage(message, field);
      }
      continue;
    }
    if (!last) {
      return absl::InvalidArgumentError(absl::StrCat("--set ", path, ": '", name, "' is not a section"));
    }
    if (index >= 0) {
      if (!field->is_repeated()) {
        return absl::InvalidArgumentError(absl::StrCat("--set ", path, ": '", name, "' is not repeated"));
      }
      const int size = reflection->FieldSize(*message, field);
      if (index >= size) {
        return absl::InvalidArgumentError(absl::StrCat("--set ", path, ": index ", index,
                                                       " out of range (", name, " has ", size,
                                                       " values)"));
      }
      return SetRepeatedScalar(message, field, index, value, path);
    }
    if (field->is_repeated()) return SetList(message, field, value, path);
    return SetScalar(message, field, value, path);
  }
  return absl::OkStatus();
}

}  // namespace ijepa::common
