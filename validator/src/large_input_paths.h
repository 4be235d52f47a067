// Some code runs only for large inputs: the whole-file hash moves to a
// second thread from 1 MiB, duplicate-name grouping works in place from 2
// million names, and the value scan takes its AVX2 instance wherever the
// CPU has it (so the baseline instance runs on old CPUs only). Fuzz inputs
// are at most tens of KiB, so fuzzers would never run that code. While a
// ScopedLargeInputPaths is alive on a thread, validations on that thread
// take those paths at any size; fuzz targets compare such a report with the
// one the default paths give for the same bytes.
#ifndef STGUARD_SRC_LARGE_INPUT_PATHS_H_
#define STGUARD_SRC_LARGE_INPUT_PATHS_H_

namespace stguard::internal {

// True while a ScopedLargeInputPaths is alive on this thread.
bool LargeInputPathsForced();

class ScopedLargeInputPaths {
 public:
  ScopedLargeInputPaths();
  ~ScopedLargeInputPaths();
  ScopedLargeInputPaths(const ScopedLargeInputPaths&) = delete;
  ScopedLargeInputPaths& operator=(const ScopedLargeInputPaths&) = delete;

 private:
  bool was_forced_;
};

}  // namespace stguard::internal

#endif  // STGUARD_SRC_LARGE_INPUT_PATHS_H_
