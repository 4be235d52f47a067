// A file on an HTTP server as a ByteSource: the pipeline asks for the size
// and exact ranges, and each range not already held is one range request.
// Open fetches the first bytes (kFirstFetchBytes: the 8-byte prefix, most
// headers and the identification window in one round trip); a header
// longer than that costs one more request, for exactly the bytes missing.
// Every response must agree on the file's size (and ETag, when given): a
// file that changes between requests is an I/O error, never a verdict.
#ifndef STGUARD_REMOTE_REMOTE_SOURCE_H_
#define STGUARD_REMOTE_REMOTE_SOURCE_H_

#include <cstdint>
#include <mutex>
#include <string>

#include "byte_source.h"
#include "http_client.h"

namespace stguard::remote {

// 64 KiB: the identification window the pipeline reads anyway (foreign
// formats are named from it), and more than the header of a typical
// single-file model (a 7B transformers checkpoint's header is ~30 KB).
inline constexpr uint64_t kFirstFetchBytes = 65536;
// Reads past the bytes held, outside the head, fetch at least this much.
inline constexpr uint64_t kBlockBytes = 65536;

class RemoteSource final : public internal::ByteSource {
 public:
  RemoteSource(HttpClient& client, std::string url) : client_(client), url_(std::move(url)) {}

  // The first request. False with error() set on an I/O error. When the
  // server ignores ranges and gives no Content-Length, the size cannot be
  // known without reading the whole body: needs_stream() is then true (and
  // Open false).
  bool Open(uint64_t first_bytes = kFirstFetchBytes);
  bool needs_stream() const { return needs_stream_; }
  // The server answered with the whole body (200): later reads read it
  // again from the start, stopping once they have their bytes.
  bool ranges_ignored() const { return ranges_ignored_; }

  uint64_t size() const override { return size_; }
  bool ReadAt(uint64_t offset, uint64_t length, char* out) override;
  std::string error() const override;
  bool Unchanged() override;
  // Body bytes received over the network so far, for every request.
  uint64_t fetched() const;

 private:
  // Where fetched bytes go: appended to a string the source keeps, or
  // written to a caller's buffer (which holds the length asked for).
  struct FetchTarget {
    std::string* keep = nullptr;
    char* buffer = nullptr;
    uint64_t written = 0;  // into buffer
    uint64_t size() const { return keep != nullptr ? keep->size() : written; }
    void Reserve(uint64_t bytes) {
      if (keep != nullptr) keep->reserve(static_cast<size_t>(bytes));
    }
    void Append(const char* data, size_t length);
  };
  // Appends bytes [offset, offset + length) (clipped to the size, when
  // known) to `into`.
  bool Fetch(uint64_t offset, uint64_t length, FetchTarget into, bool opening);
  void SetError(std::string error);

  HttpClient& client_;
  std::string url_;
  uint64_t size_ = 0;
  std::string etag_;
  bool needs_stream_ = false;
  bool ranges_ignored_ = false;
  bool changed_ = false;
  std::string head_;  // bytes [0, head_.size())
  uint64_t block_offset_ = 0;
  std::string block_;  // bytes [block_offset_, block_offset_ + block_.size())
  uint64_t fetched_ = 0;
  mutable std::mutex mutex_;  // two threads may read at once (the deep scan's read-ahead)
  std::string error_;
};

}  // namespace stguard::remote

#endif  // STGUARD_REMOTE_REMOTE_SOURCE_H_
