// Fuzz target for the checkpoint reader. Input starting with "PK" goes through the whole zip
// path (ReadTorchBytes); anything else is interpreted as data.pkl with in-memory storages, which is
// where libFuzzer finds its way into the pickle machine quickly.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>

#include <ATen/ATen.h>

#include "ijepa/checkpoint/torch_file.h"
#include "ijepa/checkpoint/unpickler.h"

namespace {

// Reads every element of every tensor, so a view outside its storage shows up under ASan. Each
// container is visited once: the reader bounds what a tree walk costs, the harness need not pay it.
void Touch(const c10::IValue& v, std::unordered_set<const void*>& seen) {
  if (v.isPtrType() && !seen.insert(v.internalToPointer()).second) return;
  if (v.isTensor()) {
    const at::Tensor& t = v.toTensor();
    if (t.numel() <= (1 << 16)) (void)t.to(at::kDouble).sum().item<double>();
  } else if (v.isTuple()) {
    for (const auto& e : v.toTupleRef().elements()) Touch(e, seen);
  } else if (v.isList()) {
    for (const auto& e : v.toListRef()) Touch(e, seen);
  } else if (v.isGenericDict()) {
    for (const auto& kv : v.toGenericDict()) Touch(kv.value(), seen);
  }
}

void Touch(const c10::IValue& v) {
  std::unordered_set<const void*> seen;
  Touch(v, seen);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (size >= 2 && bytes[0] == 'P' && bytes[1] == 'K') {
    auto result = ijepa::checkpoint::ReadTorchBytes(bytes, "fuzz.pt");
    if (result.ok()) Touch(*result);
    return 0;
  }
  ijepa::checkpoint::StorageLoader load = [](const std::string& key, c10::ScalarType dtype,
                                             int64_t numel) -> absl::StatusOr<c10::Storage> {
    if (numel > (1 << 12)) return absl::OutOfRangeError("fuzz storages hold at most 4096 elements");
    return at::zeros({numel}, at::TensorOptions().dtype(dtype)).storage();
  };
  auto result = ijepa::checkpoint::Unpickle(bytes, load, "fuzz.pkl");
  if (result.ok()) Touch(*result);
  return 0;
}
