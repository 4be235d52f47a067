#include "check_command.h"

#include <fnmatch.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>

#include "cli_common.h"
#include "render.h"
#include "report_file.h"
#include "stguard/scan.h"
#include "stguard/validate.h"
#ifdef STGUARD_REMOTE
#include "remote_check.h"
#endif

namespace stguard::cli {
namespace {

// "-": one file read from standard input, as it streams.
constexpr std::string_view kStdinPath = "-";

// --color: auto is on only when the report goes to a terminal and NO_COLOR
// is unset or empty (https://no-color.org).
bool UseColor(const std::string& mode, bool to_stdout) {
  if (mode == "always") return true;
  if (mode == "never") return false;
  const char* no_color = std::getenv("NO_COLOR");
  return to_stdout && ::isatty(STDOUT_FILENO) == 1 && (no_color == nullptr || *no_color == '\0');
}

bool AnyMatches(const std::vector<std::string>& globs, std::string_view relative) {
  const std::string path(relative);
  const size_t slash = path.rfind('/');
  const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  return std::any_of(globs.begin(), globs.end(), [&](const std::string& glob) {
    return ::fnmatch(glob.c_str(), path.c_str(), 0) == 0 ||
           ::fnmatch(glob.c_str(), base.c_str(), 0) == 0;
  });
}

bool HasWarning(const Report& report) {
  return std::any_of(report.findings.begin(), report.findings.end(),
                     [](const Finding& f) { return f.severity == Severity::kWarning; });
}

// "checked 120 files" on standard error, redrawn in place (the total is not
// known before the walk's files are all judged).
void DrawProgress(size_t done) { std::cerr << "\rchecked " << done << " files" << std::flush; }

void ClearProgress() { std::cerr << "\r\033[K" << std::flush; }

int UsageError(const std::string& problem) {
  std::cerr << "stguard check: " << problem << "\nRun 'stguard check --help' for the options.\n";
  return kExitUsage;
}

// A remote check's argument: http://, https:// or hf:// (a local path
// spelled so is written ./http://...).
bool IsRemoteArgument(std::string_view path) {
  return path.starts_with("http://") || path.starts_with("https://") || path.starts_with("hf://");
}

#ifdef STGUARD_REMOTE
// The Hub's endpoint and token as huggingface_hub reads them.
remote::RemoteOptions RemoteOptionsOf(const CheckArgs& args, const ValidateOptions& validate) {
  remote::RemoteOptions options;
  options.validate = validate;
  options.jobs = args.jobs;
  options.http.allow_http = args.allow_http;
  options.http.connect_timeout_seconds = static_cast<long>(args.timeout);
  options.http.stall_timeout_seconds = static_cast<long>(args.timeout);
  if (const char* endpoint = std::getenv("HF_ENDPOINT"); endpoint != nullptr && *endpoint != 0) {
    options.hf_endpoint = endpoint;
    while (options.hf_endpoint.size() > 1 && options.hf_endpoint.back() == '/') {
      options.hf_endpoint.pop_back();
    }
  }
  if (const char* token = std::getenv("HF_TOKEN"); token != nullptr) options.hf_token = token;
  return options;
}
#endif

}  // namespace

bool WalkKeeps(const std::vector<std::string>& include, const std::vector<std::string>& exclude,
               std::string_view relative, bool is_directory) {
  if (AnyMatches(exclude, relative)) return false;
  return is_directory || include.empty() || AnyMatches(include, relative);
}

int RunCheck(const CheckArgs& args) {
  if (args.quiet && args.format != "text") {
    return UsageError("--quiet applies to --format text only");
  }
  if (std::count(args.paths.begin(), args.paths.end(), std::string(kStdinPath)) > 1) {
    return UsageError("standard input (-) can be read only once");
  }
  if (!args.root.empty() && !std::filesystem::is_directory(args.root)) {
    return UsageError("--root must name a directory");
  }
  if (!args.sarif_root.empty() && args.format != "sarif") {
    return UsageError("--sarif-root applies to --format sarif only");
  }
#ifndef STGUARD_REMOTE
  for (const std::string& path : args.paths) {
    if (IsRemoteArgument(path)) {
      std::cerr << "stguard check: " << TerminalSafe(path)
                << ": this stguard was built without remote checks (STGUARD_REMOTE=OFF)\n";
      return kExitUsage;
    }
  }
#endif
  const std::optional<Policy> loaded = LoadPolicyArgument(args.policy);
  if (!loaded) return kExitUsage;
  const Policy& policy = *loaded;

  ReportFile report_file;
  std::ostream* out = &std::cout;
  if (!args.output.empty()) {
    const std::string error = report_file.Open(args.output);
    if (!error.empty()) {
      std::cerr << "stguard: " << TerminalSafe(error) << "\n";
      return kExitUsage;
    }
    out = &report_file.stream();
  }

  ScanOptions options;
  options.validate.deep_scan = args.deep;
  options.jobs = args.jobs;
  options.root = args.root;
  uint64_t excluded = 0;  // entries the globs left out (the walk is one thread)
  const bool globs = !args.include.empty() || !args.exclude.empty();
  // The report's temporary file, when the walk meets it: not a model.
  const std::string temp_name = args.output.empty() ? "" : report_file.temp_name();
  if (globs || !temp_name.empty()) {
    options.walk_filter = [&](std::string_view relative, bool is_directory) {
      if (!temp_name.empty() && !is_directory &&
          relative.substr(relative.rfind('/') + 1) == temp_name) {
        return false;
      }
      const bool keep = WalkKeeps(args.include, args.exclude, relative, is_directory);
      if (!keep) ++excluded;
      return keep;
    };
  }

#ifdef STGUARD_REMOTE
  const remote::RemoteOptions remote_options = RemoteOptionsOf(args, options.validate);
  // The token goes into a header line: a control character or a space in it
  // would start another header.
  if (std::any_of(args.paths.begin(), args.paths.end(), IsRemoteArgument) &&
      std::any_of(remote_options.hf_token.begin(), remote_options.hf_token.end(),
                  [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; })) {
    return UsageError("HF_TOKEN holds a space or a control character");
  }
#endif
  const bool fail_on_warning = args.fail_on == "warning";
  const bool streaming = args.format == "text" || args.format == "jsonl";
  const bool color = args.format == "text" && UseColor(args.color, args.output.empty());
  const bool progress = ::isatty(STDERR_FILENO) == 1;
  bool progress_shown = false;  // the progress line is on the terminal
  std::vector<FileResult> results;
  bool any_io_error = false, any_rejected = false, any_warning = false;
  auto emit = [&](FileResult&& r) {
    const bool warned = r.io_ok && HasWarning(r.report);
    any_io_error |= !r.io_ok;
    any_rejected |= r.io_ok && r.report.verdict == Verdict::kReject;
    any_warning |= warned;
    if (streaming) {
      if (progress_shown) ClearProgress();
      progress_shown = false;
      const bool fails = !r.io_ok || r.report.verdict == Verdict::kReject ||
                         (fail_on_warning && warned);
      if (args.format == "text" && (!args.quiet || fails)) *out << RenderText(r, color);
      if (args.format == "jsonl") *out << RenderJsonLine(r);
      out->flush();
      // Written already: the summary needs only the verdict, so a scan of
      // many files (with --deep, each with a hash per tensor) keeps no
      // report but the one being written.
      FileResult kept;
      kept.io_ok = r.io_ok;
      kept.report.verdict = r.report.verdict;
      results.push_back(std::move(kept));
    } else {
      results.push_back(std::move(r));
    }
    if (progress && results.size() >= 20) {
      DrawProgress(results.size());
      progress_shown = true;
    }
  };
  std::vector<std::string> file_paths, remote_names;
  for (const std::string& path : args.paths) {
    if (IsRemoteArgument(path)) {
      remote_names.push_back(path);
    } else if (path == kStdinPath) {
      FileReport file = ValidateFd(STDIN_FILENO, policy, options.validate);
      FileResult r;
      r.path = path;
      r.io_ok = file.io_ok;
      r.io_error = std::move(file.io_error);
      r.report = std::move(file.report);
      emit(std::move(r));
    } else {
      file_paths.push_back(path);
    }
  }
  ScanSummary summary;
  if (!file_paths.empty() || remote_names.empty()) {
    summary = ScanPaths(file_paths, policy, options, [&](ScannedFile&& f) { emit(std::move(f)); });
  }
#ifdef STGUARD_REMOTE
  if (!remote_names.empty()) {
    const ScanSummary remote = remote::CheckRemote(remote_names, policy, remote_options,
                                                   [&](ScannedFile&& f) { emit(std::move(f)); });
    summary.judged += remote.judged;
    for (size_t i = 0; i < kSkipReasonCount; ++i) summary.skipped[i] += remote.skipped[i];
  }
#endif
  if (progress_shown) ClearProgress();
  if (args.format == "json") *out << RenderJson(results, policy, &summary);
  if (args.format == "sarif") *out << RenderSarif(results, policy, args.sarif_root);
  if (args.format == "text") *out << RenderTextSummary(results, policy, color, &summary);
  out->flush();
  if (!args.output.empty()) {
    const std::string error = report_file.Commit();
    if (!error.empty()) {
      std::cerr << "stguard: " << TerminalSafe(error) << "\n";
      return kExitUsage;
    }
  }

  if (results.empty()) {
    std::cerr << "stguard: nothing to check: no model file found (" << summary.skipped_total()
              << " skipped";
    if (globs) std::cerr << ", " << excluded << " excluded by --include/--exclude";
    std::cerr << ")\n";
    return kExitNothingToCheck;
  }
  if (any_io_error) return kExitUsage;
  if (any_rejected || (fail_on_warning && any_warning)) return kExitRejected;
  return kExitAccepted;
}

}  // namespace stguard::cli
