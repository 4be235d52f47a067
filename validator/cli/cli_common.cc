#include "cli_common.h"

#include <sys/stat.h>

#include <iostream>

#include "render.h"

namespace stguard::cli {

std::optional<Policy> LoadPolicyArgument(const std::string& name_or_path) {
  PolicyLoadResult loaded = ResolvePolicy(name_or_path);
  if (loaded.policy) return std::move(loaded.policy);
  struct stat st;
  // A plain name that is neither built in nor installed: ResolvePolicy's
  // error lists the built-in and installed names.
  if (::stat(name_or_path.c_str(), &st) != 0 && name_or_path.find('/') == std::string::npos) {
    std::cerr << "stguard: " << TerminalSafe(loaded.error) << "\n";
    return std::nullopt;
  }
  if (::stat(name_or_path.c_str(), &st) != 0) {
    std::string names;
    for (const std::string_view name : BuiltinPolicyNames()) {
      names += (names.empty() ? "" : ", ") + std::string(name);
    }
    std::cerr << "stguard: unknown policy '" << TerminalSafe(name_or_path)
              << "': not a built-in policy (" << names << ") nor a policy file\n";
    return std::nullopt;
  }
  std::cerr << "stguard: bad policy: " << TerminalSafe(loaded.error) << "\n";
  return std::nullopt;
}

}  // namespace stguard::cli
