// The C API's revision 2 (stguard/stguard.h), through the shared library:
// the JSON report against the CLI's own output, the tensor table and the
// deep scan's hashes, checkpoints and directories against `stguard check`,
// headers validated from memory against whole files, and every new
// function's bad input (NULL, wrong sizes, unknown flags, freed and foreign
// handles). Run under ASan with leak detection by scripts/test.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "run_cli.h"
#include "capi_handles.h"
#include "capi_samples.h"
#include "safetensors_builder.h"
#include "stguard/stguard.h"

namespace {

namespace fs = std::filesystem;
using namespace stguard::testing;  // NOLINT: the tests' helpers

const std::string kCorpus = STGUARD_CORPUS_DIR;

ReportPtr ValidateFile(const stguard_policy* policy, const std::string& path, uint32_t flags) {
  stguard_report* r = nullptr;
  EXPECT_EQ(stguard_validate_file_ex(policy, path.c_str(), flags, &r), STGUARD_OK)
      << path << ": " << stguard_last_error();
  return ReportPtr(r);
}

ReportPtr ValidateBytes(const stguard_policy* policy, const std::vector<uint8_t>& bytes,
                        uint32_t flags) {
  stguard_report* r = nullptr;
  EXPECT_EQ(stguard_validate_buffer_ex(policy, bytes.data(), bytes.size(), flags, &r),
            STGUARD_OK)
      << stguard_last_error();
  return ReportPtr(r);
}

// The report's JSON (empty with a test failure on error).
std::string ReportJson(const stguard_report* report, const char* path, uint32_t flags) {
  char* text = nullptr;
  size_t length = 0;
  EXPECT_EQ(stguard_report_json(report, path, flags, &text, &length), STGUARD_OK)
      << stguard_last_error();
  if (text == nullptr) return {};
  std::unique_ptr<char, StringDeleter> owned(text);
  EXPECT_EQ(std::strlen(text), length);
  return std::string(text, length);
}

std::string CheckpointJson(const stguard_checkpoint* checkpoint, uint32_t flags) {
  char* text = nullptr;
  size_t length = 0;
  EXPECT_EQ(stguard_checkpoint_json(checkpoint, flags, &text, &length), STGUARD_OK)
      << stguard_last_error();
  if (text == nullptr) return {};
  std::unique_ptr<char, StringDeleter> owned(text);
  return std::string(text, length);
}

std::string Cli(std::vector<std::string> args) {
  const stguard::testing::CliRun run = RunCli(args);
  EXPECT_GE(run.exit_code, 0) << run.err;
  EXPECT_LE(run.exit_code, 2) << run.err;
  return run.out;
}

std::vector<std::string> SampleFiles() { return CapiSampleFiles(kCorpus); }

// ---- JSON ------------------------------------------------------------------

// One file named on the command line: `check --format json FILE` prints one
// document whose "files" holds that file, and the C API renders the same
// document, byte for byte (the same renderer, the same policy name, an
// empty "skipped" summary). jsonl likewise, a line per file.
TEST(CApiJson, EqualsTheCliOutputByteForByte) {
  const PolicyPtr policy = Builtin("default");
  const std::vector<std::string> files = SampleFiles();
  ASSERT_GE(files.size(), 10u);
  for (const std::string& file : files) {
    SCOPED_TRACE(file);
    const ReportPtr report = ValidateFile(policy.get(), file, 0);
    ASSERT_NE(report, nullptr);
    EXPECT_EQ(ReportJson(report.get(), nullptr, 0),
              Cli({"check", "--policy", "default", "--format", "json", file}));
    EXPECT_EQ(ReportJson(report.get(), nullptr, STGUARD_JSON_LINE),
              Cli({"check", "--policy", "default", "--format", "jsonl", file}));
    const ReportPtr deep = ValidateFile(policy.get(), file, STGUARD_FLAG_DEEP_SCAN);
    EXPECT_EQ(ReportJson(deep.get(), nullptr, 0),
              Cli({"check", "--policy", "default", "--deep", "--format", "json", file}));
  }
}

TEST(CApiJson, PathArgumentAndBufferReports) {
  const PolicyPtr policy = Builtin("strict");
  const std::string file = kCorpus + "/examples/rejected/name_nul.safetensors";
  const ReportPtr from_buffer = ValidateBytes(policy.get(), ReadFileBytes(file), 0);
  // A buffer has no path: "-", as the CLI names standard input.
  const std::string from_stdin = RunCli({"check", "--policy", "strict", "--format", "json", "-"},
                                        {.stdin_path = file})
                                     .out;
  EXPECT_EQ(ReportJson(from_buffer.get(), nullptr, 0), from_stdin);
  EXPECT_EQ(ReportJson(from_buffer.get(), file.c_str(), 0),
            Cli({"check", "--policy", "strict", "--format", "json", file}));
  EXPECT_NE(from_stdin.find("\"policy\":\"strict\""), std::string::npos) << from_stdin;
}

// ---- The tensor table and the hashes ---------------------------------------

TEST(CApiTensors, NamesDtypesShapesAndOffsets) {
  const PolicyPtr policy = Builtin("compat");
  const std::string nul_name("a\\u0000b");  // JSON escape: the decoded name holds a NUL
  const std::string header =
      PadToEight("{" + Entry("w", "BF16", {2, 3}, 0, 12) + "," + Entry(nul_name, "U8", {4}, 12, 16) +
                 "," + Entry("s", "F64", {}, 16, 24) + "}");
  const std::vector<uint8_t> bytes = MakeFile(header, std::string(24, '\0'));
  const ReportPtr report = ValidateBytes(policy.get(), bytes, STGUARD_FLAG_TENSORS);
  size_t count = 0;
  ASSERT_EQ(stguard_report_tensor_table_size(report.get(), &count), STGUARD_OK)
      << stguard_last_error();
  ASSERT_EQ(count, 3u);
  stguard_tensor t;
  ASSERT_EQ(stguard_report_tensor(report.get(), 0, &t, sizeof t), STGUARD_OK);
  EXPECT_EQ(std::string(t.name, t.name_length), "w");
  EXPECT_EQ(t.dtype, STGUARD_DTYPE_BF16);
  EXPECT_STREQ(t.dtype_name, "BF16");
  ASSERT_EQ(t.rank, 2u);
  EXPECT_EQ(t.shape[0], 2u);
  EXPECT_EQ(t.shape[1], 3u);
  EXPECT_EQ(t.data_begin, 0u);
  EXPECT_EQ(t.data_end, 12u);
  ASSERT_EQ(stguard_report_tensor(report.get(), 1, &t, sizeof t), STGUARD_OK);
  EXPECT_EQ(std::string(t.name, t.name_length), std::string("a\0b", 3));
  EXPECT_EQ(t.dtype, STGUARD_DTYPE_U8);
  EXPECT_EQ(t.rank, 1u);
  EXPECT_EQ(t.data_begin, 12u);
  ASSERT_EQ(stguard_report_tensor(report.get(), 2, &t, sizeof t), STGUARD_OK);
  EXPECT_EQ(t.dtype, STGUARD_DTYPE_F64);
  EXPECT_EQ(t.rank, 0u);
  EXPECT_NE(t.shape, nullptr);
  EXPECT_EQ(t.data_end, 24u);
  EXPECT_EQ(stguard_report_tensor(report.get(), 3, &t, sizeof t), STGUARD_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(stguard_last_error()).find("out of range"), std::string::npos);
}

TEST(CApiTensors, EveryRealDtypeAndTheJsonAgree) {
  const PolicyPtr policy = Builtin("default");
  size_t files = 0, tensors = 0;
  for (const auto& e : fs::directory_iterator(kCorpus + "/real")) {
    if (e.path().extension() != ".safetensors") continue;
    SCOPED_TRACE(e.path().string());
    ++files;
    const ReportPtr report =
        ValidateFile(policy.get(), e.path(), STGUARD_FLAG_TENSORS | STGUARD_FLAG_DEEP_SCAN);
    uint64_t listed = 0;
    size_t count = 0, hashed = 0;
    int scanned = 0;
    ASSERT_EQ(stguard_report_tensor_count(report.get(), &listed), STGUARD_OK);
    ASSERT_EQ(stguard_report_tensor_table_size(report.get(), &count), STGUARD_OK);
    ASSERT_EQ(stguard_report_hashed_tensor_count(report.get(), &scanned, &hashed), STGUARD_OK);
    EXPECT_EQ(count, listed);
    EXPECT_EQ(scanned, 1);
    ASSERT_EQ(hashed, count);
    tensors += count;
    const std::string json = ReportJson(report.get(), nullptr, 0);
    for (size_t i = 0; i < count; ++i) {
      stguard_tensor t;
      stguard_tensor_hash h;
      ASSERT_EQ(stguard_report_tensor(report.get(), i, &t, sizeof t), STGUARD_OK);
      ASSERT_EQ(stguard_report_hashed_tensor(report.get(), i, &h, sizeof h), STGUARD_OK);
      // Both in data order: the same tensor.
      EXPECT_EQ(std::string(t.name, t.name_length), std::string(h.name, h.name_length));
      EXPECT_EQ(t.dtype, h.dtype);
      EXPECT_EQ(t.data_begin, h.data_begin);
      EXPECT_EQ(t.data_end, h.data_end);
      EXPECT_EQ(std::strlen(h.sha256), 64u);
      EXPECT_NE(json.find("\"data_offsets\":[" + std::to_string(h.data_begin) + "," +
                          std::to_string(h.data_end) + "],\"sha256\":\"" + h.sha256 + "\""),
                std::string::npos)
          << h.sha256;
      EXPECT_NE(json.find(std::string("\"dtype\":\"") + t.dtype_name + "\""), std::string::npos);
    }
  }
  EXPECT_GE(files, 18u);  // every dtype torch writes
  EXPECT_GE(tensors, files);
}

TEST(CApiTensors, KnownDigestAndUnscannedLayouts) {
  const PolicyPtr policy = Builtin("compat");
  const std::string header = PadToEight("{" + Entry("z", "U8", {8}, 0, 8) + "}");
  const ReportPtr report = ValidateBytes(policy.get(), MakeFile(header, std::string(8, '\0')),
                                         STGUARD_FLAG_DEEP_SCAN);
  stguard_tensor_hash h;
  ASSERT_EQ(stguard_report_hashed_tensor(report.get(), 0, &h, sizeof h), STGUARD_OK)
      << stguard_last_error();
  // SHA-256 of eight zero bytes.
  EXPECT_STREQ(h.sha256, "af5570f5a1810b7af78caf4bc70a660f0df51e42baf91d4de5b2328de0e83dfc");
  // Overlapping tensors cannot be cut out: the file is hashed, no tensor is.
  const std::string overlap =
      PadToEight("{" + Entry("a", "U8", {8}, 0, 8) + "," + Entry("b", "U8", {8}, 0, 8) + "}");
  const ReportPtr broken = ValidateBytes(policy.get(), MakeFile(overlap, std::string(8, '\0')),
                                         STGUARD_FLAG_DEEP_SCAN);
  int scanned = 1;
  size_t count = 1;
  ASSERT_EQ(stguard_report_hashed_tensor_count(broken.get(), &scanned, &count), STGUARD_OK);
  EXPECT_EQ(scanned, 0);
  EXPECT_EQ(count, 0u);
  EXPECT_EQ(stguard_report_hashed_tensor(broken.get(), 0, &h, sizeof h),
            STGUARD_ERR_INVALID_ARGUMENT);
}

// STGUARD_FLAG_VALUE_RULES (revision 3): the deep scan's findings and JSON
// less its "content", no hashes; a header from memory cannot have it.
TEST(CApiValueRules, DeepFindingsWithoutHashes) {
  const PolicyPtr policy = Builtin("default");
  const std::string header = PadToEight("{" + Entry("b", "BOOL", {4}, 0, 4) + "}");
  const std::vector<uint8_t> file = MakeFile(header, std::string("\x00\x01\x02\x01", 4));
  const ReportPtr deep = ValidateBytes(policy.get(), file, STGUARD_FLAG_DEEP_SCAN);
  const ReportPtr values = ValidateBytes(policy.get(), file, STGUARD_FLAG_VALUE_RULES);
  stguard_verdict deep_verdict = STGUARD_VERDICT_ACCEPT, values_verdict = STGUARD_VERDICT_ACCEPT;
  ASSERT_EQ(stguard_report_verdict(deep.get(), &deep_verdict), STGUARD_OK);
  ASSERT_EQ(stguard_report_verdict(values.get(), &values_verdict), STGUARD_OK);
  EXPECT_EQ(deep_verdict, STGUARD_VERDICT_REJECT);  // 609 under default
  EXPECT_EQ(values_verdict, deep_verdict);
  const ReportPtr shallow = ValidateBytes(policy.get(), file, 0);
  const std::string deep_json = ReportJson(deep.get(), "f", 0);
  const std::string values_json = ReportJson(values.get(), "f", 0);
  EXPECT_NE(values_json.find("\"code\":609"), std::string::npos) << values_json;
  EXPECT_EQ(values_json.find("\"content\""), std::string::npos) << values_json;
  EXPECT_NE(deep_json.find("\"content\""), std::string::npos) << deep_json;
  EXPECT_EQ(ReportJson(shallow.get(), "f", 0).find("\"code\":609"), std::string::npos);
  char sha[65];
  EXPECT_EQ(stguard_report_sha256(values.get(), sha), STGUARD_ERR_INVALID_ARGUMENT);
  int scanned = 1;
  size_t count = 1;
  EXPECT_EQ(stguard_report_hashed_tensor_count(values.get(), &scanned, &count),
            STGUARD_ERR_INVALID_ARGUMENT);
  // Both flags: the deep scan, hashes included.
  const ReportPtr both =
      ValidateBytes(policy.get(), file, STGUARD_FLAG_DEEP_SCAN | STGUARD_FLAG_VALUE_RULES);
  EXPECT_EQ(stguard_report_sha256(both.get(), sha), STGUARD_OK);
  EXPECT_EQ(ReportJson(both.get(), "f", 0), deep_json);
  // A header from memory has no data to read.
  stguard_report* raw = nullptr;
  EXPECT_EQ(stguard_validate_header(policy.get(), file.data(), file.size(), file.size(),
                                    STGUARD_FLAG_VALUE_RULES, &raw),
            STGUARD_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(raw, nullptr);
}

// ---- Checkpoints --------------------------------------------------------------

TEST(CApiCheckpoint, ShardedDirectoryAndIndexAsTheCli) {
  const PolicyPtr policy = Builtin("default");
  const std::string dir = kCorpus + "/real/gpt2_float32_sharded";
  for (const std::string& path : {dir, dir + "/model.safetensors.index.json"}) {
    SCOPED_TRACE(path);
    stguard_checkpoint* raw = nullptr;
    ASSERT_EQ(stguard_validate_checkpoint(policy.get(), path.c_str(), 0, &raw), STGUARD_OK)
        << stguard_last_error();
    const CheckpointPtr checkpoint(raw);
    EXPECT_EQ(CheckpointJson(checkpoint.get(), 0),
              Cli({"check", "--policy", "default", "--format", "json", path}));
    EXPECT_EQ(CheckpointJson(checkpoint.get(), STGUARD_JSON_LINE),
              Cli({"check", "--policy", "default", "--format", "jsonl", path}));
    size_t count = 0;
    ASSERT_EQ(stguard_checkpoint_file_count(checkpoint.get(), &count), STGUARD_OK);
    ASSERT_EQ(count, 5u);  // the index and its 4 shards
    stguard_judged_file f;
    ASSERT_EQ(stguard_checkpoint_file(checkpoint.get(), 0, &f, sizeof f), STGUARD_OK);
    EXPECT_EQ(f.role, STGUARD_ROLE_INDEX);
    EXPECT_EQ(std::string(f.path, f.path_length).find("model.safetensors.index.json"),
              f.path_length - std::strlen("model.safetensors.index.json"));
    for (size_t i = 1; i < count; ++i) {
      ASSERT_EQ(stguard_checkpoint_file(checkpoint.get(), i, &f, sizeof f), STGUARD_OK);
      EXPECT_EQ(f.role, STGUARD_ROLE_SHARD);
      EXPECT_NE(std::string(f.index).find("index.json"), std::string::npos);
      EXPECT_EQ(f.io_ok, 1);
      EXPECT_EQ(f.verdict, STGUARD_VERDICT_ACCEPT);
    }
    stguard_verdict verdict = STGUARD_VERDICT_REJECT;
    ASSERT_EQ(stguard_checkpoint_verdict(checkpoint.get(), &verdict), STGUARD_OK);
    EXPECT_EQ(verdict, STGUARD_VERDICT_ACCEPT);
    uint64_t skipped[5] = {9, 9, 9, 9, 9};
    ASSERT_EQ(stguard_checkpoint_skipped(checkpoint.get(), skipped, 5), STGUARD_OK);
    EXPECT_EQ(skipped[0], path == dir ? 2u : 0u);  // config.json, generation_config.json
  }
}

TEST(CApiCheckpoint, RejectedFilesFindingsAndMissingPaths) {
  const PolicyPtr policy = Builtin("default");
  const std::string dir = kCorpus + "/examples/rejected";
  stguard_checkpoint* raw = nullptr;
  ASSERT_EQ(stguard_validate_checkpoint(policy.get(), dir.c_str(), STGUARD_FLAG_DEEP_SCAN, &raw),
            STGUARD_OK);
  const CheckpointPtr checkpoint(raw);
  EXPECT_EQ(CheckpointJson(checkpoint.get(), 0),
            Cli({"check", "--policy", "default", "--deep", "--format", "json", dir}));
  size_t count = 0;
  ASSERT_EQ(stguard_checkpoint_file_count(checkpoint.get(), &count), STGUARD_OK);
  ASSERT_GE(count, 5u);
  size_t findings_seen = 0;
  for (size_t i = 0; i < count; ++i) {
    stguard_judged_file f;
    ASSERT_EQ(stguard_checkpoint_file(checkpoint.get(), i, &f, sizeof f), STGUARD_OK);
    EXPECT_EQ(f.verdict, STGUARD_VERDICT_REJECT) << f.path;
    ASSERT_GT(f.finding_count, 0u);
    for (size_t j = 0; j < f.finding_count; ++j) {
      stguard_finding finding;
      ASSERT_EQ(stguard_checkpoint_finding(checkpoint.get(), i, j, &finding), STGUARD_OK);
      EXPECT_STREQ(finding.id, stguard_code_id(finding.code));
      EXPECT_LE(finding.severity, STGUARD_SEVERITY_ERROR);
      EXPECT_EQ(std::strlen(finding.tensor) <= finding.tensor_length, true);
      ++findings_seen;
    }
    stguard_finding finding;
    EXPECT_EQ(stguard_checkpoint_finding(checkpoint.get(), i, f.finding_count, &finding),
              STGUARD_ERR_INVALID_ARGUMENT);
  }
  EXPECT_GE(findings_seen, count);
  stguard_verdict verdict = STGUARD_VERDICT_ACCEPT;
  ASSERT_EQ(stguard_checkpoint_verdict(checkpoint.get(), &verdict), STGUARD_OK);
  EXPECT_EQ(verdict, STGUARD_VERDICT_REJECT);

  // A missing path is a file that could not be read, as the CLI lists it.
  const std::string missing = dir + "/no-such-file.safetensors";
  ASSERT_EQ(stguard_validate_checkpoint(policy.get(), missing.c_str(), 0, &raw), STGUARD_OK);
  const CheckpointPtr gone(raw);
  ASSERT_EQ(stguard_checkpoint_file_count(gone.get(), &count), STGUARD_OK);
  ASSERT_EQ(count, 1u);
  stguard_judged_file f;
  ASSERT_EQ(stguard_checkpoint_file(gone.get(), 0, &f, sizeof f), STGUARD_OK);
  EXPECT_EQ(f.io_ok, 0);
  EXPECT_STRNE(f.io_error, "");
  EXPECT_EQ(f.finding_count, 0u);
  ASSERT_EQ(stguard_checkpoint_verdict(gone.get(), &verdict), STGUARD_OK);
  EXPECT_EQ(verdict, STGUARD_VERDICT_REJECT);
  EXPECT_EQ(CheckpointJson(gone.get(), 0),
            Cli({"check", "--policy", "default", "--format", "json", missing}));
}

}  // namespace
