// fuzz_paths: raw bytes -> one report per way into the validator, all equal.
// The policy (compat, default or strict) is chosen by the input, so a crash
// reproduces from its file alone. Oracle (abort on any difference):
//   - tiny JSON batches (1 to 64 bytes, from the input) give the same report
//     as the default 256 KiB batches: the multi-batch path, which a large
//     header needs, is reached by small inputs;
//   - without collect_tensors: the same report, tensors aside, and no
//     tensors filled;
//   - with the fast paths off (fast_paths.h: no block scan, no plain
//     entries read without the DOM), the exact readers give the same
//     report, findings and tensor table included;
//   - ValidateFile on the same bytes written to a temporary file gives the
//     same report as ValidateBuffer (file path vs memory path), and so does
//     a deep scan of that file in small chunks on the paths of large inputs
//     (large_input_paths.h: background file hash, read-ahead, in-place
//     duplicate-name grouping, the baseline value scan).
// fuzz_check keeps the policy invariants (determinism, compat -> default ->
// strict, findings, tiling); splitting the two keeps each target fast.
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "fast_paths.h"
#include "fuzz_common.h"
#include "large_input_paths.h"

using stguard::Report;

namespace {

// ValidateFile over the same bytes, through one temporary file per process:
// an in-memory file (memfd, opened by its /proc/self/fd path) where Linux
// has one, else a file under /tmp (rewriting a disk file costs more than
// validating it).
void CheckFilePath(std::span<const uint8_t> bytes, const Report& expected,
                   const stguard::Policy& policy, const stguard::ValidateOptions& options) {
  static std::string path;
  static int fd = -1;
  if (fd < 0) {
#if defined(__linux__) && defined(MFD_CLOEXEC)
    fd = memfd_create("stguard-fuzz-paths", MFD_CLOEXEC);
    if (fd >= 0) path = "/proc/self/fd/" + std::to_string(fd);
#endif
    if (fd < 0) {
      char tmpl[] = "/tmp/stguard-fuzz-paths-XXXXXX";
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
  const stguard::FileReport file = stguard::ValidateFile(path, policy, options);
  if (!file.io_ok) stguard_fuzz::Fail("ValidateFile failed to read: " + file.io_error);
  if (std::string diff = stguard_fuzz::DiffReports(expected, file.report, true); !diff.empty()) {
    stguard_fuzz::Fail("ValidateFile and ValidateBuffer disagree: " + diff);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> bytes(data, size);
  static const char* const kWhat[stguard_fuzz::kBuiltinCount] = {"compat", "default", "strict"};
  const int index = static_cast<int>(size % stguard_fuzz::kBuiltinCount);
  const stguard::Policy& policy = stguard_fuzz::BuiltinByIndex(index);
  const std::string under = std::string(" under ") + kWhat[index] + ": ";

  stguard::ValidateOptions collect;
  collect.collect_tensors = true;
  const Report expected = stguard::ValidateBuffer(bytes, policy, collect);
  stguard_fuzz::CheckFindings(expected, kWhat[index]);

  stguard::ValidateOptions tiny_batches = collect;
  tiny_batches.json_batch_bytes = 1 + static_cast<uint32_t>((size / 3) % 64);
  const Report batched = stguard::ValidateBuffer(bytes, policy, tiny_batches);
  if (std::string diff = stguard_fuzz::DiffReports(expected, batched, true); !diff.empty()) {
    stguard_fuzz::Fail("the JSON batch size changes the report" + under + diff);
  }

  const Report plain = stguard::ValidateBuffer(bytes, policy, {});
  if (std::string diff = stguard_fuzz::DiffReports(expected, plain, false); !diff.empty()) {
    stguard_fuzz::Fail("collect_tensors changes the report" + under + diff);
  }
  if (!plain.tensors.empty()) stguard_fuzz::Fail("tensors filled without collect_tensors");

  {
    const stguard::internal::ScopedFastPathsOff exact_readers_only;
    const Report exact = stguard::ValidateBuffer(bytes, policy, collect);
    if (std::string diff = stguard_fuzz::DiffReports(expected, exact, true); !diff.empty()) {
      stguard_fuzz::Fail("fast paths and exact readers disagree" + under + diff);
    }
  }

  CheckFilePath(bytes, expected, policy, collect);

  // A deep scan of the file, read in chunks of 1 to 4096 bytes (the next
  // chunk read ahead while the current one is hashed) on the paths large
  // inputs take (large_input_paths.h), against a deep scan of the buffer
  // on the default paths. For one input in four (by its size, so a replay
  // repeats it): a thread is started and every chunk handed over to it,
  // which costs milliseconds, not the microseconds of the checks above.
  if (size % 4 != 1) return 0;
  stguard::ValidateOptions deep = collect;
  deep.deep_scan = true;
  const Report expected_deep = stguard::ValidateBuffer(bytes, policy, deep);
  // At most 4 chunks: each costs a hand-over to the hash thread.
  deep.read_chunk_bytes = static_cast<uint32_t>(
      std::max<size_t>(1 + (size / 7) % 4096, size / 4 + 1));
  {
    const stguard::internal::ScopedLargeInputPaths large_input_paths;
    CheckFilePath(bytes, expected_deep, policy, deep);
  }
  return 0;
}
