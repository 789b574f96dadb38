// What the extract_features binary does once its flags and config are read: one split of a data
// set through a frozen encoder, the features written for other tools as a file Python's
// torch.load reads, holding a dict
//   features  float [N, D] (MEAN), [N, 4D] (LAST4) or [N, num_patches, D] (NONE)
//   labels    int64 [N];  indices int64 [N] (data set index of each row)
//   pool ("mean" | "last4" | "none"), which, split, checkpoint (str); model, data (the configs
//   used, text format).
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "ijepa/data/data.pb.h"
#include "ijepa/eval/eval.pb.h"

namespace ijepa::eval {

struct ExtractRequest {
  std::string checkpoint;  // "" only with random_init
  bool random_init = false;
  std::string out;  // the file written (atomically)
};

// Validates `config` (EvalOptionsFromConfig, `extract` fields, num_workers >= 0), loads the
// encoder (architecture from the checkpoint, else config.model over vit_tiny/4/28/1), resolves the
// data as linear_probe does (the checkpoint's pretraining data section, overridden by config.data
// and extract.data_folder) and writes request.out. Returns a line for people: "wrote OUT: features
// [N, D] of N SPLIT images in S s (T threads, DEVICE)".
absl::StatusOr<std::string> ExtractFeaturesToFile(const EvalConfig& config, const ExtractRequest& request);

// The data config of a data set folder, its kind detected from the files: IDX
// ({train,t10k}-images-idx3-ubyte[.gz]), CIFAR-10 (data_batch_1.bin, test_batch.bin), CIFAR-100
// (train.bin, test.bin), else IMAGE_FOLDER. root_path is `folder`, image_folder "". NotFound when
// `folder` is not a folder.
absl::StatusOr<data::DataConfig> DataConfigOfFolder(const std::string& folder);

}  // namespace ijepa::eval
