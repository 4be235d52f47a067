// ValidateStream: the pipeline over bytes that arrive once, in order (a
// pipe, a socket, an upload). The stream keeps only its first bytes (the
// prefix, the header, the identification window); the data section passes
// through a fixed buffer, hashed and scanned on the way when a deep scan is
// asked for, and counted. At the end the usual pipeline runs over what was
// kept and the total size, so the report is the one the same bytes give as
// a file.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "byte_source.h"
#include "checked_math.h"
#include "content_scan.h"
#include "format_identify.h"
#include "header_buffer.h"
#include "pipeline.h"
#include "tensor_table.h"
#include "stguard/validate.h"

namespace stguard {
namespace {

constexpr uint64_t kPrefixBytes = 8;
constexpr size_t kStreamBufferBytes = 1 << 20;

// The bytes the stream kept (a prefix of it: the 8-byte prefix, the header
// and at least the identification window), in a buffer mapped for the size
// the prefix claims (address space only: memory follows the bytes that
// arrive), and the stream's total size. Reading outside the kept bytes
// fails: the pipeline never asks for them when the stream did the deep
// scan itself. The header is used in place and its pages returned as the
// pipeline reads past them, so a 100 MB header is never held twice.
class Retained {
 public:
  bool Allocate(uint64_t capacity) {
    capacity_ = capacity;
    if (!buffer_.Allocate(static_cast<size_t>(capacity))) return false;
    buffer_.KeepFront(internal::kIdentifyWindowBytes);
    return true;
  }
  char* data() const { return buffer_.data(); }
  uint64_t size() const { return size_; }
  uint64_t capacity() const { return capacity_; }
  void Grow(uint64_t bytes) { size_ += bytes; }
  void ReleaseBefore(uint64_t offset) { buffer_.ReleaseBefore(static_cast<size_t>(offset)); }

 private:
  internal::HeaderBuffer buffer_;
  uint64_t size_ = 0;
  uint64_t capacity_ = 0;
};

class RetainedSource final : public internal::ByteSource {
 public:
  RetainedSource(Retained& kept, uint64_t total_size) : kept_(kept), total_size_(total_size) {}
  uint64_t size() const override { return total_size_; }
  bool ReadAt(uint64_t offset, uint64_t length, char* out) override {
    const std::optional<uint64_t> end = internal::CheckedAdd(offset, length);
    if (!end || *end > kept_.size()) return false;
    if (length > 0) std::memcpy(out, kept_.data() + offset, length);
    return true;
  }
  std::string error() const override { return "stream bytes were not kept"; }
  const char* Data() const override { return kept_.data(); }
  void ReleaseBefore(uint64_t offset) override { kept_.ReleaseBefore(offset); }

 private:
  Retained& kept_;
  uint64_t total_size_;
};

class StreamReader {
 public:
  explicit StreamReader(const ReadFunction& read) : read_(read) {}

  // Up to `capacity` bytes; 0 at the end of the stream or after an error.
  size_t Read(char* out, size_t capacity) {
    if (done_) return 0;
    const int64_t got = read_(out, capacity);
    if (got <= 0 || static_cast<uint64_t>(got) > capacity) {
      failed_ = got != 0;
      done_ = true;
      return 0;
    }
    total_ += static_cast<uint64_t>(got);
    return static_cast<size_t>(got);
  }

  // Reads into `kept` until it holds `want` bytes (at most its capacity)
  // or the stream ends.
  void FillTo(Retained& kept, uint64_t want) {
    want = std::min(want, kept.capacity());
    while (kept.size() < want && !done_) {
      const size_t piece =
          static_cast<size_t>(std::min<uint64_t>(want - kept.size(), kStreamBufferBytes));
      kept.Grow(Read(kept.data() + kept.size(), piece));
    }
  }

  bool failed() const { return failed_; }
  uint64_t total() const { return total_; }

 private:
  const ReadFunction& read_;
  uint64_t total_ = 0;
  bool done_ = false;
  bool failed_ = false;
};

uint64_t ReadLittleEndian64(const char* p) {
  uint64_t value = 0;
  for (int i = 7; i >= 0; --i) value = (value << 8) | static_cast<unsigned char>(p[i]);
  return value;
}

// The tensors of a complete header, in data order, as the pipeline will see
// them: parsed once here so the data can be scanned as it streams past.
// Names are left out (the pipeline supplies them from its own parse).
std::optional<std::vector<internal::ScanTensor>> PlanFromHeader(const Retained& kept,
                                                                uint64_t header_end,
                                                                const Policy& policy,
                                                                const ValidateOptions& options) {
  ValidateOptions parse_options = options;
  parse_options.collect_tensors = false;
  parse_options.deep_scan = false;
  // Read off the table while it is alive: no copy of the names or shapes.
  std::optional<std::vector<internal::ScanTensor>> plan;
  const internal::TableVisitor visit = [&](const internal::TensorTable& table) {
    std::vector<internal::ScanTensor> tensors;
    tensors.reserve(table.tensors.size());
    for (const internal::TensorEntry& t : table.tensors) {
      tensors.push_back({std::string_view(), t.dtype, t.begin, t.end});
    }
    if (internal::CanScan(tensors)) plan = std::move(tensors);
  };
  internal::MemorySource header(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(kept.data()), header_end));
  Report parsed;
  internal::ValidateSource(header, policy, parse_options, nullptr, parsed, &visit);
  return plan;
}

}  // namespace

FileReport ValidateStream(const ReadFunction& read, const Policy& policy,
                          const ValidateOptions& options) {
  FileReport result;
  try {
    StreamReader reader(read);
    // The prefix, then the header unless its length is already over the
    // limit (the pipeline stops at the prefix then), and at least the
    // window a foreign file is identified from.
    char prefix[kPrefixBytes];
    size_t prefix_size = 0;
    while (prefix_size < kPrefixBytes) {
      const size_t got = reader.Read(prefix + prefix_size, kPrefixBytes - prefix_size);
      if (got == 0) break;
      prefix_size += got;
    }
    uint64_t header_end = kPrefixBytes;
    const bool has_prefix = prefix_size == kPrefixBytes;
    const uint64_t header_size = has_prefix ? ReadLittleEndian64(prefix) : 0;
    const bool within_limit = has_prefix && header_size <= policy.max_header_bytes;
    if (within_limit) header_end += header_size;
    Retained kept;
    if (!kept.Allocate(std::max<uint64_t>(header_end, internal::kIdentifyWindowBytes))) {
      result.io_error = "out of memory";
      return result;
    }
    std::memcpy(kept.data(), prefix, prefix_size);
    kept.Grow(prefix_size);
    if (has_prefix) {
      reader.FillTo(kept, std::max<uint64_t>(header_end, internal::kIdentifyWindowBytes));
    }
    const bool header_complete = within_limit && kept.size() >= header_end;

    std::optional<internal::ContentScanner> scanner;
    internal::FileHasher file_hash;
    if (options.deep_scan) {
      if (header_complete) {
        std::optional<std::vector<internal::ScanTensor>> plan =
            PlanFromHeader(kept, header_end, policy, options);
        if (plan) scanner.emplace(std::move(*plan), options.hash_content);
      }
      if (options.hash_content) {
        file_hash.Submit(reinterpret_cast<const uint8_t*>(kept.data()), kept.size());
      }
      if (scanner && kept.size() > header_end) {
        scanner->Consume(reinterpret_cast<const uint8_t*>(kept.data()) + header_end,
                         kept.size() - header_end);
      }
      file_hash.Wait();
    }
    // The rest streams through one buffer.
    std::vector<char> buffer(kStreamBufferBytes);
    for (;;) {
      const size_t got = reader.Read(buffer.data(), buffer.size());
      if (got == 0) break;
      if (!options.deep_scan) continue;
      const auto* bytes = reinterpret_cast<const uint8_t*>(buffer.data());
      if (options.hash_content) file_hash.Submit(bytes, got);
      if (scanner) scanner->Consume(bytes, got);
      file_hash.Wait();
    }
    if (reader.failed()) {
      result.io_error = "read error";
      return result;
    }

    internal::StreamedContent streamed{nullptr, {}};
    if (options.deep_scan) {
      if (scanner) {
        scanner->Finish();
        streamed.scanner = &*scanner;
      }
      streamed.file_sha256 = file_hash.Finish();
    }
    RetainedSource source(kept, reader.total());
    if (!internal::ValidateSource(source, policy, options, options.deep_scan ? &streamed : nullptr,
                                  result.report)) {
      result.io_error = source.error();
      return result;
    }
    result.io_ok = true;
  } catch (...) {
    result = FileReport{};
    result.io_error = "out of memory";
  }
  return result;
}

FileReport ValidateFd(int fd, const Policy& policy, const ValidateOptions& options) {
  int read_errno = 0;
  const ReadFunction read = [fd, &read_errno](char* out, size_t capacity) -> int64_t {
    for (;;) {
      const ssize_t got = ::read(fd, out, capacity);
      if (got >= 0) return got;
      if (errno == EINTR) continue;
      read_errno = errno;
      return -1;
    }
  };
  FileReport result = ValidateStream(read, policy, options);
  if (!result.io_ok && read_errno != 0) result.io_error = std::strerror(read_errno);
  return result;
}

}  // namespace stguard
