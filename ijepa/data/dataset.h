#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ijepa/data/image.h"

namespace ijepa::data {

struct Example {
  Image image;
  int64_t label = -1;
  std::string source;  // file name, or "idx:123" / "cifar:123" for records in container files
};

// Called by a decoder that can shrink while decoding (JPEG's scaled DCT) once it has read the
// original size; returns the largest factor (1, 2, 4 or 8) the caller accepts. The caller learns
// the original size this way, so crops drawn for the original map onto the smaller decode.
using DownscaleFn = std::function<int(int height, int width)>;

// A random-access data set. Implementations are immutable after construction, so Load() may be
// called from many threads at once.
class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual int64_t size() const = 0;
  // Reads and decodes sample `index` in [0, size()). Errors name the file and what was wrong.
  virtual absl::StatusOr<Example> Load(int64_t index) const = 0;
  // As Load(index), letting the decoder shrink by a factor `downscale` returns (see DownscaleFn).
  // Data sets without scaled decoding ignore it and never call it.
  virtual absl::StatusOr<Example> Load(int64_t index, const DownscaleFn& downscale) const {
    return Load(index);
  }
  virtual int64_t num_classes() const = 0;
  // Label of every index, without decoding anything.
  virtual const std::vector<int64_t>& labels() const = 0;
};

}  // namespace ijepa::data
