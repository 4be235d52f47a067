// The C API's revision 3: stguard_validate_reader, a stream read through a
// callback (what the Python binding uses for a file object without a
// descriptor). Its report must be the one the same bytes give in memory, in
// whatever pieces the callback hands them over; a callback's error, a
// stream that ends early and bad arguments are checked too. Run under ASan
// with leak detection by scripts/test.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "capi_handles.h"
#include "capi_samples.h"
#include "safetensors_builder.h"
#include "stguard/stguard.h"

namespace {

using namespace stguard::testing;  // NOLINT: the tests' helpers

const std::string kCorpus = STGUARD_CORPUS_DIR;

// What a read callback is given: bytes handed over `piece` at a time (0:
// as many as asked), failing with -1 (or `bad_return`) once `fail_at`
// bytes have gone.
struct Stream {
  const std::vector<uint8_t>* bytes;
  size_t piece = 0;
  size_t fail_at = SIZE_MAX;
  int64_t bad_return = -1;
  size_t position = 0;
  int calls_after_end = 0;
  bool ended = false;
};

int64_t ReadStream(void* user_data, char* buffer, size_t capacity) {
  auto* s = static_cast<Stream*>(user_data);
  if (s->ended) ++s->calls_after_end;
  EXPECT_GE(capacity, 1u);
  if (s->position >= s->fail_at) {
    s->ended = true;
    return s->bad_return;
  }
  size_t n = std::min(capacity, s->bytes->size() - s->position);
  if (s->piece != 0) n = std::min(n, s->piece);
  if (s->fail_at != SIZE_MAX) n = std::min(n, s->fail_at - s->position);
  if (n > 0) std::memcpy(buffer, s->bytes->data() + s->position, n);
  s->position += n;
  if (n == 0) s->ended = true;
  return static_cast<int64_t>(n);
}

std::string Json(const stguard_report* report) {
  char* text = nullptr;
  size_t length = 0;
  EXPECT_EQ(stguard_report_json(report, nullptr, 0, &text, &length), STGUARD_OK)
      << stguard_last_error();
  const StringPtr owned(text);
  return text == nullptr ? std::string() : std::string(text, length);
}

std::vector<std::string> SampleFiles() { return CapiSampleFiles(kCorpus); }

// The same JSON as the bytes validated in memory, with and without the
// deep scan and the tensor table, whether the callback gives one byte at a
// time, an odd number, or all it is asked for.
TEST(CApiReader, SameReportAsTheBufferInAnyPieces) {
  const PolicyPtr policy = Builtin("default");
  for (const std::string& file : SampleFiles()) {
    SCOPED_TRACE(file);
    const std::vector<uint8_t> bytes = ReadFileBytes(file);
    for (const uint32_t flags : {0u, STGUARD_FLAG_DEEP_SCAN | STGUARD_FLAG_TENSORS}) {
      stguard_report* raw = nullptr;
      ASSERT_EQ(stguard_validate_buffer_ex(policy.get(), bytes.data(), bytes.size(), flags, &raw),
                STGUARD_OK);
      const ReportPtr expected(raw);
      // One byte at a time is slow on the 500 kB gpt2 file: only small files.
      for (const size_t piece : {size_t{1}, size_t{7}, size_t{0}}) {
        if (piece == 1 && bytes.size() > 100000) continue;
        SCOPED_TRACE(piece);
        Stream stream{&bytes, piece};
        ASSERT_EQ(stguard_validate_reader(policy.get(), ReadStream, &stream, flags, &raw),
                  STGUARD_OK)
            << stguard_last_error();
        const ReportPtr got(raw);
        EXPECT_EQ(Json(got.get()), Json(expected.get()));
        EXPECT_EQ(stream.position, bytes.size());  // read to the end
        EXPECT_EQ(stream.calls_after_end, 0);
      }
    }
  }
}

// A stream that ends early is a truncated file (a report), as the same
// bytes are in memory.
TEST(CApiReader, ShortStreamIsATruncatedFile) {
  const PolicyPtr policy = Builtin("default");
  const std::vector<uint8_t> whole = ReadFileBytes(kCorpus + "/real/dtype_bool.safetensors");
  for (const size_t keep : {size_t{0}, size_t{5}, size_t{8}, size_t{20}, whole.size() - 1}) {
    SCOPED_TRACE(keep);
    const std::vector<uint8_t> bytes(whole.begin(), whole.begin() + static_cast<long>(keep));
    stguard_report* raw = nullptr;
    ASSERT_EQ(stguard_validate_buffer_ex(policy.get(), bytes.data(), bytes.size(),
                                         STGUARD_FLAG_DEEP_SCAN, &raw),
              STGUARD_OK);
    const ReportPtr expected(raw);
    Stream stream{&bytes, 3};
    ASSERT_EQ(stguard_validate_reader(policy.get(), ReadStream, &stream, STGUARD_FLAG_DEEP_SCAN,
                                      &raw),
              STGUARD_OK);
    const ReportPtr got(raw);
    EXPECT_EQ(Json(got.get()), Json(expected.get()));
    stguard_verdict verdict;
    ASSERT_EQ(stguard_report_verdict(got.get(), &verdict), STGUARD_OK);
    EXPECT_EQ(verdict, STGUARD_VERDICT_REJECT);
  }
}

// The callback's error, at any point (in the prefix, the header, the data)
// or as a return above the capacity or below -1, is STGUARD_ERR_IO and no
// report; the callback is not called again.
TEST(CApiReader, CallbackErrorIsAnIoError) {
  const PolicyPtr policy = Builtin("default");
  const std::vector<uint8_t> bytes = ReadFileBytes(kCorpus + "/real/gpt2_float32/model.safetensors");
  for (const size_t fail_at : {size_t{0}, size_t{4}, size_t{100}, bytes.size() / 2}) {
    for (const int64_t bad : {int64_t{-1}, int64_t{-7}, int64_t{1} << 40}) {
      SCOPED_TRACE(fail_at);
      SCOPED_TRACE(bad);
      Stream stream{&bytes, 0, fail_at, bad};
      stguard_report* raw = reinterpret_cast<stguard_report*>(&stream);  // must be reset
      EXPECT_EQ(stguard_validate_reader(policy.get(), ReadStream, &stream,
                                        STGUARD_FLAG_DEEP_SCAN, &raw),
                STGUARD_ERR_IO);
      EXPECT_EQ(raw, nullptr);
      EXPECT_EQ(std::string(stguard_last_error()), "stream: read error");
      EXPECT_EQ(stream.calls_after_end, 0);
    }
  }
}

TEST(CApiReader, BadArguments) {
  PolicyPtr policy = Builtin("default");
  const std::vector<uint8_t> bytes = MakeFile(PadToEight("{}"));
  Stream stream{&bytes};
  stguard_report* raw = reinterpret_cast<stguard_report*>(&stream);
  EXPECT_EQ(stguard_validate_reader(policy.get(), nullptr, &stream, 0, &raw),
            STGUARD_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(raw, nullptr);
  EXPECT_EQ(std::string(stguard_last_error()), "read is NULL");
  EXPECT_EQ(stguard_validate_reader(policy.get(), ReadStream, &stream, 0x80, &raw),
            STGUARD_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(stguard_validate_reader(policy.get(), ReadStream, &stream, 0, nullptr),
            STGUARD_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(stguard_validate_reader(nullptr, ReadStream, &stream, 0, &raw),
            STGUARD_ERR_INVALID_ARGUMENT);
  // A freed policy is not a live handle.
  stguard_policy* freed = policy.release();
  stguard_policy_free(freed);
  EXPECT_EQ(stguard_validate_reader(freed, ReadStream, &stream, 0, &raw),
            STGUARD_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(raw, nullptr);
  EXPECT_EQ(stream.position, 0u);  // nothing was read
  EXPECT_GE(stguard_api_revision(), 3);
}

}  // namespace
