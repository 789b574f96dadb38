// The output folder of a pretraining run: one owner at a time, and no temporaries of earlier,
// killed runs. Kept out of the trainer so that the trainer stays about training.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "ijepa/common/run_folder.h"

namespace ijepa::training {

// Takes rank `rank`'s lock on `folder` (".ijepa-run-r{rank}.lock": ranks of one run share the
// folder, two runs never do) and removes the stale temporaries of the files that rank writes:
// "{tag}_r{rank}.csv" for every rank, every other file (checkpoints, params-ijepa.pbtxt, the loss
// SVG) for rank 0. Logs each removed file on stderr. Hold the result for the whole run.
absl::StatusOr<std::unique_ptr<common::RunFolderLock>> ClaimRunFolder(const std::string& folder,
                                                                     const std::string& tag, int rank);

}  // namespace ijepa::training
