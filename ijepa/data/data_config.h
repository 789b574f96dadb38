#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ijepa/common/field_error.h"
#include "ijepa/data/data.pb.h"
#include "ijepa/data/dataset.h"
#include "ijepa/data/transforms.h"

namespace ijepa::data {

// How ValidateDataConfig words errors by default: "data.channels is 2; expected 1 or 3".
common::FieldErrorStyle DataFieldStyle();

// Checks every field of `config`; errors name the field ("data.crop_scale") and what was expected.
// A caller that embeds the data section in a larger config passes its own `style` (which receives
// the field names without "data.").
absl::Status ValidateDataConfig(const DataConfig& config,
                                const common::FieldErrorStyle& style = DataFieldStyle());

// Per-channel normalization after defaults are applied (see data.proto).
struct Normalization {
  std::vector<float> mean, std;
};
absl::StatusOr<Normalization> NormalizationFromConfig(const DataConfig& config);

// The training pipeline of the official make_transforms: RandomResizedCrop(crop_size,
// crop_scale), optional flip / colour distortion / blur, to-tensor, normalize.
absl::StatusOr<TransformOptions> TrainTransformOptionsFromConfig(const DataConfig& config);
// Evaluation pipeline: Resize(eval_resize_size) + CenterCrop(crop_size), to-tensor, normalize.
absl::StatusOr<TransformOptions> EvalTransformOptionsFromConfig(const DataConfig& config);

// The folder the data set lives in: root_path/image_folder.
std::string DatasetFolder(const DataConfig& config);

// Opens split "train", "holdout" or "val" / "test" of the configured data set:
//   IMAGE_FOLDER  root_path/image_folder/<split>/<class>/<image> ("test" and "val" are used as
//                 folder names as given); subset_file applies to "train".
//   IDX           root_path/image_folder/{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]
//   CIFAR10       root_path/image_folder/{data_batch_1..5,test_batch}.bin
//   CIFAR100      root_path/image_folder/{train,test}.bin
// With holdout_per_class > 0, "holdout" is that many training images of every class and "train"
// the rest of the training files. The low-shot selection (low_shot_per_class / low_shot_percent)
// applies to "train" (after the holdout is removed). A selected split is a SubsetDataset whose
// indices() are positions in the split's files.
absl::StatusOr<std::shared_ptr<Dataset>> OpenDataset(const DataConfig& config, std::string_view split);

}  // namespace ijepa::data
