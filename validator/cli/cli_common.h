// What the stguard commands share: exit statuses and policy loading.
#ifndef STGUARD_CLI_CLI_COMMON_H_
#define STGUARD_CLI_CLI_COMMON_H_

#include <optional>
#include <string>

#include "stguard/policy.h"

namespace stguard::cli {

inline constexpr int kExitAccepted = 0;
inline constexpr int kExitRejected = 1;  // or, with --fail-on warning, a warning
inline constexpr int kExitUsage = 2;     // usage or I/O error
inline constexpr int kExitNothingToCheck = 3;  // check found no file to judge

// --policy NAME|FILE: a built-in policy, else a policy file. On failure
// prints why on standard error (naming the built-in policies when NAME is
// neither one nor an existing file) and returns nullopt.
std::optional<Policy> LoadPolicyArgument(const std::string& name_or_path);

}  // namespace stguard::cli

#endif  // STGUARD_CLI_CLI_COMMON_H_
