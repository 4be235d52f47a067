#include "manifest.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "file_source.h"
#include "json_string.h"

namespace stguard::cli {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kMaxManifestText = "256 MiB";

bool IsSha256Hex(std::string_view text) {
  return text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// Whether `path` is `root` or below it, compared component by component
// (both absolute, without "." or ".."), never as strings: "/a/bc" is not
// under "/a/b".
bool IsUnder(const fs::path& path, const fs::path& root) {
  auto p = path.begin();
  for (auto r = root.begin(); r != root.end(); ++r) {
    if (r->empty()) continue;  // a trailing separator
    if (p == path.end() || *p != *r) return false;
    ++p;
  }
  return true;
}

// The path of a manifest entry, read from its raw literal: it may hold PEP
// 383 lone surrogates (bytes that are not UTF-8), which simdjson refuses
// to decode.
std::optional<std::string> ReadPath(simdjson::ondemand::object& file) {
  std::string_view raw;
  if (file["path"].raw_json_token().get(raw) != simdjson::SUCCESS) return std::nullopt;
  while (!raw.empty() && raw.back() != '"') raw.remove_suffix(1);  // trailing whitespace
  return DecodeJsonString(raw);
}

std::string NoHashes(const std::string& path) {
  return "manifest entry " + path + " has no hashes: make it with 'check --deep'";
}

}  // namespace

std::string LoadManifest(const std::string& path, simdjson::padded_string& text,
                         uint64_t max_bytes) {
  internal::FileSource source;
  if (!source.Open(path)) return "cannot read manifest " + path + ": " + source.error();
  if (source.size() > max_bytes) {
    return "manifest " + path + " is larger than " +
           (max_bytes == kMaxManifestBytes ? std::string(kMaxManifestText)
                                           : std::to_string(max_bytes) + " bytes");
  }
  text = simdjson::padded_string(static_cast<size_t>(source.size()));
  if (!source.ReadAt(0, source.size(), text.data())) {
    return "cannot read manifest " + path + ": " + source.error();
  }
  return "";
}

std::error_code ResolveManifestRoot(const std::optional<std::string>& root_option,
                                    const std::string& manifest_path, ManifestRoot& root) {
  std::error_code ec;
  const fs::path given =
      root_option ? fs::path(*root_option) : fs::path(manifest_path).parent_path();
  root.dir = fs::absolute(given.empty() ? fs::path(".") : given, ec).lexically_normal();
  if (!root.dir.has_filename() && root.dir != root.dir.root_path()) {
    root.dir = root.dir.parent_path();  // "dir/" (from "dir/.") -> "dir"
  }
  if (!ec) root.real = fs::canonical(root.dir, ec);
  if (!ec && !fs::is_directory(root.real, ec)) {
    ec = std::make_error_code(std::errc::not_a_directory);
  }
  return ec;
}

EntryFile::~EntryFile() {
  if (fd_ >= 0) ::close(fd_);
}

bool EntryFile::Open(const std::string& path, const ManifestRoot& root) {
  if (path.find('\0') != std::string::npos) {
    refusal_ = "the path holds a NUL byte (\\u0000 in the manifest)";
    return false;
  }
  if (path.empty()) {
    refusal_ = "the path is empty";
    return false;
  }
  const fs::path joined = fs::path(path).is_absolute() ? fs::path(path) : root.dir / path;
  // Paths that lead out by their words alone are not even opened.
  const fs::path normal = joined.lexically_normal();
  if (!IsUnder(normal, root.dir) && !IsUnder(normal, root.real)) {
    refusal_ = "outside the root " + root.dir.string();
    return false;
  }
  fd_ = ::open(joined.c_str(), O_PATH | O_CLOEXEC);
  if (fd_ < 0) {
    error_ = std::strerror(errno);
    return false;
  }
  struct stat st;
  if (::fstat(fd_, &st) != 0) {
    error_ = std::strerror(errno);
    return false;
  }
  if (!S_ISREG(st.st_mode)) {  // refused before anything opens it for reading
    error_ = S_ISDIR(st.st_mode) ? "is a directory" : "not a regular file";
    return false;
  }
  const std::string proc_path = "/proc/self/fd/" + std::to_string(fd_);
  std::error_code ec;
  fs::path real = fs::read_symlink(proc_path, ec);
  read_path_ = proc_path;
  if (ec) {  // no /proc: resolve the name again (a swap in between goes unseen)
    real = fs::canonical(joined, ec);
    if (ec) {
      error_ = ec.message();
      return false;
    }
    read_path_ = real.string();
  }
  if (!IsUnder(real, root.real)) {
    refusal_ = "outside the root " + root.dir.string() + " (it is " + real.string() + ")";
    return false;
  }
  return true;
}

std::string ManifestEntry::ForEachTensor(
    const std::function<void(const std::string& name, std::string_view sha256)>& visit) {
  simdjson::ondemand::array tensors;
  if (content_["tensors"].get_array().get(tensors) != simdjson::SUCCESS) return NoHashes(path_);
  const std::string bad_tensor = "manifest entry " + path_ + " has a tensor without name or sha256";
  for (auto item : tensors) {
    simdjson::ondemand::object t;
    std::string_view name, digest;
    if (item.get_object().get(t) != simdjson::SUCCESS ||
        t["name"].get_string().get(name) != simdjson::SUCCESS) {
      return bad_tensor;
    }
    const std::string name_copy(name);  // the next string read may reuse the parser's buffer
    if (t["sha256"].get_string().get(digest) != simdjson::SUCCESS || !IsSha256Hex(digest)) {
      return bad_tensor;
    }
    visit(name_copy, digest);
  }
  return "";
}

std::string ReadManifest(simdjson::ondemand::parser& parser, const simdjson::padded_string& text,
                         const std::string& manifest_path,
                         const std::function<std::string(ManifestEntry&)>& visit) {
  const std::string not_a_report =
      "manifest " + manifest_path + " is not a 'stguard check --format json' report";
  simdjson::ondemand::document doc;
  simdjson::ondemand::array files;
  if (parser.iterate(text).get(doc) != simdjson::SUCCESS ||
      doc["files"].get_array().get(files) != simdjson::SUCCESS) {
    return not_a_report;
  }
  for (auto item : files) {
    simdjson::ondemand::object file;
    if (item.get_object().get(file) != simdjson::SUCCESS) return not_a_report;
    std::optional<std::string> path = ReadPath(file);
    if (!path) return "a manifest file has no path, or not a JSON string";
    simdjson::ondemand::object content;
    std::string_view value;
    if (file["content"].get_object().get(content) != simdjson::SUCCESS ||
        content["sha256"].get_string().get(value) != simdjson::SUCCESS || !IsSha256Hex(value)) {
      return NoHashes(*path);
    }
    ManifestEntry entry(std::move(*path), std::string(value), content);
    std::string error = visit(entry);
    if (!error.empty()) return error;
  }
  return "";
}

}  // namespace stguard::cli
