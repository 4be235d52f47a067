#include "file_roots.h"

#include <climits>
#include <cstdlib>
#include <filesystem>
#include <memory>

namespace stguard::internal {

std::optional<std::string> RealPath(const std::string& path) {
  std::unique_ptr<char, decltype(&std::free)> real(::realpath(path.c_str(), nullptr), &std::free);
  if (!real) return std::nullopt;
  return std::string(real.get());
}

std::string DirName(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::optional<std::string> HubCacheRepository(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path absolute = fs::absolute(fs::path(path), ec).lexically_normal();
  if (ec) return std::nullopt;
  // Components up to "<kind>--<name>/snapshots/<rev>": the repository
  // folder is the one before "snapshots".
  fs::path prefix;
  std::string previous;
  for (const fs::path& part : absolute) {
    const std::string name = part.string();
    if (name == "snapshots" &&
        (previous.rfind("models--", 0) == 0 || previous.rfind("datasets--", 0) == 0 ||
         previous.rfind("spaces--", 0) == 0)) {
      return prefix.string();
    }
    prefix /= part;
    previous = name;
  }
  return std::nullopt;
}

std::optional<std::string> ResolveRoot(const std::string& explicit_root, const std::string& dir) {
  if (!explicit_root.empty()) return RealPath(explicit_root);
  if (const std::optional<std::string> repository = HubCacheRepository(dir + "/x")) {
    return RealPath(*repository);
  }
  return RealPath(dir);
}

bool IsInside(std::string_view real, std::string_view root) {
  if (root == "/") return !real.empty() && real.front() == '/';
  if (real.size() < root.size() || real.substr(0, root.size()) != root) return false;
  return real.size() == root.size() || real[root.size()] == '/';
}

}  // namespace stguard::internal
