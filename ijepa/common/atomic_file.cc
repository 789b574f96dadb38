#include "ijepa/common/atomic_file.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace ijepa::common {
namespace {

// Temporaries in flight, readable from a signal handler: a slot is claimed (kBusy), filled, then
// published (kReady); the handler only reads kReady slots.
constexpr int kSlots = 32;
constexpr size_t kMaxPath = 4096;
enum SlotState : int { kFree = 0, kBusy = 1, kReady = 2 };
std::array<std::atomic<int>, kSlots> slot_state{};
char slot_path[kSlots][kMaxPath];

int Register(const std::string& temp) {
  if (temp.size() + 1 > kMaxPath) return -1;
  for (int i = 0; i < kSlots; ++i) {
    int expected = kFree;
    if (slot_state[i].compare_exchange_strong(expected, kBusy)) {
      std::memcpy(slot_path[i], temp.c_str(), temp.size() + 1);
      slot_state[i].store(kReady);
      return i;
    }
  }
  return -1;  // more than kSlots writes at once: this one is not cleaned on a signal
}

void Unregister(int slot) {
  if (slot >= 0) slot_state[slot].store(kFree);
}

void OnTerminationSignal(int sig) {
  for (int i = 0; i < kSlots; ++i) {
    if (slot_state[i].load() == kReady) ::unlink(slot_path[i]);
  }
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

// Blocks the termination signals between mkstemp and Register, so a signal cannot leave a
// temporary that is not registered yet.
class BlockTerminationSignals {
 public:
  BlockTerminationSignals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, &old_);
  }
  ~BlockTerminationSignals() { pthread_sigmask(SIG_SETMASK, &old_, nullptr); }

 private:
  sigset_t old_;
};

void (*before_rename_hook)() = nullptr;

std::string Errno(const std::string& action, const std::string& path) {
  return absl::StrCat("cannot ", action, " ", path, ": ", std::strerror(errno));
}

}  // namespace

absl::Status WriteFileAtomically(const std::string& path, std::string_view contents) {
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  std::string temp = path + ".tmp.XXXXXX";
  int fd = -1;
  int slot = -1;
  {
    BlockTerminationSignals blocked;
    fd = ::mkstemp(temp.data());
    if (fd >= 0) slot = Register(temp);
  }
  if (fd < 0) return absl::PermissionDeniedError(Errno("create a temporary file next to", path));
  auto fail = [&](absl::Status status) {
    if (fd >= 0) ::close(fd);
    ::unlink(temp.c_str());
    Unregister(slot);
    return status;
  };
  size_t done = 0;
  while (done < contents.size()) {
    const ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail(absl::ResourceExhaustedError(Errno("write", temp)));
    done += static_cast<size_t>(n);
  }
  if (::fchmod(fd, 0644) != 0 || ::fsync(fd) != 0) return fail(absl::InternalError(Errno("fsync", temp)));
  const int closed = ::close(fd);
  fd = -1;
  if (closed != 0) return fail(absl::InternalError(Errno("close", temp)));
  if (before_rename_hook != nullptr) before_rename_hook();
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    return fail(absl::InternalError(Errno(absl::StrCat("rename ", temp, " to"), path)));
  }
  Unregister(slot);
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return absl::InternalError(Errno("open folder", dir));
  const int rc = ::fsync(dir_fd);
  ::close(dir_fd);
  if (rc != 0) return absl::InternalError(Errno("fsync folder", dir));
  return absl::OkStatus();
}

void RemoveTemporariesOnTerminationSignals() {
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) {
    struct sigaction old = {};
    if (::sigaction(sig, nullptr, &old) != 0 || old.sa_handler != SIG_DFL) continue;
    struct sigaction action = {};
    action.sa_handler = OnTerminationSignal;
    sigemptyset(&action.sa_mask);
    ::sigaction(sig, &action, nullptr);
  }
}

bool IsTemporaryName(std::string_view name, std::string* target) {
  size_t at = name.rfind(".tmp");
  if (at == std::string_view::npos || at == 0) return false;
  const std::string_view rest = name.substr(at + 4);
  if (!rest.empty()) {
    if (rest[0] != '.' || rest.size() < 2 || rest.size() > 21) return false;
    for (char c : rest.substr(1)) {
      if (!absl::ascii_isalnum(static_cast<unsigned char>(c))) return false;
    }
  }
  if (target != nullptr) *target = std::string(name.substr(0, at));
  return true;
}

namespace internal {
void SetBeforeRenameHookForTesting(void (*hook)()) { before_rename_hook = hook; }
}  // namespace internal

}  // namespace ijepa::common
