// Test-side reader of TensorBoard event files: every record's length CRC and data CRC are
// checked, and a file must end on a record boundary (a torn last record is an error here, where
// TensorBoard would silently stop reading).
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ijepa/common/tensorboard_event.pb.h"

namespace ijepa::common {

// The events of `path` in file order; an error names the file, the record's offset and what was
// expected there.
absl::StatusOr<std::vector<tensorboard::Event>> ReadEventFile(const std::string& path);

// The event files (names containing "tfevents", as TensorBoard selects them) of `folder`, sorted
// by name: the order TensorBoard reads them in.
std::vector<std::string> EventFilesIn(const std::string& folder);

}  // namespace ijepa::common
