// The C API's revision 2, continued: headers validated from memory (the
// first bytes of a file and its size, as a range reader has them) against
// the whole file over the reference corpus; and every new function's bad
// input: NULL pointers and handles, sizes too small, unknown flags, freed,
// foreign and mistyped handles, double frees. Run under ASan with leak
// detection by scripts/test.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "capi_handles.h"
#include "safetensors_builder.h"
#include "stguard/stguard.h"

namespace {

namespace fs = std::filesystem;
using namespace stguard::testing;  // NOLINT: the tests' helpers

const std::string kCorpus = STGUARD_CORPUS_DIR;

// Everything a report says, as one comparable string.
std::string Describe(const stguard_report* report) {
  stguard_verdict verdict;
  uint64_t file_size = 0, header_bytes = 0, tensors = 0;
  size_t count = 0;
  EXPECT_EQ(stguard_report_verdict(report, &verdict), STGUARD_OK);
  EXPECT_EQ(stguard_report_file_size(report, &file_size), STGUARD_OK);
  EXPECT_EQ(stguard_report_header_bytes(report, &header_bytes), STGUARD_OK);
  EXPECT_EQ(stguard_report_tensor_count(report, &tensors), STGUARD_OK);
  EXPECT_EQ(stguard_report_finding_count(report, &count), STGUARD_OK);
  std::string out = (verdict == STGUARD_VERDICT_ACCEPT ? "accept " : "reject ") +
                    std::to_string(file_size) + " " + std::to_string(header_bytes) + " " +
                    std::to_string(tensors) + "\n";
  for (size_t i = 0; i < count; ++i) {
    stguard_finding f;
    EXPECT_EQ(stguard_report_finding(report, i, &f), STGUARD_OK);
    out += std::to_string(f.code) + " " + std::to_string(f.severity) + " @" +
           std::to_string(f.offset) + " " + std::string(f.tensor, f.tensor_length) + ": " +
           f.message + "\n";
  }
  return out;
}

std::vector<std::string> ReferenceFiles() {
  std::vector<std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(kCorpus + "/reference/adversarial")) {
    if (e.is_regular_file() && e.path().extension() == ".safetensors") files.push_back(e.path());
  }
  for (const auto& e : fs::directory_iterator(kCorpus + "/foreign")) {
    if (e.is_regular_file()) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// ---- Headers in memory ------------------------------------------------------

// For every reference file (and every foreign one): the first
// stguard_header_bytes_needed bytes and the file size give the report the
// whole file gives (verdict, sizes, every finding), under every built-in
// policy. With only the prefix and the header (8 + N bytes), the same
// report, or STGUARD_ERR_NEED_MORE_DATA when the validation wanted the
// identification window (then asking for what it says is enough).
TEST(CApiHeader, FirstBytesGiveTheWholeFilesReport) {
  const std::vector<std::string> files = ReferenceFiles();
  ASSERT_GT(files.size(), 1500u);
  size_t needed_more = 0, smaller = 0;
  for (const char* name : {"compat", "default", "strict"}) {
    const PolicyPtr policy = Builtin(name);
    for (const std::string& file : files) {
      SCOPED_TRACE(file + " " + name);
      const std::vector<uint8_t> bytes = ReadFileBytes(file);
      stguard_report* raw = nullptr;
      ASSERT_EQ(stguard_validate_buffer(policy.get(), bytes.data(), bytes.size(), &raw),
                STGUARD_OK);
      const ReportPtr whole(raw);
      const std::string expected = Describe(whole.get());

      uint64_t needed = 0;
      ASSERT_EQ(stguard_header_bytes_needed(policy.get(), bytes.data(),
                                            std::min<size_t>(bytes.size(), 8), bytes.size(),
                                            &needed),
                STGUARD_OK)
          << stguard_last_error();
      ASSERT_LE(needed, bytes.size());
      if (needed < bytes.size()) ++smaller;
      ASSERT_EQ(stguard_validate_header(policy.get(), bytes.data(), needed, bytes.size(), 0, &raw),
                STGUARD_OK)
          << stguard_last_error();
      const ReportPtr head(raw);
      EXPECT_EQ(Describe(head.get()), expected);

      // Exactly the prefix and the header, when the prefix's N fits the file.
      uint64_t n = 0;
      for (int i = 7; i >= 0 && bytes.size() >= 8; --i) n = (n << 8) | bytes[i];
      if (bytes.size() < 8 || n > bytes.size() - 8) continue;
      const size_t exact = static_cast<size_t>(8 + n);
      const stguard_status s =
          stguard_validate_header(policy.get(), bytes.data(), exact, bytes.size(), 0, &raw);
      if (s == STGUARD_ERR_NEED_MORE_DATA) {
        EXPECT_EQ(raw, nullptr);
        EXPECT_NE(std::string(stguard_last_error()).find("first " + std::to_string(needed)),
                  std::string::npos)
            << stguard_last_error();
        ++needed_more;
        continue;
      }
      ASSERT_EQ(s, STGUARD_OK) << stguard_last_error();
      const ReportPtr exact_head(raw);
      EXPECT_EQ(Describe(exact_head.get()), expected);
    }
  }
  // Both paths were taken: headers that read without the window, and broken
  // ones that wanted it; and files bigger than what had to be fetched.
  EXPECT_GT(needed_more, 0u);
  EXPECT_GT(smaller, 0u);
}

TEST(CApiHeader, BytesNeededAndShortInput) {
  const PolicyPtr policy = Builtin("default");
  const std::string header = PadToEight("{" + Entry("w", "F32", {2}, 0, 8) + "}");
  const std::vector<uint8_t> small = MakeFile(header, std::string(8, '\0'));
  uint64_t needed = 0;
  // A small file: all of it (the identification window is larger).
  ASSERT_EQ(stguard_header_bytes_needed(policy.get(), small.data(), 8, small.size(), &needed),
            STGUARD_OK);
  EXPECT_EQ(needed, small.size());
  // A large file: the window, or the header when it is longer.
  ASSERT_EQ(stguard_header_bytes_needed(policy.get(), small.data(), 8, 1u << 30, &needed),
            STGUARD_OK);
  EXPECT_EQ(needed, 65536u);
  std::vector<uint8_t> big_header = MakeFile(std::string(100000, ' '));
  ASSERT_EQ(stguard_header_bytes_needed(policy.get(), big_header.data(), 8, 1u << 30, &needed),
            STGUARD_OK);
  EXPECT_EQ(needed, 100008u);
  // A prefix claiming more than the file: the window only.
  ASSERT_EQ(stguard_header_bytes_needed(policy.get(), big_header.data(), 8, 5000, &needed),
            STGUARD_OK);
  EXPECT_EQ(needed, 5000u);
  // Fewer than 8 bytes of a larger file: more is needed.
  EXPECT_EQ(stguard_header_bytes_needed(policy.get(), small.data(), 7, small.size(), &needed),
            STGUARD_ERR_NEED_MORE_DATA);
  // A 5-byte file: all 5.
  ASSERT_EQ(stguard_header_bytes_needed(policy.get(), small.data(), 5, 5, &needed), STGUARD_OK);
  EXPECT_EQ(needed, 5u);

  // The prefix alone of a file whose header is there: the header is needed.
  stguard_report* raw = reinterpret_cast<stguard_report*>(&needed);
  EXPECT_EQ(stguard_validate_header(policy.get(), small.data(), 8, small.size(), 0, &raw),
            STGUARD_ERR_NEED_MORE_DATA);
  EXPECT_EQ(raw, nullptr);
  EXPECT_NE(std::string(stguard_last_error()).find("8 were given"), std::string::npos)
      << stguard_last_error();
  // With the tensor table.
  ASSERT_EQ(stguard_validate_header(policy.get(), small.data(), 8 + header.size(), small.size(),
                                    STGUARD_FLAG_TENSORS, &raw),
            STGUARD_OK)
      << stguard_last_error();
  const ReportPtr report(raw);
  size_t count = 0;
  ASSERT_EQ(stguard_report_tensor_table_size(report.get(), &count), STGUARD_OK);
  EXPECT_EQ(count, 1u);
}

// ---- Bad input ----------------------------------------------------------------

// The error message of the last call, checked to say something.
void ExpectError(stguard_status got, stguard_status want, const char* words) {
  EXPECT_EQ(got, want) << stguard_last_error();
  EXPECT_NE(std::string(stguard_last_error()).find(words), std::string::npos)
      << "\"" << stguard_last_error() << "\" does not say \"" << words << "\"";
}

TEST(CApiBadInput, NullPointersSizesAndFlags) {
  const PolicyPtr policy = Builtin("default");
  const std::string header = PadToEight("{" + Entry("w", "F32", {2}, 0, 8) + "}");
  const std::vector<uint8_t> bytes = MakeFile(header, std::string(8, '\0'));
  stguard_report* raw = nullptr;
  ASSERT_EQ(stguard_validate_buffer_ex(policy.get(), bytes.data(), bytes.size(),
                                       STGUARD_FLAG_TENSORS | STGUARD_FLAG_DEEP_SCAN, &raw),
            STGUARD_OK);
  const ReportPtr report(raw);
  const stguard_status bad = STGUARD_ERR_INVALID_ARGUMENT;

  // stguard_report_json / stguard_checkpoint_json
  char* text = reinterpret_cast<char*>(1);
  ExpectError(stguard_report_json(report.get(), nullptr, 0, nullptr, nullptr), bad, "out is NULL");
  ExpectError(stguard_report_json(nullptr, nullptr, 0, &text, nullptr), bad, "report is NULL");
  EXPECT_EQ(text, nullptr);
  ExpectError(stguard_report_json(report.get(), nullptr, 4, &text, nullptr), bad,
              "unknown flag bits (4)");
  EXPECT_EQ(text, nullptr);
  ExpectError(stguard_checkpoint_json(nullptr, 0, &text, nullptr), bad, "checkpoint is NULL");
  ExpectError(stguard_checkpoint_json(nullptr, 0, nullptr, nullptr), bad, "out is NULL");
  stguard_string_free(nullptr);

  // The tensor table and the hashes.
  stguard_tensor t;
  stguard_tensor_hash h;
  size_t count = 0;
  ExpectError(stguard_report_tensor_table_size(nullptr, &count), bad, "report is NULL");
  ExpectError(stguard_report_tensor_table_size(report.get(), nullptr), bad, "out is NULL");
  ExpectError(stguard_report_tensor(report.get(), 0, nullptr, sizeof t), bad, "out is NULL");
  ExpectError(stguard_report_tensor(report.get(), 0, &t, sizeof t - 1), bad, "out_size");
  ExpectError(stguard_report_tensor(report.get(), 0, &t, 0), bad, "out_size");
  ExpectError(stguard_report_tensor(report.get(), 1, &t, sizeof t), bad, "out of range");
  ExpectError(stguard_report_hashed_tensor_count(nullptr, nullptr, &count), bad, "report is NULL");
  ExpectError(stguard_report_hashed_tensor_count(report.get(), nullptr, nullptr), bad,
              "out is NULL");
  ExpectError(stguard_report_hashed_tensor(report.get(), 0, &h, sizeof h - 8), bad, "out_size");
  ExpectError(stguard_report_hashed_tensor(report.get(), 0, nullptr, sizeof h), bad,
              "out is NULL");
  ExpectError(stguard_report_hashed_tensor(report.get(), 7, &h, sizeof h), bad, "out of range");
  // Reports made without the flags.
  ASSERT_EQ(stguard_validate_buffer(policy.get(), bytes.data(), bytes.size(), &raw), STGUARD_OK);
  const ReportPtr plain(raw);
  ExpectError(stguard_report_tensor_table_size(plain.get(), &count), bad, "STGUARD_FLAG_TENSORS");
  ExpectError(stguard_report_tensor(plain.get(), 0, &t, sizeof t), bad, "STGUARD_FLAG_TENSORS");
  ExpectError(stguard_report_hashed_tensor_count(plain.get(), nullptr, &count), bad,
              "STGUARD_FLAG_DEEP_SCAN");
  // Unknown flag bits in the validation entry points (the new one too).
  ExpectError(stguard_validate_buffer_ex(policy.get(), bytes.data(), bytes.size(), 1u << 7, &raw),
              bad, "unknown flag bits");
  EXPECT_EQ(raw, nullptr);

  // Headers.
  uint64_t needed = 0;
  ExpectError(stguard_header_bytes_needed(nullptr, bytes.data(), 8, bytes.size(), &needed), bad,
              "policy is NULL");
  ExpectError(stguard_header_bytes_needed(policy.get(), bytes.data(), 8, bytes.size(), nullptr),
              bad, "out is NULL");
  ExpectError(stguard_header_bytes_needed(policy.get(), nullptr, 8, bytes.size(), &needed), bad,
              "data is NULL");
  ExpectError(stguard_header_bytes_needed(policy.get(), bytes.data(), 8, 4, &needed), bad,
              "exceeds file_size");
  ExpectError(stguard_validate_header(policy.get(), bytes.data(), bytes.size(), bytes.size(), 0,
                                      nullptr),
              bad, "out is NULL");
  ExpectError(stguard_validate_header(nullptr, bytes.data(), bytes.size(), bytes.size(), 0, &raw),
              bad, "policy is NULL");
  ExpectError(stguard_validate_header(policy.get(), nullptr, 8, bytes.size(), 0, &raw), bad,
              "data is NULL");
  ExpectError(stguard_validate_header(policy.get(), bytes.data(), bytes.size(), 8, 0, &raw), bad,
              "exceeds file_size");
  ExpectError(stguard_validate_header(policy.get(), bytes.data(), bytes.size(), bytes.size(),
                                      STGUARD_FLAG_DEEP_SCAN, &raw),
              bad, "needs the data section");
  ExpectError(stguard_validate_header(policy.get(), bytes.data(), bytes.size(), bytes.size(),
                                      1u << 31, &raw),
              bad, "unknown flag bits");
  EXPECT_EQ(raw, nullptr);
  // An empty file given as such is a report (101 file-too-short), not an error.
  ASSERT_EQ(stguard_validate_header(policy.get(), nullptr, 0, 0, 0, &raw), STGUARD_OK);
  const ReportPtr empty(raw);
  stguard_finding f;
  ASSERT_EQ(stguard_report_finding(empty.get(), 0, &f), STGUARD_OK);
  EXPECT_EQ(f.code, 101u);

  // Checkpoints.
  stguard_checkpoint* checkpoint = nullptr;
  const std::string dir = kCorpus + "/examples/accepted";
  ExpectError(stguard_validate_checkpoint(policy.get(), dir.c_str(), 0, nullptr), bad,
              "out is NULL");
  ExpectError(stguard_validate_checkpoint(nullptr, dir.c_str(), 0, &checkpoint), bad,
              "policy is NULL");
  ExpectError(stguard_validate_checkpoint(policy.get(), nullptr, 0, &checkpoint), bad,
              "path is NULL");
  ExpectError(stguard_validate_checkpoint(policy.get(), dir.c_str(), STGUARD_FLAG_TENSORS,
                                          &checkpoint),
              bad, "unknown flag bits (2)");
  EXPECT_EQ(checkpoint, nullptr);
  ASSERT_EQ(stguard_validate_checkpoint(policy.get(), dir.c_str(), 0, &checkpoint), STGUARD_OK);
  stguard_judged_file file;
  stguard_verdict verdict;
  uint64_t skipped[5];
  ExpectError(stguard_checkpoint_verdict(checkpoint, nullptr), bad, "out is NULL");
  ExpectError(stguard_checkpoint_verdict(nullptr, &verdict), bad, "checkpoint is NULL");
  ExpectError(stguard_checkpoint_file_count(nullptr, &count), bad, "checkpoint is NULL");
  ExpectError(stguard_checkpoint_file_count(checkpoint, nullptr), bad, "out is NULL");
  ExpectError(stguard_checkpoint_file(checkpoint, 0, &file, sizeof file - 1), bad, "out_size");
  ExpectError(stguard_checkpoint_file(checkpoint, 0, nullptr, sizeof file), bad, "out is NULL");
  ExpectError(stguard_checkpoint_file(checkpoint, 99, &file, sizeof file), bad, "out of range");
  ExpectError(stguard_checkpoint_finding(checkpoint, 99, 0, &f), bad, "out of range");
  ExpectError(stguard_checkpoint_finding(checkpoint, 0, 0, nullptr), bad, "out is NULL");
  ExpectError(stguard_checkpoint_skipped(checkpoint, skipped, 4), bad, "5 skip reasons");
  ExpectError(stguard_checkpoint_skipped(checkpoint, nullptr, 5), bad, "out is NULL");
  ExpectError(stguard_checkpoint_json(checkpoint, 2, &text, nullptr), bad, "unknown flag bits");
  stguard_checkpoint_free(checkpoint);
  stguard_checkpoint_free(nullptr);
}

// Freed, foreign and mistyped handles are refused without being read, and a
// second free does nothing (ASan would report a double delete).
TEST(CApiBadInput, FreedForeignAndMistypedHandles) {
  const PolicyPtr policy = Builtin("default");
  const std::string header = PadToEight("{" + Entry("w", "F32", {2}, 0, 8) + "}");
  const std::vector<uint8_t> bytes = MakeFile(header, std::string(8, '\0'));
  const stguard_status bad = STGUARD_ERR_INVALID_ARGUMENT;

  stguard_report* report = nullptr;
  ASSERT_EQ(stguard_validate_buffer_ex(policy.get(), bytes.data(), bytes.size(),
                                       STGUARD_FLAG_TENSORS, &report),
            STGUARD_OK);
  stguard_checkpoint* checkpoint = nullptr;
  ASSERT_EQ(stguard_validate_checkpoint(policy.get(), (kCorpus + "/examples/accepted").c_str(), 0,
                                        &checkpoint),
            STGUARD_OK);
  size_t count = 0;
  char* text = nullptr;
  stguard_report* made = nullptr;
  stguard_checkpoint* made_checkpoint = nullptr;

  // Foreign: memory the library never handed out.
  alignas(16) char foreign[256] = {};
  auto* foreign_report = reinterpret_cast<const stguard_report*>(foreign);
  auto* foreign_policy = reinterpret_cast<const stguard_policy*>(foreign);
  auto* foreign_checkpoint = reinterpret_cast<const stguard_checkpoint*>(foreign);
  ExpectError(stguard_report_json(foreign_report, nullptr, 0, &text, nullptr), bad, "not a live");
  ExpectError(stguard_report_tensor_table_size(foreign_report, &count), bad, "not a live");
  ExpectError(stguard_report_hashed_tensor_count(foreign_report, nullptr, &count), bad,
              "not a live");
  ExpectError(stguard_validate_header(foreign_policy, bytes.data(), bytes.size(), bytes.size(), 0,
                                      &made),
              bad, "not a live");
  ExpectError(stguard_validate_checkpoint(foreign_policy, "/", 0, &made_checkpoint), bad,
              "not a live");
  ExpectError(stguard_checkpoint_file_count(foreign_checkpoint, &count), bad, "not a live");
  stguard_report_free(reinterpret_cast<stguard_report*>(foreign));
  stguard_policy_free(reinterpret_cast<stguard_policy*>(foreign));
  stguard_checkpoint_free(reinterpret_cast<stguard_checkpoint*>(foreign));

  // Mistyped: a live handle of another kind.
  ExpectError(stguard_checkpoint_file_count(reinterpret_cast<stguard_checkpoint*>(report), &count),
              bad, "not a live");
  ExpectError(stguard_report_tensor_table_size(reinterpret_cast<stguard_report*>(checkpoint),
                                               &count),
              bad, "not a live");
  ExpectError(stguard_validate_header(reinterpret_cast<stguard_policy*>(report), bytes.data(),
                                      bytes.size(), bytes.size(), 0, &made),
              bad, "not a live");
  stguard_report_free(reinterpret_cast<stguard_report*>(checkpoint));  // ignored: still live
  ASSERT_EQ(stguard_checkpoint_file_count(checkpoint, &count), STGUARD_OK);

  // Freed: refused, and freeing again does nothing.
  stguard_report_free(report);
  ExpectError(stguard_report_tensor_table_size(report, &count), bad, "not a live");
  ExpectError(stguard_report_json(report, nullptr, 0, &text, nullptr), bad, "not a live");
  stguard_report_free(report);
  stguard_checkpoint_free(checkpoint);
  ExpectError(stguard_checkpoint_file_count(checkpoint, &count), bad, "not a live");
  stguard_checkpoint_free(checkpoint);
  stguard_policy* second = nullptr;
  ASSERT_EQ(stguard_policy_builtin("strict", &second), STGUARD_OK);
  stguard_policy_free(second);
  ExpectError(stguard_validate_checkpoint(second, "/", 0, &made_checkpoint), bad, "not a live");
  stguard_policy_free(second);
  EXPECT_EQ(made, nullptr);
  EXPECT_EQ(made_checkpoint, nullptr);
}

TEST(CApiBadInput, RevisionAndStatusString) {
  EXPECT_EQ(stguard_api_revision(), STGUARD_C_API_REVISION);
  EXPECT_GE(stguard_api_revision(), 2);
  EXPECT_EQ(stguard_api_version(), 1);
  EXPECT_STREQ(stguard_status_string(STGUARD_ERR_NEED_MORE_DATA), "more of the file is needed");
}

}  // namespace
