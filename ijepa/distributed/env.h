#pragma once

#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ijepa::distributed {

// Where this process sits in a multi-process job and where the job meets (the TCPStore that rank 0
// hosts). The defaults describe a single-process run.
struct DistributedEnv {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;  // index of this process on its machine; selects the GPU on CUDA builds
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
};

// Reads the variables the usual launchers set:
//   * torchrun (and //tools:launch): RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT.
//     Used when RANK or WORLD_SIZE is set; every one of them is then required (MASTER_ADDR and
//     MASTER_PORT only when WORLD_SIZE > 1).
//   * SLURM (srun): SLURM_PROCID, SLURM_NTASKS, SLURM_LOCALID, and the first host of
//     SLURM_JOB_NODELIST (else SLURM_NODELIST) as the master address. Used when SLURM_PROCID is set
//     and RANK/WORLD_SIZE are not. MASTER_ADDR / MASTER_PORT override the host and the default
//     port 29500 when set.
//   * Neither: a single process (the defaults above).
// Malformed values give an InvalidArgument error that names the variable and its value.
absl::StatusOr<DistributedEnv> DistributedEnvFromEnvironment();

// As above, reading variables through `lookup` (nullopt = not set); for tests.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
absl::StatusOr<DistributedEnv> DistributedEnvFromLookup(const EnvLookup& lookup);

// First host of a SLURM hostlist: "node001" -> "node001", "node[003-005,007],gpu9" -> "node003",
// "rack[2-3]-n[08-09]" -> "rack2-n08". Leading zeros are kept. Errors (naming `variable`) on empty
// lists, unbalanced brackets and malformed or descending ranges.
absl::StatusOr<std::string> FirstHostOfSlurmNodelist(absl::string_view nodelist,
                                                     absl::string_view variable);

}  // namespace ijepa::distributed
