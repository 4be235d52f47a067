// What a pickle imports: names escaped for messages, de-duplicated, graded
// against an optional allowlist as the walker (pickle_walk.h) meets them.
// Header-only for the same reason as pickle_walk.h.
#ifndef STGUARD_SRC_PICKLE_WALK_IMPORTS_H_
#define STGUARD_SRC_PICKLE_WALK_IMPORTS_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "str_cat.h"

namespace stguard::internal {

// ---------------------------------------------------------------------------
// Text for messages. Everything taken from a file is escaped to printable
// ASCII (a hostile name cannot drive a terminal or break a report line) and cut.

inline constexpr size_t kMaxQuotedChars = 96;  // of one name taken from the file

inline void AppendEscaped(std::string& out, std::string_view text,
                          size_t max_chars = kMaxQuotedChars) {
  constexpr char kHex[] = "0123456789abcdef";
  for (size_t i = 0; i < text.size(); ++i) {
    if (i == max_chars) {
      out += "...";
      return;
    }
    const auto c = static_cast<uint8_t>(text[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else {
      StrAppend(out, "\\x", kHex[c >> 4], kHex[c & 0xf]);
    }
  }
}

inline std::string Escaped(std::string_view text, size_t max_chars = kMaxQuotedChars) {
  std::string out;
  // Enough for printable text and the "..." of a cut; only escapes regrow it.
  out.reserve(std::min(text.size(), max_chars) + 3);
  AppendEscaped(out, text, max_chars);
  return out;
}

// "a, b, c and 2 more" for at most `listed` of `items`.
inline std::string JoinCapped(const std::vector<std::string>& items, size_t listed) {
  std::string out;
  for (size_t i = 0; i < items.size() && i < listed; ++i) StrAppend(out, i ? ", " : "", items[i]);
  if (items.size() > listed) StrAppend(out, " and ", items.size() - listed, " more");
  return out;
}

// ---------------------------------------------------------------------------
// Imports.

// Longest module or attribute name kept (longer ones are cut, shown with
// "...", and never match an allowlist).
inline constexpr size_t kMaxPickleNameBytes = 256;

// Distinct "module.name" imports in first-seen order, each graded against an
// optional allowlist as it is added. A list that does not record (a probe:
// does the stream walk at all?) keeps nothing.
class ImportList {
 public:
  // True when module.name may be imported (both as the pickle spells them).
  using Allowlist = bool (*)(std::string_view module, std::string_view name);
  static constexpr size_t kListed = 8;    // names spelled out in a description
  static constexpr size_t kTracked = 64;  // names kept for de-duplication
  static_assert(kTracked >= kListed);

  explicit ImportList(bool record = true, Allowlist allowlist = nullptr)
      : record_(record), allowlist_(allowlist) {}

  bool recording() const { return record_; }

  // `cut`: the pickle's module or name was longer than kMaxPickleNameBytes
  // (Escaped shows the cut; a cut name is never allowed).
  void Add(std::string_view module, std::string_view name, uint64_t offset, bool cut = false) {
    if (!record_) return;
    const bool allowed = allowlist_ != nullptr && !cut && allowlist_(module, name);
    // Spelled into a buffer kept between calls: a pickle that imports the
    // same few names thousands of times (one per tensor) allocates only for
    // the distinct ones.
    scratch_.clear();
    AppendEscaped(scratch_, module);
    scratch_ += '.';
    AppendEscaped(scratch_, name);
    AddNamed(scratch_, allowed ? kAllowed : kDisallowed, offset);
  }
  // STACK_GLOBAL whose operands were not strings the walk could name
  // (computed, or lost with the memo): unknown, so never allowed, but not
  // known to be disallowed either.
  void AddUnresolved(uint64_t offset) {
    if (!record_) return;
    unresolved_ = true;
    if (!first_unresolved_) first_unresolved_ = offset;
    scratch_.assign(kUnresolvedName);
    AddNamed(scratch_, kUnknown, offset);
  }
  // EXT1/EXT2/EXT4: an import through copyreg's extension registry, named
  // by a number the file does not resolve. torch.save never writes one.
  void AddExtension(uint64_t code, uint64_t offset) {
    if (!record_) return;
    extension_ = true;
    scratch_.clear();
    StrAppend(scratch_, "<copyreg extension ", code, ">");
    AddNamed(scratch_, kDisallowed, offset);
  }

  void Merge(const ImportList& other) {
    if (!record_) return;
    for (const std::string& full : other.names_) Track(full);
    for (const std::string& full : other.disallowed_) RememberDisallowed(full);
    saturated_ = saturated_ || other.saturated_;
    disallowed_saturated_ = disallowed_saturated_ || other.disallowed_saturated_;
    any_disallowed_ = any_disallowed_ || other.any_disallowed_;
    unresolved_ = unresolved_ || other.unresolved_;
    extension_ = extension_ || other.extension_;
    first_disallowed_ = Earliest(first_disallowed_, other.first_disallowed_);
    first_unresolved_ = Earliest(first_unresolved_, other.first_unresolved_);
    count_ += other.count_;
  }

  bool empty() const { return count_ == 0; }
  // Some import is known not to be allowlisted (an EXT import counts).
  bool any_disallowed() const { return any_disallowed_; }
  std::optional<uint64_t> first_disallowed_offset() const { return first_disallowed_; }
  // Some STACK_GLOBAL could not be resolved.
  bool unresolved() const { return unresolved_; }
  std::optional<uint64_t> first_unresolved_offset() const { return first_unresolved_; }
  bool extension() const { return extension_; }

  // "imports a, b and 2 more" / "no imports".
  std::string Describe() const {
    if (names_.empty()) return "no imports";
    return StrCat("imports ", DescribeNames(names_, saturated_));
  }
  // The disallowed ones: "posix.system, builtins.eval and 1 more".
  std::string DescribeDisallowed() const {
    return DescribeNames(disallowed_, disallowed_saturated_);
  }

 private:
  static constexpr std::string_view kUnresolvedName = "<computed>.<computed>";
  enum Grade : uint8_t { kAllowed, kDisallowed, kUnknown };

  static std::optional<uint64_t> Earliest(std::optional<uint64_t> a, std::optional<uint64_t> b) {
    if (!a) return b;
    if (!b) return a;
    return std::min(*a, *b);
  }

  static std::string DescribeNames(const std::vector<std::string>& names, bool saturated) {
    if (!saturated) return JoinCapped(names, kListed);
    // Past kTracked names the count is a lower bound.
    const std::vector<std::string> listed(
        names.begin(), names.begin() + static_cast<ptrdiff_t>(std::min(kListed, names.size())));
    return StrCat(JoinCapped(listed, kListed), " and at least ", names.size() - listed.size(),
                  " more");
  }

  void AddNamed(const std::string& full, Grade grade, uint64_t offset) {
    ++count_;
    if (grade == kDisallowed) {
      any_disallowed_ = true;
      if (!first_disallowed_) first_disallowed_ = offset;
      RememberDisallowed(full);
    }
    Track(full);
  }

  void Track(const std::string& full) {
    if (seen_.count(full) != 0) return;
    if (names_.size() == kTracked) {
      saturated_ = true;
      return;
    }
    seen_.insert(full);
    names_.push_back(full);
  }

  void RememberDisallowed(const std::string& full) {
    if (disallowed_seen_.count(full) != 0) return;
    if (disallowed_.size() == kTracked) {
      disallowed_saturated_ = true;
      return;
    }
    disallowed_seen_.insert(full);
    disallowed_.push_back(full);
  }

  bool record_;
  Allowlist allowlist_;
  std::vector<std::string> names_;
  std::unordered_set<std::string> seen_;
  bool saturated_ = false;
  std::vector<std::string> disallowed_;
  std::unordered_set<std::string> disallowed_seen_;
  bool disallowed_saturated_ = false;
  bool any_disallowed_ = false;
  std::optional<uint64_t> first_disallowed_;
  bool unresolved_ = false;
  std::optional<uint64_t> first_unresolved_;
  bool extension_ = false;
  uint64_t count_ = 0;
  std::string scratch_;  // the name being added
};

}  // namespace stguard::internal

#endif  // STGUARD_SRC_PICKLE_WALK_IMPORTS_H_
