// Runs a block with a directory as the root directory (chroot), to test
// paths directly under "/" ("/model.safetensors.index.json", "/p.json")
// without writing to the real root. The previous root and working
// directory are restored when the object goes away (a process with
// CAP_SYS_CHROOT can always get back through a descriptor opened on the old
// root). Needs CAP_SYS_CHROOT: entered() is false otherwise, and the test
// should skip.
#ifndef STGUARD_TESTS_SUPPORT_INSIDE_CHROOT_H_
#define STGUARD_TESTS_SUPPORT_INSIDE_CHROOT_H_

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace stguard::testing {

class InsideChroot {
 public:
  // `cwd`: the working directory inside the new root.
  InsideChroot(const std::string& dir, const std::string& cwd) {
    old_root_ = ::open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    old_cwd_ = ::open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (old_root_ < 0 || old_cwd_ < 0) {
      why_ = std::string("open: ") + std::strerror(errno);
      return;
    }
    if (::chroot(dir.c_str()) != 0) {
      why_ = std::string("chroot: ") + std::strerror(errno);
      return;
    }
    entered_ = true;
    if (::chdir(cwd.c_str()) != 0) why_ = std::string("chdir: ") + std::strerror(errno);
  }

  ~InsideChroot() {
    if (entered_ && old_root_ >= 0) {
      // Step out to the old root (outside the chroot), make it the root.
      if (::fchdir(old_root_) == 0) (void)!::chroot(".");
    }
    if (old_cwd_ >= 0) (void)!::fchdir(old_cwd_);
    if (old_root_ >= 0) ::close(old_root_);
    if (old_cwd_ >= 0) ::close(old_cwd_);
  }

  InsideChroot(const InsideChroot&) = delete;
  InsideChroot& operator=(const InsideChroot&) = delete;

  // In the new root, at `cwd`.
  bool entered() const { return entered_ && why_.empty(); }
  const std::string& why_not() const { return why_; }

 private:
  int old_root_ = -1;
  int old_cwd_ = -1;
  bool entered_ = false;
  std::string why_;
};

}  // namespace stguard::testing

#endif  // STGUARD_TESTS_SUPPORT_INSIDE_CHROOT_H_
