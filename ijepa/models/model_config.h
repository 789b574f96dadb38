// Validated conversion from the ModelConfig proto to the plain option structs the models take.
#pragma once

#include "absl/status/statusor.h"
#include "ijepa/models/model.pb.h"
#include "ijepa/models/model_options.h"

namespace ijepa::models {

// Errors name the offending ModelConfig field and what was expected.
absl::StatusOr<VisionTransformerOptions> EncoderOptionsFromConfig(const ModelConfig& config);
absl::StatusOr<PredictorOptions> PredictorOptionsFromConfig(const ModelConfig& config);

}  // namespace ijepa::models
