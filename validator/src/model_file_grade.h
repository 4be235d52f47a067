// How the pickles found in one model file are graded: what each walk
// imported (against the tensor-rebuild allowlist, docs/pickle-allowlist.md),
// what could not be read, and the one finding that comes of it (106, 107 or
// 108). model_file.cc finds the pickles; this file decides and words.
#ifndef STGUARD_SRC_MODEL_FILE_GRADE_H_
#define STGUARD_SRC_MODEL_FILE_GRADE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "finding_sink.h"
#include "model_file.h"
#include "pickle_walk.h"
#include "stguard/policy.h"

namespace stguard::internal {

// Findings' messages are cut to this many bytes ("..." at the end).
inline constexpr size_t kMaxMessageBytes = 600;
std::string CappedMessage(std::string message);

// What stopped a walk short of STOP, for a message: "the pickle is truncated
// at byte N (...)".
std::string DescribeEnd(const PickleWalk& walk);

// The grade of one file: every pickle found in it, then one finding.
class PickleGrade {
 public:
  void set_container(std::string container) { container_ = std::move(container); }
  // Bytes the file may still have walked (kMaxPickleBytesPerFile in all):
  // pickles and .npy headers.
  uint64_t budget() const { return budget_; }
  // Takes `bytes` from the budget; false (taking nothing) when it has fewer.
  bool Charge(uint64_t bytes) {
    if (bytes > budget_) return false;
    budget_ -= bytes;
    return true;
  }
  // Some pickle was walked, or something that may hold one was not readable.
  bool found_pickle() const { return pickles_ != 0 || unverified_ || by_design_; }

  // One pickle walked at `where` (an archive entry's name, or empty), with
  // the imports it recorded (graded by IsTensorRebuildGlobal).
  void Walked(const PickleWalk& walk, const ImportList& imports, std::string_view where);
  // Something that may hold a pickle could not be checked (108 unless 106).
  void Unverified(uint64_t offset, std::string reason, std::string_view where = {});
  // TorchScript: loading runs code whatever the pickles import (106).
  void RunsCodeByDesign(uint64_t offset, std::string reason);
  // The one finding: 106, else 108, else 107 (through policy.pickle_checkpoints).
  void Emit(const Policy& policy, uint64_t file_size, FindingSink& sink) const;

 private:
  std::string container_ = "Python pickle";
  ImportList imports_{true, IsTensorRebuildGlobal};
  size_t pickles_ = 0;
  int protocol_ = -1;
  uint64_t budget_ = kMaxPickleBytesPerFile;
  std::optional<uint64_t> first_disallowed_;
  std::string disallowed_where_;
  std::optional<uint64_t> unverified_;
  std::string unverified_reason_;
  size_t unverified_count_ = 0;
  std::optional<uint64_t> by_design_;
  std::string by_design_reason_;
};

}  // namespace stguard::internal

#endif  // STGUARD_SRC_MODEL_FILE_GRADE_H_
