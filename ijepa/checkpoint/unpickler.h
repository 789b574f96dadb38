// A pickle interpreter for exactly the subset torch.save emits for checkpoints, and nothing more.
// It never imports or calls Python objects: the only GLOBALs it accepts are the tensor rebuild
// functions, collections.OrderedDict, the torch.jit._pickle list/type helpers that LibTorch's own
// pickler writes, and the torch.*Storage classes. Every length, index and shape is checked, so a
// hostile or corrupt pickle yields an error, never a crash, unbounded allocation or code execution.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include <ATen/core/ivalue.h>
#include <c10/core/ScalarType.h>
#include <c10/core/Storage.h>

#include "absl/status/statusor.h"

namespace ijepa::checkpoint {

// Returns the storage archived under `key` (the record data/<key>), which must hold exactly
// `numel` elements of `dtype`. Called at most once per key; the unpickler shares the result
// between all tensors that view it.
using StorageLoader =
    std::function<absl::StatusOr<c10::Storage>(const std::string& key, c10::ScalarType dtype, int64_t numel)>;

// Limits that keep the IValue tree sane (its destructor and printers recurse).
inline constexpr int kMaxNestingDepth = 64;
inline constexpr int kMaxTensorDims = 64;
// Shared references (one container stored many times) may make a tree walk of the result visit
// at most (pickle length + this) values; past that the pickle is refused as a reference bomb.
inline constexpr uint64_t kSharedExpansionAllowance = uint64_t{1} << 20;

// Interprets `pickle` (protocol 2, as torch.save writes data.pkl; the protocol 3-5 framing and
// memo opcodes are accepted too). Dicts (plain and OrderedDict) become GenericDicts with
// insertion order kept, lists GenericLists, tuples Tuples, tensors CPU tensors viewing the
// loaded storages (offsets, strides and shared storages as in the file). Errors name `what`.
absl::StatusOr<c10::IValue> Unpickle(std::string_view pickle, const StorageLoader& load_storage,
                                     const std::string& what);

}  // namespace ijepa::checkpoint
