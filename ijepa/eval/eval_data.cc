#include "ijepa/eval/eval_data.h"

#include <google/protobuf/descriptor.h>

#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "ijepa/data/data_config.h"

namespace ijepa::eval {

absl::StatusOr<data::DataConfig> ResolveEvalData(const std::optional<data::DataConfig>& pretrain_data,
                                                 const data::DataConfig& overrides, bool has_overrides,
                                                 const models::ModelConfig& model) {
  data::DataConfig config = pretrain_data.value_or(data::DataConfig());
  if (has_overrides) {
    // MergeFrom appends repeated fields; a list given in the eval config replaces the base one.
    const google::protobuf::Reflection* reflection = overrides.GetReflection();
    std::vector<const google::protobuf::FieldDescriptor*> fields;
    reflection->ListFields(overrides, &fields);
    for (const auto* field : fields) {
      if (field->is_repeated()) config.GetReflection()->ClearField(&config, field);
    }
    config.MergeFrom(overrides);
  }
  const bool crop_set = (pretrain_data.has_value() && pretrain_data->has_crop_size()) || overrides.has_crop_size();
  const bool channels_set = (pretrain_data.has_value() && pretrain_data->has_channels()) || overrides.has_channels();
  if (!crop_set) config.set_crop_size(static_cast<int32_t>(model.crop_size()));
  if (!channels_set) config.set_channels(static_cast<int32_t>(model.in_chans()));
  if (config.crop_size() != model.crop_size()) {
    return absl::InvalidArgumentError(absl::StrCat("data.crop_size is ", config.crop_size(),
                                                   " but the encoder takes ", model.crop_size(), "x",
                                                   model.crop_size(), " images (model.crop_size)"));
  }
  if (config.channels() != model.in_chans()) {
    return absl::InvalidArgumentError(absl::StrCat("data.channels is ", config.channels(), " but the encoder takes ",
                                                   model.in_chans(), " channels (model.in_chans)"));
  }
  config.clear_low_shot_per_class();
  config.clear_low_shot_percent();
  config.clear_subset_file();
  if (absl::Status s = data::ValidateDataConfig(config); !s.ok()) {
    return absl::Status(s.code(), absl::StrCat("eval data config: ", s.message()));
  }
  return config;
}

}  // namespace ijepa::eval
