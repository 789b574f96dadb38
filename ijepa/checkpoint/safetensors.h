// The safetensors format (Hugging Face): an 8-byte little-endian header length N, N bytes of JSON
// ({"NAME": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...,
// "__metadata__": {str: str}}), then the raw little-endian tensor bytes, offsets relative to the
// end of the header. No code, no pickles: reading is parsing and bounds checking.
//
// The reader is as strict as the reference implementation (huggingface/safetensors, Rust): the
// tensors' byte ranges must tile the data area exactly (no gaps, no overlaps, nothing beyond the
// file), every range must be the size its dtype and shape say, names are unique, the header is at
// most kMaxSafetensorsHeaderBytes. Every error names the file and the field.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ijepa::checkpoint {

// The reference implementation's cap (MAX_HEADER_SIZE): a header claiming more is refused before
// anything is allocated.
inline constexpr uint64_t kMaxSafetensorsHeaderBytes = 100'000'000;

struct Safetensors {
  std::vector<std::pair<std::string, at::Tensor>> tensors;  // in data order (file offsets)
  std::map<std::string, std::string> metadata;              // "__metadata__", e.g. {"format": "pt"}
};

// Reads `path` (a regular file; tensor data goes straight from the file into the tensors, so a
// multi-GB checkpoint costs its size once). Tensors are CPU, contiguous, with the file's dtype.
absl::StatusOr<Safetensors> ReadSafetensors(const std::string& path);

// The same from bytes in memory; `what` names the source in errors.
absl::StatusOr<Safetensors> ParseSafetensors(std::string_view bytes, const std::string& what);

// The file's bytes: tensors in the given order (each made CPU-contiguous), header padded with
// spaces to a multiple of 8 bytes as the reference writer does. Errors: duplicate or empty names,
// the reserved name "__metadata__", a dtype safetensors has no code for here.
absl::StatusOr<std::string> SerializeSafetensors(const Safetensors& contents);

// SerializeSafetensors, written atomically (//ijepa/common:atomic_file).
absl::Status WriteSafetensors(const std::string& path, const Safetensors& contents);

}  // namespace ijepa::checkpoint
