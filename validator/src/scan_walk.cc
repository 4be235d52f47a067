#include "scan_walk.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "model_file.h"
#include "str_cat.h"

namespace stguard::internal {
namespace {

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string_view Extension(std::string_view name) {
  const size_t dot = name.rfind('.');
  return dot == std::string_view::npos || dot == 0 ? std::string_view() : name.substr(dot + 1);
}

std::string Join(const std::string& dir, std::string_view name) {
  return dir == "/" ? StrCat("/", name) : StrCat(dir, "/", name);
}

// Not a model file by its name: what a Hub repository holds beside the
// weights (configs, tokenizers, docs, code).
constexpr std::string_view kTextExtensions[] = {
    "json", "txt", "md", "markdown", "rst", "yaml", "yml", "toml", "ini", "cfg", "csv", "tsv",
    "py", "jinja", "html", "lock", "gitattributes", "gitignore"};

class Walker {
 public:
  Walker(const std::string& root, const std::function<bool(std::string_view, bool)>& filter,
         WalkResult& out)
      : explicit_root_(root), filter_(filter), out_(out) {}

  void Argument(const std::string& path) {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) {
      Candidate c;
      c.path = path;
      c.explicit_path = true;
      c.problem = std::strerror(errno);
      out_.candidates.push_back(std::move(c));
      return;
    }
    if (!S_ISDIR(st.st_mode)) {
      Candidate c;
      c.path = path;
      c.explicit_path = true;
      c.role = RoleOfName(FileName(path));
      if (S_ISREG(st.st_mode)) {
        c.id = FileId{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)};
      } else {
        c.problem = "not a regular file (a FIFO, socket or device is never opened)";
      }
      out_.candidates.push_back(std::move(c));
      return;
    }
    std::string dir = path;
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    const std::optional<std::string> root = ResolveRoot(explicit_root_, dir);
    if (!root) {
      Candidate c;
      c.path = dir;
      c.explicit_path = true;
      c.problem = StrCat("the root ", explicit_root_, " does not resolve");
      out_.candidates.push_back(std::move(c));
      return;
    }
    root_ = *root;
    top_ = dir;
    const size_t first = out_.candidates.size();
    Walk(dir);
    std::sort(out_.candidates.begin() + static_cast<std::ptrdiff_t>(first), out_.candidates.end(),
              [](const Candidate& a, const Candidate& b) { return a.path < b.path; });
  }

 private:
  static std::string_view FileName(std::string_view path) {
    const size_t slash = path.rfind('/');
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
  }

  void Skip(SkipReason reason) { ++out_.skipped[static_cast<size_t>(reason)]; }

  // Whether the caller's filter keeps `path` (below top_).
  bool Kept(const std::string& path, bool is_directory) const {
    if (!filter_) return true;
    const size_t prefix = top_ == "/" ? 1 : top_.size() + 1;
    return filter_(std::string_view(path).substr(prefix), is_directory);
  }

  // Iterative: a deep tree cannot exhaust the stack.
  void Walk(const std::string& top) {
    std::vector<std::string> pending = {top};
    while (!pending.empty()) {
      const std::string dir = std::move(pending.back());
      pending.pop_back();
      DIR* handle = ::opendir(dir.c_str());
      if (handle == nullptr) {
        Candidate c;
        c.path = dir;
        c.problem = StrCat("cannot list directory: ", std::strerror(errno));
        out_.candidates.push_back(std::move(c));
        continue;
      }
      std::vector<std::string> names;
      errno = 0;
      while (const dirent* entry = ::readdir(handle)) {
        const std::string_view name = entry->d_name;
        if (name != "." && name != "..") names.emplace_back(name);
      }
      const int read_error = errno;
      ::closedir(handle);
      if (read_error != 0) {
        Candidate c;
        c.path = dir;
        c.problem = StrCat("cannot list directory: ", std::strerror(read_error));
        out_.candidates.push_back(std::move(c));
      }
      std::sort(names.begin(), names.end());
      for (const std::string& name : names) Entry(Join(dir, name), name, pending);
    }
  }

  void Entry(const std::string& path, std::string_view name, std::vector<std::string>& pending) {
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) {
      if (errno == ENOENT) return;  // gone since it was listed
      // Listed but not reachable (a path past PATH_MAX, a permission): a
      // file nobody judged must not pass for one that was.
      Candidate c;
      c.path = path;
      c.problem = StrCat("cannot stat: ", std::strerror(errno));
      out_.candidates.push_back(std::move(c));
      return;
    }
    if (!Kept(path, S_ISDIR(st.st_mode))) return;
    if (S_ISDIR(st.st_mode)) {
      if (name == ".git") {
        Skip(SkipReason::kGitMetadata);
        return;
      }
      pending.push_back(path);
      return;
    }
    const NameRole role = RoleOfName(name);
    Candidate c;
    c.path = path;
    c.role = role;
    if (S_ISLNK(st.st_mode)) {
      const std::optional<std::string> real = RealPath(path);
      if (!real) {
        if (role == NameRole::kTextOrConfig || role == NameRole::kOther) {
          Skip(SkipReason::kNotARegularFile);
          return;
        }
        c.problem = "symlink to a file that does not exist";
        out_.candidates.push_back(std::move(c));
        return;
      }
      if (::stat(real->c_str(), &st) != 0) return;
      // Not followed: what a link to a directory holds is not this tree's.
      if (S_ISDIR(st.st_mode)) {
        Skip(SkipReason::kDirectorySymlink);
        return;
      }
      // A loader opening the link reads whatever it leads to.
      if (!IsInside(*real, root_)) {
        c.outside_root = root_;
        out_.candidates.push_back(std::move(c));
        return;
      }
    }
    if (!S_ISREG(st.st_mode)) {
      Skip(SkipReason::kNotARegularFile);
      return;
    }
    if (role == NameRole::kTextOrConfig) {
      Skip(SkipReason::kTextOrConfig);
      return;
    }
    c.id = FileId{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)};
    out_.candidates.push_back(std::move(c));
  }

  std::string explicit_root_;
  const std::function<bool(std::string_view, bool)>& filter_;
  std::string root_;
  std::string top_;  // the directory argument being walked
  WalkResult& out_;
};

}  // namespace

NameRole RoleOfName(std::string_view name) {
  if (EndsWith(name, ".json") && name.find(".safetensors.index") != std::string_view::npos) {
    return NameRole::kIndex;
  }
  const std::string_view extension = Extension(name);
  if (extension == "safetensors") return NameRole::kSafetensors;
  // What loaders open: PyTorch, pickles, NumPy, GGUF, Keras/HDF5, ONNX, TFLite, Flax.
  if (HasModelFileName(name)) return NameRole::kModelNamed;
  for (const std::string_view e : kTextExtensions) {
    if (extension == e) return NameRole::kTextOrConfig;
  }
  // Dotfiles named after the extension alone (".gitattributes").
  if (!name.empty() && name.front() == '.') {
    for (const std::string_view e : kTextExtensions) {
      if (name.substr(1) == e) return NameRole::kTextOrConfig;
    }
  }
  return NameRole::kOther;
}

void WalkPaths(const std::vector<std::string>& paths, const std::string& root,
               const std::function<bool(std::string_view, bool)>& filter, WalkResult& out) {
  Walker walker(root, filter, out);
  for (const std::string& path : paths) walker.Argument(path);
}

}  // namespace stguard::internal
