// The copy of a file's header (up to 100,000,000 bytes). It is read once,
// scanned, then consumed front to back by the batches of members; what a
// batch has consumed is never read again. A header of millions of small
// members that take the batch path (e.g. `"a":["U8",[0],[0,0]]`, 4.2 million
// of them in 100 MB) would otherwise stay resident, whole, beside the table
// built from it, and set the peak. So the buffer is mapped directly rather
// than taken from malloc, and ReleaseBefore unmaps the pages behind the
// batches as they go: a stray read of them faults instead of reading stale
// or zeroed bytes.
#ifndef STGUARD_SRC_HEADER_BUFFER_H_
#define STGUARD_SRC_HEADER_BUFFER_H_

#include <cstddef>
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
  // when the memory cannot be had.
  bool Allocate(size_t bytes) {
    Reset();
    if (bytes == 0) bytes = 1;
#if defined(__linux__)
    void* mapped =
        ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mapped == MAP_FAILED) return false;
    data_ = static_cast<char*>(mapped);
    mapped_begin_ = data_;
    mapped_bytes_ = bytes;
#else
    fallback_.reset(new (std::nothrow) char[bytes]);
    if (!fallback_) return false;
    data_ = fallback_.get();
#endif
    AdviseHugePages(data_, bytes);
    return true;
  }

  char* data() const { return data_; }

  // Bytes [0, pos) will not be read again: returns the whole 2 MiB pages
  // among them to the system (whole huge pages, so none is split).
  // Positions only move forward; a smaller one does nothing.
  void ReleaseBefore(size_t pos) {
#if defined(__linux__)
    if (data_ == nullptr) return;
    constexpr uintptr_t kHuge = uintptr_t{2} << 20;
    const uintptr_t begin = reinterpret_cast<uintptr_t>(mapped_begin_);
    const uintptr_t end = begin + mapped_bytes_;
    // pos <= the buffer's size, so data_ + pos cannot wrap.
    const uintptr_t cut = (reinterpret_cast<uintptr_t>(data_) + pos) & ~(kHuge - 1);
    if (cut <= begin || cut > end) return;
    if (::munmap(mapped_begin_, cut - begin) != 0) return;  // then it stays mapped: harmless
    mapped_bytes_ = end - cut;
    mapped_begin_ = reinterpret_cast<char*>(cut);
#else
    (void)pos;
#endif
  }

  void Reset() {
#if defined(__linux__)
    if (mapped_bytes_ != 0) ::munmap(mapped_begin_, mapped_bytes_);
    mapped_begin_ = nullptr;
    mapped_bytes_ = 0;
#else
    fallback_.reset();
#endif
    data_ = nullptr;
  }

 private:
  char* data_ = nullptr;
#if defined(__linux__)
  // What is still mapped: from the first page not yet released.
  char* mapped_begin_ = nullptr;
  size_t mapped_bytes_ = 0;
#else
  std::unique_ptr<char[]> fallback_;
#endif
};

}  // namespace stguard::internal

#endif  // STGUARD_SRC_HEADER_BUFFER_H_
