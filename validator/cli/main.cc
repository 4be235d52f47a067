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
#include <simdjson.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cli_common.h"
#include "render.h"
#include "verify.h"
#include "stguard/checkpoint.h"
#include "stguard/codes.h"
#include "stguard/policy.h"
#include "stguard/validate.h"

namespace stguard::cli {

namespace {

constexpr std::string_view kUsage =
    "usage: stguard check [--policy NAME|FILE] [--format text|json|jsonl|sarif] [--jobs N]\n"
    "                     [--deep] PATH...\n"
    "       stguard verify [--policy NAME|FILE] [--root DIR] MANIFEST\n"
    "       stguard explain CODE|ID\n"
    "       stguard policy [NAME|FILE]\n"
    "       stguard codes\n"
    "       stguard --help | --version\n";

constexpr std::string_view kHelp =
    "stguard validates safetensors files under a policy before anything loads them.\n"
    "\n"
    "commands:\n"
    "  check PATH...      validate files; a directory is searched for *.safetensors;\n"
    "                     a *.safetensors.index.json is checked with all its shards;\n"
    "                     - reads one file from standard input as it streams\n"
    "    --policy P       compat | default | strict, or a policy file (default: default)\n"
    "    --format F       text (default), json (one document), jsonl (a line per\n"
    "                     file, flushed as each finishes) or sarif (SARIF 2.1.0)\n"
    "    --jobs N         check N files in parallel (output stays in input order)\n"
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

bool IsIndexPath(const std::string& path) {
  constexpr std::string_view kSuffix = ".safetensors.index.json";
  return path.size() >= kSuffix.size() &&
         path.compare(path.size() - kSuffix.size(), kSuffix.size(), kSuffix) == 0;
}

// Expands directories into their *.safetensors and *.safetensors.index.json files (sorted, so output is
// stable). Paths that do not exist stay in the list: validating them reports
// the I/O error.
std::vector<std::string> ExpandPaths(const std::vector<std::string>& args,
                                     std::vector<FileResult>& walk_errors) {
  namespace fs = std::filesystem;
  std::vector<std::string> files;
  for (const std::string& arg : args) {
    std::error_code ec;
    if (arg == kStdinPath || !fs::is_directory(arg, ec)) {
      files.push_back(arg);
      continue;
    }
    std::vector<std::string> found;
    fs::recursive_directory_iterator it(arg, fs::directory_options::skip_permission_denied, ec);
    for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      const fs::path& p = it->path();
      std::error_code file_ec;
      if ((p.extension() == ".safetensors" || IsIndexPath(p.string())) &&
          it->is_regular_file(file_ec)) {
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

// Validates files on `jobs` threads and hands each result to `emit` in
// input order, as soon as it and every file before it are done.
class OrderedChecker {
 public:
  OrderedChecker(const std::vector<std::string>& files, const Policy& policy,
                 const ValidateOptions& options, unsigned jobs)
      : files_(files),
        policy_(policy),
        options_(options),
        results_(files.size()),
        done_(files.size(), false) {
    jobs = std::max(1u, std::min<unsigned>(jobs, static_cast<unsigned>(files.size())));
    for (unsigned i = 0; i < jobs; ++i) workers_.emplace_back([this] { Work(); });
  }
  ~OrderedChecker() {
    for (std::thread& t : workers_) t.join();
  }

  // Blocks until file i is done, then moves its result out.
  FileResult Take(size_t i) {
    std::unique_lock<std::mutex> lock(mutex_);
    ready_.wait(lock, [&] { return done_[i]; });
    return std::move(results_[i]);
  }
  size_t finished() const { return finished_.load(); }

 private:
  void Work() {
    for (size_t i = next_++; i < files_.size(); i = next_++) {
      FileReport file = files_[i] == kStdinPath ? ValidateFd(STDIN_FILENO, policy_, options_)
                                                : ValidateFile(files_[i], policy_, options_);
      FileResult result;
      result.path = files_[i];
      result.io_ok = file.io_ok;
      result.io_error = std::move(file.io_error);
      result.report = std::move(file.report);
      {
        std::lock_guard<std::mutex> lock(mutex_);
        results_[i] = std::move(result);
        done_[i] = true;
      }
      ++finished_;
      ready_.notify_all();
    }
  }

  const std::vector<std::string>& files_;
  const Policy& policy_;
  const ValidateOptions& options_;
  std::vector<FileResult> results_;
  std::vector<bool> done_;
  std::atomic<size_t> next_{0};
  std::atomic<size_t> finished_{0};
  std::mutex mutex_;
  std::condition_variable ready_;
  std::vector<std::thread> workers_;
};

// "[#####.....] 120/400" on standard error, redrawn in place.
void DrawProgress(size_t done, size_t total) {
  constexpr size_t kWidth = 30;
  const size_t filled = total == 0 ? kWidth : done * kWidth / total;
  std::cerr << "\r[" << std::string(filled, '#') << std::string(kWidth - filled, '.') << "] "
            << done << "/" << total << std::flush;
}

void ClearProgress() { std::cerr << "\r\033[K" << std::flush; }

int RunCheck(const std::vector<std::string>& args) {
  std::string policy_name = "default";
  std::string format = "text";
  std::string jobs_text = "1";
  std::vector<std::string> paths;
  ValidateOptions options;
  bool options_done = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (!options_done && a == "--deep") {
      options.deep_scan = true;
    } else if (!options_done && (a == "--policy" || a == "--format" || a == "--jobs" || a == "-j")) {
      if (i + 1 >= args.size()) return Usage(a + " needs a value");
      std::string& target = a == "--policy" ? policy_name : a == "--format" ? format : jobs_text;
      target = args[++i];
    } else if (!options_done && a.rfind("--policy=", 0) == 0) {
      policy_name = a.substr(9);
    } else if (!options_done && a.rfind("--format=", 0) == 0) {
      format = a.substr(9);
    } else if (!options_done && a.rfind("--jobs=", 0) == 0) {
      jobs_text = a.substr(7);
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
  unsigned jobs = 0;
  {
    const auto [end, ec] = std::from_chars(jobs_text.data(), jobs_text.data() + jobs_text.size(), jobs);
    if (ec != std::errc() || end != jobs_text.data() + jobs_text.size() || jobs < 1 || jobs > 256) {
      return Usage("--jobs must be an integer from 1 to 256");
    }
  }
  if (paths.empty()) return Usage("check needs at least one PATH");
  if (std::count(paths.begin(), paths.end(), std::string(kStdinPath)) > 1) {
    return Usage("standard input (-) can be read only once");
  }
  PolicyLoadResult loaded = ResolvePolicy(policy_name);
  if (!loaded.policy) {
    std::cerr << "stguard: bad policy: " << loaded.error << "\n";
    return kExitUsage;
  }
  const Policy& policy = *loaded.policy;

  std::vector<FileResult> results;
  const std::vector<std::string> found = ExpandPaths(paths, results);
  // Sharded checkpoints first: each index with its shards; the shards are
  // then not checked again on their own.
  std::vector<FileResult> checkpoint_results;
  std::set<std::string> covered;
  for (const std::string& path : found) {
    if (!IsIndexPath(path)) continue;
    CheckpointReport checkpoint = ValidateCheckpoint(path, policy, options);
    FileResult index;
    index.path = path;
    index.io_ok = checkpoint.index_io_ok;
    index.io_error = checkpoint.index_io_error;
    index.report.verdict = checkpoint.verdict;
    index.report.findings = std::move(checkpoint.findings);
    index.report.file_size = checkpoint.index_size;
    index.report.tensor_count = checkpoint.listed_tensors;
    checkpoint_results.push_back(std::move(index));
    for (ShardReport& shard : checkpoint.shards) {
      covered.insert(std::filesystem::path(shard.path).lexically_normal().string());
      if (!shard.checked) continue;
      FileResult result;
      result.path = shard.path;
      result.report = std::move(shard.report);
      result.report.tensors.clear();
      checkpoint_results.push_back(std::move(result));
    }
  }
  std::vector<std::string> files;
  for (const std::string& path : found) {
    if (IsIndexPath(path)) continue;
    if (covered.count(std::filesystem::path(path).lexically_normal().string())) continue;
    files.push_back(path);
  }
  const bool streaming = format == "text" || format == "jsonl";
  const bool color = format == "text" && UseColor();
  // Many files and a person watching: show progress on standard error.
  const bool progress = ::isatty(STDERR_FILENO) == 1 && files.size() >= 20;
  auto emit = [&](const FileResult& r) {
    if (format == "text") std::cout << RenderText(r, color);
    if (format == "jsonl") std::cout << RenderJsonLine(r);
  };
  for (const FileResult& r : results) emit(r);
  for (FileResult& r : checkpoint_results) {
    emit(r);
    results.push_back(std::move(r));
  }
  if (!files.empty()) {
    OrderedChecker checker(files, policy, options, jobs);
    for (size_t i = 0; i < files.size(); ++i) {
      FileResult result = checker.Take(i);
      if (streaming) {
        if (progress) ClearProgress();
        emit(result);
        std::cout.flush();
      }
      if (progress) DrawProgress(std::max(checker.finished(), i + 1), files.size());
      results.push_back(std::move(result));
    }
    if (progress) ClearProgress();
  }
  if (format == "json") std::cout << RenderJson(results, policy);
  if (format == "sarif") std::cout << RenderSarif(results, policy);
  if (format == "text") std::cout << RenderTextSummary(results, policy, color);
  std::cout.flush();

  bool any_io_error = false, any_rejected = false;
  for (const FileResult& r : results) {
    if (!r.io_ok) any_io_error = true;
    if (r.io_ok && r.report.verdict == Verdict::kReject) any_rejected = true;
  }
  if (found.empty() && !any_io_error) {
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
