// Property tests (RapidCheck + GoogleTest). Generators and the reference
// model are in st_gen.h and st_model.h. ctest runs them with a fixed seed
// (RC_PARAMS, see CMakeLists.txt); tests/property/run-long runs many more.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "st_gen.h"
#include "st_model.h"
#include "stguard/validate.h"

namespace stguard::prop {
namespace {

#define PROP_CHECK(cond, msg)                        \
  do {                                               \
    if (!(cond)) {                                   \
      std::ostringstream prop_check_out;             \
      prop_check_out << msg;                         \
      RC_FAIL(prop_check_out.str());                 \
    }                                                \
  } while (0)

Report Check(const std::vector<uint8_t>& bytes, const Policy& p, bool collect = false) {
  ValidateOptions options;
  options.collect_tensors = collect;
  return ValidateBuffer(bytes, p, options);
}

std::string Printable(const std::vector<uint8_t>& bytes, size_t max = 600) {
  std::string out;
  for (size_t i = 0; i < bytes.size() && i < max; ++i) {
    const unsigned char c = bytes[i];
    if (c >= 0x20 && c < 0x7F && c != '\\') {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  if (bytes.size() > max) out += "...(" + std::to_string(bytes.size()) + " bytes)";
  return out;
}

std::string Describe(const Report& r) {
  std::string out = std::string(VerdictName(r.verdict)) + " [";
  for (const Finding& f : r.findings) {
    out += " " + std::to_string(static_cast<int>(f.code)) + "/" +
           std::string(SeverityName(f.severity)) + "@" + std::to_string(f.offset);
  }
  return out + " ]";
}

std::set<Code> CodesWith(const Report& r, Severity s) {
  std::set<Code> out;
  for (const Finding& f : r.findings) {
    if (f.severity == s) out.insert(f.code);
  }
  return out;
}

bool HasAny(const Report& r, const std::vector<Code>& codes, Severity s) {
  for (const Finding& f : r.findings) {
    if (f.severity != s) continue;
    for (Code c : codes) {
      if (f.code == c) return true;
    }
  }
  return false;
}

bool Mentions(const Report& r, const std::vector<Code>& codes) {
  return HasAny(r, codes, Severity::kError) || HasAny(r, codes, Severity::kWarning) ||
         HasAny(r, codes, Severity::kInfo);
}

// Any generated case: valid, one fault, scrambled layout, or random bytes.
struct Case {
  std::string label;
  GFile file;
  Edits edits;
  std::vector<uint8_t> bytes;
  std::vector<Policy> policies;
  bool modelled = true;  // false for random byte mutations
};

rc::Gen<Case> GenCase(bool random_bytes) {
  return rc::gen::exec([random_bytes] {
    Case c;
    c.policies = Builtins();
    const int kind = Pick(0, random_bytes ? 4 : 3);
    if (kind == 0) {
      c.label = "valid";
      c.file = *GenValidFile(*rc::gen::arbitrary<bool>());
    } else if (kind == 1 || kind == 3) {
      Fault fault = *GenFault(*GenValidFile(true));
      c.label = "fault " + fault.label;
      c.file = fault.file;
      c.edits = fault.edits;
      c.policies = fault.policies;
    } else {
      c.label = "scrambled";
      c.file = *GenScrambled();
    }
    c.bytes = Render(c.file, c.edits);
    if (kind == 3) {
      c.label += " + random bytes";
      c.modelled = false;
      const size_t changes = *rc::gen::inRange<size_t>(1, 4);
      for (size_t i = 0; i < changes; ++i) {
        const size_t at = *rc::gen::inRange<size_t>(0, c.bytes.size() + 1);
        const uint8_t value = *rc::gen::arbitrary<uint8_t>();
        switch (*rc::gen::inRange(0, 4)) {
          case 0:
            if (at < c.bytes.size()) c.bytes[at] = value;
            break;
          case 1:
            c.bytes.insert(c.bytes.begin() + static_cast<long>(at), value);
            break;
          case 2:
            if (at < c.bytes.size()) c.bytes.erase(c.bytes.begin() + static_cast<long>(at));
            break;
          default:
            c.bytes.resize(at);
            break;
        }
      }
    }
    return c;
  });
}

// 1. Every generated valid file is accepted by compat and default, and by
// strict when aligned.
RC_GTEST_PROP(StguardProperty, ValidFilesAreAccepted, ()) {
  const bool aligned = *rc::gen::arbitrary<bool>();
  const GFile f = *GenValidFile(aligned);
  const std::vector<uint8_t> bytes = Render(f);
  const Report compat = Check(bytes, *BuiltinPolicy("compat"));
  PROP_CHECK(compat.verdict == Verdict::kAccept && compat.findings.empty(),
             "compat: " << Describe(compat) << "\n" << Printable(bytes));
  const Report standard = Check(bytes, *BuiltinPolicy("default"));
  PROP_CHECK(standard.verdict == Verdict::kAccept,
             "default: " << Describe(standard) << "\n" << Printable(bytes));
  for (const Finding& finding : standard.findings) {
    PROP_CHECK(finding.code == Code::kHeaderLengthUnaligned ||
                   finding.code == Code::kTensorOffsetUnaligned,
               "default: " << Describe(standard) << "\n" << Printable(bytes));
  }
  const Report strict = Check(bytes, *BuiltinPolicy("strict"));
  if (aligned || IsAligned(f, bytes)) {
    PROP_CHECK(strict.verdict == Verdict::kAccept && strict.findings.empty(),
               "strict: " << Describe(strict) << "\n" << Printable(bytes));
  } else {
    PROP_CHECK(strict.verdict == Verdict::kReject,
               "strict accepts unaligned: " << Describe(strict) << "\n" << Printable(bytes));
    for (const Finding& finding : strict.findings) {
      PROP_CHECK(finding.code == Code::kHeaderLengthUnaligned ||
                     finding.code == Code::kTensorOffsetUnaligned,
                 "strict: " << Describe(strict) << "\n" << Printable(bytes));
    }
  }
  RC_TAG(aligned, f.tensors.size() > 1000 ? "bulk" : f.tensors.size() < 3 ? "few tensors" : "more tensors");
}

// 2. Every single-fault mutation is rejected, with its expected code, by each
// policy that enables the rule, and accepted by those that do not (with a
// warning when the policy warns).
void CheckFault(const Fault& fault) {
  const std::vector<uint8_t> bytes = Render(fault.file, fault.edits);
  for (const Policy& p : fault.policies) {
    const Expect e = fault.expect(p);
    const Report r = Check(bytes, p);
    const std::string where = fault.label + " under " + p.name + " (action " +
                              std::string(ActionName(e.action)) + ", code " +
                              std::to_string(static_cast<int>(e.codes[0])) + "): " +
                              Describe(r) + "\n" + Printable(bytes);
    switch (e.action) {
      case Action::kReject: {
        PROP_CHECK(r.verdict == Verdict::kReject && HasAny(r, e.codes, Severity::kError), where);
        if (fault.exact) {
          for (Code code : CodesWith(r, Severity::kError)) {
            PROP_CHECK(code == Code::kHeaderLengthUnaligned ||
                           std::find(e.codes.begin(), e.codes.end(), code) != e.codes.end() ||
                           std::find(fault.also.begin(), fault.also.end(), code) !=
                               fault.also.end(),
                       "other error " << static_cast<int>(code) << ": " << where);
          }
        }
        // Invalid UTF-8 is reported where the first bad sequence starts.
        if (e.codes[0] == Code::kHeaderInvalidUtf8 && fault.label == "bad-utf8") {
          const std::string header(bytes.begin() + 8,
                                   bytes.begin() + 8 + static_cast<long>(HeaderOf(bytes)));
          size_t bad = 0;
          uint32_t cp;
          while (bad < header.size() && DecodeUtf8(header, bad, cp) != 0) {
            bad += DecodeUtf8(header, bad, cp);
          }
          for (const Finding& f : r.findings) {
            if (f.code == Code::kHeaderInvalidUtf8) {
              PROP_CHECK(f.offset == 8 + bad, "utf-8 offset " << f.offset << " expected "
                                                              << 8 + bad << ": " << where);
            }
          }
        }
        break;
      }
      case Action::kWarn:
        PROP_CHECK(r.verdict == Verdict::kAccept && HasAny(r, e.codes, Severity::kWarning),
                   where);
        break;
      case Action::kIgnore:
        PROP_CHECK(r.verdict == Verdict::kAccept && !Mentions(r, e.codes), where);
        break;
    }
  }
}

RC_GTEST_PROP(StguardProperty, SingleFaultsAreDetected, ()) {
  const Fault fault = *GenFault(*GenValidFile(true));
  RC_CLASSIFY(true, fault.label);
  CheckFault(fault);
}

// 3. The verdict (and the codes found) do not depend on JSON key order or
// insignificant whitespace.
RC_GTEST_PROP(StguardProperty, VerdictIgnoresKeyOrderAndWhitespace, ()) {
  Case c = *GenCase(false);
  RC_PRE(!c.edits.length_override && !c.edits.truncate_to);
  GFile a = c.file;
  a.align_header = true;
  GFile b = a;
  // Key order matters only between entries of the same name (the last one
  // wins): keep the member order when same-named entries differ.
  bool conflicting = false;
  std::map<std::string, const GTensor*> by_name;
  for (const GTensor& x : a.tensors) {
    auto [it, fresh] = by_name.emplace(x.name, &x);
    const GTensor& y = *it->second;
    conflicting |= !fresh && (x.dtype != y.dtype || x.shape != y.shape ||
                              x.begin != y.begin || x.end != y.end);
  }
  if (!conflicting) b.order = Shuffle(b.order);
  for (GTensor& t : b.tensors) {
    t.field_order = *rc::gen::element(std::array<int, 3>{0, 1, 2}, std::array<int, 3>{2, 1, 0},
                                      std::array<int, 3>{1, 0, 2}, std::array<int, 3>{1, 2, 0});
  }
  b.ws = *GenWsPool();
  b.esc = *rc::gen::container<std::vector<uint8_t>>(rc::gen::inRange<uint8_t>(0, 2));
  b.extra_pad = *rc::gen::inRange<size_t>(0, 10);
  const std::vector<uint8_t> bytes_a = Render(a, c.edits);
  const std::vector<uint8_t> bytes_b = Render(b, c.edits);
  for (const Policy& p : Builtins()) {
    const Report ra = Check(bytes_a, p);
    const Report rb = Check(bytes_b, p);
    PROP_CHECK(ra.verdict == rb.verdict &&
                   CodesWith(ra, Severity::kError) == CodesWith(rb, Severity::kError) &&
                   CodesWith(ra, Severity::kWarning) == CodesWith(rb, Severity::kWarning),
               c.label << " under " << p.name << ":\n"
                       << Describe(ra) << "\n" << Printable(bytes_a) << "\nvs\n"
                       << Describe(rb) << "\n" << Printable(bytes_b));
  }
}

// 4. Rejections grow compat -> default -> strict.
RC_GTEST_PROP(StguardProperty, RejectionsGrowWithStrictness, ()) {
  const Case c = *GenCase(true);
  const Report compat = Check(c.bytes, *BuiltinPolicy("compat"));
  const Report standard = Check(c.bytes, *BuiltinPolicy("default"));
  const Report strict = Check(c.bytes, *BuiltinPolicy("strict"));
  PROP_CHECK(compat.verdict == Verdict::kAccept || standard.verdict == Verdict::kReject,
             c.label << ": compat rejects, default accepts\n" << Describe(compat) << "\n"
                     << Printable(c.bytes));
  PROP_CHECK(standard.verdict == Verdict::kAccept || strict.verdict == Verdict::kReject,
             c.label << ": default rejects, strict accepts\n" << Describe(standard) << "\n"
                     << Printable(c.bytes));
}

// 5. Round trip: the parsed tensor table equals the generated one.
RC_GTEST_PROP(StguardProperty, TensorTableRoundTrips, ()) {
  const GFile f = *GenValidFile(*rc::gen::arbitrary<bool>());
  const std::vector<uint8_t> bytes = Render(f);
  std::vector<TensorRecord> expected;
  for (const GMember& m : f.order) {
    if (m.is_meta) continue;
    const GTensor& t = f.tensors[m.index];
    expected.push_back(TensorRecord{t.name, *DtypeFromName(t.dtype), t.shape, t.begin, t.end});
  }
  std::stable_sort(expected.begin(), expected.end(),
                   [](const TensorRecord& a, const TensorRecord& b) {
                     return std::pair(a.data_begin, a.data_end) <
                            std::pair(b.data_begin, b.data_end);
                   });
  for (const Policy& p : Builtins()) {
    const Report r = Check(bytes, p, true);
    PROP_CHECK(r.tensor_count == f.tensors.size(), p.name << ": tensor_count " << r.tensor_count);
    PROP_CHECK(r.file_size == bytes.size(), p.name << ": file_size");
    PROP_CHECK(r.header_bytes == HeaderOf(bytes), p.name << ": header_bytes");
    PROP_CHECK(r.tensors.size() == expected.size(), p.name << ": " << r.tensors.size()
                                                           << " records, expected "
                                                           << expected.size());
    for (size_t i = 0; i < expected.size(); ++i) {
      PROP_CHECK(r.tensors[i] == expected[i],
                 p.name << ": record " << i << " is " << r.tensors[i].name << " "
                        << DtypeName(r.tensors[i].dtype) << " [" << r.tensors[i].data_begin
                        << "," << r.tensors[i].data_end << "), expected " << expected[i].name
                        << " " << DtypeName(expected[i].dtype) << " ["
                        << expected[i].data_begin << "," << expected[i].data_end << ")\n"
                        << Printable(bytes));
    }
  }
}

// 6. ValidateFile on a temporary file gives the same report as ValidateBuffer.
RC_GTEST_PROP(StguardProperty, FileAndBufferAgree, ()) {
  const Case c = *GenCase(true);
  char path[] = "/tmp/stguard-prop-XXXXXX";
  const int fd = mkstemp(path);
  RC_ASSERT(fd >= 0);
  size_t written = 0;
  while (written < c.bytes.size()) {
    const ssize_t n = write(fd, c.bytes.data() + written, c.bytes.size() - written);
    RC_ASSERT(n > 0);
    written += static_cast<size_t>(n);
  }
  close(fd);
  ValidateOptions options;
  options.collect_tensors = true;
  for (const Policy& p : Builtins()) {
    const FileReport fr = ValidateFile(path, p, options);
    const Report br = ValidateBuffer(c.bytes, p, options);
    const std::string where = c.label + " under " + p.name + ": file " + Describe(fr.report) +
                              " buffer " + Describe(br);
    if (!fr.io_ok) unlink(path);
    PROP_CHECK(fr.io_ok, where << " io: " << fr.io_error);
    const Report& a = fr.report;
    bool same = a.verdict == br.verdict && a.file_size == br.file_size &&
                a.header_bytes == br.header_bytes && a.tensor_count == br.tensor_count &&
                a.tensors == br.tensors && a.findings.size() == br.findings.size();
    for (size_t i = 0; same && i < a.findings.size(); ++i) {
      const Finding& x = a.findings[i];
      const Finding& y = br.findings[i];
      same = x.code == y.code && x.severity == y.severity && x.offset == y.offset &&
             x.tensor == y.tensor && x.message == y.message;
    }
    if (!same) unlink(path);
    PROP_CHECK(same, where);
  }
  unlink(path);
}

// 7. Every finding's offset lies inside the file.
RC_GTEST_PROP(StguardProperty, FindingOffsetsLieInsideTheFile, ()) {
  const Case c = *GenCase(true);
  for (const Policy& p : c.policies) {
    const Report r = Check(c.bytes, p, true);
    for (const Finding& f : r.findings) {
      PROP_CHECK(c.bytes.empty() ? f.offset == 0 : f.offset < c.bytes.size(),
                 c.label << " under " << p.name << ": code " << static_cast<int>(f.code)
                         << " at " << f.offset << " in a file of " << c.bytes.size()
                         << " bytes");
    }
  }
}

// 9. max_findings_per_code bounds the report without changing the verdict.
RC_GTEST_PROP(StguardProperty, FindingBudgetBoundsTheReport, ()) {
  const Case c = *GenCase(true);
  const uint32_t budget = *rc::gen::inRange<uint32_t>(0, 4);
  ValidateOptions options;
  options.max_findings_per_code = budget;
  for (const Policy& p : Builtins()) {
    const Report full = Check(c.bytes, p);
    const Report cut = ValidateBuffer(c.bytes, p, options);
    PROP_CHECK(full.verdict == cut.verdict, c.label << " under " << p.name << " budget "
                                                    << budget << ": " << Describe(full)
                                                    << " vs " << Describe(cut));
    std::map<Code, size_t> counts, full_counts;
    for (const Finding& f : cut.findings) ++counts[f.code];
    for (const Finding& f : full.findings) ++full_counts[f.code];
    bool dropped = false;
    for (const auto& [code, n] : full_counts) {
      if (code == Code::kFindingsTruncated) continue;
      const size_t kept = counts.count(code) != 0 ? counts[code] : 0;
      PROP_CHECK(kept == std::min<size_t>(n, budget),
                 c.label << " under " << p.name << ": code " << static_cast<int>(code)
                         << " kept " << kept << " of " << n << " with budget " << budget);
      dropped |= n > budget;
    }
    PROP_CHECK(dropped == (counts.count(Code::kFindingsTruncated) != 0),
               c.label << " under " << p.name << ": truncation note " << Describe(cut));
  }
}

// 11. Framing limits are exact: a file of 7 bytes is too short, 8 bytes with
// N = 0 is an empty header; max_header_bytes = N accepts and N - 1 rejects;
// a header ending exactly at the end of the file (no data) is fine.
RC_GTEST_PROP(StguardProperty, FramingBoundariesAreExact, ()) {
  const std::vector<uint8_t> seven(7, 0);
  PROP_CHECK(Check(seven, *BuiltinPolicy("compat")).HasCode(Code::kFileTooShort), "7 bytes");
  const std::vector<uint8_t> eight(8, 0);
  const Report empty = Check(eight, *BuiltinPolicy("compat"));
  PROP_CHECK(empty.HasCode(Code::kJsonSyntax) && !empty.HasCode(Code::kFileTooShort),
             "8 bytes, N = 0: " << Describe(empty));
  GFile f = *GenValidFile(true);
  const std::vector<uint8_t> bytes = Render(f);
  const uint64_t n = HeaderOf(bytes);
  for (const Policy& base : Builtins()) {
    for (uint64_t limit : {n - 1, n, n + 1}) {
      Policy p = base;
      p.max_header_bytes = limit;
      const Report r = Check(bytes, p);
      PROP_CHECK((r.verdict == Verdict::kReject) == (n > limit) &&
                     r.HasCode(Code::kHeaderTooLarge) == (n > limit),
                 base.name << " max_header_bytes " << limit << " N " << n << ": "
                           << Describe(r));
    }
  }
  // The header alone (data dropped, tensors made zero-size at 0).
  for (GTensor& t : f.tensors) {
    t.shape.insert(t.shape.begin(), 0);
    t.begin = t.end = 0;
  }
  f.data_size = 0;
  const std::vector<uint8_t> header_only = Render(f);
  const Report r = Check(header_only, *BuiltinPolicy("strict"));
  PROP_CHECK(r.verdict == Verdict::kAccept, "no data section: " << Describe(r) << "\n"
                                                                 << Printable(header_only));
}

// 12. u64 boundaries: 2^64-1 is an integer (so an end offset of 2^64-1 is
// past the end, and a dimension of 2^64-1 overflows the shape); 2^64 is too
// large.
RC_GTEST_PROP(StguardProperty, U64BoundariesAreExact, ()) {
  GFile base = *GenValidFile(true);
  if (base.tensors.empty()) AddTensor(base, U8("~t", base.data_size, 1), false), ++base.data_size;
  const size_t i = *rc::gen::inRange<size_t>(0, base.tensors.size());
  for (const char* token : {"18446744073709551615", "18446744073709551616"}) {
    const bool fits = std::string(token) == "18446744073709551615";
    GFile f = base;
    f.tensors[i].number_raw[1001] = token;
    // A wide integer elsewhere makes the library re-scan every number of
    // the header: 2^64-1 must still read as an integer then.
    f.tensors[i].extra_fields.emplace_back("~wide", "18446744073709551616");
    Report r = Check(Render(f), *BuiltinPolicy("compat"));
    PROP_CHECK(r.HasCode(fits ? Code::kTensorPastEnd : Code::kIntegerTooLarge),
               "end offset " << token << ": " << Describe(r));
    f = base;
    // [token, 2, ...]: the product overflows at the second dimension (and
    // stays overflowed past a later 0).
    f.tensors[i].shape.insert(f.tensors[i].shape.begin(), {0, 2});
    f.tensors[i].number_raw[0] = token;
    r = Check(Render(f), *BuiltinPolicy("compat"));
    PROP_CHECK(r.HasCode(fits ? Code::kShapeOverflow : Code::kIntegerTooLarge) &&
                   r.verdict == Verdict::kReject,
               "dimension " << token << ": " << Describe(r));
  }
}

// 13. A range nested inside another is an overlap and nothing else: the
// bytes after it still belong to the outer tensor.
RC_GTEST_PROP(StguardProperty, NestedRangeIsOnlyAnOverlap, ()) {
  GFile f = *GenValidFile(true);
  const uint64_t at = f.data_size;
  AddTensor(f, U8("~host", at, 4));
  f.data_size += 4;
  const uint64_t inner_begin = at + *rc::gen::inRange<uint64_t>(0, 3);
  AddTensor(f, U8("~inner", inner_begin, *rc::gen::inRange<uint64_t>(1, at + 4 - inner_begin)));
  for (const Policy& p : Builtins()) {
    const Report r = Check(Render(f), p);
    PROP_CHECK(CodesWith(r, Severity::kError) == std::set<Code>{Code::kDataOverlap},
               p.name << ": " << Describe(r));
  }
}

// 8. A reference model (st_model.h) agrees with the library on every
// generated file: verdict, and the codes the model is sure of.
void CheckModel(const Case& c) {
  for (const Policy& p : c.policies) {
    const ModelResult m = RunModel(c.file, c.bytes, p);
    const Report r = Check(c.bytes, p);
    const std::set<Code> errors = CodesWith(r, Severity::kError);
    const std::set<Code> warnings = CodesWith(r, Severity::kWarning);
    std::string expected;
    for (Code code : m.errors) expected += " " + std::to_string(static_cast<int>(code));
    expected += " / warnings";
    for (Code code : m.warnings) expected += " " + std::to_string(static_cast<int>(code));
    const std::string where = c.label + " under " + p.name + ": model " +
                              (m.reject ? "rejects (" + m.why + ")" : std::string("accepts")) +
                              " errors" + expected + "; library " + Describe(r) + "\n" +
                              Printable(c.bytes);
    PROP_CHECK(m.reject == (r.verdict == Verdict::kReject), where);
    for (Code code : m.errors) PROP_CHECK(errors.count(code) != 0, where);
    for (Code code : m.warnings) PROP_CHECK(warnings.count(code) != 0, where);
  }
}

RC_GTEST_PROP(StguardProperty, ReferenceModelAgrees, ()) {
  const Case c = *GenCase(false);
  RC_CLASSIFY(true, c.label.substr(0, c.label.find(' ')));
  CheckModel(c);
}

// 10. max_json_depth = L accepts every header nested L levels deep and
// rejects L + 1 (policies/README.md; the reference accepts 127 levels and
// rejects 128), whether or not the innermost container is empty.
// Found by this suite: the committed library (simdjson's max_depth) rejected
// L levels when the innermost container was non-empty.
TEST(StguardProperty, DepthLimitIsExact) {
  EXPECT_TRUE(rc::check("depth limit is exact", [] {
    const size_t depth = *rc::gen::inRange<size_t>(3, 128);
    const uint32_t limit = static_cast<uint32_t>(
        std::min<size_t>(kMaxJsonDepthCeiling, depth - 1 + *rc::gen::inRange<size_t>(0, 3)));
    const bool non_empty = *rc::gen::arbitrary<bool>();
    const size_t arrays = depth - 2;
    const std::string deep =
        std::string(arrays, '[') + (non_empty ? "1" : "") + std::string(arrays, ']');
    const std::string json =
        "{\"a\":{\"dtype\":\"U8\",\"shape\":[],\"data_offsets\":[0,1],\"x\":" + deep + "}}";
    std::vector<uint8_t> bytes(8 + json.size() + 1, 'a');
    const std::string prefix = LittleEndian64(json.size());
    std::copy(prefix.begin(), prefix.end(), bytes.begin());
    std::copy(json.begin(), json.end(), bytes.begin() + 8);
    Policy p = *BuiltinPolicy("compat");
    p.max_json_depth = limit;
    const Report r = Check(bytes, p);
    PROP_CHECK(r.HasCode(Code::kJsonTooDeep) == (depth > limit),
               "depth " << depth << " (innermost " << (non_empty ? "[1]" : "[]") << "), limit "
                        << limit << ": " << Describe(r));
  }));
}

}  // namespace
}  // namespace stguard::prop
