// Makes a file shrink between open and read, deterministically: the first
// read of `path` (by anyone; or the `at_read`-th) is held by a fanotify
// permission event, the file is truncated to `new_size`, and only then does
// the read proceed. The reader has already opened the file and taken its
// size, as a file that is truncated by another process while being
// validated.
//
// Needs CAP_SYS_ADMIN and a kernel with fanotify permission events; when
// they are missing, available() is false and the test should skip.
#ifndef STGUARD_TESTS_SUPPORT_TRUNCATE_ON_READ_H_
#define STGUARD_TESTS_SUPPORT_TRUNCATE_ON_READ_H_

#include <fcntl.h>
#include <poll.h>
#include <sys/fanotify.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <thread>
#include <utility>

namespace stguard::testing {

class TruncateOnFirstRead {
 public:
  TruncateOnFirstRead(std::string path, uint64_t new_size, int at_read = 1)
      : path_(std::move(path)), new_size_(new_size), at_read_(at_read) {
    fan_ = ::fanotify_init(FAN_CLOEXEC | FAN_CLASS_CONTENT | FAN_NONBLOCK, O_RDONLY);
    if (fan_ < 0) {
      why_ = std::string("fanotify_init: ") + std::strerror(errno);
      return;
    }
    if (::fanotify_mark(fan_, FAN_MARK_ADD, FAN_ACCESS_PERM, AT_FDCWD, path_.c_str()) != 0) {
      why_ = std::string("fanotify_mark: ") + std::strerror(errno);
      ::close(fan_);
      fan_ = -1;
      return;
    }
    if (::pipe2(stop_, O_CLOEXEC) != 0) {
      why_ = std::string("pipe2: ") + std::strerror(errno);
      ::close(fan_);
      fan_ = -1;
      return;
    }
    listener_ = std::thread([this] { Serve(); });
  }

  ~TruncateOnFirstRead() {
    if (fan_ < 0) return;
    const char stop = 1;
    (void)!::write(stop_[1], &stop, 1);
    listener_.join();
    ::close(stop_[0]);
    ::close(stop_[1]);
    ::close(fan_);  // any event still pending is allowed by the kernel
  }

  TruncateOnFirstRead(const TruncateOnFirstRead&) = delete;
  TruncateOnFirstRead& operator=(const TruncateOnFirstRead&) = delete;

  bool available() const { return fan_ >= 0; }
  const std::string& why_unavailable() const { return why_; }
  // Reads of the file seen so far (each was allowed).
  int reads() const { return reads_.load(); }
  // Whether the truncation succeeded (set at the read it was asked for).
  bool truncated() const { return truncated_.load(); }

 private:
  void Serve() {
    alignas(fanotify_event_metadata) char buffer[4096];
    while (true) {
      pollfd fds[2] = {{fan_, POLLIN, 0}, {stop_[0], POLLIN, 0}};
      if (::poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        return;
      }
      if (fds[0].revents & POLLIN) {
        const ssize_t n = ::read(fan_, buffer, sizeof buffer);
        if (n > 0) {
          Answer(buffer, n);
          continue;  // drain events before looking at the stop pipe
        }
      }
      if (fds[1].revents & POLLIN) return;
      if (fds[0].revents & (POLLERR | POLLHUP | POLLNVAL)) return;
    }
  }

  void Answer(char* buffer, ssize_t n) {
    auto* event = reinterpret_cast<fanotify_event_metadata*>(buffer);
    for (; FAN_EVENT_OK(event, n); event = FAN_EVENT_NEXT(event, n)) {
      if (event->mask & FAN_ACCESS_PERM) {
        if (reads_.fetch_add(1) + 1 == at_read_) {
          truncated_ = ::truncate(path_.c_str(), static_cast<off_t>(new_size_)) == 0;
        }
        const fanotify_response response{event->fd, FAN_ALLOW};
        (void)!::write(fan_, &response, sizeof response);
      }
      if (event->fd >= 0) ::close(event->fd);
    }
  }

  std::string path_;
  uint64_t new_size_;
  int at_read_;
  int fan_ = -1;
  int stop_[2] = {-1, -1};
  std::string why_;
  std::atomic<int> reads_{0};
  std::atomic<bool> truncated_{false};
  std::thread listener_;
};

}  // namespace stguard::testing

#endif  // STGUARD_TESTS_SUPPORT_TRUNCATE_ON_READ_H_
