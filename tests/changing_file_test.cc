// A file that changes while it is checked (appended to, rewritten,
// replaced, truncated) gets an I/O error, never a verdict about bytes it no
// longer holds: through ValidateFile, the deep scan and the CLI (exit 2).
// The change is made at a chosen read with fanotify (skipped without
// CAP_SYS_ADMIN); the deep scan's check between chunks is also tested with
// a byte source that changes, which needs nothing.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <string>
#include <vector>

#include "byte_source.h"
#include "pipeline.h"
#include "report_assertions.h"
#include "run_cli.h"
#include "safetensors_builder.h"
#include "stguard/validate.h"
#include "temp_dir.h"
#include "truncate_on_read.h"

namespace stguard {
namespace {

using testing::ChangeOnRead;
using testing::TempDir;

constexpr char kChanged[] = "file changed while it was checked";

// A valid file of one U8 tensor of `data_bytes` bytes.
std::vector<uint8_t> ValidFile(uint64_t data_bytes) {
  const std::string header = testing::PadToEight(
      "{\"t\":{\"dtype\":\"U8\",\"shape\":[" + std::to_string(data_bytes) +
      "],\"data_offsets\":[0," + std::to_string(data_bytes) + "]}}");
  return testing::MakeFileWithData(header, data_bytes);
}

bool Append(const std::string& path, const std::string& bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = ::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size());
  ::close(fd);
  return ok;
}

TEST(ChangingFile, AppendedWhileTheHeaderIsRead_IoError) {
  // Appended at the first read (the prefix): every read still succeeds
  // (the size was taken at open), so only the check at the end sees it.
  TempDir dir;
  const std::string path = dir.Write("f.safetensors", ValidFile(8));
  for (const bool deep : {false, true}) {
    ChangeOnRead grow(path, [&] { return Append(path, "appended"); });
    if (!grow.available()) GTEST_SKIP() << grow.why_unavailable();
    ValidateOptions options;
    options.deep_scan = deep;
    const FileReport r = ValidateFile(path, *BuiltinPolicy("default"), options);
    ASSERT_TRUE(grow.changed());
    EXPECT_FALSE(r.io_ok) << (deep ? "deep" : "") << testing::Dump(r.report);
    EXPECT_EQ(r.io_error, kChanged);
    // Unchanged, the same file is accepted.
    ASSERT_EQ(::truncate(path.c_str(), static_cast<off_t>(ValidFile(8).size())), 0);
  }
}

TEST(ChangingFile, AppendedDuringTheDeepScan_IoErrorBeforeTheRestIsRead) {
  // 8 MiB of data in 1 MiB chunks; appended at the fourth read (the deep
  // scan's second piece): caught after a chunk, long before the end.
  TempDir dir;
  const std::string path = dir.Write("f.safetensors", ValidFile(8u << 20));
  ChangeOnRead grow(path, [&] { return Append(path, "x"); }, /*at_read=*/4);
  if (!grow.available()) GTEST_SKIP() << grow.why_unavailable();
  ValidateOptions deep;
  deep.deep_scan = true;
  deep.read_chunk_bytes = 1u << 20;
  const FileReport r = ValidateFile(path, *BuiltinPolicy("default"), deep);
  ASSERT_TRUE(grow.changed());
  EXPECT_FALSE(r.io_ok);
  EXPECT_EQ(r.io_error, kChanged);
  EXPECT_LT(grow.reads(), 12) << "the scan went on reading";
}

TEST(ChangingFile, ReplacedByRenameWhileChecked_IoError) {
  // The open file is read whole and consistent, but the path now names
  // another file: the report would be about a file no longer there.
  TempDir dir;
  const std::string path = dir.Write("f.safetensors", ValidFile(8));
  const std::string other = dir.Write("other.safetensors", ValidFile(16));
  ChangeOnRead replace(path, [&] { return std::rename(other.c_str(), path.c_str()) == 0; });
  if (!replace.available()) GTEST_SKIP() << replace.why_unavailable();
  const FileReport r = ValidateFile(path, *BuiltinPolicy("default"));
  ASSERT_TRUE(replace.changed());
  EXPECT_FALSE(r.io_ok);
  EXPECT_EQ(r.io_error, kChanged);
}

TEST(ChangingFile, RewrittenInPlaceWhileChecked_IoError) {
  // Same size, new bytes: seen by the modification time (set here to a
  // different second, so the file system's timestamp granularity does not
  // matter).
  TempDir dir;
  const std::string path = dir.Write("f.safetensors", ValidFile(8));
  ChangeOnRead rewrite(path, [&] {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return false;
    const bool wrote = ::pwrite(fd, "\x07", 1, static_cast<off_t>(ValidFile(8).size() - 1)) == 1;
    const timespec times[2] = {{0, UTIME_OMIT}, {1'000'000'000, 0}};
    const bool touched = ::futimens(fd, times) == 0;
    ::close(fd);
    return wrote && touched;
  });
  if (!rewrite.available()) GTEST_SKIP() << rewrite.why_unavailable();
  ValidateOptions deep;
  deep.deep_scan = true;
  const FileReport r = ValidateFile(path, *BuiltinPolicy("default"), deep);
  ASSERT_TRUE(rewrite.changed());
  EXPECT_FALSE(r.io_ok);
  EXPECT_EQ(r.io_error, kChanged);
}

TEST(ChangingFile, TheCliExitsTwoAndSaysWhy) {
  TempDir dir;
  const std::string path = dir.Write("f.safetensors", ValidFile(8));
  for (const char* format : {"text", "json"}) {
    ChangeOnRead grow(path, [&] { return Append(path, "appended"); });
    if (!grow.available()) GTEST_SKIP() << grow.why_unavailable();
    const testing::CliRun run =
        testing::RunCli({"check", "--deep", "--format", format, path}, {});
    ASSERT_TRUE(grow.changed());
    EXPECT_EQ(run.exit_code, 2) << run.out;
    EXPECT_NE(run.out.find(kChanged), std::string::npos) << run.out;
    EXPECT_EQ(run.out.find("ACCEPT"), std::string::npos) << run.out;
    EXPECT_EQ(run.out.find("\"verdict\""), std::string::npos) << run.out;
    ASSERT_EQ(::truncate(path.c_str(), static_cast<off_t>(ValidFile(8).size())), 0);
  }
}

// Bytes in memory that report a change after `changed_after` reads: the
// deep scan must stop at the next chunk, whatever the source.
class ChangingSource final : public internal::ByteSource {
 public:
  ChangingSource(std::vector<uint8_t> bytes, int changed_after)
      : bytes_(std::move(bytes)), changed_after_(changed_after) {}
  uint64_t size() const override { return bytes_.size(); }
  bool ReadAt(uint64_t offset, uint64_t length, char* out) override {
    ++reads_;
    if (offset + length > bytes_.size()) return false;
    std::memcpy(out, bytes_.data() + offset, length);
    return true;
  }
  bool Unchanged() override { return reads_.load() <= changed_after_; }
  std::string error() const override { return kChanged; }
  int reads() const { return reads_.load(); }

 private:
  std::vector<uint8_t> bytes_;
  int changed_after_;
  std::atomic<int> reads_{0};
};

TEST(ChangingFile, DeepScanChecksTheSourceBetweenChunks) {
  ChangingSource source(ValidFile(16u << 20), /*changed_after=*/3);
  ValidateOptions deep;
  deep.deep_scan = true;
  deep.read_chunk_bytes = 1u << 20;
  Report report;
  EXPECT_FALSE(internal::ValidateSource(source, *BuiltinPolicy("default"), deep, nullptr, report));
  EXPECT_LT(source.reads(), 8) << "16 chunks; the change was seen after the third read";
  // Unchanged all along, the scan reads everything and succeeds.
  ChangingSource steady(ValidFile(16u << 20), /*changed_after=*/1000);
  EXPECT_TRUE(internal::ValidateSource(steady, *BuiltinPolicy("default"), deep, nullptr, report));
}

}  // namespace
}  // namespace stguard
