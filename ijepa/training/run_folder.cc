#include "ijepa/training/run_folder.h"

#include <cstdio>
#include <regex>
#include <string_view>

#include "absl/strings/str_cat.h"

namespace ijepa::training {

absl::StatusOr<std::unique_ptr<common::RunFolderLock>> ClaimRunFolder(const std::string& folder,
                                                                     const std::string& tag, int rank) {
  auto lock = common::RunFolderLock::Acquire(folder, absl::StrCat(".ijepa-run-r", rank, ".lock"));
  if (!lock.ok()) return lock.status();
  const std::string own_csv = absl::StrCat(tag, "_r", rank, ".csv");
  const std::regex rank_csv(R"(.*_r[0-9]+\.csv)");
  auto removed = common::RemoveStaleTemporaries(folder, [&](std::string_view target) {
    if (target == own_csv) return true;
    return rank == 0 && !std::regex_match(target.begin(), target.end(), rank_csv);
  });
  if (!removed.ok()) return removed.status();
  for (const std::string& name : *removed) {
    std::fprintf(stderr, "removed %s/%s, a temporary file an interrupted run left behind\n", folder.c_str(),
                 name.c_str());
  }
  return lock;
}

}  // namespace ijepa::training
