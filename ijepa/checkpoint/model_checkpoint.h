// Loading official I-JEPA checkpoints (and this project's) into the models of //ijepa/models.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <ATen/core/ivalue.h>

#include "absl/status/status.h"
#include "ijepa/models/model_options.h"
#include "ijepa/models/predictor.h"
#include "ijepa/models/vision_transformer.h"

namespace ijepa::checkpoint {

// Which of the two encoders of an I-JEPA checkpoint to load. The target (EMA) encoder is what the
// paper evaluates and what feature extraction uses by default.
enum class EncoderSource { kTargetEncoder, kEncoder };

const char* EncoderSourceKey(EncoderSource which);  // "target_encoder" | "encoder"

// Reads `path` (an official .pth.tar or a file this project wrote) and copies the chosen encoder's
// weights into `encoder`: the "module." prefix is stripped, every shape is checked, and with
// `strict` every model key must be present and no other key may be. Errors name the file, the
// section and the offending keys.
absl::Status LoadEncoder(const std::string& path, models::VisionTransformerImpl& encoder,
                         EncoderSource which = EncoderSource::kTargetEncoder, bool strict = true);
absl::Status LoadPredictor(const std::string& path, models::VisionTransformerPredictorImpl& predictor,
                           bool strict = true);

// The same from a checkpoint already read with ReadTorchFile (`what` names it in errors), so a
// resuming trainer reads the file once.
absl::Status LoadEncoderFromCheckpoint(const c10::IValue& checkpoint, const std::string& what,
                                       models::VisionTransformerImpl& encoder, EncoderSource which, bool strict);
absl::Status LoadPredictorFromCheckpoint(const c10::IValue& checkpoint, const std::string& what,
                                         models::VisionTransformerPredictorImpl& predictor, bool strict);

// Key and shape of every state-dict entry an official checkpoint holds for a model with these
// options, in the official order, computed from the options alone (no weights, so ViT-g costs
// nothing). LoadEncoder/LoadPredictor check against the model itself; these let a tool check a
// checkpoint against a config without building the model.
using KeyShapes = std::vector<std::pair<std::string, std::vector<int64_t>>>;
KeyShapes OfficialEncoderShapes(const models::VisionTransformerOptions& options);
KeyShapes OfficialPredictorShapes(const models::PredictorOptions& options);

}  // namespace ijepa::checkpoint
