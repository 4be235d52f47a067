// The validator reads common, well-formed text through fast paths (a
// 64-byte block scan of the header's top level; plain tensor entries read
// from the text without simdjson's DOM) and hands anything else to the exact
// readers, which also name the problems. Both must give the same report:
// tests and fuzz_check switch the fast paths off on one thread and compare.
#ifndef STGUARD_SRC_FAST_PATHS_H_
#define STGUARD_SRC_FAST_PATHS_H_

namespace stguard::internal {

// True unless a ScopedFastPathsOff is alive on this thread.
bool FastPathsEnabled();

class ScopedFastPathsOff {
 public:
  ScopedFastPathsOff();
  ~ScopedFastPathsOff();
  ScopedFastPathsOff(const ScopedFastPathsOff&) = delete;
  ScopedFastPathsOff& operator=(const ScopedFastPathsOff&) = delete;

 private:
  bool was_enabled_;
};

}  // namespace stguard::internal

#endif  // STGUARD_SRC_FAST_PATHS_H_
