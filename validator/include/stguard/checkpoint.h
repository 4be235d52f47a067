// Sharded checkpoints: a model.safetensors.index.json and the shards it
// names, validated together.
#ifndef STGUARD_CHECKPOINT_H_
#define STGUARD_CHECKPOINT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "stguard/policy.h"
#include "stguard/report.h"
#include "stguard/validate.h"

namespace stguard {

// One shard file: every name in the index that leads to the same file
// (through symlinks or hard links) is one shard, validated once.
struct ShardReport {
  std::string file_name;  // as written in the index (the first such name, sorted)
  std::string path;       // where a loader opens it: index directory + file_name
  std::vector<std::string> other_names;  // further index names leading to this file
  // False when the shard was not opened: its name is unsafe, it is missing
  // or leads outside the root, it could not be read, or the scan's limits
  // were passed (see the checkpoint findings).
  bool checked = false;
  uint64_t device = 0;  // the file's identity, when it resolved
  uint64_t inode = 0;
  Report report;
};

struct CheckpointReport {
  bool index_io_ok = false;
  std::string index_io_error;
  uint64_t index_size = 0;      // bytes in the index file
  uint64_t listed_tensors = 0;  // entries in weight_map
  // Reject when an index finding is an error or any shard is rejected.
  Verdict verdict = Verdict::kReject;
  // About the index and the shards' consistency with it. Offsets are byte
  // offsets in the index file; `tensor` names the tensor when there is one.
  std::vector<Finding> findings;
  std::vector<ShardReport> shards;  // sorted by file name
};

struct CheckpointOptions {
  ValidateOptions validate;
  // Where shard names and their symlinks may lead. Empty: the policy's
  // symlink_root, else the index's directory, or the Hub cache repository
  // folder when the index is in a cache snapshot.
  std::string root;
  // Shards validated at once (each holds one table; the cross-check runs in
  // shard order, so the report does not depend on it).
  unsigned jobs = 1;
};

// Reads the index (at most kMaxHeaderBytesCeiling bytes), then validates each
// shard file it names under `policy` and cross-checks the tensor names.
CheckpointReport ValidateCheckpoint(const std::string& index_path, const Policy& policy,
                                    const ValidateOptions& options = {});
CheckpointReport ValidateCheckpoint(const std::string& index_path, const Policy& policy,
                                    const CheckpointOptions& options);

}  // namespace stguard

#endif  // STGUARD_CHECKPOINT_H_
