// Differential test: the compat policy must reach the reference's verdict
// (safetensors 0.8.0, safe_open) on every file of the shared adversarial
// set, in memory and from disk; and the verdicts derived from serde_json's and
// serde's code on the supplement (corpus/reference/supplement/README.md).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "safetensors_builder.h"
#include "stguard/validate.h"

namespace stguard {
namespace {

const std::string kAdversarialDir = std::string(STGUARD_CORPUS_DIR) + "/reference/adversarial";
const std::string kVerdicts = std::string(STGUARD_CORPUS_DIR) + "/reference/verdicts.tsv";
const std::string kSupplementDir = std::string(STGUARD_CORPUS_DIR) + "/reference/supplement";

// case name -> true when the reference opened the file (or, for the supplement, must).
std::map<std::string, bool> LoadVerdicts(const std::string& path = kVerdicts) {
  std::map<std::string, bool> verdicts;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#' || line.rfind("case\t", 0) == 0) continue;
    std::istringstream fields(line);
    std::string name, open;
    std::getline(fields, name, '\t');
    std::getline(fields, open, '\t');
    verdicts[name] = open == "OK";
  }
  return verdicts;
}

std::string Describe(const Report& report) {
  std::string out;
  for (const Finding& f : report.findings) {
    out += "  " + std::string(SeverityName(f.severity)) + " " + std::string(Info(f.code).id) +
           " @" + std::to_string(f.offset) + ": " + f.message + "\n";
  }
  return out;
}

TEST(ReferenceDifferential, CompatAgreesWithReferenceOnEveryFile) {
  const std::map<std::string, bool> verdicts = LoadVerdicts();
  ASSERT_EQ(verdicts.size(), 1611u) << "verdicts.tsv incomplete";
  const Policy compat = *BuiltinPolicy("compat");
  size_t agreed = 0, accepted = 0;
  for (const auto& [name, reference_accepts] : verdicts) {
    const std::string path = kAdversarialDir + "/" + name + ".safetensors";
    const FileReport from_file = ValidateFile(path, compat);
    ASSERT_TRUE(from_file.io_ok) << path << ": " << from_file.io_error;
    const bool we_accept = from_file.report.verdict == Verdict::kAccept;
    EXPECT_EQ(we_accept, reference_accepts)
        << name << ": reference " << (reference_accepts ? "accepts" : "rejects") << ", compat "
        << (we_accept ? "accepts" : "rejects") << "\n"
        << Describe(from_file.report);
    // The same bytes in memory give the same verdict and findings.
    const std::vector<uint8_t> bytes = testing::ReadFileBytes(path);
    const Report in_memory = ValidateBuffer(bytes, compat);
    EXPECT_EQ(in_memory.verdict, from_file.report.verdict) << name;
    EXPECT_EQ(in_memory.findings.size(), from_file.report.findings.size()) << name;
    if (we_accept == reference_accepts) ++agreed;
    if (we_accept) ++accepted;
  }
  std::cout << "compat agrees with safetensors 0.8.0 on " << agreed << " of " << verdicts.size()
            << " adversarial files (" << accepted << " accepted)\n";
  EXPECT_EQ(agreed, verdicts.size());
}

// Parsing the header in batches must not change anything: every file gives
// the same report with one member per batch as with the default batches.
TEST(ReferenceDifferential, ReportsDoNotDependOnTheJsonBatchSize) {
  const std::map<std::string, bool> verdicts = LoadVerdicts();
  for (const char* policy_name : {"compat", "default"}) {
    const Policy policy = *BuiltinPolicy(policy_name);
    ValidateOptions tiny;
    tiny.json_batch_bytes = 1;
    ValidateOptions small;
    small.json_batch_bytes = 64;
    for (const auto& [name, reference_accepts] : verdicts) {
      const std::vector<uint8_t> bytes =
          testing::ReadFileBytes(kAdversarialDir + "/" + name + ".safetensors");
      const Report normal = ValidateBuffer(bytes, policy);
      for (const ValidateOptions& options : {tiny, small}) {
        const Report batched = ValidateBuffer(bytes, policy, options);
        ASSERT_EQ(batched.verdict, normal.verdict) << name;
        ASSERT_EQ(batched.findings.size(), normal.findings.size()) << name;
        for (size_t i = 0; i < normal.findings.size(); ++i) {
          EXPECT_EQ(batched.findings[i].code, normal.findings[i].code) << name;
          EXPECT_EQ(batched.findings[i].offset, normal.findings[i].offset) << name;
          EXPECT_EQ(batched.findings[i].message, normal.findings[i].message) << name;
        }
      }
    }
  }
}

// Number literals near serde_json's overflow thresholds (in a field the reference
// ignores but still parses) and the dtype's enum-as-map forms. These verdicts are
// derived, not observed: see the supplement's README.md.
TEST(ReferenceDifferential, CompatAgreesWithSupplementVerdicts) {
  const std::map<std::string, bool> verdicts = LoadVerdicts(kSupplementDir + "/verdicts.tsv");
  ASSERT_GE(verdicts.size(), 30u) << "supplement verdicts.tsv incomplete";
  const Policy compat = *BuiltinPolicy("compat");
  size_t agreed = 0;
  for (const auto& [name, reference_accepts] : verdicts) {
    const std::string path = kSupplementDir + "/" + name + ".safetensors";
    const FileReport report = ValidateFile(path, compat);
    ASSERT_TRUE(report.io_ok) << path << ": " << report.io_error;
    const bool we_accept = report.report.verdict == Verdict::kAccept;
    EXPECT_EQ(we_accept, reference_accepts)
        << name << ": reference " << (reference_accepts ? "accepts" : "rejects") << ", compat "
        << (we_accept ? "accepts" : "rejects") << "\n"
        << Describe(report.report);
    if (we_accept == reference_accepts) ++agreed;
  }
  std::cout << "compat agrees with the supplement's derived verdicts on " << agreed << " of "
            << verdicts.size() << " files\n";
  size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kSupplementDir)) {
    if (entry.path().extension() != ".safetensors") continue;
    ++files;
    EXPECT_TRUE(verdicts.count(entry.path().stem().string())) << entry.path();
  }
  EXPECT_EQ(files, verdicts.size());
}

TEST(ReferenceDifferential, EveryAdversarialFileHasAVerdict) {
  const std::map<std::string, bool> verdicts = LoadVerdicts();
  size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kAdversarialDir)) {
    if (entry.path().extension() != ".safetensors") continue;
    ++files;
    EXPECT_TRUE(verdicts.count(entry.path().stem().string())) << entry.path();
  }
  EXPECT_EQ(files, verdicts.size());
}

}  // namespace
}  // namespace stguard
