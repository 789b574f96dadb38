// How a validator words an error about one config field, so that one check serves every caller:
// a library checks its own fields once, and a caller that embeds them in a larger config (the
// pretrain config embeds the model's fields as meta.*, data.*, mask.*) passes the names its users
// know and its house style instead of checking the same fields again.
#pragma once

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace ijepa::common {

struct FieldErrorStyle {
  // The field as the user knows it, from the validator's own name of it ("pred_depth" ->
  // "meta.pred_depth"). Unset: the name unchanged.
  std::function<std::string(absl::string_view field)> name;
  // The sentence, from that name, what the field must be and the value it has. Unset: the house
  // style "NAME must be EXPECTED, got GOT".
  std::function<std::string(absl::string_view name, absl::string_view expected, absl::string_view got)>
      words;

  std::string Name(absl::string_view field) const;
  // InvalidArgument with the words for `field` (the validator's name; Name() is applied).
  absl::Status Error(absl::string_view field, absl::string_view expected, absl::string_view got) const;
};

// "NAME must be EXPECTED, got GOT".
std::string MustBeWords(absl::string_view name, absl::string_view expected, absl::string_view got);

}  // namespace ijepa::common
