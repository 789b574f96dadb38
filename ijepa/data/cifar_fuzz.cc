// Fuzz target: the CIFAR-10/100 binary record reader on arbitrary bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ijepa/data/cifar.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ijepa::data;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  for (CifarKind kind : {CifarKind::kCifar10, CifarKind::kCifar100}) {
    auto dataset = CifarDataset::FromBytes(kind, bytes, "fuzz");
    if (!dataset.ok()) continue;
    auto first = (*dataset)->Load(0);
    auto last = (*dataset)->Load((*dataset)->size() - 1);
    if (!first.ok() || !last.ok() || first->label >= (*dataset)->num_classes()) __builtin_trap();
  }
  return 0;
}
