// Changes a file between open and read, deterministically: the first read
// of `path` (by anyone, this process or a child; or the `at_read`-th) is
// held by a fanotify permission event, the file is changed (truncated,
// appended to, replaced...), and only then does the read proceed. The
// reader has already opened the file and taken its size, as with a file
// that another process changes while it is being validated.
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
#include <functional>
#include <string>
#include <thread>
#include <utility>

namespace stguard::testing {

class ChangeOnRead {
 public:
  // `change` runs once, at the `at_read`-th read; it returns whether it
  // managed to change the file (see changed()).
  ChangeOnRead(std::string path, std::function<bool()> change, int at_read = 1)
      : path_(std::move(path)), change_(std::move(change)), at_read_(at_read) {
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

  ~ChangeOnRead() {
    if (fan_ < 0) return;
    const char stop = 1;
    (void)!::write(stop_[1], &stop, 1);
    listener_.join();
    ::close(stop_[0]);
    ::close(stop_[1]);
    ::close(fan_);  // any event still pending is allowed by the kernel
  }

  ChangeOnRead(const ChangeOnRead&) = delete;
  ChangeOnRead& operator=(const ChangeOnRead&) = delete;

  bool available() const { return fan_ >= 0; }
  const std::string& why_unavailable() const { return why_; }
  // Reads of the file seen so far (each was allowed).
  int reads() const { return reads_.load(); }
  // Whether the change succeeded (set at the read it was asked for).
  bool changed() const { return changed_.load(); }

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
          changed_ = change_();
        }
        const fanotify_response response{event->fd, FAN_ALLOW};
        (void)!::write(fan_, &response, sizeof response);
      }
      if (event->fd >= 0) ::close(event->fd);
    }
  }

  std::string path_;
  std::function<bool()> change_;
  int at_read_;
  int fan_ = -1;
  int stop_[2] = {-1, -1};
  std::string why_;
  std::atomic<int> reads_{0};
  std::atomic<bool> changed_{false};
  std::thread listener_;
};

// The file shrinks to `new_size` bytes at the `at_read`-th read.
class TruncateOnFirstRead : public ChangeOnRead {
 public:
  TruncateOnFirstRead(const std::string& path, uint64_t new_size, int at_read = 1)
      : ChangeOnRead(
            path,
            [path, new_size] {
              return ::truncate(path.c_str(), static_cast<off_t>(new_size)) == 0;
            },
            at_read) {}
  bool truncated() const { return changed(); }
};

}  // namespace stguard::testing

#endif  // STGUARD_TESTS_SUPPORT_TRUNCATE_ON_READ_H_
