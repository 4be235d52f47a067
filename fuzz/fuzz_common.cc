#include "fuzz_common.h"

#include <simdjson.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <utility>

#include "stguard/codes.h"
#include "work_counter.h"

namespace stguard_fuzz {

using stguard::Finding;
using stguard::Report;
using stguard::TensorRecord;
using stguard::Verdict;

void Fail(const std::string& what) {
  std::fprintf(stderr, "\n==== stguard fuzz invariant broken: %s\n", what.c_str());
  std::fflush(stderr);
  std::abort();
}

const stguard::Policy& BuiltinByIndex(int index) {
  static const std::array<stguard::Policy, kBuiltinCount> policies = [] {
    std::array<stguard::Policy, kBuiltinCount> p;
    const char* names[kBuiltinCount] = {"compat", "default", "strict"};
    for (int i = 0; i < kBuiltinCount; ++i) {
      std::optional<stguard::Policy> loaded = stguard::BuiltinPolicy(names[i]);
      if (!loaded) Fail(std::string("missing built-in policy ") + names[i]);
      p[i] = *loaded;
    }
    return p;
  }();
  return policies[static_cast<size_t>(index)];
}

bool IsKnownCode(stguard::Code code) {
  static const std::array<bool, 1000> known = [] {
    std::array<bool, 1000> k{};
    for (const stguard::CodeInfo& info : stguard::AllCodes()) {
      const auto n = static_cast<size_t>(info.code);
      if (n < k.size()) k[n] = true;
    }
    return k;
  }();
  const auto n = static_cast<size_t>(code);
  return n < known.size() && known[n];
}

namespace {

std::string FindingText(const Finding& f) {
  return std::to_string(static_cast<unsigned>(f.code)) + "/" +
         std::to_string(static_cast<unsigned>(f.severity)) + "@" + std::to_string(f.offset) +
         (f.tensor ? " tensor=" + *f.tensor : std::string()) + " " + f.message;
}

}  // namespace

std::string DiffReports(const Report& a, const Report& b, bool compare_tensors) {
  if (a.verdict != b.verdict) return "verdict differs";
  if (a.file_size != b.file_size) return "file_size differs";
  if (a.header_bytes != b.header_bytes) return "header_bytes differs";
  if (a.tensor_count != b.tensor_count) {
    return "tensor_count differs: " + std::to_string(a.tensor_count) + " vs " +
           std::to_string(b.tensor_count);
  }
  if (a.findings.size() != b.findings.size()) {
    return "finding count differs: " + std::to_string(a.findings.size()) + " vs " +
           std::to_string(b.findings.size());
  }
  for (size_t i = 0; i < a.findings.size(); ++i) {
    const Finding& x = a.findings[i];
    const Finding& y = b.findings[i];
    if (x.code != y.code || x.severity != y.severity || x.offset != y.offset ||
        x.tensor != y.tensor || x.message != y.message) {
      return "finding " + std::to_string(i) + " differs: [" + FindingText(x) + "] vs [" +
             FindingText(y) + "]";
    }
  }
  if (compare_tensors && a.tensors != b.tensors) return "tensor table differs";
  if (a.content != b.content) return "deep scan content differs";
  return {};
}

void CheckFindings(const Report& report, const char* what) {
  bool has_error = false;
  for (const Finding& f : report.findings) {
    if (!IsKnownCode(f.code)) {
      Fail(std::string(what) + ": unknown finding code " +
           std::to_string(static_cast<unsigned>(f.code)));
    }
    const bool offset_ok = report.file_size == 0 ? f.offset == 0 : f.offset < report.file_size;
    if (!offset_ok) {
      Fail(std::string(what) + ": finding " + FindingText(f) + " has offset outside a file of " +
           std::to_string(report.file_size) + " bytes");
    }
    if (f.severity == stguard::Severity::kError) has_error = true;
    // Messages quote header text, which is UTF-8: a quote cut inside a
    // character would put bytes in the report that no renderer can show.
    if (!simdjson::validate_utf8(f.message.data(), f.message.size()) ||
        (f.tensor && !simdjson::validate_utf8(f.tensor->data(), f.tensor->size()))) {
      Fail(std::string(what) + ": finding " + FindingText(f) + " is not valid UTF-8");
    }
  }
  if (report.verdict == stguard::Verdict::kAccept && has_error) {
    Fail(std::string(what) + ": accepted report holds an error finding");
  }
}

void CheckAcceptedLayout(const Report& report, const char* what) {
  if (report.verdict != stguard::Verdict::kAccept) return;
  const std::string w(what);
  if (report.file_size < 8 || report.header_bytes > report.file_size - 8) {
    Fail(w + ": accepted a file whose header does not fit (size " +
         std::to_string(report.file_size) + ", N " + std::to_string(report.header_bytes) + ")");
  }
  const uint64_t data_size = report.file_size - 8 - report.header_bytes;
  if (report.tensors.size() != report.tensor_count) {
    Fail(w + ": accepted, tensor_count " + std::to_string(report.tensor_count) + " but " +
         std::to_string(report.tensors.size()) + " tensors collected");
  }
  uint64_t covered = 0;
  for (const TensorRecord& t : report.tensors) {
    if (t.data_begin > t.data_end || t.data_end > data_size) {
      Fail(w + ": accepted tensor '" + t.name + "' [" + std::to_string(t.data_begin) + ", " +
           std::to_string(t.data_end) + ") outside the data section of " +
           std::to_string(data_size) + " bytes");
    }
    if (t.data_begin != covered) {
      Fail(w + ": accepted tensor '" + t.name + "' starts at " + std::to_string(t.data_begin) +
           " but the tensors before it end at " + std::to_string(covered) +
           (t.data_begin < covered ? " (overlap)" : " (gap)"));
    }
    covered = t.data_end;
  }
  if (covered != data_size) {
    Fail(w + ": accepted tensors cover [0, " + std::to_string(covered) +
         ") of a data section of " + std::to_string(data_size) + " bytes");
  }
}

void CheckReport(const Report& report, size_t size, const char* what) {
  if (report.file_size != size) Fail(std::string(what) + ": file_size is wrong");
  CheckFindings(report, what);
  CheckAcceptedLayout(report, what);
}

void StartWork() { stguard::internal::ResetWork(); }

uint64_t WorkSoFar() { return stguard::internal::WorkSteps(); }

uint64_t WorkBound(size_t size) {
  const uint64_t n = static_cast<uint64_t>(size) + 64;
  uint64_t log2 = 0;
  while ((uint64_t{1} << (log2 + 1)) <= n) ++log2;
  return kWorkFactor * n * (log2 + 1);
}

void CheckWork(size_t size, const char* what) {
  if (!stguard::internal::kCountingWork) return;
  const uint64_t steps = stguard::internal::WorkSteps();
  // STGUARD_FUZZ_WORK_LOG=1: one line per input, how kWorkFactor is chosen.
  static const bool log = std::getenv("STGUARD_FUZZ_WORK_LOG") != nullptr;
  if (log) {
    std::fprintf(stderr, "work %zu %llu %.3f\n", size, static_cast<unsigned long long>(steps),
                 static_cast<double>(steps) * kWorkFactor / static_cast<double>(WorkBound(size)));
  }
  if (steps > WorkBound(size)) {
    Fail(std::string(what) + ": " + std::to_string(steps) + " steps of work for " +
         std::to_string(size) + " bytes, over the bound " + std::to_string(WorkBound(size)) +
         " (kWorkFactor x n log n): a super-linear path");
  }
}

namespace {

// The action an action knob holds, by the knob's name: written out here,
// apart from policy.cc's table, so that a wrong entry there shows.
std::optional<stguard::Action> ActionOfKnob(const stguard::Policy& p, std::string_view knob) {
  using P = stguard::Policy;
  static const std::pair<std::string_view, stguard::Action P::*> kActions[] = {
      {"leading_whitespace", &P::leading_whitespace},
      {"padding_not_spaces", &P::padding_not_spaces},
      {"header_length_unaligned", &P::header_length_unaligned},
      {"metadata_null", &P::metadata_null},
      {"tensor_entry_array", &P::tensor_entry_array},
      {"dtype_object_form", &P::dtype_object_form},
      {"unknown_fields", &P::unknown_fields},
      {"duplicate_tensor_names", &P::duplicate_tensor_names},
      {"duplicate_metadata_keys", &P::duplicate_metadata_keys},
      {"empty_tensor_names", &P::empty_tensor_names},
      {"control_chars_in_names", &P::control_chars_in_names},
      {"control_chars_in_metadata", &P::control_chars_in_metadata},
      {"path_like_names", &P::path_like_names},
      {"tensor_offset_unaligned", &P::tensor_offset_unaligned},
      {"nonfinite_values", &P::nonfinite_values},
      {"bool_values", &P::bool_values},
      {"index_consistency", &P::index_consistency},
      {"index_total_size", &P::index_total_size},
      {"pickle_checkpoints", &P::pickle_checkpoints},
      {"other_weight_formats", &P::other_weight_formats},
  };
  for (const auto& [name, member] : kActions) {
    if (name == knob) return p.*member;
  }
  return std::nullopt;
}

// Bits per element, by dtype name (the safetensors format's table).
int DtypeWidth(std::string_view name) {
  static const std::pair<std::string_view, int> kWidths[] = {
      {"BOOL", 8},  {"F4", 4},      {"F6_E2M3", 6},     {"F6_E3M2", 6},     {"U8", 8},
      {"I8", 8},    {"F8_E5M2", 8}, {"F8_E4M3", 8},     {"F8_E8M0", 8},     {"F8_E4M3FNUZ", 8},
      {"F8_E5M2FNUZ", 8}, {"I16", 16}, {"U16", 16},    {"F16", 16},        {"BF16", 16},
      {"I32", 32},  {"U32", 32},    {"F32", 32},        {"C64", 64},        {"F64", 64},
      {"I64", 64},  {"U64", 64},
  };
  for (const auto& [dtype, bits] : kWidths) {
    if (dtype == name) return bits;
  }
  return -1;
}

}  // namespace

void CheckSeverities(const Report& report, const stguard::Policy& policy, const char* what) {
  for (const Finding& f : report.findings) {
    if (f.code == stguard::Code::kFindingsTruncated) continue;
    const stguard::CodeInfo& info = stguard::Info(f.code);
    stguard::Severity expected = stguard::Severity::kError;
    if (!info.knob.empty()) {
      if (const std::optional<stguard::Action> action = ActionOfKnob(policy, info.knob)) {
        if (*action == stguard::Action::kIgnore) {
          Fail(std::string(what) + ": finding " + std::string(info.id) + " under knob " +
               std::string(info.knob) + ", which the policy ignores");
        }
        expected = *action == stguard::Action::kWarn ? stguard::Severity::kWarning
                                                     : stguard::Severity::kError;
      }
    }
    if (f.severity != expected) {
      Fail(std::string(what) + ": finding " + std::string(info.id) + " has severity " +
           std::string(stguard::SeverityName(f.severity)) + ", the policy gives " +
           std::string(stguard::SeverityName(expected)));
    }
  }
}

void CheckTensorSizes(const Report& report, const char* what) {
  if (report.verdict != Verdict::kAccept) return;
  using u128 = unsigned __int128;
  constexpr u128 kU64Max = ~uint64_t{0};
  for (const TensorRecord& t : report.tensors) {
    const int bits = DtypeWidth(stguard::DtypeName(t.dtype));
    if (bits < 0) Fail(std::string(what) + ": accepted tensor of an unknown dtype");
    // Left to right, as the reference folds: elements x bits must stay in
    // 64 bits at every step.
    u128 elements = 1;
    bool overflow = false;
    for (const uint64_t d : t.shape) {
      elements *= d;
      if (elements > kU64Max) overflow = true;
      if (overflow) elements = kU64Max + 1;  // sticky, and no 128-bit wrap
    }
    const u128 total_bits = elements * static_cast<unsigned>(bits);
    if (overflow || total_bits > kU64Max) {
      Fail(std::string(what) + ": accepted tensor " + t.name + " whose size overflows 64 bits");
    }
    if (total_bits % 8 != 0) {
      Fail(std::string(what) + ": accepted tensor " + t.name + " of a partial byte");
    }
    if (t.data_end < t.data_begin || total_bits / 8 != t.data_end - t.data_begin) {
      Fail(std::string(what) + ": accepted tensor " + t.name + " whose range is not its size");
    }
  }
}

void AppendJsonString(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20) {
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += ch;
    }
  }
  out += '"';
}

std::string CanonicalHeader(const std::vector<TensorRecord>& tensors) {
  std::string out = "{";
  bool first = true;
  for (const TensorRecord& t : tensors) {
    if (!first) out += ',';
    first = false;
    AppendJsonString(out, t.name);
    out += ":{\"dtype\":\"";
    out += stguard::DtypeName(t.dtype);
    out += "\",\"shape\":[";
    for (size_t i = 0; i < t.shape.size(); ++i) {
      if (i > 0) out += ',';
      out += std::to_string(t.shape[i]);
    }
    out += "],\"data_offsets\":[" + std::to_string(t.data_begin) + "," +
           std::to_string(t.data_end) + "]}";
  }
  out += '}';
  while (out.size() % 8 != 0) out += ' ';
  return out;
}

uint64_t ReadLe64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

void WriteLe64(uint8_t* p, uint64_t value) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(value >> (8 * i));
}

std::vector<uint8_t> Frame(std::string_view header, std::span<const uint8_t> data) {
  std::vector<uint8_t> out(8 + header.size() + data.size());
  WriteLe64(out.data(), header.size());
  if (!header.empty()) std::copy(header.begin(), header.end(), out.begin() + 8);
  if (!data.empty()) std::copy(data.begin(), data.end(), out.begin() + 8 + static_cast<long>(header.size()));
  return out;
}

}  // namespace stguard_fuzz
