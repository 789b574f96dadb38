// Starts N processes of a training binary on this machine with the variables torchrun sets (RANK,
// WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT), prefixes their output with
// the rank, and stops them all when one fails. See docs/distributed.md.
//
//   bazel run //tools:launch -- --nproc_per_node=2 -- //ijepa/training:pretrain --config=...
//   bazel-bin/tools/launch --nproc_per_node=2 -- bazel-bin/ijepa/training/pretrain --config=...
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "ijepa/distributed/launcher.h"

ABSL_FLAG(int, nproc_per_node, 1, "Processes (ranks) to start on this machine.");
ABSL_FLAG(int, nnodes, 1, "Machines in the job; each runs this launcher with its --node_rank.");
ABSL_FLAG(int, node_rank, 0, "Index of this machine, 0..nnodes-1; machine 0 hosts rank 0.");
ABSL_FLAG(std::string, master_addr, "127.0.0.1",
          "Host of rank 0 (machine 0), reachable from every machine.");
ABSL_FLAG(int, master_port, 29500,
          "TCP port of the rendezvous on --master_addr; 0 picks a free one (single machine).");
ABSL_FLAG(int, kill_grace_ms, 5000,
          "After a rank fails, the others get SIGTERM and, this long after, SIGKILL.");

namespace {

// `bazel run` starts this binary in its runfiles tree: a Bazel label names a binary built in the
// same output tree as this launcher (bazel-out/<config>/bin, so --config=opt pairs with opt), else
// under the workspace's bazel-bin.
std::string ResolveProgram(const std::string& program) {
  if (program.rfind("//", 0) != 0) return program;
  std::string path = program.substr(2);
  const size_t colon = path.find(':');
  if (colon == std::string::npos) {
    path = path + "/" + path.substr(path.rfind('/') + 1);  // //pkg/name is //pkg/name:name
  } else {
    path[colon] = '/';
  }
  std::error_code error;
  const std::string self = std::filesystem::read_symlink("/proc/self/exe", error).string();
  const std::string suffix = "/tools/launch";
  if (!error && self.size() > suffix.size() &&
      self.compare(self.size() - suffix.size(), suffix.size(), suffix) == 0) {
    return absl::StrCat(self.substr(0, self.size() - suffix.size()), "/", path);
  }
  const char* workspace = std::getenv("BUILD_WORKSPACE_DIRECTORY");
  return absl::StrCat(workspace != nullptr ? workspace : ".", "/bazel-bin/", path);
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "launch [--nproc_per_node=N] [--nnodes=M --node_rank=I --master_addr=HOST] "
      "[--master_port=P] -- PROGRAM [ARGS...]\n"
      "PROGRAM is a path, a name on PATH, or a Bazel label (//ijepa/training:pretrain, built "
      "first with bazel build).");
  std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  ijepa::distributed::LaunchOptions options;
  options.nproc_per_node = absl::GetFlag(FLAGS_nproc_per_node);
  options.nnodes = absl::GetFlag(FLAGS_nnodes);
  options.node_rank = absl::GetFlag(FLAGS_node_rank);
  options.master_addr = absl::GetFlag(FLAGS_master_addr);
  options.master_port = absl::GetFlag(FLAGS_master_port);
  options.kill_grace = std::chrono::milliseconds(absl::GetFlag(FLAGS_kill_grace_ms));
  for (size_t i = 1; i < positional.size(); ++i) options.command.push_back(positional[i]);
  if (const char* cwd = std::getenv("BUILD_WORKING_DIRECTORY"); cwd != nullptr) {
    options.working_directory = cwd;
  }
  if (!options.command.empty()) {
    const std::string label = options.command[0];
    options.command[0] = ResolveProgram(label);
    if (label != options.command[0] && access(options.command[0].c_str(), X_OK) != 0) {
      std::cerr << "launch: " << label << " is not built (no executable "
                << options.command[0] << "); run: bazel build " << label << "\n";
      return 2;
    }
  }
  absl::StatusOr<int> code = ijepa::distributed::Launch(options);
  if (!code.ok()) {
    std::cerr << "launch: " << code.status().message() << "\n";
    return 2;
  }
  return *code;
}
