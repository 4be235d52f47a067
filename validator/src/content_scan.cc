#include "content_scan.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstring>
#include <new>
#include <optional>
#include <system_error>

#include "large_input_paths.h"

namespace stguard::internal {

// ---------------------------------------------------------------------------
// SHA-256

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ == nullptr || EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr) != 1) {
    EVP_MD_CTX_free(ctx_);
    throw std::bad_alloc();
  }
}

Sha256::~Sha256() { EVP_MD_CTX_free(ctx_); }

void Sha256::Update(const uint8_t* bytes, size_t length) {
  // EVP_DigestUpdate fails only on a context that was never initialised.
  if (length > 0) EVP_DigestUpdate(ctx_, bytes, length);
}

Sha256Digest Sha256::Finish() {
  Sha256Digest digest{};
  unsigned int length = 0;
  EVP_DigestFinal_ex(ctx_, digest.data(), &length);
  EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr);
  return digest;
}

const Sha256Digest& EmptySha256() {
  // e3b0c442 98fc1c14 9afbf4c8 996fb924 27ae41e4 649b934c a495991b 7852b855
  static constexpr Sha256Digest kEmpty = {
      0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4,
      0xc8, 0x99, 0x6f, 0xb9, 0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b,
      0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55};
  return kEmpty;
}

// ---------------------------------------------------------------------------
// Element classification
//
// Each float format's NaN and Inf encodings, on the bits with the sign
// masked off: NaN is an interval [nan_lo, nan_hi] of those bits (one value
// for the formats with a single NaN), Inf a single value when it exists.

namespace {

template <typename T>
struct FloatClass {
  T mask;     // clears the sign bit (all ones for the unsigned-zero formats)
  T nan_lo;
  T nan_hi;
  bool has_inf;
  T inf;
};

constexpr FloatClass<uint16_t> kF16{0x7fff, 0x7c01, 0x7fff, true, 0x7c00};
constexpr FloatClass<uint16_t> kBF16{0x7fff, 0x7f81, 0x7fff, true, 0x7f80};
constexpr FloatClass<uint32_t> kF32{0x7fffffffu, 0x7f800001u, 0x7fffffffu, true, 0x7f800000u};
constexpr FloatClass<uint64_t> kF64{0x7fffffffffffffffull, 0x7ff0000000000001ull,
                                    0x7fffffffffffffffull, true, 0x7ff0000000000000ull};
constexpr FloatClass<uint8_t> kF8E5M2{0x7f, 0x7d, 0x7f, true, 0x7c};
// E4M3FN: no Inf; S.1111.111 is NaN.
constexpr FloatClass<uint8_t> kF8E4M3{0x7f, 0x7f, 0x7f, false, 0};
// The FNUZ formats: no Inf, no -0; 0x80 is the only NaN.
constexpr FloatClass<uint8_t> kF8Fnuz{0xff, 0x80, 0x80, false, 0};
// E8M0 (an exponent only): 0xff is NaN.
constexpr FloatClass<uint8_t> kF8E8M0{0xff, 0xff, 0xff, false, 0};

// The loops below are inlined into each ScanValues build (baseline and
// AVX2), so each gets the code of its instruction set.
#define STGUARD_SCAN_INLINE [[gnu::always_inline]] inline

template <typename T>
STGUARD_SCAN_INLINE T LoadElement(const uint8_t* p) {
  T value;
  std::memcpy(&value, p, sizeof(T));  // little-endian hosts only (checked in CMake)
  return value;
}

template <typename T>
STGUARD_SCAN_INLINE bool IsNan(T bits, const FloatClass<T>& c) {
  return static_cast<T>((bits & c.mask) - c.nan_lo) <= static_cast<T>(c.nan_hi - c.nan_lo);
}

template <typename T>
STGUARD_SCAN_INLINE bool IsInf(T bits, const FloatClass<T>& c) {
  return c.has_inf && (bits & c.mask) == c.inf;
}

// Counts NaN and Inf elements in `count` elements at `p`. The counting loop
// has no branch so it vectorises; the first offender is searched only in a
// block that has one.
template <typename T>
STGUARD_SCAN_INLINE void CountNonFinite(const uint8_t* p, size_t count, uint64_t data_offset,
                                        const FloatClass<T>& c, TensorScan& scan) {
  constexpr size_t kBlock = 1 << 16;  // elements: 32-bit counters cannot overflow
  for (size_t done = 0; done < count;) {
    const size_t n = std::min(kBlock, count - done);
    const uint8_t* block = p + done * sizeof(T);
    uint32_t nans = 0, infs = 0;
    for (size_t i = 0; i < n; ++i) {
      const T bits = LoadElement<T>(block + i * sizeof(T));
      nans += IsNan(bits, c) ? 1u : 0u;
      infs += IsInf(bits, c) ? 1u : 0u;
    }
    if ((nans | infs) != 0 && scan.first_nonfinite == kNoOffset) {
      for (size_t i = 0; i < n; ++i) {
        const T bits = LoadElement<T>(block + i * sizeof(T));
        if (IsNan(bits, c) || IsInf(bits, c)) {
          scan.first_nonfinite = data_offset + (done + i) * sizeof(T);
          break;
        }
      }
    }
    scan.nan_count += nans;
    scan.inf_count += infs;
    done += n;
  }
}

STGUARD_SCAN_INLINE void CountInvalidBools(const uint8_t* p, size_t count, uint64_t data_offset,
                                           TensorScan& scan) {
  size_t bad = 0;
  for (size_t i = 0; i < count; ++i) bad += p[i] > 1 ? 1 : 0;
  if (bad != 0 && scan.first_invalid_bool == kNoOffset) {
    for (size_t i = 0; i < count; ++i) {
      if (p[i] > 1) {
        scan.first_invalid_bool = data_offset + i;
        break;
      }
    }
  }
  scan.invalid_bool_count += bad;
}

STGUARD_SCAN_INLINE void ScanValuesInline(Dtype dtype, const uint8_t* p, size_t count,
                                          uint64_t data_offset, TensorScan& scan) {
  switch (dtype) {
    case Dtype::kBOOL:
      return CountInvalidBools(p, count, data_offset, scan);
    case Dtype::kF16:
      return CountNonFinite(p, count, data_offset, kF16, scan);
    case Dtype::kBF16:
      return CountNonFinite(p, count, data_offset, kBF16, scan);
    case Dtype::kF32:
    case Dtype::kC64:  // two F32 components per element, counted each
      return CountNonFinite(p, count, data_offset, kF32, scan);
    case Dtype::kF64:
      return CountNonFinite(p, count, data_offset, kF64, scan);
    case Dtype::kF8_E5M2:
      return CountNonFinite(p, count, data_offset, kF8E5M2, scan);
    case Dtype::kF8_E4M3:
      return CountNonFinite(p, count, data_offset, kF8E4M3, scan);
    case Dtype::kF8_E4M3FNUZ:
    case Dtype::kF8_E5M2FNUZ:
      return CountNonFinite(p, count, data_offset, kF8Fnuz, scan);
    case Dtype::kF8_E8M0:
      return CountNonFinite(p, count, data_offset, kF8E8M0, scan);
    default:
      return;  // integers and the 4/6-bit formats: any bit pattern is a value
  }
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
// Twice the vector width of the baseline build, chosen at run time: the
// scan runs beside two SHA-256 streams in a deep scan and sits on the
// critical path of one of its threads.
__attribute__((target("avx2"))) void ScanValuesAvx2(Dtype dtype, const uint8_t* p, size_t count,
                                                  uint64_t data_offset, TensorScan& scan) {
  ScanValuesInline(dtype, p, count, data_offset, scan);
}

bool HasAvx2() {
  static const bool has = __builtin_cpu_supports("avx2");
  return has;
}
#endif

}  // namespace

void ScanValuesBaseline(Dtype dtype, const uint8_t* p, size_t count, uint64_t data_offset,
                        TensorScan& scan) {
  ScanValuesInline(dtype, p, count, data_offset, scan);
}

void ScanValues(Dtype dtype, const uint8_t* p, size_t count, uint64_t data_offset,
                TensorScan& scan) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  if (HasAvx2() && !LargeInputPathsForced()) return ScanValuesAvx2(dtype, p, count, data_offset, scan);
#endif
  ScanValuesInline(dtype, p, count, data_offset, scan);
}

uint32_t ScannedElementBytes(Dtype dtype) {
  switch (dtype) {
    case Dtype::kBOOL:
    case Dtype::kF8_E5M2:
    case Dtype::kF8_E4M3:
    case Dtype::kF8_E4M3FNUZ:
    case Dtype::kF8_E5M2FNUZ:
    case Dtype::kF8_E8M0:
      return 1;
    case Dtype::kF16:
    case Dtype::kBF16:
      return 2;
    case Dtype::kF32:
    case Dtype::kC64:
      return 4;
    case Dtype::kF64:
      return 8;
    default:
      return 0;
  }
}

bool CanScan(const std::vector<ScanTensor>& tensors) {
  uint64_t covered_excl = 0;
  for (const ScanTensor& t : tensors) {
    if (t.begin != covered_excl || t.end < t.begin) return false;
    const uint32_t element = ScannedElementBytes(t.dtype);
    if (element > 1 && (t.end - t.begin) % element != 0) return false;
    covered_excl = t.end;
  }
  return true;
}

// ---------------------------------------------------------------------------
// ContentScanner

ContentScanner::ContentScanner(std::vector<ScanTensor> tensors, bool hash)
    : tensors_(std::move(tensors)), usable_(CanScan(tensors_)), hash_(hash) {
  if (usable_) results_.resize(tensors_.size());
}

void ContentScanner::FinishReadyTensors() {
  while (next_ < tensors_.size() && tensors_[next_].end == position_) {
    const ScanTensor& t = tensors_[next_];
    if (hash_) results_[next_].sha256 = t.begin == t.end ? EmptySha256() : tensor_hash_.Finish();
    // CanScan guarantees whole elements: nothing can be left over.
    carry_length_ = 0;
    ++next_;
  }
}

void ContentScanner::ScanPiece(const uint8_t* bytes, size_t length) {
  const ScanTensor& t = tensors_[next_];
  TensorScan& scan = results_[next_];
  const uint32_t element = ScannedElementBytes(t.dtype);
  if (element == 0) return;
  uint64_t at = position_;
  if (carry_length_ > 0) {
    const size_t take = std::min<size_t>(element - carry_length_, length);
    std::memcpy(carry_ + carry_length_, bytes, take);
    carry_length_ += static_cast<uint32_t>(take);
    bytes += take;
    length -= take;
    at += take;
    if (carry_length_ < element) return;
    ScanValues(t.dtype, carry_, 1, at - element, scan);
    carry_length_ = 0;
  }
  const size_t whole = length / element * element;
  ScanValues(t.dtype, bytes, whole / element, at, scan);
  carry_length_ = static_cast<uint32_t>(length - whole);
  std::memcpy(carry_, bytes + whole, carry_length_);
}

// Bytes hashed and then scanned in one step: well inside a core's L2.
constexpr size_t kCachePiece = 128 * 1024;

void ContentScanner::Consume(const uint8_t* bytes, size_t length) {
  if (!usable_) return;
  while (length > 0) {
    FinishReadyTensors();
    if (next_ == tensors_.size()) return;  // past the last tensor
    // At most kCachePiece at a time: the value scan then reads bytes the
    // hash has just brought into the core's cache instead of memory.
    const uint64_t take = std::min<uint64_t>(std::min<uint64_t>(length, kCachePiece),
                                             tensors_[next_].end - position_);
    if (hash_) tensor_hash_.Update(bytes, take);
    ScanPiece(bytes, take);
    position_ += take;
    bytes += take;
    length -= take;
  }
  FinishReadyTensors();
}

void ContentScanner::Finish() {
  if (usable_) FinishReadyTensors();
}

// ---------------------------------------------------------------------------
// FileHasher

FileHasher::~FileHasher() {
  if (!threaded_) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  worker_.join();
}

namespace {

// Spins (a few hundred microseconds at most) until `done()`. Both threads
// of a deep scan are busy and hand over every chunk; sleeping on a
// condition variable and being woken costs tens of microseconds per
// hand-over on a virtual machine, 256 times per GiB. Callers still wait on
// the condition variable afterwards, so the spin only saves time.
template <typename Done>
void SpinUntil(Done done) {
  constexpr int kSpins = 20000;
  for (int i = 0; i < kSpins && !done(); ++i) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }
}

}  // namespace

void FileHasher::Work() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    if (!stop_ && pending_ == nullptr) {
      lock.unlock();
      SpinUntil([this] { return has_pending_.load(std::memory_order_acquire); });
      lock.lock();
    }
    changed_.wait(lock, [this] { return stop_ || pending_ != nullptr; });
    if (pending_ == nullptr) return;  // stopping, nothing left
    const uint8_t* bytes = pending_;
    const size_t length = pending_length_;
    std::function<void()> then = std::move(pending_then_);
    lock.unlock();
    hash_.Update(bytes, length);
    if (then) then();
    lock.lock();
    pending_ = nullptr;
    busy_ = false;
    has_pending_.store(false, std::memory_order_relaxed);
    is_busy_.store(false, std::memory_order_release);
    changed_.notify_all();
  }
}

void FileHasher::Submit(const uint8_t* bytes, size_t length, std::function<void()> then) {
  Wait();
  if (!threaded_ && (length >= kBackgroundMinBytes || LargeInputPathsForced())) {
    try {
      worker_ = std::thread([this] { Work(); });
      threaded_ = true;
    } catch (const std::system_error&) {
      // No thread to be had: hash inline, the result is the same.
    }
  }
  if (!threaded_) {
    hash_.Update(bytes, length);
    if (then) then();
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    pending_ = bytes;
    pending_length_ = length;
    pending_then_ = std::move(then);
    busy_ = true;
    is_busy_.store(true, std::memory_order_relaxed);
    has_pending_.store(true, std::memory_order_release);
  }
  changed_.notify_all();
}

void FileHasher::Wait() {
  if (!threaded_) return;
  SpinUntil([this] { return !is_busy_.load(std::memory_order_acquire); });
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [this] { return !busy_; });
}

Sha256Digest FileHasher::Finish() {
  Wait();
  return hash_.Finish();
}

namespace {

// The next chunk, read in pieces by whichever thread is free first: the
// file-hash thread once it has hashed the current chunk, the calling thread
// once it has hashed and scanned the current chunk's tensors. Which thread
// reads which piece does not matter; both are done before the chunk is used.
class ChunkReadAhead {
 public:
  ChunkReadAhead(ByteSource& source, uint64_t offset, size_t length, uint8_t* buffer)
      : source_(source), offset_(offset), length_(length), buffer_(buffer),
        pieces_((length + kPieceBytes - 1) / kPieceBytes) {}

  void ReadSome() {
    for (size_t k = next_.fetch_add(1, std::memory_order_relaxed); k < pieces_;
         k = next_.fetch_add(1, std::memory_order_relaxed)) {
      const size_t at = k * kPieceBytes;
      const size_t length = std::min(kPieceBytes, length_ - at);
      if (!source_.ReadAt(offset_ + at, length, reinterpret_cast<char*>(buffer_ + at))) {
        failed_.store(true, std::memory_order_relaxed);
      }
    }
  }
  bool failed() const { return failed_.load(std::memory_order_relaxed); }

 private:
  static constexpr size_t kPieceBytes = 512 * 1024;
  ByteSource& source_;
  uint64_t offset_;
  size_t length_;
  uint8_t* buffer_;
  size_t pieces_;
  std::atomic<size_t> next_{0};
  std::atomic<bool> failed_{false};
};

}  // namespace

bool ScanSource(ByteSource& source, uint64_t data_offset, ContentScanner* scanner,
                size_t chunk_bytes, Sha256Digest& file_digest, bool hash_file) {
  const uint64_t size = source.size();
  chunk_bytes = std::max<size_t>(chunk_bytes, 1);
  // Bytes already in memory are used in place. A file is read into two
  // buffers of at most chunk_bytes, in turn: the next chunk is read while
  // the current one is hashed and scanned (see ChunkReadAhead).
  const uint8_t* in_memory = reinterpret_cast<const uint8_t*>(source.Data());
  std::vector<uint8_t> buffers[2];
  if (in_memory == nullptr && size > 0) {
    const size_t buffer_bytes = static_cast<size_t>(std::min<uint64_t>(size, chunk_bytes));
    buffers[0].resize(buffer_bytes);
    if (size > chunk_bytes) buffers[1].resize(buffer_bytes);
  }
  FileHasher file_hash;
  int current = 0;
  const uint8_t* chunk = in_memory;
  if (in_memory == nullptr && size > 0) {
    const size_t first = static_cast<size_t>(std::min<uint64_t>(size, chunk_bytes));
    if (!source.ReadAt(0, first, reinterpret_cast<char*>(buffers[0].data()))) return false;
    chunk = buffers[0].data();
  }
  for (uint64_t offset = 0; offset < size;) {
    const size_t length = static_cast<size_t>(std::min<uint64_t>(size - offset, chunk_bytes));
    const uint64_t chunk_end = offset + length;
    const uint8_t* next = nullptr;
    std::optional<ChunkReadAhead> read_ahead;
    if (chunk_end < size) {
      if (in_memory != nullptr) {
        next = in_memory + chunk_end;
      } else {
        const size_t next_length =
            static_cast<size_t>(std::min<uint64_t>(size - chunk_end, chunk_bytes));
        read_ahead.emplace(source, chunk_end, next_length, buffers[1 - current].data());
        next = buffers[1 - current].data();
      }
    }
    if (hash_file) {
      std::function<void()> then;
      if (read_ahead) then = [&read_ahead] { read_ahead->ReadSome(); };
      file_hash.Submit(chunk, length, std::move(then));
    }
    if (scanner != nullptr && chunk_end > data_offset) {
      const uint64_t skip = offset < data_offset ? data_offset - offset : 0;
      scanner->Consume(chunk + skip, length - static_cast<size_t>(skip));
    }
    if (read_ahead) read_ahead->ReadSome();
    file_hash.Wait();
    if (read_ahead && read_ahead->failed()) return false;
    // A file that grows, shrinks or is rewritten under the scan is caught
    // here, before more of it is read for nothing.
    if (!source.Unchanged()) return false;
    current = 1 - current;
    chunk = next;
    offset = chunk_end;
  }
  if (scanner != nullptr) scanner->Finish();
  if (hash_file) file_digest = file_hash.Finish();
  return true;
}

}  // namespace stguard::internal
