#include "ijepa/checkpoint/encoder_config.h"

#include <google/protobuf/text_format.h>

#include "ijepa/common/text_proto.h"
#include "ijepa/models/model_config.h"

namespace ijepa::checkpoint {
namespace {

std::optional<std::string> StringEntry(const c10::impl::GenericDict& dict, const char* key) {
  auto it = dict.find(c10::IValue(std::string(key)));
  if (it == dict.end() || !it->value().isString()) return std::nullopt;
  return it->value().toStringRef();
}

// What ijepa::training::ModelConfigFor builds from the same fields (the same function).
EncoderConfig FromPretrainConfig(const PretrainConfig& pretrain) {
  EncoderConfig config;
  *config.mutable_model() = models::ModelConfigFromPretrainConfig(pretrain);
  *config.mutable_data() = pretrain.data();
  return config;
}

}  // namespace

void AddEncoderConfig(const EncoderConfig& config, c10::impl::GenericDict* dict) {
  std::string text;
  google::protobuf::TextFormat::PrintToString(config, &text);
  dict->insert(std::string(kEncoderConfigEntry), text);
}

absl::StatusOr<std::optional<EncoderConfig>> ReadEncoderConfig(const c10::impl::GenericDict& dict,
                                                               const std::string& path) {
  const std::string source = path + " (embedded config)";
  if (std::optional<std::string> text = StringEntry(dict, kEncoderConfigEntry)) {
    EncoderConfig config;
    if (absl::Status s = common::ParseTextProto(*text, source, &config); !s.ok()) return s;
    return config;
  }
  if (std::optional<std::string> text = StringEntry(dict, kPretrainConfigEntry)) {
    PretrainConfig pretrain;
    if (absl::Status s = common::ParseTextProto(*text, source, &pretrain, /*skip_unknown_fields=*/true); !s.ok()) {
      return s;
    }
    return FromPretrainConfig(pretrain);
  }
  return std::nullopt;
}

}  // namespace ijepa::checkpoint
