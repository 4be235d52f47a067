#include "tensor_names.h"

#include <algorithm>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace stguard::internal {
namespace {

constexpr uint64_t kOnes = 0x0101010101010101ull;
constexpr uint64_t kHighs = 0x8080808080808080ull;
constexpr uint64_t kLows = 0x7F7F7F7F7F7F7F7Full;

uint64_t Load8(const char* p) {
  uint64_t word;
  std::memcpy(&word, p, 8);  // little-endian: byte k of p is byte k of the word
  return word;
}

// Bit 7 of byte k set exactly when byte k of `word` is `c` (no borrows
// between bytes).
uint64_t ExactBytesEqual(uint64_t word, unsigned char c) {
  const uint64_t x = word ^ (kOnes * c);
  return ~(((x & kLows) + kLows) | x) & kHighs;
}

// False when `text` has no byte below 0x20, no 0x7F and no 0xC2: then it
// holds no control character (HasControlChar's answer is false too).
bool MayHoldControlChar(std::string_view text) {
  const char* p = text.data();
  const size_t n = text.size();
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const uint64_t word = Load8(p + i);
    // (b - 0x20) borrows into bit 7 only for b < 0x20 (b >= 0x80 is
    // masked by ~word); with no such byte there is no borrow at all.
    const uint64_t below_space = (word - kOnes * 0x20) & ~word & kHighs;
    if ((below_space | ExactBytesEqual(word, 0x7F) | ExactBytesEqual(word, 0xC2)) != 0) {
      return true;
    }
  }
  for (; i < n; ++i) {
    const auto c = static_cast<unsigned char>(p[i]);
    if (c < 0x20 || c == 0x7F || c == 0xC2) return true;
  }
  return false;
}

}  // namespace

// C0 controls, DEL and C1 controls (U+0080..U+009F, which some terminals
// obey as escape sequences).
bool HasControlChar(std::string_view text, bool allow_tab_cr_lf) {
  if (!MayHoldControlChar(text)) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20) {
      if (allow_tab_cr_lf && (c == '\t' || c == '\n' || c == '\r')) continue;
      return true;
    }
    if (c == 0x7F) return true;
    if (c == 0xC2 && i + 1 < text.size()) {
      const auto next = static_cast<unsigned char>(text[i + 1]);
      if (next >= 0x80 && next <= 0x9F) return true;
    }
  }
  return false;
}

bool IsPathLike(std::string_view name) {
  if (name.empty()) return false;
  if (name.front() == '/' || name.find('\\') != std::string_view::npos) return true;
  // A ".." component: "..", "../x", "x/..", "x/../y".
  size_t start = 0;
  while (start <= name.size()) {
    size_t slash = name.find('/', start);
    if (slash == std::string_view::npos) slash = name.size();
    if (name.substr(start, slash - start) == "..") return true;
    start = slash + 1;
  }
  return false;
}

// Renders decoded text for a message: short, with control characters and
// quotes escaped so the message stays one line, and cut at a character
// boundary so the message stays valid UTF-8.
std::string Quote(std::string_view text) {
  constexpr size_t kMax = 64;
  size_t end = std::min(text.size(), kMax);
  while (end < text.size() && end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) {
    --end;
  }
  std::string out;
  out.reserve(end + 5);  // grows only for escapes
  out += '"';
  for (size_t i = 0; i < end; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7F || c == '"' || c == '\\') {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (end < text.size()) out += "...";
  out += "\"";
  return out;
}

// FNV-1a, 64-bit: deterministic across runs and machines.
uint64_t HashName(std::string_view name) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (const char c : name) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ull;
  }
  return hash;
}

NameScan ScanName(std::string_view name) {
  constexpr uint64_t kMul = 0x9E3779B97F4A7C15ull;
  const char* p = name.data();
  const size_t n = name.size();
  uint64_t a = n * kMul;
  uint64_t b = ~n * kMul;
  uint32_t suspicious = 0;
  uint32_t dot_carry = 0;  // bit 0: the byte before the chunk is a '.'
  // A chunk of 16 bytes (lo, then hi), of which the bytes whose bit is set
  // in `valid` are the name's. Chunks may overlap (each pair of adjacent
  // name bytes lies in some chunk, so ".." is seen).
  const auto chunk = [&](uint64_t lo, uint64_t hi, uint32_t valid) {
    // A product's low bits depend only on its factors' low bits: without
    // the shift a difference in a word's top byte (the last digit of
    // "layers.104." in a 16-byte chunk) stayed in the top byte across
    // chunks, and 100,000 real names had 23,880 collisions. Multiply and
    // xorshift are each a bijection.
    a = (a ^ lo) * kMul;
    a ^= a >> 29;
    b = (b ^ hi) * kMul;
    b ^= b >> 29;
    uint32_t odd, dots;
#if defined(__SSE2__)
    const __m128i v = _mm_set_epi64x(static_cast<long long>(hi), static_cast<long long>(lo));
    // Signed: bytes from 0x80 compare below 0x20 too.
    const __m128i odd_bytes =
        _mm_or_si128(_mm_or_si128(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)),
                                  _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7F))),
                     _mm_cmpeq_epi8(v, _mm_set1_epi8('\\')));
    odd = static_cast<uint32_t>(_mm_movemask_epi8(odd_bytes));
    dots = static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('.'))));
#else
    odd = 0;
    dots = 0;
    for (int k = 0; k < 16; ++k) {
      const auto c = static_cast<unsigned char>((k < 8 ? lo : hi) >> (8 * (k % 8)));
      if (c < 0x20 || c > 0x7E || c == '\\') odd |= 1u << k;
      if (c == '.') dots |= 1u << k;
    }
#endif
    odd &= valid;
    dots &= valid;
    suspicious |= odd | (dots & ((dots << 1) | dot_carry));
    dot_carry = dots >> 15;
  };
  if (n >= 16) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) chunk(Load8(p + i), Load8(p + i + 8), 0xFFFF);
    if (i < n) {
      dot_carry = 0;  // pairs across its start lie in the chunk before
      chunk(Load8(p + n - 16), Load8(p + n - 8), 0xFFFF);
    }
  } else if (n >= 8) {
    chunk(Load8(p), Load8(p + n - 8), 0xFFFF);  // overlapping halves
  } else if (n >= 4) {
    uint32_t first, last;
    std::memcpy(&first, p, 4);
    std::memcpy(&last, p + n - 4, 4);
    chunk(first | uint64_t{last} << 32, 0, 0xFF);
  } else {
    uint64_t word = 0;
    for (size_t k = 0; k < n; ++k) word |= uint64_t{static_cast<unsigned char>(p[k])} << (8 * k);
    chunk(word, 0, (1u << n) - 1);
  }
  // Each lane is a bijection of the name's words (for a given length);
  // splitmix64's finalizer mixes them into one hash.
  const auto mix = [](uint64_t h) {
    h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9ull;
    h = (h ^ (h >> 27)) * 0x94D049BB133111EBull;
    return h ^ (h >> 31);
  };
  const uint64_t h = mix(a + mix(b));
  const bool any = suspicious != 0;
  return NameScan{h, any, any};
}

// Index of the first byte of p[pos, end) that is '"', '\\' or below 0x20,
// or of the first byte of the last incomplete word (SWAR: only the lowest
// hit of a word is used, which is exact). Only whole 16- and 8-byte chunks
// inside [pos, end) are read.
size_t SkipPlainKeyBytes(const char* p, size_t pos, size_t end) {
#if defined(__SSE2__)
  // Sixteen bytes at a time first: tensor names are mostly 20 to 60 bytes.
  while (pos + 16 <= end) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + pos));
    const __m128i quote = _mm_cmpeq_epi8(v, _mm_set1_epi8('"'));
    const __m128i backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'));
    // Below 0x20 (unsigned, so UTF-8 bytes are not hits): min(v, 0x1F) == v.
    const __m128i control = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1F)), v);
    const __m128i hits = _mm_or_si128(_mm_or_si128(quote, backslash), control);
    const uint32_t mask = static_cast<uint32_t>(_mm_movemask_epi8(hits));
    if (mask != 0) return pos + static_cast<size_t>(__builtin_ctz(mask));
    pos += 16;
  }
#endif
  while (pos + 8 <= end) {
    const uint64_t word = Load8(p + pos);
    const uint64_t quote = word ^ (kOnes * '"');
    const uint64_t backslash = word ^ (kOnes * '\\');
    const uint64_t hits = ((quote - kOnes) & ~quote & kHighs) |
                          ((backslash - kOnes) & ~backslash & kHighs) |
                          ((word - kOnes * 0x20) & ~word & kHighs);
    if (hits != 0) return pos + static_cast<size_t>(__builtin_ctzll(hits) / 8);
    pos += 8;
  }
  return pos;
}

}  // namespace stguard::internal
