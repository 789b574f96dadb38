#include "ijepa/checkpoint/hf_convert.h"

#include <ATen/core/Dict.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "ijepa/checkpoint/state_dict.h"

namespace ijepa::checkpoint {

absl::StatusOr<HfEncoder> EncoderFromCheckpoint(const c10::IValue& checkpoint, const std::string& which,
                                                int64_t num_heads, const std::string& what) {
  if (!checkpoint.isGenericDict()) return absl::InvalidArgumentError(absl::StrCat(what, ": expected a dict checkpoint"));
  const auto dict = checkpoint.toGenericDict();
  const auto section = dict.find(c10::IValue(which));
  if (section == dict.end()) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": no '", which, "' state dict"));
  }
  absl::StatusOr<StateDict> state = StateDictFromIValue(section->value(), absl::StrCat(what, ": ", which));
  if (!state.ok()) return state.status();
  HfEncoder out;
  const auto config = dict.find(c10::IValue(std::string(kHfConfigEntry)));
  if (config != dict.end() && config->value().isString()) {
    absl::StatusOr<models::VisionTransformerOptions> options =
        EncoderOptionsFromHfConfig(config->value().toStringRef(), absl::StrCat(what, ": ", kHfConfigEntry));
    if (!options.ok()) return options.status();
    out.options = *options;
  } else {
    absl::StatusOr<models::VisionTransformerOptions> options =
        InferEncoderOptions(*state, num_heads, absl::StrCat(what, ": ", which));
    if (!options.ok()) return options.status();
    out.options = *options;
  }
  out.state = *std::move(state);
  return out;
}

c10::IValue CheckpointFromHfEncoder(const HfEncoder& encoder, const std::string& which) {
  c10::impl::GenericDict dict(c10::StringType::get(), c10::AnyType::get());
  dict.insert(which, StateDictToIValue(encoder.state));
  dict.insert(std::string(kHfConfigEntry), HfConfigFor(encoder.options));
  return dict;
}

}  // namespace ijepa::checkpoint
