// stguard: validates safetensors files before anything loads them.
//
//   stguard check [--policy NAME|FILE] [--format text|json] PATH...
//   stguard explain CODE|ID
//   stguard policy [NAME|FILE]
//   stguard codes
//
// Exit status: 0 every file accepted, 1 some file rejected, 2 usage or I/O
// error (a missing or unreadable file, a bad policy).
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "render.h"
#include "stguard/codes.h"
#include "stguard/policy.h"
#include "stguard/validate.h"

namespace stguard::cli {
namespace {

constexpr int kExitAccepted = 0;
constexpr int kExitRejected = 1;
constexpr int kExitUsage = 2;

constexpr std::string_view kUsage =
    "usage: stguard check [--policy NAME|FILE] [--format text|json] PATH...\n"
    "       stguard explain CODE|ID\n"
    "       stguard policy [NAME|FILE]\n"
    "       stguard codes\n"
    "       stguard --help | --version\n";

constexpr std::string_view kHelp =
    "stguard validates safetensors files under a policy before anything loads them.\n"
    "\n"
    "commands:\n"
    "  check PATH...      validate files; a directory is searched for *.safetensors\n"
    "    --policy P       compat | default | strict, or a policy file (default: default)\n"
    "    --format F       text (default) or json\n"
    "  explain CODE|ID    what a finding code means, e.g. 'explain 311' or\n"
    "                     'explain duplicate-tensor-name'\n"
    "  policy [P]         print a policy's every knob as JSON (default: default)\n"
    "  codes              list every finding code (Markdown)\n"
    "\n"
    "exit status: 0 all files accepted, 1 a file was rejected, 2 usage or I/O error\n"
    "(missing or unreadable file, bad policy). Only the 8-byte prefix and the header\n"
    "of a file are read; the data section is checked by size.\n";

// Expands directories into their *.safetensors files (sorted, so output is
// stable). Paths that do not exist stay in the list: validating them reports
// the I/O error.
std::vector<std::string> ExpandPaths(const std::vector<std::string>& args,
                                     std::vector<FileResult>& walk_errors) {
  namespace fs = std::filesystem;
  std::vector<std::string> files;
  for (const std::string& arg : args) {
    std::error_code ec;
    if (!fs::is_directory(arg, ec)) {
      files.push_back(arg);
      continue;
    }
    std::vector<std::string> found;
    fs::recursive_directory_iterator it(arg, fs::directory_options::skip_permission_denied, ec);
    for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      const fs::path& p = it->path();
      std::error_code file_ec;
      if (p.extension() == ".safetensors" && it->is_regular_file(file_ec)) {
        found.push_back(p.string());
      }
    }
    if (ec) {
      FileResult error;
      error.path = arg;
      error.io_ok = false;
      error.io_error = "cannot list directory: " + ec.message();
      walk_errors.push_back(std::move(error));
    }
    std::sort(found.begin(), found.end());
    files.insert(files.end(), found.begin(), found.end());
  }
  return files;
}

bool UseColor() {
  const char* no_color = std::getenv("NO_COLOR");
  return ::isatty(STDOUT_FILENO) == 1 && (no_color == nullptr || *no_color == '\0');
}

int Usage(const std::string& problem) {
  std::cerr << "stguard: " << problem << "\n" << kUsage;
  return kExitUsage;
}

int RunCheck(const std::vector<std::string>& args) {
  std::string policy_name = "default";
  std::string format = "text";
  std::vector<std::string> paths;
  bool options_done = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (!options_done && (a == "--policy" || a == "--format")) {
      if (i + 1 >= args.size()) return Usage(a + " needs a value");
      (a == "--policy" ? policy_name : format) = args[++i];
    } else if (!options_done && a.rfind("--policy=", 0) == 0) {
      policy_name = a.substr(9);
    } else if (!options_done && a.rfind("--format=", 0) == 0) {
      format = a.substr(9);
    } else if (!options_done && a == "--") {
      options_done = true;
    } else if (!options_done && a.size() > 1 && a[0] == '-') {
      return Usage("unknown option " + a);
    } else {
      paths.push_back(a);
    }
  }
  if (format != "text" && format != "json") return Usage("--format must be text or json");
  if (paths.empty()) return Usage("check needs at least one PATH");
  PolicyLoadResult loaded = ResolvePolicy(policy_name);
  if (!loaded.policy) {
    std::cerr << "stguard: bad policy: " << loaded.error << "\n";
    return kExitUsage;
  }
  const Policy& policy = *loaded.policy;

  std::vector<FileResult> results;
  const std::vector<std::string> files = ExpandPaths(paths, results);
  const bool color = format == "text" && UseColor();
  for (const FileResult& r : results) std::cout << RenderText(r, color);
  for (const std::string& path : files) {
    FileReport file = ValidateFile(path, policy);
    FileResult result;
    result.path = path;
    result.io_ok = file.io_ok;
    result.io_error = std::move(file.io_error);
    result.report = std::move(file.report);
    if (format == "text") std::cout << RenderText(result, color) << std::flush;
    results.push_back(std::move(result));
  }
  if (format == "json") {
    std::cout << RenderJson(results, policy);
  } else {
    std::cout << RenderTextSummary(results, policy, color);
  }
  std::cout.flush();

  bool any_io_error = false, any_rejected = false;
  for (const FileResult& r : results) {
    if (!r.io_ok) any_io_error = true;
    if (r.io_ok && r.report.verdict == Verdict::kReject) any_rejected = true;
  }
  if (files.empty() && !any_io_error) {
    std::cerr << "stguard: no *.safetensors files found\n";
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
