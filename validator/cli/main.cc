// stguard: validates safetensors files before anything loads them.
//
//   stguard check [--policy NAME|FILE] [--format text|json|jsonl|sarif] [--jobs N] [--deep]
//                 PATH... (- is standard input)
//   stguard verify [--policy NAME|FILE] [--root DIR] MANIFEST
//   stguard explain CODE|ID
//   stguard policy [NAME|FILE]
//   stguard codes
//
// Exit status: 0 every file accepted (verify: every file unchanged), 1 some
// file rejected (or changed), 2 usage or I/O error (a missing or unreadable
// file, a bad policy or manifest).
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "cli_common.h"
#include "render.h"
#include "verify.h"
#include "stguard/scan.h"
#include "stguard/codes.h"
#include "stguard/policy.h"
#include "stguard/validate.h"

namespace stguard::cli {

namespace {

constexpr std::string_view kUsage =
    "usage: stguard check [--policy NAME|FILE] [--format text|json|jsonl|sarif] [--jobs N]\n"
    "                     [--root DIR] [--deep] PATH...\n"
    "       stguard verify [--policy NAME|FILE] [--root DIR] MANIFEST\n"
    "       stguard explain CODE|ID\n"
    "       stguard policy [NAME|FILE]\n"
    "       stguard codes\n"
    "       stguard --help | --version\n";

constexpr std::string_view kHelp =
    "stguard validates safetensors files under a policy before anything loads them.\n"
    "\n"
    "commands:\n"
    "  check PATH...      validate files; a directory is walked: every *.safetensors\n"
    "                     file, each *.safetensors.index.json with all its shards,\n"
    "                     and every other file a loader could open (pickles, *.bin,\n"
    "                     *.pt, *.npy, *.gguf, ...; config and text files are skipped);\n"
    "                     - reads one file from standard input as it streams\n"
    "    --policy P       compat | default | strict, or a policy file (default: default)\n"
    "    --format F       text (default), json (one document), jsonl (a line per\n"
    "                     file, flushed as each finishes) or sarif (SARIF 2.1.0)\n"
    "    --jobs N         check N files in parallel (output stays in input order;\n"
    "                     capped at half the memory / 320 MiB)\n"
    "    --root DIR       where symlinks and shard names may lead (default: the\n"
    "                     directory or index's directory; a Hub cache repository)\n"
    "    --deep           also read the data: SHA-256 of each file and tensor (in the\n"
    "                     JSON report: a manifest for 'verify'), NaN/Inf and BOOL\n"
    "                     values checked under the policy\n"
    "  verify MANIFEST    re-check the files of a 'check --deep --format json' report\n"
    "                     (a regular file, at most 256 MiB) and compare every file\n"
    "                     and tensor hash; a file outside the root (after symlinks)\n"
    "                     is refused, an error\n"
    "    --root DIR       where the files must be and relative paths start from\n"
    "                     (default: the manifest's directory)\n"
    "  explain CODE|ID    what a finding code means, e.g. 'explain 311' or\n"
    "                     'explain duplicate-tensor-name'\n"
    "  policy [P]         print a policy's every knob as JSON (default: default)\n"
    "  codes              list every finding code (Markdown)\n"
    "\n"
    "exit status: 0 all files accepted, 1 a file was rejected, 2 usage or I/O error\n"
    "(missing or unreadable file, bad policy). Without --deep only the 8-byte prefix\n"
    "and the header of a file are read; the data section is checked by size.\n";

}  // namespace

int Usage(const std::string& problem) {
  std::cerr << "stguard: " << problem << "\n" << kUsage;
  return kExitUsage;
}

namespace {

// "-": one file read from standard input, as it streams.
constexpr std::string_view kStdinPath = "-";

bool UseColor() {
  const char* no_color = std::getenv("NO_COLOR");
  return ::isatty(STDOUT_FILENO) == 1 && (no_color == nullptr || *no_color == '\0');
}

// "checked 120 files" on standard error, redrawn in place (the total is not
// known before the walk's files are all judged).
void DrawProgress(size_t done) { std::cerr << "\rchecked " << done << " files" << std::flush; }

void ClearProgress() { std::cerr << "\r\033[K" << std::flush; }

int RunCheck(const std::vector<std::string>& args) {
  std::string policy_name = "default";
  std::string format = "text";
  std::string jobs_text = "1";
  std::vector<std::string> paths;
  ScanOptions options;
  bool options_done = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (!options_done && a == "--deep") {
      options.validate.deep_scan = true;
    } else if (!options_done && (a == "--policy" || a == "--format" || a == "--jobs" ||
                                 a == "-j" || a == "--root")) {
      if (i + 1 >= args.size()) return Usage(a + " needs a value");
      std::string& target = a == "--policy"   ? policy_name
                            : a == "--format" ? format
                            : a == "--root"   ? options.root
                                              : jobs_text;
      target = args[++i];
    } else if (!options_done && a.rfind("--policy=", 0) == 0) {
      policy_name = a.substr(9);
    } else if (!options_done && a.rfind("--format=", 0) == 0) {
      format = a.substr(9);
    } else if (!options_done && a.rfind("--jobs=", 0) == 0) {
      jobs_text = a.substr(7);
    } else if (!options_done && a.rfind("--root=", 0) == 0) {
      options.root = a.substr(7);
    } else if (!options_done && a == "--") {
      options_done = true;
    } else if (!options_done && a.size() > 1 && a[0] == '-') {
      return Usage("unknown option " + a);
    } else {
      paths.push_back(a);
    }
  }
  if (format != "text" && format != "json" && format != "jsonl" && format != "sarif") {
    return Usage("--format must be text, json, jsonl or sarif");
  }
  {
    unsigned jobs = 0;
    const auto [end, ec] = std::from_chars(jobs_text.data(), jobs_text.data() + jobs_text.size(), jobs);
    if (ec != std::errc() || end != jobs_text.data() + jobs_text.size() || jobs < 1 || jobs > 256) {
      return Usage("--jobs must be an integer from 1 to 256");
    }
    options.jobs = jobs;
  }
  if (paths.empty()) return Usage("check needs at least one PATH");
  if (std::count(paths.begin(), paths.end(), std::string(kStdinPath)) > 1) {
    return Usage("standard input (-) can be read only once");
  }
  if (!options.root.empty() && !std::filesystem::is_directory(options.root)) {
    return Usage("--root must name a directory");
  }
  PolicyLoadResult loaded = ResolvePolicy(policy_name);
  if (!loaded.policy) {
    std::cerr << "stguard: bad policy: " << loaded.error << "\n";
    return kExitUsage;
  }
  const Policy& policy = *loaded.policy;

  const bool streaming = format == "text" || format == "jsonl";
  const bool color = format == "text" && UseColor();
  const bool progress = ::isatty(STDERR_FILENO) == 1;
  std::vector<FileResult> results;
  size_t shown = 0;
  auto emit = [&](FileResult&& r) {
    if (streaming) {
      if (progress && shown > 0) ClearProgress();
      if (format == "text") std::cout << RenderText(r, color);
      if (format == "jsonl") std::cout << RenderJsonLine(r);
      std::cout.flush();
    }
    ++shown;
    if (progress && shown >= 20) DrawProgress(shown);
    if (streaming) {
      // Written already: the summary needs only the verdict, so a scan of
      // many files (with --deep, each with a hash per tensor) keeps no
      // report but the one being written.
      FileResult kept;
      kept.io_ok = r.io_ok;
      kept.report.verdict = r.report.verdict;
      results.push_back(std::move(kept));
      return;
    }
    results.push_back(std::move(r));
  };
  std::vector<std::string> file_paths;
  for (const std::string& path : paths) {
    if (path == kStdinPath) {
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
  const ScanSummary summary =
      ScanPaths(file_paths, policy, options, [&](ScannedFile&& f) { emit(std::move(f)); });
  if (progress && shown >= 20) ClearProgress();
  if (format == "json") std::cout << RenderJson(results, policy, &summary);
  if (format == "sarif") std::cout << RenderSarif(results, policy);
  if (format == "text") std::cout << RenderTextSummary(results, policy, color, &summary);
  std::cout.flush();

  bool any_io_error = false, any_rejected = false;
  for (const FileResult& r : results) {
    if (!r.io_ok) any_io_error = true;
    if (r.io_ok && r.report.verdict == Verdict::kReject) any_rejected = true;
  }
  if (results.empty()) {
    std::cerr << "stguard: no model files found (" << summary.skipped_total()
              << " files skipped)\n";
    return kExitUsage;
  }
  if (any_io_error) return kExitUsage;
  return any_rejected ? kExitRejected : kExitAccepted;
}

int RunExplain(const std::vector<std::string>& args) {
  if (args.size() != 1) return Usage("explain takes one CODE or ID");
  const std::optional<Code> code = ParseCode(args[0]);
  if (!code) {
    std::cerr << "stguard: unknown code '" << TerminalSafe(args[0])
              << "'; codes are listed in docs/codes.md\n";
    return kExitUsage;
  }
  const CodeInfo& info = Info(*code);
  static constexpr const char* kFamilies[] = {"bad input", "over a limit",
                                              "validator limit or bug"};
  std::cout << static_cast<unsigned>(info.code) << " " << info.id << "\n"
            << "  " << info.summary << "\n"
            << "  family: " << kFamilies[static_cast<int>(info.family)] << "\n"
            << "  why: " << info.explanation << "\n";
  if (info.knob.empty()) {
    std::cout << "  policy: always an error (no policy accepts it)\n";
  } else {
    std::cout << "  policy knob: " << info.knob << "\n";
  }
  return kExitAccepted;
}

// Every code as a Markdown table: docs/codes.md is this output (a test
// keeps the two equal).
int RunCodes(const std::vector<std::string>& args) {
  if (!args.empty()) return Usage("codes takes no arguments");
  static constexpr const char* kFamilies[] = {"bad input", "over a limit",
                                              "validator limit or bug"};
  std::cout << "# Finding codes\n\n"
               "Generated by `stguard codes`; do not edit by hand. Numbers and ids are "
               "stable.\n`stguard explain CODE` prints one entry.\n\n"
               "| code | id | family | policy knob | meaning |\n|---|---|---|---|---|\n";
  for (const CodeInfo& info : AllCodes()) {
    std::cout << "| " << static_cast<unsigned>(info.code) << " | `" << info.id << "` | "
              << kFamilies[static_cast<int>(info.family)] << " | "
              << (info.knob.empty() ? std::string("always an error")
                                    : "`" + std::string(info.knob) + "`")
              << " | " << info.summary << ". " << info.explanation << " |\n";
  }
  return kExitAccepted;
}

int RunPolicy(const std::vector<std::string>& args) {
  if (args.size() > 1) return Usage("policy takes at most one NAME or FILE");
  PolicyLoadResult loaded = ResolvePolicy(args.empty() ? "default" : args[0]);
  if (!loaded.policy) {
    std::cerr << "stguard: bad policy: " << loaded.error << "\n";
    return kExitUsage;
  }
  std::cout << PolicyToJson(*loaded.policy);
  return kExitAccepted;
}

int Main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) return Usage("missing command");
  const std::string command = args.front();
  args.erase(args.begin());
  if (command == "--help" || command == "-h" || command == "help") {
    std::cout << kUsage << "\n" << kHelp;
    return kExitAccepted;
  }
  if (command == "--version") {
    std::cout << "stguard " << Version() << "\n";
    return kExitAccepted;
  }
  if (command == "check") return RunCheck(args);
  if (command == "verify") return RunVerify(args);
  if (command == "explain") return RunExplain(args);
  if (command == "policy") return RunPolicy(args);
  if (command == "codes") return RunCodes(args);
  return Usage("unknown command '" + command + "'");
}

}  // namespace
}  // namespace stguard::cli

int main(int argc, char** argv) {
  try {
    return stguard::cli::Main(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "stguard: " << e.what() << "\n";
    return 2;
  }
}
