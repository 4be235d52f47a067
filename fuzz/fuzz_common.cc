#include "fuzz_common.h"

#include <simdjson.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <optional>

#include "stguard/codes.h"

namespace stguard_fuzz {

using stguard::Finding;
using stguard::Report;
using stguard::TensorRecord;

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
