// Large buffers (the header copy, the tensor table) are touched once, page
// by page; on virtual machines a page fault costs microseconds. Asking for
// transparent huge pages makes one fault cover 2 MiB instead of 4 KiB. Only
// a hint: nothing changes when the kernel ignores it.
#ifndef STGUARD_SRC_HUGE_PAGES_H_
#define STGUARD_SRC_HUGE_PAGES_H_

#include <cstddef>
#include <cstdint>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace stguard::internal {

inline void AdviseHugePages(const void* data, size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE) && !defined(STGUARD_NO_HUGE_PAGE_ADVICE)
  constexpr uintptr_t kHuge = uintptr_t{2} << 20;
  if (data == nullptr || bytes < 2 * kHuge) return;
  const uintptr_t begin = (reinterpret_cast<uintptr_t>(data) + kHuge - 1) & ~(kHuge - 1);
  const uintptr_t end = (reinterpret_cast<uintptr_t>(data) + bytes) & ~(kHuge - 1);
  if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
#else
  (void)data;
  (void)bytes;
#endif
}

}  // namespace stguard::internal

#endif  // STGUARD_SRC_HUGE_PAGES_H_
