#pragma once

// Helpers shared by the masking tests.

#include <string>
#include <vector>

#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "ijepa/masking/mask.pb.h"

namespace ijepa::masking::testing {

inline MaskConfig ParseConfig(const std::string& text) {
  MaskConfig config;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &config)) << text;
  return config;
}

// Bounding box of a set of patch indices.
struct Box {
  int top = 0, left = 0, h = 0, w = 0;
};
inline Box BoundingBox(const std::vector<int32_t>& indices, int grid_w) {
  int top = 1 << 30, left = 1 << 30, bottom = -1, right = -1;
  for (int32_t idx : indices) {
    const int r = idx / grid_w, c = idx % grid_w;
    top = std::min(top, r);
    left = std::min(left, c);
    bottom = std::max(bottom, r);
    right = std::max(right, c);
  }
  return Box{top, left, bottom - top + 1, right - left + 1};
}

inline bool IsSortedUnique(const std::vector<int32_t>& v) {
  for (size_t i = 1; i < v.size(); ++i) {
    if (v[i] <= v[i - 1]) return false;
  }
  return true;
}

}  // namespace ijepa::masking::testing
