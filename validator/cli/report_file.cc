#include "report_file.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace stguard::cli {

// An output buffer over a file descriptor that remembers the first write
// error (errno), so Commit can report it.
class ReportFile::FdBuf : public std::streambuf {
 public:
  explicit FdBuf(int fd) : fd_(fd) { setp(buffer_.data(), buffer_.data() + buffer_.size()); }
  int error() const { return error_; }

 protected:
  int_type overflow(int_type c) override {
    if (!Drain()) return traits_type::eof();
    if (!traits_type::eq_int_type(c, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(c);
      pbump(1);
    }
    return traits_type::not_eof(c);
  }
  int sync() override { return Drain() ? 0 : -1; }

 private:
  bool Drain() {
    const char* p = pbase();
    while (error_ == 0 && p < pptr()) {
      const ssize_t n = ::write(fd_, p, static_cast<size_t>(pptr() - p));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        error_ = n < 0 ? errno : EIO;
        break;
      }
      p += n;
    }
    setp(buffer_.data(), buffer_.data() + buffer_.size());
    return error_ == 0;
  }

  int fd_;
  int error_ = 0;
  std::array<char, 1 << 16> buffer_;
};

ReportFile::ReportFile() : stream_(nullptr) {}

ReportFile::~ReportFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!temp_path_.empty()) ::unlink(temp_path_.c_str());
}

std::string ReportFile::Open(const std::string& path) {
  const auto fail = [&](const char* what) {
    return "cannot write " + path + ": " + what;
  };
  if (path.empty()) return fail("empty file name");
  path_ = path;
  struct stat st;
  mode_t mode = 0;
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return fail(std::strerror(EISDIR));
    if (!S_ISREG(st.st_mode)) {
      fd_ = ::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOCTTY);
      if (fd_ < 0) return fail(std::strerror(errno));
      buf_ = std::make_unique<FdBuf>(fd_);
      stream_.rdbuf(buf_.get());
      return "";
    }
    // Replace what a symlink leads to, not the link.
    char* real = ::realpath(path.c_str(), nullptr);
    if (real == nullptr) return fail(std::strerror(errno));
    path_ = real;
    ::free(real);
    if (::access(path_.c_str(), W_OK) != 0) return fail(std::strerror(errno));
    mode = st.st_mode & 07777;
  } else if (errno != ENOENT) {
    return fail(std::strerror(errno));
  } else {
    const mode_t mask = ::umask(0);
    ::umask(mask);
    mode = 0666 & ~mask;
  }
  const size_t slash = path_.rfind('/');
  const std::string dir = slash == std::string::npos ? "" : path_.substr(0, slash + 1);
  const std::string base = slash == std::string::npos ? path_ : path_.substr(slash + 1);
  std::string temp = dir + "." + base + ".stguard-XXXXXX";
  fd_ = ::mkostemp(temp.data(), O_CLOEXEC);
  if (fd_ < 0) return fail(std::strerror(errno));
  temp_path_ = temp;
  if (::fchmod(fd_, mode) != 0) return fail(std::strerror(errno));
  buf_ = std::make_unique<FdBuf>(fd_);
  stream_.rdbuf(buf_.get());
  return "";
}

std::string ReportFile::temp_name() const {
  return temp_path_.substr(temp_path_.rfind('/') + 1);  // npos + 1 == 0
}

std::string ReportFile::Commit() {
  const auto fail = [&](int error) { return "cannot write " + path_ + ": " + std::strerror(error); };
  stream_.flush();
  if (buf_->error() != 0) return fail(buf_->error());
  if (!stream_) return fail(EIO);
  // A device or FIFO written directly cannot be synced; a regular file must be.
  if (!temp_path_.empty() && ::fsync(fd_) != 0) return fail(errno);
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0 && !temp_path_.empty()) return fail(errno);
  if (temp_path_.empty()) return "";
  if (::rename(temp_path_.c_str(), path_.c_str()) != 0) return fail(errno);
  temp_path_.clear();
  return "";
}

}  // namespace stguard::cli
