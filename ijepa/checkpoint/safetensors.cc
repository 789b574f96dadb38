#include "ijepa/checkpoint/safetensors.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <limits>
#include <set>
#include <tuple>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ijepa/common/atomic_file.h"
#include "ijepa/common/read_file.h"

// Tensor bytes are copied as they are: the format is little-endian, and so is every machine this
// project builds for. A big-endian port would have to byte-swap here.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "safetensors data is little-endian");

namespace ijepa::checkpoint {
namespace {

using Json = nlohmann::json;

constexpr char kMetadataKey[] = "__metadata__";
constexpr int64_t kMaxDims = 64;  // LibTorch's own limit on tensor rank

struct DType {
  const char* name;
  at::ScalarType type;
  int64_t bytes;
};

// The safetensors dtype codes LibTorch can hold in every version we build against (1.13 has no
// unsigned 16/32/64-bit or float8 tensors).
constexpr DType kDTypes[] = {
    {"BOOL", at::kBool, 1}, {"U8", at::kByte, 1},   {"I8", at::kChar, 1},       {"I16", at::kShort, 2},
    {"I32", at::kInt, 4},   {"I64", at::kLong, 8},  {"F16", at::kHalf, 2},      {"BF16", at::kBFloat16, 2},
    {"F32", at::kFloat, 4}, {"F64", at::kDouble, 8},
};

std::string SupportedDTypes() {
  std::vector<std::string> names;
  for (const DType& d : kDTypes) names.push_back(d.name);
  return absl::StrJoin(names, ", ");
}

const DType* DTypeByName(const std::string& name) {
  for (const DType& d : kDTypes) {
    if (name == d.name) return &d;
  }
  return nullptr;
}

const DType* DTypeByType(at::ScalarType type) {
  for (const DType& d : kDTypes) {
    if (type == d.type) return &d;
  }
  return nullptr;
}

struct Entry {
  std::string name;
  const DType* dtype;
  std::vector<int64_t> shape;
  uint64_t begin, end;
};

struct Header {
  std::vector<Entry> entries;  // sorted by data offset
  std::map<std::string, std::string> metadata;
};

absl::Status Invalid(const std::string& what, const std::string& message) {
  return absl::InvalidArgumentError(absl::StrCat(what, ": safetensors: ", message));
}

// nlohmann keeps the last of duplicate object keys silently; safetensors names must be unique,
// so the parser callback tracks the keys of every open object.
absl::StatusOr<Json> ParseStrictJson(std::string_view text, const std::string& what) {
  std::vector<std::set<std::string>> open_objects;
  std::string duplicate;
  const Json::parser_callback_t callback = [&](int /*depth*/, Json::parse_event_t event, Json& parsed) {
    if (event == Json::parse_event_t::object_start) {
      open_objects.emplace_back();
    } else if (event == Json::parse_event_t::object_end) {
      if (!open_objects.empty()) open_objects.pop_back();
    } else if (event == Json::parse_event_t::key && !open_objects.empty()) {
      const std::string& key = parsed.get_ref<const std::string&>();
      if (!open_objects.back().insert(key).second && duplicate.empty()) duplicate = key;
    }
    return true;
  };
  Json json;
  try {
    json = Json::parse(text.begin(), text.end(), callback, /*allow_exceptions=*/true, /*ignore_comments=*/false);
  } catch (const Json::exception& e) {
    return Invalid(what, absl::StrCat("header is not valid JSON: ", e.what()));
  }
  if (!duplicate.empty()) return Invalid(what, absl::StrCat("header names '", duplicate, "' twice"));
  return json;
}

absl::StatusOr<uint64_t> Unsigned(const Json& value, const std::string& what, const std::string& field) {
  if (!value.is_number_unsigned()) {
    return Invalid(what, absl::StrCat(field, ": expected a non-negative integer, got ", value.dump()));
  }
  return value.get<uint64_t>();
}

absl::StatusOr<Entry> ParseEntry(const std::string& name, const Json& info, const std::string& what) {
  const std::string field = absl::StrCat("tensor '", name, "'");
  if (!info.is_object()) return Invalid(what, absl::StrCat(field, ": expected an object, got ", info.type_name()));
  for (const char* key : {"dtype", "shape", "data_offsets"}) {
    if (!info.contains(key)) return Invalid(what, absl::StrCat(field, ": no '", key, "'"));
  }
  Entry entry;
  entry.name = name;
  const Json& dtype = info["dtype"];
  if (!dtype.is_string()) return Invalid(what, absl::StrCat(field, ".dtype: expected a string"));
  entry.dtype = DTypeByName(dtype.get<std::string>());
  if (entry.dtype == nullptr) {
    return Invalid(what, absl::StrCat(field, ".dtype: '", dtype.get<std::string>(),
                                      "' is unknown or not supported (supported: ", SupportedDTypes(), ")"));
  }
  const Json& shape = info["shape"];
  if (!shape.is_array()) return Invalid(what, absl::StrCat(field, ".shape: expected an array"));
  if (static_cast<int64_t>(shape.size()) > kMaxDims) {
    return Invalid(what, absl::StrCat(field, ".shape: ", shape.size(), " dimensions, at most ", kMaxDims));
  }
  uint64_t bytes = static_cast<uint64_t>(entry.dtype->bytes);
  bool overflow = false;
  for (size_t i = 0; i < shape.size(); ++i) {
    absl::StatusOr<uint64_t> size = Unsigned(shape[i], what, absl::StrCat(field, ".shape[", i, "]"));
    if (!size.ok()) return size.status();
    if (*size > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) overflow = true;
    if (*size != 0 && bytes > std::numeric_limits<uint64_t>::max() / *size) overflow = true;
    bytes *= *size;
    entry.shape.push_back(static_cast<int64_t>(*size));
  }
  const Json& offsets = info["data_offsets"];
  if (!offsets.is_array() || offsets.size() != 2) {
    return Invalid(what, absl::StrCat(field, ".data_offsets: expected [begin, end]"));
  }
  absl::StatusOr<uint64_t> begin = Unsigned(offsets[0], what, field + ".data_offsets[0]");
  if (!begin.ok()) return begin.status();
  absl::StatusOr<uint64_t> end = Unsigned(offsets[1], what, field + ".data_offsets[1]");
  if (!end.ok()) return end.status();
  if (*end < *begin) {
    return Invalid(what, absl::StrCat(field, ".data_offsets: end ", *end, " is before begin ", *begin));
  }
  entry.begin = *begin;
  entry.end = *end;
  if (overflow || bytes != entry.end - entry.begin) {
    return Invalid(what, absl::StrCat(field, ": dtype ", entry.dtype->name, " and shape ", shape.dump(), " need ",
                                      overflow ? std::string("more than 2^64") : absl::StrCat(bytes),
                                      " bytes, data_offsets give ", entry.end - entry.begin));
  }
  return entry;
}

absl::StatusOr<Header> ParseHeader(std::string_view text, uint64_t data_bytes, const std::string& what) {
  absl::StatusOr<Json> json = ParseStrictJson(text, what);
  if (!json.ok()) return json.status();
  if (!json->is_object()) return Invalid(what, absl::StrCat("header: expected a JSON object, got ", json->type_name()));
  Header header;
  for (const auto& [name, info] : json->items()) {
    if (name == kMetadataKey) {
      if (!info.is_object()) return Invalid(what, "__metadata__: expected an object of strings");
      for (const auto& [key, value] : info.items()) {
        if (!value.is_string()) {
          return Invalid(what, absl::StrCat("__metadata__['", key, "']: expected a string, got ", value.type_name()));
        }
        header.metadata[key] = value.get<std::string>();
      }
      continue;
    }
    if (name.empty()) return Invalid(what, "a tensor has an empty name");
    absl::StatusOr<Entry> entry = ParseEntry(name, info, what);
    if (!entry.ok()) return entry.status();
    header.entries.push_back(*std::move(entry));
  }
  // The ranges must tile [0, data_bytes): sorted, each starting where the previous ended.
  std::sort(header.entries.begin(), header.entries.end(), [](const Entry& a, const Entry& b) {
    return std::tie(a.begin, a.end, a.name) < std::tie(b.begin, b.end, b.name);
  });
  uint64_t expected = 0;
  const Entry* previous = nullptr;
  for (const Entry& e : header.entries) {
    if (e.begin < expected) {
      return Invalid(what, absl::StrCat("tensor '", e.name, "'.data_offsets [", e.begin, ", ", e.end,
                                        "] overlap tensor '", previous->name, "' [", previous->begin, ", ",
                                        previous->end, "]"));
    }
    if (e.begin > expected) {
      return Invalid(what, absl::StrCat("tensor '", e.name, "'.data_offsets begin at ", e.begin, ", expected ",
                                        expected, " (the data area has a gap)"));
    }
    if (e.end > data_bytes) {
      return Invalid(what, absl::StrCat("tensor '", e.name, "'.data_offsets end at ", e.end,
                                        ", beyond the data area of ", data_bytes, " bytes (truncated file?)"));
    }
    expected = e.end;
    previous = &e;
  }
  if (expected != data_bytes) {
    return Invalid(what, absl::StrCat("the tensors cover ", expected, " bytes of a data area of ", data_bytes,
                                      " (trailing bytes)"));
  }
  return header;
}

// Splits the first bytes of the file: returns the header length after checking it against the
// file size and the cap.
absl::StatusOr<uint64_t> HeaderLength(const unsigned char prefix[8], uint64_t file_bytes, const std::string& what) {
  if (file_bytes < 8) {
    return Invalid(what, absl::StrCat("file of ", file_bytes, " bytes is shorter than the 8-byte header length"));
  }
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | prefix[i];
  if (n > kMaxSafetensorsHeaderBytes) {
    return Invalid(what, absl::StrCat("header length ", n, " exceeds the limit of ", kMaxSafetensorsHeaderBytes,
                                      " bytes (not a safetensors file?)"));
  }
  if (n > file_bytes - 8) {
    return Invalid(what, absl::StrCat("header length ", n, " runs beyond the file (", file_bytes, " bytes)"));
  }
  return n;
}

// Copies `n` bytes at data offset `offset` into `dst`.
using ReadData = std::function<absl::Status(uint64_t offset, void* dst, uint64_t n)>;

absl::StatusOr<Safetensors> Materialize(Header header, const ReadData& read, const std::string& what) {
  Safetensors out;
  out.metadata = std::move(header.metadata);
  out.tensors.reserve(header.entries.size());
  for (const Entry& e : header.entries) {
    at::Tensor t = at::empty(e.shape, at::TensorOptions().dtype(e.dtype->type));
    if (e.end > e.begin) {
      if (absl::Status s = read(e.begin, t.data_ptr(), e.end - e.begin); !s.ok()) return s;
    }
    if (e.dtype->type == at::kBool) {
      // A bool byte other than 0/1 is undefined behaviour in LibTorch's kernels.
      const auto* bytes = static_cast<const unsigned char*>(t.data_ptr());
      for (uint64_t i = 0; i < e.end - e.begin; ++i) {
        if (bytes[i] > 1) {
          return Invalid(what, absl::StrCat("tensor '", e.name, "' (BOOL) holds byte ", int{bytes[i]}, " at element ",
                                            i, "; expected 0 or 1"));
        }
      }
    }
    out.tensors.emplace_back(e.name, std::move(t));
  }
  return out;
}

absl::Status PreadAll(int fd, uint64_t offset, void* dst, uint64_t n, const std::string& path) {
  auto* p = static_cast<char*>(dst);
  while (n > 0) {
    const ssize_t got = ::pread(fd, p, std::min<uint64_t>(n, uint64_t{1} << 30), static_cast<off_t>(offset));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      return absl::DataLossError(absl::StrCat(path, ": safetensors: read failed at byte ", offset, ": ",
                                              got < 0 ? std::strerror(errno) : "unexpected end of file"));
    }
    p += got;
    offset += static_cast<uint64_t>(got);
    n -= static_cast<uint64_t>(got);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Safetensors> ParseSafetensors(std::string_view bytes, const std::string& what) {
  unsigned char prefix[8] = {};
  std::memcpy(prefix, bytes.data(), std::min<size_t>(8, bytes.size()));
  absl::StatusOr<uint64_t> n = HeaderLength(prefix, bytes.size(), what);
  if (!n.ok()) return n.status();
  const std::string_view data = bytes.substr(8 + *n);
  absl::StatusOr<Header> header = ParseHeader(bytes.substr(8, *n), data.size(), what);
  if (!header.ok()) return header.status();
  return Materialize(*std::move(header), [&](uint64_t offset, void* dst, uint64_t count) {
    std::memcpy(dst, data.data() + offset, count);
    return absl::OkStatus();
  }, what);
}

absl::StatusOr<Safetensors> ReadSafetensors(const std::string& path) {
  absl::StatusOr<int> fd = common::OpenRegularFile(path, "safetensors file");
  if (!fd.ok()) return fd.status();
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{*fd};
  struct stat st;
  if (::fstat(*fd, &st) != 0) return absl::DataLossError(absl::StrCat(path, ": cannot stat: ", std::strerror(errno)));
  const uint64_t file_bytes = static_cast<uint64_t>(st.st_size);
  unsigned char prefix[8] = {};
  if (file_bytes >= 8) {
    if (absl::Status s = PreadAll(*fd, 0, prefix, 8, path); !s.ok()) return s;
  }
  absl::StatusOr<uint64_t> n = HeaderLength(prefix, file_bytes, path);
  if (!n.ok()) return n.status();
  std::string text(*n, '\0');
  if (absl::Status s = PreadAll(*fd, 8, text.data(), *n, path); !s.ok()) return s;
  const uint64_t data_start = 8 + *n;
  absl::StatusOr<Header> header = ParseHeader(text, file_bytes - data_start, path);
  if (!header.ok()) return header.status();
  return Materialize(*std::move(header), [&](uint64_t offset, void* dst, uint64_t count) {
    return PreadAll(*fd, data_start + offset, dst, count, path);
  }, path);
}

absl::StatusOr<std::string> SerializeSafetensors(const Safetensors& contents) {
  Json header = Json::object();
  if (!contents.metadata.empty()) header[kMetadataKey] = contents.metadata;
  std::vector<at::Tensor> data;
  data.reserve(contents.tensors.size());
  uint64_t offset = 0;
  for (const auto& [name, tensor] : contents.tensors) {
    if (name.empty() || name == kMetadataKey) {
      return absl::InvalidArgumentError(absl::StrCat("safetensors: invalid tensor name '", name, "'"));
    }
    if (header.contains(name)) {
      return absl::InvalidArgumentError(absl::StrCat("safetensors: tensor name '", name, "' given twice"));
    }
    const DType* dtype = DTypeByType(tensor.scalar_type());
    if (dtype == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("safetensors: tensor '", name, "' has dtype ",
                                                     c10::toString(tensor.scalar_type()),
                                                     ", which has no safetensors code here (supported: ",
                                                     SupportedDTypes(), ")"));
    }
    at::Tensor t = tensor.detach().to(at::kCPU).contiguous();
    const uint64_t bytes = static_cast<uint64_t>(t.numel()) * dtype->bytes;
    header[name] = {{"dtype", dtype->name}, {"shape", t.sizes().vec()}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
    data.push_back(std::move(t));
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // data starts 8-byte aligned, as the reference writer pads
  std::string out;
  out.reserve(8 + text.size() + offset);
  uint64_t n = text.size();
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  out += text;
  for (const at::Tensor& t : data) {
    if (t.numel() == 0) continue;  // an empty tensor may have no storage at all
    out.append(static_cast<const char*>(t.data_ptr()), static_cast<size_t>(t.numel() * t.element_size()));
  }
  return out;
}

absl::Status WriteSafetensors(const std::string& path, const Safetensors& contents) {
  absl::StatusOr<std::string> bytes = SerializeSafetensors(contents);
  if (!bytes.ok()) return absl::Status(bytes.status().code(), absl::StrCat(path, ": ", bytes.status().message()));
  return common::WriteFileAtomically(path, *bytes);
}

}  // namespace ijepa::checkpoint
