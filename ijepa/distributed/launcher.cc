#include "ijepa/distributed/launcher.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "ijepa/distributed/port_reservation.h"

extern char** environ;

namespace ijepa::distributed {
namespace {

volatile sig_atomic_t g_stop_signal = 0;

void OnStopSignal(int signal) { g_stop_signal = signal; }

// Writes all of `data` (a pipe or terminal may take it in pieces).
void WriteAll(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // our own output is gone; nothing better to do
    done += static_cast<size_t>(n);
  }
}

// One output stream of one rank: bytes are forwarded line by line with the rank's prefix, so
// lines of different ranks never interleave mid-line.
struct Stream {
  int fd = -1;       // read end of the child's pipe; -1 once closed
  int target = -1;   // STDOUT_FILENO or STDERR_FILENO
  std::string pending;

  void Forward(const std::string& prefix, bool flush_partial) {
    size_t start = 0;
    std::string out;
    for (size_t nl; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1) {
      out += prefix;
      out.append(pending, start, nl - start + 1);
    }
    pending.erase(0, start);
    if (flush_partial && !pending.empty()) {
      out += prefix + pending + "\n";
      pending.clear();
    }
    if (!out.empty()) WriteAll(target, out);
  }
};

struct Child {
  int rank = 0;
  pid_t pid = -1;
  std::optional<int> exit_code;  // set once reaped
  Stream out, err;
};

int ExitCode(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return 1;
}

std::string Describe(int code) {
  if (code > 128) return absl::StrCat("was killed by signal ", code - 128, " (", strsignal(code - 128), ")");
  return absl::StrCat("exited with status ", code);
}

// fork + exec of one rank with its pipes and environment. Everything is prepared before fork().
absl::StatusOr<Child> Start(const LaunchOptions& options, int local_rank) {
  std::map<std::string, std::string> overrides = RankEnvironment(options, local_rank);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    if (overrides.count(entry.substr(0, entry.find('='))) == 0) env_strings.push_back(entry);
  }
  for (const auto& [key, value] : overrides) env_strings.push_back(key + "=" + value);
  std::vector<char*> envp, argv;
  for (std::string& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> command = options.command;
  for (std::string& s : command) argv.push_back(s.data());
  argv.push_back(nullptr);
  const std::string exec_error =
      absl::StrCat("launch: cannot execute '", options.command[0], "' (not found or not executable)");
  const std::string chdir_error =
      absl::StrCat("launch: cannot change to directory '", options.working_directory, "'");

  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) return absl::InternalError("launch: pipe() failed");
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    close(out_pipe[0]);
    close(out_pipe[1]);
    return absl::InternalError("launch: pipe() failed");
  }
  const pid_t launcher_pid = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) close(fd);
    return absl::InternalError(absl::StrCat("launch: fork() failed: ", strerror(errno)));
  }
  if (pid == 0) {
    // Child: only async-signal-safe calls from here on.
    // The rank dies with the launcher, however the launcher ends (kill -9 included): a rank whose
    // launcher vanished must not train on alone. The flag survives execve. If the launcher is
    // already gone (it died between fork and prctl), exit now.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != launcher_pid) _exit(128 + SIGKILL);
    dup2(out_pipe[1], STDOUT_FILENO);
    dup2(err_pipe[1], STDERR_FILENO);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    if (!options.working_directory.empty() && chdir(options.working_directory.c_str()) != 0) {
      (void)!write(STDERR_FILENO, chdir_error.data(), chdir_error.size());
      (void)!write(STDERR_FILENO, "\n", 1);
      _exit(127);
    }
    execvpe(argv[0], argv.data(), envp.data());
    (void)!write(STDERR_FILENO, exec_error.data(), exec_error.size());
    (void)!write(STDERR_FILENO, "\n", 1);
    _exit(127);
  }
  close(out_pipe[1]);
  close(err_pipe[1]);
  Child child;
  child.rank = options.node_rank * options.nproc_per_node + local_rank;
  child.pid = pid;
  child.out = {out_pipe[0], STDOUT_FILENO, ""};
  child.err = {err_pipe[0], STDERR_FILENO, ""};
  return child;
}

}  // namespace

absl::Status ValidateLaunchOptions(const LaunchOptions& options) {
  if (options.nproc_per_node < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("--nproc_per_node=", options.nproc_per_node, ": expected at least 1"));
  }
  if (options.nnodes < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("--nnodes=", options.nnodes, ": expected at least 1"));
  }
  if (options.node_rank < 0 || options.node_rank >= options.nnodes) {
    return absl::InvalidArgumentError(absl::StrCat("--node_rank=", options.node_rank,
                                                   ": expected 0..", options.nnodes - 1,
                                                   " (--nnodes=", options.nnodes, ")"));
  }
  if (options.master_port < 0 || options.master_port > 65535 ||
      (options.master_port == 0 && options.nnodes > 1)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--master_port=", options.master_port,
        ": expected 1..65535 (0, a free port, only with --nnodes=1)"));
  }
  if (options.master_addr.empty()) {
    return absl::InvalidArgumentError("--master_addr is empty: expected the host of rank 0");
  }
  if (options.command.empty() || options.command[0].empty()) {
    return absl::InvalidArgumentError(
        "no program to launch: expected `launch [flags] -- /path/to/program [args...]`");
  }
  return absl::OkStatus();
}

std::map<std::string, std::string> RankEnvironment(const LaunchOptions& options, int local_rank) {
  const int world_size = options.nnodes * options.nproc_per_node;
  return {
      {"RANK", std::to_string(options.node_rank * options.nproc_per_node + local_rank)},
      {"WORLD_SIZE", std::to_string(world_size)},
      {"LOCAL_RANK", std::to_string(local_rank)},
      {"LOCAL_WORLD_SIZE", std::to_string(options.nproc_per_node)},
      {"GROUP_RANK", std::to_string(options.node_rank)},
      {"MASTER_ADDR", options.master_addr},
      {"MASTER_PORT", std::to_string(options.master_port)},
  };
}

absl::StatusOr<int> Launch(const LaunchOptions& requested) {
  if (absl::Status status = ValidateLaunchOptions(requested); !status.ok()) return status;
  LaunchOptions options = requested;
  // Held until the ranks end: rank 0's rendezvous binds it; no other process can take it first.
  std::optional<PortReservation> reserved_port;
  if (options.master_port == 0) {
    absl::StatusOr<PortReservation> reserved = PortReservation::Create();
    if (!reserved.ok()) return absl::InternalError(absl::StrCat("launch: ", reserved.status().message()));
    options.master_port = reserved->port();
    reserved_port.emplace(*std::move(reserved));
  }

  // SIGINT/SIGTERM (Ctrl-C, scancel, a test runner's timeout) stop the ranks instead of orphaning
  // them; SIGPIPE must not kill the launcher when its own output is closed.
  struct sigaction action = {};
  action.sa_handler = OnStopSignal;
  sigemptyset(&action.sa_mask);
  struct sigaction old_int, old_term;
  sigaction(SIGINT, &action, &old_int);
  sigaction(SIGTERM, &action, &old_term);
  signal(SIGPIPE, SIG_IGN);
  g_stop_signal = 0;

  std::vector<Child> children;
  absl::Status start_error = absl::OkStatus();
  for (int local_rank = 0; local_rank < options.nproc_per_node; ++local_rank) {
    absl::StatusOr<Child> child = Start(options, local_rank);
    if (!child.ok()) {
      start_error = child.status();
      break;
    }
    children.push_back(std::move(*child));
  }

  std::optional<int> first_failure;
  std::optional<std::chrono::steady_clock::time_point> kill_deadline;
  bool killed = false;
  auto stop_all = [&](const std::string& why) {
    if (kill_deadline.has_value()) return;
    WriteAll(STDERR_FILENO, absl::StrCat("[launch] ", why, "; stopping the other ranks\n"));
    for (Child& c : children) {
      if (!c.exit_code.has_value()) kill(c.pid, SIGTERM);
    }
    kill_deadline = std::chrono::steady_clock::now() + options.kill_grace;
  };
  if (!start_error.ok()) stop_all(std::string(start_error.message()));

  while (true) {
    std::vector<pollfd> fds;
    std::vector<std::pair<Child*, Stream*>> owners;
    for (Child& c : children) {
      for (Stream* s : {&c.out, &c.err}) {
        if (s->fd >= 0) {
          fds.push_back({s->fd, POLLIN, 0});
          owners.emplace_back(&c, s);
        }
      }
    }
    bool all_exited = true;
    for (const Child& c : children) all_exited = all_exited && c.exit_code.has_value();
    if (all_exited && fds.empty()) break;

    int ready = poll(fds.data(), fds.size(), 100);
    if (ready < 0 && errno != EINTR) break;
    for (size_t i = 0; ready > 0 && i < fds.size(); ++i) {
      if (fds[i].revents == 0) continue;
      auto [child, stream] = owners[i];
      const std::string prefix = absl::StrCat("[rank ", child->rank, "] ");
      char buffer[65536];
      ssize_t n = read(stream->fd, buffer, sizeof(buffer));
      if (n > 0) {
        stream->pending.append(buffer, static_cast<size_t>(n));
        stream->Forward(prefix, /*flush_partial=*/false);
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        stream->Forward(prefix, /*flush_partial=*/true);
        close(stream->fd);
        stream->fd = -1;
      }
    }

    for (Child& c : children) {
      if (c.exit_code.has_value()) continue;
      int status = 0;
      if (waitpid(c.pid, &status, WNOHANG) != c.pid) continue;
      c.exit_code = ExitCode(status);
      if (*c.exit_code != 0 && !first_failure.has_value() && !kill_deadline.has_value()) {
        first_failure = *c.exit_code;
        stop_all(absl::StrCat("rank ", c.rank, " ", Describe(*c.exit_code)));
      }
    }
    if (g_stop_signal != 0 && !kill_deadline.has_value()) {
      stop_all(absl::StrCat("received signal ", static_cast<int>(g_stop_signal)));
    }
    if (kill_deadline.has_value() && !killed && std::chrono::steady_clock::now() >= *kill_deadline) {
      for (Child& c : children) {
        if (!c.exit_code.has_value()) kill(c.pid, SIGKILL);
      }
      killed = true;
    }
    // A rank's own children may keep its pipes open after it exited: stop reading them once every
    // rank has ended and the grace period is over.
    if (all_exited && killed) {
      for (Child& c : children) {
        for (Stream* s : {&c.out, &c.err}) {
          if (s->fd >= 0) {
            s->Forward(absl::StrCat("[rank ", c.rank, "] "), true);
            close(s->fd);
            s->fd = -1;
          }
        }
      }
    }
    if (all_exited && !kill_deadline.has_value() && !fds.empty()) {
      kill_deadline = std::chrono::steady_clock::now() + options.kill_grace;
    }
  }

  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  if (!start_error.ok()) return start_error;
  if (first_failure.has_value()) return *first_failure;
  if (g_stop_signal != 0) return 128 + static_cast<int>(g_stop_signal);
  for (const Child& c : children) {
    if (c.exit_code.value_or(1) != 0) return *c.exit_code;
  }
  return 0;
}

}  // namespace ijepa::distributed
