#include "render.h"

#include <openssl/evp.h>

#include <cstdint>
#include <map>
#include <span>
#include <sstream>

#include "stguard/validate.h"
#include "utf8.h"

namespace stguard::cli {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// Characters that reorder the text around them without being seen (Unicode
// bidi controls: the "Trojan Source" trick), so a name shown in a terminal
// can read as something else.
bool IsBidiControl(uint32_t code) {
  return code == 0x061C || code == 0x200E || code == 0x200F || (code >= 0x202A && code <= 0x202E) ||
         (code >= 0x2066 && code <= 0x2069);
}

// "\u{202e}": lower-case hex, at least 4 digits.
void AppendCodePointEscape(std::string& out, uint32_t code) {
  out += "\\u{";
  for (int shift = code > 0xFFFF ? 20 : 12; shift >= 0; shift -= 4) out += kHex[code >> shift & 15];
  out += '}';
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

std::string Plural(size_t n, const char* word, const char* words) {
  return std::to_string(n) + " " + (n == 1 ? word : words);
}

// The validator named the file's format instead of reading it as
// safetensors (validate.h, identify_foreign_formats): its one finding.
bool IsNamedForeignFormat(const Report& report) {
  return report.findings.size() == 1 && (report.findings[0].code == Code::kForeignFormat ||
                                         report.findings[0].code == Code::kPickleFormat);
}

}  // namespace

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
    if (length > 1 && IsBidiControl(Utf8CodePoint(bytes, i, length))) {
      AppendCodePointEscape(out, Utf8CodePoint(bytes, i, length));
      i += length;
      continue;
    }
    out.append(bytes.substr(i, length));
    i += length;
  }
  return out;
}

std::string SarifRuleId(Code code) { return "ST" + std::to_string(static_cast<unsigned>(code)); }

std::string_view FamilyName(Family family) {
  switch (family) {
    case Family::kBadInput:
      return "bad input";
    case Family::kOverLimit:
      return "over a limit";
    case Family::kValidatorLimit:
      return "validator limit or bug";
  }
  return "bad input";
}

std::string ExplainText(const CodeInfo& info) {
  std::string out = std::to_string(static_cast<unsigned>(info.code));
  out += ' ';
  out += info.id;
  out += "\n  ";
  out += info.summary;
  out += "\n  family: ";
  out += FamilyName(info.family);
  out += "\n  why: ";
  out += info.explanation;
  if (info.knob.empty()) {
    out += "\n  policy: always an error (no policy accepts it)\n";
  } else {
    out += "\n  policy knob: ";
    out += info.knob;
    out += '\n';
  }
  return out;
}

std::string_view SarifSecuritySeverity(Code code) {
  switch (code) {
    // Pickle: loading it runs code.
    case Code::kPickleUnsafeImport:
      return "9.8";
    case Code::kPickleFormat:
    case Code::kPickleCheckpoint:
      return "9.3";
    case Code::kPickleUnverified:
      return "9.0";
    // Where two loaders read one file differently, or a reader runs past
    // what it was given: parser differentials, overflows, escapes.
    case Code::kShardNameUnsafe:
    case Code::kSymlinkOutsideRoot:
      return "8.5";
    case Code::kDuplicateField:
    case Code::kDuplicateTensorName:
    case Code::kDuplicateMetadataKey:
    case Code::kDuplicateMetadataBlock:
    case Code::kIndexDuplicateKey:
    case Code::kTensorInTwoShards:
    case Code::kShapeOverflow:
    case Code::kIntegerTooLarge:
    case Code::kJsonNumberOverflow:
    case Code::kTensorPastEnd:
    case Code::kHeaderPastEof:
    case Code::kDataOverlap:
      return "8.0";
    case Code::kHeaderInvalidUtf8:
    case Code::kHeaderBom:
    case Code::kHeaderLeadingWhitespace:
    case Code::kHeaderTrailingContent:
    case Code::kHeaderPaddingNotSpaces:
    case Code::kJsonInvalidString:
    case Code::kJsonTooDeep:
    case Code::kHeaderTooLarge:
    case Code::kTensorNamePathLike:
    case Code::kTensorNameControlChar:
    case Code::kMetadataControlChar:
    case Code::kShardRejected:
      return "7.0";
    // Layout and schema: a broken or ambiguous file, not a known exploit.
    case Code::kOffsetsReversed:
    case Code::kTensorSizeMismatch:
    case Code::kDataTrailingBytes:
    case Code::kDataGap:
    case Code::kJsonSyntax:
    case Code::kTopLevelNotObject:
    case Code::kMetadataNotObject:
    case Code::kMetadataValueNotString:
    case Code::kMetadataNull:
    case Code::kTensorEntryInvalid:
    case Code::kTensorEntryArrayForm:
    case Code::kFieldMissing:
    case Code::kFieldUnknown:
    case Code::kFieldWrongType:
    case Code::kDtypeObjectForm:
    case Code::kIntegerExpected:
    case Code::kDtypeUnknown:
    case Code::kSubByteNotWholeBytes:
    case Code::kFileTooShort:
    case Code::kIndexInvalid:
    case Code::kIndexSchema:
    case Code::kShardMissing:
    case Code::kIndexTensorMissing:
    case Code::kShardTensorUnlisted:
      return "5.5";
    // Limits a policy sets (resource exhaustion), names and formats a
    // policy may allow.
    case Code::kTooManyTensors:
    case Code::kRankTooLarge:
    case Code::kTooManyMetadataEntries:
    case Code::kMetadataValueTooLong:
    case Code::kTensorNameTooLong:
    case Code::kTensorNameEmpty:
    case Code::kDtypeNotAllowed:
    case Code::kForeignFormat:
    case Code::kOtherWeightFormat:
    case Code::kIndexTotalMismatch:
    case Code::kZeroSizeTensorInside:
      return "4.0";
    // Style and content warnings: not a way into the loader.
    case Code::kHeaderLengthUnaligned:
    case Code::kTensorOffsetUnaligned:
    case Code::kNonFiniteValues:
    case Code::kBoolInvalidValues:
      return "2.0";
    // Our own limits or bugs: no statement about the file.
    case Code::kFindingsTruncated:
    case Code::kResourceExhausted:
    case Code::kInternalError:
    case Code::kCheckpointFanOut:
      return "1.0";
  }
  return "5.0";
}

uint64_t SarifRegionLength(const Finding& finding, uint64_t file_size) {
  const uint64_t left = file_size > finding.offset ? file_size - finding.offset : 0;
  switch (finding.code) {
    case Code::kHeaderTooLarge:
    case Code::kHeaderPastEof:
    case Code::kHeaderLengthUnaligned:
      return std::min<uint64_t>(8, left);  // the length prefix
    case Code::kFileTooShort:
    case Code::kDataTrailingBytes:
      return left;  // the whole (short) file; the bytes no tensor covers
    default:
      return std::min<uint64_t>(1, left);
  }
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
  std::string what;
  switch (result.role) {
    case FileRole::kIndex:
      what = Plural(report.tensor_count, "entry", "entries") + " in " +
             Plural(result.index_shards, "shard") + ", index " +
             std::to_string(report.file_size) + " bytes";
      break;
    case FileRole::kModelFile:
      what = "model file, " + std::to_string(report.file_size) + " bytes";
      break;
    case FileRole::kSafetensors:
    case FileRole::kShard:
      if (IsNamedForeignFormat(report)) {
        // Its prefix and header are another format's bytes: no tensor or
        // header figure means anything; the finding says what it is.
        what = "not safetensors, file " + std::to_string(report.file_size) + " bytes";
        break;
      }
      what = Plural(report.tensor_count, "tensor") + ", header " +
             std::to_string(report.header_bytes) + " bytes, file " +
             std::to_string(report.file_size) + " bytes";
      if (result.role == FileRole::kShard) what += "; shard of " + TerminalSafe(result.index);
      break;
  }
  out += std::string(color ? (accepted ? "\033[32m" : "\033[31m") : "") +
         (accepted ? "ACCEPT" : "REJECT") + reset + " (" + Plural(counts.errors, "error") +
         ", " + Plural(counts.warnings, "warning") + "; " + what + ")\n";
  if (!result.also_at.empty()) {
    // The other names of one file judged once: a few, then a count.
    constexpr size_t kShown = 3;
    out += "  also at";
    for (size_t i = 0; i < result.also_at.size() && i < kShown; ++i) {
      out += (i == 0 ? " " : ", ") + TerminalSafe(result.also_at[i]);
    }
    if (result.also_at.size() > kShown) {
      out += " and " + std::to_string(result.also_at.size() - kShown) + " more";
    }
    out += "\n";
  }
  for (const Finding& f : report.findings) {
    const CodeInfo& info = stguard::Info(f.code);
    out += "  ";
    out += color ? SeverityColor(f.severity) : "";
    std::string severity(SeverityName(f.severity));
    severity.resize(7, ' ');
    out += severity;
    out += reset;
    // Appended piece by piece: `"literal" + std::string&&` inserts at the
    // front of the temporary, which GCC 12 at -O3 misreads as an
    // overlapping memcpy (-Wrestrict, GCC bug 105329).
    out += ' ';
    out += std::to_string(static_cast<unsigned>(f.code));
    out += ' ';
    out += info.id;
    out += " at byte ";
    out += std::to_string(f.offset);
    if (f.tensor) {
      out += " tensor \"";
      out += TerminalSafe(*f.tensor);
      out += '"';
    }
    out += ": ";
    out += TerminalSafe(f.message);
    out += '\n';
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
                              bool color, const ScanSummary* summary) {
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
  std::string out = std::string(bold) + Plural(results.size(), "file") + " checked with policy " +
                    TerminalSafe(policy.name) + ": " + std::to_string(accepted) + " accepted, " +
                    std::to_string(rejected) + " rejected, " + std::to_string(unreadable) +
                    " unreadable";
  if (summary != nullptr && summary->skipped_total() > 0) {
    out += "; " + std::to_string(summary->skipped_total()) + " skipped (";
    bool first = true;
    for (size_t i = 0; i < kSkipReasonCount; ++i) {
      if (summary->skipped[i] == 0) continue;
      out += (first ? "" : ", ") + std::to_string(summary->skipped[i]) + " " +
             std::string(SkipReasonText(static_cast<SkipReason>(i)));
      first = false;
    }
    out += ")";
  }
  return out + reset + "\n";
}

namespace {

void WriteFileObject(std::ostream& out, const FileResult& r) {
  out << "{\"path\":";
  WriteJsonString(out, r.path);
  if (!r.io_ok) {
    out << ",\"error\":";
    WriteJsonString(out, r.io_error);
    out << '}';
    return;
  }
  const Report& report = r.report;
  out << ",\"role\":\"" << FileRoleName(r.role) << '"';
  if (r.role == FileRole::kShard) {
    out << ",\"index\":";
    WriteJsonString(out, r.index);
  }
  if (r.role == FileRole::kIndex) out << ",\"shards\":" << r.index_shards;
  if (!r.also_at.empty()) {
    out << ",\"also_at\":[";
    for (size_t i = 0; i < r.also_at.size(); ++i) {
      if (i > 0) out << ',';
      WriteJsonString(out, r.also_at[i]);
    }
    out << ']';
  }
  if (r.fetched_bytes) out << ",\"fetched_bytes\":" << *r.fetched_bytes;
  out << ",\"verdict\":\"" << VerdictName(report.verdict) << "\",\"file_size\":" << report.file_size
      << ",\"header_bytes\":" << report.header_bytes << ",\"tensor_count\":" << report.tensor_count
      << ",\"findings\":[";
  bool first = true;
  for (const Finding& f : report.findings) {
    out << (first ? "" : ",") << "{\"code\":" << static_cast<unsigned>(f.code) << ",\"id\":\""
        << stguard::Info(f.code).id << "\",\"severity\":\"" << SeverityName(f.severity)
        << "\",\"offset\":" << f.offset << ",\"tensor\":";
    first = false;
    if (f.tensor) {
      WriteJsonString(out, *f.tensor);
    } else {
      out << "null";
    }
    out << ",\"message\":";
    WriteJsonString(out, f.message);
    out << '}';
  }
  out << ']';
  if (report.content) {
    const ContentScan& content = *report.content;
    out << ",\"content\":{\"sha256\":\"" << DigestHex(content.file_sha256)
        << "\",\"tensors_scanned\":" << (content.tensors_scanned ? "true" : "false")
        << ",\"tensors\":[";
    first = true;
    for (const TensorContent& t : content.tensors) {
      out << (first ? "" : ",") << "{\"name\":";
      first = false;
      WriteJsonString(out, t.name);
      out << ",\"dtype\":\"" << DtypeName(t.dtype) << "\",\"data_offsets\":[" << t.data_begin
          << ',' << t.data_end << "],\"sha256\":\"" << DigestHex(t.sha256)
          << "\",\"nan\":" << t.nan_count << ",\"inf\":" << t.inf_count
          << ",\"invalid_bool\":" << t.invalid_bool_count << '}';
    }
    out << "]}";
  }
  out << '}';
}

}  // namespace

void RenderJson(std::ostream& out, const std::vector<FileResult>& results, const Policy& policy,
                const ScanSummary* summary) {
  out << "{\"tool\":{\"name\":\"stguard\",\"version\":";
  WriteJsonString(out, Version());
  out << "},\"policy\":";
  WriteJsonString(out, policy.name);
  out << ",\"files\":[";
  // Readable files, then the unreadable ones under "errors".
  for (const bool readable : {true, false}) {
    if (!readable) out << "],\"errors\":[";
    bool first = true;
    for (const FileResult& r : results) {
      if (r.io_ok != readable) continue;
      out << (first ? "\n" : ",\n");
      first = false;
      WriteFileObject(out, r);
    }
  }
  out << "]";
  if (summary != nullptr) {
    out << ",\"skipped\":{";
    for (size_t i = 0; i < kSkipReasonCount; ++i) {
      out << (i == 0 ? "\"" : ",\"") << SkipReasonId(static_cast<SkipReason>(i))
          << "\":" << summary->skipped[i];
    }
    out << '}';
  }
  out << "}\n";
}

void RenderJsonLine(std::ostream& out, const FileResult& result) {
  WriteFileObject(out, result);
  out << '\n';
}

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

std::string FileUri(const std::filesystem::path& absolute) {
  return "file://" + UriEncodePath(absolute.generic_string());
}

SarifUri SarifUriFor(std::string_view path, const std::filesystem::path& root,
                     const std::filesystem::path& cwd) {
  if (path == "-") return {"file:///dev/stdin", false};
  // A remote check's file: its URL (percent-encoded when it was built).
  if (path.starts_with("https://") || path.starts_with("http://")) return {std::string(path), false};
  const std::filesystem::path given(path);
  const std::filesystem::path absolute =
      (given.is_absolute() ? given : cwd / given).lexically_normal();
  const std::filesystem::path relative = absolute.lexically_relative(root);
  const std::string rel = relative.generic_string();
  const bool inside = !relative.empty() && rel != "." && rel != ".." && !rel.starts_with("../");
  if (!inside) return {FileUri(absolute), false};
  return {UriEncodePath(rel), true};
}

std::string SarifFingerprint(std::string_view rule_id, std::string_view uri,
                             const std::optional<std::string>& tensor, size_t occurrence) {
  std::string text(rule_id);
  text += '\0';
  text += uri;
  text += '\0';
  text += tensor ? "t:" + *tensor : std::string("-");
  text += '\0';
  text += std::to_string(occurrence);
  Sha256Digest digest{};
  unsigned int length = 0;
  EVP_Digest(text.data(), text.size(), digest.data(), &length, EVP_sha256(), nullptr);
  return DigestHex(digest);
}

namespace {

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

void WriteArtifactLocation(std::ostream& out, const SarifUri& uri) {
  out << "{\"uri\":";
  WriteJsonString(out, uri.uri);
  if (uri.under_root) out << ",\"uriBaseId\":\"%SRCROOT%\"";
  out << '}';
}

void WriteSarifLocation(std::ostream& out, const SarifUri& uri) {
  out << "{\"physicalLocation\":{\"artifactLocation\":";
  WriteArtifactLocation(out, uri);
}

}  // namespace

void RenderSarif(std::ostream& out, const std::vector<FileResult>& results, const Policy& policy,
                 const std::filesystem::path& sarif_root) {
  const std::filesystem::path cwd = std::filesystem::current_path();
  const std::filesystem::path root =
      (sarif_root.empty() ? cwd : sarif_root.is_absolute() ? sarif_root : cwd / sarif_root)
          .lexically_normal();
  std::string root_uri = FileUri(root);
  if (!root_uri.ends_with('/')) root_uri += '/';
  // One rule per code, in AllCodes() order, so ruleIndex is the position.
  const std::span<const CodeInfo> codes = AllCodes();
  out << "{\"$schema\":\"https://json.schemastore.org/sarif-2.1.0.json\",\"version\":\"2.1.0\","
         "\"runs\":[{\"tool\":{\"driver\":{\"name\":\"stguard\",\"version\":";
  WriteJsonString(out, Version());
  out << ",\"semanticVersion\":";
  WriteJsonString(out, Version());
  out << ",\"rules\":[";
  for (size_t i = 0; i < codes.size(); ++i) {
    const CodeInfo& info = codes[i];
    out << (i == 0 ? "\n" : ",\n") << "{\"id\":\"" << SarifRuleId(info.code) << "\",\"name\":";
    WriteJsonString(out, info.id);
    out << ",\"shortDescription\":{\"text\":";
    WriteJsonString(out, info.summary);
    out << "},\"fullDescription\":{\"text\":";
    WriteJsonString(out, info.explanation);
    // The help is what `stguard explain CODE` prints.
    out << "},\"help\":{\"text\":";
    WriteJsonString(out, ExplainText(info));
    out << "},\"properties\":{\"security-severity\":\"" << SarifSecuritySeverity(info.code)
        << "\",\"tags\":[\"security\",";
    WriteJsonString(out, FamilyName(info.family));
    out << "]}}";
  }
  out << "]}},\"originalUriBaseIds\":{\"%SRCROOT%\":{\"uri\":";
  WriteJsonString(out, root_uri);
  out << "}},\"properties\":{\"policy\":";
  WriteJsonString(out, policy.name);
  out << "},\"results\":[";
  bool first = true;
  // How many results came before with the same rule, file and tensor: the
  // fingerprint tells them apart without the byte offset, which moves when
  // anything before it in the header changes.
  std::map<std::string, size_t> seen;
  for (const FileResult& r : results) {
    if (!r.io_ok) continue;
    const SarifUri uri = SarifUriFor(r.path, root, cwd);
    for (const Finding& f : r.report.findings) {
      size_t rule_index = 0;
      while (rule_index < codes.size() && codes[rule_index].code != f.code) ++rule_index;
      const std::string rule_id = SarifRuleId(f.code);
      std::string key = rule_id;
      key += '\0';
      key += uri.uri;
      key += '\0';
      key += f.tensor ? "t:" + *f.tensor : std::string("-");
      const size_t occurrence = seen[key]++;
      out << (first ? "\n" : ",\n") << "{\"ruleId\":\"" << rule_id
          << "\",\"ruleIndex\":" << rule_index << ",\"level\":\"" << SarifLevel(f.severity)
          << "\",\"message\":{\"text\":";
      first = false;
      WriteJsonString(out, f.tensor ? f.message + " (tensor \"" + *f.tensor + "\")" : f.message);
      out << "},\"locations\":[";
      WriteSarifLocation(out, uri);
      out << ",\"region\":{\"byteOffset\":" << f.offset
          << ",\"byteLength\":" << SarifRegionLength(f, r.report.file_size) << "}}}]"
          << ",\"partialFingerprints\":{\"stguard/v1\":\""
          << SarifFingerprint(rule_id, uri.uri, f.tensor, occurrence) << "\"}}";
    }
  }
  out << ']';
  // With --deep: each file's length and SHA-256, as SARIF artifacts.
  first = true;
  for (const FileResult& r : results) {
    if (!r.io_ok || !r.report.content) continue;
    out << (first ? ",\"artifacts\":[" : ",") << "{\"location\":";
    first = false;
    WriteArtifactLocation(out, SarifUriFor(r.path, root, cwd));
    out << ",\"length\":" << r.report.file_size << ",\"hashes\":{\"sha-256\":\""
        << DigestHex(r.report.content->file_sha256) << "\"}}";
  }
  if (!first) out << ']';
  bool all_read = true;
  for (const FileResult& r : results) all_read &= r.io_ok;
  out << ",\"invocations\":[{\"executionSuccessful\":" << (all_read ? "true" : "false")
      << ",\"toolExecutionNotifications\":[";
  first = true;
  for (const FileResult& r : results) {
    if (r.io_ok) continue;
    out << (first ? "" : ",") << "{\"level\":\"error\",\"message\":{\"text\":";
    first = false;
    WriteJsonString(out, "cannot read: " + r.io_error);
    out << "},\"locations\":[";
    WriteSarifLocation(out, SarifUriFor(r.path, root, cwd));
    out << "}}]}";
  }
  out << "]}]}]}\n";
}

std::string Rendered::str() const {
  std::ostringstream out;
  write_(out);
  return std::move(out).str();
}

Rendered RenderJson(const std::vector<FileResult>& results, const Policy& policy,
                    const ScanSummary* summary) {
  return Rendered([&results, &policy, summary](std::ostream& out) {
    RenderJson(out, results, policy, summary);
  });
}

Rendered RenderJsonLine(const FileResult& result) {
  return Rendered([&result](std::ostream& out) { RenderJsonLine(out, result); });
}

Rendered RenderSarif(const std::vector<FileResult>& results, const Policy& policy,
                     const std::filesystem::path& sarif_root) {
  return Rendered([&results, &policy, &sarif_root](std::ostream& out) {
    RenderSarif(out, results, policy, sarif_root);
  });
}

}  // namespace stguard::cli
