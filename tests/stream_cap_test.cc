// A header at a policy's size cap, one byte under and one byte over, gets
// the same report from a file, from a buffer and from a stream (in several
// chunkings and through a pipe), with and without a deep scan; and from the
// CLI, the same document from the file and from standard input.
//
// Built twice (tests/CMakeLists.txt): stream_cap_test for a policy whose
// cap is 100,000 bytes (above the 64 KiB identification window the stream
// keeps anyway), stream_ceiling_test (label "slow") for the 100,000,000
// ceiling. The files are written to disk in pieces and read back mapped,
// so the test holds no copy of a 100 MB file.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <random>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "report_assertions.h"
#include "run_cli.h"
#include "safetensors_builder.h"
#include "stguard/policy.h"
#include "stguard/validate.h"
#include "temp_dir.h"

#ifndef STGUARD_STREAM_CAP_BYTES
#define STGUARD_STREAM_CAP_BYTES 100000
#endif

namespace stguard {
namespace {

using testing::TempDir;

constexpr uint64_t kCap = STGUARD_STREAM_CAP_BYTES;
constexpr uint64_t kDataBytes = 64;

Policy CapPolicy() {
  const PolicyLoadResult loaded = ParsePolicy(
      "{\"extends\":\"default\",\"max_header_bytes\":" + std::to_string(kCap) + "}", ".");
  EXPECT_TRUE(loaded.policy.has_value()) << loaded.error;
  return *loaded.policy;
}

// A file whose header is exactly `header_bytes` long: a few tensors, then
// spaces (written a megabyte at a time).
std::string WriteFile(const TempDir& dir, uint64_t header_bytes) {
  std::string entries = "{";
  for (uint64_t i = 0; i < kDataBytes / 8; ++i) {
    entries += (i ? "," : "") + testing::Entry("tensor." + std::to_string(i), "U8", {8}, i * 8,
                                               i * 8 + 8);
  }
  entries += "}";
  const std::string path = dir.path() + "/n" + std::to_string(header_bytes) + ".safetensors";
  std::ofstream out(path, std::ios::binary);
  out << testing::Prefix(header_bytes) << entries;
  const std::string spaces(1 << 20, ' ');
  for (uint64_t left = header_bytes - entries.size(); left > 0;) {
    const uint64_t n = std::min<uint64_t>(left, spaces.size());
    out.write(spaces.data(), static_cast<std::streamsize>(n));
    left -= n;
  }
  for (uint64_t i = 0; i < kDataBytes; ++i) out.put(static_cast<char>(i % 3));
  return path;
}

// Everything a report holds, as text, for equality with a readable diff.
std::string Everything(const Report& r) {
  std::string s = testing::Dump(r) + "verdict " + std::string(VerdictName(r.verdict)) + " size " +
                  std::to_string(r.file_size) + " header " + std::to_string(r.header_bytes) +
                  " tensors " + std::to_string(r.tensor_count);
  for (const TensorRecord& t : r.tensors) {
    s += "\n  " + t.name + " " + std::to_string(t.data_begin) + "-" + std::to_string(t.data_end);
  }
  if (r.content) {
    s += "\nsha256 " + DigestHex(r.content->file_sha256) +
         (r.content->tensors_scanned ? " scanned" : " not scanned");
    for (const TensorContent& t : r.content->tensors) {
      s += "\n  " + t.name + " " + DigestHex(t.sha256);
    }
  }
  return s;
}

// The file, mapped read-only.
class Mapped {
 public:
  explicit Mapped(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || ::fstat(fd, &st) != 0) return;
    size_ = static_cast<size_t>(st.st_size);
    void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    ::close(fd);
    if (p != MAP_FAILED) data_ = static_cast<const uint8_t*>(p);
  }
  ~Mapped() {
    if (data_ != nullptr) ::munmap(const_cast<uint8_t*>(data_), size_);
  }
  std::span<const uint8_t> bytes() const { return {data_, data_ == nullptr ? 0 : size_}; }

 private:
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

// The file read as a stream from its descriptor, in pieces of `piece()` bytes.
FileReport StreamFile(const std::string& path, const std::function<size_t()>& piece,
                      const Policy& policy, const ValidateOptions& options) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  EXPECT_GE(fd, 0);
  const ReadFunction read = [&](char* out, size_t capacity) -> int64_t {
    return ::read(fd, out, std::min(capacity, std::max<size_t>(piece(), 1)));
  };
  FileReport r = ValidateStream(read, policy, options);
  ::close(fd);
  return r;
}

// The file written into a pipe by another thread, read with ValidateFd.
FileReport ThroughAPipe(const std::string& path, const Policy& policy,
                        const ValidateOptions& options) {
  int fds[2];
  EXPECT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  std::thread writer([&] {
    std::ifstream in(path, std::ios::binary);
    std::vector<char> buffer(1 << 16);
    while (in.read(buffer.data(), static_cast<std::streamsize>(buffer.size())) || in.gcount() > 0) {
      const char* p = buffer.data();
      for (auto left = static_cast<size_t>(in.gcount()); left > 0;) {
        const ssize_t n = ::write(fds[1], p, left);
        if (n <= 0) break;
        p += n;
        left -= static_cast<size_t>(n);
      }
    }
    ::close(fds[1]);
  });
  FileReport r = ValidateFd(fds[0], policy, options);
  writer.join();
  ::close(fds[0]);
  return r;
}

TEST(StreamCap, FileBufferAndStreamAgreeAtTheCap) {
  TempDir dir;
  const Policy policy = CapPolicy();
  std::mt19937 rng(static_cast<uint32_t>(kCap));
  for (const uint64_t header_bytes : {kCap - 1, kCap, kCap + 1}) {
    const std::string path = WriteFile(dir, header_bytes);
    const Mapped mapped(path);
    ASSERT_EQ(mapped.bytes().size(), 8 + header_bytes + kDataBytes);
    for (const bool deep : {false, true}) {
      SCOPED_TRACE("header " + std::to_string(header_bytes) + (deep ? " deep" : ""));
      ValidateOptions options;
      options.deep_scan = deep;
      options.collect_tensors = true;
      const FileReport from_file = ValidateFile(path, policy, options);
      ASSERT_TRUE(from_file.io_ok) << from_file.io_error;
      const std::string expected = Everything(from_file.report);
      EXPECT_EQ(Everything(ValidateBuffer(mapped.bytes(), policy, options)), expected);
      const std::vector<std::function<size_t()>> pieces = {
          [] { return SIZE_MAX; },  // as much as the stream asks for
          [] { return size_t{4096}; },
          [&rng] { return static_cast<size_t>(rng() % 65536 + 1); },
      };
      for (size_t i = 0; i < pieces.size(); ++i) {
        const FileReport streamed = StreamFile(path, pieces[i], policy, options);
        ASSERT_TRUE(streamed.io_ok) << "chunking " << i << ": " << streamed.io_error;
        EXPECT_EQ(Everything(streamed.report), expected) << "chunking " << i;
      }
      const FileReport piped = ThroughAPipe(path, policy, options);
      ASSERT_TRUE(piped.io_ok) << piped.io_error;
      EXPECT_EQ(Everything(piped.report), expected);
      // And the verdict is the cap's.
      if (header_bytes <= kCap) {
        EXPECT_EQ(from_file.report.verdict, Verdict::kAccept) << expected;
      } else {
        EXPECT_TRUE(testing::Has(from_file.report, Code::kHeaderTooLarge, Severity::kError, 0));
      }
    }
  }
}

TEST(StreamCap, TheCliPrintsTheSameReportFromTheFileAndFromStandardInput) {
  TempDir dir;
  const std::string policy = dir.Write(
      "cap.json", "{\"extends\":\"default\",\"max_header_bytes\":" + std::to_string(kCap) + "}");
  for (const uint64_t header_bytes : {kCap - 1, kCap, kCap + 1}) {
    const std::string path = WriteFile(dir, header_bytes);
    for (const bool deep : {false, true}) {
      SCOPED_TRACE("header " + std::to_string(header_bytes) + (deep ? " deep" : ""));
      std::vector<std::string> args = {"check", "--format", "json", "--policy", policy};
      if (deep) args.push_back("--deep");
      args.push_back(path);
      const testing::CliRun from_file = testing::RunCli(args);
      args.back() = "-";
      testing::CliOptions from_stdin_options;
      from_stdin_options.stdin_path = path;
      const testing::CliRun from_stdin = testing::RunCli(args, from_stdin_options);
      EXPECT_EQ(from_file.exit_code, header_bytes <= kCap ? 0 : 1) << from_file.out;
      EXPECT_EQ(from_stdin.exit_code, from_file.exit_code) << from_stdin.out << from_stdin.err;
      std::string expected = from_file.out;
      const size_t at = expected.find("\"path\":\"" + path + "\"");
      ASSERT_NE(at, std::string::npos);
      expected.replace(at, path.size() + 9, "\"path\":\"-\"");
      EXPECT_EQ(from_stdin.out, expected);
    }
  }
}

}  // namespace
}  // namespace stguard
