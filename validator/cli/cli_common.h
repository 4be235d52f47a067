// What the stguard commands share: exit statuses and the usage message.
#ifndef STGUARD_CLI_CLI_COMMON_H_
#define STGUARD_CLI_CLI_COMMON_H_

#include <string>

namespace stguard::cli {

inline constexpr int kExitAccepted = 0;
inline constexpr int kExitRejected = 1;
inline constexpr int kExitUsage = 2;

// Prints "stguard: <problem>" and the usage to standard error; returns kExitUsage.
int Usage(const std::string& problem);

}  // namespace stguard::cli

#endif  // STGUARD_CLI_CLI_COMMON_H_
