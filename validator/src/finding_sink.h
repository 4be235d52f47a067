// Collects findings with a bounded count per code, so a hostile header with
// a million broken entries yields a report of bounded size.
#ifndef STGUARD_SRC_FINDING_SINK_H_
#define STGUARD_SRC_FINDING_SINK_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "stguard/policy.h"
#include "stguard/report.h"

namespace stguard::internal {

class FindingSink {
 public:
  FindingSink(uint32_t max_per_code, uint64_t file_size)
      : max_per_code_(max_per_code), file_size_(file_size) {}

  // True when a finding of `code` would still be kept: callers skip building
  // messages otherwise.
  bool Wants(Code code) const { return count(code) < max_per_code_; }

  void Add(Code code, Severity severity, uint64_t offset,
           std::optional<std::string_view> tensor, std::string message);
  // A rule governed by a policy action: kIgnore records nothing.
  void AddAction(Code code, Action action, uint64_t offset,
                 std::optional<std::string_view> tensor, std::string message);
  void Error(Code code, uint64_t offset, std::string message) {
    Add(code, Severity::kError, offset, std::nullopt, std::move(message));
  }
  void TensorError(Code code, uint64_t offset, std::string_view tensor, std::string message) {
    Add(code, Severity::kError, offset, tensor, std::move(message));
  }

  bool has_error() const { return has_error_; }
  // Forgets every finding and count, as if none had been added.
  void Clear();
  // Moves `other`'s findings and counts into this sink, as if they had been
  // added here (the per-code budget applies to the sum).
  void Absorb(FindingSink& other);
  // Moves the findings out, sorted by offset then code, with one
  // kFindingsTruncated finding per code that overflowed its budget.
  std::vector<Finding> Finish();

 private:
  static constexpr size_t kSlots = 1000;  // codes are < 1000
  static constexpr size_t kMaxTracked = 32;
  static constexpr size_t kFirstCapacity = 4;
  static size_t SlotOf(Code code) { return static_cast<size_t>(code) % kSlots; }
  uint32_t count(Code code) const { return counts_[SlotOf(code)]; }
  // Records that counts_[slot] is about to leave zero.
  void Touch(size_t slot) {
    if (touched_count_ < kMaxTracked) {
      touched_[touched_count_] = static_cast<uint16_t>(slot);
    }
    ++touched_count_;  // past kMaxTracked: every slot is visited instead
  }
  bool TouchedAll() const { return touched_count_ > kMaxTracked; }

  uint32_t max_per_code_;
  uint64_t file_size_;
  bool has_error_ = false;
  bool over_budget_ = false;  // some count exceeds max_per_code_
  // Slots whose count is not zero, in the order they were first counted
  // (only the first kMaxTracked; touched_count_ counts them all), so that
  // Absorb and Finish need not visit all kSlots slots.
  uint32_t touched_count_ = 0;
  std::array<uint16_t, kMaxTracked> touched_;
  std::array<uint32_t, kSlots> counts_{};
  std::array<Severity, kSlots> worst_dropped_{};
  std::vector<Finding> findings_;
};

// Printable form of a decoded name for reports: at most
// kMaxReportedNameBytes, cut at a UTF-8 character boundary, "..." appended
// when cut. Control characters are kept: renderers escape them.
std::string ReportedName(std::string_view name);

}  // namespace stguard::internal

#endif  // STGUARD_SRC_FINDING_SINK_H_
