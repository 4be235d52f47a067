// fuzz_pickle: pickle identification and grading. The input is a file's
// bytes, judged by JudgeModelFile (validator/src/model_file.h: pickles
// found in raw files, torch.save archives, legacy checkpoints and NumPy
// files, graded 106 / 107 / 108; other formats 109) both as named like a
// model file and not, and named by IdentifyForeignFormat.
//
// Oracles (abort through Fail):
//   - no crash, and every read the judge asks for lies inside the file (the
//     source counts and checks each one; a file read through ReadAt and the
//     same bytes in memory give the same judgment);
//   - grading is deterministic and a model-file name only adds: named, a
//     file is never "not a model"; not named, whatever is found is what the
//     named judgment found; strict differs from default only in the
//     severity of 107 and 109;
//   - a "safe checkpoint" (kind pickle, one finding, 107) imports nothing
//     outside the allowlist: an independent scan (a tokenizer that knows
//     each opcode's argument and nothing of the stack) of the pickles from
//     byte 0 the grader must have walked to STOP (the first; a legacy
//     file's five) finds no GLOBAL / INST outside IsTensorRebuildGlobal and
//     no EXT opcode (and a file that is neither ZIP nor NumPy scans to a
//     STOP at all);
//   - in such a file, no pickle after the first (where the walker says it
//     ends) has unsafe imports on its own (106): a reader that loads again
//     runs it;
//   - a prefix of such a pickle that stops before its STOP (just before it,
//     and at a length the input picks) is never graded safe;
//   - IdentifyForeignFormat: deterministic, detail printable ASCII within
//     kMaxForeignDetailBytes, for the file and for a window of a longer one.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "byte_source.h"
#include "checked_math.h"
#include "finding_sink.h"
#include "format_identify.h"
#include "fuzz_common.h"
#include "model_file.h"
#include "pickle_walk.h"
#include "stguard/codes.h"

namespace {

using stguard::Code;
using stguard::Finding;
using stguard::Severity;
using stguard::internal::ModelFileKind;
using stguard_fuzz::Fail;

// A file's bytes that checks every read: in memory (Data(), as a buffer
// is) or only through ReadAt (as a file is).
class CheckedSource final : public stguard::internal::ByteSource {
 public:
  CheckedSource(std::span<const uint8_t> bytes, bool in_memory)
      : bytes_(bytes), in_memory_(in_memory) {}
  uint64_t size() const override { return bytes_.size(); }
  bool ReadAt(uint64_t offset, uint64_t length, char* out) override {
    const std::optional<uint64_t> end = stguard::internal::CheckedAdd(offset, length);
    if (!end || *end > bytes_.size()) {
      Fail("read of " + std::to_string(length) + " bytes at " + std::to_string(offset) +
           " outside a file of " + std::to_string(bytes_.size()));
    }
    read_ += length;
    if (length > 0) std::memcpy(out, bytes_.data() + offset, length);
    return true;
  }
  const char* Data() const override {
    return in_memory_ ? reinterpret_cast<const char*>(bytes_.data()) : nullptr;
  }
  uint64_t bytes_read() const { return read_; }

 private:
  std::span<const uint8_t> bytes_;
  bool in_memory_;
  uint64_t read_ = 0;
};

struct Judgment {
  ModelFileKind kind = ModelFileKind::kNotModel;
  std::vector<Finding> findings;
};

Judgment Judge(std::span<const uint8_t> bytes, int policy, bool named, bool in_memory) {
  CheckedSource source(bytes, in_memory);
  stguard::internal::FindingSink sink(32, bytes.size());
  Judgment j;
  if (!stguard::internal::JudgeModelFile(source, stguard_fuzz::BuiltinByIndex(policy), named, sink,
                                         j.kind)) {
    Fail("an in-memory file gave an I/O error");
  }
  j.findings = sink.Finish();
  // Generous: the judge may read every pickle of a ZIP's entries, all
  // pointing at the same bytes, up to its per-file budget, and re-read
  // STACK_GLOBAL's strings; never what a number in the file says.
  constexpr uint64_t kMaxRead = 2 * stguard::internal::kMaxPickleBytesPerFile +
                                stguard::internal::kMaxCentralDirectoryBytes;
  if (source.bytes_read() > kMaxRead) {
    Fail("read " + std::to_string(source.bytes_read()) + " bytes of a file of " +
         std::to_string(bytes.size()));
  }
  for (const Finding& f : j.findings) {
    if (!stguard_fuzz::IsKnownCode(f.code)) Fail("unknown code in a model-file judgment");
    if (bytes.empty() ? f.offset != 0 : f.offset >= bytes.size()) {
      Fail("finding " + std::to_string(static_cast<unsigned>(f.code)) + " at offset " +
           std::to_string(f.offset) + " outside the file");
    }
  }
  return j;
}

std::string Describe(const Judgment& j) {
  std::string s = "kind " + std::to_string(static_cast<int>(j.kind));
  for (const Finding& f : j.findings) {
    s += "\n  " + std::to_string(static_cast<unsigned>(f.code)) + "/" +
         std::to_string(static_cast<unsigned>(f.severity)) + "@" + std::to_string(f.offset) +
         " " + f.message;
  }
  return s;
}

// Equal but for the severity of the codes a policy governs (107, 109).
bool SameBut107And109(const Judgment& a, const Judgment& b) {
  if (a.kind != b.kind || a.findings.size() != b.findings.size()) return false;
  for (size_t i = 0; i < a.findings.size(); ++i) {
    const Finding& x = a.findings[i];
    const Finding& y = b.findings[i];
    const bool governed = x.code == Code::kPickleCheckpoint || x.code == Code::kOtherWeightFormat;
    if (x.code != y.code || x.offset != y.offset || x.message != y.message ||
        (!governed && x.severity != y.severity)) {
      return false;
    }
  }
  return true;
}

bool GradedSafe(const Judgment& j) {
  return j.kind == ModelFileKind::kPickle && j.findings.size() == 1 &&
         j.findings[0].code == Code::kPickleCheckpoint;
}

// ---------------------------------------------------------------------------
// The independent scan: each opcode's argument (pickletools' table, written
// out again), nothing else; the text imports it passes collected.

enum class Arg : uint8_t { kBad, kNone, kFixed, kLen, kLine, kTwoLines };

struct ArgForm {
  Arg arg = Arg::kBad;
  uint8_t width = 0;  // kFixed: the bytes; kLen: the length's bytes
  bool signed_length = false;
};

ArgForm FormOf(uint8_t op) {
  switch (op) {
    case 'J': case 'j': case 'r': case 0x84: return {Arg::kFixed, 4};
    case 'K': case 'h': case 'q': case 0x82: case 0x80: return {Arg::kFixed, 1};
    case 'M': case 0x83: return {Arg::kFixed, 2};
    case 'G': case 0x95: return {Arg::kFixed, 8};
    case 0x8a: case 'U': case 'C': case 0x8c: return {Arg::kLen, 1};
    case 'X': case 'B': return {Arg::kLen, 4};
    case 'T': case 0x8b: return {Arg::kLen, 4, true};
    case 0x8e: case 0x8d: case 0x96: return {Arg::kLen, 8};
    case 'I': case 'L': case 'F': case 'S': case 'V': case 'P': case 'g': case 'p':
      return {Arg::kLine};
    case 'c': case 'i': return {Arg::kTwoLines};
    case 'N': case 0x88: case 0x89: case ']': case 'a': case 'e': case 'l': case ')': case 't':
    case 0x85: case 0x86: case 0x87: case '}': case 'd': case 's': case 'u': case 0x8f:
    case 0x90: case 0x91: case '0': case '2': case '(': case '1': case 0x94: case 0x93:
    case 'R': case 'b': case 'o': case 0x81: case 0x92: case '.': case 0x97: case 0x98:
    case 'Q':
      return {Arg::kNone};
    default:
      return {};
  }
}

struct Scanned {
  bool stopped = false;  // reached STOP
  size_t end = 0;        // just past STOP
  std::vector<std::pair<std::string, std::string>> imports;  // GLOBAL / INST
  bool extension = false;                                    // EXT1 / EXT2 / EXT4
};

// A module or attribute name as GLOBAL / INST spell it: identifier
// characters (UTF-8 bytes among them) and dots; an unpickler given anything
// else fails to import it (the walker's rule too, by the Python grammar).
bool Importable(std::string_view name) {
  if (name.empty()) return false;
  for (const char ch : name) {
    const auto c = static_cast<uint8_t>(ch);
    const bool ok = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                    c == '_' || c == '.' || c >= 0x80;
    if (!ok) return false;
  }
  return true;
}

Scanned ScanPickle(std::string_view bytes, size_t at) {
  Scanned s;
  const auto line = [&](std::string& out) {
    const size_t newline = bytes.find('\n', at);
    if (newline == std::string_view::npos) return false;
    out = std::string(bytes.substr(at, newline - at));
    at = newline + 1;
    return true;
  };
  while (at < bytes.size()) {
    const auto op = static_cast<uint8_t>(bytes[at++]);
    const ArgForm form = FormOf(op);
    std::string first, second;
    switch (form.arg) {
      case Arg::kBad:
        return s;
      case Arg::kNone:
        break;
      case Arg::kFixed:
        if (bytes.size() - at < form.width) return s;
        at += form.width;
        break;
      case Arg::kLen: {
        if (bytes.size() - at < form.width) return s;
        uint64_t length = 0;
        for (size_t i = 0; i < form.width; ++i) {
          length |= uint64_t{static_cast<uint8_t>(bytes[at + i])} << (8 * i);
        }
        at += form.width;
        if (form.signed_length && length >= (uint64_t{1} << 31)) return s;
        if (length > bytes.size() - at) return s;
        at += static_cast<size_t>(length);
        break;
      }
      case Arg::kLine:
        if (!line(first)) return s;
        break;
      case Arg::kTwoLines:
        // A name no import can find stops an unpickler before it imports.
        if (!line(first) || !line(second) || !Importable(first) || !Importable(second)) return s;
        s.imports.emplace_back(first, second);
        break;
    }
    if (op == 0x82 || op == 0x83 || op == 0x84) s.extension = true;
    if (op == '.') {
      s.stopped = true;
      s.end = at;
      return s;
    }
  }
  return s;
}

bool StartsWith(std::string_view bytes, std::string_view prefix) {
  return bytes.substr(0, prefix.size()) == prefix;
}

// The pickles from byte 0 that a file graded safe must have had walked to
// their STOP, each scanned: the first, and in a legacy torch.save file the
// five it holds. (Whether a chained pickle is one the grader decides on
// its content, argument text included, which this scan does not check:
// those are held to the grading each gets alone, below.) None for the
// containers that hold pickles elsewhere (ZIP, NumPy).
std::vector<Scanned> GradedPickles(std::string_view bytes) {
  std::vector<Scanned> out;
  if (StartsWith(bytes, "PK\x03\x04") || StartsWith(bytes, "\x93NUMPY")) return out;
  const size_t most = StartsWith(bytes, stguard::internal::kTorchLegacyMagic) ? 5 : 1;
  size_t at = 0;
  while (out.size() < most && at < bytes.size()) {
    Scanned s = ScanPickle(bytes, at);
    if (!s.stopped) break;
    at = s.end;
    out.push_back(std::move(s));
  }
  return out;
}

// Where each pickle back to back from byte 0 ends, as the walker (the
// code under test, here only as a ruler) reads them: the ones an unpickler
// gets through, up to a bound.
std::vector<std::pair<size_t, size_t>> WalkedPickles(std::span<const uint8_t> bytes) {
  std::vector<std::pair<size_t, size_t>> out;
  stguard::internal::MemorySource source(bytes);
  uint64_t at = 0;
  while (at < bytes.size() && out.size() < 64) {
    stguard::internal::StreamReader in(source, at, bytes.size(), bytes.size());
    stguard::internal::ImportList probe(false);
    const stguard::internal::PickleWalk walk = stguard::internal::WalkPickle(in, probe);
    if (walk.end != stguard::internal::PickleEnd::kStop) break;
    out.emplace_back(static_cast<size_t>(at), static_cast<size_t>(walk.end_offset));
    at = walk.end_offset;
  }
  return out;
}

void CheckSafe(std::span<const uint8_t> bytes, const Judgment& graded,
               stguard_fuzz::InputReader& picks) {
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  const std::vector<Scanned> pickles = GradedPickles(text);
  if (pickles.empty() && !StartsWith(text, "PK\x03\x04") && !StartsWith(text, "\x93NUMPY")) {
    Fail("graded safe, but the bytes from 0 do not scan to a STOP:\n" + Describe(graded));
  }
  for (size_t i = 0; i < pickles.size(); ++i) {
    if (pickles[i].extension) {
      Fail("graded safe, but pickle " + std::to_string(i + 1) + " has an EXT import:\n" +
           Describe(graded));
    }
    for (const auto& [module, name] : pickles[i].imports) {
      if (!stguard::internal::IsTensorRebuildGlobal(module, name)) {
        Fail("graded safe, but pickle " + std::to_string(i + 1) + " imports " + module + "." +
             name + ":\n" + Describe(graded));
      }
    }
  }
  // A reader that loads again runs each pickle that follows (the walker
  // says where each ends): one whose imports are unsafe on its own (106;
  // not 108, which may come of the context: alone, the legacy magic number
  // asks for four more pickles) makes the file unsafe.
  if (!pickles.empty()) {
    const bool legacy = StartsWith(text, stguard::internal::kTorchLegacyMagic);
    const std::vector<std::pair<size_t, size_t>> walked = WalkedPickles(bytes);
    for (size_t i = 1; i < walked.size() && (!legacy || i < 5); ++i) {
      const auto [begin, end] = walked[i];
      const std::vector<uint8_t> alone(bytes.begin() + static_cast<long>(begin),
                                       bytes.begin() + static_cast<long>(end));
      const Judgment j = Judge(alone, 1, false, true);
      if (j.kind == ModelFileKind::kPickle && !j.findings.empty() &&
          j.findings[0].code == Code::kPickleUnsafeImport) {
        Fail("graded safe, but pickle " + std::to_string(i + 1) + " (bytes " +
             std::to_string(begin) + "-" + std::to_string(end) + ") alone is not:\n" +
             Describe(j) + "\n---\n" + Describe(graded));
      }
    }
  }
  // Prefixes of the first pickle, cut before its STOP.
  if (pickles.empty()) return;
  const size_t stop = pickles[0].end - 1;
  const size_t cuts[2] = {stop, stop == 0 ? 0 : picks.Byte() * (stop - 1) / 255};
  for (const size_t cut : cuts) {
    const std::vector<uint8_t> prefix(bytes.begin(), bytes.begin() + static_cast<long>(cut));
    const Judgment j = Judge(prefix, 1, true, true);
    if (GradedSafe(j)) {
      Fail("a pickle cut at byte " + std::to_string(cut) + ", before its STOP at " +
           std::to_string(stop) + ", is graded safe:\n" + Describe(j));
    }
  }
}

void CheckIdentify(std::span<const uint8_t> bytes, uint64_t file_size) {
  const std::optional<stguard::internal::ForeignFormat> a =
      stguard::internal::IdentifyForeignFormat(bytes, file_size);
  const std::optional<stguard::internal::ForeignFormat> b =
      stguard::internal::IdentifyForeignFormat(bytes, file_size);
  if (a.has_value() != b.has_value()) Fail("IdentifyForeignFormat is not deterministic");
  if (!a) {
    if (stguard::internal::IdentifyForeignFormat(bytes, file_size,
                                                 stguard::internal::ForeignDetail::kNameOnly)) {
      Fail("IdentifyForeignFormat names a format only when asked for the name only");
    }
    return;
  }
  if (a->family != b->family || a->name != b->name || a->detail != b->detail ||
      a->runs_code_on_load != b->runs_code_on_load) {
    Fail("IdentifyForeignFormat is not deterministic");
  }
  if (a->name.empty() || a->detail.size() > stguard::internal::kMaxForeignDetailBytes) {
    Fail("IdentifyForeignFormat: empty name or detail over its cap");
  }
  for (const char c : a->detail) {
    if (c < 0x20 || c > 0x7e) Fail("IdentifyForeignFormat: detail not printable ASCII");
  }
  // Asked for the name only (one walk, no imports named), it names the same.
  const std::optional<stguard::internal::ForeignFormat> named_only =
      stguard::internal::IdentifyForeignFormat(bytes, file_size,
                                               stguard::internal::ForeignDetail::kNameOnly);
  if (!named_only || named_only->family != a->family || named_only->name != a->name ||
      named_only->runs_code_on_load != a->runs_code_on_load) {
    Fail("IdentifyForeignFormat names another format when asked for the name only");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> bytes(data, size);
  const Judgment named = Judge(bytes, 1, true, false);
  const Judgment in_memory = Judge(bytes, 1, true, true);
  if (Describe(named) != Describe(in_memory)) {
    Fail("read through ReadAt and in memory differ:\n" + Describe(named) + "\n---\n" +
         Describe(in_memory));
  }
  if (named.kind == ModelFileKind::kNotModel) Fail("named as a model file, judged not a model");
  const Judgment unnamed = Judge(bytes, 1, false, false);
  if (unnamed.kind != ModelFileKind::kNotModel && Describe(unnamed) != Describe(named)) {
    Fail("a model-file name changed what was found:\n" + Describe(unnamed) + "\n---\n" +
         Describe(named));
  }
  const Judgment strict = Judge(bytes, 2, true, false);
  if (!SameBut107And109(named, strict)) {
    Fail("strict differs from default:\n" + Describe(named) + "\n---\n" + Describe(strict));
  }
  // The input's last byte picks a cut (it is also part of the file).
  stguard_fuzz::InputReader picks(bytes.subspan(size == 0 ? 0 : size - 1));
  if (GradedSafe(named)) CheckSafe(bytes, named, picks);

  const size_t window = std::min<size_t>(size, stguard::internal::kIdentifyWindowBytes);
  CheckIdentify(bytes.first(window), size);
  CheckIdentify(bytes.first(window), uint64_t{size} + 1 + (size == 0 ? 0 : data[0]) * 4096u);
  return 0;
}
