#pragma once

// Fixtures for the data tests: encoders and writers for small generated files.
#include <cstdint>
#include <string>
#include <vector>

#include "ijepa/data/image.h"

namespace ijepa::data::testing {

// Deterministic image with smooth gradients plus a little per-pixel noise (JPEG-friendly).
Image PatternImage(int height, int width, int channels, uint32_t seed);
// Every pixel = value (per channel).
Image ConstantImage(int height, int width, const std::vector<uint8_t>& value);

std::string EncodeJpeg(const Image& image, int quality = 90);
// channels 1, 2 (grey + alpha), 3 or 4 (RGBA): pixels as given.
std::string EncodePng(const Image& image);
std::string GzipBytes(const std::string& raw);
// IDX unsigned-byte file bytes.
std::string IdxBytes(const std::vector<uint32_t>& dims, const std::string& data);

void WriteFile(const std::string& path, const std::string& bytes);
// $TEST_TMPDIR/<name>, freshly created (removed first if present).
std::string FreshTempDir(const std::string& name);

}  // namespace ijepa::data::testing
