#include "verify.h"

#include <simdjson.h>

#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "cli_common.h"
#include "render.h"
#include "stguard/policy.h"
#include "stguard/validate.h"

namespace stguard::cli {
namespace {

// One file of a manifest: what `check --deep --format json` recorded.
struct ManifestEntry {
  std::string path;
  std::string sha256;
  std::map<std::string, std::string> tensor_sha256;  // name -> hex
};

// Reads the "files" of a `check --deep --format json` report. Returns an
// error message, or "" on success.
std::string ReadManifest(const std::string& path, std::vector<ManifestEntry>& entries) {
  simdjson::padded_string text;
  if (simdjson::padded_string::load(path).get(text) != simdjson::SUCCESS) {
    return "cannot read manifest " + path;
  }
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  simdjson::dom::array files;
  if (parser.parse(text).get(doc) != simdjson::SUCCESS || doc["files"].get(files) != simdjson::SUCCESS) {
    return "manifest " + path + " is not a 'stguard check --format json' report";
  }
  for (simdjson::dom::element file : files) {
    ManifestEntry entry;
    std::string_view value;
    simdjson::dom::object content;
    simdjson::dom::array tensors;
    if (file["path"].get(value) != simdjson::SUCCESS) return "a manifest file has no path";
    entry.path = std::string(value);
    if (file["content"].get(content) != simdjson::SUCCESS ||
        content["sha256"].get(value) != simdjson::SUCCESS ||
        content["tensors"].get(tensors) != simdjson::SUCCESS) {
      return "manifest entry " + entry.path + " has no hashes: make it with 'check --deep'";
    }
    entry.sha256 = std::string(value);
    for (simdjson::dom::element t : tensors) {
      std::string_view name, digest;
      if (t["name"].get(name) != simdjson::SUCCESS || t["sha256"].get(digest) != simdjson::SUCCESS) {
        return "manifest entry " + entry.path + " has a tensor without name or sha256";
      }
      entry.tensor_sha256[std::string(name)] = std::string(digest);
    }
    entries.push_back(std::move(entry));
  }
  return "";
}

}  // namespace

int RunVerify(const std::vector<std::string>& args) {
  std::string policy_name = "default";
  std::vector<std::string> rest;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--policy") {
      if (i + 1 >= args.size()) return Usage("--policy needs a value");
      policy_name = args[++i];
    } else if (args[i].rfind("--policy=", 0) == 0) {
      policy_name = args[i].substr(9);
    } else {
      rest.push_back(args[i]);
    }
  }
  if (rest.size() != 1) return Usage("verify takes one MANIFEST");
  PolicyLoadResult loaded = ResolvePolicy(policy_name);
  if (!loaded.policy) {
    std::cerr << "stguard: bad policy: " << loaded.error << "\n";
    return kExitUsage;
  }
  std::vector<ManifestEntry> entries;
  const std::string error = ReadManifest(rest[0], entries);
  if (!error.empty()) {
    std::cerr << "stguard: " << TerminalSafe(error) << "\n";
    return kExitUsage;
  }
  ValidateOptions options;
  options.deep_scan = true;
  bool any_io_error = false, any_bad = false;
  for (const ManifestEntry& entry : entries) {
    const FileReport file = ValidateFile(entry.path, *loaded.policy, options);
    std::cout << TerminalSafe(entry.path) << ": ";
    if (!file.io_ok || !file.report.content) {
      any_io_error = true;
      std::cout << "ERROR cannot read: " << TerminalSafe(file.io_error) << "\n";
      continue;
    }
    const Report& report = file.report;
    const std::string digest = DigestHex(report.content->file_sha256);
    const bool rejected = report.verdict == Verdict::kReject;
    if (digest == entry.sha256) {
      std::cout << "UNCHANGED" << (rejected ? ", but REJECTED by policy " + loaded.policy->name : "")
                << "\n";
      any_bad |= rejected;
      continue;
    }
    any_bad = true;
    std::cout << "CHANGED (sha256 " << digest << ", manifest " << TerminalSafe(entry.sha256) << ")\n";
    // Which tensors: those whose bytes changed, appeared or disappeared.
    std::map<std::string, std::string> now;
    for (const TensorContent& t : report.content->tensors) now[t.name] = DigestHex(t.sha256);
    for (const auto& [name, old_digest] : entry.tensor_sha256) {
      const auto it = now.find(name);
      if (it == now.end()) {
        std::cout << "  tensor \"" << TerminalSafe(name) << "\" is gone\n";
      } else if (it->second != old_digest) {
        std::cout << "  tensor \"" << TerminalSafe(name) << "\" changed\n";
      }
    }
    for (const auto& [name, digest_now] : now) {
      if (!entry.tensor_sha256.count(name)) {
        std::cout << "  tensor \"" << TerminalSafe(name) << "\" is new\n";
      }
    }
    if (!report.content->tensors_scanned) {
      std::cout << "  (tensors not compared: the file no longer parses)\n";
    }
  }
  if (any_io_error) return kExitUsage;
  return any_bad ? kExitRejected : kExitAccepted;
}

}  // namespace stguard::cli
