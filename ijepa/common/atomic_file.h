// Atomic file replacement, the one implementation every writer uses (checkpoints, configs, CSV
// rewrites, probe reports), and the cleanup of what an interrupted write leaves behind.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace ijepa::common {

// Writes `contents` to a new temporary file `path.tmp.XXXXXX` (mkstemp) in the same folder, fsyncs
// it, makes it 0644, renames it over `path` and fsyncs the folder: readers see the old file or the
// new one, never a part. While the temporary exists its name is registered for
// RemoveTemporariesOnTerminationSignals; on any error it is removed and the old `path` is untouched.
absl::Status WriteFileAtomically(const std::string& path, std::string_view contents);

// Installs handlers for SIGTERM, SIGINT and SIGHUP (where their disposition is still the default)
// that remove the temporaries of WriteFileAtomically calls in flight, then die of the same signal
// as before: a write interrupted by Ctrl-C, `kill` or a scheduler is abandoned cleanly (the target
// keeps its previous contents and no temporary is left). A SIGKILL cannot be caught: its leftovers
// are removed by RemoveStaleTemporaries when the next run starts in the folder.
void RemoveTemporariesOnTerminationSignals();

// True for the names an interrupted writer of this project may leave: "NAME.tmp.XXXXXX"
// (WriteFileAtomically, mkstemp), "NAME.tmp.PID" and "NAME.tmp" (earlier versions). Sets *target to
// NAME when given.
bool IsTemporaryName(std::string_view file_name, std::string* target = nullptr);

namespace internal {
// Test seam: called by WriteFileAtomically after the temporary is complete, before the rename
// (tests raise a signal there). nullptr (the default) calls nothing.
void SetBeforeRenameHookForTesting(void (*hook)());
}  // namespace internal

}  // namespace ijepa::common
