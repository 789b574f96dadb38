// Fuzz target for the checkpoint reader. Input starting with "PK" goes through the whole zip
// path (ReadTorchBytes); anything else is interpreted as data.pkl with in-memory storages, which is
// where libFuzzer finds its way into the pickle machine quickly.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
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

// Values a tree walk of `v` visits (shared containers once per reference), memoised by identity.
uint64_t Expanded(const c10::IValue& v, std::unordered_map<const void*, uint64_t>& memo) {
  if (!(v.isTuple() || v.isList() || v.isGenericDict())) return 1;
  if (auto it = memo.find(v.internalToPointer()); it != memo.end()) return it->second;
  uint64_t total = 1;
  auto add = [&](const c10::IValue& e) { total = std::min<uint64_t>(total + Expanded(e, memo), uint64_t{1} << 62); };
  if (v.isTuple()) {
    for (const auto& e : v.toTupleRef().elements()) add(e);
  } else if (v.isList()) {
    for (const auto& e : v.toListRef()) add(e);
  } else {
    for (const auto& kv : v.toGenericDict()) add(kv.value());
  }
  memo[v.internalToPointer()] = total;
  return total;
}

// A coverage ladder over what walking the result costs: one branch per power of two of its
// expanded size, so an input that doubles the work is new coverage and libFuzzer keeps it.
// Growing a structure of shared references adds no edge in the reader itself, so without the
// ladder the fuzzer never climbed towards the reference bomb (2 x 90 s, 5 M runs); with it and a
// 12-level seed it found an input that hung the old reader in about 2 minutes
// (testdata/corpus/fuzz_timeout_4332a8a964f7). The reader now refuses such inputs, so the
// accepted ones top out near rung 21.
volatile int ladder_sink;
#define IJEPA_RUNG(k) \
  if (expanded >= (uint64_t{1} << (k))) ladder_sink = (k);
void Ladder(const c10::IValue& v) {
  std::unordered_map<const void*, uint64_t> memo;
  const uint64_t expanded = Expanded(v, memo);
  IJEPA_RUNG(1) IJEPA_RUNG(2) IJEPA_RUNG(3) IJEPA_RUNG(4) IJEPA_RUNG(5) IJEPA_RUNG(6) IJEPA_RUNG(7) IJEPA_RUNG(8)
  IJEPA_RUNG(9) IJEPA_RUNG(10) IJEPA_RUNG(11) IJEPA_RUNG(12) IJEPA_RUNG(13) IJEPA_RUNG(14) IJEPA_RUNG(15)
  IJEPA_RUNG(16) IJEPA_RUNG(17) IJEPA_RUNG(18) IJEPA_RUNG(19) IJEPA_RUNG(20) IJEPA_RUNG(21) IJEPA_RUNG(22)
  IJEPA_RUNG(23) IJEPA_RUNG(24) IJEPA_RUNG(25) IJEPA_RUNG(26) IJEPA_RUNG(27) IJEPA_RUNG(28) IJEPA_RUNG(29)
  IJEPA_RUNG(30) IJEPA_RUNG(31) IJEPA_RUNG(32)
}
#undef IJEPA_RUNG

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (size >= 2 && bytes[0] == 'P' && bytes[1] == 'K') {
    auto result = ijepa::checkpoint::ReadTorchBytes(bytes, "fuzz.pt");
    if (result.ok()) {
      Touch(*result);
      Ladder(*result);
    }
    return 0;
  }
  ijepa::checkpoint::StorageLoader load = [](const std::string& key, c10::ScalarType dtype,
                                             int64_t numel) -> absl::StatusOr<c10::Storage> {
    if (numel > (1 << 12)) return absl::OutOfRangeError("fuzz storages hold at most 4096 elements");
    return at::zeros({numel}, at::TensorOptions().dtype(dtype)).storage();
  };
  auto result = ijepa::checkpoint::Unpickle(bytes, load, "fuzz.pkl");
  if (result.ok()) {
    Touch(*result);
    Ladder(*result);
  }
  return 0;
}
