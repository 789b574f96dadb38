// Fuzz target for the safetensors reader. Beyond "no crash, no out-of-bounds read": whatever the
// reader accepts must survive our writer and reader unchanged (names, dtypes, shapes, bytes,
// metadata), so a header the reader misreads without failing shows up as an abort.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include <ATen/ATen.h>

#include "ijepa/checkpoint/safetensors.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto read = ijepa::checkpoint::ParseSafetensors(bytes, "fuzz.safetensors");
  if (!read.ok()) return 0;
  auto written = ijepa::checkpoint::SerializeSafetensors(*read);
  Check(written.ok());
  auto again = ijepa::checkpoint::ParseSafetensors(*written, "fuzz (rewritten)");
  Check(again.ok());
  Check(again->metadata == read->metadata && again->tensors.size() == read->tensors.size());
  for (size_t i = 0; i < read->tensors.size(); ++i) {
    const at::Tensor& a = read->tensors[i].second;
    const at::Tensor& b = again->tensors[i].second;
    Check(again->tensors[i].first == read->tensors[i].first);
    Check(a.scalar_type() == b.scalar_type() && a.sizes() == b.sizes());
    // Bytewise: NaN payloads must survive too.
    Check(a.numel() == 0 || std::memcmp(a.data_ptr(), b.data_ptr(), a.numel() * a.element_size()) == 0);
  }
  return 0;
}
