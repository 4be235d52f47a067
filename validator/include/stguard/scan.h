// The repository scanner: every entry point that judges more than one file
// (the CLI, the C API, Python, remote checks) calls this. Given files and
// directories it finds every file a loader could open, validates each
// distinct file once (a shard with its index, anything else on its own),
// judges pickles and other model formats, and says what it skipped and why.
#ifndef STGUARD_SCAN_H_
#define STGUARD_SCAN_H_

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "stguard/checkpoint.h"
#include "stguard/policy.h"
#include "stguard/report.h"
#include "stguard/validate.h"

namespace stguard {

// How a file was judged.
enum class FileRole : uint8_t {
  kSafetensors,  // validated as a safetensors file
  kIndex,        // a checkpoint index, cross-checked with its shards
  kShard,        // a shard, validated with the index that names it
  kModelFile,    // another format a loader could open: pickles graded (106-108), others 109
};
std::string_view FileRoleName(FileRole role);  // "safetensors", "index", "shard", "model-file"

struct ScannedFile {
  std::string path;  // as met (a directory argument joined with the names below it)
  FileRole role = FileRole::kSafetensors;
  // Other paths this scan met that lead to the same file (symlinks, hard
  // links, further names in an index): the file was validated once.
  std::vector<std::string> also_at;
  std::string index;  // kShard: the index that named it
  uint64_t index_shards = 0;  // kIndex: the distinct shard files its weight_map names
  bool io_ok = true;
  std::string io_error;  // when !io_ok: the file could not be read (exit status 2)
  Report report;
  // A remote check (stguard check URL): the body bytes received for this
  // file, every request counted. Unset for a local file.
  std::optional<uint64_t> fetched_bytes;
};

// Why a file met by a walk was not judged.
enum class SkipReason : uint8_t {
  kTextOrConfig,      // a config, tokenizer or text file, by its name (*.json, *.txt, *.py, ...)
  kNotAModel,         // no model format in its bytes, and not named as a model file
  kNotARegularFile,   // a FIFO, socket or device (never opened), or a dangling symlink
  kDirectorySymlink,  // a symlink to a directory (not followed)
  kGitMetadata,       // below a .git directory
};
inline constexpr size_t kSkipReasonCount = 5;
std::string_view SkipReasonText(SkipReason reason);  // "config or text", ...
std::string_view SkipReasonId(SkipReason reason);    // "text-or-config", ... (JSON keys)

struct ScanSummary {
  uint64_t judged = 0;  // ScannedFiles emitted
  std::array<uint64_t, kSkipReasonCount> skipped{};
  uint64_t skipped_total() const {
    uint64_t total = 0;
    for (const uint64_t n : skipped) total += n;
    return total;
  }
};

// Memory a job is budgeted at: a safetensors file at the 100,000,000-byte
// header limit peaks below this (the complexity suite asserts it).
inline constexpr uint64_t kPerJobMemoryBytes = 320ull << 20;

struct ScanOptions {
  ValidateOptions validate;
  // Files validated at once; capped so that jobs x kPerJobMemoryBytes stays
  // within memory_budget_bytes (see EffectiveJobs).
  unsigned jobs = 1;
  // 0: half the machine's physical memory.
  uint64_t memory_budget_bytes = 0;
  // Where symlinks met by a walk, and shard names, may lead. Empty: the
  // policy's symlink_root, else the directory walked (or the index's
  // directory), or the Hub cache repository folder holding it.
  std::string root;
  // Which entries a directory walk keeps; empty: every one. Called for each
  // file and directory met below a directory given in `paths`, with its path
  // relative to that directory ("sub/model.bin", '/'-separated) and whether
  // it is a directory. A file it refuses is left out (not judged, not
  // counted as skipped); a directory it refuses is not descended. The paths
  // given themselves are never filtered; an index kept is still checked
  // with every shard it names.
  std::function<bool(std::string_view relative_path, bool is_directory)> walk_filter;
};

// The jobs a scan runs with: at least 1, at most options.jobs and at most
// memory budget / kPerJobMemoryBytes.
unsigned EffectiveJobs(const ScanOptions& options);

// Judges `paths` (files, or directories walked below them) and calls `emit`
// for each judged file, in a stable order (each index with its shards
// first, then every other file in the order given, a directory's files in
// path order), each as soon as it and those before it are done. A file named on the command
// line is judged by its name (*.safetensors.index*.json an index, a model
// file's extension a model file, anything else safetensors); a file met by
// a walk likewise, except that config and text files are skipped and files
// of other names are judged by their bytes.
ScanSummary ScanPaths(const std::vector<std::string>& paths, const Policy& policy,
                      const ScanOptions& options,
                      const std::function<void(ScannedFile&&)>& emit);

}  // namespace stguard

#endif  // STGUARD_SCAN_H_
