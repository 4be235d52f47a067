#include "finding_sink.h"

#include <algorithm>

#include "str_cat.h"
#include "work_counter.h"

namespace stguard::internal {

void FindingSink::Add(Code code, Severity severity, uint64_t offset,
                      std::optional<std::string_view> tensor, std::string message) {
  CountWork(1);
  if (severity == Severity::kError) has_error_ = true;
  const size_t slot = SlotOf(code);
  const uint32_t seen = counts_[slot];
  if (seen == 0) Touch(slot);
  if (seen < UINT32_MAX) counts_[slot] = seen + 1;
  if (seen >= max_per_code_) {
    over_budget_ = true;
    worst_dropped_[slot] = std::max(worst_dropped_[slot], severity);
    return;
  }
  // Offsets point inside the file; an empty file has only offset 0.
  if (file_size_ == 0) {
    offset = 0;
  } else if (offset >= file_size_) {
    offset = file_size_ - 1;
  }
  std::optional<std::string> reported;
  if (tensor) reported = ReportedName(*tensor);
  // Most reports hold a few findings: one allocation for them, not 1, 2, 4.
  if (findings_.capacity() == 0) findings_.reserve(kFirstCapacity);
  findings_.push_back(Finding{code, severity, offset, std::move(reported), std::move(message)});
}

void FindingSink::Clear() {
  has_error_ = false;
  over_budget_ = false;
  touched_count_ = 0;
  counts_.fill(0);
  worst_dropped_.fill(Severity{});
  findings_.clear();
}

void FindingSink::AddAction(Code code, Action action, uint64_t offset,
                            std::optional<std::string_view> tensor, std::string message) {
  switch (action) {
    case Action::kIgnore:
      return;
    case Action::kWarn:
      Add(code, Severity::kWarning, offset, tensor, std::move(message));
      return;
    case Action::kReject:
      Add(code, Severity::kError, offset, tensor, std::move(message));
      return;
  }
}

void FindingSink::Absorb(FindingSink& other) {
  has_error_ |= other.has_error_;
  if (other.touched_count_ == 0) {
    // Nothing was ever counted there: no findings, no counts.
    other.findings_.clear();
    other.has_error_ = false;
    return;
  }
  // Findings `other` kept pass through this sink's budget one by one...
  std::array<uint32_t, kSlots> listed;  // set for other's counted slots only
  const auto for_each_other_slot = [&](auto&& visit) {
    if (other.TouchedAll()) {
      for (size_t slot = 0; slot < kSlots; ++slot) {
        if (other.counts_[slot] != 0) visit(slot);
      }
    } else {
      for (uint32_t i = 0; i < other.touched_count_; ++i) visit(other.touched_[i]);
    }
  };
  for_each_other_slot([&](size_t slot) { listed[slot] = 0; });
  findings_.reserve(findings_.size() + other.findings_.size());
  for (Finding& f : other.findings_) {
    const size_t slot = SlotOf(f.code);
    ++listed[slot];
    if (counts_[slot] == 0) Touch(slot);
    if (counts_[slot] >= max_per_code_) {
      over_budget_ = true;
      worst_dropped_[slot] = std::max(worst_dropped_[slot], f.severity);
    } else {
      findings_.push_back(std::move(f));
    }
    if (counts_[slot] < UINT32_MAX) ++counts_[slot];
  }
  // ...and the ones it had already dropped are counted as dropped here.
  for_each_other_slot([&](size_t slot) {
    const uint64_t sum = uint64_t{counts_[slot]} + (other.counts_[slot] - listed[slot]);
    if (counts_[slot] == 0 && sum != 0) Touch(slot);
    counts_[slot] = static_cast<uint32_t>(std::min<uint64_t>(sum, UINT32_MAX));
    if (counts_[slot] > max_per_code_) over_budget_ = true;
    worst_dropped_[slot] = std::max(worst_dropped_[slot], other.worst_dropped_[slot]);
  });
  // `other` is left empty, as new.
  for_each_other_slot([&](size_t slot) {
    other.counts_[slot] = 0;
    other.worst_dropped_[slot] = Severity{};
  });
  other.findings_.clear();
  other.touched_count_ = 0;
  other.has_error_ = false;
}

std::vector<Finding> FindingSink::Finish() {
  const auto by_offset_then_code = [](const Finding& a, const Finding& b) {
    if (a.offset != b.offset) return a.offset < b.offset;
    return a.code < b.code;
  };
  // (Most reports arrive sorted or nearly empty: no sort, no buffer.)
  if (!std::is_sorted(findings_.begin(), findings_.end(), by_offset_then_code)) {
    std::stable_sort(findings_.begin(), findings_.end(), by_offset_then_code);
  }
  if (!over_budget_) return std::move(findings_);
  for (const CodeInfo& info : AllCodes()) {
    const size_t slot = SlotOf(info.code);
    if (counts_[slot] <= max_per_code_) continue;
    // The truncation note carries the worst severity it hides, so a reader
    // of the truncated list still sees why the file was rejected.
    findings_.push_back(Finding{
        Code::kFindingsTruncated, Severity::kInfo, 0, std::nullopt,
        StrCat(counts_[slot] - max_per_code_, " more findings of code ",
               static_cast<unsigned>(info.code), " (", info.id, ", worst severity ",
               SeverityName(worst_dropped_[slot]), ") not listed")});
  }
  return std::move(findings_);
}

std::string ReportedName(std::string_view name) {
  if (name.size() <= kMaxReportedNameBytes) return std::string(name);
  size_t cut = kMaxReportedNameBytes;
  // Step back over UTF-8 continuation bytes (10xxxxxx).
  while (cut > 0 && (static_cast<unsigned char>(name[cut]) & 0xC0) == 0x80) --cut;
  return StrCat(name.substr(0, cut), "...");
}

}  // namespace stguard::internal
