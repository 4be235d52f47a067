// Sharded checkpoints: a model.safetensors.index.json and the shards it
// names, validated together.
#ifndef STGUARD_CHECKPOINT_H_
#define STGUARD_CHECKPOINT_H_

#include <string>
#include <vector>

#include "stguard/policy.h"
#include "stguard/report.h"
#include "stguard/validate.h"

namespace stguard {

struct ShardReport {
  std::string file_name;  // as written in the index
  std::string path;       // index directory + file_name
  // False when the shard was not opened: its name is unsafe, it is missing,
  // or it could not be read (see the checkpoint findings).
  bool checked = false;
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

// Reads the index (at most kMaxHeaderBytesCeiling bytes), then validates each
// shard it names under `policy` and cross-checks the tensor names.
CheckpointReport ValidateCheckpoint(const std::string& index_path, const Policy& policy,
                                    const ValidateOptions& options = {});

}  // namespace stguard

#endif  // STGUARD_CHECKPOINT_H_
