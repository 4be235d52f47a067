#include "fuzz_files.h"

#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <system_error>

#include "fuzz_common.h"

namespace stguard_fuzz {

namespace {

// $TMPDIR when set, else /dev/shm when it is a directory we may write (a
// tmpfs: making and removing a tree for every input costs a fraction of
// what it costs on a disk's file system), else /tmp.
std::string TempRoot() {
  if (const char* dir = std::getenv("TMPDIR"); dir != nullptr && *dir != '\0') return dir;
  if (::access("/dev/shm", W_OK | X_OK) == 0) return "/dev/shm";
  return "/tmp";
}

// The private directories made, removed at a normal exit (a crash leaves
// its directory to look at).
std::vector<std::string>& Made() {
  static auto* made = new std::vector<std::string>;
  return *made;
}

void RemoveMade() {
  std::error_code ec;
  for (const std::string& dir : Made()) std::filesystem::remove_all(dir, ec);
}

}  // namespace

std::string MakePrivateDir(std::string_view name) {
  std::string pattern = TempRoot() + "/stguard-fuzz-" + std::string(name) + "-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    Fail("cannot make a private directory " + pattern + ": " + std::strerror(errno));
  }
  const std::optional<std::string> real = RealPathOf(pattern);
  if (!real) Fail("cannot resolve " + pattern);
  if (Made().empty()) std::atexit(RemoveMade);
  Made().push_back(*real);
  return *real;
}

void WriteFileOrFail(const std::string& path, std::string_view bytes) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) Fail("cannot write " + path + ": " + std::strerror(errno));
  const size_t written = bytes.empty() ? 0 : std::fwrite(bytes.data(), 1, bytes.size(), f);
  if (std::fclose(f) != 0 || written != bytes.size()) Fail("cannot write " + path);
}

void EmptyDir(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    fs::remove_all(it->path(), ec);  // removes a symlink, never what it leads to
    if (ec) Fail("cannot empty " + dir + ": " + ec.message());
  }
  if (ec) Fail("cannot list " + dir + ": " + ec.message());
}

std::optional<std::string> RealPathOf(const std::string& path) {
  std::unique_ptr<char, decltype(&std::free)> real(::realpath(path.c_str(), nullptr), &std::free);
  if (!real) return std::nullopt;
  return std::string(real.get());
}

bool IsBelow(std::string_view path, std::string_view dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.remove_suffix(1);
  if (dir == "/") return !path.empty() && path.front() == '/';
  if (path.substr(0, dir.size()) != dir) return false;
  return path.size() == dir.size() || path[dir.size()] == '/';
}

OpenWatch::OpenWatch() : fd_(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) {}

OpenWatch::~OpenWatch() {
  if (fd_ >= 0) ::close(fd_);
}

void OpenWatch::Add(const std::string& path) {
  if (fd_ < 0) return;
  const int wd = ::inotify_add_watch(fd_, path.c_str(), IN_OPEN | IN_ACCESS);
  if (wd < 0) Fail("cannot watch " + path + ": " + std::strerror(errno));
  watched_[wd] = path;
}

std::vector<std::string> OpenWatch::Drain() {
  std::vector<std::string> seen;
  if (fd_ < 0) return seen;
  alignas(inotify_event) char buffer[16 * (sizeof(inotify_event) + NAME_MAX + 1)];
  for (;;) {
    const ssize_t n = ::read(fd_, buffer, sizeof buffer);
    if (n <= 0) break;
    for (ssize_t at = 0; at < n;) {
      inotify_event event;
      std::memcpy(&event, buffer + at, sizeof event);
      const char* name = buffer + at + sizeof(inotify_event);
      at += static_cast<ssize_t>(sizeof(inotify_event) + event.len);
      if ((event.mask & IN_Q_OVERFLOW) != 0) {
        seen.emplace_back("<events lost: inotify queue overflow>");
        continue;
      }
      const auto it = watched_.find(event.wd);
      if ((event.mask & IN_IGNORED) != 0) {
        if (it != watched_.end()) watched_.erase(it);
        continue;
      }
      if ((event.mask & (IN_OPEN | IN_ACCESS)) == 0) continue;
      std::string what = it != watched_.end() ? it->second : "<unknown watch>";
      if (event.len != 0) what += "/" + std::string(name, ::strnlen(name, event.len));
      seen.push_back(std::move(what));
    }
  }
  return seen;
}

}  // namespace stguard_fuzz
