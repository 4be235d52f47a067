// Helpers shared by the fuzz targets: the built-in policies, report
// comparison, the invariants every report must satisfy, and the canonical
// re-serialization of a tensor table. Any broken invariant calls Fail(),
// which prints the reason and aborts, so libFuzzer/AFL++ record a crash.
#ifndef STGUARD_FUZZ_FUZZ_COMMON_H_
#define STGUARD_FUZZ_FUZZ_COMMON_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "stguard/policy.h"
#include "stguard/report.h"
#include "stguard/validate.h"

namespace stguard_fuzz {

// Prints "stguard fuzz invariant broken: <what>" to stderr and aborts.
[[noreturn]] void Fail(const std::string& what);

// The three built-ins, loaded once, ordered from laxest to strictest.
const stguard::Policy& BuiltinByIndex(int index);  // 0 compat, 1 default, 2 strict
inline constexpr int kBuiltinCount = 3;

bool IsKnownCode(stguard::Code code);

// Empty when equal; otherwise says what differs. `compare_tensors` false
// ignores Report::tensors (for a run without collect_tensors).
std::string DiffReports(const stguard::Report& a, const stguard::Report& b, bool compare_tensors);

// Every finding has a known code, an offset inside the file (0 for an
// empty file) and a message and tensor name in valid UTF-8; an accepted
// report has no error finding.
void CheckFindings(const stguard::Report& report, const char* what);

// For an accepted report validated with collect_tensors: the tensors have
// distinct names (the reference keeps one entry per name), lie in the data
// section, do not overlap and tile it exactly from 0 to its size.
void CheckAcceptedLayout(const stguard::Report& report, const char* what);

// The checks every report of an input of `size` bytes validated with
// collect_tensors must pass: its file_size is `size`, then CheckFindings and
// CheckAcceptedLayout.
void CheckReport(const stguard::Report& report, size_t size, const char* what);

// The work oracle (validator/src/work_counter.h): the validator's counted
// steps for one input, from StartWork() to CheckWork(), stay within
// kWorkFactor x (size + 64) x log2(size + 64). A quadratic path passes that
// bound within a few kilobytes of input. kWorkFactor was set from the
// worst ratio measured over every seed, regression and hostile family
// (fuzz/README.md, "Work oracle"). Does nothing in builds that do not count.
inline constexpr uint64_t kWorkFactor = 2;
void StartWork();
void CheckWork(size_t size, const char* what);
// The bound CheckWork applies, and the steps counted so far.
uint64_t WorkBound(size_t size);
uint64_t WorkSoFar();

// Each finding's severity is the one the policy gives its code, read from
// an independent table of the knobs: error for a code no knob governs and
// for a limit, the action's severity for an action knob, and no finding at
// all for a knob set to ignore (901 findings-truncated aside).
void CheckSeverities(const stguard::Report& report, const stguard::Policy& policy,
                     const char* what);

// For a report validated with collect_tensors, each tensor's size is its
// shape's element count times its dtype's width, recomputed here in 128-bit
// arithmetic from an independent dtype table. Accepted: every range is its
// tensor's size. Accepted or not: a 602 size-mismatch finding names exactly
// the tensors (short names) whose range is not their size.
void CheckTensorSizes(const stguard::Report& report, const char* what);

// For an accepted report validated with collect_tensors: the header, read
// again by another parser (simdjson's DOM; required to parse when the
// policy rejects unknown fields, skipped otherwise when it does not), is
// the reference's schema as the policy narrows it: __metadata__ once, an
// object of strings (or null unless metadata_null rejects); every other
// member an object with "dtype", "shape" (u64s) and "data_offsets" (two
// u64s) once each (unknown fields unless rejected), or the array form
// unless rejected; a dtype name or {"NAME": null} unless that form is
// rejected; keys repeated only where the policy does not reject it; names,
// keys and values within the policy's character rules (when rejected) and
// limits; the text around the value (leading whitespace, padding, N % 8)
// and outside strings (only digits, when unknown fields, null metadata and
// the dtype object form are all rejected) as the policy requires; and the
// report's tensors exactly the last member of each name.
void CheckAcceptedHeader(const stguard::Report& report, std::span<const uint8_t> file,
                         const stguard::Policy& policy, const char* what);

// What the bytes say before any JSON is read, checked against the report:
// the framing findings the prefix implies (101, 102, 103, 701 and
// header_bytes), then on the header's text the first invalid UTF-8 byte
// (201, at that byte: an independent UTF-8 decoder), a byte order mark
// (202) and leading whitespace (203), each as the policy acts on it; a 206
// only for a header nested deeper than max_json_depth, and one for JSON
// (as simdjson's DOM reads it) nested deeper; a JSON grammar finding (204,
// 207, 209) exactly when simdjson's DOM refuses the text for its grammar
// (number and depth errors aside, where serde decides); 205 exactly when
// the padding holds whitespace other than spaces; each 402 at a literal past
// 2^64 - 1; no layout finding when an entry could not be read (the table is
// incomplete).
void CheckStages(const stguard::Report& report, std::span<const uint8_t> file,
                 const stguard::Policy& policy, const char* what);

// For a report of a deep scan of `file`: the file's and each tensor's
// SHA-256 recomputed (OpenSSL's one-shot SHA256), each tensor's NaN, Inf
// and bad BOOL counts recomputed from the formats' definitions (an
// independent table of encodings), tensors scanned only when no layout
// finding says they do not tile the data section, and each content
// finding (608, 609) at a value of its kind inside its tensor.
void CheckContent(const stguard::Report& report, std::span<const uint8_t> file,
                  const char* what);

// The action an action knob holds, by the knob's name (an independent
// table of the Policy members), or nullopt for a name that is no action knob.
std::optional<stguard::Action> ActionOfKnob(const stguard::Policy& policy, std::string_view knob);

// JSON string literal (with quotes) for decoded text: escapes '"', '\\' and
// control characters below 0x20; other bytes are copied.
void AppendJsonString(std::string& out, std::string_view text);

// Canonical header for a tensor table: {"name":{"dtype":"F32","shape":[..],
// "data_offsets":[b,e]},...} in table order, space-padded to a multiple of 8.
std::string CanonicalHeader(const std::vector<stguard::TensorRecord>& tensors);

// 8-byte little-endian prefix + header + data.
std::vector<uint8_t> Frame(std::string_view header, std::span<const uint8_t> data);

uint64_t ReadLe64(const uint8_t* p);
void WriteLe64(uint8_t* p, uint64_t value);

// Reads a structured input from the front, byte by byte; past the end every
// read gives zeros (and empty strings), so any byte string decodes and a
// prefix of an input decodes to a prefix of its structure.
class InputReader {
 public:
  explicit InputReader(std::span<const uint8_t> bytes) : bytes_(bytes) {}
  bool empty() const { return at_ >= bytes_.size(); }
  size_t remaining() const { return empty() ? 0 : bytes_.size() - at_; }
  uint8_t Byte() { return empty() ? 0 : bytes_[at_++]; }
  // One of `count` choices (count > 0).
  size_t Pick(size_t count) { return Byte() % count; }
  // Up to `max` bytes: a length byte, then that many bytes (fewer at the end).
  std::string_view Bytes(size_t max) {
    const size_t wanted = std::min<size_t>(Byte(), max);
    const size_t n = std::min(wanted, remaining());
    const std::string_view out(reinterpret_cast<const char*>(bytes_.data()) + at_, n);
    at_ += n;
    return out;
  }

 private:
  std::span<const uint8_t> bytes_;
  size_t at_ = 0;
};

}  // namespace stguard_fuzz

#endif  // STGUARD_FUZZ_FUZZ_COMMON_H_
