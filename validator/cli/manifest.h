// What `stguard verify` reads: the manifest (a `check --deep --format json`
// report) and where each file it names may be. The command (verify.cc)
// compares hashes and prints; this unit loads the text, resolves the root,
// opens each entry's file only when it is under the root, and reads the
// entries forward once, so tests and fuzz/fuzz_manifest.cc drive the part
// that takes untrusted input without running the command.
#ifndef STGUARD_CLI_MANIFEST_H_
#define STGUARD_CLI_MANIFEST_H_

#include <simdjson.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace stguard::cli {

// The largest manifest read. Its text is indexed at once by simdjson
// On-Demand (4 bytes per structural character: peak memory at most about 5
// times the text, 1.3 GB at the cap, against about 13 times for a DOM), then
// read forward once, each entry verified as it is read, so no copy of the
// manifest's hashes is kept. A deep report spends about 160 bytes per
// tensor plus its name: 256 MiB holds over a million tensors.
inline constexpr uint64_t kMaxManifestBytes = uint64_t{256} << 20;

// Reads the manifest at `path` into `text` only when it is a regular file
// of at most `max_bytes` bytes (a FIFO or a device is refused at once,
// never waited on). Returns "" or what went wrong.
std::string LoadManifest(const std::string& path, simdjson::padded_string& text,
                         uint64_t max_bytes = kMaxManifestBytes);

// The directory a manifest's files must be in, and relative paths are
// taken from.
struct ManifestRoot {
  std::filesystem::path dir;   // as given (or the manifest's directory), absolute
  std::filesystem::path real;  // the same, symlinks resolved
};

// `root_option` (--root) when given, else the manifest's directory. On
// failure `root.dir` still names the root for the message.
std::error_code ResolveManifestRoot(const std::optional<std::string>& root_option,
                                    const std::string& manifest_path, ManifestRoot& root);

// The file a manifest entry names, opened and known to be under the root.
class EntryFile {
 public:
  EntryFile() = default;
  EntryFile(const EntryFile&) = delete;
  EntryFile& operator=(const EntryFile&) = delete;
  ~EntryFile();

  // Opens `path` (relative paths from the root) with O_PATH, which opens
  // nothing on a device or FIFO, and checks where the open file really is:
  // the kernel's name for it (/proc/self/fd, symlinks resolved) must be under
  // the root. False with refusal() set when the entry is refused (never
  // opened for reading), or with error() set when it cannot be opened.
  bool Open(const std::string& path, const ManifestRoot& root);

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

// One entry of the manifest's "files", met as the manifest is read.
class ManifestEntry {
 public:
  ManifestEntry(std::string path, std::string sha256, simdjson::ondemand::object content)
      : path_(std::move(path)), sha256_(std::move(sha256)), content_(content) {}

  // Exact bytes: PEP 383 escapes (\udcXX) decoded back to the bytes.
  const std::string& path() const { return path_; }
  const std::string& sha256() const { return sha256_; }  // 64 lowercase hex digits

  // Hands each of the entry's tensors to `visit(name, sha256)` in order (the
  // digest is valid during the call only). Returns "" or the error that ends
  // the reading: no tensor list, or a tensor without a name or a digest.
  // Read only on request: an unchanged file never needs its tensors.
  std::string ForEachTensor(
      const std::function<void(const std::string& name, std::string_view sha256)>& visit);

 private:
  std::string path_;
  std::string sha256_;
  simdjson::ondemand::object content_;
};

// Reads `text` forward once with `parser`, calling `visit` for each entry
// of "files" as it is met; `visit` returns "" to go on, or an error that
// ends the reading. Returns "" or the first error: the text is not a report
// (`manifest_path` names it), an entry has no path or no hashes, or the one
// `visit` returned.
std::string ReadManifest(simdjson::ondemand::parser& parser, const simdjson::padded_string& text,
                         const std::string& manifest_path,
                         const std::function<std::string(ManifestEntry&)>& visit);

}  // namespace stguard::cli

#endif  // STGUARD_CLI_MANIFEST_H_
