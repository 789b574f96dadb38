#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ijepa::distributed::testing {

// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then released).
int FreePort();

// Starts `argv` with the current environment plus `env`, stdout and stderr appended to `log_path`.
pid_t Spawn(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
            const std::string& log_path);

// Waits up to `timeout` for `pid`; returns its wait status, or nullopt if it is still running.
std::optional<int> WaitFor(pid_t pid, std::chrono::milliseconds timeout);

// The whole file, "" when it cannot be read.
std::string ReadFile(const std::string& path);

// Path of a file next to this test's runfiles (under TEST_TMPDIR).
std::string TempPath(const std::string& name);

// Runfiles path of a binary of this package, e.g. "ijepa/distributed/toy_trainer".
std::string RunfilesPath(const std::string& workspace_relative);

}  // namespace ijepa::distributed::testing
