// What a directory scan shares between the checkpoints it checks.
#ifndef STGUARD_SRC_CHECKPOINT_INTERNAL_H_
#define STGUARD_SRC_CHECKPOINT_INTERNAL_H_

#include <map>
#include <mutex>
#include <string>

#include "file_roots.h"
#include "stguard/checkpoint.h"

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

CheckpointReport CheckCheckpoint(const std::string& index_path, const Policy& policy,
                                 const CheckpointOptions& options, IndexFanIn* fan_in);

}  // namespace stguard::internal

#endif  // STGUARD_SRC_CHECKPOINT_INTERNAL_H_
