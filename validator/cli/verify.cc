#include "verify.h"

#include <fcntl.h>
#include <simdjson.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cli_common.h"
#include "file_source.h"
#include "json_string.h"
#include "render.h"
#include "stguard/policy.h"
#include "stguard/validate.h"

namespace stguard::cli {
namespace {

namespace fs = std::filesystem;

// The largest manifest read. Its text is indexed at once by simdjson
// On-Demand (4 bytes per structural character: peak memory at most about 5
// times the text, 1.3 GB at the cap, against about 13 times for a DOM), then
// read forward once, each entry verified as it is read, so no copy of the
// manifest's hashes is kept. A deep report spends about 160 bytes per
// tensor plus its name: 256 MiB holds over a million tensors.
constexpr uint64_t kMaxManifestBytes = uint64_t{256} << 20;
constexpr std::string_view kMaxManifestText = "256 MiB";

bool IsSha256Hex(std::string_view text) {
  return text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// A manifest's text, read only when it is a regular file of at most
// kMaxManifestBytes (a FIFO or a device is refused at once, never waited on).
std::string LoadManifest(const std::string& path, simdjson::padded_string& text) {
  internal::FileSource source;
  if (!source.Open(path)) return "cannot read manifest " + path + ": " + source.error();
  if (source.size() > kMaxManifestBytes) {
    return "manifest " + path + " is larger than " + std::string(kMaxManifestText);
  }
  text = simdjson::padded_string(static_cast<size_t>(source.size()));
  if (!source.ReadAt(0, source.size(), text.data())) {
    return "cannot read manifest " + path + ": " + source.error();
  }
  return "";
}

// The directory a manifest's files must be in, and relative paths are
// taken from.
struct Root {
  fs::path dir;   // as given (or the manifest's directory), absolute
  fs::path real;  // the same, symlinks resolved
};

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

// The file a manifest entry names, opened and known to be under the root.
class EntryFile {
 public:
  EntryFile() = default;
  EntryFile(const EntryFile&) = delete;
  EntryFile& operator=(const EntryFile&) = delete;
  ~EntryFile() {
    if (fd_ >= 0) ::close(fd_);
  }

  // Opens `path` (relative paths from the root) with O_PATH, which opens
  // nothing on a device or FIFO, and checks where the open file really is:
  // the kernel's name for it (/proc/self/fd, symlinks resolved) must be under
  // the root. False with refusal() set when the entry is refused (never
  // opened for reading), or with error() set when it cannot be opened.
  bool Open(const std::string& path, const Root& root) {
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

  // The path that reads the very file checked: /proc/self/fd/N.
  const std::string& read_path() const { return read_path_; }
  const std::string& refusal() const { return refusal_; }
  const std::string& error() const { return error_; }

 private:
  int fd_ = -1;
  std::string read_path_;
  std::string refusal_;
  std::string error_;
};

// The path of a manifest entry, read from its raw literal: it may hold PEP
// 383 lone surrogates (bytes that are not UTF-8), which simdjson refuses
// to decode.
std::optional<std::string> ReadPath(simdjson::ondemand::object& file) {
  std::string_view raw;
  if (file["path"].raw_json_token().get(raw) != simdjson::SUCCESS) return std::nullopt;
  while (!raw.empty() && raw.back() != '"') raw.remove_suffix(1);  // trailing whitespace
  return DecodeJsonString(raw);
}

// How one entry went.
enum class EntryOutcome { kUnchanged, kBad, kIoError };

// Verifies one entry of "files" as it is read (the manifest is read once,
// forward): its path and file hash, then the file itself, then, only when
// the file changed, the entry's tensor hashes one by one against the
// file's. Memory holds the file's report, never the entry's tensor list.
// Prints what it finds; returns an error message when the entry is not
// what `check --deep --format json` writes, "" otherwise.
std::string VerifyEntry(simdjson::ondemand::object file, const Root& root, const Policy& policy,
                        EntryOutcome& outcome) {
  const std::optional<std::string> path = ReadPath(file);
  if (!path) return "a manifest file has no path, or not a JSON string";
  const std::string no_hashes =
      "manifest entry " + *path + " has no hashes: make it with 'check --deep'";
  simdjson::ondemand::object content;
  std::string_view value;
  if (file["content"].get_object().get(content) != simdjson::SUCCESS ||
      content["sha256"].get_string().get(value) != simdjson::SUCCESS || !IsSha256Hex(value)) {
    return no_hashes;
  }
  const std::string manifest_digest(value);

  std::cout << TerminalSafe(*path) << ": ";
  outcome = EntryOutcome::kIoError;
  EntryFile opened;
  if (!opened.Open(*path, root)) {
    if (!opened.refusal().empty()) {
      std::cout << "ERROR refused: " << TerminalSafe(opened.refusal()) << "\n";
    } else {
      std::cout << "ERROR cannot read: " << TerminalSafe(opened.error()) << "\n";
    }
    return "";
  }
  ValidateOptions options;
  options.deep_scan = true;
  const FileReport checked = ValidateFile(opened.read_path(), policy, options);
  if (!checked.io_ok || !checked.report.content) {
    std::cout << "ERROR cannot read: " << TerminalSafe(checked.io_error) << "\n";
    return "";
  }
  const Report& report = checked.report;
  const std::string digest = DigestHex(report.content->file_sha256);
  const bool rejected = report.verdict == Verdict::kReject;
  outcome = rejected ? EntryOutcome::kBad : EntryOutcome::kUnchanged;
  if (digest == manifest_digest) {
    std::cout << "UNCHANGED"
              << (rejected ? ", but REJECTED by policy " + TerminalSafe(policy.name) : "")
              << "\n";
    return "";
  }
  outcome = EntryOutcome::kBad;
  std::cout << "CHANGED (sha256 " << digest << ", manifest " << manifest_digest << ")\n";
  // Which tensors: those whose bytes changed, appeared or disappeared.
  std::map<std::string_view, std::string> now;
  for (const TensorContent& t : report.content->tensors) now[t.name] = DigestHex(t.sha256);
  simdjson::ondemand::array tensors;
  if (content["tensors"].get_array().get(tensors) != simdjson::SUCCESS) return no_hashes;
  const std::string bad_tensor = "manifest entry " + *path + " has a tensor without name or sha256";
  for (auto item : tensors) {
    simdjson::ondemand::object t;
    std::string_view name, tensor_digest;
    if (item.get_object().get(t) != simdjson::SUCCESS ||
        t["name"].get_string().get(name) != simdjson::SUCCESS) {
      return bad_tensor;
    }
    const std::string name_copy(name);  // the next string read may reuse the parser's buffer
    if (t["sha256"].get_string().get(tensor_digest) != simdjson::SUCCESS ||
        !IsSha256Hex(tensor_digest)) {
      return bad_tensor;
    }
    const auto it = now.find(name_copy);
    if (it == now.end()) {
      std::cout << "  tensor \"" << TerminalSafe(name_copy) << "\" is gone\n";
      continue;
    }
    if (it->second != tensor_digest) {
      std::cout << "  tensor \"" << TerminalSafe(name_copy) << "\" changed\n";
    }
    now.erase(it);
  }
  for (const auto& [name, digest_now] : now) {
    std::cout << "  tensor \"" << TerminalSafe(name) << "\" is new\n";
  }
  if (!report.content->tensors_scanned) {
    std::cout << "  (tensors not compared: the file no longer parses)\n";
  }
  return "";
}

}  // namespace

int RunVerify(const std::vector<std::string>& args) {
  std::string policy_name = "default";
  std::optional<std::string> root_option;
  std::vector<std::string> rest;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--policy" || args[i] == "--root") {
      if (i + 1 >= args.size()) return Usage(args[i] + " needs a value");
      (args[i] == "--policy" ? policy_name : root_option.emplace()) = args[i + 1];
      ++i;
    } else if (args[i].rfind("--policy=", 0) == 0) {
      policy_name = args[i].substr(9);
    } else if (args[i].rfind("--root=", 0) == 0) {
      root_option = args[i].substr(7);
    } else {
      rest.push_back(args[i]);
    }
  }
  if (rest.size() != 1) return Usage("verify takes one MANIFEST");
  const std::string& manifest_path = rest[0];
  PolicyLoadResult loaded = ResolvePolicy(policy_name);
  if (!loaded.policy) {
    std::cerr << "stguard: bad policy: " << TerminalSafe(loaded.error) << "\n";
    return kExitUsage;
  }
  Root root;
  {
    std::error_code ec;
    const fs::path given = root_option ? fs::path(*root_option)
                                       : fs::path(manifest_path).parent_path();
    root.dir = fs::absolute(given.empty() ? fs::path(".") : given, ec).lexically_normal();
    if (!root.dir.has_filename() && root.dir != root.dir.root_path()) {
      root.dir = root.dir.parent_path();  // "dir/" (from "dir/.") -> "dir"
    }
    if (!ec) root.real = fs::canonical(root.dir, ec);
    if (!ec && !fs::is_directory(root.real, ec)) {
      ec = std::make_error_code(std::errc::not_a_directory);
    }
    if (ec) {
      std::cerr << "stguard: root " << TerminalSafe(root.dir.string()) << ": " << ec.message()
                << "\n";
      return kExitUsage;
    }
  }
  simdjson::padded_string text;
  std::string error = LoadManifest(manifest_path, text);
  if (!error.empty()) {
    std::cerr << "stguard: " << TerminalSafe(error) << "\n";
    return kExitUsage;
  }
  const std::string not_a_report =
      "manifest " + manifest_path + " is not a 'stguard check --format json' report";
  simdjson::ondemand::parser parser;
  simdjson::ondemand::document doc;
  simdjson::ondemand::array files;
  if (parser.iterate(text).get(doc) != simdjson::SUCCESS ||
      doc["files"].get_array().get(files) != simdjson::SUCCESS) {
    std::cerr << "stguard: " << TerminalSafe(not_a_report) << "\n";
    return kExitUsage;
  }
  bool any_error = false, any_bad = false;
  for (auto item : files) {
    simdjson::ondemand::object file;
    EntryOutcome outcome = EntryOutcome::kUnchanged;
    error = item.get_object().get(file) != simdjson::SUCCESS
                ? not_a_report
                : VerifyEntry(file, root, *loaded.policy, outcome);
    if (!error.empty()) break;
    any_error |= outcome == EntryOutcome::kIoError;
    any_bad |= outcome == EntryOutcome::kBad;
  }
  std::cout.flush();
  if (!error.empty()) {
    std::cerr << "stguard: " << TerminalSafe(error) << "\n";
    return kExitUsage;
  }
  if (any_error) return kExitUsage;
  return any_bad ? kExitRejected : kExitAccepted;
}

}  // namespace stguard::cli
