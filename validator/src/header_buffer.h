// A header's bytes (up to 100,000,000), from a file or a stream. It is read
// once, front to back, member by member; what a member has consumed is never
// read again. A header of millions of small members (4.5 million
// `"a":["U8",[0],[0,0]]` in 100 MB) would otherwise stay resident, whole,
// beside the table built from it, and set the peak. So the buffer is mapped
// directly rather than taken from malloc, and ReleaseBefore unmaps the pages
// behind the reading as it goes: a stray read of them faults instead of
// reading stale or zeroed bytes.
#ifndef STGUARD_SRC_HEADER_BUFFER_H_
#define STGUARD_SRC_HEADER_BUFFER_H_

#include <cstddef>
#include <algorithm>
#include <cstdint>
#include <memory>
#include <new>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "huge_pages.h"

namespace stguard::internal {

class HeaderBuffer {
 public:
  HeaderBuffer() = default;
  HeaderBuffer(const HeaderBuffer&) = delete;
  HeaderBuffer& operator=(const HeaderBuffer&) = delete;
  ~HeaderBuffer() { Reset(); }

  // Room for `bytes` bytes (bounded by the policy's header limit). False
  // when the memory cannot be had. Untouched room costs address space only.
  bool Allocate(size_t bytes) {
    Reset();
    if (bytes == 0) bytes = 1;
#if defined(__linux__)
    void* mapped =
        ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mapped == MAP_FAILED) return false;
    data_ = static_cast<char*>(mapped);
    size_ = bytes;
#else
    fallback_.reset(new (std::nothrow) char[bytes]);
    if (!fallback_) return false;
    data_ = fallback_.get();
#endif
    AdviseHugePages(data_, bytes);
    return true;
  }

  char* data() const { return data_; }

  // The first `bytes` are read again later (a stream's identification
  // window): ReleaseBefore never returns them.
  void KeepFront(size_t bytes) { keep_front_ = bytes; }

  // Bytes [0, pos) will not be read again (but for the kept front): returns
  // the whole 2 MiB pages among them to the system (whole huge pages, so
  // none is split). Positions only move forward; a smaller one does nothing.
  void ReleaseBefore(size_t pos) {
#if defined(__linux__)
    if (data_ == nullptr || pos > size_) return;
    constexpr uintptr_t kHuge = uintptr_t{2} << 20;
    const uintptr_t base = reinterpret_cast<uintptr_t>(data_);
    const uintptr_t cut = (base + pos) & ~(kHuge - 1);
    if (hole_begin_ == 0) {
      hole_begin_ = (base + std::min(keep_front_, size_) + kHuge - 1) & ~(kHuge - 1);
    }
    const uintptr_t from = std::max(hole_begin_, hole_end_);
    if (cut <= from) return;
    // A failed unmap leaves the pages mapped: harmless.
    if (::munmap(reinterpret_cast<void*>(from), cut - from) == 0) {
      if (hole_end_ == 0) hole_begin_ = from;
      hole_end_ = cut;
    }
#else
    (void)pos;
#endif
  }

  void Reset() {
#if defined(__linux__)
    if (data_ != nullptr) {
      const uintptr_t base = reinterpret_cast<uintptr_t>(data_);
      const uintptr_t end = base + size_;
      if (hole_end_ == 0) {
        ::munmap(data_, size_);
      } else {
        if (hole_begin_ > base) ::munmap(data_, hole_begin_ - base);
        if (end > hole_end_) ::munmap(reinterpret_cast<void*>(hole_end_), end - hole_end_);
      }
    }
    size_ = 0;
    hole_begin_ = hole_end_ = 0;
#else
    fallback_.reset();
#endif
    data_ = nullptr;
    keep_front_ = 0;
  }

 private:
  char* data_ = nullptr;
  size_t keep_front_ = 0;
#if defined(__linux__)
  size_t size_ = 0;
  // The pages returned so far: [hole_begin_, hole_end_), 0 when none.
  uintptr_t hole_begin_ = 0;
  uintptr_t hole_end_ = 0;
#else
  std::unique_ptr<char[]> fallback_;
#endif
};

}  // namespace stguard::internal

#endif  // STGUARD_SRC_HEADER_BUFFER_H_
