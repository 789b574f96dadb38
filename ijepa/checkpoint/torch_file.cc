#include "ijepa/checkpoint/torch_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <ATen/core/Dict.h>
#include <ATen/core/List.h>
#include <ATen/core/Tensor.h>
#include <caffe2/serialize/inline_container.h>
#include <caffe2/serialize/read_adapter_interface.h>
#include <caffe2/serialize/versions.h>
#include <torch/csrc/jit/serialization/pickle.h>
#include <zlib.h>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "ijepa/checkpoint/unpickler.h"
#include "ijepa/checkpoint/zip_index.h"
#include "ijepa/common/atomic_file.h"
#include "ijepa/common/read_file.h"

namespace ijepa::checkpoint {
namespace {

// Bytes the reader may need: a file (read with pread) or a buffer. Reads are clamped to the end,
// so neither LibTorch's zip reader nor the central-directory scan can read out of bounds.
class ClampedReadAdapter final : public caffe2::serialize::ReadAdapterInterface {
 public:
  ClampedReadAdapter(int fd, uint64_t size) : fd_(fd), size_(size) {}
  ClampedReadAdapter(std::string_view bytes) : bytes_(bytes), size_(bytes.size()) {}
  ~ClampedReadAdapter() override {
    if (fd_ >= 0) ::close(fd_);
  }
  size_t size() const override { return size_; }
  size_t read(uint64_t pos, void* buf, size_t n, const char* what = "") const override {
    if (pos >= size_) return 0;
    n = static_cast<size_t>(std::min<uint64_t>(n, size_ - pos));
    if (fd_ < 0) {
      std::memcpy(buf, bytes_.data() + pos, n);
      return n;
    }
    size_t done = 0;
    while (done < n) {
      const ssize_t got = ::pread(fd_, static_cast<char*>(buf) + done, n - done, static_cast<off_t>(pos + done));
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) break;
      done += static_cast<size_t>(got);
    }
    return done;
  }

 private:
  int fd_ = -1;
  std::string_view bytes_;
  uint64_t size_;
};

// The first bytes of torch.save's pre-1.6 format: protocol-2 pickle of the magic number
// 0x1950a86a20f9469cfc6c as a LONG1.
constexpr unsigned char kLegacyMagic[] = {0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46,
                                          0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};

absl::Status CheckFormat(const ClampedReadAdapter& in, const std::string& what) {
  unsigned char head[sizeof(kLegacyMagic)] = {};
  const size_t n = in.read(0, head, sizeof(head));
  if (n == 0) return absl::InvalidArgumentError(absl::StrCat(what, ": empty file, not a PyTorch checkpoint"));
  if (n >= 4 && std::memcmp(head, "PK\x03\x04", 4) == 0) return absl::OkStatus();
  if (n == sizeof(kLegacyMagic) && std::memcmp(head, kLegacyMagic, sizeof(kLegacyMagic)) == 0) {
    return absl::UnimplementedError(absl::StrCat(
        what, ": unsupported legacy format (torch.save before PyTorch 1.6, or _use_new_zipfile_serialization="
              "False); re-save it in Python with torch.save(torch.load(f), f2) to get the zip format"));
  }
  char tar_magic[5] = {};
  if (in.read(257, tar_magic, 5) == 5 && std::memcmp(tar_magic, "ustar", 5) == 0) {
    return absl::UnimplementedError(
        absl::StrCat(what, ": unsupported legacy format (tar archive of PyTorch <= 0.3); re-save it with a "
                           "current torch.save"));
  }
  return absl::InvalidArgumentError(absl::StrCat(
      what, ": not a PyTorch checkpoint (no zip signature at the start of the file); expected a torch.save file"));
}

// LibTorch's zip reader does not check the CRC-32 of stored records; a flipped bit in tensor data
// would otherwise load silently.
absl::Status CheckCrc(const void* data, uint64_t size, const ZipEntry& entry, const std::string& what) {
  uLong crc = ::crc32(0L, Z_NULL, 0);
  const auto* p = static_cast<const Bytef*>(data);
  for (uint64_t done = 0; done < size;) {
    const uInt chunk = static_cast<uInt>(std::min<uint64_t>(size - done, uint64_t{1} << 30));
    crc = ::crc32(crc, p + done, chunk);
    done += chunk;
  }
  if (static_cast<uint32_t>(crc) != entry.crc32) {
    return absl::DataLossError(absl::StrCat(what, ": CRC-32 mismatch in record '", entry.name,
                                            "'; the file is corrupt"));
  }
  return absl::OkStatus();
}

bool ValidStorageKey(const std::string& key) {
  if (key.empty() || key.size() > 64) return false;
  for (char c : key) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

absl::StatusOr<c10::IValue> ReadArchive(std::shared_ptr<ClampedReadAdapter> in, const std::string& what) {
  if (auto s = CheckFormat(*in, what); !s.ok()) return s;
  absl::StatusOr<std::vector<ZipEntry>> entries = ReadZipCentralDirectory(
      [&in](uint64_t pos, void* buf, size_t n) { return in->read(pos, buf, n); }, in->size(), what);
  if (!entries.ok()) return entries.status();
  if (auto s = CheckTorchZipEntries(*entries, in->size(), what); !s.ok()) return s;
  if (entries->empty()) return absl::InvalidArgumentError(absl::StrCat(what, ": empty zip archive"));
  // LibTorch's reader takes the folder of the first entry as the archive's root.
  const std::string& first = entries->front().name;
  const size_t slash = first.find('/');
  if (slash == std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": zip entry '", first, "' is not inside a folder; not a torch.save archive"));
  }
  const std::string root = first.substr(0, slash + 1);
  std::unordered_map<std::string, const ZipEntry*> index;
  for (const ZipEntry& entry : *entries) index[entry.name] = &entry;
  // LibTorch's reader parses the version record in its constructor and leaks its zip state when
  // that throws; check the record here first so a corrupt file fails before it.
  const auto version_it = index.count(root + ".data/version") ? index.find(root + ".data/version")
                                                               : index.find(root + "version");
  if (version_it == index.end()) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": the archive has no version record; not a torch.save file"));
  }
  absl::StatusOr<std::string> version = ReadSmallStoredEntry(
      [&in](uint64_t pos, void* buf, size_t n) { return in->read(pos, buf, n); }, in->size(), *version_it->second, 64,
      what);
  if (!version.ok()) return version.status();
  {
    size_t i = 0;
    while (i < version->size() && std::isspace(static_cast<unsigned char>((*version)[i]))) ++i;
    uint64_t number = 0;
    size_t digits = 0;
    for (; i < version->size() && std::isdigit(static_cast<unsigned char>((*version)[i])) && digits < 18; ++i, ++digits) {
      number = number * 10 + static_cast<uint64_t>((*version)[i] - '0');
    }
    if (digits == 0 || number < caffe2::serialize::kMinSupportedFileFormatVersion ||
        number > caffe2::serialize::kMaxSupportedFileFormatVersion) {
      return absl::InvalidArgumentError(absl::StrCat(
          what, ": unsupported archive format version '", absl::CEscape(*version), "' (this LibTorch reads ",
          caffe2::serialize::kMinSupportedFileFormatVersion, " to ", caffe2::serialize::kMaxSupportedFileFormatVersion, ")"));
    }
  }

  // PyTorch >= 2.1 records the byte order of tensor data; storages are read as little-endian here.
  if (auto it = index.find(root + "byteorder"); it != index.end()) {
    absl::StatusOr<std::string> order = ReadSmallStoredEntry(
        [&in](uint64_t pos, void* buf, size_t n) { return in->read(pos, buf, n); }, in->size(), *it->second, 16, what);
    if (!order.ok()) return order.status();
    if (*order != "little") {
      return absl::UnimplementedError(absl::StrCat(what, ": tensor data is stored with byte order '",
                                                   absl::CEscape(*order), "'; only little-endian files are supported"));
    }
  }
  try {
    caffe2::serialize::PyTorchStreamReader reader(std::static_pointer_cast<caffe2::serialize::ReadAdapterInterface>(in));
    if (index.count(root + "data.pkl") == 0 || !reader.hasRecord("data.pkl")) {
      return absl::InvalidArgumentError(absl::StrCat(
          what, ": the archive has no data.pkl (a TorchScript model or another zip file, not a torch.save checkpoint)"));
    }
    auto [pickle, pickle_size] = reader.getRecord("data.pkl");
    const ZipEntry& pickle_entry = *index[root + "data.pkl"];
    if (pickle_size != pickle_entry.uncompressed_size) {
      return absl::DataLossError(absl::StrCat(what, ": data.pkl size disagrees with the zip directory"));
    }
    if (auto s = CheckCrc(pickle.get(), pickle_size, pickle_entry, what); !s.ok()) return s;
    StorageLoader load = [&](const std::string& key, c10::ScalarType dtype,
                             int64_t numel) -> absl::StatusOr<c10::Storage> {
      if (!ValidStorageKey(key)) {
        return absl::InvalidArgumentError(absl::StrCat(what, ": invalid storage key '", key, "'"));
      }
      const std::string record = "data/" + key;
      auto it = index.find(root + record);
      if (it == index.end()) {
        return absl::DataLossError(absl::StrCat(what, ": tensor data record '", record, "' is missing"));
      }
      const uint64_t nbytes = static_cast<uint64_t>(numel) * c10::elementSize(dtype);
      if (it->second->uncompressed_size != nbytes) {
        return absl::DataLossError(absl::StrCat(what, ": record '", record, "' holds ", it->second->uncompressed_size,
                                                " bytes, but the pickle declares ", numel, " elements of ",
                                                c10::toString(dtype), " (", nbytes, " bytes)"));
      }
      auto [data, size] = reader.getRecord(record);
      if (size != nbytes) {
        return absl::DataLossError(absl::StrCat(what, ": record '", record, "' read ", size, " bytes, expected ", nbytes));
      }
      if (auto s = CheckCrc(data.get(), size, *it->second, what); !s.ok()) return s;
      return c10::Storage(c10::Storage::use_byte_size_t(), nbytes, std::move(data), /*allocator=*/nullptr,
                          /*resizable=*/false);
    };
    return Unpickle(std::string_view(static_cast<const char*>(pickle.get()), pickle_size), load, what);
  } catch (const std::exception& e) {
    // LibTorch's zip reader throws on corrupt archives (CRC mismatch, bad headers, bad version).
    return absl::DataLossError(absl::StrCat(what, ": corrupt PyTorch archive: ", e.what()));
  }
}

// Tensors are written as CPU tensors so the file loads on any machine; CPU tensors are kept as
// they are, which keeps their storage sharing.
c10::IValue ToCpu(const c10::IValue& v) {
  if (v.isTensor()) {
    const at::Tensor& t = v.toTensor();
    return t.device().is_cpu() ? v : c10::IValue(t.cpu());
  }
  if (v.isTuple()) {
    std::vector<c10::IValue> elements;
    for (const c10::IValue& e : v.toTupleRef().elements()) elements.push_back(ToCpu(e));
    return c10::ivalue::Tuple::create(std::move(elements));
  }
  if (v.isList()) {
    c10::impl::GenericList list(v.toList().elementType());
    for (const c10::IValue& e : v.toListRef()) list.push_back(ToCpu(e));
    return list;
  }
  if (v.isGenericDict()) {
    const c10::impl::GenericDict src = v.toGenericDict();
    c10::impl::GenericDict dict(src.keyType(), src.valueType());
    for (const auto& kv : src) dict.insert(kv.key(), ToCpu(kv.value()));
    return dict;
  }
  return v;
}

std::string Errno(const std::string& action, const std::string& path) {
  return absl::StrCat("cannot ", action, " ", path, ": ", std::strerror(errno));
}

}  // namespace

absl::StatusOr<c10::IValue> ReadTorchFile(const std::string& path) {
  // A FIFO is refused without blocking on its open (common::OpenRegularFile).
  absl::StatusOr<int> fd = common::OpenRegularFile(path, "checkpoint");
  if (!fd.ok()) return fd.status();
  struct stat st;
  if (::fstat(*fd, &st) != 0) {
    ::close(*fd);
    return absl::DataLossError(Errno("stat checkpoint", path));
  }
  return ReadArchive(std::make_shared<ClampedReadAdapter>(*fd, static_cast<uint64_t>(st.st_size)), path);
}

absl::StatusOr<c10::IValue> ReadTorchBytes(std::string_view bytes, const std::string& what) {
  return ReadArchive(std::make_shared<ClampedReadAdapter>(bytes), what);
}

absl::Status WriteTorchFile(const std::string& path, const c10::IValue& value) {
  std::vector<char> bytes;
  try {
    bytes = torch::jit::pickle_save(ToCpu(value));
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("cannot serialize the value for ", path, ": ", e.what()));
  }
  return common::WriteFileAtomically(path, std::string_view(bytes.data(), bytes.size()));
}

}  // namespace ijepa::checkpoint
