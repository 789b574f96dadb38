#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ijepa/distributed/port_reservation.h"

namespace ijepa::distributed::testing {

// A port for a test's rendezvous, held until the reservation is destroyed (keep it for the whole
// test): rank 0's TCPStore binds it, and no other process can take it first. Throws on failure.
PortReservation ReservePort();

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
