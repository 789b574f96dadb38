#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace ijepa::distributed {

// One machine's share of a multi-process job, as torchrun's static rendezvous: this machine runs
// ranks node_rank * nproc_per_node ... + nproc_per_node - 1 of nnodes * nproc_per_node.
struct LaunchOptions {
  int nproc_per_node = 1;
  int nnodes = 1;
  int node_rank = 0;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;  // 0: pick a free port (single machine only)
  std::vector<std::string> command;  // program (absolute, relative or found on PATH) and arguments
  std::string working_directory;     // of the children; empty: this process's
  // After the first rank fails (or this launcher gets SIGINT/SIGTERM) the others get SIGTERM, then
  // SIGKILL once this has passed.
  std::chrono::milliseconds kill_grace{5000};
};

// Checks the options; errors name the option (as the --flag of //tools:launch).
absl::Status ValidateLaunchOptions(const LaunchOptions& options);

// Variables torchrun sets for the process of local rank `local_rank`: RANK, WORLD_SIZE,
// LOCAL_RANK, LOCAL_WORLD_SIZE, GROUP_RANK, MASTER_ADDR, MASTER_PORT.
std::map<std::string, std::string> RankEnvironment(const LaunchOptions& options, int local_rank);

// Starts the local ranks (each with PR_SET_PDEATHSIG = SIGKILL, so the ranks die with the
// launcher even when it is killed with SIGKILL), prefixes each line they print with "[rank R] " (stdout to stdout, stderr
// to stderr), and returns when all have ended: 0 if every rank exited 0, else the first failure's
// exit code (128 + signal number for a rank killed by a signal). When one rank fails, the others
// are stopped rather than left waiting for it. Errors only for bad options or a failed fork.
absl::StatusOr<int> Launch(const LaunchOptions& options);

}  // namespace ijepa::distributed
