#include "ijepa/checkpoint/convert.h"

#include <algorithm>
#include <iterator>

#include <ATen/core/Dict.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "ijepa/checkpoint/state_dict.h"

namespace ijepa::checkpoint {
namespace {

absl::Status CheckSections(const c10::IValue& checkpoint, const std::string& what) {
  if (!checkpoint.isGenericDict()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": expected an I-JEPA checkpoint dict, found ", checkpoint.tagKind()));
  }
  const auto dict = checkpoint.toGenericDict();
  for (const char* section : kModelSections) {
    if (!dict.contains(section) || !dict.at(section).isGenericDict()) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": not an I-JEPA checkpoint: no '", section, "' state dict"));
    }
  }
  return absl::OkStatus();
}

bool IsOfficialEntry(const c10::IValue& key) {
  return key.isString() && std::find_if(std::begin(kOfficialEntries), std::end(kOfficialEntries), [&](const char* e) {
                             return key.toStringRef() == e;
                           }) != std::end(kOfficialEntries);
}

bool IsModelSection(const c10::IValue& key) {
  return key.isString() && std::find_if(std::begin(kModelSections), std::end(kModelSections), [&](const char* e) {
                             return key.toStringRef() == e;
                           }) != std::end(kModelSections);
}

}  // namespace

absl::StatusOr<CheckpointLayout> DetectLayout(const c10::IValue& checkpoint, const std::string& what) {
  if (auto s = CheckSections(checkpoint, what); !s.ok()) return s;
  const auto encoder = checkpoint.toGenericDict().at("encoder").toGenericDict();
  bool prefixed = false;
  for (const auto& kv : encoder) {
    prefixed = kv.key().isString() && kv.key().toStringRef().rfind("module.", 0) == 0;
    break;
  }
  return prefixed ? CheckpointLayout::kOfficial : CheckpointLayout::kProject;
}

absl::StatusOr<ConvertedCheckpoint> ConvertCheckpoint(const c10::IValue& checkpoint, CheckpointLayout to,
                                                      const std::string& what) {
  if (auto s = CheckSections(checkpoint, what); !s.ok()) return s;
  const bool official = to == CheckpointLayout::kOfficial;
  ConvertedCheckpoint out;
  c10::impl::GenericDict result(c10::StringType::get(), c10::AnyType::get());
  for (const auto& kv : checkpoint.toGenericDict()) {
    if (IsModelSection(kv.key())) {
      const std::string& section = kv.key().toStringRef();
      absl::StatusOr<StateDict> state = StateDictFromIValue(kv.value(), absl::StrCat(what, ": ", section));
      if (!state.ok()) return state.status();
      result.insert(section, StateDictToIValue(*state, official ? "module." : ""));
    } else if (!official || IsOfficialEntry(kv.key())) {
      if (!kv.key().isString()) {
        return absl::InvalidArgumentError(absl::StrCat(what, ": top-level key of type ", kv.key().tagKind()));
      }
      result.insert(kv.key(), kv.value());
    } else {
      out.dropped.push_back(kv.key().isString() ? kv.key().toStringRef() : kv.key().tagKind());
    }
  }
  out.value = result;
  return out;
}

}  // namespace ijepa::checkpoint
