// The C API (stguard/stguard.h), through the shared library: every
// function, its error paths and NULL arguments; and the header-only promise
// on a sparse file that claims a 1 TiB tensor.
#include "stguard/stguard.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "capi_handles.h"
#include "safetensors_builder.h"

namespace {

namespace fs = std::filesystem;
using stguard::testing::Builtin;
using stguard::testing::PolicyPtr;
using stguard::testing::ReportPtr;
using stguard::testing::Entry;
using stguard::testing::MakeFile;
using stguard::testing::MakeFileWithData;
using stguard::testing::PadToEight;
using stguard::testing::Prefix;

const std::string kCorpus = STGUARD_CORPUS_DIR;
const std::string kPolicies = STGUARD_POLICIES_DIR;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "stguard-capi-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

ReportPtr ValidateBytes(const stguard_policy* policy, const std::vector<uint8_t>& bytes) {
  stguard_report* r = nullptr;
  EXPECT_EQ(stguard_validate_buffer(policy, bytes.data(), bytes.size(), &r), STGUARD_OK)
      << stguard_last_error();
  return ReportPtr(r);
}

stguard_verdict Verdict(const stguard_report* report) {
  stguard_verdict v = STGUARD_VERDICT_ACCEPT;
  EXPECT_EQ(stguard_report_verdict(report, &v), STGUARD_OK);
  return v;
}

std::vector<stguard_finding> Findings(const stguard_report* report) {
  size_t count = 0;
  EXPECT_EQ(stguard_report_finding_count(report, &count), STGUARD_OK);
  std::vector<stguard_finding> out(count);
  for (size_t i = 0; i < count; ++i) {
    EXPECT_EQ(stguard_report_finding(report, i, &out[i]), STGUARD_OK);
  }
  return out;
}

std::vector<uint8_t> ValidFile() {
  return MakeFileWithData(PadToEight("{" + Entry("w", "F32", {2}, 0, 8) + "}"), 8);
}

TEST(CApiVersion, VersionAndApiVersion) {
  ASSERT_NE(stguard_version(), nullptr);
  const std::string version = stguard_version();
  EXPECT_EQ(std::count(version.begin(), version.end(), '.'), 2) << version;
  EXPECT_EQ(stguard_api_version(), STGUARD_C_API_VERSION);
}

TEST(CApiVersion, StatusStringsAreFixedAndDistinct) {
  const stguard_status all[] = {STGUARD_OK,          STGUARD_ERR_INVALID_ARGUMENT,
                                STGUARD_ERR_UNKNOWN_POLICY, STGUARD_ERR_BAD_POLICY,
                                STGUARD_ERR_IO,      STGUARD_ERR_NO_MEMORY,
                                STGUARD_ERR_INTERNAL};
  std::vector<std::string> seen;
  for (stguard_status s : all) {
    ASSERT_NE(stguard_status_string(s), nullptr);
    seen.emplace_back(stguard_status_string(s));
  }
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(std::unique(seen.begin(), seen.end()), seen.end());
  EXPECT_STREQ(stguard_status_string(static_cast<stguard_status>(77)), "unknown status");
}

TEST(CApiVersion, CodeIds) {
  EXPECT_STREQ(stguard_code_id(311), "duplicate-tensor-name");
  EXPECT_STREQ(stguard_code_id(101), "file-too-short");
  EXPECT_EQ(stguard_code_id(0), nullptr);
  EXPECT_EQ(stguard_code_id(99999), nullptr);
}

TEST(CApiPolicy, BuiltinsByName) {
  for (const char* name : {"compat", "default", "strict"}) {
    PolicyPtr p = Builtin(name);
    ASSERT_NE(p, nullptr);
    const char* got = nullptr;
    ASSERT_EQ(stguard_policy_name(p.get(), &got), STGUARD_OK);
    EXPECT_STREQ(got, name);
  }
}

TEST(CApiPolicy, UnknownBuiltinIsAnErrorWithAMessage) {
  stguard_policy* p = reinterpret_cast<stguard_policy*>(0x1);
  EXPECT_EQ(stguard_policy_builtin("lenient", &p), STGUARD_ERR_UNKNOWN_POLICY);
  EXPECT_EQ(p, nullptr);
  EXPECT_NE(std::string(stguard_last_error()).find("lenient"), std::string::npos);
}

TEST(CApiPolicy, LoadFileAndResolve) {
  const std::string path = kPolicies + "/example-hub-f16-only.json";
  stguard_policy* p = nullptr;
  ASSERT_EQ(stguard_policy_load_file(path.c_str(), &p), STGUARD_OK) << stguard_last_error();
  PolicyPtr owned(p);
  const char* name = nullptr;
  ASSERT_EQ(stguard_policy_name(p, &name), STGUARD_OK);
  EXPECT_GT(std::strlen(name), 0u);

  stguard_policy* q = nullptr;
  ASSERT_EQ(stguard_policy_resolve(path.c_str(), &q), STGUARD_OK);
  stguard_policy_free(q);
  ASSERT_EQ(stguard_policy_resolve("strict", &q), STGUARD_OK);
  ASSERT_EQ(stguard_policy_name(q, &name), STGUARD_OK);
  EXPECT_STREQ(name, "strict");
  stguard_policy_free(q);
}

TEST(CApiPolicy, BadPolicyFilesAreErrorsWithMessages) {
  TempDir dir;
  const std::string bad = dir.File("bad.json");
  WriteFile(bad, "{\"extends\": \"compat\", \"no_such_knob\": 1}");
  stguard_policy* p = reinterpret_cast<stguard_policy*>(0x1);
  EXPECT_EQ(stguard_policy_load_file(bad.c_str(), &p), STGUARD_ERR_BAD_POLICY);
  EXPECT_EQ(p, nullptr);
  EXPECT_STRNE(stguard_last_error(), "");

  const std::string missing = dir.File("missing.json");
  EXPECT_EQ(stguard_policy_load_file(missing.c_str(), &p), STGUARD_ERR_BAD_POLICY);
  EXPECT_EQ(p, nullptr);
  EXPECT_STRNE(stguard_last_error(), "");
  // Neither a built-in nor a readable file.
  EXPECT_EQ(stguard_policy_resolve("no-such-policy", &p), STGUARD_ERR_BAD_POLICY);
  EXPECT_EQ(p, nullptr);
  EXPECT_STRNE(stguard_last_error(), "");
}

TEST(CApiPolicy, NullArguments) {
  stguard_policy* p = nullptr;
  EXPECT_EQ(stguard_policy_builtin(nullptr, &p), STGUARD_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(stguard_last_error()).find("NULL"), std::string::npos);
  EXPECT_EQ(stguard_policy_builtin("compat", nullptr), STGUARD_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(stguard_policy_load_file(nullptr, &p), STGUARD_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(stguard_policy_load_file("x.json", nullptr), STGUARD_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(stguard_policy_resolve(nullptr, &p), STGUARD_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(stguard_policy_resolve("compat", nullptr), STGUARD_ERR_INVALID_ARGUMENT);
  const char* name = nullptr;
  EXPECT_EQ(stguard_policy_name(nullptr, &name), STGUARD_ERR_INVALID_ARGUMENT);
  PolicyPtr compat = Builtin("compat");
  EXPECT_EQ(stguard_policy_name(compat.get(), nullptr), STGUARD_ERR_INVALID_ARGUMENT);
  stguard_policy_free(nullptr);  // a no-op
  stguard_report_free(nullptr);
}

TEST(CApiValidate, AcceptedBufferAndItsSummary) {
  PolicyPtr policy = Builtin("default");
  const std::vector<uint8_t> bytes = ValidFile();
  ReportPtr r = ValidateBytes(policy.get(), bytes);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(Verdict(r.get()), STGUARD_VERDICT_ACCEPT);
  uint64_t value = 0;
  ASSERT_EQ(stguard_report_file_size(r.get(), &value), STGUARD_OK);
  EXPECT_EQ(value, bytes.size());
  ASSERT_EQ(stguard_report_header_bytes(r.get(), &value), STGUARD_OK);
  EXPECT_EQ(value, bytes.size() - 8 - 8);
  ASSERT_EQ(stguard_report_tensor_count(r.get(), &value), STGUARD_OK);
  EXPECT_EQ(value, 1u);
  EXPECT_TRUE(Findings(r.get()).empty());
}

TEST(CApiDeepScan, FlagsHashTheBytesAndCheckBoolValues) {
  PolicyPtr policy = Builtin("default");
  // A BOOL tensor with a byte of 2: rejected by default, but only when the
  // data is read.
  const std::vector<uint8_t> bytes =
      MakeFile(PadToEight("{" + Entry("m", "BOOL", {2}, 0, 2) + "}"), std::string("\x01\x02", 2));
  stguard_report* raw = nullptr;
  ASSERT_EQ(stguard_validate_buffer_ex(policy.get(), bytes.data(), bytes.size(), 0, &raw),
            STGUARD_OK);
  ReportPtr shallow(raw);
  EXPECT_EQ(Verdict(shallow.get()), STGUARD_VERDICT_ACCEPT);
  char hex[65];
  EXPECT_EQ(stguard_report_sha256(shallow.get(), hex), STGUARD_ERR_INVALID_ARGUMENT);
  ASSERT_EQ(stguard_validate_buffer_ex(policy.get(), bytes.data(), bytes.size(),
                                       STGUARD_FLAG_DEEP_SCAN, &raw),
            STGUARD_OK);
  ReportPtr deep(raw);
  EXPECT_EQ(Verdict(deep.get()), STGUARD_VERDICT_REJECT);
  const std::vector<stguard_finding> findings = Findings(deep.get());
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].code, 609u);
  ASSERT_EQ(stguard_report_sha256(deep.get(), hex), STGUARD_OK);
  EXPECT_EQ(std::strlen(hex), 64u);
  // The same bytes from a file and from a pipe give the same hash.
  TempDir dir;
  const std::string path = dir.File("m.safetensors");
  WriteFile(path, std::string(bytes.begin(), bytes.end()));
  ASSERT_EQ(stguard_validate_file_ex(policy.get(), path.c_str(), STGUARD_FLAG_DEEP_SCAN, &raw),
            STGUARD_OK);
  ReportPtr from_file(raw);
  char file_hex[65];
  ASSERT_EQ(stguard_report_sha256(from_file.get(), file_hex), STGUARD_OK);
  EXPECT_STREQ(file_hex, hex);
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ASSERT_EQ(::write(fds[1], bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  ::close(fds[1]);
  ASSERT_EQ(stguard_validate_fd(policy.get(), fds[0], STGUARD_FLAG_DEEP_SCAN, &raw), STGUARD_OK);
  ::close(fds[0]);
  ReportPtr from_pipe(raw);
  char pipe_hex[65];
  ASSERT_EQ(stguard_report_sha256(from_pipe.get(), pipe_hex), STGUARD_OK);
  EXPECT_STREQ(pipe_hex, hex);
  EXPECT_EQ(Verdict(from_pipe.get()), STGUARD_VERDICT_REJECT);
}

TEST(CApiDeepScan, BadFlagsAndDescriptorsAreErrors) {
  PolicyPtr policy = Builtin("default");
  const std::vector<uint8_t> bytes = ValidFile();
  stguard_report* raw = reinterpret_cast<stguard_report*>(&raw);  // must be reset to NULL
  EXPECT_EQ(stguard_validate_buffer_ex(policy.get(), bytes.data(), bytes.size(), 0x80, &raw),
            STGUARD_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(raw, nullptr);
  EXPECT_EQ(stguard_validate_file_ex(policy.get(), "x", 8, &raw), STGUARD_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(stguard_validate_fd(policy.get(), -1, 0, &raw), STGUARD_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(stguard_validate_fd(nullptr, 0, 0, &raw), STGUARD_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(stguard_validate_fd(policy.get(), 0, 0, nullptr), STGUARD_ERR_INVALID_ARGUMENT);
  // A descriptor that cannot be read is an I/O error with a message.
  TempDir dir;
  const int fd = ::open(dir.File("").c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(stguard_validate_fd(policy.get(), fd, 0, &raw), STGUARD_ERR_IO);
  EXPECT_NE(std::string(stguard_last_error()).find("Is a directory"), std::string::npos)
      << stguard_last_error();
  ::close(fd);
  EXPECT_EQ(stguard_report_sha256(nullptr, nullptr), STGUARD_ERR_INVALID_ARGUMENT);
}

TEST(CApiValidate, RejectedBufferListsFindings) {
  PolicyPtr policy = Builtin("compat");
  // Overlapping ranges: rejected by every policy.
  const std::string header = PadToEight(
      "{" + Entry("a", "F32", {2}, 0, 8) + "," + Entry("b", "F32", {2}, 4, 12) + "}");
  ReportPtr r = ValidateBytes(policy.get(), MakeFileWithData(header, 12));
  EXPECT_EQ(Verdict(r.get()), STGUARD_VERDICT_REJECT);
  const std::vector<stguard_finding> findings = Findings(r.get());
  ASSERT_FALSE(findings.empty());
  bool overlap = false;
  for (const stguard_finding& f : findings) {
    EXPECT_STREQ(f.id, stguard_code_id(f.code));
    EXPECT_NE(f.message, nullptr);
    EXPECT_GT(std::strlen(f.message), 0u);
    if (f.code == 604) {
      overlap = true;
      EXPECT_EQ(f.severity, STGUARD_SEVERITY_ERROR);
      EXPECT_EQ(f.has_tensor, 1);
      EXPECT_EQ(std::string(f.tensor, f.tensor_length), "b");
      EXPECT_GT(f.offset, 8u);
    }
  }
  EXPECT_TRUE(overlap);
  stguard_finding f;
  EXPECT_EQ(stguard_report_finding(r.get(), findings.size(), &f), STGUARD_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(stguard_last_error()).find("out of range"), std::string::npos);
}

TEST(CApiValidate, FindingWithoutTensorHasEmptyName) {
  PolicyPtr policy = Builtin("compat");
  const std::vector<uint8_t> bytes = {1, 2, 3};  // shorter than the prefix
  ReportPtr r = ValidateBytes(policy.get(), bytes);
  EXPECT_EQ(Verdict(r.get()), STGUARD_VERDICT_REJECT);
  const std::vector<stguard_finding> findings = Findings(r.get());
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].code, 101u);
  EXPECT_STREQ(findings[0].id, "file-too-short");
  EXPECT_EQ(findings[0].has_tensor, 0);
  EXPECT_STREQ(findings[0].tensor, "");
  EXPECT_EQ(findings[0].tensor_length, 0u);
}

TEST(CApiValidate, TensorNamesMayHoldNul) {
  PolicyPtr policy = Builtin("default");
  const std::string header =
      PadToEight("{\"a\\u0000b\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}");
  ReportPtr r = ValidateBytes(policy.get(), MakeFileWithData(header, 1));
  EXPECT_EQ(Verdict(r.get()), STGUARD_VERDICT_REJECT);
  bool seen = false;
  for (const stguard_finding& f : Findings(r.get())) {
    if (f.code != 316) continue;
    seen = true;
    EXPECT_EQ(f.tensor_length, 3u);
    EXPECT_EQ(std::string(f.tensor, f.tensor_length), std::string("a\0b", 3));
    EXPECT_EQ(f.tensor[f.tensor_length], '\0');
  }
  EXPECT_TRUE(seen);
}

TEST(CApiValidate, EmptyBufferMayBeNull) {
  PolicyPtr policy = Builtin("compat");
  stguard_report* r = nullptr;
  ASSERT_EQ(stguard_validate_buffer(policy.get(), nullptr, 0, &r), STGUARD_OK);
  ReportPtr owned(r);
  EXPECT_EQ(Verdict(r), STGUARD_VERDICT_REJECT);
  uint64_t size = 1;
  ASSERT_EQ(stguard_report_file_size(r, &size), STGUARD_OK);
  EXPECT_EQ(size, 0u);
}

TEST(CApiValidate, FilesAndIoErrors) {
  PolicyPtr policy = Builtin("default");
  for (const char* name : {"gpt2_float32.safetensors", "dtype_bfloat16.safetensors"}) {
    const std::string path = kCorpus + "/examples/accepted/" + name;
    stguard_report* r = nullptr;
    ASSERT_EQ(stguard_validate_file(policy.get(), path.c_str(), &r), STGUARD_OK)
        << stguard_last_error();
    ReportPtr owned(r);
    EXPECT_EQ(Verdict(r), STGUARD_VERDICT_ACCEPT) << name;
  }
  const std::string rejected = kCorpus + "/examples/rejected/off_overlap.safetensors";
  stguard_report* r = nullptr;
  ASSERT_EQ(stguard_validate_file(policy.get(), rejected.c_str(), &r), STGUARD_OK);
  ReportPtr owned(r);
  EXPECT_EQ(Verdict(r), STGUARD_VERDICT_REJECT);

  TempDir dir;
  const std::string missing = dir.File("missing.safetensors");
  stguard_report* none = reinterpret_cast<stguard_report*>(0x1);
  EXPECT_EQ(stguard_validate_file(policy.get(), missing.c_str(), &none), STGUARD_ERR_IO);
  EXPECT_EQ(none, nullptr);
  EXPECT_NE(std::string(stguard_last_error()).find("missing.safetensors"), std::string::npos);
  none = reinterpret_cast<stguard_report*>(0x1);
  EXPECT_EQ(stguard_validate_file(policy.get(), kCorpus.c_str(), &none), STGUARD_ERR_IO);
  EXPECT_EQ(none, nullptr);
}

TEST(CApiValidate, NullArguments) {
  PolicyPtr policy = Builtin("compat");
  const std::vector<uint8_t> bytes = ValidFile();
  stguard_report* r = reinterpret_cast<stguard_report*>(0x1);
  EXPECT_EQ(stguard_validate_buffer(nullptr, bytes.data(), bytes.size(), &r),
            STGUARD_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(r, nullptr);
  EXPECT_EQ(stguard_validate_buffer(policy.get(), nullptr, 5, &r), STGUARD_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(stguard_validate_buffer(policy.get(), bytes.data(), bytes.size(), nullptr),
            STGUARD_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(stguard_validate_file(nullptr, "x", &r), STGUARD_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(stguard_validate_file(policy.get(), nullptr, &r), STGUARD_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(stguard_validate_file(policy.get(), "x", nullptr), STGUARD_ERR_INVALID_ARGUMENT);

  ReportPtr report = ValidateBytes(policy.get(), bytes);
  stguard_verdict v;
  uint64_t u;
  size_t n;
  stguard_finding f;
  EXPECT_EQ(stguard_report_verdict(nullptr, &v), STGUARD_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(stguard_report_verdict(report.get(), nullptr), STGUARD_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(stguard_report_file_size(nullptr, &u), STGUARD_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(stguard_report_file_size(report.get(), nullptr), STGUARD_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(stguard_report_header_bytes(nullptr, &u), STGUARD_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(stguard_report_header_bytes(report.get(), nullptr), STGUARD_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(stguard_report_tensor_count(nullptr, &u), STGUARD_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(stguard_report_tensor_count(report.get(), nullptr), STGUARD_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(stguard_report_finding_count(nullptr, &n), STGUARD_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(stguard_report_finding_count(report.get(), nullptr), STGUARD_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(stguard_report_finding(nullptr, 0, &f), STGUARD_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(stguard_report_finding(report.get(), 0, nullptr), STGUARD_ERR_INVALID_ARGUMENT);
}

TEST(CApiValidate, SuccessClearsTheLastError) {
  stguard_policy* p = nullptr;
  EXPECT_EQ(stguard_policy_builtin("nope", &p), STGUARD_ERR_UNKNOWN_POLICY);
  EXPECT_STRNE(stguard_last_error(), "");
  PolicyPtr policy = Builtin("compat");
  EXPECT_STREQ(stguard_last_error(), "");
}

// Bytes this process has read through read(2)/pread(2) so far (rchar).
long long BytesRead() {
  std::ifstream io("/proc/self/io");
  std::string key;
  long long value = -1;
  while (io >> key >> value) {
    if (key == "rchar:") return value;
  }
  return -1;
}

// A header that claims a 1 TiB tensor, in a sparse file of 1 TiB: checking
// it reads the prefix and the header only (the benchmark reports its time).
TEST(HeaderOnly, SparseFileWithA1TiBTensorIsCheckedFromItsHeader) {
  constexpr uint64_t kTiB = uint64_t{1} << 40;
  const std::string header = PadToEight(
      "{" + Entry("huge", "U8", {kTiB}, 0, kTiB) + "}");
  TempDir dir;
  const std::string path = dir.File("sparse.safetensors");
  const int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0600);
  ASSERT_GE(fd, 0);
  const std::string head = Prefix(header.size()) + header;
  ASSERT_EQ(::write(fd, head.data(), head.size()), static_cast<ssize_t>(head.size()));
  const bool sparse_ok = ::ftruncate(fd, static_cast<off_t>(head.size() + kTiB)) == 0;
  ::close(fd);
  if (!sparse_ok) GTEST_SKIP() << "file system cannot hold a sparse 1 TiB file";

  const long long read_before = BytesRead();
  for (const char* name : {"compat", "default", "strict"}) {
    PolicyPtr policy = Builtin(name);
    stguard_report* r = nullptr;
    ASSERT_EQ(stguard_validate_file(policy.get(), path.c_str(), &r), STGUARD_OK)
        << stguard_last_error();
    ReportPtr owned(r);
    EXPECT_EQ(Verdict(r), STGUARD_VERDICT_ACCEPT) << name;
    uint64_t size = 0;
    ASSERT_EQ(stguard_report_file_size(r, &size), STGUARD_OK);
    EXPECT_EQ(size, head.size() + kTiB);
    EXPECT_TRUE(Findings(r).empty()) << name;
  }
  const long long read_after = BytesRead();
  if (read_before >= 0 && read_after >= 0) {
    // Three checks of a ~100-byte header (plus the policy tables): far below
    // one page of the data section per check.
    EXPECT_LT(read_after - read_before, 64 * 1024);
  }
}

}  // namespace
