// Finding a policy by name: a built-in, a file, or a policy installed with
// stguard (share/stguard/policies/NAME.json), so that `--policy NAME` works
// outside the source tree for every policy the project ships.
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include "stguard/policy.h"
#include "str_cat.h"

#ifndef STGUARD_INSTALLED_POLICY_DIR
#define STGUARD_INSTALLED_POLICY_DIR ""
#endif

namespace stguard {
namespace {

namespace fs = std::filesystem;
using internal::StrAppend;
using internal::StrCat;

// The directory of the running executable's install tree, from
// /proc/self/exe: <prefix>/bin/stguard -> <prefix>/share/stguard/policies.
// Keeps `cmake --install --prefix ANYWHERE` working without configuration.
std::string BesideExecutable() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec || exe.empty()) return {};
  return (exe.parent_path().parent_path() / "share" / "stguard" / "policies").string();
}

bool IsRegularFile(const std::string& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec);
}

// A name, not a path: no directory part and not "." or "..".
bool IsPlainName(const std::string& name) {
  return !name.empty() && name.find('/') == std::string::npos && name != "." && name != "..";
}

}  // namespace

std::vector<std::string> PolicySearchDirs() {
  std::vector<std::string> dirs;
  auto add = [&](std::string dir) {
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    if (!dir.empty() && std::find(dirs.begin(), dirs.end(), dir) == dirs.end()) {
      dirs.push_back(std::move(dir));
    }
  };
  if (const char* path = std::getenv("STGUARD_POLICY_PATH"); path != nullptr) {
    std::string_view rest(path);
    while (!rest.empty()) {
      const size_t colon = rest.find(':');
      add(std::string(rest.substr(0, colon)));
      if (colon == std::string_view::npos) break;
      rest.remove_prefix(colon + 1);
    }
  }
  add(BesideExecutable());
  add(STGUARD_INSTALLED_POLICY_DIR);
  return dirs;
}

std::vector<std::string> InstalledPolicyNames() {
  std::vector<std::string> names;
  for (const std::string& dir : PolicySearchDirs()) {
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      const fs::path& p = it->path();
      if (p.extension() != ".json" || !IsRegularFile(p.string())) continue;
      std::string name = p.stem().string();
      if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

PolicyLoadResult ResolvePolicy(const std::string& name_or_path) {
  if (std::optional<Policy> builtin = BuiltinPolicy(name_or_path)) {
    return PolicyLoadResult{std::move(builtin), {}};
  }
  // A file where the name points wins over an installed policy of that name.
  if (!IsPlainName(name_or_path) || IsRegularFile(name_or_path)) {
    return LoadPolicyFile(name_or_path);
  }
  const bool has_suffix = name_or_path.size() > 5 &&
                          name_or_path.compare(name_or_path.size() - 5, 5, ".json") == 0;
  for (const std::string& dir : PolicySearchDirs()) {
    const std::string candidate = dir + "/" + name_or_path + (has_suffix ? "" : ".json");
    if (IsRegularFile(candidate)) return LoadPolicyFile(candidate);
  }
  std::string message = StrCat("unknown policy '", name_or_path, "': built-in policies are ");
  const std::span<const std::string_view> builtins = BuiltinPolicyNames();
  for (size_t i = 0; i < builtins.size(); ++i) {
    StrAppend(message, i == 0 ? "" : ", ", builtins[i]);
  }
  const std::vector<std::string> installed = InstalledPolicyNames();
  if (!installed.empty()) {
    message += "; installed: ";
    for (size_t i = 0; i < installed.size(); ++i) {
      StrAppend(message, i == 0 ? "" : ", ", installed[i]);
    }
  }
  message += "; or give a policy file's path";
  return PolicyLoadResult{std::nullopt, std::move(message)};
}

}  // namespace stguard
