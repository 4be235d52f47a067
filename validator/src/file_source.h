// A regular file read with pread: only the ranges asked for are read.
#ifndef STGUARD_SRC_FILE_SOURCE_H_
#define STGUARD_SRC_FILE_SOURCE_H_

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
  // not a regular file.
  bool Open(const std::string& path);
  uint64_t size() const override { return size_; }
  bool ReadAt(uint64_t offset, uint64_t length, char* out) override;
  std::string error() const override;

 private:
  void SetError(std::string error);

  int fd_ = -1;
  uint64_t size_ = 0;
  mutable std::mutex error_mutex_;  // ReadAt may fail on two threads at once
  std::string error_;
};

}  // namespace stguard::internal

#endif  // STGUARD_SRC_FILE_SOURCE_H_
