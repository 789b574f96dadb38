// PyTorch-compatible checkpoint files: torch.save's zip format, read without Python and without
// running code, and written so that Python's torch.load reads them.
#pragma once

#include <string>
#include <string_view>

#include <ATen/core/ivalue.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ijepa::checkpoint {

// Reads a torch.save zip file into an IValue tree (dicts, lists, tuples, str, int, float, bool,
// None, CPU tensors). Never runs code: only the globals torch.save needs for tensors and
// OrderedDicts are accepted; anything else, a corrupt or truncated file, or the pre-1.6 legacy
// (non-zip) format is an error that names the file.
absl::StatusOr<c10::IValue> ReadTorchFile(const std::string& path);

// The same for a file already in memory; `what` names it in errors. Used by the fuzz target.
absl::StatusOr<c10::IValue> ReadTorchBytes(std::string_view bytes, const std::string& what);

// Writes an IValue tree (dicts, lists, tuples, tensors, scalars, strings, None) as a file Python's
// torch.load reads (LibTorch's pickler, zip format). Tensors are written from any device.
// Atomic: a temporary file in the same folder is written, fsynced and renamed over `path`, and the
// folder is fsynced, so a crash leaves either the old file or the new one.
absl::Status WriteTorchFile(const std::string& path, const c10::IValue& value);

}  // namespace ijepa::checkpoint
