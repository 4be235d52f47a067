// Renders check results as text (for people) or JSON, JSON Lines and SARIF
// (for machines). The JSON shape is documented in docs/report-format.md and
// docs/report.schema.json.
//
// The machine formats are written to a stream as they are produced: a
// report can be several times a header of up to 100 MB (a deep report lists
// every tensor's name), so it is never built whole in memory.
#ifndef STGUARD_CLI_RENDER_H_
#define STGUARD_CLI_RENDER_H_

#include <filesystem>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "json_string.h"
#include "stguard/codes.h"
#include "stguard/policy.h"
#include "stguard/report.h"
#include "stguard/scan.h"

namespace stguard::cli {

// One judged file: what the repository scanner emits (stguard/scan.h), or
// standard input (role kSafetensors).
using FileResult = ScannedFile;

// One-line, terminal-safe text: control characters (C0, DEL, C1) and
// invalid UTF-8 shown as \xNN, and the invisible characters that reorder
// text (bidi controls U+061C, U+200E, U+200F, U+202A..U+202E,
// U+2066..U+2069) as \u{202e}, so a hostile name can neither drive the
// terminal nor make a line read as something it is not.
std::string TerminalSafe(std::string_view bytes);

// A code's SARIF rule id: "ST" and its number ("ST311").
std::string SarifRuleId(Code code);

// "bad input", "over a limit", "validator limit or bug".
std::string_view FamilyName(Family family);
// What `stguard explain CODE` prints (several lines, each ending in '\n');
// also the help of the code's SARIF rule.
std::string ExplainText(const CodeInfo& info);
// GitHub code scanning's security-severity of a code's rule, "0.0".."10.0"
// (the mapping is in docs/report-format.md).
std::string_view SarifSecuritySeverity(Code code);

// A path as a URI reference (RFC 3986): unreserved characters and '/' kept,
// every other byte (space, '%', '#', bytes that are not UTF-8) as %XX.
std::string UriEncodePath(std::string_view path);
// Where a SARIF result points: `path` (relative paths start from `cwd`)
// relative to `root` (absolute, normal) as a relative URI to be read
// against %SRCROOT%, or, outside the root, an absolute file:// URI; "-"
// (standard input) is file:///dev/stdin; an http(s):// URL (a remote
// check) is itself.
struct SarifUri {
  std::string uri;
  bool under_root = false;  // uriBaseId %SRCROOT%
};
SarifUri SarifUriFor(std::string_view path, const std::filesystem::path& root,
                     const std::filesystem::path& cwd);
// A SARIF result's region length: the bytes the finding is about where its
// code fixes them (the 8-byte prefix for 102, 103 and 110; from the offset
// to the end of the file for 101 and 604), else the byte at the offset
// (the library reports where a claim is made); never past the file's end.
uint64_t SarifRegionLength(const Finding& finding, uint64_t file_size);
// partialFingerprints["stguard/v1"]: hex SHA-256 of the rule id, the URI,
// the tensor name and the result's place among those sharing all three.
std::string SarifFingerprint(std::string_view rule_id, std::string_view uri,
                             const std::optional<std::string>& tensor, size_t occurrence);

std::string RenderText(const FileResult& result, bool color);
// The last line(s): counts of the verdicts, and of what the scan skipped
// and why (`summary` may be null: nothing was walked).
std::string RenderTextSummary(const std::vector<FileResult>& results, const Policy& policy,
                              bool color, const ScanSummary* summary = nullptr);

// --format json: one document for all files (with `summary`, what the
// scan skipped, by reason).
void RenderJson(std::ostream& out, const std::vector<FileResult>& results, const Policy& policy,
                const ScanSummary* summary = nullptr);
// --format jsonl: one line per file, the same object as in "files" (or, for
// a file that could not be read, {"path", "error"}).
void RenderJsonLine(std::ostream& out, const FileResult& result);
// --format sarif: SARIF 2.1.0, a rule per code, a result per finding located
// by file URI and byte offset; unreadable files become tool notifications.
// URIs are relative to `sarif_root` (default and when relative: from the
// current directory), the run's %SRCROOT%.
void RenderSarif(std::ostream& out, const std::vector<FileResult>& results, const Policy& policy,
                 const std::filesystem::path& sarif_root = {});

// A rendering not yet written: `out << RenderJson(results, policy)` writes
// it piece by piece into `out`; str() builds it as one string (for tests).
// It refers to the arguments it was made from: use it in the same
// statement.
class Rendered {
 public:
  explicit Rendered(std::function<void(std::ostream&)> write) : write_(std::move(write)) {}
  std::string str() const;
  friend std::ostream& operator<<(std::ostream& out, const Rendered& rendered) {
    rendered.write_(out);
    return out;
  }

 private:
  std::function<void(std::ostream&)> write_;
};

Rendered RenderJson(const std::vector<FileResult>& results, const Policy& policy,
                    const ScanSummary* summary = nullptr);
Rendered RenderJsonLine(const FileResult& result);
Rendered RenderSarif(const std::vector<FileResult>& results, const Policy& policy,
                     const std::filesystem::path& sarif_root = {});

}  // namespace stguard::cli

#endif  // STGUARD_CLI_RENDER_H_
