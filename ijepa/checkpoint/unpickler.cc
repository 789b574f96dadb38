#include "ijepa/checkpoint/unpickler.h"

#include <algorithm>
#include <cstring>
#include <exception>
#include <memory>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <ATen/core/Dict.h>
#include <ATen/core/List.h>
#include <ATen/core/Tensor.h>
#include <c10/core/TensorImpl.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace ijepa::checkpoint {
namespace {

// The callables and classes a checkpoint may name.
enum class Global {
  kOrderedDict,
  kRebuildTensorV2,
  kRebuildParameter,
  kRebuildParameterWithState,
  kRestoreTypeTag,
  kBuildList,
  kStorageType,
};

struct StorageClass {
  const char* name;
  c10::ScalarType dtype;
};

constexpr StorageClass kStorageClasses[] = {
    {"DoubleStorage", c10::kDouble},  {"FloatStorage", c10::kFloat},
    {"HalfStorage", c10::kHalf},      {"BFloat16Storage", c10::kBFloat16},
    {"LongStorage", c10::kLong},      {"IntStorage", c10::kInt},
    {"ShortStorage", c10::kShort},    {"CharStorage", c10::kChar},
    {"ByteStorage", c10::kByte},      {"BoolStorage", c10::kBool},
    {"ComplexFloatStorage", c10::kComplexFloat}, {"ComplexDoubleStorage", c10::kComplexDouble},
};

// One entry of the pickle machine's stack or memo. Globals and tuples that hold them (the
// persistent id of a storage) exist only here; they can never reach the returned IValue tree.
struct Item {
  c10::IValue value;
  std::optional<Global> global;
  std::string global_name;                        // "module.name", for error messages
  c10::ScalarType storage_dtype = c10::kByte;     // when global == kStorageType
  std::shared_ptr<std::vector<Item>> raw_tuple;   // a tuple holding a global

  bool is_data() const { return !global.has_value() && raw_tuple == nullptr; }
};

// Bookkeeping for every container built, keyed by its address (the container is kept alive here
// so the address is never reused while unpickling). A container is sealed once it is stored in
// another one; mutating it afterwards is refused, which rules out reference cycles and keeps the
// recorded nesting depth and expanded size exact.
struct ContainerInfo {
  c10::IValue keep_alive;
  int depth = 1;
  bool sealed = false;
  bool ordered_dict = false;
  // Values a tree walk of this container visits, itself included (shared children count once per
  // reference, saturating): what a consumer that walks the result, or re-pickles it, pays.
  uint64_t expanded = 1;
};

struct StorageEntry {
  c10::Storage storage;
  c10::ScalarType dtype;
  int64_t numel;
};

class Unpickler {
 public:
  Unpickler(std::string_view data, const StorageLoader& load, const std::string& what)
      : data_(data), load_(load), what_(what) {}

  absl::StatusOr<c10::IValue> Run();

 private:
  absl::Status Error(const std::string& message) const {
    return absl::InvalidArgumentError(absl::StrCat(what_, ": pickle byte ", op_pos_, ": ", message));
  }
  absl::Status Truncated() const {
    return absl::DataLossError(
        absl::StrCat(what_, ": pickle ends in the middle of the opcode at byte ", op_pos_, " (truncated data)"));
  }
  absl::StatusOr<const uint8_t*> Take(uint64_t n) {
    if (n > data_.size() - pos_) return Truncated();
    const auto* p = reinterpret_cast<const uint8_t*>(data_.data()) + pos_;
    pos_ += n;
    return p;
  }
  absl::StatusOr<uint64_t> TakeLe(int n) {
    auto p = Take(n);
    if (!p.ok()) return p.status();
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | (*p)[i];
    return v;
  }
  absl::StatusOr<std::string> TakeLine() {
    constexpr size_t kMaxLine = 256;
    const size_t end = data_.find('\n', pos_);
    if (end == std::string_view::npos) return Truncated();
    if (end - pos_ > kMaxLine) return Error("GLOBAL name longer than 256 characters");
    std::string line(data_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return line;
  }

  size_t Floor() const { return marks_.empty() ? 0 : marks_.back(); }
  absl::StatusOr<Item> Pop() {
    if (stack_.size() <= Floor()) return Error("stack underflow");
    Item item = std::move(stack_.back());
    stack_.pop_back();
    return item;
  }
  absl::StatusOr<Item*> Top() {
    if (stack_.size() <= Floor()) return Error("stack underflow");
    return &stack_.back();
  }
  absl::StatusOr<std::vector<Item>> PopToMark() {
    if (marks_.empty()) return Error("opcode needs a MARK but none is open");
    const size_t mark = marks_.back();
    marks_.pop_back();
    std::vector<Item> items(std::make_move_iterator(stack_.begin() + mark), std::make_move_iterator(stack_.end()));
    stack_.resize(mark);
    return items;
  }

  ContainerInfo* Info(const c10::IValue& v) {
    if (!v.isPtrType()) return nullptr;
    auto it = containers_.find(v.internalToPointer());
    return it == containers_.end() ? nullptr : &it->second;
  }
  int Depth(const c10::IValue& v) {
    const ContainerInfo* info = Info(v);
    return info == nullptr ? 0 : info->depth;
  }
  absl::Status Register(const c10::IValue& v, int depth, bool sealed, bool ordered_dict = false) {
    if (depth > kMaxNestingDepth) {
      return Error(absl::StrCat("containers nested deeper than ", kMaxNestingDepth, " levels"));
    }
    containers_[v.internalToPointer()] = ContainerInfo{v, depth, sealed, ordered_dict};
    return absl::OkStatus();
  }
  absl::Status CheckData(const Item& item, const char* where) const {
    if (item.is_data()) return absl::OkStatus();
    return Error(absl::StrCat(item.global ? absl::StrCat("global '", item.global_name, "'")
                                          : std::string("a tuple holding a global"),
                              " cannot be used as a value (", where, ")"));
  }
  // Stores `child` inside `container`: seals the child, deepens the container and adds the
  // child's expanded size to it.
  absl::Status Adopt(ContainerInfo& container, const c10::IValue& child) {
    uint64_t child_expanded = 1;
    if (ContainerInfo* info = Info(child)) {
      if (info == &container) return Error("a container cannot contain itself");
      info->sealed = true;
      container.depth = std::max(container.depth, info->depth + 1);
      if (container.depth > kMaxNestingDepth) {
        return Error(absl::StrCat("containers nested deeper than ", kMaxNestingDepth, " levels"));
      }
      child_expanded = info->expanded;
    }
    // Shared references (memo GETs of a container) make a tree walk of the result exponential in
    // the pickle's size: a list holding the previous list twice, 40 times over, is 2^40 values.
    container.expanded = std::min(container.expanded + child_expanded, MaxExpanded() + 1);
    if (container.expanded > MaxExpanded()) {
      return Error(absl::StrCat("shared references expand to more than ", MaxExpanded(),
                                " values (a reference bomb: a container stored many times over)"));
    }
    return absl::OkStatus();
  }
  // A pickle without shared containers pushes every value with at least one opcode byte, so its
  // expanded size is below its length; kSharedExpansionAllowance leaves room for honest sharing.
  uint64_t MaxExpanded() const { return data_.size() + kSharedExpansionAllowance; }
  absl::StatusOr<ContainerInfo*> Mutable(const Item& target, bool want_list) {
    if (!target.is_data() || (want_list ? !target.value.isList() : !target.value.isGenericDict())) {
      return Error(want_list ? "APPEND target is not a list" : "SETITEM target is not a dict");
    }
    ContainerInfo* info = Info(target.value);
    if (info == nullptr) return Error("container of unknown origin");
    if (info->sealed) return Error("modifying a container after it was stored in another one (reference cycle?)");
    return info;
  }

  absl::Status PushInt(int64_t v) {
    stack_.push_back(Item{c10::IValue(v)});
    return absl::OkStatus();
  }
  absl::Status MakeTuple(std::vector<Item> items);
  absl::Status Append(const Item& list, std::vector<Item> values);
  absl::Status SetItems(const Item& dict, std::vector<Item> kv);
  absl::Status PushGlobal(const std::string& module, const std::string& name);
  absl::Status PersistentLoad(Item pid);
  absl::Status Reduce(Item callable, Item args);
  absl::StatusOr<c10::IValue> RebuildTensor(const std::vector<c10::IValue>& args);
  absl::Status CheckResult(const c10::IValue& v, int depth, std::unordered_set<const void*>& checked) const;

  std::string_view data_;
  const StorageLoader& load_;
  const std::string& what_;
  size_t pos_ = 0;
  size_t op_pos_ = 0;
  std::vector<Item> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, Item> memo_;
  std::unordered_map<const void*, ContainerInfo> containers_;
  std::unordered_map<std::string, StorageEntry> storages_;
  std::unordered_map<const void*, c10::ScalarType> storage_dtypes_;
};

absl::Status Unpickler::MakeTuple(std::vector<Item> items) {
  bool all_data = true;
  for (const Item& item : items) {
    // Only a storage's persistent id holds a global; nesting such tuples is never needed.
    if (item.raw_tuple != nullptr) return Error("a tuple holding a global inside another tuple");
    all_data = all_data && item.is_data();
  }
  if (!all_data) {
    Item raw;
    raw.raw_tuple = std::make_shared<std::vector<Item>>(std::move(items));
    stack_.push_back(std::move(raw));
    return absl::OkStatus();
  }
  std::vector<c10::IValue> values;
  values.reserve(items.size());
  ContainerInfo probe;
  for (Item& item : items) {
    if (auto s = Adopt(probe, item.value); !s.ok()) return s;
    values.push_back(std::move(item.value));
  }
  c10::IValue tuple(c10::ivalue::Tuple::create(std::move(values)));
  if (auto s = Register(tuple, probe.depth, /*sealed=*/true); !s.ok()) return s;
  stack_.push_back(Item{std::move(tuple)});
  return absl::OkStatus();
}

absl::Status Unpickler::Append(const Item& list, std::vector<Item> values) {
  auto info = Mutable(list, /*want_list=*/true);
  if (!info.ok()) return info.status();
  c10::List<c10::IValue> l = list.value.toList();
  for (Item& v : values) {
    if (auto s = CheckData(v, "list element"); !s.ok()) return s;
    if (auto s = Adopt(**info, v.value); !s.ok()) return s;
    l.push_back(std::move(v.value));
  }
  return absl::OkStatus();
}

absl::Status Unpickler::SetItems(const Item& dict, std::vector<Item> kv) {
  if (kv.size() % 2 != 0) return Error("SETITEMS with an odd number of items");
  auto info = Mutable(dict, /*want_list=*/false);
  if (!info.ok()) return info.status();
  c10::impl::GenericDict d = dict.value.toGenericDict();
  for (size_t i = 0; i < kv.size(); i += 2) {
    const c10::IValue& key = kv[i].value;
    if (auto s = CheckData(kv[i], "dict key"); !s.ok()) return s;
    if (!(key.isString() || key.isInt() || key.isDouble() || key.isBool())) {
      return Error(absl::StrCat("dict key of type ", key.tagKind(), " (only str, int, float and bool keys)"));
    }
    if (auto s = CheckData(kv[i + 1], "dict value"); !s.ok()) return s;
    if (auto s = Adopt(**info, kv[i + 1].value); !s.ok()) return s;
    d.insert_or_assign(key, std::move(kv[i + 1].value));
  }
  return absl::OkStatus();
}

absl::Status Unpickler::PushGlobal(const std::string& module, const std::string& name) {
  Item item;
  item.global_name = absl::StrCat(module, ".", name);
  if (module == "collections" && name == "OrderedDict") {
    item.global = Global::kOrderedDict;
  } else if (module == "torch._utils" && name == "_rebuild_tensor_v2") {
    item.global = Global::kRebuildTensorV2;
  } else if (module == "torch._utils" && name == "_rebuild_parameter") {
    item.global = Global::kRebuildParameter;
  } else if (module == "torch._utils" && name == "_rebuild_parameter_with_state") {
    item.global = Global::kRebuildParameterWithState;
  } else if (module == "torch.jit._pickle" && name == "restore_type_tag") {
    item.global = Global::kRestoreTypeTag;
  } else if (module == "torch.jit._pickle" &&
             (name == "build_intlist" || name == "build_doublelist" || name == "build_boollist" ||
              name == "build_tensorlist")) {
    item.global = Global::kBuildList;
  } else if (module == "torch" || module == "torch.cuda") {
    // torch.cuda.*Storage: how PyTorch before 1.12 named the storages of CUDA tensors; the data
    // is loaded to the CPU like everything else.
    for (const StorageClass& c : kStorageClasses) {
      if (name == c.name) {
        item.global = Global::kStorageType;
        item.storage_dtype = c.dtype;
      }
    }
  }
  if (!item.global) {
    return absl::PermissionDeniedError(absl::StrCat(
        what_, ": refusing to load: the pickle references global '", item.global_name,
        "', which is not allowed in a checkpoint (allowed: collections.OrderedDict, "
        "torch._utils._rebuild_tensor_v2/_rebuild_parameter, torch.jit._pickle helpers, torch[.cuda].*Storage)"));
  }
  stack_.push_back(std::move(item));
  return absl::OkStatus();
}

absl::Status Unpickler::PersistentLoad(Item pid) {
  if (pid.raw_tuple == nullptr || pid.raw_tuple->size() != 5) {
    return Error("persistent id is not a ('storage', StorageType, key, location, numel) tuple");
  }
  const std::vector<Item>& t = *pid.raw_tuple;
  if (!t[0].is_data() || !t[0].value.isString() || t[0].value.toStringRef() != "storage" ||
      t[1].global != Global::kStorageType || !t[2].is_data() || !t[2].value.isString() || !t[3].is_data() ||
      !t[3].value.isString() || !t[4].is_data() || !t[4].value.isInt()) {
    return Error("persistent id is not a ('storage', StorageType, key, location, numel) tuple");
  }
  const std::string& key = t[2].value.toStringRef();
  const c10::ScalarType dtype = t[1].storage_dtype;
  const int64_t numel = t[4].value.toInt();
  if (numel < 0) return Error(absl::StrCat("storage '", key, "' has negative size ", numel));
  auto it = storages_.find(key);
  if (it != storages_.end()) {
    if (it->second.dtype != dtype || it->second.numel != numel) {
      return Error(absl::StrCat("storage '", key, "' is referenced as both ", c10::toString(it->second.dtype), "[",
                                it->second.numel, "] and ", c10::toString(dtype), "[", numel, "]"));
    }
    stack_.push_back(Item{c10::IValue(it->second.storage)});
    return absl::OkStatus();
  }
  const int64_t element_size = static_cast<int64_t>(c10::elementSize(dtype));
  int64_t nbytes = 0;
  if (__builtin_mul_overflow(numel, element_size, &nbytes)) {
    return Error(absl::StrCat("storage '", key, "' size overflows"));
  }
  absl::StatusOr<c10::Storage> storage = load_(key, dtype, numel);
  if (!storage.ok()) return storage.status();
  if (static_cast<int64_t>(storage->nbytes()) != nbytes) {
    return absl::DataLossError(absl::StrCat(what_, ": storage '", key, "' holds ", storage->nbytes(),
                                            " bytes, but the pickle declares ", numel, " elements of ",
                                            c10::toString(dtype), " (", nbytes, " bytes)"));
  }
  storage_dtypes_[storage->unsafeGetStorageImpl()] = dtype;
  storages_.emplace(key, StorageEntry{*storage, dtype, numel});
  stack_.push_back(Item{c10::IValue(*storage)});
  return absl::OkStatus();
}

absl::StatusOr<std::vector<int64_t>> IntSequence(const c10::IValue& v) {
  std::vector<int64_t> out;
  if (v.isTuple()) {
    for (const c10::IValue& e : v.toTupleRef().elements()) {
      if (!e.isInt()) return absl::InvalidArgumentError("not a sequence of ints");
      out.push_back(e.toInt());
    }
  } else if (v.isList()) {
    for (const c10::IValue& e : v.toListRef()) {
      if (!e.isInt()) return absl::InvalidArgumentError("not a sequence of ints");
      out.push_back(e.toInt());
    }
  } else {
    return absl::InvalidArgumentError("not a sequence of ints");
  }
  return out;
}

bool IsEmptyDictOrNone(const c10::IValue& v) {
  return v.isNone() || (v.isGenericDict() && v.toGenericDict().empty());
}

absl::StatusOr<c10::IValue> Unpickler::RebuildTensor(const std::vector<c10::IValue>& args) {
  // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
  if (args.size() != 6 && args.size() != 7) {
    return Error(absl::StrCat("_rebuild_tensor_v2 takes 6 or 7 arguments, got ", args.size()));
  }
  if (!args[0].isStorage()) return Error("_rebuild_tensor_v2: argument 0 is not a storage");
  c10::Storage storage = args[0].toStorage();
  auto dtype_it = storage_dtypes_.find(storage.unsafeGetStorageImpl());
  if (dtype_it == storage_dtypes_.end()) return Error("_rebuild_tensor_v2: storage of unknown origin");
  const c10::ScalarType dtype = dtype_it->second;
  if (!args[1].isInt()) return Error("_rebuild_tensor_v2: storage offset is not an int");
  const int64_t offset = args[1].toInt();
  auto sizes = IntSequence(args[2]);
  auto strides = IntSequence(args[3]);
  if (!sizes.ok() || !strides.ok()) return Error("_rebuild_tensor_v2: size or stride is not a tuple of ints");
  if (!args[4].isBool()) return Error("_rebuild_tensor_v2: requires_grad is not a bool");
  if (!IsEmptyDictOrNone(args[5])) {
    return Error("_rebuild_tensor_v2: tensor has backward hooks, which would run Python code");
  }
  if (sizes->size() != strides->size()) {
    return Error(absl::StrCat("_rebuild_tensor_v2: ", sizes->size(), " sizes but ", strides->size(), " strides"));
  }
  if (sizes->size() > static_cast<size_t>(kMaxTensorDims)) {
    return Error(absl::StrCat("_rebuild_tensor_v2: more than ", kMaxTensorDims, " dimensions"));
  }
  const int64_t storage_numel = static_cast<int64_t>(storage.nbytes() / c10::elementSize(dtype));
  if (offset < 0 || offset > storage_numel) {
    return Error(absl::StrCat("_rebuild_tensor_v2: storage offset ", offset, " outside the storage of ",
                              storage_numel, " elements"));
  }
  // The view must stay inside the storage: offset + sum((size_i - 1) * stride_i) < storage_numel.
  bool empty = false;
  int64_t numel = 1, last = offset;
  for (size_t i = 0; i < sizes->size(); ++i) {
    const int64_t size = (*sizes)[i], stride = (*strides)[i];
    if (size < 0 || stride < 0) {
      return Error(absl::StrCat("_rebuild_tensor_v2: negative size or stride in dimension ", i));
    }
    if (__builtin_mul_overflow(numel, size, &numel)) return Error("_rebuild_tensor_v2: element count overflows");
    if (size == 0) empty = true;
    int64_t reach = 0;
    if (size > 0 && (__builtin_mul_overflow(size - 1, stride, &reach) || __builtin_add_overflow(last, reach, &last))) {
      return Error("_rebuild_tensor_v2: view extent overflows");
    }
  }
  if (!empty && last >= storage_numel) {
    return Error(absl::StrCat("_rebuild_tensor_v2: view (offset ", offset, ", sizes ", "[", absl::StrJoin(*sizes, ", "), "]",
                              ", strides ", "[", absl::StrJoin(*strides, ", "), "]", ") reaches element ", last,
                              " of a storage of ", storage_numel));
  }
  auto impl = c10::make_intrusive<c10::TensorImpl>(std::move(storage), c10::DispatchKeySet(c10::DispatchKey::CPU),
                                                   caffe2::TypeMeta::fromScalarType(dtype));
  impl->set_sizes_and_strides(*sizes, *strides);
  impl->set_storage_offset(offset);
  at::Tensor tensor(std::move(impl));
  if (args[4].toBool()) {
    if (!c10::isFloatingType(dtype) && !c10::isComplexType(dtype)) {
      return Error(absl::StrCat("_rebuild_tensor_v2: requires_grad on a ", c10::toString(dtype), " tensor"));
    }
    tensor.set_requires_grad(true);
  }
  return c10::IValue(std::move(tensor));
}

absl::Status Unpickler::Reduce(Item callable, Item args_item) {
  if (!callable.global) return Error("REDUCE on something that is not an allowed global");
  if (!args_item.is_data() || !args_item.value.isTuple()) {
    return Error(absl::StrCat("REDUCE of '", callable.global_name, "' without an argument tuple"));
  }
  const std::vector<c10::IValue> args = args_item.value.toTupleRef().elements().vec();
  switch (*callable.global) {
    case Global::kOrderedDict: {
      if (!args.empty()) return Error("collections.OrderedDict called with arguments");
      c10::IValue dict = c10::impl::GenericDict(c10::AnyType::get(), c10::AnyType::get());
      if (auto s = Register(dict, 1, /*sealed=*/false, /*ordered_dict=*/true); !s.ok()) return s;
      stack_.push_back(Item{std::move(dict)});
      return absl::OkStatus();
    }
    case Global::kRebuildTensorV2: {
      auto tensor = RebuildTensor(args);
      if (!tensor.ok()) return tensor.status();
      stack_.push_back(Item{std::move(*tensor)});
      return absl::OkStatus();
    }
    case Global::kRebuildParameter:
    case Global::kRebuildParameterWithState: {
      // (data, requires_grad, backward_hooks[, state])
      const size_t expected = *callable.global == Global::kRebuildParameter ? 3 : 4;
      if (args.size() != expected || !args[0].isTensor() || !args[1].isBool() || !IsEmptyDictOrNone(args[2]) ||
          (expected == 4 && !IsEmptyDictOrNone(args[3]))) {
        return Error(absl::StrCat(callable.global_name, ": expected (tensor, bool, {} hooks",
                                  expected == 4 ? ", {} state)" : ")", " arguments"));
      }
      at::Tensor tensor = args[0].toTensor();
      if (args[1].toBool() && tensor.is_floating_point()) tensor.set_requires_grad(true);
      stack_.push_back(Item{c10::IValue(std::move(tensor))});
      return absl::OkStatus();
    }
    case Global::kRestoreTypeTag:
      if (args.size() != 2 || !args[1].isString()) return Error("restore_type_tag expects (value, str)");
      stack_.push_back(Item{args[0]});
      return absl::OkStatus();
    case Global::kBuildList:
      if (args.size() != 1 || !args[0].isList()) return Error(absl::StrCat(callable.global_name, " expects (list,)"));
      stack_.push_back(Item{args[0]});
      return absl::OkStatus();
    case Global::kStorageType:
      return Error(absl::StrCat("storage class '", callable.global_name, "' called directly"));
  }
  return Error("unreachable global");
}

// Visits each container once (by identity), so shared references cost linear time.
absl::Status Unpickler::CheckResult(const c10::IValue& v, int depth,
                                    std::unordered_set<const void*>& checked) const {
  if (depth > kMaxNestingDepth + 1) return Error("result nested too deeply");
  if (v.isStorage()) return Error("the checkpoint holds a bare storage outside any tensor");
  if (!(v.isTuple() || v.isList() || v.isGenericDict())) return absl::OkStatus();
  if (!checked.insert(v.internalToPointer()).second) return absl::OkStatus();
  if (v.isTuple()) {
    for (const c10::IValue& e : v.toTupleRef().elements()) {
      if (auto s = CheckResult(e, depth + 1, checked); !s.ok()) return s;
    }
  } else if (v.isList()) {
    for (const c10::IValue& e : v.toListRef()) {
      if (auto s = CheckResult(e, depth + 1, checked); !s.ok()) return s;
    }
  } else {
    for (const auto& kv : v.toGenericDict()) {
      if (auto s = CheckResult(kv.value(), depth + 1, checked); !s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<c10::IValue> Unpickler::Run() {
#define IJEPA_RETURN_IF_ERROR(expr)       \
  do {                                    \
    if (absl::Status s_ = (expr); !s_.ok()) return s_; \
  } while (0)
#define IJEPA_ASSIGN_OR_RETURN(lhs, expr) \
  auto lhs##_or = (expr);                 \
  if (!lhs##_or.ok()) return lhs##_or.status(); \
  auto lhs = std::move(*lhs##_or)

  while (true) {
    op_pos_ = pos_;
    if (pos_ >= data_.size()) {
      return absl::DataLossError(absl::StrCat(what_, ": pickle ends at byte ", pos_, " without STOP (truncated data)"));
    }
    const uint8_t op = static_cast<uint8_t>(data_[pos_++]);
    switch (op) {
      case 0x80: {  // PROTO
        IJEPA_ASSIGN_OR_RETURN(proto, TakeLe(1));
        if (proto < 2 || proto > 5) return Error(absl::StrCat("unsupported pickle protocol ", proto));
        break;
      }
      case 0x95: {  // FRAME (protocol 4): a length hint only.
        IJEPA_ASSIGN_OR_RETURN(frame, TakeLe(8));
        (void)frame;
        break;
      }
      case '.': {  // STOP
        if (!marks_.empty() || stack_.size() != 1) {
          return Error(absl::StrCat("STOP with ", stack_.size(), " stack items and ", marks_.size(), " open marks"));
        }
        Item result = std::move(stack_.back());
        IJEPA_RETURN_IF_ERROR(CheckData(result, "result"));
        std::unordered_set<const void*> checked;
        IJEPA_RETURN_IF_ERROR(CheckResult(result.value, 0, checked));
        return result.value;
      }
      case '(':  // MARK
        marks_.push_back(stack_.size());
        break;
      case '0': {  // POP
        IJEPA_ASSIGN_OR_RETURN(popped, Pop());
        (void)popped;
        break;
      }
      case '1': {  // POP_MARK
        IJEPA_ASSIGN_OR_RETURN(popped, PopToMark());
        (void)popped;
        break;
      }
      case 'N':
        stack_.push_back(Item{c10::IValue()});
        break;
      case 0x88:
        stack_.push_back(Item{c10::IValue(true)});
        break;
      case 0x89:
        stack_.push_back(Item{c10::IValue(false)});
        break;
      case 'K': {  // BININT1
        IJEPA_ASSIGN_OR_RETURN(v, TakeLe(1));
        IJEPA_RETURN_IF_ERROR(PushInt(static_cast<int64_t>(v)));
        break;
      }
      case 'M': {  // BININT2
        IJEPA_ASSIGN_OR_RETURN(v, TakeLe(2));
        IJEPA_RETURN_IF_ERROR(PushInt(static_cast<int64_t>(v)));
        break;
      }
      case 'J': {  // BININT
        IJEPA_ASSIGN_OR_RETURN(v, TakeLe(4));
        IJEPA_RETURN_IF_ERROR(PushInt(static_cast<int32_t>(static_cast<uint32_t>(v))));
        break;
      }
      case 0x8a:    // LONG1
      case 0x8b: {  // LONG4
        IJEPA_ASSIGN_OR_RETURN(n, TakeLe(op == 0x8a ? 1 : 4));
        if (n > 8) return Error(absl::StrCat("integer of ", n, " bytes does not fit in 64 bits"));
        IJEPA_ASSIGN_OR_RETURN(bits, TakeLe(static_cast<int>(n)));
        int64_t v = static_cast<int64_t>(bits);
        if (n > 0 && n < 8 && (bits >> (8 * n - 1)) & 1) v = static_cast<int64_t>(bits | (~uint64_t{0} << (8 * n)));
        IJEPA_RETURN_IF_ERROR(PushInt(v));
        break;
      }
      case 'G': {  // BINFLOAT, big-endian
        IJEPA_ASSIGN_OR_RETURN(p, Take(8));
        uint64_t bits = 0;
        for (int i = 0; i < 8; ++i) bits = (bits << 8) | p[i];
        double v;
        std::memcpy(&v, &bits, sizeof(v));
        stack_.push_back(Item{c10::IValue(v)});
        break;
      }
      case 'X':     // BINUNICODE
      case 0x8c:    // SHORT_BINUNICODE
      case 0x8d: {  // BINUNICODE8
        IJEPA_ASSIGN_OR_RETURN(n, TakeLe(op == 'X' ? 4 : op == 0x8c ? 1 : 8));
        IJEPA_ASSIGN_OR_RETURN(p, Take(n));
        stack_.push_back(Item{c10::IValue(std::string(reinterpret_cast<const char*>(p), n))});
        break;
      }
      case ')':
        IJEPA_RETURN_IF_ERROR(MakeTuple({}));
        break;
      case 't': {
        IJEPA_ASSIGN_OR_RETURN(items, PopToMark());
        IJEPA_RETURN_IF_ERROR(MakeTuple(std::move(items)));
        break;
      }
      case 0x85:
      case 0x86:
      case 0x87: {  // TUPLE1..3
        const size_t n = op - 0x84;
        if (stack_.size() < Floor() + n) return Error("stack underflow");
        std::vector<Item> items(std::make_move_iterator(stack_.end() - n), std::make_move_iterator(stack_.end()));
        stack_.resize(stack_.size() - n);
        IJEPA_RETURN_IF_ERROR(MakeTuple(std::move(items)));
        break;
      }
      case ']':    // EMPTY_LIST
      case 'l': {  // LIST
        std::vector<Item> items;
        if (op == 'l') {
          IJEPA_ASSIGN_OR_RETURN(popped, PopToMark());
          items = std::move(popped);
        }
        c10::IValue list = c10::impl::GenericList(c10::AnyType::get());
        IJEPA_RETURN_IF_ERROR(Register(list, 1, /*sealed=*/false));
        Item list_item{list};
        IJEPA_RETURN_IF_ERROR(Append(list_item, std::move(items)));
        stack_.push_back(std::move(list_item));
        break;
      }
      case '}':    // EMPTY_DICT
      case 'd': {  // DICT
        std::vector<Item> items;
        if (op == 'd') {
          IJEPA_ASSIGN_OR_RETURN(popped, PopToMark());
          items = std::move(popped);
        }
        c10::IValue dict = c10::impl::GenericDict(c10::AnyType::get(), c10::AnyType::get());
        IJEPA_RETURN_IF_ERROR(Register(dict, 1, /*sealed=*/false));
        Item dict_item{dict};
        IJEPA_RETURN_IF_ERROR(SetItems(dict_item, std::move(items)));
        stack_.push_back(std::move(dict_item));
        break;
      }
      case 'a': {  // APPEND
        IJEPA_ASSIGN_OR_RETURN(value, Pop());
        IJEPA_ASSIGN_OR_RETURN(list, Top());
        std::vector<Item> values;
        values.push_back(std::move(value));
        IJEPA_RETURN_IF_ERROR(Append(*list, std::move(values)));
        break;
      }
      case 'e': {  // APPENDS
        IJEPA_ASSIGN_OR_RETURN(values, PopToMark());
        IJEPA_ASSIGN_OR_RETURN(list, Top());
        IJEPA_RETURN_IF_ERROR(Append(*list, std::move(values)));
        break;
      }
      case 's': {  // SETITEM
        IJEPA_ASSIGN_OR_RETURN(value, Pop());
        IJEPA_ASSIGN_OR_RETURN(key, Pop());
        IJEPA_ASSIGN_OR_RETURN(dict, Top());
        std::vector<Item> kv;
        kv.push_back(std::move(key));
        kv.push_back(std::move(value));
        IJEPA_RETURN_IF_ERROR(SetItems(*dict, std::move(kv)));
        break;
      }
      case 'u': {  // SETITEMS
        IJEPA_ASSIGN_OR_RETURN(kv, PopToMark());
        IJEPA_ASSIGN_OR_RETURN(dict, Top());
        IJEPA_RETURN_IF_ERROR(SetItems(*dict, std::move(kv)));
        break;
      }
      case 'q':     // BINPUT
      case 'r':     // LONG_BINPUT
      case 0x94: {  // MEMOIZE
        uint64_t index = memo_.size();
        if (op != 0x94) {
          IJEPA_ASSIGN_OR_RETURN(i, TakeLe(op == 'q' ? 1 : 4));
          index = i;
        }
        IJEPA_ASSIGN_OR_RETURN(top, Top());
        memo_[index] = *top;
        break;
      }
      case 'h':    // BINGET
      case 'j': {  // LONG_BINGET
        IJEPA_ASSIGN_OR_RETURN(index, TakeLe(op == 'h' ? 1 : 4));
        auto it = memo_.find(index);
        if (it == memo_.end()) return Error(absl::StrCat("memo entry ", index, " read before it was written"));
        stack_.push_back(it->second);
        break;
      }
      case 'c': {  // GLOBAL
        IJEPA_ASSIGN_OR_RETURN(module, TakeLine());
        IJEPA_ASSIGN_OR_RETURN(name, TakeLine());
        IJEPA_RETURN_IF_ERROR(PushGlobal(module, name));
        break;
      }
      case 0x93: {  // STACK_GLOBAL
        IJEPA_ASSIGN_OR_RETURN(name, Pop());
        IJEPA_ASSIGN_OR_RETURN(module, Pop());
        if (!name.is_data() || !module.is_data() || !name.value.isString() || !module.value.isString()) {
          return Error("STACK_GLOBAL needs two strings");
        }
        IJEPA_RETURN_IF_ERROR(PushGlobal(module.value.toStringRef(), name.value.toStringRef()));
        break;
      }
      case 'Q': {  // BINPERSID
        IJEPA_ASSIGN_OR_RETURN(pid, Pop());
        IJEPA_RETURN_IF_ERROR(PersistentLoad(std::move(pid)));
        break;
      }
      case 'R': {  // REDUCE
        IJEPA_ASSIGN_OR_RETURN(args, Pop());
        IJEPA_ASSIGN_OR_RETURN(callable, Pop());
        IJEPA_RETURN_IF_ERROR(Reduce(std::move(callable), std::move(args)));
        break;
      }
      case 'b': {  // BUILD: only the attribute dict (_metadata) of an OrderedDict, which is dropped.
        IJEPA_ASSIGN_OR_RETURN(state, Pop());
        IJEPA_ASSIGN_OR_RETURN(target, Top());
        const ContainerInfo* info = target->is_data() ? Info(target->value) : nullptr;
        if (info == nullptr || !info->ordered_dict || !state.is_data() ||
            !(state.value.isNone() || state.value.isGenericDict())) {
          return Error("BUILD (setting object state) is only supported for an OrderedDict's attributes");
        }
        break;
      }
      default:
        return Error(absl::StrFormat("unsupported pickle opcode 0x%02x ('%c')", op,
                                     op >= 0x20 && op < 0x7f ? static_cast<char>(op) : '?'));
    }
  }
#undef IJEPA_RETURN_IF_ERROR
#undef IJEPA_ASSIGN_OR_RETURN
}

}  // namespace

absl::StatusOr<c10::IValue> Unpickle(std::string_view pickle, const StorageLoader& load_storage,
                                     const std::string& what) {
  try {
    Unpickler unpickler(pickle, load_storage, what);
    return unpickler.Run();
  } catch (const std::exception& e) {
    // LibTorch reports some invalid states by throwing; they are errors in the file, not crashes.
    return absl::InvalidArgumentError(absl::StrCat(what, ": invalid pickle: ", e.what()));
  }
}

}  // namespace ijepa::checkpoint
