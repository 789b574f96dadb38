#include "ijepa/distributed/env.h"

#include <cctype>
#include <cstdlib>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace ijepa::distributed {
namespace {

absl::Status Invalid(absl::string_view variable, absl::string_view value, absl::string_view expected) {
  return absl::InvalidArgumentError(
      absl::StrCat("environment variable ", variable, "='", value, "': expected ", expected));
}

// Parses variable `name` as an integer in [min_value, max_value]; nullopt when it is not set.
absl::StatusOr<std::optional<int>> ReadInt(const EnvLookup& lookup, absl::string_view name,
                                           int min_value, int max_value) {
  std::optional<std::string> raw = lookup(std::string(name));
  if (!raw.has_value()) return std::optional<int>();
  int value = 0;
  // SimpleAtoi accepts surrounding whitespace; launchers never produce it, so be strict.
  absl::string_view text = *raw;
  if (text.empty() || std::isspace(static_cast<unsigned char>(text.front())) ||
      std::isspace(static_cast<unsigned char>(text.back())) || !absl::SimpleAtoi(text, &value)) {
    return Invalid(name, *raw, "an integer");
  }
  if (value < min_value || value > max_value) {
    return Invalid(name, *raw, absl::StrCat("an integer in [", min_value, ", ", max_value, "]"));
  }
  return std::optional<int>(value);
}

absl::StatusOr<int> RequireInt(const EnvLookup& lookup, absl::string_view name, int min_value,
                               int max_value, absl::string_view why) {
  absl::StatusOr<std::optional<int>> value = ReadInt(lookup, name, min_value, max_value);
  if (!value.ok()) return value.status();
  if (!value->has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("environment variable ", name, " is not set; it is required ", why));
  }
  return **value;
}

absl::Status CheckRanks(const DistributedEnv& env, absl::string_view rank_variable,
                        absl::string_view size_variable) {
  if (env.rank >= env.world_size) {
    return absl::InvalidArgumentError(absl::StrCat("environment variable ", rank_variable, "=",
                                                   env.rank, " is not below ", size_variable, "=",
                                                   env.world_size));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadHost(const EnvLookup& lookup, absl::string_view name) {
  std::optional<std::string> host = lookup(std::string(name));
  if (!host.has_value()) return std::string();
  if (host->empty() || host->find_first_of(" \t\n/") != std::string::npos) {
    return Invalid(name, *host, "a host name or IP address");
  }
  return *host;
}

constexpr int kMaxInt = 1 << 30;

absl::StatusOr<DistributedEnv> FromTorchrun(const EnvLookup& lookup) {
  constexpr absl::string_view kWhy = "when RANK or WORLD_SIZE is set (torchrun sets all of RANK, "
                                    "WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT)";
  DistributedEnv env;
  absl::StatusOr<int> world_size = RequireInt(lookup, "WORLD_SIZE", 1, kMaxInt, kWhy);
  if (!world_size.ok()) return world_size.status();
  absl::StatusOr<int> rank = RequireInt(lookup, "RANK", 0, kMaxInt, kWhy);
  if (!rank.ok()) return rank.status();
  absl::StatusOr<int> local_rank = RequireInt(lookup, "LOCAL_RANK", 0, kMaxInt, kWhy);
  if (!local_rank.ok()) return local_rank.status();
  env.world_size = *world_size;
  env.rank = *rank;
  env.local_rank = *local_rank;
  if (absl::Status status = CheckRanks(env, "RANK", "WORLD_SIZE"); !status.ok()) return status;

  constexpr absl::string_view kWhyMaster =
      "when WORLD_SIZE > 1: rank 0 hosts the rendezvous at MASTER_ADDR:MASTER_PORT";
  absl::StatusOr<std::string> addr = ReadHost(lookup, "MASTER_ADDR");
  if (!addr.ok()) return addr.status();
  absl::StatusOr<std::optional<int>> port = ReadInt(lookup, "MASTER_PORT", 1, 65535);
  if (!port.ok()) return port.status();
  if (env.world_size > 1 && addr->empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("environment variable MASTER_ADDR is not set; it is required ", kWhyMaster));
  }
  if (env.world_size > 1 && !port->has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("environment variable MASTER_PORT is not set; it is required ", kWhyMaster));
  }
  if (!addr->empty()) env.master_addr = *addr;
  if (port->has_value()) env.master_port = **port;
  return env;
}

absl::StatusOr<DistributedEnv> FromSlurm(const EnvLookup& lookup) {
  constexpr absl::string_view kWhy = "when SLURM_PROCID is set (srun sets SLURM_PROCID, "
                                    "SLURM_NTASKS, SLURM_LOCALID and SLURM_JOB_NODELIST)";
  DistributedEnv env;
  absl::StatusOr<int> world_size = RequireInt(lookup, "SLURM_NTASKS", 1, kMaxInt, kWhy);
  if (!world_size.ok()) return world_size.status();
  absl::StatusOr<int> rank = RequireInt(lookup, "SLURM_PROCID", 0, kMaxInt, kWhy);
  if (!rank.ok()) return rank.status();
  absl::StatusOr<int> local_rank = RequireInt(lookup, "SLURM_LOCALID", 0, kMaxInt, kWhy);
  if (!local_rank.ok()) return local_rank.status();
  env.world_size = *world_size;
  env.rank = *rank;
  env.local_rank = *local_rank;
  if (absl::Status status = CheckRanks(env, "SLURM_PROCID", "SLURM_NTASKS"); !status.ok()) {
    return status;
  }

  absl::StatusOr<std::string> addr = ReadHost(lookup, "MASTER_ADDR");
  if (!addr.ok()) return addr.status();
  if (!addr->empty()) {
    env.master_addr = *addr;
  } else {
    absl::string_view variable = "SLURM_JOB_NODELIST";
    std::optional<std::string> nodelist = lookup(std::string(variable));
    if (!nodelist.has_value()) {
      variable = "SLURM_NODELIST";
      nodelist = lookup(std::string(variable));
    }
    if (!nodelist.has_value()) {
      if (env.world_size > 1) {
        return absl::InvalidArgumentError(absl::StrCat(
            "neither SLURM_JOB_NODELIST nor SLURM_NODELIST nor MASTER_ADDR is set; one is required ",
            kWhy, " to find the host of rank 0"));
      }
    } else {
      absl::StatusOr<std::string> first = FirstHostOfSlurmNodelist(*nodelist, variable);
      if (!first.ok()) return first.status();
      env.master_addr = *first;
    }
  }
  absl::StatusOr<std::optional<int>> port = ReadInt(lookup, "MASTER_PORT", 1, 65535);
  if (!port.ok()) return port.status();
  if (port->has_value()) env.master_port = **port;
  return env;
}

bool IsDigits(absl::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<std::string> FirstHostOfSlurmNodelist(absl::string_view nodelist,
                                                     absl::string_view variable) {
  auto invalid = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(
        "environment variable ", variable, "='", nodelist,
        "': expected a SLURM hostlist such as 'node001' or 'node[003-005,007]' (", why, ")"));
  };
  if (nodelist.empty()) return invalid("it is empty");
  // Hosts are separated by commas outside brackets; only the first one matters, but the whole list
  // is checked so that a typo fails here rather than as a rendezvous timeout.
  std::string first;
  bool in_first = true;
  size_t pos = 0;
  while (pos <= nodelist.size()) {
    // One host expression: text with any number of [..] groups, up to a top-level comma.
    std::string host;
    bool any = false;
    while (pos < nodelist.size() && nodelist[pos] != ',') {
      char c = nodelist[pos];
      if (c == ']') return invalid("']' without '['");
      if (c == '[') {
        size_t close = nodelist.find(']', pos);
        if (close == absl::string_view::npos) return invalid("'[' without ']'");
        absl::string_view group = nodelist.substr(pos + 1, close - pos - 1);
        if (group.find('[') != absl::string_view::npos) return invalid("nested '['");
        if (group.empty()) return invalid("empty '[]'");
        bool first_item = true;
        for (absl::string_view item : absl::StrSplit(group, ',')) {
          std::vector<absl::string_view> bounds = absl::StrSplit(item, '-');
          if (bounds.size() > 2 || !IsDigits(bounds[0]) ||
              (bounds.size() == 2 && !IsDigits(bounds[1]))) {
            return invalid(absl::StrCat("'", item, "' is not a number or a range lo-hi"));
          }
          if (bounds.size() == 2) {
            uint64_t lo = 0, hi = 0;
            if (!absl::SimpleAtoi(bounds[0], &lo) || !absl::SimpleAtoi(bounds[1], &hi) || lo > hi) {
              return invalid(absl::StrCat("range '", item, "' is not ascending"));
            }
          }
          if (first_item) host.append(bounds[0].data(), bounds[0].size());
          first_item = false;
        }
        pos = close + 1;
      } else {
        if (std::isspace(static_cast<unsigned char>(c))) return invalid("it contains whitespace");
        host.push_back(c);
        ++pos;
      }
      any = true;
    }
    if (!any) return invalid("an empty host name");
    if (in_first) first = host;
    in_first = false;
    if (pos == nodelist.size()) break;
    ++pos;  // the comma
    if (pos == nodelist.size()) return invalid("a trailing ','");
  }
  return first;
}

absl::StatusOr<DistributedEnv> DistributedEnvFromLookup(const EnvLookup& lookup) {
  if (lookup("RANK").has_value() || lookup("WORLD_SIZE").has_value()) return FromTorchrun(lookup);
  if (lookup("SLURM_PROCID").has_value()) return FromSlurm(lookup);
  return DistributedEnv();
}

absl::StatusOr<DistributedEnv> DistributedEnvFromEnvironment() {
  return DistributedEnvFromLookup([](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  });
}

}  // namespace ijepa::distributed
