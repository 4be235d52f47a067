#include "verify.h"

#include <simdjson.h>

#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cli_common.h"
#include "manifest.h"
#include "render.h"
#include "stguard/policy.h"
#include "stguard/validate.h"

namespace stguard::cli {
namespace {

// How one entry went.
enum class EntryOutcome { kUnchanged, kBad, kIoError };

// Verifies one entry of "files" as it is read (the manifest is read once,
// forward): its path and file hash, then the file itself, then, only when
// the file changed, the entry's tensor hashes one by one against the
// file's. Memory holds the file's report, never the entry's tensor list.
// Prints what it finds; returns an error message when the entry is not
// what `check --deep --format json` writes, "" otherwise.
std::string VerifyEntry(ManifestEntry& entry, const ManifestRoot& root, const Policy& policy,
                        EntryOutcome& outcome) {
  const std::string& path = entry.path();
  std::cout << TerminalSafe(path) << ": ";
  outcome = EntryOutcome::kIoError;
  EntryFile opened;
  if (!opened.Open(path, root)) {
    if (!opened.refusal().empty()) {
      std::cout << "ERROR refused: " << TerminalSafe(opened.refusal()) << "\n";
    } else {
      std::cout << "ERROR cannot read: " << TerminalSafe(opened.error()) << "\n";
    }
    return "";
  }
  ValidateOptions options;
  options.deep_scan = true;
  const FileReport checked = ValidateFile(opened.read_path(), policy, options);
  if (!checked.io_ok || !checked.report.content) {
    std::cout << "ERROR cannot read: " << TerminalSafe(checked.io_error) << "\n";
    return "";
  }
  const Report& report = checked.report;
  const std::string digest = DigestHex(report.content->file_sha256);
  const bool rejected = report.verdict == Verdict::kReject;
  outcome = rejected ? EntryOutcome::kBad : EntryOutcome::kUnchanged;
  if (digest == entry.sha256()) {
    std::cout << "UNCHANGED"
              << (rejected ? ", but REJECTED by policy " + TerminalSafe(policy.name) : "")
              << "\n";
    return "";
  }
  outcome = EntryOutcome::kBad;
  std::cout << "CHANGED (sha256 " << digest << ", manifest " << entry.sha256() << ")\n";
  // Which tensors: those whose bytes changed, appeared or disappeared.
  std::map<std::string_view, std::string> now;
  for (const TensorContent& t : report.content->tensors) now[t.name] = DigestHex(t.sha256);
  const std::string error =
      entry.ForEachTensor([&](const std::string& name, std::string_view tensor_digest) {
        const auto it = now.find(name);
        if (it == now.end()) {
          std::cout << "  tensor \"" << TerminalSafe(name) << "\" is gone\n";
          return;
        }
        if (it->second != tensor_digest) {
          std::cout << "  tensor \"" << TerminalSafe(name) << "\" changed\n";
        }
        now.erase(it);
      });
  if (!error.empty()) return error;
  for (const auto& [name, digest_now] : now) {
    std::cout << "  tensor \"" << TerminalSafe(name) << "\" is new\n";
  }
  if (!report.content->tensors_scanned) {
    std::cout << "  (tensors not compared: the file no longer parses)\n";
  }
  return "";
}

}  // namespace

int RunVerify(const VerifyArgs& args) {
  const std::string& manifest_path = args.manifest;
  const std::optional<Policy> policy = LoadPolicyArgument(args.policy);
  if (!policy) return kExitUsage;
  ManifestRoot root;
  if (const std::error_code ec = ResolveManifestRoot(args.root, manifest_path, root)) {
    std::cerr << "stguard: root " << TerminalSafe(root.dir.string()) << ": " << ec.message()
              << "\n";
    return kExitUsage;
  }
  simdjson::padded_string text;
  std::string error = LoadManifest(manifest_path, text);
  if (!error.empty()) {
    std::cerr << "stguard: " << TerminalSafe(error) << "\n";
    return kExitUsage;
  }
  simdjson::ondemand::parser parser;
  bool any_error = false, any_bad = false;
  error = ReadManifest(parser, text, manifest_path, [&](ManifestEntry& entry) {
    EntryOutcome outcome = EntryOutcome::kUnchanged;
    std::string problem = VerifyEntry(entry, root, *policy, outcome);
    if (problem.empty()) {
      any_error |= outcome == EntryOutcome::kIoError;
      any_bad |= outcome == EntryOutcome::kBad;
    }
    return problem;
  });
  std::cout.flush();
  if (!error.empty()) {
    std::cerr << "stguard: " << TerminalSafe(error) << "\n";
    return kExitUsage;
  }
  if (any_error) return kExitUsage;
  return any_bad ? kExitRejected : kExitAccepted;
}

}  // namespace stguard::cli
