// fuzz_check: raw bytes -> ValidateBuffer under compat, default and strict.
// Oracle (abort on any violation):
//   - the same bytes give the same report twice (and the same report
//     without collect_tensors, tensors aside, and with tiny JSON batches);
//   - rejections grow compat -> default -> strict;
//   - every finding has a known code and an offset inside the file;
//   - in an accepted file the tensors tile the data section exactly;
//   - each finding's code round-trips through Info()/ParseCode();
//   - with the fast paths off (fast_paths.h), the exact readers give the
//     same report under one policy (chosen by the input);
//   - for inputs whose size is a multiple of 8, ValidateFile on the same
//     bytes written to a temporary file gives the same report as
//     ValidateBuffer (file path vs memory path).
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "fast_paths.h"
#include "fuzz_common.h"
#include "stguard/codes.h"

using stguard::Report;
using stguard::Verdict;

namespace {

void CheckCodeTable(const Report& report) {
  for (const stguard::Finding& f : report.findings) {
    const stguard::CodeInfo& info = stguard::Info(f.code);
    if (info.code != f.code) stguard_fuzz::Fail("Info() returns another code's row");
    if (stguard::ParseCode(info.id) != f.code ||
        stguard::ParseCode(std::to_string(static_cast<unsigned>(f.code))) != f.code) {
      stguard_fuzz::Fail("ParseCode does not round-trip code " + std::string(info.id));
    }
    if (!report.HasCode(f.code)) stguard_fuzz::Fail("Report::HasCode misses a finding");
    if (stguard::SeverityName(f.severity).empty()) stguard_fuzz::Fail("empty severity name");
  }
  if (stguard::VerdictName(report.verdict).empty()) stguard_fuzz::Fail("empty verdict name");
}

// ValidateFile over the same bytes, through one temporary file per process:
// an in-memory file (memfd, opened by its /proc/self/fd path) where Linux
// has one, else a file under /tmp (rewriting a disk file costs more than
// validating it).
void CheckFilePath(std::span<const uint8_t> bytes, const Report& expected,
                   const stguard::ValidateOptions& options) {
  static std::string path;
  static int fd = -1;
  if (fd < 0) {
#if defined(__linux__) && defined(MFD_CLOEXEC)
    fd = memfd_create("stguard-fuzz-check", MFD_CLOEXEC);
    if (fd >= 0) path = "/proc/self/fd/" + std::to_string(fd);
#endif
    if (fd < 0) {
      char tmpl[] = "/tmp/stguard-fuzz-check-XXXXXX";
      fd = mkstemp(tmpl);
      if (fd < 0) return;
      path = tmpl;
      atexit([] { unlink(path.c_str()); });
    }
  }
  if (ftruncate(fd, 0) != 0) return;
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = pwrite(fd, bytes.data() + done, bytes.size() - done,
                             static_cast<off_t>(done));
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
  const stguard::FileReport file = stguard::ValidateFile(path, stguard_fuzz::BuiltinByIndex(0),
                                                         options);
  if (!file.io_ok) stguard_fuzz::Fail("ValidateFile failed to read: " + file.io_error);
  if (std::string diff = stguard_fuzz::DiffReports(expected, file.report, true); !diff.empty()) {
    stguard_fuzz::Fail("ValidateFile and ValidateBuffer disagree: " + diff);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> bytes(data, size);
  stguard::ValidateOptions collect;
  collect.collect_tensors = true;
  static const char* const kWhat[stguard_fuzz::kBuiltinCount] = {"compat", "default", "strict"};

  Report reports[stguard_fuzz::kBuiltinCount];
  for (int i = 0; i < stguard_fuzz::kBuiltinCount; ++i) {
    reports[i] = stguard::ValidateBuffer(bytes, stguard_fuzz::BuiltinByIndex(i), collect);
    const Report& r = reports[i];
    if (r.file_size != size) stguard_fuzz::Fail(std::string(kWhat[i]) + ": file_size is wrong");
    stguard_fuzz::CheckFindings(r, kWhat[i]);
    stguard_fuzz::CheckAcceptedLayout(r, kWhat[i]);
  }
  for (int i = 0; i + 1 < stguard_fuzz::kBuiltinCount; ++i) {
    if (reports[i].verdict == Verdict::kReject && reports[i + 1].verdict != Verdict::kReject) {
      stguard_fuzz::Fail(std::string("rejected by ") + kWhat[i] + " but accepted by " +
                         kWhat[i + 1]);
    }
  }

  // Determinism: one policy (chosen by the input) again, same options.
  const int again_index = static_cast<int>(size % stguard_fuzz::kBuiltinCount);
  const Report again =
      stguard::ValidateBuffer(bytes, stguard_fuzz::BuiltinByIndex(again_index), collect);
  if (std::string diff = stguard_fuzz::DiffReports(reports[again_index], again, true);
      !diff.empty()) {
    stguard_fuzz::Fail(std::string("same bytes, different report under ") +
                       kWhat[again_index] + ": " + diff);
  }
  // collect_tensors must not change anything but Report::tensors; the JSON
  // batch size must change nothing at all (tiny batches also reach the
  // multi-batch path, which the default 256 KiB batches need a large input
  // for).
  stguard::ValidateOptions tiny_batches = collect;
  tiny_batches.json_batch_bytes = 1 + static_cast<uint32_t>(size % 64);
  const Report batched =
      stguard::ValidateBuffer(bytes, stguard_fuzz::BuiltinByIndex(0), tiny_batches);
  if (std::string diff = stguard_fuzz::DiffReports(reports[0], batched, true); !diff.empty()) {
    stguard_fuzz::Fail("the JSON batch size changes the compat report: " + diff);
  }
  const Report plain = stguard::ValidateBuffer(bytes, stguard_fuzz::BuiltinByIndex(0), {});
  if (std::string diff = stguard_fuzz::DiffReports(reports[0], plain, false); !diff.empty()) {
    stguard_fuzz::Fail("collect_tensors changes the compat report: " + diff);
  }
  if (!plain.tensors.empty()) stguard_fuzz::Fail("tensors filled without collect_tensors");
  // The fast paths (block scan, plain entries read without the DOM) must
  // agree with the exact readers, findings and tensor table included.
  {
    const int index = static_cast<int>((size / 3) % stguard_fuzz::kBuiltinCount);
    const stguard::internal::ScopedFastPathsOff exact_readers_only;
    const Report exact = stguard::ValidateBuffer(bytes, stguard_fuzz::BuiltinByIndex(index), collect);
    if (std::string diff = stguard_fuzz::DiffReports(reports[index], exact, true); !diff.empty()) {
      stguard_fuzz::Fail(std::string("fast paths and exact readers disagree under ") +
                         kWhat[index] + ": " + diff);
    }
  }
  CheckCodeTable(reports[2]);
  if (size % 8 == 0) CheckFilePath(bytes, reports[0], collect);
  return 0;
}
