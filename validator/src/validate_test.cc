// Unit tests for the entry points (validate.cc): framing, ValidateFile vs
// ValidateBuffer, I/O errors, sparse files, report invariants (sorted
// findings, offsets inside the file, counts) and no exceptions escaping.
#include "stguard/validate.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <future>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "large_input_paths.h"
#include "report_assertions.h"
#include "safetensors_builder.h"
#include "temp_dir.h"
#include "truncate_on_read.h"

namespace stguard {
namespace {

using testing::P;
using testing::Dump;
using testing::Has;
using testing::Lacks;
using testing::Clean;
using testing::Rejects;
using testing::RunBytes;
using testing::RunRaw;
using testing::RunPadded;

namespace fs = std::filesystem;
using ::testing::AssertionFailure;
using ::testing::AssertionResult;
using ::testing::AssertionSuccess;
using testing::MakeFile;
using testing::PadToEight;
using testing::Prefix;

using testing::TempDir;

std::vector<uint8_t> Bytes(const std::string& s) { return std::vector<uint8_t>(s.begin(), s.end()); }

const std::string kTensor = R"("t":{"dtype":"U8","shape":[8],"data_offsets":[0,8]})";
const std::string kValid = "{" + kTensor + "}";

// Invariants every report must satisfy.
AssertionResult WellFormed(const Report& r, uint64_t file_size) {
  if (r.file_size != file_size) return AssertionFailure() << "file_size " << r.file_size;
  bool has_error = false;
  bool seen_note = false;
  for (size_t i = 0; i < r.findings.size(); ++i) {
    const Finding& f = r.findings[i];
    if (file_size == 0 ? f.offset != 0 : f.offset >= file_size) {
      return AssertionFailure() << "offset " << f.offset << " outside a file of " << file_size
                                << "; " << Dump(r);
    }
    if (f.severity == Severity::kError) has_error = true;
    if (f.message.empty() && f.code != Code::kFieldUnknown &&
        f.code != Code::kDuplicateTensorName) {
      return AssertionFailure() << "empty message; " << Dump(r);
    }
    if (f.message.find('\n') != std::string::npos) {
      return AssertionFailure() << "multi-line message; " << Dump(r);
    }
    if (f.tensor && f.tensor->size() > kMaxReportedNameBytes + 3) {
      return AssertionFailure() << "tensor name of " << f.tensor->size() << " bytes";
    }
    // Sorted by (offset, code); truncation notes come last.
    if (f.code == Code::kFindingsTruncated) {
      seen_note = true;
      continue;
    }
    if (seen_note) return AssertionFailure() << "finding after a truncation note; " << Dump(r);
    if (i > 0 && r.findings[i - 1].code != Code::kFindingsTruncated) {
      const Finding& p = r.findings[i - 1];
      if (p.offset > f.offset || (p.offset == f.offset && p.code > f.code)) {
        return AssertionFailure() << "findings out of order at " << i << "; " << Dump(r);
      }
    }
  }
  if (has_error != (r.verdict == Verdict::kReject)) {
    return AssertionFailure() << "verdict does not follow the errors; " << Dump(r);
  }
  return AssertionSuccess();
}

// ---------------------------------------------------------------------------
// Framing

TEST(Framing, FilesShorterThanThePrefix_Reject101At0) {
  for (size_t n = 0; n < 8; ++n) {
    const std::vector<uint8_t> bytes(n, 0x01);
    const Report r = ValidateBuffer(bytes, P("compat"));
    EXPECT_TRUE(Rejects(r, Code::kFileTooShort, 0)) << n;
    EXPECT_EQ(r.findings.size(), 1u) << n;
    EXPECT_EQ(r.file_size, n);
    EXPECT_EQ(r.header_bytes, 0u);
    EXPECT_TRUE(WellFormed(r, n));
  }
}

TEST(Framing, EmptySpanIsAnEmptyFile) {
  const Report r = ValidateBuffer(std::span<const uint8_t>(), P("strict"));
  EXPECT_TRUE(Rejects(r, Code::kFileTooShort, 0));
  EXPECT_TRUE(WellFormed(r, 0));
}

TEST(Framing, HeaderOfExactlyTheCeiling_PassesTheLimitThenFails103) {
  const std::vector<uint8_t> bytes = Bytes(Prefix(100'000'000) + kValid);
  const Report r = ValidateBuffer(bytes, P("compat"));
  EXPECT_TRUE(Rejects(r, Code::kHeaderPastEof, 0));
  EXPECT_TRUE(Lacks(r, Code::kHeaderTooLarge));
  EXPECT_EQ(r.header_bytes, 100'000'000u);
}

TEST(Framing, HeaderAboveTheCeiling_Rejects102At0) {
  for (uint64_t n : {uint64_t{100'000'001}, UINT64_MAX, uint64_t{1} << 63, uint64_t{1} << 32,
                     UINT64_MAX - 7}) {
    const Report r = ValidateBuffer(Bytes(Prefix(n) + kValid), P("compat"));
    EXPECT_TRUE(Rejects(r, Code::kHeaderTooLarge, 0)) << n;
    EXPECT_TRUE(Lacks(r, Code::kHeaderPastEof)) << n;
    EXPECT_EQ(r.header_bytes, n);
  }
}

TEST(Framing, StrictLimitIs50MB) {
  EXPECT_TRUE(Rejects(ValidateBuffer(Bytes(Prefix(50'000'001) + kValid), P("strict")),
                      Code::kHeaderTooLarge, 0));
  EXPECT_TRUE(Rejects(ValidateBuffer(Bytes(Prefix(50'000'000) + kValid), P("strict")),
                      Code::kHeaderPastEof, 0));
}

TEST(Framing, CustomHeaderLimit) {
  const PolicyLoadResult loaded = ParsePolicy(R"({"extends":"compat","max_header_bytes":56})", ".");
  ASSERT_TRUE(loaded.policy) << loaded.error;
  const std::string header = PadToEight(kValid);  // 56 bytes
  ASSERT_EQ(header.size(), 56u);
  EXPECT_TRUE(Clean(ValidateBuffer(testing::MakeFileWithData(header, 8), *loaded.policy)));
  EXPECT_TRUE(Rejects(ValidateBuffer(testing::MakeFileWithData(header + " ", 8), *loaded.policy),
                      Code::kHeaderTooLarge, 0));
}

TEST(Framing, HeaderPastEof_Rejects103At0) {
  const std::string header = PadToEight(kValid);
  // One byte more than the file holds.
  const Report r = ValidateBuffer(MakeFile(header, "", header.size() + 1), P("compat"));
  EXPECT_TRUE(Rejects(r, Code::kHeaderPastEof, 0));
  EXPECT_EQ(r.header_bytes, header.size() + 1);
  // Prefix only, N = 1.
  EXPECT_TRUE(Rejects(ValidateBuffer(Bytes(Prefix(1)), P("compat")), Code::kHeaderPastEof, 0));
}

TEST(Framing, HeaderEndingExactlyAtEof_NoData) {
  const std::string header = PadToEight("{}");
  const Report r = ValidateBuffer(MakeFile(header), P("strict"));
  EXPECT_TRUE(Clean(r));
  EXPECT_EQ(r.header_bytes, 8u);
  EXPECT_EQ(r.file_size, 16u);
}

// ---------------------------------------------------------------------------
// Report contents

TEST(Report, CountsForAValidFile) {
  const std::string header =
      PadToEight("{\"__metadata__\":{\"a\":\"b\"}," + kTensor +
                 R"(,"u":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})");
  const Report r = ValidateBuffer(testing::MakeFileWithData(header, 16), P("strict"));
  EXPECT_TRUE(Clean(r));
  EXPECT_EQ(r.file_size, 8 + header.size() + 16);
  EXPECT_EQ(r.header_bytes, header.size());
  EXPECT_EQ(r.tensor_count, 2u);
  EXPECT_TRUE(r.tensors.empty());
  EXPECT_FALSE(r.HasCode(Code::kDataGap));
}

TEST(Report, HasCode) {
  const Report r = RunPadded("{" + kTensor + R"(,"x":1})", 8, "compat");
  EXPECT_TRUE(r.HasCode(Code::kTensorEntryInvalid));
  EXPECT_FALSE(r.HasCode(Code::kDataGap));
}

TEST(Report, FindingsSortedByOffsetThenCode) {
  // Problems all over the header, in no particular order of detection.
  const std::string header =
      R"({"z":{"dtype":"U8","shape":[4],"data_offsets":[8,12],"q":1},)"
      R"("__metadata__":null,"":{"dtype":"U8","shape":[4],"data_offsets":[0,3]},)"
      R"("a/../b":{"dtype":"F32","shape":[1],"data_offsets":[3,7]}})";
  const Report r = RunPadded(header, 16, "compat");
  EXPECT_GE(r.findings.size(), 6u) << Dump(r);
  EXPECT_TRUE(WellFormed(r, 8 + PadToEight(header).size() + 16));
  EXPECT_TRUE(std::is_sorted(r.findings.begin(), r.findings.end(),
                             [](const Finding& a, const Finding& b) { return a.offset < b.offset; }));
}

TEST(Report, FindingsCappedPerCodeWithATruncationNote) {
  std::string fields;
  for (int i = 0; i < 100; ++i) fields += ",\"x" + std::to_string(i) + "\":" + std::to_string(i);
  const std::string header =
      R"({"t":{"dtype":"U8","shape":[8],"data_offsets":[0,8])" + fields + "}}";
  const Report r = RunPadded(header, 8, "default");
  size_t unknown = 0;
  const Finding* note = nullptr;
  for (const Finding& f : r.findings) {
    unknown += f.code == Code::kFieldUnknown;
    if (f.code == Code::kFindingsTruncated) note = &f;
  }
  EXPECT_EQ(unknown, 32u);
  ASSERT_NE(note, nullptr) << Dump(r);
  EXPECT_EQ(note->severity, Severity::kInfo);
  EXPECT_NE(note->message.find("68 more"), std::string::npos) << note->message;
  EXPECT_NE(note->message.find("308"), std::string::npos) << note->message;
  EXPECT_NE(note->message.find("error"), std::string::npos) << note->message;
  EXPECT_EQ(r.verdict, Verdict::kReject);
  EXPECT_TRUE(WellFormed(r, 8 + PadToEight(header).size() + 8));
}

TEST(Report, CustomFindingsCap) {
  std::string members;
  for (int i = 0; i < 10; ++i) members += ",\"b" + std::to_string(i) + "\":1";
  const std::string header = "{" + kTensor + members + "}";
  ValidateOptions options;
  options.max_findings_per_code = 3;
  const Report r =
      ValidateBuffer(testing::MakeFileWithData(PadToEight(header), 8), P("compat"), options);
  size_t invalid = 0;
  for (const Finding& f : r.findings) invalid += f.code == Code::kTensorEntryInvalid;
  EXPECT_EQ(invalid, 3u);
  EXPECT_TRUE(r.HasCode(Code::kFindingsTruncated));
  // A cap of 0 keeps no findings, but the verdict still rejects.
  options.max_findings_per_code = 0;
  const Report none =
      ValidateBuffer(testing::MakeFileWithData(PadToEight(header), 8), P("compat"), options);
  EXPECT_EQ(none.verdict, Verdict::kReject);
  for (const Finding& f : none.findings) EXPECT_EQ(f.code, Code::kFindingsTruncated);
  EXPECT_FALSE(none.findings.empty());
}

TEST(Report, TensorNameOfAFindingIsShortened) {
  const std::string name(5000, 'n');
  const Report r = RunPadded("{\"" + name + "\":1}", 0, "compat");
  ASSERT_EQ(r.findings.size(), 1u) << Dump(r);
  ASSERT_TRUE(r.findings[0].tensor.has_value());
  EXPECT_EQ(*r.findings[0].tensor, std::string(kMaxReportedNameBytes, 'n') + "...");
}

TEST(Names, SeverityVerdictAndVersion) {
  EXPECT_EQ(SeverityName(Severity::kInfo), "info");
  EXPECT_EQ(SeverityName(Severity::kWarning), "warning");
  EXPECT_EQ(SeverityName(Severity::kError), "error");
  EXPECT_EQ(VerdictName(Verdict::kAccept), "accept");
  EXPECT_EQ(VerdictName(Verdict::kReject), "reject");
  const std::string_view version = Version();
  int dots = 0;
  for (char c : version) {
    if (c == '.') {
      ++dots;
    } else {
      EXPECT_TRUE(c >= '0' && c <= '9') << version;
    }
  }
  EXPECT_EQ(dots, 2) << version;
}

// ---------------------------------------------------------------------------
// ValidateFile

std::vector<std::vector<uint8_t>> SampleFiles() {
  std::vector<std::vector<uint8_t>> files;
  files.push_back({});
  files.push_back(Bytes("abc"));
  files.push_back(Bytes(Prefix(UINT64_MAX)));
  files.push_back(Bytes(Prefix(200) + "{}"));
  files.push_back(testing::MakeFileWithData(PadToEight(kValid), 8));
  files.push_back(testing::MakeFileWithData(kValid, 8));
  files.push_back(testing::MakeFileWithData(PadToEight(kValid), 9));
  files.push_back(testing::MakeFileWithData(PadToEight("  " + kValid + "\t"), 8));
  files.push_back(testing::MakeFileWithData(PadToEight("\xEF\xBB\xBF" + kValid), 8));
  files.push_back(testing::MakeFileWithData(PadToEight(R"({"a":["U8",[8],[0,8]],"a":1e400})"), 8));
  files.push_back(testing::MakeFileWithData(
      PadToEight(R"({"__metadata__":null,"b":{"dtype":{"F32":null},"shape":[2],"data_offsets":[0,8]},)"
                 R"("a":{"dtype":"U8","shape":[8],"data_offsets":[8,16],"x":[]}})"),
      16));
  files.push_back(MakeFile(""));
  return files;
}

// The paths large inputs take (large_input_paths.h), forced on a small
// file: the file hash on a second thread, the next chunk read ahead, names
// grouped in place, the baseline value scan. The report is the default
// paths' one: 40 F32 tensors (one name twice, so the exact duplicate pass
// runs too), NaN and Inf among the values, read in 24-byte chunks.
TEST(ValidateFile, LargeInputPathsGiveTheSameDeepReport) {
  std::string header = "{";
  std::vector<uint8_t> data;
  for (int i = 0; i < 40; ++i) {
    const std::string name = i == 39 ? "t0" : "t" + std::to_string(i);
    header += (i == 0 ? "" : ",") + std::string("\"") + name + "\":{\"dtype\":\"F32\"," +
              "\"shape\":[3],\"data_offsets\":[" + std::to_string(data.size()) + "," +
              std::to_string(data.size() + 12) + "]}";
    for (int k = 0; k < 3; ++k) {
      const float value = k == 1 && i % 7 == 0   ? std::numeric_limits<float>::quiet_NaN()
                          : k == 2 && i % 5 == 0 ? std::numeric_limits<float>::infinity()
                                                 : static_cast<float>(i * 3 + k);
      uint8_t bytes[4];
      std::memcpy(bytes, &value, 4);
      data.insert(data.end(), bytes, bytes + 4);
    }
  }
  header += "}";
  std::vector<uint8_t> file = testing::MakeFileWithData(testing::PadToEight(header), 0);
  file.insert(file.end(), data.begin(), data.end());
  TempDir dir;
  const std::string path = dir.Write("forty.safetensors", file);
  for (const char* policy : {"compat", "default", "strict"}) {
    ValidateOptions deep;
    deep.collect_tensors = true;
    deep.deep_scan = true;
    const Report expected = ValidateBuffer(file, P(policy), deep);
    ASSERT_TRUE(expected.content.has_value());
    deep.read_chunk_bytes = 24;
    FileReport forced;
    {
      const internal::ScopedLargeInputPaths large_input_paths;
      forced = ValidateFile(path, P(policy), deep);
    }
    ASSERT_TRUE(forced.io_ok) << forced.io_error;
    EXPECT_EQ(forced.report.verdict, expected.verdict) << policy;
    EXPECT_EQ(forced.report.tensors, expected.tensors) << policy;
    EXPECT_EQ(forced.report.content, expected.content) << policy;
    EXPECT_EQ(Dump(forced.report), Dump(expected)) << policy;
  }
}

// hash_content = false: the deep scan's findings (608 NaN/Inf, 609 BOOL)
// and verdict, no content, from a buffer and from a file read in chunks.
TEST(DeepScan, ValueRulesWithoutHashesGiveTheDeepFindings) {
  const std::string header = testing::PadToEight(
      R"({"f":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
      R"("b":{"dtype":"BOOL","shape":[2],"data_offsets":[8,10]}})");
  std::vector<uint8_t> file = testing::MakeFileWithData(header, 0);
  const float values[2] = {1.0f, std::numeric_limits<float>::quiet_NaN()};
  const uint8_t* value_bytes = reinterpret_cast<const uint8_t*>(values);
  file.insert(file.end(), value_bytes, value_bytes + 8);
  file.push_back(1);
  file.push_back(7);  // a BOOL byte other than 0 and 1
  TempDir dir;
  const std::string path = dir.Write("values.safetensors", file);
  for (const char* policy : {"compat", "default", "strict"}) {
    ValidateOptions deep;
    deep.deep_scan = true;
    const Report hashed = ValidateBuffer(file, P(policy), deep);
    ASSERT_TRUE(hashed.content.has_value());
    EXPECT_TRUE(hashed.HasCode(Code::kBoolInvalidValues) || std::string(policy) == "compat")
        << Dump(hashed);
    ValidateOptions values = deep;
    values.hash_content = false;
    values.read_chunk_bytes = 3;
    const Report from_buffer = ValidateBuffer(file, P(policy), values);
    const FileReport from_file = ValidateFile(path, P(policy), values);
    ASSERT_TRUE(from_file.io_ok);
    for (const Report* r : {&from_buffer, &from_file.report}) {
      EXPECT_FALSE(r->content.has_value()) << policy;
      EXPECT_EQ(r->verdict, hashed.verdict) << policy;
      EXPECT_EQ(Dump(*r), Dump(hashed)) << policy;
    }
  }
}

TEST(ValidateFile, AgreesWithValidateBuffer) {
  TempDir dir;
  ValidateOptions options;
  options.collect_tensors = true;
  const std::vector<std::vector<uint8_t>> files = SampleFiles();
  for (size_t i = 0; i < files.size(); ++i) {
    const std::string path = dir.Write("f" + std::to_string(i) + ".safetensors", files[i]);
    for (const char* policy : {"compat", "default", "strict"}) {
      const Report from_buffer = ValidateBuffer(files[i], P(policy), options);
      const FileReport from_file = ValidateFile(path, P(policy), options);
      ASSERT_TRUE(from_file.io_ok) << path << ": " << from_file.io_error;
      const Report& r = from_file.report;
      EXPECT_EQ(r.verdict, from_buffer.verdict) << i << " " << policy;
      EXPECT_EQ(r.file_size, from_buffer.file_size);
      EXPECT_EQ(r.header_bytes, from_buffer.header_bytes);
      EXPECT_EQ(r.tensor_count, from_buffer.tensor_count);
      EXPECT_EQ(r.tensors, from_buffer.tensors) << i << " " << policy;
      ASSERT_EQ(r.findings.size(), from_buffer.findings.size()) << i << " " << policy << "\n"
                                                                 << Dump(r) << Dump(from_buffer);
      for (size_t k = 0; k < r.findings.size(); ++k) {
        EXPECT_EQ(r.findings[k].code, from_buffer.findings[k].code);
        EXPECT_EQ(r.findings[k].severity, from_buffer.findings[k].severity);
        EXPECT_EQ(r.findings[k].offset, from_buffer.findings[k].offset);
        EXPECT_EQ(r.findings[k].tensor, from_buffer.findings[k].tensor);
        EXPECT_EQ(r.findings[k].message, from_buffer.findings[k].message);
      }
      EXPECT_TRUE(WellFormed(r, files[i].size())) << i << " " << policy;
    }
  }
}

// A file's header copy is unmapped behind the batches as they are consumed
// (HeaderBuffer::ReleaseBefore, whole 2 MiB pages). Headers of several MiB
// of members that take the batch path, ending in a member that fails its
// batch, repeats the first name or is fine, get the report the same bytes
// get in memory.
TEST(ValidateFile, LargeBatchedHeaderAgreesWithValidateBuffer) {
  TempDir dir;
  std::string members;
  for (int i = 0; members.size() < (6u << 20); ++i) {
    members += "\"t" + std::to_string(i) + "\":[\"U8\",[0],[0,0]],";
  }
  const std::pair<const char*, std::string> endings[] = {
      {"valid", "\"last\":[\"U8\",[0],[0,0]]"},
      {"bad-number", "\"last\":[\"U8\",[0],[0,01]]"},
      {"bad-escape", "\"la\\qst\":[\"U8\",[0],[0,0]]"},
      {"repeats-first", "\"t0\":[\"U8\",[0],[0,0]]"},
  };
  for (const auto& [label, last] : endings) {
    const std::vector<uint8_t> file = MakeFile(PadToEight("{" + members + last + "}"));
    const std::string path = dir.Write(std::string(label) + ".safetensors", file);
    for (const char* policy : {"compat", "default"}) {
      const Report from_buffer = ValidateBuffer(file, P(policy));
      const FileReport from_file = ValidateFile(path, P(policy));
      ASSERT_TRUE(from_file.io_ok) << path << ": " << from_file.io_error;
      EXPECT_EQ(Dump(from_file.report), Dump(from_buffer)) << label << " " << policy;
      EXPECT_EQ(from_file.report.tensor_count, from_buffer.tensor_count) << label;
    }
  }
}

TEST(ValidateFile, MissingPathIsAnIoError) {
  TempDir dir;
  const FileReport r = ValidateFile(dir.path() + "/does-not-exist.safetensors", P("compat"));
  EXPECT_FALSE(r.io_ok);
  EXPECT_FALSE(r.io_error.empty());
}

TEST(ValidateFile, DirectoryIsAnIoError) {
  TempDir dir;
  const FileReport r = ValidateFile(dir.path(), P("compat"));
  EXPECT_FALSE(r.io_ok);
  EXPECT_NE(r.io_error.find("directory"), std::string::npos) << r.io_error;
}

TEST(ValidateFile, EmptyPathIsAnIoError) {
  const FileReport r = ValidateFile("", P("compat"));
  EXPECT_FALSE(r.io_ok);
  EXPECT_FALSE(r.io_error.empty());
}

TEST(ValidateFile, CharacterDeviceIsAnIoError) {
  const FileReport r = ValidateFile("/dev/null", P("compat"));
  EXPECT_FALSE(r.io_ok);
  EXPECT_FALSE(r.io_error.empty());
}

// A named pipe is not a regular file: ValidateFile must say so, not wait for
// a writer. The test unblocks the library by opening the pipe for writing if
// it hangs, so the suite never hangs.
TEST(ValidateFile, NamedPipeIsAnIoErrorWithoutBlocking) {
  TempDir dir;
  const std::string path = dir.path() + "/pipe";
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  std::future<FileReport> pending =
      std::async(std::launch::async, [&] { return ValidateFile(path, P("compat")); });
  const bool blocked = pending.wait_for(std::chrono::seconds(2)) != std::future_status::ready;
  if (blocked) {
    const int fd = ::open(path.c_str(), O_WRONLY);  // a reader is waiting: does not block
    if (fd >= 0) ::close(fd);
  }
  const FileReport r = pending.get();
  EXPECT_FALSE(r.io_ok);
  EXPECT_FALSE(r.io_error.empty());
  EXPECT_FALSE(blocked) << "ValidateFile blocked in open() on a named pipe";
}

// A 1 TiB sparse file whose single tensor claims the whole data section:
// validation reads the header only (this would take minutes otherwise).
TEST(ValidateFile, SparseTerabyteFileIsValidatedFromTheHeader) {
  TempDir dir;
  constexpr uint64_t kSize = uint64_t{1} << 40;
  auto header_for = [](uint64_t data) {
    return PadToEight(R"({"t":{"dtype":"U8","shape":[)" + std::to_string(data) +
                      R"(],"data_offsets":[0,)" + std::to_string(data) + "]}}");
  };
  std::string header = header_for(kSize);  // same digit count as the final one
  const uint64_t data = kSize - 8 - header.size();
  header = header_for(data);
  ASSERT_EQ(8 + header.size() + data, kSize);
  const std::string path = dir.Write("big.safetensors", MakeFile(header));
  const int fd = ::open(path.c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  const int rc = ::ftruncate(fd, static_cast<off_t>(kSize));
  ::close(fd);
  if (rc != 0) GTEST_SKIP() << "the temp filesystem cannot hold a 1 TiB sparse file";
  const FileReport r = ValidateFile(path, P("strict"));
  ASSERT_TRUE(r.io_ok) << r.io_error;
  EXPECT_TRUE(Clean(r.report));
  EXPECT_EQ(r.report.file_size, kSize);
  EXPECT_EQ(r.report.tensor_count, 1u);
}

TEST(ValidateFile, SparseFileWithTrailingBytesPointsAtThem) {
  TempDir dir;
  constexpr uint64_t kSize = uint64_t{1} << 36;
  const std::string header = PadToEight(kValid);
  const std::string path = dir.Write("big.safetensors", MakeFile(header));
  const int fd = ::open(path.c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  const int rc = ::ftruncate(fd, static_cast<off_t>(kSize));
  ::close(fd);
  if (rc != 0) GTEST_SKIP() << "the temp filesystem cannot hold a sparse file";
  const FileReport r = ValidateFile(path, P("compat"));
  ASSERT_TRUE(r.io_ok) << r.io_error;
  EXPECT_TRUE(Rejects(r.report, Code::kDataTrailingBytes, 8 + header.size() + 8));
}

// ---------------------------------------------------------------------------
// Robustness: no exceptions, invariants hold on arbitrary input

std::vector<std::string> Seeds() {
  return {
      kValid,
      R"({"__metadata__":{"k":"v","k":"w"},"a":{"dtype":"F4","shape":[3],"data_offsets":[0,2]},)"
      R"("b":["F32",[2],[2,10]],"c":{"dtype":{"BF16":{}},"shape":[1,1],"data_offsets":[10,12]}})",
      R"({"x":{"dtype":"U8","shape":[18446744073709551615,2,0],"data_offsets":[0,0],"u":[[[1e5]]]}})",
      R"({"\u0000":{"dtype":"I64","shape":[1],"data_offsets":[0,8]},"../a":{"dtype":"U8","shape":[],"data_offsets":[8,9]}})",
  };
}

TEST(Robustness, MutatedHeadersNeverThrowAndKeepInvariants) {
  std::mt19937 rng(12345);
  const char alphabet[] = "{}[]\":,0123456789-+.eE \t\r\nabcdefnrtuxF\\\x00\x7f\xc2\x80\xff";
  const Policy* policies[] = {&P("compat"), &P("default"), &P("strict")};
  size_t checked = 0;
  for (const std::string& seed : Seeds()) {
    for (int iteration = 0; iteration < 600; ++iteration) {
      std::string header = seed;
      const int edits = 1 + static_cast<int>(rng() % 4);
      for (int e = 0; e < edits; ++e) {
        const size_t pos = header.empty() ? 0 : rng() % header.size();
        const char c = alphabet[rng() % (sizeof(alphabet) - 1)];
        switch (rng() % 3) {
          case 0:
            if (!header.empty()) header[pos] = c;
            break;
          case 1:
            header.insert(header.begin() + static_cast<long>(pos), c);
            break;
          default:
            if (!header.empty()) header.erase(pos, 1);
            break;
        }
      }
      const uint64_t data = rng() % 24;
      std::vector<uint8_t> bytes = testing::MakeFileWithData(header, data);
      if (rng() % 8 == 0) bytes.resize(rng() % (bytes.size() + 1));  // cut anywhere
      ValidateOptions options;
      options.collect_tensors = rng() % 2 == 0;
      options.max_findings_per_code = 1 + rng() % 4;
      for (const Policy* policy : policies) {
        Report r;
        EXPECT_NO_THROW(r = ValidateBuffer(bytes, *policy, options));
        ASSERT_TRUE(WellFormed(r, bytes.size())) << "header: " << header;
        for (const Finding& f : r.findings) {
          ASSERT_NE(f.code, Code::kInternalError) << "header: " << header << "\n" << Dump(r);
        }
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, Seeds().size() * 600 * 3);
}

TEST(Robustness, RandomBytesNeverThrow) {
  std::mt19937 rng(777);
  for (int i = 0; i < 500; ++i) {
    std::vector<uint8_t> bytes(rng() % 64);
    for (uint8_t& b : bytes) b = static_cast<uint8_t>(rng());
    if (bytes.size() >= 8 && i % 2 == 0) {
      const uint64_t n = rng() % (bytes.size() - 7);  // a plausible N
      for (int k = 0; k < 8; ++k) bytes[k] = static_cast<uint8_t>(n >> (8 * k));
    }
    for (const char* policy : {"compat", "strict"}) {
      Report r;
      EXPECT_NO_THROW(r = ValidateBuffer(bytes, P(policy)));
      EXPECT_TRUE(WellFormed(r, bytes.size()));
    }
  }
}


// ---------------------------------------------------------------------------
// ValidateFile: a file that shrinks between open and read is an I/O error,
// not a verdict (its size was taken at open; the bytes it promised are gone)

TEST(ValidateFile, FileTruncatedBeforeThePrefixIsRead_IoError) {
  TempDir dir;
  const std::string path =
      dir.Write("f.safetensors", testing::MakeFileWithData(PadToEight(kValid), 8));
  testing::TruncateOnFirstRead shrink(path, 0);
  if (!shrink.available()) GTEST_SKIP() << shrink.why_unavailable();
  const FileReport r = ValidateFile(path, P("compat"));
  ASSERT_TRUE(shrink.truncated());
  EXPECT_FALSE(r.io_ok);
  EXPECT_EQ(r.io_error, "file shrank while being read");
  EXPECT_EQ(r.report.header_bytes, 0u);  // the prefix never arrived
  EXPECT_TRUE(r.report.findings.empty()) << Dump(r.report);
}

TEST(ValidateFile, FileTruncatedBeforeTheHeaderIsRead_IoError) {
  TempDir dir;
  const std::string header = PadToEight(kValid);
  const std::string path = dir.Write("f.safetensors", testing::MakeFileWithData(header, 8));
  testing::TruncateOnFirstRead shrink(path, 8);  // the prefix stays, the header goes
  if (!shrink.available()) GTEST_SKIP() << shrink.why_unavailable();
  const FileReport r = ValidateFile(path, P("compat"));
  ASSERT_TRUE(shrink.truncated());
  EXPECT_GE(shrink.reads(), 2);
  EXPECT_FALSE(r.io_ok);
  EXPECT_EQ(r.io_error, "file shrank while being read");
  EXPECT_EQ(r.report.header_bytes, header.size());  // the prefix was read
  EXPECT_EQ(r.report.file_size, 8 + header.size() + 8);  // the size seen at open
  EXPECT_TRUE(r.report.findings.empty()) << Dump(r.report);
}

TEST(ValidateFile, FileTruncatedBeforeItIsIdentified_IoError) {
  // Framing fails (a GGUF file), so the first bytes are read again to name
  // the format: that second read finds the file gone.
  TempDir dir;
  std::vector<uint8_t> gguf = {'G', 'G', 'U', 'F', 3, 0, 0, 0};
  gguf.resize(64, 0);
  const std::string path = dir.Write("f.safetensors", gguf);
  testing::TruncateOnFirstRead shrink(path, 4, /*at_read=*/2);
  if (!shrink.available()) GTEST_SKIP() << shrink.why_unavailable();
  const FileReport r = ValidateFile(path, P("compat"));
  ASSERT_TRUE(shrink.truncated());
  EXPECT_FALSE(r.io_ok);
  EXPECT_EQ(r.io_error, "file shrank while being read");
}

TEST(ValidateFile, FileTruncatedDuringTheDeepScan_IoError) {
  // The prefix and the header are read (reads 1 and 2), then the deep scan
  // reads the file again from the start and finds it shorter.
  TempDir dir;
  const std::string path =
      dir.Write("f.safetensors", testing::MakeFileWithData(PadToEight(kValid), 8));
  testing::TruncateOnFirstRead shrink(path, 8, /*at_read=*/3);
  if (!shrink.available()) GTEST_SKIP() << shrink.why_unavailable();
  ValidateOptions deep;
  deep.deep_scan = true;
  const FileReport r = ValidateFile(path, P("compat"), deep);
  ASSERT_TRUE(shrink.truncated());
  EXPECT_FALSE(r.io_ok);
  EXPECT_EQ(r.io_error, "file shrank while being read");
}

TEST(ValidateFile, FileTruncatedDuringATwoThreadDeepScan_IoError) {
  // 6 MiB of data read in 1 MiB chunks: the file hash runs on the second
  // thread, and both threads read the next chunk in 512 KiB pieces. Reads 1
  // and 2 are the prefix and the header, 3 on the deep scan's; the file
  // shrinks under the fifth (a piece of the second chunk, on either thread).
  // The failure reaches the caller, and nothing hangs.
  TempDir dir;
  const std::string header = PadToEight(
      R"({"t":{"dtype":"U8","shape":[6291456],"data_offsets":[0,6291456]}})");
  const std::string path =
      dir.Write("f.safetensors", testing::MakeFileWithData(header, 6u << 20));
  testing::TruncateOnFirstRead shrink(path, 3u << 20, /*at_read=*/5);
  if (!shrink.available()) GTEST_SKIP() << shrink.why_unavailable();
  ValidateOptions deep;
  deep.deep_scan = true;
  deep.read_chunk_bytes = 1u << 20;
  const FileReport r = ValidateFile(path, P("compat"), deep);
  ASSERT_TRUE(shrink.truncated());
  EXPECT_FALSE(r.io_ok);
  EXPECT_EQ(r.io_error, "file shrank while being read");
}

// ---------------------------------------------------------------------------
// Files that are not safetensors are named (format_identify.cc has the
// signatures; these check the pipeline reports them with the right code)

TEST(ForeignFormats, PicklesGetThePickleCode) {
  // pickle.dumps({"a": 1}, protocol=2)
  static const char kPickle[] = "\x80\x02}q\x00X\x01\x00\x00\x00" "aq\x01K\x01s.";
  const Report r = RunBytes(std::vector<uint8_t>(kPickle, kPickle + sizeof(kPickle) - 1),
                            "compat");
  EXPECT_TRUE(Has(r, Code::kPickleFormat, Severity::kError, 0)) << Dump(r);
  EXPECT_TRUE(Lacks(r, Code::kForeignFormat));
  EXPECT_EQ(r.verdict, Verdict::kReject);
}

TEST(ForeignFormats, OtherFormatsGetTheForeignCode) {
  std::vector<uint8_t> gguf = {'G', 'G', 'U', 'F', 3, 0, 0, 0};
  gguf.resize(64, 0);
  const Report r = RunBytes(gguf, "compat");
  EXPECT_TRUE(Has(r, Code::kForeignFormat, Severity::kError, 0)) << Dump(r);
  EXPECT_TRUE(Lacks(r, Code::kPickleFormat));
}

// The identification is the report: the framing or JSON findings that read
// another format's bytes as a safetensors header are left out (a GGUF file
// is not "a header of 12,884,901,959 bytes"). With identification off, those
// findings are what the report holds, and the verdict is the same.
TEST(ForeignFormats, NamedFileIsReportedByItsNameAlone) {
  std::vector<uint8_t> gguf = {'G', 'G', 'U', 'F', 3, 0, 0, 0};
  gguf.resize(64, 0);
  static const char kPickle[] = "\x80\x02}q\x00X\x01\x00\x00\x00" "aq\x01K\x01s.";
  const std::vector<uint8_t> pickle(kPickle, kPickle + sizeof(kPickle) - 1);
  // Git LFS pointer text: its prefix reads as a length of 2.3e18.
  const std::string lfs =
      "version https://git-lfs.github.com/spec/v1\n"
      "oid sha256:dacf4900898ce3e4a01623732b0125f0ef3683fd6df83b63f475c6a4fa75d995\n"
      "size 548105171\n";
  const std::vector<uint8_t> pointer(lfs.begin(), lfs.end());
  for (const auto& [bytes, named] : {std::pair{gguf, Code::kForeignFormat},
                                     std::pair{pickle, Code::kPickleFormat},
                                     std::pair{pointer, Code::kForeignFormat}}) {
    for (const char* policy : {"compat", "default", "strict"}) {
      const Report r = RunBytes(bytes, policy);
      ASSERT_EQ(r.findings.size(), 1u) << policy << Dump(r);
      EXPECT_EQ(r.findings[0].code, named) << policy << Dump(r);
      EXPECT_EQ(r.verdict, Verdict::kReject);

      ValidateOptions unnamed;
      unnamed.identify_foreign_formats = false;
      const Report raw = ValidateBuffer(bytes, P(policy), unnamed);
      EXPECT_EQ(raw.verdict, Verdict::kReject);
      EXPECT_TRUE(Lacks(raw, Code::kForeignFormat) && Lacks(raw, Code::kPickleFormat))
          << Dump(raw);
      EXPECT_FALSE(raw.findings.empty());
      EXPECT_EQ(raw.header_bytes, r.header_bytes);
    }
  }
}

TEST(ForeignFormats, NamedEvenWhenThePrefixLooksLikeALength) {
  // A gzip stream written with mtime 0 (Python's gzip.compress(data,
  // mtime=0), gzip -n) starts 1f 8b 08 00 00 00 00 00: as a length prefix
  // that is 559,903, so a large enough file passes framing and fails only
  // at the header's text. It is still named.
  std::vector<uint8_t> gz = {0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0x03};
  std::mt19937 rng(1);
  while (gz.size() < 600'000) gz.push_back(static_cast<uint8_t>(rng()));
  const Report r = RunBytes(gz, "compat");
  EXPECT_EQ(r.header_bytes, 559'903u);
  EXPECT_TRUE(Lacks(r, Code::kHeaderTooLarge));
  EXPECT_TRUE(Lacks(r, Code::kHeaderPastEof));
  EXPECT_TRUE(Has(r, Code::kForeignFormat, Severity::kError, 0)) << Dump(r);
  EXPECT_EQ(r.verdict, Verdict::kReject);
}

TEST(ValidateFile, SysfsFileShorterThanItsSize_IoError) {
  // sysfs reports 4096 bytes for a file holding a few: the prefix read
  // comes up short.
  const std::string path = "/sys/devices/system/cpu/online";
  std::ifstream in(path, std::ios::binary);
  const std::string content{std::istreambuf_iterator<char>(in), {}};
  struct stat st;
  if (!in || ::stat(path.c_str(), &st) != 0 || content.empty() || content.size() >= 8 ||
      st.st_size < 8) {
    GTEST_SKIP() << path << " is not a sysfs file of fewer than 8 bytes claiming more";
  }
  const FileReport r = ValidateFile(path, P("compat"));
  EXPECT_FALSE(r.io_ok);
  EXPECT_EQ(r.io_error, "file shrank while being read");
  EXPECT_EQ(r.report.file_size, static_cast<uint64_t>(st.st_size));
}

TEST(Names, SeverityOutsideTheEnumReadsAsError) {
  // Fail closed: a severity no enumerator names is shown as an error.
  EXPECT_EQ(SeverityName(static_cast<Severity>(3)), "error");
  EXPECT_EQ(SeverityName(static_cast<Severity>(255)), "error");
}

}  // namespace
}  // namespace stguard
