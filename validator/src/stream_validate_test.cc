// Unit tests for ValidateStream / ValidateFd (stream_validate.cc): the
// report equals ValidateBuffer's for the same bytes, in every chunking, with
// and without a deep scan; streams that end early, claim huge headers, fail
// to read, or arrive through a pipe.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "report_assertions.h"
#include "safetensors_builder.h"
#include "stguard/validate.h"

namespace stguard {
namespace {

using testing::Dump;
using testing::Entry;
using testing::Has;
using testing::MakeFile;
using testing::P;
using testing::PadToEight;
using testing::Prefix;

// Serves `bytes` in pieces whose sizes come from `next_size`.
ReadFunction Chunked(const std::vector<uint8_t>& bytes, std::function<size_t()> next_size) {
  auto at = std::make_shared<size_t>(0);
  return [&bytes, at, next_size](char* out, size_t capacity) -> int64_t {
    const size_t n = std::min({capacity, bytes.size() - *at, std::max<size_t>(next_size(), 1)});
    if (n > 0) std::memcpy(out, bytes.data() + *at, n);
    *at += n;
    return static_cast<int64_t>(n);
  };
}

// Everything a report holds, as text, for equality checks with a readable diff.
std::string Everything(const Report& r) {
  std::string s = Dump(r) + "size " + std::to_string(r.file_size) + " header " +
                  std::to_string(r.header_bytes) + " tensors " + std::to_string(r.tensor_count);
  for (const TensorRecord& t : r.tensors) {
    s += "\n  " + t.name + " " + std::to_string(t.data_begin) + "-" + std::to_string(t.data_end);
  }
  if (r.content) {
    s += "\nsha256 " + DigestHex(r.content->file_sha256) +
         (r.content->tensors_scanned ? " scanned" : " not scanned");
    for (const TensorContent& t : r.content->tensors) {
      s += "\n  " + t.name + " " + DigestHex(t.sha256) + " nan " + std::to_string(t.nan_count) +
           " inf " + std::to_string(t.inf_count) + " bool " + std::to_string(t.invalid_bool_count);
    }
  }
  return s;
}

void ExpectStreamMatchesBuffer(const std::vector<uint8_t>& bytes, const Policy& policy,
                               const ValidateOptions& options, uint32_t seed) {
  const Report expected = ValidateBuffer(bytes, policy, options);
  std::mt19937 rng(seed);
  const std::vector<std::function<size_t()>> chunkings = {
      [] { return size_t{1}; },
      [] { return size_t{7}; },
      [] { return SIZE_MAX; },
      [&rng] { return static_cast<size_t>(rng() % 97 + 1); },
      [&rng] { return static_cast<size_t>(1) << (rng() % 21); },
  };
  for (size_t i = 0; i < chunkings.size(); ++i) {
    const FileReport streamed = ValidateStream(Chunked(bytes, chunkings[i]), policy, options);
    ASSERT_TRUE(streamed.io_ok) << streamed.io_error;
    EXPECT_EQ(Everything(streamed.report), Everything(expected)) << "chunking " << i;
  }
}

std::vector<uint8_t> TwoTensorFile() {
  std::string data(24, '\0');
  const uint32_t nan = 0x7fc00000;
  std::memcpy(data.data() + 4, &nan, 4);
  data[16] = 1;
  data[17] = 9;  // a bad BOOL byte
  return MakeFile(PadToEight("{\"__metadata__\":{\"k\":\"v\"}," + Entry("w", "F32", {4}, 0, 16) +
                             "," + Entry("m", "BOOL", {8}, 16, 24) + "}"),
                  data);
}

std::vector<std::vector<uint8_t>> Samples() {
  std::vector<std::vector<uint8_t>> files = {
      TwoTensorFile(),
      {},                                                    // empty stream
      {1, 2, 3},                                             // shorter than the prefix
      MakeFile("{}"),                                        // no tensors
      MakeFile("{\"a\":1", "", 1000),                        // header claims past the end
      MakeFile("{}", "", 200'000'000),                       // over the 100 MB ceiling
      MakeFile(PadToEight("{" + Entry("a", "U8", {2}, 0, 2) + "}"), "abXYZ"),  // trailing
      MakeFile(PadToEight("{" + Entry("a", "U8", {4}, 0, 4) + "}"), "ab"),     // short data
      MakeFile("{\"a\":{\"dtype\":\"F32\"}}"),               // schema error
  };
  // A data section bigger than the stream buffer (1 MiB) and the
  // identification window.
  std::string big(3 << 20, '\x01');
  files.push_back(
      MakeFile(PadToEight("{" + Entry("big", "BOOL", {big.size()}, 0, big.size()) + "}"), big));
  // A header larger than the identification window (64 KiB).
  std::string header = "{";
  for (int i = 0; i < 3000; ++i) {
    header += (i ? "," : "") + Entry("tensor_number_" + std::to_string(i), "F16", {2}, i * 4,
                                     i * 4 + 4);
  }
  files.push_back(MakeFile(PadToEight(header + "}"), std::string(12'000, '\x3c')));
  return files;
}

TEST(ValidateStream, SameReportAsTheBufferInEveryChunking) {
  uint32_t seed = 1;
  for (const std::vector<uint8_t>& bytes : Samples()) {
    for (const char* policy : {"compat", "default", "strict"}) {
      for (const bool deep : {false, true}) {
        ValidateOptions options;
        options.deep_scan = deep;
        options.collect_tensors = true;
        SCOPED_TRACE(std::string(policy) + (deep ? " deep" : "") + " size " +
                     std::to_string(bytes.size()));
        ExpectStreamMatchesBuffer(bytes, P(policy), options, seed++);
      }
    }
  }
}

TEST(ValidateStream, AHugeClaimedHeaderDoesNotAllocateItsSize) {
  // 16 bytes claiming a 99,999,999-byte header: the stream keeps what
  // arrives, and the verdict is header-past-eof as for a file.
  const std::vector<uint8_t> bytes = MakeFile("{}", "", 99'999'999);
  const FileReport r = ValidateStream(Chunked(bytes, [] { return SIZE_MAX; }), P("default"));
  ASSERT_TRUE(r.io_ok);
  EXPECT_TRUE(Has(r.report, Code::kHeaderPastEof, Severity::kError, 0));
  EXPECT_EQ(r.report.file_size, bytes.size());
}

TEST(ValidateStream, ReadErrorsAreIoErrorsNotVerdicts) {
  int calls = 0;
  const ReadFunction failing = [&calls](char* out, size_t capacity) -> int64_t {
    if (calls++ == 0 && capacity >= 2) {
      out[0] = '{';
      return 1;
    }
    return -1;
  };
  FileReport r = ValidateStream(failing, P("default"));
  EXPECT_FALSE(r.io_ok);
  EXPECT_EQ(r.io_error, "read error");
  // A reader that claims more than it was given room for is broken too.
  const ReadFunction lying = [](char*, size_t capacity) -> int64_t {
    return static_cast<int64_t>(capacity) + 1;
  };
  r = ValidateStream(lying, P("default"));
  EXPECT_FALSE(r.io_ok);
}

TEST(ValidateFd, ReadsAPipeToTheEnd) {
  const std::vector<uint8_t> bytes = TwoTensorFile();
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  std::thread writer([&] {
    // Small writes, so the reader sees many short reads.
    for (size_t at = 0; at < bytes.size(); at += 5) {
      const size_t n = std::min<size_t>(5, bytes.size() - at);
      ASSERT_EQ(::write(fds[1], bytes.data() + at, n), static_cast<ssize_t>(n));
    }
    ::close(fds[1]);
  });
  ValidateOptions options;
  options.deep_scan = true;
  const FileReport r = ValidateFd(fds[0], P("default"), options);
  writer.join();
  ::close(fds[0]);
  ASSERT_TRUE(r.io_ok) << r.io_error;
  EXPECT_EQ(Everything(r.report), Everything(ValidateBuffer(bytes, P("default"), options)));
}

TEST(ValidateFd, ABadDescriptorIsAnIoError) {
  const FileReport r = ValidateFd(-1, P("default"));
  EXPECT_FALSE(r.io_ok);
  EXPECT_EQ(r.io_error, std::strerror(EBADF));
}

}  // namespace
}  // namespace stguard
