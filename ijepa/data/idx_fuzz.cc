// Fuzz target: gzip inflation and the IDX parser / data set on arbitrary bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "ijepa/data/file_io.h"
#include "ijepa/data/idx.h"

namespace {

void Parse(std::string_view bytes) {
  using namespace ijepa::data;
  (void)ParseIdx(bytes, "fuzz", 1);
  absl::StatusOr<IdxArray> images = ParseIdx(bytes, "fuzz", 3);
  if (!images.ok() || images->dims[0] > 100000) return;
  IdxArray labels;
  labels.dims = {images->dims[0]};
  labels.data.assign(images->dims[0], '\x01');
  auto dataset = IdxDataset::FromArrays(*std::move(images), std::move(labels), "fuzz");
  if (!dataset.ok() || (*dataset)->size() == 0) return;
  auto first = (*dataset)->Load(0);
  auto last = (*dataset)->Load((*dataset)->size() - 1);
  if (!first.ok() || !last.ok()) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  Parse(bytes);
  if (ijepa::data::IsGzip(bytes)) {
    auto inflated = ijepa::data::Gunzip(bytes, "fuzz", size_t{1} << 24);
    if (inflated.ok()) Parse(*inflated);
  }
  return 0;
}
