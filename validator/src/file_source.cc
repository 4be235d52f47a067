#include "file_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace stguard::internal {

FileSource::~FileSource() {
  if (fd_ >= 0) ::close(fd_);
}

std::string FileSource::error() const {
  const std::lock_guard<std::mutex> lock(error_mutex_);
  return error_;
}

void FileSource::SetError(std::string error) {
  const std::lock_guard<std::mutex> lock(error_mutex_);
  error_ = std::move(error);
}

bool FileSource::Open(const std::string& path) {
  // O_NONBLOCK: opening a FIFO with no writer would otherwise block
  // forever; it is rejected below as not a regular file. For regular files
  // the flag changes nothing.
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd_ < 0) {
    SetError(std::strerror(errno));
    return false;
  }
  struct stat st;
  if (::fstat(fd_, &st) != 0) {
    SetError(std::strerror(errno));
    return false;
  }
  if (!S_ISREG(st.st_mode)) {
    SetError(S_ISDIR(st.st_mode) ? "is a directory" : "not a regular file");
    return false;
  }
  path_ = path;
  size_ = static_cast<uint64_t>(st.st_size);
  device_ = st.st_dev;
  inode_ = st.st_ino;
  modified_ = st.st_mtim;
  return true;
}

bool FileSource::Unchanged() {
  struct stat now;
  if (::fstat(fd_, &now) != 0) {
    SetError(std::strerror(errno));
    return false;
  }
  if (static_cast<uint64_t>(now.st_size) < size_) {
    SetError("file shrank while being read");
    return false;
  }
  struct stat named;
  const bool same = static_cast<uint64_t>(now.st_size) == size_ &&
                    now.st_mtim.tv_sec == modified_.tv_sec &&
                    now.st_mtim.tv_nsec == modified_.tv_nsec &&
                    ::stat(path_.c_str(), &named) == 0 && named.st_dev == device_ &&
                    named.st_ino == inode_;
  if (!same) SetError("file changed while it was checked");
  return same;
}

bool FileSource::ReadAt(uint64_t offset, uint64_t length, char* out) {
  const std::optional<uint64_t> end = CheckedAdd(offset, length);
  if (!end || *end > size_) {
    SetError("read past the end of the file");
    return false;
  }
  while (length > 0) {
    const ssize_t got = ::pread(fd_, out, length, static_cast<off_t>(offset));
    if (got < 0) {
      if (errno == EINTR) continue;
      SetError(std::strerror(errno));
      return false;
    }
    if (got == 0) {
      SetError("file shrank while being read");
      return false;
    }
    out += got;
    offset += static_cast<uint64_t>(got);
    length -= static_cast<uint64_t>(got);
  }
  return true;
}

}  // namespace stguard::internal
