#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ijepa/data/dataset.h"

namespace ijepa::data {

// torchvision.datasets.ImageFolder over JPEG and PNG files: root/<class>/**/<image>. Classes
// are the sub-folders of root sorted by name (index = position); images are found recursively
// in the order of torchvision's make_dataset (sorted os.walk, files sorted per folder). Files
// whose extension is not .jpg/.jpeg/.png (any case) are ignored.
class ImageFolderDataset : public Dataset {
 public:
  // `subset_file` (optional, "" for none): keep only the images it lists, one per line, in the
  // order listed. A line is a file name ("n01440764_10026.JPEG", the ImageNet 1%/10% subset
  // format) or "class/file"; blank lines are ignored. Errors name the root or the subset file
  // and line.
  static absl::StatusOr<std::shared_ptr<ImageFolderDataset>> Open(const std::string& root,
                                                                 const std::string& subset_file = "");

  int64_t size() const override { return static_cast<int64_t>(paths_.size()); }
  absl::StatusOr<Example> Load(int64_t index) const override { return Load(index, nullptr); }
  absl::StatusOr<Example> Load(int64_t index, const DownscaleFn& downscale) const override;
  int64_t num_classes() const override { return static_cast<int64_t>(classes_.size()); }
  const std::vector<int64_t>& labels() const override { return labels_; }

  const std::vector<std::string>& classes() const { return classes_; }
  const std::string& path(int64_t index) const { return paths_[index]; }

 private:
  ImageFolderDataset() = default;
  absl::Status ApplySubsetFile(const std::string& subset_file);

  std::string root_;
  std::vector<std::string> classes_;
  std::vector<std::string> paths_;
  std::vector<int64_t> labels_;
};

}  // namespace ijepa::data
