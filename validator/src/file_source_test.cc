// Unit tests for the byte sources (byte_source.h, file_source.cc): exact
// ranges only, every range checked against the size (offset + length
// overflowing included), and each way a file can fail to deliver the bytes
// its size promised: past the end, shrunk after open, a read error, a file
// whose size lies (sysfs), and files that cannot be opened as regular files;
// and Unchanged(): growth, shrinking, new times, a replaced or removed path.
#include "file_source.h"

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "byte_source.h"
#include "temp_dir.h"

namespace stguard::internal {
namespace {

namespace fs = std::filesystem;

using testing::TempDir;

const std::string kDigits = "0123456789";

// ---------------------------------------------------------------------------
// MemorySource

TEST(MemorySource, ReadsExactRanges) {
  const std::vector<uint8_t> bytes(kDigits.begin(), kDigits.end());
  MemorySource source(bytes);
  EXPECT_EQ(source.size(), 10u);
  EXPECT_EQ(source.Data(), reinterpret_cast<const char*>(bytes.data()));
  char out[10] = {};
  ASSERT_TRUE(source.ReadAt(3, 4, out));
  EXPECT_EQ(std::string(out, 4), "3456");
  ASSERT_TRUE(source.ReadAt(0, 10, out));
  EXPECT_EQ(std::string(out, 10), kDigits);
  ASSERT_TRUE(source.ReadAt(9, 1, out));
  EXPECT_EQ(out[0], '9');
}

TEST(MemorySource, RangesPastTheEndAreRefusedAndNothingIsWritten) {
  const std::vector<uint8_t> bytes(kDigits.begin(), kDigits.end());
  MemorySource source(bytes);
  char out[16];
  std::memset(out, 'x', sizeof out);
  EXPECT_FALSE(source.ReadAt(8, 3, out));   // ends one byte past the end
  EXPECT_FALSE(source.ReadAt(10, 1, out));  // starts at the end
  EXPECT_FALSE(source.ReadAt(11, 0, out));  // empty, but starts past the end
  EXPECT_FALSE(source.ReadAt(0, 11, out));
  // offset + length wraps around 2^64 to a small number: still refused.
  EXPECT_FALSE(source.ReadAt(UINT64_MAX, 2, out));
  EXPECT_FALSE(source.ReadAt(2, UINT64_MAX, out));
  EXPECT_FALSE(source.ReadAt(UINT64_MAX, UINT64_MAX, out));
  EXPECT_EQ(std::string(out, sizeof out), std::string(sizeof out, 'x'));
  // Memory has no error text.
  EXPECT_EQ(source.error(), "");
}

TEST(MemorySource, EmptyRangesNeedNoBuffer) {
  // A zero-length read must not touch `out` (memcpy with a null pointer is
  // undefined even for zero bytes; UBSan would flag it).
  const std::vector<uint8_t> bytes(kDigits.begin(), kDigits.end());
  MemorySource source(bytes);
  EXPECT_TRUE(source.ReadAt(0, 0, nullptr));
  EXPECT_TRUE(source.ReadAt(10, 0, nullptr));  // at the very end
  MemorySource empty(std::span<const uint8_t>{});
  EXPECT_EQ(empty.size(), 0u);
  EXPECT_TRUE(empty.ReadAt(0, 0, nullptr));
  EXPECT_FALSE(empty.ReadAt(0, 1, nullptr));
}

// ---------------------------------------------------------------------------
// FileSource: opening

TEST(FileSource, OpensARegularFileAndReadsExactRanges) {
  TempDir dir;
  FileSource source;
  ASSERT_TRUE(source.Open(dir.Write("f", kDigits))) << source.error();
  EXPECT_EQ(source.size(), 10u);
  EXPECT_EQ(source.Data(), nullptr);  // read with ReadAt, never mapped
  char out[10] = {};
  ASSERT_TRUE(source.ReadAt(4, 3, out)) << source.error();
  EXPECT_EQ(std::string(out, 3), "456");
  ASSERT_TRUE(source.ReadAt(0, 10, out)) << source.error();
  EXPECT_EQ(std::string(out, 10), kDigits);
  EXPECT_TRUE(source.ReadAt(10, 0, nullptr));
  EXPECT_EQ(source.error(), "");
}

TEST(FileSource, MissingFileNamesTheSystemError) {
  TempDir dir;
  FileSource source;
  EXPECT_FALSE(source.Open(dir.path() + "/missing"));
  EXPECT_EQ(source.error(), std::strerror(ENOENT));
  FileSource empty_path;
  EXPECT_FALSE(empty_path.Open(""));
  EXPECT_EQ(empty_path.error(), std::strerror(ENOENT));
}

TEST(FileSource, DirectoryIsNotARegularFile) {
  TempDir dir;
  FileSource source;
  EXPECT_FALSE(source.Open(dir.path()));
  EXPECT_EQ(source.error(), "is a directory");
}

TEST(FileSource, FifoAndDeviceAreNotRegularFiles) {
  TempDir dir;
  const std::string fifo = dir.path() + "/fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  FileSource pipe;  // O_NONBLOCK: no writer, and open() still returns
  EXPECT_FALSE(pipe.Open(fifo));
  EXPECT_EQ(pipe.error(), "not a regular file");
  FileSource device;
  EXPECT_FALSE(device.Open("/dev/null"));
  EXPECT_EQ(device.error(), "not a regular file");
}

TEST(FileSource, UnreadableFileNamesTheSystemError) {
  TempDir dir;
  const std::string path = dir.Write("secret", kDigits);
  ASSERT_EQ(::chmod(path.c_str(), 0), 0);
  if (::access(path.c_str(), R_OK) == 0) {
    GTEST_SKIP() << "running with the right to read any file (root): nothing is unreadable";
  }
  FileSource source;
  EXPECT_FALSE(source.Open(path));
  EXPECT_EQ(source.error(), std::strerror(EACCES));
}

// ---------------------------------------------------------------------------
// FileSource: reading

TEST(FileSource, RangesPastTheEndAreRefusedWithoutReading) {
  TempDir dir;
  FileSource source;
  ASSERT_TRUE(source.Open(dir.Write("f", kDigits)));
  char out[16];
  std::memset(out, 'x', sizeof out);
  EXPECT_FALSE(source.ReadAt(8, 3, out));
  EXPECT_EQ(source.error(), "read past the end of the file");
  EXPECT_FALSE(source.ReadAt(11, 0, out));
  EXPECT_FALSE(source.ReadAt(UINT64_MAX, 2, out));  // offset + length wraps
  EXPECT_EQ(source.error(), "read past the end of the file");
  EXPECT_FALSE(source.ReadAt(1, UINT64_MAX, out));
  EXPECT_EQ(std::string(out, sizeof out), std::string(sizeof out, 'x'));
  // A refused range does not spoil the source.
  ASSERT_TRUE(source.ReadAt(0, 2, out));
  EXPECT_EQ(std::string(out, 2), "01");
}

TEST(FileSource, FileThatShrinksAfterOpenIsAnError) {
  TempDir dir;
  const std::string path = dir.Write("f", kDigits + kDigits);
  FileSource source;
  ASSERT_TRUE(source.Open(path));
  ASSERT_EQ(source.size(), 20u);
  ASSERT_EQ(::truncate(path.c_str(), 12), 0);
  char out[20];
  // What is still there reads fine; the size is the one seen at open.
  ASSERT_TRUE(source.ReadAt(0, 12, out)) << source.error();
  EXPECT_EQ(std::string(out, 12), kDigits + "01");
  // A range that straddles the new end: the bytes before it arrive, then
  // pread reports end of file.
  EXPECT_FALSE(source.ReadAt(8, 8, out));
  EXPECT_EQ(source.error(), "file shrank while being read");
  ASSERT_EQ(::truncate(path.c_str(), 0), 0);
  EXPECT_FALSE(source.ReadAt(0, 1, out));
  EXPECT_EQ(source.error(), "file shrank while being read");
}

// ---------------------------------------------------------------------------
// Unchanged(): the file is still the one opened, as it was

TEST(FileSource, UntouchedFileIsUnchanged) {
  TempDir dir;
  const std::string path = dir.Write("f", kDigits);
  FileSource source;
  ASSERT_TRUE(source.Open(path));
  char out[10];
  ASSERT_TRUE(source.ReadAt(0, 10, out));
  EXPECT_TRUE(source.Unchanged()) << source.error();
  EXPECT_TRUE(source.Unchanged());
  MemorySource memory(std::span<const uint8_t>{});
  EXPECT_TRUE(memory.Unchanged());
}

TEST(FileSource, GrowthShrinkAndNewTimesAreChanges) {
  TempDir dir;
  const std::string path = dir.Write("f", kDigits);
  {
    FileSource source;
    ASSERT_TRUE(source.Open(path));
    std::ofstream(path, std::ios::app) << "more";
    EXPECT_FALSE(source.Unchanged());
    EXPECT_EQ(source.error(), "file changed while it was checked");
  }
  {
    FileSource source;
    ASSERT_TRUE(source.Open(path));
    ASSERT_EQ(::truncate(path.c_str(), 3), 0);
    EXPECT_FALSE(source.Unchanged());
    EXPECT_EQ(source.error(), "file shrank while being read");
  }
  {
    // Same size, same bytes, another modification time: rewritten.
    FileSource source;
    ASSERT_TRUE(source.Open(path));
    const timespec times[2] = {{0, UTIME_OMIT}, {1'000'000'000, 0}};
    ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
    EXPECT_FALSE(source.Unchanged());
    EXPECT_EQ(source.error(), "file changed while it was checked");
  }
}

TEST(FileSource, ReplacedOrRemovedPathIsAChange) {
  TempDir dir;
  const std::string path = dir.Write("f", kDigits);
  const std::string other = dir.Write("g", kDigits);
  FileSource source;
  ASSERT_TRUE(source.Open(path));
  ASSERT_EQ(::rename(other.c_str(), path.c_str()), 0);
  // The open file is intact and reads fine; the path names another one.
  char out[10];
  ASSERT_TRUE(source.ReadAt(0, 10, out));
  EXPECT_FALSE(source.Unchanged());
  EXPECT_EQ(source.error(), "file changed while it was checked");
  FileSource removed;
  ASSERT_TRUE(removed.Open(path));
  ASSERT_EQ(::unlink(path.c_str()), 0);
  EXPECT_FALSE(removed.Unchanged());
}

// The descriptor a FileSource holds for `path` (found in /proc/self/fd).
int DescriptorOf(const std::string& path) {
  const std::string want = fs::canonical(path).string();
  int found = -1;
  DIR* fds = ::opendir("/proc/self/fd");
  if (fds == nullptr) return -1;
  while (const dirent* entry = ::readdir(fds)) {
    const std::string link = std::string("/proc/self/fd/") + entry->d_name;
    char target[4096];
    const ssize_t n = ::readlink(link.c_str(), target, sizeof target);
    if (n > 0 && std::string(target, static_cast<size_t>(n)) == want) {
      found = std::atoi(entry->d_name);
    }
  }
  ::closedir(fds);
  return found;
}

TEST(FileSource, ReadErrorNamesTheSystemError) {
  // The source's descriptor is replaced (dup2) by one on a directory: pread
  // then fails with EISDIR, which the source reports.
  TempDir dir;
  const std::string path = dir.Write("f", kDigits);
  FileSource source;
  ASSERT_TRUE(source.Open(path));
  const int fd = DescriptorOf(path);
  if (fd < 0) GTEST_SKIP() << "cannot find the source's descriptor in /proc/self/fd";
  const int directory = ::open(dir.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(directory, 0);
  ASSERT_EQ(::dup2(directory, fd), fd);
  ::close(directory);
  char out[4];
  EXPECT_FALSE(source.ReadAt(0, 4, out));
  EXPECT_EQ(source.error(), std::strerror(EISDIR));
}

TEST(FileSource, SysfsFileLargerThanItsContentIsAnError) {
  // sysfs reports 4096 bytes for its attribute files whatever they hold.
  const std::string path = "/sys/devices/system/cpu/online";
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 64) {
    GTEST_SKIP() << path << " is not a sysfs file that claims more than it holds";
  }
  std::ifstream in(path, std::ios::binary);
  const std::string content{std::istreambuf_iterator<char>(in), {}};
  if (content.empty() || content.size() >= static_cast<size_t>(st.st_size)) {
    GTEST_SKIP() << path << " holds as much as it claims";
  }
  FileSource source;
  ASSERT_TRUE(source.Open(path)) << source.error();
  EXPECT_EQ(source.size(), static_cast<uint64_t>(st.st_size));
  std::vector<char> out(source.size());
  ASSERT_TRUE(source.ReadAt(0, content.size(), out.data())) << source.error();
  EXPECT_EQ(std::string(out.data(), content.size()), content);
  EXPECT_FALSE(source.ReadAt(0, source.size(), out.data()));
  EXPECT_EQ(source.error(), "file shrank while being read");
}

}  // namespace
}  // namespace stguard::internal
