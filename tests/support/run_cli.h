// Runs the stguard CLI as a child process without a shell (arguments are
// passed as bytes, so paths that are not UTF-8 get through untouched), and
// reports its exit status, output, output size and peak resident memory.
// A child still running after the timeout is killed: a test of something
// that must not block fails instead of hanging.
#ifndef STGUARD_TESTS_SUPPORT_RUN_CLI_H_
#define STGUARD_TESTS_SUPPORT_RUN_CLI_H_

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

namespace stguard::testing {

struct CliRun {
  int exit_code = -1;       // -1: killed by a signal or by the timeout
  bool timed_out = false;
  std::string out;          // standard output (empty unless kept)
  std::string err;          // standard error
  uint64_t out_bytes = 0;   // bytes written to standard output
  uint64_t peak_rss_kib = 0;  // the child's peak resident set (wait4's ru_maxrss)
};

struct CliOptions {
  std::string stdin_path = "/dev/null";
  bool keep_output = true;  // false: only count standard output's bytes
  int timeout_seconds = 120;
};

namespace run_cli_internal {

inline int TempFile() {
  std::string pattern = std::filesystem::temp_directory_path().string() + "/stguard_cli_XXXXXX";
  const int fd = ::mkstemp(pattern.data());
  if (fd >= 0) ::unlink(pattern.c_str());
  return fd;
}

inline std::string ReadAll(int fd) {
  std::string text;
  char buffer[1 << 16];
  ssize_t n;
  ::lseek(fd, 0, SEEK_SET);
  while ((n = ::read(fd, buffer, sizeof buffer)) > 0) text.append(buffer, static_cast<size_t>(n));
  return text;
}

}  // namespace run_cli_internal

inline CliRun RunCli(const std::vector<std::string>& args, const CliOptions& options = {}) {
  CliRun run;
  const int out_fd = run_cli_internal::TempFile();
  const int err_fd = run_cli_internal::TempFile();
  const int in_fd = ::open(options.stdin_path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (out_fd < 0 || err_fd < 0 || in_fd < 0) return run;
  // Blocking reads for the child, as a shell would give it.
  ::fcntl(in_fd, F_SETFL, ::fcntl(in_fd, F_GETFL) & ~O_NONBLOCK);
  std::vector<char*> argv;
  std::string program = STGUARD_CLI_PATH;
  argv.push_back(program.data());
  std::vector<std::string> copies = args;
  for (std::string& a : copies) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(in_fd, STDIN_FILENO);
    ::dup2(out_fd, STDOUT_FILENO);
    ::dup2(err_fd, STDERR_FILENO);
    ::execv(program.c_str(), argv.data());
    ::_exit(127);
  }
  ::close(in_fd);
  int status = 0;
  rusage usage{};
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(options.timeout_seconds);
  while (pid > 0) {
    const pid_t done = ::wait4(pid, &status, WNOHANG, &usage);
    if (done == pid) break;
    if (done < 0) return run;
    if (std::chrono::steady_clock::now() > deadline) {
      run.timed_out = true;
      ::kill(pid, SIGKILL);
      ::wait4(pid, &status, 0, &usage);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  run.exit_code = WIFEXITED(status) && !run.timed_out ? WEXITSTATUS(status) : -1;
  run.peak_rss_kib = static_cast<uint64_t>(usage.ru_maxrss);
  struct stat st{};
  if (::fstat(out_fd, &st) == 0) run.out_bytes = static_cast<uint64_t>(st.st_size);
  if (options.keep_output) run.out = run_cli_internal::ReadAll(out_fd);
  run.err = run_cli_internal::ReadAll(err_fd);
  ::close(out_fd);
  ::close(err_fd);
  return run;
}

}  // namespace stguard::testing

#endif  // STGUARD_TESTS_SUPPORT_RUN_CLI_H_
