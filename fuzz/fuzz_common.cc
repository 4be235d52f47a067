#include "fuzz_common.h"

#include "format_identify.h"

#include <simdjson.h>

#include <openssl/sha.h>

#include <algorithm>
#include <limits>
#include <array>
#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
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
  {
    std::vector<std::string_view> names;
    names.reserve(report.tensors.size());
    for (const TensorRecord& t : report.tensors) names.push_back(t.name);
    std::sort(names.begin(), names.end());
    const auto repeated = std::adjacent_find(names.begin(), names.end());
    if (repeated != names.end()) {
      Fail(w + ": accepted, and two tensors are named '" + std::string(*repeated) +
           "' (the reference keeps one entry per name)");
    }
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

namespace {

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
  using u128 = unsigned __int128;
  constexpr u128 kU64Max = ~uint64_t{0};
  const bool accepted = report.verdict == Verdict::kAccept;
  // Rejected files too: each 602 (size mismatch) must name a tensor whose
  // size, recomputed here, is not its range, and each such tensor must be
  // named by one. A bug shared by the validator's size and its check (an
  // element too many, a wrong bit width) rejects correct files, which the
  // accepted-only check never sees. Names are compared when short enough to
  // be reported whole; the missing direction is skipped once findings were
  // truncated.
  constexpr size_t kWholeName = 200;
  std::set<std::string_view> reported, mismatched, checked;
  bool truncated = false;
  for (const Finding& f : report.findings) {
    if (f.code == stguard::Code::kFindingsTruncated) truncated = true;
    if (f.code == stguard::Code::kTensorSizeMismatch && f.tensor && f.tensor->size() < kWholeName) {
      reported.insert(*f.tensor);
    }
  }
  for (const TensorRecord& t : report.tensors) {
    const int bits = DtypeWidth(stguard::DtypeName(t.dtype));
    if (bits < 0) Fail(std::string(what) + ": tensor of an unknown dtype in the table");
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
    overflow = overflow || total_bits > kU64Max;
    const bool partial = !overflow && total_bits % 8 != 0;
    const bool sized = !overflow && !partial && t.data_end >= t.data_begin;
    const bool mismatch = sized && total_bits / 8 != t.data_end - t.data_begin;
    if (accepted) {
      if (overflow) {
        Fail(std::string(what) + ": accepted tensor " + t.name + " whose size overflows 64 bits");
      }
      if (partial) Fail(std::string(what) + ": accepted tensor " + t.name + " of a partial byte");
      if (!sized || mismatch) {
        Fail(std::string(what) + ": accepted tensor " + t.name + " whose range is not its size");
      }
    }
    if (t.name.size() >= kWholeName) continue;
    if (sized) checked.insert(t.name);
    if (mismatch) mismatched.insert(t.name);
  }
  for (const std::string_view name : reported) {
    if (checked.count(name) != 0 && mismatched.count(name) == 0) {
      Fail(std::string(what) + ": 602 size mismatch for tensor " + std::string(name) +
           ", whose range is its size by an independent dtype table");
    }
  }
  if (truncated) return;
  for (const std::string_view name : mismatched) {
    if (reported.count(name) == 0) {
      Fail(std::string(what) + ": tensor " + std::string(name) +
           " whose range is not its size has no 602 size-mismatch finding");
    }
  }
}

namespace {

// C0 controls (tab, LF and CR too unless `allow_tab_cr_lf`), DEL, and C1
// controls (U+0080..U+009F, UTF-8 C2 80..C2 9F).
bool HoldsControl(std::string_view text, bool allow_tab_cr_lf) {
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\t' || c == '\n' || c == '\r') {
      if (!allow_tab_cr_lf) return true;
    } else if (c < 0x20 || c == 0x7F) {
      return true;
    } else if (c == 0xC2 && i + 1 < text.size() &&
               static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
               static_cast<unsigned char>(text[i + 1]) <= 0x9F) {
      return true;
    }
  }
  return false;
}

// Absolute, a backslash, or a ".." component.
bool PathLike(std::string_view name) {
  if (!name.empty() && name.front() == '/') return true;
  if (name.find('\\') != std::string_view::npos) return true;
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find('/', start);
    if (end == std::string_view::npos) end = name.size();
    if (name.substr(start, end - start) == "..") return true;
    start = end + 1;
  }
  return false;
}

bool U64Array(simdjson::dom::element value, std::vector<uint64_t>& out) {
  simdjson::dom::array array;
  if (value.get_array().get(array) != simdjson::SUCCESS) return false;
  out.clear();
  for (simdjson::dom::element item : array) {
    uint64_t n = 0;
    if (item.get_uint64().get(n) != simdjson::SUCCESS) return false;
    out.push_back(n);
  }
  return true;
}

}  // namespace

namespace {

bool IsJsonSpace(uint8_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Calls visit(i) for each byte h[i] (from <= i < n) outside JSON strings:
// a string, its quotes and its escapes are stepped over. visit returns the
// position to go on from (i + 1 after one byte).
template <typename Visit>
void ForEachByteOutsideStrings(const uint8_t* h, size_t from, size_t n, Visit visit) {
  bool in_string = false;
  for (size_t i = from; i < n;) {
    const uint8_t c = h[i];
    if (in_string) {
      if (c == '"') in_string = false;
      i += c == '\\' ? 2 : 1;
    } else if (c == '"') {
      in_string = true;
      ++i;
    } else {
      i = visit(i);
    }
  }
}

// A dtype value as the reference's enum deserializer takes it: "NAME", or
// {"NAME": null} (the object form) when `object_form_allowed`. Empty when
// neither.
std::string DtypeOf(simdjson::dom::element value, bool object_form_allowed) {
  std::string_view name;
  if (value.get_string().get(name) == simdjson::SUCCESS) {
    return DtypeWidth(name) >= 0 ? std::string(name) : std::string();
  }
  simdjson::dom::object object;
  if (!object_form_allowed || value.get_object().get(object) != simdjson::SUCCESS ||
      object.size() != 1) {
    return {};
  }
  for (simdjson::dom::key_value_pair kv : object) {
    if (!kv.value.is_null() || DtypeWidth(kv.key) < 0) return {};
    return std::string(kv.key);
  }
  return {};
}

}  // namespace

void CheckAcceptedHeader(const Report& report, std::span<const uint8_t> file,
                         const stguard::Policy& policy, const char* what) {
  using stguard::Action;
  if (report.verdict != Verdict::kAccept) return;
  const std::string w = std::string(what) + ": accepted header";
  if (file.size() < 8 || report.header_bytes > file.size() - 8) Fail(w + " does not fit");
  const uint8_t* h = file.data() + 8;
  const size_t n = static_cast<size_t>(report.header_bytes);
  // The text around the value.
  if (policy.header_length_unaligned == Action::kReject && n % 8 != 0) {
    Fail(w + " of a length that is not a multiple of 8");
  }
  if (policy.leading_whitespace == Action::kReject && n > 0 && IsJsonSpace(h[0])) {
    Fail(w + " begins with whitespace");
  }
  size_t last = n;
  while (last > 0 && IsJsonSpace(h[last - 1])) --last;
  if (policy.padding_not_spaces == Action::kReject) {
    for (size_t i = last; i < n; ++i) {
      if (h[i] != ' ') Fail(w + " is padded with whitespace other than spaces");
    }
  }
  // Without unknown fields, null metadata and the dtype object form, the
  // only tokens outside strings are brackets, ',', ':', digits and spaces:
  // integers written as digits ("-0", "1.0" and "1e2" are not u64s).
  const bool plain_schema = policy.unknown_fields == Action::kReject &&
                            policy.metadata_null == Action::kReject &&
                            policy.dtype_object_form == Action::kReject;
  if (plain_schema) {
    ForEachByteOutsideStrings(h, 0, n, [&](size_t i) {
      const uint8_t c = h[i];
      if (!(IsJsonSpace(c) || (c >= '0' && c <= '9') || c == '{' || c == '}' || c == '[' ||
            c == ']' || c == ',' || c == ':')) {
        Fail(w + ": byte '" + std::string(1, static_cast<char>(c)) + "' at " + std::to_string(i) +
             " outside strings, where only integers written as digits may be");
      }
      return i + 1;
    });
  }
  // The value, read by another parser. Compat reads some numbers simdjson
  // refuses (integers past 2^64 in unknown fields, serde's f64 range):
  // only a header without unknown fields must parse.
  static simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (const auto error = parser.parse(h, n).get(root); error != simdjson::SUCCESS) {
    if (policy.unknown_fields == Action::kReject) {
      Fail(w + " is not JSON to simdjson's DOM: " + simdjson::error_message(error));
    }
    return;
  }
  simdjson::dom::object top;
  if (root.get_object().get(top) != simdjson::SUCCESS) Fail(w + " is not a JSON object");
  struct Expected {
    std::string dtype;
    std::vector<uint64_t> shape;
    uint64_t begin = 0, end = 0;
  };
  std::map<std::string, Expected> expected;  // the last entry of a name
  std::set<std::string_view> names;
  uint64_t entries = 0;
  bool metadata_seen = false;
  for (simdjson::dom::key_value_pair member : top) {
    const std::string_view name = member.key;
    if (name == "__metadata__") {
      if (metadata_seen) Fail(w + ": __metadata__ appears twice");
      metadata_seen = true;
      if (member.value.is_null()) {
        if (policy.metadata_null == Action::kReject) Fail(w + ": __metadata__ is null");
        continue;
      }
      simdjson::dom::object meta;
      if (member.value.get_object().get(meta) != simdjson::SUCCESS) {
        Fail(w + ": __metadata__ is neither an object nor null");
      }
      std::set<std::string_view> meta_keys;
      uint64_t meta_entries = 0;
      for (simdjson::dom::key_value_pair kv : meta) {
        ++meta_entries;
        if (!meta_keys.insert(kv.key).second &&
            policy.duplicate_metadata_keys == Action::kReject) {
          Fail(w + ": __metadata__ repeats the key '" + std::string(kv.key) + "'");
        }
        std::string_view value;
        if (kv.value.get_string().get(value) != simdjson::SUCCESS) {
          Fail(w + ": __metadata__ value for '" + std::string(kv.key) + "' is not a string");
        }
        if (policy.control_chars_in_metadata == Action::kReject &&
            (HoldsControl(kv.key, false) || HoldsControl(value, true))) {
          Fail(w + ": a __metadata__ key or value holds a control character");
        }
        if (kv.key.size() > policy.max_metadata_value_bytes ||
            value.size() > policy.max_metadata_value_bytes) {
          Fail(w + ": a __metadata__ key or value is past max_metadata_value_bytes");
        }
      }
      if (meta_entries > policy.max_metadata_entries) {
        Fail(w + ": more __metadata__ entries than max_metadata_entries");
      }
      continue;
    }
    ++entries;
    if (!names.insert(name).second && policy.duplicate_tensor_names == Action::kReject) {
      Fail(w + " repeats the tensor name '" + std::string(name) + "'");
    }
    if ((policy.empty_tensor_names == Action::kReject && name.empty()) ||
        (policy.control_chars_in_names == Action::kReject && HoldsControl(name, false)) ||
        (policy.path_like_names == Action::kReject && PathLike(name)) ||
        name.size() > policy.max_name_bytes) {
      Fail(w + ": tensor name '" + std::string(name) + "' breaks a rule the policy rejects");
    }
    const bool object_form = policy.dtype_object_form != Action::kReject;
    const std::string bad = w + ": tensor '" + std::string(name) + "' ";
    Expected e;
    simdjson::dom::object entry;
    simdjson::dom::array items;
    std::vector<uint64_t> offsets;
    if (member.value.get_object().get(entry) == simdjson::SUCCESS) {
      bool has_dtype = false, has_shape = false, has_offsets = false;
      for (simdjson::dom::key_value_pair field : entry) {
        bool* seen = field.key == "dtype"          ? &has_dtype
                     : field.key == "shape"        ? &has_shape
                     : field.key == "data_offsets" ? &has_offsets
                                                   : nullptr;
        if (seen == nullptr) {
          if (policy.unknown_fields == Action::kReject) {
            Fail(bad + "has the unknown field '" + std::string(field.key) + "'");
          }
          continue;
        }
        if (*seen) Fail(bad + "has the field '" + std::string(field.key) + "' twice");
        *seen = true;
        if (seen == &has_dtype) {
          e.dtype = DtypeOf(field.value, object_form);
          if (e.dtype.empty()) Fail(bad + "has no dtype the policy takes");
        } else if (seen == &has_shape) {
          if (!U64Array(field.value, e.shape)) Fail(bad + "has a shape that is no u64 array");
        } else if (!U64Array(field.value, offsets) || offsets.size() != 2) {
          Fail(bad + "has data_offsets that are not two u64s");
        }
      }
      if (!has_dtype || !has_shape || !has_offsets) Fail(bad + "lacks a field");
    } else if (member.value.get_array().get(items) == simdjson::SUCCESS) {
      if (policy.tensor_entry_array == Action::kReject) Fail(bad + "is written as an array");
      if (items.size() != 3) Fail(bad + "is an array of other than three items");
      e.dtype = DtypeOf(items.at(0).value_unsafe(), object_form);
      if (e.dtype.empty()) Fail(bad + "has no dtype the policy takes");
      if (!U64Array(items.at(1).value_unsafe(), e.shape)) Fail(bad + "has a shape that is no u64 array");
      if (!U64Array(items.at(2).value_unsafe(), offsets) || offsets.size() != 2) {
        Fail(bad + "has data_offsets that are not two u64s");
      }
    } else {
      Fail(bad + "is neither an object nor an array");
    }
    e.begin = offsets[0];
    e.end = offsets[1];
    if (e.shape.size() > policy.max_rank) Fail(bad + "has a rank past max_rank");
    expected[std::string(name)] = std::move(e);
  }
  if (entries > policy.max_tensors) Fail(w + ": more tensor entries than max_tensors");
  if (report.tensors.size() != expected.size()) {
    Fail(w + ": " + std::to_string(expected.size()) + " tensor names, " +
         std::to_string(report.tensors.size()) + " tensors in the report");
  }
  for (const TensorRecord& t : report.tensors) {
    const auto it = expected.find(t.name);
    if (it == expected.end()) Fail(w + ": the report's tensor '" + t.name + "' is no member");
    const Expected& e = it->second;
    if (e.dtype != stguard::DtypeName(t.dtype) || e.shape != t.shape || e.begin != t.data_begin ||
        e.end != t.data_end) {
      Fail(w + ": tensor '" + t.name + "' in the report is not the last member of its name");
    }
    if ((policy.allowed_dtypes >> static_cast<unsigned>(t.dtype) & 1u) == 0) {
      Fail(w + ": tensor '" + t.name + "' of a dtype the policy does not allow");
    }
  }
}

namespace {

// Index of the first byte of the first invalid UTF-8 sequence (overlong
// forms, surrogates and code points past U+10FFFF included), or the size:
// the UTF-8 definition (RFC 3629), written apart from json_reader.cc's.
size_t FirstBadUtf8(const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n;) {
    const uint8_t b = p[i];
    size_t len;
    uint32_t cp;
    uint32_t min;
    if (b < 0x80) {
      ++i;
      continue;
    } else if (b >= 0xC2 && b <= 0xDF) {
      len = 2, cp = b & 0x1F, min = 0x80;
    } else if (b >= 0xE0 && b <= 0xEF) {
      len = 3, cp = b & 0x0F, min = 0x800;
    } else if (b >= 0xF0 && b <= 0xF4) {
      len = 4, cp = b & 0x07, min = 0x10000;
    } else {
      return i;  // a continuation byte, C0, C1 or F5..FF
    }
    if (n - i < len) return i;
    for (size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
    i += len;
  }
  return n;
}

const stguard::Finding* FirstOf(const Report& report, stguard::Code code) {
  for (const stguard::Finding& f : report.findings) {
    if (f.code == code) return &f;
  }
  return nullptr;
}

}  // namespace

namespace {

// Framing or the header's text failed: the reports a foreign format may be
// named in.
bool HeaderUnread(const Report& report) {
  using stguard::Code;
  for (const Code code : {Code::kFileTooShort, Code::kHeaderTooLarge, Code::kHeaderPastEof,
                          Code::kHeaderInvalidUtf8, Code::kHeaderBom,
                          Code::kHeaderTrailingContent, Code::kJsonTooDeep, Code::kJsonSyntax,
                          Code::kJsonNumberOverflow, Code::kJsonInvalidString,
                          Code::kTopLevelNotObject}) {
    if (report.HasCode(code)) return true;
  }
  return false;
}

// `identifying`: the report was made with foreign formats identified (the
// default); false for the same bytes validated with identification off.
void CheckStagesOf(const Report& report, std::span<const uint8_t> file,
                   const stguard::Policy& policy, const char* what, bool identifying) {
  using stguard::Action;
  using stguard::Code;
  const std::string w(what);
  const auto has = [&](Code code) { return FirstOf(report, code) != nullptr; };
  const auto expect = [&](Code code, bool present, const std::string& why) {
    if (has(code) != present) {
      Fail(w + ": finding " + std::to_string(static_cast<unsigned>(code)) +
           (present ? " missing: " : " unexpected: ") + why);
    }
  };
  // A file whose framing or header text failed is named from its first
  // bytes when they are another format, and then reported by that name
  // alone; any other file never is. Whether framing or the text failed is
  // read from the same bytes validated with identification off, which must
  // pass every check below in its own right.
  //
  // A report with no name and a header that was read needs no second look:
  // whatever the bytes resemble, it must not be named, and it is not.
  // Identifying every input again was a tenth of fuzz_check's time (perf,
  // ASan+UBSan), most of it on inputs that could not fail this check.
  const bool named = has(Code::kPickleFormat) || has(Code::kForeignFormat);
  if (!identifying && named) Fail(w + ": a format named with identification off");
  if (identifying && (named || HeaderUnread(report))) {
    const size_t window = std::min(file.size(), stguard::internal::kIdentifyWindowBytes);
    const std::optional<stguard::internal::ForeignFormat> format =
        stguard::internal::IdentifyForeignFormat(file.first(window), file.size(),
                                                 stguard::internal::ForeignDetail::kNameOnly);
    if (named || format.has_value()) {
      stguard::ValidateOptions unnamed_options;
      unnamed_options.identify_foreign_formats = false;
      const Report unnamed = stguard::ValidateBuffer(file, policy, unnamed_options);
      if (unnamed.HasCode(Code::kPickleFormat) || unnamed.HasCode(Code::kForeignFormat)) {
        Fail(w + ": a format named with identification off");
      }
      if (named != (HeaderUnread(unnamed) && format.has_value())) {
        Fail(w + (named ? ": a format named for a file whose header was read"
                        : ": a file whose header failed, identified as " +
                              std::string(format->name) + ", not named"));
      }
      if (named) {
        if (report.findings.size() != 1 || report.verdict != stguard::Verdict::kReject) {
          Fail(w + ": a named file's report holds more than its name (" +
               std::to_string(report.findings.size()) + " findings)");
        }
        if (report.header_bytes != unnamed.header_bytes ||
            report.file_size != unnamed.file_size) {
          Fail(w + ": naming the format changed the report's sizes");
        }
        CheckStagesOf(unnamed, file, policy, (w + ", identification off").c_str(), false);
        return;
      }
    }
  }
  // Framing, from the prefix alone.
  const size_t size = file.size();
  expect(Code::kFileTooShort, size < 8, "file of " + std::to_string(size) + " bytes");
  if (size < 8) return;
  const uint64_t n = ReadLe64(file.data());
  if (report.header_bytes != n) {
    Fail(w + ": header_bytes " + std::to_string(report.header_bytes) + ", the prefix says " +
         std::to_string(n));
  }
  expect(Code::kHeaderTooLarge, n > policy.max_header_bytes, "N = " + std::to_string(n));
  if (n > policy.max_header_bytes) return;
  expect(Code::kHeaderPastEof, n > size - 8, "N = " + std::to_string(n));
  if (n > size - 8) return;
  expect(Code::kHeaderLengthUnaligned,
         n % 8 != 0 && policy.header_length_unaligned != Action::kIgnore,
         "N = " + std::to_string(n));
  // The header's text: UTF-8, BOM, leading whitespace, in that order.
  const uint8_t* h = file.data() + 8;
  const size_t bad_utf8 = FirstBadUtf8(h, static_cast<size_t>(n));
  expect(Code::kHeaderInvalidUtf8, bad_utf8 < n, "first invalid UTF-8 byte");
  if (bad_utf8 < n) {
    if (FirstOf(report, Code::kHeaderInvalidUtf8)->offset != 8 + bad_utf8) {
      Fail(w + ": 201 at " + std::to_string(FirstOf(report, Code::kHeaderInvalidUtf8)->offset) +
           ", the first invalid UTF-8 sequence starts at " + std::to_string(8 + bad_utf8));
    }
    return;
  }
  const bool bom = n >= 3 && h[0] == 0xEF && h[1] == 0xBB && h[2] == 0xBF;
  expect(Code::kHeaderBom, bom, "UTF-8 byte order mark");
  if (bom) return;
  size_t first = 0;
  while (first < n && IsJsonSpace(h[first])) ++first;
  if (first == n) return;
  expect(Code::kHeaderLeadingWhitespace, first > 0 && policy.leading_whitespace != Action::kIgnore,
         std::to_string(first) + " leading whitespace bytes");
  // Nesting: a 206 means a container deeper than the policy's limit (the
  // top-level object is level 1); an object that nests deeper, which
  // simdjson's DOM reads as JSON, gets one unless a number serde refuses
  // (208) comes first.
  uint32_t depth = 0, deepest = 0;
  ForEachByteOutsideStrings(h, first, n, [&](size_t i) {
    const uint8_t c = h[i];
    if (c == '{' || c == '[') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    }
    return i + 1;
  });
  if (has(Code::kJsonTooDeep) && deepest <= policy.max_json_depth) {
    Fail(w + ": 206 for a header nested " + std::to_string(deepest) + " deep (limit " +
         std::to_string(policy.max_json_depth) + ")");
  }
  if (!has(Code::kJsonTooDeep) && deepest > policy.max_json_depth && h[first] == '{' &&
      !has(Code::kJsonNumberOverflow)) {
    static simdjson::dom::parser parser;
    simdjson::dom::element root;
    if (parser.parse(h, static_cast<size_t>(n)).get(root) == simdjson::SUCCESS) {
      Fail(w + ": JSON nested " + std::to_string(deepest) + " deep (limit " +
           std::to_string(policy.max_json_depth) + ") without 206");
    }
  }
  // The JSON grammar, against simdjson's DOM (another parser, RFC 8259 as
  // strict as serde_json but for numbers): text it reads is not a syntax
  // or string error here (204, 207, 209), and text it refuses for its
  // grammar is one here, or stopped earlier (a container past the depth
  // limit, a number serde refuses, a top level that is not an object).
  // Its number and depth errors are left out: there serde decides.
  if (!has(Code::kJsonTooDeep) && !has(Code::kJsonNumberOverflow)) {
    static simdjson::dom::parser grammar_parser;
    simdjson::dom::element root;
    const simdjson::error_code parsed = grammar_parser.parse(h, static_cast<size_t>(n)).get(root);
    const bool grammar_finding = has(Code::kHeaderTrailingContent) || has(Code::kJsonSyntax) ||
                                 has(Code::kJsonInvalidString);
    if (parsed == simdjson::SUCCESS && grammar_finding) {
      Fail(w + ": a JSON grammar finding for text simdjson's DOM reads");
    }
    const bool numbers_or_depth = parsed == simdjson::NUMBER_ERROR ||
                                  parsed == simdjson::DEPTH_ERROR ||
                                  parsed == simdjson::CAPACITY || parsed == simdjson::MEMALLOC;
    if (parsed != simdjson::SUCCESS && !numbers_or_depth && !grammar_finding &&
        !has(Code::kTopLevelNotObject)) {
      Fail(w + ": no JSON grammar finding for text simdjson's DOM refuses (" +
           simdjson::error_message(parsed) + ")");
    }
    // The padding after the value: whitespace other than spaces is 205.
    if (parsed == simdjson::SUCCESS && h[first] == '{') {
      size_t last = n;
      while (last > first && IsJsonSpace(h[last - 1])) --last;
      bool other_than_spaces = false;
      for (size_t i = last; i < n; ++i) other_than_spaces |= h[i] != ' ';
      expect(Code::kHeaderPaddingNotSpaces,
             other_than_spaces && policy.padding_not_spaces != Action::kIgnore,
             "padding after the JSON value");
    }
  }
  // Surrogate escapes, read apart from simdjson (its 3.1 takes a leading
  // surrogate before any \u escape): serde_json refuses a leading
  // surrogate not followed by a trailing one, and a trailing one alone.
  if (!has(Code::kJsonTooDeep) && !has(Code::kJsonNumberOverflow) &&
      !has(Code::kTopLevelNotObject) && !has(Code::kJsonSyntax) &&
      !has(Code::kHeaderTrailingContent) && !has(Code::kJsonInvalidString)) {
    const auto hex4 = [&](size_t at, uint32_t& out) {
      if (at + 4 > n) return false;
      out = 0;
      for (size_t k = at; k < at + 4; ++k) {
        const uint8_t c = h[k];
        const int d = c >= '0' && c <= '9'   ? c - '0'
                      : c >= 'a' && c <= 'f' ? c - 'a' + 10
                      : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                             : -1;
        if (d < 0) return false;
        out = out * 16 + static_cast<uint32_t>(d);
      }
      return true;
    };
    bool inside = false;
    for (size_t i = first; i < n; ++i) {
      if (!inside) {
        inside = h[i] == '"';
        continue;
      }
      if (h[i] == '"') {
        inside = false;
      } else if (h[i] == '\\' && i + 1 < n) {
        uint32_t unit = 0, next = 0;
        if (h[i + 1] == 'u' && hex4(i + 2, unit)) {
          const bool leading = unit >= 0xD800 && unit <= 0xDBFF;
          const bool trailing = unit >= 0xDC00 && unit <= 0xDFFF;
          const bool paired = leading && i + 8 <= n && h[i + 6] == '\\' && h[i + 7] == 'u' &&
                              hex4(i + 8, next) && next >= 0xDC00 && next <= 0xDFFF;
          if ((leading && !paired) || trailing) {
            Fail(w + ": an unpaired surrogate escape at " + std::to_string(8 + i) +
                 " without a JSON string finding");
          }
          i += paired ? 11 : 5;
        } else {
          ++i;
        }
      }
    }
  }
  // Number literals, read apart from serde_number: the decimal exponent of
  // each (its magnitude is in [10^E, 10^(E+1))). At 10^309 or more a literal
  // is past f64 whatever serde's arithmetic, below 10^308 it never is: a 208
  // names a literal of E >= 308, and one of E >= 309 gets a 208 unless the
  // reading stopped before it.
  {
    bool overflow_seen = false;
    ForEachByteOutsideStrings(h, first, n, [&](size_t i) {
      const uint8_t c = h[i];
      if (c != '-' && (c < '0' || c > '9')) return i + 1;
      const size_t begin = i;
      size_t k = i + (c == '-');
      int64_t e = 0;  // decimal exponent of the first nonzero digit
      bool nonzero = false;
      int64_t int_digits = 0;
      for (; k < n && h[k] >= '0' && h[k] <= '9'; ++k) {
        if (!nonzero && h[k] != '0') nonzero = true, int_digits = 0;
        if (nonzero) ++int_digits;
      }
      if (nonzero) e = int_digits - 1;
      if (k < n && h[k] == '.') {
        int64_t place = 0;
        for (++k; k < n && h[k] >= '0' && h[k] <= '9'; ++k) {
          --place;
          if (!nonzero && h[k] != '0') nonzero = true, e = place;
        }
      }
      if (k < n && (h[k] == 'e' || h[k] == 'E')) {
        ++k;
        bool minus = false;
        if (k < n && (h[k] == '+' || h[k] == '-')) minus = h[k++] == '-';
        int64_t exp = 0;
        for (; k < n && h[k] >= '0' && h[k] <= '9'; ++k) {
          exp = std::min<int64_t>(exp * 10 + (h[k] - '0'), 1000000000);
        }
        e += minus ? -exp : exp;
      }
      const stguard::Finding* overflow = FirstOf(report, Code::kJsonNumberOverflow);
      if (overflow != nullptr && overflow->offset == 8 + begin && (!nonzero || e < 308)) {
        Fail(w + ": 208 at " + std::to_string(overflow->offset) +
             " for a literal of magnitude below 10^308");
      }
      overflow_seen |= nonzero && e >= 309;
      return k;
    });
    if (overflow_seen && !has(Code::kJsonNumberOverflow) && !has(Code::kJsonTooDeep) &&
        !has(Code::kJsonSyntax) && !has(Code::kJsonInvalidString) &&
        !has(Code::kHeaderTrailingContent) && !has(Code::kTopLevelNotObject)) {
      Fail(w + ": a literal of magnitude 10^309 or more without 208");
    }
  }
  // 402 names a literal past 2^64 - 1: read again from its digits.
  for (const stguard::Finding& f : report.findings) {
    if (f.code != Code::kIntegerTooLarge || f.offset < 8 || f.offset - 8 >= n) continue;
    size_t i = static_cast<size_t>(f.offset - 8);
    unsigned __int128 value = 0;
    bool wide = false;
    for (; i < n && h[i] >= '0' && h[i] <= '9'; ++i) {
      value = value * 10 + (h[i] - '0');
      if (value > std::numeric_limits<uint64_t>::max()) wide = true, value = 0, i = n;
    }
    if (!wide && i < n && h[i] != '.' && h[i] != 'e' && h[i] != 'E' && i > f.offset - 8) {
      Fail(w + ": 402 at " + std::to_string(f.offset) + " for an integer that fits 64 bits");
    }
  }
  // Layout rules run only on a complete table: an entry that could not be
  // read (305, 307, 309, 310, 401, 402, 501) means no layout finding.
  const bool incomplete = has(Code::kTensorEntryInvalid) || has(Code::kFieldMissing) ||
                          has(Code::kFieldWrongType) || has(Code::kDuplicateField) ||
                          has(Code::kIntegerExpected) || has(Code::kIntegerTooLarge) ||
                          has(Code::kDtypeUnknown);
  if (incomplete) {
    for (const stguard::Finding& f : report.findings) {
      const unsigned c = static_cast<unsigned>(f.code);
      if ((c >= 601 && c <= 607) || c == 503 || c == 504 || f.code == Code::kTensorOffsetUnaligned) {
        Fail(w + ": layout finding " + std::to_string(c) + " for an incomplete tensor table");
      }
    }
  }
}

}  // namespace

void CheckStages(const Report& report, std::span<const uint8_t> file,
                 const stguard::Policy& policy, const char* what) {
  CheckStagesOf(report, file, policy, what, true);
}

namespace {

// NaN and Inf, from each format's definition (bits: sign, exponent,
// mantissa), written apart from content_scan.cc's masks and ranges.
template <typename T>
T Load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

// Classifies one element: 1 NaN, 2 Inf, 0 neither. `bytes` is the
// element's width for the classification (C64: each F32 half).
int ClassOf(stguard::Dtype dtype, const uint8_t* p) {
  using stguard::Dtype;
  switch (dtype) {
    case Dtype::kF32:
    case Dtype::kC64: {
      const uint32_t b = Load<uint32_t>(p);
      if (((b >> 23) & 0xff) != 0xff) return 0;
      return (b & 0x7fffff) != 0 ? 1 : 2;
    }
    case Dtype::kF64: {
      const uint64_t b = Load<uint64_t>(p);
      if (((b >> 52) & 0x7ff) != 0x7ff) return 0;
      return (b & ((uint64_t{1} << 52) - 1)) != 0 ? 1 : 2;
    }
    case Dtype::kF16: {
      const uint16_t b = Load<uint16_t>(p);
      if (((b >> 10) & 0x1f) != 0x1f) return 0;
      return (b & 0x3ff) != 0 ? 1 : 2;
    }
    case Dtype::kBF16: {
      const uint16_t b = Load<uint16_t>(p);
      if (((b >> 7) & 0xff) != 0xff) return 0;
      return (b & 0x7f) != 0 ? 1 : 2;
    }
    case Dtype::kF8_E5M2: {  // IEEE-like: exponent 5 bits, mantissa 2
      const uint8_t b = *p;
      if (((b >> 2) & 0x1f) != 0x1f) return 0;
      return (b & 3) != 0 ? 1 : 2;
    }
    case Dtype::kF8_E4M3:  // E4M3FN: no Inf, S.1111.111 is NaN
      return (*p & 0x7f) == 0x7f ? 1 : 0;
    case Dtype::kF8_E4M3FNUZ:
    case Dtype::kF8_E5M2FNUZ:  // no Inf, no -0: 0x80 is NaN
      return *p == 0x80 ? 1 : 0;
    case Dtype::kF8_E8M0:  // exponent only: 0xff is NaN
      return *p == 0xff ? 1 : 0;
    default:
      return 0;
  }
}

size_t ClassWidth(stguard::Dtype dtype) {
  using stguard::Dtype;
  switch (dtype) {
    case Dtype::kF32:
    case Dtype::kC64:
      return 4;
    case Dtype::kF64:
      return 8;
    case Dtype::kF16:
    case Dtype::kBF16:
      return 2;
    case Dtype::kF8_E5M2:
    case Dtype::kF8_E4M3:
    case Dtype::kF8_E4M3FNUZ:
    case Dtype::kF8_E5M2FNUZ:
    case Dtype::kF8_E8M0:
    case Dtype::kBOOL:
      return 1;
    default:
      return 0;
  }
}

stguard::Sha256Digest Sha256Of(const uint8_t* p, size_t n) {
  stguard::Sha256Digest d{};
  SHA256(p, n, d.data());
  return d;
}

}  // namespace

void CheckContent(const Report& report, std::span<const uint8_t> file, const char* what) {
  using stguard::Code;
  if (!report.content) return;
  const std::string w(what);
  const stguard::ContentScan& content = *report.content;
  if (content.file_sha256 != Sha256Of(file.data(), file.size())) {
    Fail(w + ": file SHA-256 " + stguard::DigestHex(content.file_sha256) + " is not the file's");
  }
  for (const stguard::Finding& f : report.findings) {
    const unsigned c = static_cast<unsigned>(f.code);
    const bool layout = (c >= 601 && c <= 607) || f.code == Code::kShapeOverflow ||
                        f.code == Code::kSubByteNotWholeBytes;
    if (layout && content.tensors_scanned) {
      Fail(w + ": tensors scanned although finding " + std::to_string(c) +
           " says they do not tile the data section");
    }
  }
  if (!content.tensors_scanned) {
    if (!content.tensors.empty()) Fail(w + ": tensors listed but not scanned");
    return;
  }
  const uint64_t data_offset = 8 + report.header_bytes;
  if (data_offset > file.size()) Fail(w + ": tensors scanned in a file without a data section");
  const uint64_t data_size = file.size() - data_offset;
  const uint8_t* data = file.data() + data_offset;
  for (const stguard::TensorContent& t : content.tensors) {
    if (t.data_begin > t.data_end || t.data_end > data_size) {
      Fail(w + ": scanned tensor '" + t.name + "' outside the data section");
    }
    const uint8_t* p = data + t.data_begin;
    const size_t n = static_cast<size_t>(t.data_end - t.data_begin);
    if (t.sha256 != Sha256Of(p, n)) Fail(w + ": tensor '" + t.name + "' SHA-256 is not its bytes'");
    uint64_t nan = 0, inf = 0, bad_bool = 0;
    const size_t width = ClassWidth(t.dtype);
    if (t.dtype == stguard::Dtype::kBOOL) {
      for (size_t i = 0; i < n; ++i) bad_bool += p[i] > 1;
    } else if (width > 0) {
      for (size_t i = 0; i + width <= n; i += width) {
        const int k = ClassOf(t.dtype, p + i);
        nan += k == 1;
        inf += k == 2;
      }
    }
    if (nan != t.nan_count || inf != t.inf_count || bad_bool != t.invalid_bool_count) {
      Fail(w + ": tensor '" + t.name + "' (" + std::string(stguard::DtypeName(t.dtype)) +
           ") counts " + std::to_string(t.nan_count) + " NaN, " + std::to_string(t.inf_count) +
           " Inf, " + std::to_string(t.invalid_bool_count) + " bad BOOL; its bytes hold " +
           std::to_string(nan) + ", " + std::to_string(inf) + ", " + std::to_string(bad_bool));
    }
  }
  // A content finding sits on a value of its kind, inside its tensor.
  for (const stguard::Finding& f : report.findings) {
    if (f.code != Code::kNonFiniteValues && f.code != Code::kBoolInvalidValues) continue;
    const stguard::TensorContent* owner = nullptr;
    for (const stguard::TensorContent& t : content.tensors) {
      if (f.tensor && *f.tensor == t.name) owner = &t;
    }
    if (owner == nullptr) continue;  // a name cut for the report: not checked
    const uint64_t begin = data_offset + owner->data_begin;
    const uint64_t end = data_offset + owner->data_end;
    if (f.offset < begin || f.offset >= end) {
      Fail(w + ": finding " + std::to_string(static_cast<unsigned>(f.code)) + " at offset " +
           std::to_string(f.offset) + ", outside its tensor [" + std::to_string(begin) + ", " +
           std::to_string(end) + ")");
    }
    const uint8_t* at = file.data() + f.offset;
    const bool ok = f.code == Code::kBoolInvalidValues
                        ? *at > 1
                        : (f.offset + ClassWidth(owner->dtype) <= end &&
                           ClassOf(owner->dtype, at) != 0);
    if (!ok) {
      Fail(w + ": finding " + std::to_string(static_cast<unsigned>(f.code)) + " at offset " +
           std::to_string(f.offset) + " is not on a value of its kind");
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
