// The directory walk of the repository scanner: every entry below the
// paths given, classified by its name and resolved (symlinks followed to
// see where they lead, never opened here), and what is skipped counted.
#ifndef STGUARD_SRC_SCAN_WALK_H_
#define STGUARD_SRC_SCAN_WALK_H_

#include <array>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "file_roots.h"
#include "stguard/scan.h"

namespace stguard::internal {

// What a file's name says a loader does with it.
enum class NameRole : uint8_t {
  kIndex,         // *.safetensors.index.json (and *.safetensors.index.<variant>.json)
  kSafetensors,   // *.safetensors
  kModelNamed,    // *.bin *.pt *.pth *.ckpt *.pkl ... : judged as a model file
  kTextOrConfig,  // *.json *.txt *.md *.py ... : skipped by a walk
  kOther,         // judged by its bytes in a walk; as safetensors when named explicitly
};
NameRole RoleOfName(std::string_view file_name);

struct Candidate {
  std::string path;
  NameRole role = NameRole::kOther;
  bool explicit_path = false;  // named by the caller, not met by a walk
  FileId id;                   // the file it leads to, when `problem` is empty
  // Set when the entry is not to be opened: a symlink leading outside the
  // root (`outside_root` then names the root), a path that does not exist,
  // a dangling symlink or a directory that cannot be read.
  std::string problem;
  std::string outside_root;
};

struct WalkResult {
  std::vector<Candidate> candidates;  // each argument's, in path order
  std::array<uint64_t, kSkipReasonCount> skipped{};
};

// `root`: where symlinks met by a walk may lead ("" for each directory's
// default, see ResolveRoot). `filter`: ScanOptions::walk_filter.
void WalkPaths(const std::vector<std::string>& paths, const std::string& root,
               const std::function<bool(std::string_view, bool)>& filter, WalkResult& out);

}  // namespace stguard::internal

#endif  // STGUARD_SRC_SCAN_WALK_H_
