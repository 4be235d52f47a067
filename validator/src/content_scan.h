// Stage 5, only with ValidateOptions::deep_scan: one sequential pass over
// the file. The whole file goes through one SHA-256; the data section is
// also cut into tensors (which tile it) for a SHA-256 per tensor, NaN/Inf
// counts in float tensors and a count of BOOL bytes other than 0 and 1.
// Bytes arrive in chunks of any size, in order: the same code serves a file
// read in chunks and a stream.
#ifndef STGUARD_SRC_CONTENT_SCAN_H_
#define STGUARD_SRC_CONTENT_SCAN_H_

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <cstdint>
#include <mutex>
#include <string_view>
#include <thread>
#include <vector>

#include "byte_source.h"

#include "stguard/dtype.h"
#include "stguard/report.h"

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX

namespace stguard::internal {

// SHA-256 through OpenSSL's EVP interface (SHA-NI / AVX2 code paths).
// Throws std::bad_alloc when OpenSSL cannot allocate its context.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(const uint8_t* bytes, size_t length);
  // Returns the digest and starts over.
  Sha256Digest Finish();

 private:
  evp_md_ctx_st* ctx_;
};

// SHA-256 of zero bytes.
const Sha256Digest& EmptySha256();

// One tensor as the scanner sees it: a range of the data section.
struct ScanTensor {
  std::string_view name;
  Dtype dtype;
  uint64_t begin;  // relative to the data section
  uint64_t end;    // exclusive
};

inline constexpr uint64_t kNoOffset = UINT64_MAX;

struct TensorScan {
  Sha256Digest sha256{};
  uint64_t nan_count = 0;
  uint64_t inf_count = 0;
  uint64_t invalid_bool_count = 0;
  // Data-section offsets of the first NaN/Inf element and of the first bad
  // BOOL byte; kNoOffset when there is none.
  uint64_t first_nonfinite = kNoOffset;
  uint64_t first_invalid_bool = kNoOffset;
};

// Bytes of one element as the NaN/Inf and BOOL checks read it (a C64 is two
// F32 components); 0 when the dtype has nothing to check.
uint32_t ScannedElementBytes(Dtype dtype);

// Counts NaN/Inf (float dtypes) or bad bytes (BOOL) in `count` whole
// elements at `bytes`, the first at data-section offset `data_offset`.
void ScanValues(Dtype dtype, const uint8_t* bytes, size_t count, uint64_t data_offset,
                TensorScan& scan);

// ScanValues compiled for the x86-64 baseline only (SSE2), whatever the CPU:
// ScanValues runs an AVX2 build of the same loops when the CPU has AVX2.
// For tests, which compare the two.
void ScanValuesBaseline(Dtype dtype, const uint8_t* bytes, size_t count, uint64_t data_offset,
                        TensorScan& scan);

// True when `tensors`, in order, tile [0, their last end) without gap or
// overlap and each length is a whole number of scanned elements: the
// condition for a per-tensor pass.
bool CanScan(const std::vector<ScanTensor>& tensors);

class ContentScanner {
 public:
  // `tensors` must satisfy CanScan (checked: otherwise nothing is scanned
  // and complete() stays false). hash = false: values only, every
  // TensorScan::sha256 left zero.
  explicit ContentScanner(std::vector<ScanTensor> tensors, bool hash = true);

  // The next `length` bytes of the data section. Bytes past the last
  // tensor are ignored (the layout rules report them).
  void Consume(const uint8_t* bytes, size_t length);
  // Ends the pass: tensors that end exactly where the consumed bytes end
  // (zero-size ones included) are finished.
  void Finish();

  // True when every tensor was consumed to its end.
  bool complete() const { return usable_ && next_ == tensors_.size(); }
  const std::vector<ScanTensor>& tensors() const { return tensors_; }
  const std::vector<TensorScan>& results() const { return results_; }

 private:
  void FinishReadyTensors();
  void ScanPiece(const uint8_t* bytes, size_t length);

  std::vector<ScanTensor> tensors_;
  std::vector<TensorScan> results_;
  bool usable_;
  bool hash_;
  size_t next_ = 0;       // the tensor bytes go to
  uint64_t position_ = 0;  // data-section offset of the next byte
  Sha256 tensor_hash_;
  // An element split across two Consume calls waits here.
  uint8_t carry_[8];
  uint32_t carry_length_ = 0;
};

// The whole-file SHA-256, computed on a second thread while the caller
// scans the same chunk's tensors: the two hashes of every byte then cost
// about one hash of wall time on two cores. Small inputs are hashed inline.
class FileHasher {
 public:
  FileHasher() = default;
  ~FileHasher();
  FileHasher(const FileHasher&) = delete;
  FileHasher& operator=(const FileHasher&) = delete;

  // Hashes `bytes`, possibly in the background: they must stay valid and
  // unchanged until the next Wait(), Submit() or Finish(). `then`, when
  // set, runs right after on the same thread (ScanSource reads its share
  // of the next chunk there, so the read overlaps the caller's work too).
  void Submit(const uint8_t* bytes, size_t length, std::function<void()> then = {});
  void Wait();
  Sha256Digest Finish();

 private:
  static constexpr size_t kBackgroundMinBytes = 1 << 20;
  void Work();

  Sha256 hash_;
  std::thread worker_;
  std::mutex mutex_;
  std::condition_variable changed_;
  const uint8_t* pending_ = nullptr;
  size_t pending_length_ = 0;
  std::function<void()> pending_then_;
  bool busy_ = false;
  bool stop_ = false;
  bool threaded_ = false;
  // pending_ != nullptr and busy_, mirrored for a short spin before
  // sleeping on changed_ (written under mutex_, read without it).
  std::atomic<bool> has_pending_{false};
  std::atomic<bool> is_busy_{false};
};

// Reads the whole of `source` once, in chunks of `chunk_bytes`: every byte
// into the file hash, the bytes from `data_offset` on into `scanner` (when
// not null). False when the source failed to deliver a chunk. hash_file =
// false: no file hash (`file_digest` is left as it is).
bool ScanSource(ByteSource& source, uint64_t data_offset, ContentScanner* scanner,
                size_t chunk_bytes, Sha256Digest& file_digest, bool hash_file = true);

}  // namespace stguard::internal

#endif  // STGUARD_SRC_CONTENT_SCAN_H_
