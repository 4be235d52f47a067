// File-system helpers for the targets that give the code under test real
// files (fuzz_walk, fuzz_manifest): a private directory made once per
// process, fixture files, emptying a tree without following its symlinks,
// real paths, and a watch that sees what was opened or read.
#ifndef STGUARD_FUZZ_FUZZ_FILES_H_
#define STGUARD_FUZZ_FUZZ_FILES_H_

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace stguard_fuzz {

// mkdtemp("<dir>/stguard-fuzz-<name>-XXXXXX"), its real path, with <dir>
// $TMPDIR, else /dev/shm (a tmpfs) when writable, else /tmp; Fail()s when
// it cannot be made. Removed at a normal exit; a crash leaves it behind.
std::string MakePrivateDir(std::string_view name);

// Fail()s when the file cannot be written: a fixture that is not there
// would make the target's expectations wrong, not the code under test.
void WriteFileOrFail(const std::string& path, std::string_view bytes);

// Removes everything below `dir` (symlinks removed, never followed) and
// keeps `dir`.
void EmptyDir(const std::string& dir);

// realpath(3), or nullopt.
std::optional<std::string> RealPathOf(const std::string& path);

// Is `path` `dir` or below it? Both real and absolute; compared by
// components, so "/a/bc" is not below "/a/b".
bool IsBelow(std::string_view path, std::string_view dir);

// Sees opens and reads (inotify IN_OPEN | IN_ACCESS) of what it watches: a
// directory's entries (opened through a path in that directory) and the
// directory itself, or one file's inode however it is reached. stat,
// realpath and open(O_PATH) are not seen; those never read a byte.
class OpenWatch {
 public:
  OpenWatch();
  ~OpenWatch();
  OpenWatch(const OpenWatch&) = delete;
  OpenWatch& operator=(const OpenWatch&) = delete;

  // False when inotify is not available: the targets then check the rest.
  bool available() const { return fd_ >= 0; }
  // Fail()s when the watch cannot be added (the check would be void).
  void Add(const std::string& path);
  // What was opened or read since the last call ("<path>/<name>" or the
  // watched path), in order; a watch whose inode is gone is dropped.
  std::vector<std::string> Drain();

 private:
  int fd_ = -1;
  std::map<int, std::string> watched_;
};

}  // namespace stguard_fuzz

#endif  // STGUARD_FUZZ_FUZZ_FILES_H_
