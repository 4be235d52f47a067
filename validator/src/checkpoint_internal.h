// What a directory scan shares between the checkpoints it checks.
#ifndef STGUARD_SRC_CHECKPOINT_INTERNAL_H_
#define STGUARD_SRC_CHECKPOINT_INTERNAL_H_

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "byte_source.h"
#include "file_roots.h"
#include "pipeline.h"
#include "stguard/checkpoint.h"
#include "stguard/scan.h"

namespace stguard::internal {

// A shard file named by several indexes of one scan (several revisions in
// a Hub cache share blobs) is read again for each: its table is not kept.
// Past this many indexes per file the work would grow with every index
// added, so the file is not read again (code 904).
inline constexpr unsigned kMaxIndexesPerShardFile = 16;

// Counts, across one scan, the indexes that had each shard file read.
class IndexFanIn {
 public:
  // True while `file` has been admitted at most kMaxIndexesPerShardFile
  // times (this call included). Thread-safe.
  bool Admit(const FileId& file);

 private:
  std::mutex mutex_;
  std::map<FileId, unsigned> counts_;
};

// Where a shard name leads: a file that may be opened (`why` empty;
// `locator` says how CheckpointFiles::Validate finds it, `file` which file
// it is, so that names leading to one file share it), or why not and the
// code to report it with.
struct ShardTarget {
  Code code = Code::kShardNameUnsafe;
  std::string why;
  std::string real_path;  // the locator
  FileId file;
};

// Where a checkpoint's index and shards come from: the local file system
// (CheckCheckpoint by path) or another source (a remote repository,
// validator/remote/). The cross-checks are the same whatever the source.
class CheckpointFiles {
 public:
  virtual ~CheckpointFiles() = default;
  // The index's bytes; nullptr with `error` set when it cannot be read.
  virtual std::unique_ptr<ByteSource> OpenIndex(std::string& error) = 0;
  // Called once, before any shard name is resolved: "" or why no shard
  // can be opened at all (reported as 802 shard-missing at weight_map).
  virtual std::string Prepare() = 0;
  virtual ShardTarget Resolve(const std::string& name) = 0;
  // A shard's path as reported (ShardReport::path).
  virtual std::string ShardPath(const std::string& name) = 0;
  // Validates the file Resolve led to; called on up to options.jobs threads.
  virtual FileReport Validate(const std::string& locator, const Policy& policy,
                              const ValidateOptions& options, const TableVisitor& visitor) = 0;
};

CheckpointReport CheckCheckpoint(const std::string& index_path, const Policy& policy,
                                 const CheckpointOptions& options, IndexFanIn* fan_in);
// The scan's entry for the index itself (its shards are entries of their
// own); moves the index's findings out of `checkpoint`.
ScannedFile IndexFile(std::string path, CheckpointReport& checkpoint);
CheckpointReport CheckCheckpoint(CheckpointFiles& files, const Policy& policy,
                                 const CheckpointOptions& options, IndexFanIn* fan_in);

}  // namespace stguard::internal

#endif  // STGUARD_SRC_CHECKPOINT_INTERNAL_H_
