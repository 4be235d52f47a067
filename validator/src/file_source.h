// A regular file read with pread: only the ranges asked for are read.
#ifndef STGUARD_SRC_FILE_SOURCE_H_
#define STGUARD_SRC_FILE_SOURCE_H_

#include <sys/stat.h>
#include <sys/types.h>

#include <ctime>
#include <mutex>
#include <string>

#include "byte_source.h"

namespace stguard::internal {

class FileSource final : public ByteSource {
 public:
  FileSource() = default;
  ~FileSource() override;
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;

  // Opens `path`; false with error() set when it is missing, unreadable or
  // not a regular file. Records what the file is (size, modification time,
  // device and inode) for Unchanged().
  bool Open(const std::string& path);
  uint64_t size() const override { return size_; }
  bool ReadAt(uint64_t offset, uint64_t length, char* out) override;
  std::string error() const override;
  // Whether the open file still has the size and modification time it had
  // at Open, and `path` still names it (not replaced by a rename or
  // deleted). Otherwise error() is "file shrank while being read" (smaller)
  // or "file changed while it was checked". A rewrite that keeps the size
  // within the file system's timestamp granularity goes unseen.
  bool Unchanged() override;

 private:
  void SetError(std::string error);

  int fd_ = -1;
  std::string path_;
  uint64_t size_ = 0;
  dev_t device_ = 0;
  ino_t inode_ = 0;
  timespec modified_{};
  mutable std::mutex error_mutex_;  // ReadAt may fail on two threads at once
  std::string error_;
};

}  // namespace stguard::internal

#endif  // STGUARD_SRC_FILE_SOURCE_H_
