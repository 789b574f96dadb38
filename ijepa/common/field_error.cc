#include "ijepa/common/field_error.h"

#include "absl/strings/str_cat.h"

namespace ijepa::common {

std::string MustBeWords(absl::string_view name, absl::string_view expected, absl::string_view got) {
  return absl::StrCat(name, " must be ", expected, ", got ", got);
}

std::string FieldErrorStyle::Name(absl::string_view field) const {
  return name ? name(field) : std::string(field);
}

absl::Status FieldErrorStyle::Error(absl::string_view field, absl::string_view expected,
                                    absl::string_view got) const {
  const std::string shown = Name(field);
  return absl::InvalidArgumentError(words ? words(shown, expected, got)
                                          : MustBeWords(shown, expected, got));
}

}  // namespace ijepa::common
