#include "render.h"

#include <cstdint>
#include <span>

#include "stguard/validate.h"

namespace stguard::cli {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// Length of the valid UTF-8 sequence starting at s[i], or 0 if invalid.
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  const auto b = static_cast<unsigned char>(s[i]);
  size_t length;
  uint32_t code;
  uint32_t min_code;
  if (b < 0x80) return 1;
  if ((b & 0xE0) == 0xC0) {
    length = 2, code = b & 0x1Fu, min_code = 0x80;
  } else if ((b & 0xF0) == 0xE0) {
    length = 3, code = b & 0x0Fu, min_code = 0x800;
  } else if ((b & 0xF8) == 0xF0) {
    length = 4, code = b & 0x07u, min_code = 0x10000;
  } else {
    return 0;
  }
  if (s.size() - i < length) return 0;
  for (size_t k = 1; k < length; ++k) {
    const auto c = static_cast<unsigned char>(s[i + k]);
    if ((c & 0xC0) != 0x80) return 0;
    code = (code << 6) | (c & 0x3Fu);
  }
  if (code < min_code || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return 0;
  return length;
}

void AppendHexEscape(std::string& out, unsigned char c) {
  out += "\\x";
  out += kHex[c >> 4];
  out += kHex[c & 15];
}

const char* SeverityColor(Severity severity) {
  switch (severity) {
    case Severity::kError:
      return "\033[31m";
    case Severity::kWarning:
      return "\033[33m";
    case Severity::kInfo:
      return "\033[36m";
  }
  return "";
}

struct Counts {
  size_t errors = 0, warnings = 0, infos = 0;
};

Counts CountFindings(const Report& report) {
  Counts counts;
  for (const Finding& f : report.findings) {
    if (f.severity == Severity::kError) ++counts.errors;
    if (f.severity == Severity::kWarning) ++counts.warnings;
    if (f.severity == Severity::kInfo) ++counts.infos;
  }
  return counts;
}

std::string Plural(size_t n, const char* word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

}  // namespace

std::string JsonString(std::string_view bytes) {
  std::string out = "\"";
  for (size_t i = 0; i < bytes.size();) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    const size_t length = Utf8SequenceLength(bytes, i);
    if (length == 0) {
      out += "\\ufffd";
      ++i;
      continue;
    }
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7F) {
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out.append(bytes.substr(i, length));
    }
    i += length;
  }
  out += '"';
  return out;
}

std::string TerminalSafe(std::string_view bytes) {
  std::string out;
  for (size_t i = 0; i < bytes.size();) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    const size_t length = Utf8SequenceLength(bytes, i);
    if (length == 0 || c < 0x20 || c == 0x7F) {
      AppendHexEscape(out, c);
      ++i;
      continue;
    }
    // C1 controls U+0080..U+009F are encoded C2 80..C2 9F.
    if (length == 2 && c == 0xC2 && static_cast<unsigned char>(bytes[i + 1]) <= 0x9F) {
      AppendHexEscape(out, c);
      AppendHexEscape(out, static_cast<unsigned char>(bytes[i + 1]));
      i += 2;
      continue;
    }
    out.append(bytes.substr(i, length));
    i += length;
  }
  return out;
}

std::string RenderText(const FileResult& result, bool color) {
  const char* bold = color ? "\033[1m" : "";
  const char* reset = color ? "\033[0m" : "";
  std::string out = std::string(bold) + TerminalSafe(result.path) + reset + ": ";
  if (!result.io_ok) {
    out += std::string(color ? SeverityColor(Severity::kError) : "") + "ERROR" + reset +
           " cannot read: " + TerminalSafe(result.io_error) + "\n";
    return out;
  }
  const Report& report = result.report;
  const Counts counts = CountFindings(report);
  const bool accepted = report.verdict == Verdict::kAccept;
  out += std::string(color ? (accepted ? "\033[32m" : "\033[31m") : "") +
         (accepted ? "ACCEPT" : "REJECT") + reset + " (" + Plural(counts.errors, "error") +
         ", " + Plural(counts.warnings, "warning") + "; " + Plural(report.tensor_count, "tensor") + ", header " + std::to_string(report.header_bytes) + " bytes, file " +
         std::to_string(report.file_size) + " bytes)\n";
  for (const Finding& f : report.findings) {
    const CodeInfo& info = stguard::Info(f.code);
    out += "  ";
    out += color ? SeverityColor(f.severity) : "";
    std::string severity(SeverityName(f.severity));
    severity.resize(7, ' ');
    out += severity;
    out += reset;
    out += " " + std::to_string(static_cast<unsigned>(f.code)) + " " + std::string(info.id) +
           " at byte " + std::to_string(f.offset);
    if (f.tensor) out += " tensor \"" + TerminalSafe(*f.tensor) + "\"";
    out += ": " + TerminalSafe(f.message) + "\n";
  }
  if (report.content) {
    const ContentScan& content = *report.content;
    uint64_t nan = 0, inf = 0;
    for (const TensorContent& t : content.tensors) {
      nan += t.nan_count;
      inf += t.inf_count;
    }
    out += "  sha256 " + DigestHex(content.file_sha256);
    out += content.tensors_scanned
               ? " (" + Plural(content.tensors.size(), "tensor") + " hashed; " +
                     std::to_string(nan) + " NaN, " + std::to_string(inf) + " Inf)\n"
               : " (tensors not scanned: the header or layout is broken)\n";
  }
  return out;
}

std::string RenderTextSummary(const std::vector<FileResult>& results, const Policy& policy,
                              bool color) {
  size_t accepted = 0, rejected = 0, unreadable = 0;
  for (const FileResult& r : results) {
    if (!r.io_ok) {
      ++unreadable;
    } else if (r.report.verdict == Verdict::kAccept) {
      ++accepted;
    } else {
      ++rejected;
    }
  }
  const char* bold = color ? "\033[1m" : "";
  const char* reset = color ? "\033[0m" : "";
  return std::string(bold) + Plural(results.size(), "file") + " checked with policy " +
         TerminalSafe(policy.name) + ": " + std::to_string(accepted) + " accepted, " +
         std::to_string(rejected) + " rejected, " + std::to_string(unreadable) + " unreadable" +
         reset + "\n";
}

static std::string JsonFileObject(const FileResult& r) {
  if (!r.io_ok) return "{\"path\":" + JsonString(r.path) + ",\"error\":" + JsonString(r.io_error) + "}";
  const Report& report = r.report;
  std::string out = "{\"path\":" + JsonString(r.path) +
                    ",\"verdict\":" + JsonString(VerdictName(report.verdict)) +
                    ",\"file_size\":" + std::to_string(report.file_size) +
                    ",\"header_bytes\":" + std::to_string(report.header_bytes) +
                    ",\"tensor_count\":" + std::to_string(report.tensor_count) + ",\"findings\":[";
  bool first = true;
  for (const Finding& f : report.findings) {
    out += first ? "" : ",";
    first = false;
    out += "{\"code\":" + std::to_string(static_cast<unsigned>(f.code)) +
           ",\"id\":" + JsonString(stguard::Info(f.code).id) +
           ",\"severity\":" + JsonString(SeverityName(f.severity)) +
           ",\"offset\":" + std::to_string(f.offset) +
           ",\"tensor\":" + (f.tensor ? JsonString(*f.tensor) : std::string("null")) +
           ",\"message\":" + JsonString(f.message) + "}";
  }
  out += "]";
  if (report.content) {
    const ContentScan& content = *report.content;
    out += ",\"content\":{\"sha256\":\"" + DigestHex(content.file_sha256) +
           "\",\"tensors_scanned\":" + (content.tensors_scanned ? "true" : "false") +
           ",\"tensors\":[";
    first = true;
    for (const TensorContent& t : content.tensors) {
      out += first ? "" : ",";
      first = false;
      out += "{\"name\":" + JsonString(t.name) + ",\"dtype\":\"" +
             std::string(DtypeName(t.dtype)) + "\",\"data_offsets\":[" +
             std::to_string(t.data_begin) + "," + std::to_string(t.data_end) +
             "],\"sha256\":\"" + DigestHex(t.sha256) + "\",\"nan\":" +
             std::to_string(t.nan_count) + ",\"inf\":" + std::to_string(t.inf_count) +
             ",\"invalid_bool\":" + std::to_string(t.invalid_bool_count) + "}";
    }
    out += "]}";
  }
  out += "}";
  return out;
}

std::string RenderJson(const std::vector<FileResult>& results, const Policy& policy) {
  std::string out = "{\"tool\":{\"name\":\"stguard\",\"version\":" + JsonString(Version()) +
                    "},\"policy\":" + JsonString(policy.name) + ",\"files\":[";
  bool first = true;
  for (const FileResult& r : results) {
    if (!r.io_ok) continue;
    out += first ? "\n" : ",\n";
    first = false;
    out += JsonFileObject(r);
  }
  out += "],\"errors\":[";
  first = true;
  for (const FileResult& r : results) {
    if (r.io_ok) continue;
    out += first ? "\n" : ",\n";
    first = false;
    out += JsonFileObject(r);
  }
  out += "]}\n";
  return out;
}

std::string RenderJsonLine(const FileResult& result) { return JsonFileObject(result) + "\n"; }

namespace {

std::string SarifRuleId(Code code) { return "ST" + std::to_string(static_cast<unsigned>(code)); }

// RFC 3986: keep unreserved characters and '/', percent-encode the rest.
std::string UriEncodePath(std::string_view path) {
  static constexpr char kHexUpper[] = "0123456789ABCDEF";
  std::string out;
  for (const char ch : path) {
    const auto c = static_cast<unsigned char>(ch);
    const bool keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~' || c == '/';
    if (keep) {
      out += ch;
    } else {
      out += '%';
      out += kHexUpper[c >> 4];
      out += kHexUpper[c & 15];
    }
  }
  return out;
}

const char* SarifLevel(Severity severity) {
  switch (severity) {
    case Severity::kError:
      return "error";
    case Severity::kWarning:
      return "warning";
    case Severity::kInfo:
      return "note";
  }
  return "error";
}

}  // namespace

std::string RenderSarif(const std::vector<FileResult>& results, const Policy& policy) {
  // One rule per code, in AllCodes() order, so ruleIndex is the position.
  const std::span<const CodeInfo> codes = AllCodes();
  std::string out =
      "{\"$schema\":\"https://json.schemastore.org/sarif-2.1.0.json\",\"version\":\"2.1.0\","
      "\"runs\":[{\"tool\":{\"driver\":{\"name\":\"stguard\",\"version\":" +
      JsonString(Version()) + ",\"semanticVersion\":" + JsonString(Version()) + ",\"rules\":[";
  for (size_t i = 0; i < codes.size(); ++i) {
    const CodeInfo& info = codes[i];
    out += i == 0 ? "\n" : ",\n";
    const std::string help =
        std::string(info.explanation) +
        (info.knob.empty() ? " Always an error." : " Policy knob: " + std::string(info.knob) + ".");
    out += "{\"id\":" + JsonString(SarifRuleId(info.code)) + ",\"name\":" + JsonString(info.id) +
           ",\"shortDescription\":{\"text\":" + JsonString(info.summary) +
           "},\"fullDescription\":{\"text\":" + JsonString(info.explanation) +
           "},\"help\":{\"text\":" + JsonString(help) + "}}";
  }
  out += "]}},\"properties\":{\"policy\":" + JsonString(policy.name) + "},\"results\":[";
  bool first = true;
  std::string notifications;
  bool all_read = true;
  for (const FileResult& r : results) {
    const std::string location =
        "{\"physicalLocation\":{\"artifactLocation\":{\"uri\":" + JsonString(UriEncodePath(r.path)) +
        "}";
    if (!r.io_ok) {
      all_read = false;
      notifications += std::string(notifications.empty() ? "" : ",") +
                       "{\"level\":\"error\",\"message\":{\"text\":" +
                       JsonString("cannot read: " + r.io_error) + "},\"locations\":[" + location +
                       "}}]}";
      continue;
    }
    for (const Finding& f : r.report.findings) {
      size_t rule_index = 0;
      while (rule_index < codes.size() && codes[rule_index].code != f.code) ++rule_index;
      std::string text = f.message;
      if (f.tensor) text += " (tensor \"" + *f.tensor + "\")";
      out += first ? "\n" : ",\n";
      first = false;
      out += "{\"ruleId\":" + JsonString(SarifRuleId(f.code)) +
             ",\"ruleIndex\":" + std::to_string(rule_index) + ",\"level\":\"" +
             SarifLevel(f.severity) + "\",\"message\":{\"text\":" + JsonString(text) +
             "},\"locations\":[" + location + ",\"region\":{\"byteOffset\":" +
             std::to_string(f.offset) + ",\"byteLength\":1}}}]}";
    }
  }
  out += "]";
  // With --deep: each file's length and SHA-256, as SARIF artifacts.
  std::string artifacts;
  for (const FileResult& r : results) {
    if (!r.io_ok || !r.report.content) continue;
    artifacts += std::string(artifacts.empty() ? "" : ",") + "{\"location\":{\"uri\":" +
                 JsonString(UriEncodePath(r.path)) + "},\"length\":" +
                 std::to_string(r.report.file_size) + ",\"hashes\":{\"sha-256\":\"" +
                 DigestHex(r.report.content->file_sha256) + "\"}}";
  }
  if (!artifacts.empty()) out += ",\"artifacts\":[" + artifacts + "]";
  out += ",\"invocations\":[{\"executionSuccessful\":" + std::string(all_read ? "true" : "false") +
         ",\"toolExecutionNotifications\":[" + notifications + "]}]}]}\n";
  return out;
}

}  // namespace stguard::cli
