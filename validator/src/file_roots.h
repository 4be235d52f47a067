// Where files a scan meets may lead: real paths, the root a symlink or a
// shard name must stay inside, and the Hugging Face cache layout
// (models--org--name/snapshots/<rev>/<file> -> ../../blobs/<hash>), in
// which a snapshot's files lead into the same repository folder's blobs/.
#ifndef STGUARD_SRC_FILE_ROOTS_H_
#define STGUARD_SRC_FILE_ROOTS_H_

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace stguard::internal {

// A file as the system knows it: names and symlinks leading to one file
// share it.
struct FileId {
  uint64_t device = 0;
  uint64_t inode = 0;
  auto operator<=>(const FileId&) const = default;
};

// realpath(3): nullopt when the path (or a symlink on it) does not resolve.
std::optional<std::string> RealPath(const std::string& path);

// The directory part of a path as a loader joins it ("." for a bare name).
std::string DirName(const std::string& path);

// For a path inside a Hub cache snapshot, the cache repository folder
// (".../models--org--name", also datasets-- and spaces--); nullopt
// otherwise. Decided on the path's own components, not on where its
// symlinks lead.
std::optional<std::string> HubCacheRepository(const std::string& path);

// The real path of the root that links under `dir` may lead into:
// `explicit_root` when set, else the Hub cache repository holding `dir`,
// else `dir` itself. nullopt when it does not resolve.
std::optional<std::string> ResolveRoot(const std::string& explicit_root, const std::string& dir);

// Is the real path `real` the real directory `root` or below it?
bool IsInside(std::string_view real, std::string_view root);

}  // namespace stguard::internal

#endif  // STGUARD_SRC_FILE_ROOTS_H_
