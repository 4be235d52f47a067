// Renders check results as text (for people) or JSON (for machines). The
// JSON shape is documented in docs/report-format.md and
// docs/report.schema.json.
#ifndef STGUARD_CLI_RENDER_H_
#define STGUARD_CLI_RENDER_H_

#include <string>
#include <string_view>
#include <vector>

#include "stguard/policy.h"
#include "stguard/report.h"

namespace stguard::cli {

struct FileResult {
  std::string path;
  bool io_ok = true;
  std::string io_error;
  Report report;
};

// JSON string literal for arbitrary bytes: control characters escaped,
// invalid UTF-8 bytes replaced by U+FFFD.
std::string JsonString(std::string_view bytes);
// One-line, terminal-safe text: control characters (C0, DEL, C1) and
// invalid UTF-8 shown as \xNN, so a hostile name cannot drive the terminal.
std::string TerminalSafe(std::string_view bytes);

std::string RenderText(const FileResult& result, bool color);
std::string RenderTextSummary(const std::vector<FileResult>& results, const Policy& policy,
                              bool color);
// --format json: one document for all files.
std::string RenderJson(const std::vector<FileResult>& results, const Policy& policy);
// --format jsonl: one line per file, the same object as in "files" (or, for
// a file that could not be read, {"path", "error"}).
std::string RenderJsonLine(const FileResult& result);
// --format sarif: SARIF 2.1.0, a rule per code, a result per finding located
// by file URI and byte offset; unreadable files become tool notifications.
std::string RenderSarif(const std::vector<FileResult>& results, const Policy& policy);

}  // namespace stguard::cli

#endif  // STGUARD_CLI_RENDER_H_
