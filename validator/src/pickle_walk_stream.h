// StreamReader: the bounded, forward reader the pickle walker (pickle_walk.h)
// and model-file grading (model_file.cc) read through. Header-only for the
// same reason as pickle_walk.h.
#ifndef STGUARD_SRC_PICKLE_WALK_STREAM_H_
#define STGUARD_SRC_PICKLE_WALK_STREAM_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "byte_source.h"
#include "checked_math.h"

namespace stguard::internal {

// ---------------------------------------------------------------------------
// StreamReader: a range of a ByteSource, read forward in pieces of at most
// kChunkBytes (or in place when the source is in memory), so memory never
// follows a size read from the file.
//
// [begin, readable_end) may be read; the stream itself runs to stream_end
// (>= readable_end). Running into readable_end before stream_end is "cut"
// (a window shorter than its stream: the bytes go on, unseen); running into
// stream_end is "past the end" (the stream really ends there).

class StreamReader {
 public:
  enum class Status : uint8_t { kOk, kCut, kPastEnd, kIoError };
  static constexpr size_t kChunkBytes = 64 * 1024;

  StreamReader(ByteSource& source, uint64_t begin, uint64_t readable_end, uint64_t stream_end)
      : source_(source),
        data_(source.Data()),
        pos_(begin),
        readable_end_(std::min(readable_end, source.size())),
        stream_end_(std::max(stream_end, readable_end_)) {
    pos_ = std::min(pos_, readable_end_);
  }
  StreamReader(const StreamReader&) = delete;
  StreamReader& operator=(const StreamReader&) = delete;

  uint64_t pos() const { return pos_; }
  uint64_t readable_end() const { return readable_end_; }
  uint64_t stream_end() const { return stream_end_; }
  uint64_t remaining_in_stream() const { return stream_end_ - pos_; }
  // Why the last failed read failed.
  Status status() const { return status_; }
  // Bytes fetched from a source that is not in memory (a test counts them).
  uint64_t bytes_fetched() const { return bytes_fetched_; }

  bool Byte(uint8_t& out) {
    if (!Ensure()) return false;
    out = static_cast<uint8_t>(window_[pos_ - window_begin_]);
    ++pos_;
    return true;
  }

  // Unsigned little-endian integer of `width` bytes (1 to 8). On failure the
  // position is where the integer started.
  bool Le(size_t width, uint64_t& out) {
    const uint64_t start = pos_;
    uint64_t value = 0;
    for (size_t i = 0; i < width; ++i) {
      uint8_t byte = 0;
      if (!Byte(byte)) {
        pos_ = start;
        return false;
      }
      value |= uint64_t{byte} << (8 * i);
    }
    out = value;
    return true;
  }

  // The next `n` bytes (a bounded size the caller chose), into `out`.
  bool Read(size_t n, std::string& out) {
    out.clear();
    if (n > stream_end_ - pos_) return Fail(Status::kPastEnd);
    if (n > readable_end_ - pos_) return Fail(Status::kCut);
    while (out.size() < n) {
      if (!Ensure()) return false;
      const size_t offset = static_cast<size_t>(pos_ - window_begin_);
      const size_t piece = std::min(n - out.size(), window_size_ - offset);
      out.append(window_ + offset, piece);
      pos_ += piece;
    }
    return true;
  }

  // Moves past `n` bytes without reading them.
  bool Skip(uint64_t n) {
    if (n > stream_end_ - pos_) return Fail(Status::kPastEnd);
    if (n > readable_end_ - pos_) return Fail(Status::kCut);
    pos_ += n;
    return true;
  }

  // The bytes up to the next '\n' (consumed, not passed on), handed to
  // `visit(std::string_view piece)` in one or more pieces.
  template <typename Visit>
  bool Line(Visit&& visit) {
    for (;;) {
      if (!Ensure()) return false;
      const size_t offset = static_cast<size_t>(pos_ - window_begin_);
      const std::string_view piece(window_ + offset, window_size_ - offset);
      const size_t newline = piece.find('\n');
      if (newline != std::string_view::npos) {
        visit(piece.substr(0, newline));
        pos_ += newline + 1;
        return true;
      }
      visit(piece);
      pos_ += piece.size();
    }
  }

  // Up to `length` bytes at `offset` (already walked: inside the readable
  // range), into `out`. Used to read back a str STACK_GLOBAL names.
  bool ReadBack(uint64_t offset, size_t length, std::string& out) {
    out.clear();
    const std::optional<uint64_t> end = CheckedAdd(offset, length);
    if (!end || *end > readable_end_) return Fail(Status::kPastEnd);
    if (data_ != nullptr) {
      out.assign(data_ + offset, length);
      return true;
    }
    if (offset >= window_begin_ && *end <= window_begin_ + window_size_) {
      out.assign(window_ + (offset - window_begin_), length);
      return true;
    }
    out.resize(length);
    if (length != 0 && !source_.ReadAt(offset, length, out.data())) return Fail(Status::kIoError);
    bytes_fetched_ += length;
    return true;
  }

 private:
  bool Fail(Status status) {
    status_ = status;
    return false;
  }

  // The window holds pos_ (at least one byte).
  bool Ensure() {
    if (pos_ >= window_begin_ && pos_ - window_begin_ < window_size_) return true;
    if (pos_ >= readable_end_) {
      return Fail(readable_end_ < stream_end_ ? Status::kCut : Status::kPastEnd);
    }
    if (data_ != nullptr) {
      window_ = data_ + pos_;
      window_begin_ = pos_;
      window_size_ = static_cast<size_t>(readable_end_ - pos_);
      return true;
    }
    const auto length =
        static_cast<size_t>(std::min<uint64_t>(kChunkBytes, readable_end_ - pos_));
    buffer_.resize(kChunkBytes);
    if (!source_.ReadAt(pos_, length, buffer_.data())) return Fail(Status::kIoError);
    bytes_fetched_ += length;
    window_ = buffer_.data();
    window_begin_ = pos_;
    window_size_ = length;
    return true;
  }

  ByteSource& source_;
  const char* data_;  // the whole source, when it is in memory
  uint64_t pos_;
  uint64_t readable_end_;
  uint64_t stream_end_;
  Status status_ = Status::kOk;
  std::vector<char> buffer_;  // one chunk, for sources read with ReadAt
  const char* window_ = nullptr;
  uint64_t window_begin_ = 0;
  size_t window_size_ = 0;
  uint64_t bytes_fetched_ = 0;
};

}  // namespace stguard::internal

#endif  // STGUARD_SRC_PICKLE_WALK_STREAM_H_
