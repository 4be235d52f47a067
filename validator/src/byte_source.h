// Where the bytes come from. The pipeline asks for the size and for exact
// ranges, so a file source reads the 8-byte prefix and the header only.
#ifndef STGUARD_SRC_BYTE_SOURCE_H_
#define STGUARD_SRC_BYTE_SOURCE_H_

#include <cstdint>
#include <cstring>
#include <span>
#include <string>

#include "checked_math.h"

namespace stguard::internal {

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  virtual uint64_t size() const = 0;
  // Reads exactly `length` bytes at `offset` into `out`. Returns false (and
  // sets error()) when that range cannot be read. Two threads may read
  // different ranges at once (the deep scan reads ahead on both).
  virtual bool ReadAt(uint64_t offset, uint64_t length, char* out) = 0;
  virtual std::string error() const { return {}; }
  // True when the bytes are still the ones the source started with (a file
  // checks its size, modification time and identity; bytes in memory
  // cannot change). False sets error(). Checked between the deep scan's
  // chunks and at the end of a file's validation: a report about bytes that
  // changed meanwhile is an I/O error, never a verdict.
  virtual bool Unchanged() { return true; }
  // All bytes, when they are already in memory (no copy needed); nullptr
  // when they must be read with ReadAt.
  virtual const char* Data() const { return nullptr; }
  // With Data(): bytes before `offset` will not be read again, but for the
  // source's identification window (a source may then return their memory).
  virtual void ReleaseBefore(uint64_t offset) { (void)offset; }
};

class MemorySource final : public ByteSource {
 public:
  explicit MemorySource(std::span<const uint8_t> bytes) : bytes_(bytes) {}
  uint64_t size() const override { return bytes_.size(); }
  bool ReadAt(uint64_t offset, uint64_t length, char* out) override {
    const std::optional<uint64_t> end = CheckedAdd(offset, length);
    if (!end || *end > bytes_.size()) return false;
    if (length > 0) std::memcpy(out, bytes_.data() + offset, length);
    return true;
  }
  const char* Data() const override { return reinterpret_cast<const char*>(bytes_.data()); }

 private:
  std::span<const uint8_t> bytes_;
};

}  // namespace stguard::internal

#endif  // STGUARD_SRC_BYTE_SOURCE_H_
