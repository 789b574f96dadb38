#include "ijepa/data/image_folder.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>
#include <tuple>
#include <unordered_map>
#include <utility>

#include <glog/logging.h>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "ijepa/common/read_file.h"
#include "ijepa/data/file_io.h"
#include "ijepa/data/image_decoder.h"

namespace ijepa::data {
namespace fs = std::filesystem;
namespace {

bool HasImageExtension(const fs::path& path) {
  const std::string extension = absl::AsciiStrToLower(path.extension().string());
  return extension == ".jpg" || extension == ".jpeg" || extension == ".png";
}

// A directory's identity, through symlinks: the same folder reached twice has the same one.
using DirId = std::pair<dev_t, ino_t>;

absl::StatusOr<DirId> IdOf(const fs::path& dir) {
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) {
    return absl::PermissionDeniedError(absl::StrCat("cannot stat ", dir.string(), ": ", std::strerror(errno)));
  }
  return DirId{st.st_dev, st.st_ino};
}

// Collects the (folder, file name) pairs of images under `dir` (following symlinks, as torchvision
// does), skipping with a warning every folder that is one of its own ancestors (a symlink loop,
// which used to repeat its images until the path grew too long). `owner` maps each folder already
// walked to its class: one folder reached from two classes would give its images two labels, and
// is an error.
absl::Status WalkClassFolder(const fs::path& dir, const std::string& class_name, std::vector<DirId>& ancestors,
                             std::map<DirId, std::string>& owner,
                             std::vector<std::pair<std::string, std::string>>& files) {
  absl::StatusOr<DirId> id = IdOf(dir);
  if (!id.ok()) return id.status();
  if (std::find(ancestors.begin(), ancestors.end(), *id) != ancestors.end()) {
    LOG(WARNING) << "ImageFolder: skipping " << dir.string()
                 << ": a symlink loop (it is one of its own parent folders, device " << id->first << " inode "
                 << id->second << ")";
    return absl::OkStatus();
  }
  auto [it, inserted] = owner.emplace(*id, class_name);
  if (!inserted) {
    if (it->second == class_name) {
      LOG(WARNING) << "ImageFolder: skipping " << dir.string() << ": the same folder was already read for class "
                   << class_name << " (device " << id->first << " inode " << id->second << ")";
      return absl::OkStatus();
    }
    return absl::InvalidArgumentError(absl::StrCat(
        "image folder ", dir.string(), " of class ", class_name, " is the same folder (device ", id->first,
        ", inode ", id->second, ") as one of class ", it->second,
        "; its images would get two labels (a symlink between class folders?)"));
  }
  ancestors.push_back(*id);
  std::error_code error;
  std::vector<fs::path> subfolders;
  for (fs::directory_iterator entry(dir, error), end; !error && entry != end; entry.increment(error)) {
    std::error_code kind_error;
    if (entry->is_directory(kind_error)) {
      subfolders.push_back(entry->path());
    } else if (entry->is_regular_file(kind_error) && HasImageExtension(entry->path())) {
      files.emplace_back(entry->path().parent_path().string(), entry->path().filename().string());
    }
  }
  if (error) {
    return absl::PermissionDeniedError(absl::StrCat("cannot list class folder ", dir.string(), ": ", error.message()));
  }
  std::sort(subfolders.begin(), subfolders.end());
  for (const fs::path& sub : subfolders) {
    if (absl::Status s = WalkClassFolder(sub, class_name, ancestors, owner, files); !s.ok()) return s;
  }
  ancestors.pop_back();
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::shared_ptr<ImageFolderDataset>> ImageFolderDataset::Open(
    const std::string& root, const std::string& subset_file) {
  std::error_code error;
  if (!fs::exists(root, error)) {
    return absl::NotFoundError(absl::StrCat("image folder root ", root,
                                            " does not exist; expected a folder with one "
                                            "sub-folder per class (<root>/<class>/<image>)"));
  }
  if (!fs::is_directory(root, error)) {
    return absl::InvalidArgumentError(absl::StrCat("image folder root ", root,
                                                   " is not a folder; expected one sub-folder per class"));
  }
  std::shared_ptr<ImageFolderDataset> dataset(new ImageFolderDataset());
  dataset->root_ = root;
  for (fs::directory_iterator it(root, fs::directory_options::follow_directory_symlink, error), end;
       !error && it != end; it.increment(error)) {
    if (it->is_directory(error)) dataset->classes_.push_back(it->path().filename().string());
  }
  if (error) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot list image folder root ", root, ": ", error.message()));
  }
  if (dataset->classes_.empty()) {
    return absl::NotFoundError(absl::StrCat("found no class folders in ", root,
                                            "; expected one sub-folder per class (<root>/<class>/<image>)"));
  }
  std::sort(dataset->classes_.begin(), dataset->classes_.end());
  std::vector<std::string> empty_classes;
  absl::StatusOr<DirId> root_id = IdOf(root);
  if (!root_id.ok()) return root_id.status();
  std::map<DirId, std::string> owner;
  for (size_t label = 0; label < dataset->classes_.size(); ++label) {
    const fs::path class_dir = fs::path(root) / dataset->classes_[label];
    // (folder, file name) pairs sort exactly as torchvision's sorted(os.walk(...)) then sorted(fnames).
    std::vector<std::pair<std::string, std::string>> files;
    std::vector<DirId> ancestors = {*root_id};  // a class folder linking back to the root is a loop
    if (absl::Status s = WalkClassFolder(class_dir, dataset->classes_[label], ancestors, owner, files); !s.ok()) {
      return s;
    }
    if (files.empty()) empty_classes.push_back(dataset->classes_[label]);
    std::sort(files.begin(), files.end());
    for (const auto& [folder, name] : files) {
      dataset->paths_.push_back((fs::path(folder) / name).string());
      dataset->labels_.push_back(static_cast<int64_t>(label));
    }
  }
  if (!empty_classes.empty()) {
    return absl::NotFoundError(absl::StrCat("found no .jpg/.jpeg/.png files for class folder(s) ",
                                            absl::StrJoin(empty_classes, ", "), " in ", root));
  }
  if (!subset_file.empty()) {
    if (absl::Status s = dataset->ApplySubsetFile(subset_file); !s.ok()) return s;
  }
  return dataset;
}

absl::Status ImageFolderDataset::ApplySubsetFile(const std::string& subset_file) {
  absl::StatusOr<std::string> text = common::ReadRegularFile(subset_file, "subset file");
  if (!text.ok()) {
    return absl::Status(text.status().code(),
                        absl::StrCat(text.status().message(), "; expected one image file name per line"));
  }
  std::istringstream in(*text);
  // Keys: the bare file name and "class/relative/path". A bare name found in two classes is
  // ambiguous and only the qualified form may select it.
  constexpr int64_t kAmbiguous = -1;
  std::unordered_map<std::string, int64_t> by_key;
  for (size_t i = 0; i < paths_.size(); ++i) {
    const fs::path path(paths_[i]);
    const std::string relative =
        classes_[labels_[i]] + "/" + path.lexically_relative(fs::path(root_) / classes_[labels_[i]]).string();
    by_key[relative] = static_cast<int64_t>(i);
    auto [it, inserted] = by_key.emplace(path.filename().string(), static_cast<int64_t>(i));
    if (!inserted && it->second != static_cast<int64_t>(i)) it->second = kAmbiguous;
  }
  std::vector<std::string> paths;
  std::vector<int64_t> labels;
  std::string line;
  for (int line_number = 1; std::getline(in, line); ++line_number) {
    const std::string name(absl::StripAsciiWhitespace(line));
    if (name.empty()) continue;
    const auto it = by_key.find(name);
    if (it == by_key.end()) {
      return absl::NotFoundError(absl::StrCat(subset_file, ":", line_number, ": image '", name,
                                              "' is not in ", root_,
                                              " (expected a file name present under a class folder)"));
    }
    if (it->second == kAmbiguous) {
      return absl::InvalidArgumentError(absl::StrCat(
          subset_file, ":", line_number, ": image name '", name, "' exists in several class folders of ",
          root_, "; write it as class/file"));
    }
    paths.push_back(paths_[it->second]);
    labels.push_back(labels_[it->second]);
  }
  if (paths.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("subset file ", subset_file, " lists no images; expected one file name per line"));
  }
  paths_ = std::move(paths);
  labels_ = std::move(labels);
  return absl::OkStatus();
}

absl::StatusOr<Example> ImageFolderDataset::Load(int64_t index, const DownscaleFn& downscale) const {
  if (index < 0 || index >= size()) {
    return absl::OutOfRangeError(
        absl::StrCat(root_, ": index ", index, " outside [0, ", size(), ")"));
  }
  absl::StatusOr<std::string> bytes = ReadFileBytes(paths_[index]);
  if (!bytes.ok()) return bytes.status();
  absl::StatusOr<Image> image = DecodeImage(*bytes, paths_[index], downscale);
  if (!image.ok()) return image.status();
  Example example;
  example.image = *std::move(image);
  example.label = labels_[index];
  example.source = paths_[index];
  return example;
}

}  // namespace ijepa::data
