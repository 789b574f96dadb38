#include "ijepa/eval/feature_cache.h"

#include <chrono>
#include <filesystem>
#include <string>
#include <system_error>

#include <ATen/ATen.h>
#include <ATen/core/Dict.h>
#include <ATen/core/ivalue.h>
#include <glog/logging.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ijepa/checkpoint/torch_file.h"

namespace ijepa::eval {
namespace {

uint64_t Fnv1a(const std::string& bytes, uint64_t basis) {
  uint64_t h = basis;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001B3ULL;
  }
  return h;
}

std::string Describe(const FeatureRequest& r) {
  std::string s;
  for (PoolMode p : r.pools) absl::StrAppend(&s, std::string(PoolModeName(p)), ",");
  absl::StrAppend(&s, r.patches ? "patches," : "", r.raw_pixels ? "raw_pixels" : "");
  return s;
}

absl::StatusOr<ExtractedFeatures> ReadCache(const std::string& path, const std::string& key,
                                            const std::vector<int64_t>& indices, const FeatureRequest& request) {
  absl::StatusOr<c10::IValue> value = checkpoint::ReadTorchFile(path);
  if (!value.ok()) return value.status();
  if (!value->isGenericDict()) return absl::DataLossError(absl::StrCat(path, ": not a dict"));
  c10::Dict<c10::IValue, c10::IValue> dict = value->toGenericDict();
  auto tensor = [&](const std::string& name) -> absl::StatusOr<at::Tensor> {
    auto it = dict.find(c10::IValue(name));
    if (it == dict.end() || !it->value().isTensor()) {
      return absl::DataLossError(absl::StrCat(path, ": no tensor '", name, "'"));
    }
    return it->value().toTensor();
  };
  auto stored_key = dict.find(c10::IValue(std::string("key")));
  if (stored_key == dict.end() || !stored_key->value().isString() || stored_key->value().toStringRef() != key) {
    return absl::DataLossError(absl::StrCat(path, ": cache key differs"));
  }
  absl::StatusOr<at::Tensor> stored_indices = tensor("indices");
  if (!stored_indices.ok()) return stored_indices.status();
  if (!at::equal(*stored_indices, at::tensor(indices, at::kLong))) {
    return absl::DataLossError(absl::StrCat(path, ": cached image indices differ"));
  }
  ExtractedFeatures f;
  f.indices = indices;
  absl::StatusOr<at::Tensor> labels = tensor("labels");
  if (!labels.ok()) return labels.status();
  f.labels = *labels;
  for (PoolMode p : request.pools) {
    absl::StatusOr<at::Tensor> t = tensor(std::string(PoolModeName(p)));
    if (!t.ok()) return t.status();
    f.pooled[p] = *t;
  }
  if (request.patches) {
    absl::StatusOr<at::Tensor> t = tensor("patches");
    if (!t.ok()) return t.status();
    f.patches = *t;
  }
  if (request.raw_pixels) {
    absl::StatusOr<at::Tensor> t = tensor("raw_pixels");
    if (!t.ok()) return t.status();
    f.raw_pixels = *t;
  }
  return f;
}

}  // namespace

std::string FeatureCacheKey(const std::string& encoder_id, const data::DataConfig& data, const std::string& split,
                            const std::vector<int64_t>& indices, const FeatureRequest& request) {
  std::string serialized;
  data.SerializeToString(&serialized);
  std::string text = absl::StrCat(encoder_id, "|", split, "|", Describe(request), "|", serialized, "|");
  for (int64_t i : indices) absl::StrAppend(&text, i, ",");
  return absl::StrFormat("%016x%016x", Fnv1a(text, 0xCBF29CE484222325ULL), Fnv1a(text, 0x84222325CBF29CE4ULL));
}

absl::StatusOr<ExtractedFeatures> CachedExtractFeatures(const std::string& dir, const std::string& key,
                                                        models::VisionTransformerImpl* encoder,
                                                        std::shared_ptr<const data::Dataset> dataset,
                                                        const std::vector<int64_t>& indices,
                                                        std::shared_ptr<const data::Transform> transform,
                                                        const FeatureRequest& request, const ExtractOptions& options) {
  const std::string path = (std::filesystem::path(dir) / absl::StrCat("features-", key, ".pt")).string();
  std::error_code error;
  if (std::filesystem::exists(path, error)) {
    const auto start = std::chrono::steady_clock::now();
    absl::StatusOr<ExtractedFeatures> cached = ReadCache(path, key, indices, request);
    if (cached.ok()) {
      cached->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      LOG(INFO) << "features read from cache " << path;
      return cached;
    }
    LOG(WARNING) << "ignoring feature cache file: " << cached.status();
  }
  absl::StatusOr<ExtractedFeatures> f = ExtractFeatures(encoder, dataset, indices, transform, request, options);
  if (!f.ok()) return f.status();
  std::filesystem::create_directories(dir, error);
  if (error) return absl::PermissionDeniedError(absl::StrCat("cannot create feature_cache_dir ", dir, ": ", error.message()));
  c10::impl::GenericDict dict(c10::StringType::get(), c10::AnyType::get());
  dict.insert(std::string("key"), key);
  dict.insert(std::string("indices"), at::tensor(indices, at::kLong));
  dict.insert(std::string("labels"), f->labels);
  for (const auto& [mode, t] : f->pooled) dict.insert(std::string(PoolModeName(mode)), t);
  if (f->patches.defined()) dict.insert(std::string("patches"), f->patches);
  if (f->raw_pixels.defined()) dict.insert(std::string("raw_pixels"), f->raw_pixels);
  if (absl::Status s = checkpoint::WriteTorchFile(path, c10::IValue(dict)); !s.ok()) return s;
  LOG(INFO) << "features cached in " << path;
  return f;
}

}  // namespace ijepa::eval
