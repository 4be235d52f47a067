#include "tensor_table.h"

#include <algorithm>
#include <cstring>
#include <new>
#include <numeric>
#include <string>

#include "checked_math.h"
#include "fast_paths.h"
#include "huge_pages.h"
#include "json_cursor.h"
#include "str_cat.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace stguard::internal {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

constexpr std::string_view kMetadataKey = "__metadata__";

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

// One pass over a tensor name, 16 bytes at a time: a 64-bit hash (used only
// to show that names all differ: any equal pair of hashes sends the caller
// to the exact pass, so its quality costs time, never correctness), and
// whether the name may hold a control character or be path-like. When that
// flag is false, HasControlChar and IsPathLike (without a leading '/') are
// false too: it is set for any byte below 0x20 or above 0x7E, '\\' and
// "..".
struct NameScan {
  uint64_t hash;
  bool may_hold_control;
  bool may_be_path_like;
};

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
    a = (a ^ lo) * kMul;
    b = (b ^ hi) * kMul;
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

// Reorders a[0, n) so that the values are grouped by the `bits` bits above
// bit `shift`, in ascending order of those bits, as American flag sort
// does: each value out of place is carried to the next free slot of its
// group, picking up the one there. No memory proportional to n.
void GroupInPlace(uint64_t* a, size_t n, int shift, int bits) {
  if (bits == 0 || n < 2) return;
  const size_t groups = size_t{1} << bits;
  const uint64_t mask = groups - 1;
  const auto group_of = [&](uint64_t h) { return static_cast<size_t>((h >> shift) & mask); };
  std::vector<size_t> next(groups + 1, 0);  // group g ends where g + 1 begins
  for (size_t k = 0; k < n; ++k) ++next[group_of(a[k]) + 1];
  for (size_t g = 0; g < groups; ++g) next[g + 1] += next[g];
  std::vector<size_t> end(next.begin() + 1, next.end());
  for (size_t g = 0; g < groups; ++g) {
    while (next[g] < end[g]) {
      uint64_t carried = a[next[g]];
      for (size_t to = group_of(carried); to != g; to = group_of(carried)) {
        std::swap(carried, a[next[to]++]);
      }
      a[next[g]++] = carried;
    }
  }
}

}  // namespace

// True when `hashes` are pairwise different. They are first grouped by their
// top bits into buckets of about 512, so that each bucket's set (open
// addressing, at most half full) stays in the cache. Reorders `hashes`.
bool AllHashesDiffer(std::vector<uint64_t>& hashes, size_t group_in_place_from) {
  const size_t n = hashes.size();
  if (n < 2) return true;
  // Most headers hold a few tensors: compare every pair, with no buffer
  // (the bucketed path takes four allocations whatever the count).
  if (n < kCompareAllHashPairsBelow) {
    for (size_t i = 0; i + 1 < n; ++i) {
      for (size_t j = i + 1; j < n; ++j) {
        if (hashes[i] == hashes[j]) return false;
      }
    }
    return true;
  }
  int bucket_bits = 0;
  while (bucket_bits < 12 && (n >> bucket_bits) > 512) ++bucket_bits;
  const size_t buckets = size_t{1} << bucket_bits;
  const auto bucket_of = [&](uint64_t h) {
    return bucket_bits == 0 ? size_t{0} : static_cast<size_t>(h >> (64 - bucket_bits));
  };
  std::vector<uint32_t> begin(buckets + 1, 0);
  for (const uint64_t h : hashes) ++begin[bucket_of(h) + 1];
  for (size_t b = 0; b < buckets; ++b) begin[b + 1] += begin[b];
  // Grouped into a second array when it is small (one pass of independent
  // writes); in place past `group_in_place_from` hashes, where that array
  // would add 8 bytes a tensor to the peak (33 MB for the 4.18 million
  // entries a 100,000,000-byte header can hold). In place costs about three
  // times the time (chains of dependent swaps), in two passes so that each
  // has few enough groups, or a small enough range, to stay in the cache.
  if (n < group_in_place_from) {
    std::vector<uint64_t> grouped;
    grouped.reserve(n);
    AdviseHugePages(grouped.data(), n * sizeof(uint64_t));  // before the first write
    grouped.resize(n);
    std::vector<uint32_t> next(begin.begin(), begin.end() - 1);
    for (const uint64_t h : hashes) grouped[next[bucket_of(h)]++] = h;
    hashes = std::move(grouped);
  } else {
    const int first_bits = std::min(bucket_bits, 6);
    GroupInPlace(hashes.data(), n, 64 - first_bits, first_bits);
    if (bucket_bits > first_bits) {
      const size_t per_first = buckets >> first_bits;  // buckets in one first-pass group
      for (size_t g = 0; g < (size_t{1} << first_bits); ++g) {
        const size_t lo = begin[g * per_first];
        const size_t hi = begin[(g + 1) * per_first];
        GroupInPlace(hashes.data() + lo, hi - lo, 64 - bucket_bits, bucket_bits - first_bits);
      }
    }
  }
  const std::vector<uint64_t>& grouped = hashes;
  std::vector<uint64_t> slots;
  for (size_t b = 0; b < buckets; ++b) {
    const size_t count = begin[b + 1] - begin[b];
    if (count < 2) continue;
    int bits = 4;
    while ((size_t{1} << bits) < 2 * count) ++bits;
    const size_t mask = (size_t{1} << bits) - 1;
    slots.assign(size_t{1} << bits, 0);  // 0: empty
    for (size_t k = begin[b]; k < begin[b + 1]; ++k) {
      uint64_t h = grouped[k];
      h += h == 0;  // 0 marks an empty slot (a 0/1 clash only costs time)
      // The top bits chose the bucket: the slot comes from the others.
      size_t i = static_cast<size_t>((h * 0x9E3779B97F4A7C15ull) >> (64 - bits));
      while (slots[i] != 0) {
        if (slots[i] == h) return false;
        i = (i + 1) & mask;
      }
      slots[i] = h;
    }
  }
  return true;
}

namespace {

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

enum class NumberStatus { kOk, kNotInteger, kTooLarge, kWrongType };

}  // namespace

void NameArena::Reserve(size_t bytes) {
  if (bytes <= bytes_.capacity() - bytes_.size()) return;
  const size_t wanted = bytes_.size() + bytes;
  bytes_.reserve(wanted);
  AdviseHugePages(bytes_.data(), bytes_.capacity());
}

NameRef NameArena::Copy(std::string_view text) {
  // Offsets and sizes are 32-bit: past that (never for a header within the
  // 100,000,000-byte ceiling) the validation fails as out of memory.
  if (text.size() > UINT32_MAX - bytes_.size()) throw std::bad_alloc();
  const NameRef name{static_cast<uint32_t>(bytes_.size()), static_cast<uint32_t>(text.size())};
  bytes_.insert(bytes_.end(), text.begin(), text.end());
  return name;
}

std::span<const uint64_t> TensorTable::Shape(const TensorEntry& entry) const {
  const auto it = std::lower_bound(
      shapes.begin(), shapes.end(), entry.key_pos,
      [](const ShapeRef& shape, uint32_t key_pos) { return shape.key_pos < key_pos; });
  if (it == shapes.end() || it->key_pos != entry.key_pos) return {};
  return std::span<const uint64_t>(dims).subspan(it->dims_begin, it->rank);
}

class TableBuilder::Impl {
 public:
  Impl(uint64_t file_offset, const Policy& policy, bool collect_dims, FindingSink& sink,
       TensorTable& table)
      : file_offset_(file_offset),
        policy_(policy),
        collect_dims_(collect_dims),
        sink_(sink),
        table_(table) {}

  bool AddBatch(const ParsedBatch& batch) {
    json_ = &batch;
    wide_integers_empty_ = batch.wide_integers.empty();
    base_ = batch.base;
    JsonCursor cursor(batch.text);
    cursor_ = &cursor;
    cursor.Enter();
    for (simdjson::dom::key_value_pair member : simdjson::dom::object(batch.root)) {
      const size_t key_pos = cursor.NextKey();
      if (member.key == kMetadataKey) {
        if (metadata_seen_) {
          sink_.Error(Code::kDuplicateMetadataBlock, At(key_pos), "__metadata__ appears again");
        }
        metadata_seen_ = true;
        ParseMetadata(member.value);
      } else {
        ++tensor_entries_;
        if (tensor_entries_ == policy_.max_tensors + 1 && policy_.max_tensors != kNoLimit) {
          ReportTooManyTensors(At(key_pos));
        }
        TensorEntry entry;
        entry.name = table_.names.Copy(member.key);
        entry.key_pos = Pos(key_pos);
        const NameScan scan = ScanName(NameOf(entry));
        CheckName(entry, scan);
        if (ParseTensorEntry(member.value, entry)) {
          Append(entry, scan.hash);
        } else {
          table_.complete = false;
        }
      }
      if (cursor.desynced()) break;
    }
    cursor.Leave();
    cursor_ = nullptr;
    json_ = nullptr;
    if (cursor.desynced()) {
      sink_.Error(Code::kInternalError, At(0), "JSON position tracking lost step");
      return false;
    }
    return true;
  }

  // A batch of plain tensor entries (see ReadPlainEntry) under keys
  // written without escapes, none "__metadata__", none drawing a finding,
  // read straight from the header text: such a batch is valid JSON and its
  // DOM walk (AddBatch) would add exactly these entries and report nothing.
  // Returns false, having added nothing, for any other batch.
  bool AddPlainBatch(const char* header, const MemberBatch& batch) {
    if (!FastPathsEnabled()) return false;
    const size_t entries_before = entries_.size();
    const size_t dims_before = table_.dims.size();
    const size_t names_before = table_.names.size();
    const size_t shapes_before = table_.shapes.size();
    const char* const p = header;
    const size_t n = batch.end;
    const bool metadata_seen_before = metadata_seen_;
    size_t metadata_members = 0;
    size_t i = batch.begin;
    size_t added = 0;
    // The findings AddBatch would make for plain members (array forms, the
    // tensor past max_tensors), made once the whole batch is known to be
    // plain: a batch that is not is undone, and AddBatch makes them.
    array_forms_.clear();
    bool past_max_tensors = false;
    size_t past_max_tensors_key_pos = 0;
    for (; added < batch.members; ++added) {
      if (added > 0) {
        SkipWs(p, n, i);
        if (i >= n || p[i] != ',') break;
        ++i;
        SkipWs(p, n, i);
      }
      const size_t key_pos = i;
      const PlainMember member = AddPlainMember(p, n, i, /*tensor_allowed=*/true, &array_forms_);
      if (member == PlainMember::kNotPlain) break;
      if (member == PlainMember::kMetadata) {
        ++metadata_members;
      } else if (policy_.max_tensors != kNoLimit &&
                 tensor_entries_ + (added + 1 - metadata_members) == policy_.max_tensors + 1) {
        past_max_tensors = true;
        past_max_tensors_key_pos = key_pos;
      }
    }
    if (added == batch.members && i == batch.end) {
      tensor_entries_ += batch.members - metadata_members;
      if (past_max_tensors) ReportTooManyTensors(AtHeader(Pos32(past_max_tensors_key_pos)));
      for (const ArrayForm& form : array_forms_) {
        ReportArrayForm(AtHeader(form.value_pos), NameOf(entries_[form.entry]));
      }
      return true;
    }
    metadata_seen_ = metadata_seen_before;
    // Not plain: undo (names too, so that the names the DOM walk copies
    // again still total no more than the header).
    entries_.resize(entries_before);
    name_hashes_.resize(entries_before);
    table_.dims.resize(dims_before);
    table_.names.Truncate(names_before);
    table_.shapes.resize(shapes_before);
    return false;
  }

  // The top-level object's members from header position `pos` (just after
  // its '{'), for as long as each is plain (as in AddPlainBatch), each
  // added as it is read: in the usual header every member is, and the text
  // is then read once. Returns how many members it read, and in `end` the
  // position just after the last one's value (`pos` when none): the
  // members before it are valid JSON and drew no finding, so the top-level
  // scan can go on from there as if it had read them itself.
  size_t AddPlainMembers(const char* p, size_t n, size_t pos, size_t& end) {
    end = pos;
    // Plain entries nest three deep (object, entry, shape): a policy that
    // allows less gets the exact scan's depth finding.
    if (!FastPathsEnabled() || policy_.max_json_depth < 3) return 0;
    size_t members = 0;
    size_t i = pos;
    while (true) {
      if (members > 0) {
        SkipWs(p, n, i);
        if (i >= n || p[i] != ',') break;
        ++i;
      }
      SkipWs(p, n, i);
      // Room for as many members as the header could hold, taken before
      // the first: the count is not known yet, and regrowing a table of
      // millions of entries would copy it (untouched capacity costs no
      // memory, only address space).
      if (members == 0) ReserveForText(n - i);
      const bool tensor_allowed =
          policy_.max_tensors == kNoLimit || tensor_entries_ < policy_.max_tensors;
      const PlainMember member = AddPlainMember(p, n, i, tensor_allowed, /*array_forms=*/nullptr);
      if (member == PlainMember::kNotPlain) break;
      if (member == PlainMember::kTensor) ++tensor_entries_;
      ++members;
      end = i;
    }
    return members;
  }

  void Finish() { KeepLastOfEachName(entries_); }
  // Room for `members` more members.
  void Reserve(size_t members, size_t text_bytes) {
    table_.names.Reserve(text_bytes);
    const size_t wanted = entries_.size() + members;
    if (wanted > entries_.capacity()) {
      entries_.reserve(wanted);
      AdviseHugePages(entries_.data(), entries_.capacity() * sizeof(TensorEntry));
    }
    if (wanted > name_hashes_.capacity()) {
      name_hashes_.reserve(wanted);
      AdviseHugePages(name_hashes_.data(), name_hashes_.capacity() * sizeof(uint64_t));
    }
    if (collect_dims_) {
      // One ShapeRef a member, and room for two dimensions each (more
      // regrow): one allocation each for the usual header, not a doubling
      // per few entries.
      table_.shapes.reserve(table_.shapes.size() + members);
      table_.dims.reserve(table_.dims.size() + 2 * members);
    }
  }

 private:
  // One member at p[i] (its key), read as AddPlainBatch reads them: a
  // plain tensor entry whose name draws no finding (added to the table,
  // unless !tensor_allowed), or the first "__metadata__" in plain form.
  // With `array_forms`, a plain entry may also be written as an array (it
  // is added, and listed there for the finding it draws). Moves i past the
  // value. kNotPlain (i moved, nothing added) otherwise.
  enum class PlainMember { kNotPlain, kTensor, kMetadata };
  struct ArrayForm {
    size_t entry;        // index in entries_
    uint32_t value_pos;  // header position of the entry's '['
  };
  PlainMember AddPlainMember(const char* p, size_t n, size_t& i, bool tensor_allowed,
                             std::vector<ArrayForm>* array_forms) {
    const size_t key_pos = i;
    std::string_view name;
    if (!ReadPlainString(p, n, i, name)) return PlainMember::kNotPlain;
    SkipWs(p, n, i);
    if (i >= n || p[i] != ':') return PlainMember::kNotPlain;
    ++i;
    SkipWs(p, n, i);
    if (name == kMetadataKey) {
      if (metadata_seen_ || !ReadPlainMetadata(p, n, i)) return PlainMember::kNotPlain;
      metadata_seen_ = true;
      return PlainMember::kMetadata;
    }
    if (!tensor_allowed) return PlainMember::kNotPlain;
    PlainEntry value;
    const size_t value_pos = i;
    const bool array_form = i < n && p[i] == '[';
    if (array_form) {
      if (array_forms == nullptr || !ReadPlainArrayEntry(p, n, i, value)) {
        return PlainMember::kNotPlain;
      }
    } else if (!ReadPlainEntry(p, n, i, value)) {
      return PlainMember::kNotPlain;
    }
    // CheckName's conditions, none of which may hold.
    const NameScan scan = ScanName(name);
    if (name.empty() || name.size() > policy_.max_name_bytes ||
        (scan.may_hold_control && HasControlChar(name, false)) ||
        (policy_.path_like_names != Action::kIgnore &&
         (scan.may_be_path_like || name.front() == '/') && IsPathLike(name))) {
      return PlainMember::kNotPlain;
    }
    TensorEntry entry;
    entry.name = table_.names.Copy(name);
    entry.key_pos = static_cast<uint32_t>(key_pos);
    ApplyPlainEntry(value, [](size_t header_pos) { return static_cast<uint32_t>(header_pos); },
                    entry);
    Append(entry, scan.hash);
    if (array_form) array_forms->push_back({entries_.size() - 1, Pos32(value_pos)});
    return PlainMember::kTensor;
  }

  // The fewest bytes a plain member takes with the separator before it:
  // ,"a":{"dtype":"U8","shape":[],"data_offsets":[0,0]} is 52.
  static constexpr size_t kMinPlainMemberBytes = 52;
  // Room for every member `text_bytes` of plain members could hold.
  void ReserveForText(size_t text_bytes) {
    Reserve(text_bytes / kMinPlainMemberBytes + 1, text_bytes);
  }

  // Batch text position -> file offset, and -> header position (stored).
  uint64_t At(size_t text_pos) const { return file_offset_ + base_ + text_pos; }
  uint32_t Pos(size_t text_pos) const { return static_cast<uint32_t>(base_ + text_pos); }
  uint64_t AtHeader(uint32_t header_pos) const { return file_offset_ + header_pos; }
  static uint32_t Pos32(size_t header_pos) { return static_cast<uint32_t>(header_pos); }

  // Findings both the DOM walk and plain batches make, with the same text.
  void ReportTooManyTensors(uint64_t at) {
    sink_.Error(Code::kTooManyTensors, at,
                StrCat("more than ", policy_.max_tensors, " tensor entries"));
  }
  void ReportArrayForm(uint64_t at, std::string_view name) {
    // A header can hold millions: the message only for the ones kept.
    sink_.AddAction(Code::kTensorEntryArrayForm, policy_.tensor_entry_array, at, name,
                    sink_.Wants(Code::kTensorEntryArrayForm)
                        ? "tensor entry written as [dtype, shape, data_offsets]"
                        : std::string());
  }

  void ParseMetadata(element value) {
    const size_t value_pos = cursor_->NextValue();
    if (value.is_null()) {
      sink_.AddAction(Code::kMetadataNull, policy_.metadata_null, At(value_pos), {},
                      "__metadata__ is null");
      cursor_->SkipValue();
      return;
    }
    simdjson::dom::object object;
    if (value.get_object().get(object) != simdjson::SUCCESS) {
      sink_.Error(Code::kMetadataNotObject, At(value_pos),
                  "__metadata__ must be an object of strings or null");
      cursor_->SkipValue();
      return;
    }
    cursor_->Enter();
    std::vector<std::pair<std::string_view, size_t>> keys;
    for (simdjson::dom::key_value_pair kv : object) {
      const size_t key_pos = cursor_->NextKey();
      const size_t entry_pos = cursor_->NextValue();
      keys.emplace_back(kv.key, key_pos);
      if (keys.size() == policy_.max_metadata_entries + 1 &&
          policy_.max_metadata_entries != kNoLimit) {
        sink_.Error(Code::kTooManyMetadataEntries, At(key_pos),
                    StrCat("more than ", policy_.max_metadata_entries, " __metadata__ entries"));
      }
      if (kv.key.size() > policy_.max_metadata_value_bytes) {
        sink_.Error(Code::kMetadataValueTooLong, At(key_pos),
                    StrCat("__metadata__ key of ", kv.key.size(), " bytes"));
      }
      if (HasControlChar(kv.key, false)) {
        sink_.AddAction(Code::kMetadataControlChar, policy_.control_chars_in_metadata, At(key_pos),
                        {},
                        StrCat("__metadata__ key ", Quote(kv.key), " holds a control character"));
      }
      std::string_view text;
      if (kv.value.get_string().get(text) != simdjson::SUCCESS) {
        sink_.Error(Code::kMetadataValueNotString, At(entry_pos),
                    StrCat("__metadata__ value for ", Quote(kv.key), " is not a string"));
      } else {
        if (text.size() > policy_.max_metadata_value_bytes) {
          sink_.Error(Code::kMetadataValueTooLong, At(entry_pos),
                      StrCat("__metadata__ value for ", Quote(kv.key), " has ", text.size(),
                             " bytes"));
        }
        if (HasControlChar(text, true)) {
          sink_.AddAction(Code::kMetadataControlChar, policy_.control_chars_in_metadata,
                          At(entry_pos), {},
                          StrCat("__metadata__ value for ", Quote(kv.key),
                                 " holds a control character"));
        }
      }
      cursor_->SkipValue();
    }
    cursor_->Leave();
    ReportDuplicates(keys, [&](std::string_view key, size_t pos, size_t first_pos) {
      sink_.AddAction(Code::kDuplicateMetadataKey, policy_.duplicate_metadata_keys, At(pos), {},
                      StrCat("__metadata__ key ", Quote(key), " repeats the one at offset ",
                             At(first_pos), " (the reference keeps the last)"));
    });
  }

  // Calls report(key, pos, first_pos) for every occurrence after the first of
  // a key. O(n log n): sorts by key, then by position.
  template <typename Report>
  static void ReportDuplicates(std::vector<std::pair<std::string_view, size_t>>& keys,
                               Report report) {
    std::sort(keys.begin(), keys.end());
    for (size_t i = 1; i < keys.size(); ++i) {
      if (keys[i].first != keys[i - 1].first) continue;
      size_t first = i - 1;
      while (first > 0 && keys[first - 1].first == keys[i].first) --first;
      report(keys[i].first, keys[i].second, keys[first].second);
    }
  }

  // A valid entry goes into the table, with its name's hash and (when
  // collecting) where its shape's dimensions are.
  void Append(const TensorEntry& entry, uint64_t name_hash) {
    entries_.push_back(entry);
    name_hashes_.push_back(name_hash);
    if (collect_dims_) table_.shapes.push_back({entry.key_pos, pending_dims_begin_, pending_rank_});
  }

  std::string_view NameOf(const TensorEntry& entry) const { return table_.Name(entry); }

  void CheckName(const TensorEntry& entry, const NameScan& scan) {
    const uint64_t pos = AtHeader(entry.key_pos);
    const std::string_view name = NameOf(entry);
    if (name.empty()) {
      sink_.AddAction(Code::kTensorNameEmpty, policy_.empty_tensor_names, pos, name,
                      "tensor name is empty");
    }
    if (scan.may_hold_control && HasControlChar(name, false)) {
      sink_.AddAction(Code::kTensorNameControlChar, policy_.control_chars_in_names, pos, name,
                      StrCat("tensor name ", Quote(name), " holds a control character"));
    }
    if (name.size() > policy_.max_name_bytes) {
      sink_.TensorError(Code::kTensorNameTooLong, pos, name,
                        StrCat("tensor name of ", name.size(), " bytes (limit ",
                               policy_.max_name_bytes, ")"));
    }
    if (policy_.path_like_names != Action::kIgnore &&
        (scan.may_be_path_like || (!name.empty() && name.front() == '/')) && IsPathLike(name)) {
      sink_.AddAction(Code::kTensorNamePathLike, policy_.path_like_names, pos, name,
                      StrCat("tensor name ", Quote(name), " looks like a path"));
    }
  }

  // Consumes the entry's value from the cursor. Returns true when all three
  // fields were present with valid values.
  bool ParseTensorEntry(element value, TensorEntry& entry) {
    const size_t value_pos = cursor_->NextValue();
    if (ParsePlainEntry(value_pos, entry)) return true;
    const std::string_view name = NameOf(entry);
    bool has_dtype = false, has_shape = false, has_offsets = false;
    bool ok = true;
    switch (value.type()) {
      case element_type::OBJECT: {
        cursor_->Enter();
        for (simdjson::dom::key_value_pair field : simdjson::dom::object(value)) {
          const size_t field_pos = cursor_->NextKey();
          bool* seen = nullptr;
          if (field.key == "dtype") {
            seen = &has_dtype;
          } else if (field.key == "shape") {
            seen = &has_shape;
          } else if (field.key == "data_offsets") {
            seen = &has_offsets;
          } else {
            sink_.AddAction(Code::kFieldUnknown, policy_.unknown_fields, At(field_pos), name,
                            sink_.Wants(Code::kFieldUnknown)
                                ? StrCat("unknown field ", Quote(field.key))
                                : std::string());
            cursor_->SkipValue();
            continue;
          }
          if (*seen) {
            sink_.TensorError(Code::kDuplicateField, At(field_pos), name,
                              StrCat("field \"", field.key, "\" appears twice"));
            ok = false;
          }
          *seen = true;
          ok &= ParseField(field.key, field.value, entry);
        }
        cursor_->Leave();
        break;
      }
      case element_type::ARRAY: {
        ReportArrayForm(At(value_pos), name);
        const simdjson::dom::array items(value);
        size_t count = 0;
        for (element item : items) {
          (void)item;
          ++count;
        }
        if (count != 3) {
          sink_.TensorError(Code::kTensorEntryInvalid, At(value_pos), name,
                            StrCat("tensor entry array has ", count,
                                   " items, expected [dtype, shape, data_offsets]"));
          cursor_->SkipValue();
          return false;
        }
        constexpr std::string_view kPositional[] = {"dtype", "shape", "data_offsets"};
        cursor_->Enter();
        size_t i = 0;
        for (element item : items) ok &= ParseField(kPositional[i++], item, entry);
        cursor_->Leave();
        has_dtype = has_shape = has_offsets = true;
        break;
      }
      default:
        sink_.TensorError(Code::kTensorEntryInvalid, At(value_pos), name,
                          "tensor entry must be an object with dtype, shape and data_offsets");
        cursor_->SkipValue();
        return false;
    }
    for (auto [present, field] : {std::pair{has_dtype, "dtype"}, std::pair{has_shape, "shape"},
                                  std::pair{has_offsets, "data_offsets"}}) {
      if (!present) {
        sink_.TensorError(Code::kFieldMissing, AtHeader(entry.key_pos), name,
                          StrCat("missing field \"", field, "\""));
        ok = false;
      }
    }
    if (ok) ComputeByteSize(entry);
    return ok;
  }

  // The usual entry, read from the text alone: an object holding "dtype",
  // "shape" and "data_offsets" once each (keys written without escapes), a
  // dtype string without escapes naming a dtype the policy allows, a shape
  // of at most kMaxPlainRank integers and two offsets, every integer plain
  // digits below 10^19 without a leading zero (so the DOM would hold it as
  // a non-negative integer), the rank within the policy. Such text is valid
  // JSON, yields no finding, and sets exactly the fields ParseTensorEntry's
  // DOM walk would set.
  static constexpr size_t kMaxPlainRank = 16;
  struct PlainEntry {
    Dtype dtype = Dtype::kU8;
    size_t rank = 0;
    uint64_t dims[kMaxPlainRank];
    size_t shape_at = 0;  // positions (in the text read) of the '['s
    size_t offsets_at = 0;
    uint64_t offsets[2] = {0, 0};
  };

  static void SkipWs(const char* p, size_t n, size_t& i) {
    while (i < n && (p[i] == ' ' || p[i] == '\n' || p[i] == '\r' || p[i] == '\t')) ++i;
  }

  // A string at p[i] written without escapes or control bytes (a key, a
  // metadata value): `out` is its text, i moves past the closing quote.
  // False for any other string: the DOM path reads it.
  static bool ReadPlainString(const char* p, size_t n, size_t& i, std::string_view& out) {
    if (i >= n || p[i] != '"') return false;
    size_t end = SkipPlainKeyBytes(p, i + 1, n);
    while (end < n && p[end] != '"' && p[end] != '\\' &&
           static_cast<unsigned char>(p[end]) >= 0x20) {
      ++end;
    }
    if (end >= n || p[end] != '"') return false;
    out = std::string_view(p + i + 1, end - i - 1);
    i = end + 1;
    return true;
  }

  // After a list element, whitespace aside: ',' (another element follows)
  // or `close` (the list ends); anything else is not plain.
  enum class ListStep { kMore, kEnd, kBad };
  static ListStep StepList(const char* p, size_t n, size_t& i, char close) {
    SkipWs(p, n, i);
    if (i < n && p[i] == ',') {
      ++i;
      SkipWs(p, n, i);
      return ListStep::kMore;
    }
    if (i < n && p[i] == close) {
      ++i;
      return ListStep::kEnd;
    }
    return ListStep::kBad;
  }

  // Plain digits at p[i]: '0' or [1-9] and at most 18 more digits.
  static bool ReadPlainU64(const char* p, size_t n, size_t& i, uint64_t& out) {
    const size_t begin = i;
    uint64_t value = 0;
    while (i < n && p[i] >= '0' && p[i] <= '9') {
      value = value * 10 + static_cast<uint64_t>(p[i] - '0');
      ++i;
    }
    const size_t digits = i - begin;
    if (digits == 0 || digits > 19 || (digits > 1 && p[begin] == '0')) return false;
    out = value;
    return true;
  }

  // Reads a plain entry at p[i] (its '{'), moving i past it. Returns false
  // for anything else, having changed nothing but i and `out`.
  bool ReadPlainEntry(const char* p, size_t n, size_t& i, PlainEntry& out) {
    if (i >= n || p[i] != '{') return false;
    ++i;
    bool has_dtype = false, has_shape = false, has_offsets = false;
    for (int field = 0; field < 3; ++field) {
      SkipWs(p, n, i);
      if (field > 0) {
        if (i >= n || p[i] != ',') return false;
        ++i;
        SkipWs(p, n, i);
      }
      if (i >= n || p[i] != '"') return false;
      ++i;
      // A key is compared with its closing quote: `dtype"` can only be the
      // key "dtype" written without escapes.
      enum { kDtype, kShape, kOffsets } key;
      if (n - i >= 6 && std::memcmp(p + i, "dtype\"", 6) == 0) {
        key = kDtype;
        i += 6;
      } else if (n - i >= 6 && std::memcmp(p + i, "shape\"", 6) == 0) {
        key = kShape;
        i += 6;
      } else if (n - i >= 13 && std::memcmp(p + i, "data_offsets\"", 13) == 0) {
        key = kOffsets;
        i += 13;
      } else {
        return false;  // an unknown field, or a key written with escapes
      }
      SkipWs(p, n, i);
      if (i >= n || p[i] != ':') return false;
      ++i;
      SkipWs(p, n, i);
      if (i >= n) return false;
      if (key == kDtype) {
        if (has_dtype || !ReadPlainDtype(p, n, i, out)) return false;
        has_dtype = true;
      } else if (key == kShape) {
        if (has_shape || !ReadPlainShape(p, n, i, out)) return false;
        has_shape = true;
      } else {
        if (has_offsets || !ReadPlainOffsets(p, n, i, out)) return false;
        has_offsets = true;
      }
    }
    SkipWs(p, n, i);
    if (i >= n || p[i] != '}') return false;
    ++i;
    return out.rank <= policy_.max_rank;
  }

  // The array form of a plain entry, [dtype, shape, data_offsets], which
  // the reference reads positionally (and which draws finding 306): the
  // same three plain values, in that order. Moves i past it; false for
  // anything else.
  bool ReadPlainArrayEntry(const char* p, size_t n, size_t& i, PlainEntry& out) {
    if (i >= n || p[i] != '[') return false;
    ++i;
    SkipWs(p, n, i);
    if (!ReadPlainDtype(p, n, i, out) || StepList(p, n, i, ']') != ListStep::kMore ||
        !ReadPlainShape(p, n, i, out) || StepList(p, n, i, ']') != ListStep::kMore ||
        !ReadPlainOffsets(p, n, i, out) || StepList(p, n, i, ']') != ListStep::kEnd) {
      return false;
    }
    return out.rank <= policy_.max_rank;
  }

  // A dtype string at p[i] naming a dtype the policy allows, written
  // without escapes.
  bool ReadPlainDtype(const char* p, size_t n, size_t& i, PlainEntry& out) {
    if (i >= n || p[i] != '"') return false;
    const size_t begin = i + 1;
    size_t end = begin;
    while (end < n && p[end] != '"' && p[end] != '\\') ++end;
    if (end >= n || p[end] != '"') return false;
    const std::string_view dtype_name(p + begin, end - begin);
    // Entries mostly share a dtype: the last one found is tried first.
    if (dtype_name.size() != last_dtype_name_size_ ||
        std::memcmp(dtype_name.data(), last_dtype_name_, dtype_name.size()) != 0) {
      const std::optional<Dtype> parsed = DtypeFromName(dtype_name);
      if (!parsed) return false;
      last_dtype_ = *parsed;
      last_dtype_name_size_ = dtype_name.size();  // a dtype name is short
      std::memcpy(last_dtype_name_, dtype_name.data(), dtype_name.size());
    }
    out.dtype = last_dtype_;
    if ((policy_.allowed_dtypes >> static_cast<unsigned>(out.dtype) & 1u) == 0) return false;
    i = end + 1;
    return true;
  }

  // A shape at p[i]: '[' at most kMaxPlainRank plain integers ']'.
  static bool ReadPlainShape(const char* p, size_t n, size_t& i, PlainEntry& out) {
    if (i >= n || p[i] != '[') return false;
    out.shape_at = i++;
    out.rank = 0;
    SkipWs(p, n, i);
    if (i < n && p[i] == ']') {
      ++i;
      return true;
    }
    while (true) {
      if (out.rank == kMaxPlainRank || !ReadPlainU64(p, n, i, out.dims[out.rank])) return false;
      ++out.rank;
      const ListStep step = StepList(p, n, i, ']');
      if (step == ListStep::kMore) continue;
      return step == ListStep::kEnd;
    }
  }

  // Offsets at p[i]: '[' two plain integers ']'.
  static bool ReadPlainOffsets(const char* p, size_t n, size_t& i, PlainEntry& out) {
    if (i >= n || p[i] != '[') return false;
    out.offsets_at = i++;
    SkipWs(p, n, i);
    if (!ReadPlainU64(p, n, i, out.offsets[0])) return false;
    SkipWs(p, n, i);
    if (i >= n || p[i] != ',') return false;
    ++i;
    SkipWs(p, n, i);
    if (!ReadPlainU64(p, n, i, out.offsets[1])) return false;
    SkipWs(p, n, i);
    if (i >= n || p[i] != ']') return false;
    ++i;
    return true;
  }

  // The usual __metadata__ value, read from the text alone: an object of
  // strings under distinct keys, all written without escapes, that draws no
  // finding from ParseMetadata (entries, lengths, control characters within
  // the policy's limits). Moves i past it; false for anything else.
  bool ReadPlainMetadata(const char* p, size_t n, size_t& i) {
    if (i >= n || p[i] != '{') return false;
    ++i;
    meta_keys_.clear();
    SkipWs(p, n, i);
    if (i < n && p[i] == '}') {
      ++i;
      return true;
    }
    while (true) {
      std::string_view key, value;
      if (!ReadPlainString(p, n, i, key)) return false;
      SkipWs(p, n, i);
      if (i >= n || p[i] != ':') return false;
      ++i;
      SkipWs(p, n, i);
      if (!ReadPlainString(p, n, i, value)) return false;
      if (key.size() > policy_.max_metadata_value_bytes ||
          value.size() > policy_.max_metadata_value_bytes || HasControlChar(key, false) ||
          HasControlChar(value, true)) {
        return false;
      }
      meta_keys_.push_back(key);
      if (policy_.max_metadata_entries != kNoLimit &&
          meta_keys_.size() > policy_.max_metadata_entries) {
        return false;
      }
      const ListStep step = StepList(p, n, i, '}');
      if (step == ListStep::kMore) continue;
      if (step == ListStep::kEnd) break;
      return false;
    }
    std::sort(meta_keys_.begin(), meta_keys_.end());
    return std::adjacent_find(meta_keys_.begin(), meta_keys_.end()) == meta_keys_.end();
  }

  // Sets what ParseDtype, ParseShape and ParseOffsets set. `at` maps a
  // position of the text read to a header position.
  template <typename At>
  void ApplyPlainEntry(const PlainEntry& plain, At at, TensorEntry& entry) {
    entry.dtype = plain.dtype;
    entry.shape_pos = at(plain.shape_at);
    entry.offsets_pos = at(plain.offsets_at);
    if (collect_dims_) {
      pending_dims_begin_ = static_cast<uint32_t>(table_.dims.size());
      pending_rank_ = static_cast<uint32_t>(plain.rank);
      table_.dims.insert(table_.dims.end(), plain.dims, plain.dims + plain.rank);
    }
    // Left to right, as the reference folds (see ParseShape).
    uint64_t elements = 1;
    bool overflow = false;
    for (size_t d = 0; d < plain.rank && !overflow; ++d) {
      const std::optional<uint64_t> product = CheckedMul(elements, plain.dims[d]);
      if (product) {
        elements = *product;
      } else {
        overflow = true;
      }
    }
    entry.elements = elements;
    entry.size_overflow = overflow;
    entry.begin = plain.offsets[0];
    entry.end = plain.offsets[1];
    ComputeByteSize(entry);
  }

  // ParseTensorEntry's shortcut for a plain entry at batch text position
  // `pos`; false (nothing changed) for any other.
  bool ParsePlainEntry(size_t pos, TensorEntry& entry) {
    if (!wide_integers_empty_) return false;  // rewritten literals: let the DOM decide
    if (!FastPathsEnabled()) return false;
    PlainEntry plain;
    size_t i = pos;
    if (!ReadPlainEntry(json_->text.data(), json_->text.size(), i, plain)) return false;
    ApplyPlainEntry(plain, [&](size_t text_pos) { return Pos(text_pos); }, entry);
    cursor_->MoveTo(i);
    return true;
  }

  // Consumes one field's value. Returns true when it is valid.
  bool ParseField(std::string_view field, element value, TensorEntry& entry) {
    if (field == "dtype") return ParseDtype(value, entry);
    if (field == "shape") return ParseShape(value, entry);
    return ParseOffsets(value, entry);
  }

  bool ParseDtype(element value, TensorEntry& entry) {
    const size_t pos = cursor_->NextValue();
    std::string_view dtype_name;
    bool well_formed = false;
    if (value.get_string().get(dtype_name) == simdjson::SUCCESS) {
      well_formed = true;
    } else if (value.is_object()) {
      // The reference's enum deserializer also takes {"F32": null} (and an
      // empty object as the unit value).
      const simdjson::dom::object object(value);
      size_t members = 0;
      bool unit_value = false;
      for (simdjson::dom::key_value_pair kv : object) {
        ++members;
        dtype_name = kv.key;
        simdjson::dom::object inner;
        unit_value = kv.value.is_null() ||
                     (kv.value.get_object().get(inner) == simdjson::SUCCESS && IsEmpty(inner));
      }
      well_formed = members == 1 && unit_value;
      if (well_formed) {
        sink_.AddAction(Code::kDtypeObjectForm, policy_.dtype_object_form, At(pos), NameOf(entry),
                        StrCat("dtype written as an object ", Quote(dtype_name), ": null"));
      }
    }
    cursor_->SkipValue();
    if (!well_formed) {
      sink_.TensorError(Code::kFieldWrongType, At(pos), NameOf(entry),
                        "dtype must be a string such as \"F32\"");
      return false;
    }
    const std::optional<Dtype> dtype = DtypeFromName(dtype_name);
    if (!dtype) {
      sink_.TensorError(Code::kDtypeUnknown, At(pos), NameOf(entry),
                        StrCat("unknown dtype ", Quote(dtype_name)));
      return false;
    }
    entry.dtype = *dtype;
    if ((policy_.allowed_dtypes >> static_cast<unsigned>(*dtype) & 1u) == 0) {
      sink_.TensorError(Code::kDtypeNotAllowed, At(pos), NameOf(entry),
                        StrCat("dtype ", DtypeName(*dtype), " is not allowed by policy ",
                               policy_.name));
    }
    return true;
  }

  static bool IsEmpty(const simdjson::dom::object& object) {
    return object.begin() == object.end();
  }

  bool ParseShape(element value, TensorEntry& entry) {
    const size_t pos = cursor_->NextValue();
    entry.shape_pos = Pos(pos);
    simdjson::dom::array dims;
    if (value.get_array().get(dims) != simdjson::SUCCESS) {
      sink_.TensorError(Code::kFieldWrongType, At(pos), NameOf(entry),
                        "shape must be an array of non-negative integers");
      cursor_->SkipValue();
      return false;
    }
    cursor_->Enter();
    bool ok = true;
    uint64_t rank = 0;
    uint64_t elements = 1;
    bool overflow = false;
    if (collect_dims_) pending_dims_begin_ = static_cast<uint32_t>(table_.dims.size());
    for (element dim : dims) {
      uint64_t n = 0;
      ok &= ReadU64(dim, "shape", entry, n);
      ++rank;
      if (collect_dims_) table_.dims.push_back(n);
      // Left to right, as the reference folds: an overflow sticks even when
      // a later dimension is 0.
      if (!overflow) {
        const std::optional<uint64_t> product = CheckedMul(elements, n);
        if (product) {
          elements = *product;
        } else {
          overflow = true;
        }
      }
    }
    cursor_->Leave();
    pending_rank_ = static_cast<uint32_t>(std::min<uint64_t>(rank, UINT32_MAX));
    if (rank > policy_.max_rank) {
      sink_.TensorError(Code::kRankTooLarge, At(pos), NameOf(entry),
                        StrCat("shape has ", rank, " dimensions (limit ", policy_.max_rank, ")"));
    }
    entry.elements = elements;
    entry.size_overflow = overflow;
    return ok;
  }

  bool ParseOffsets(element value, TensorEntry& entry) {
    const size_t pos = cursor_->NextValue();
    entry.offsets_pos = Pos(pos);
    simdjson::dom::array pair;
    size_t count = 0;
    if (value.get_array().get(pair) == simdjson::SUCCESS) {
      for (element item : pair) {
        (void)item;
        ++count;
      }
    }
    if (count != 2) {
      sink_.TensorError(Code::kFieldWrongType, At(pos), NameOf(entry),
                        "data_offsets must be an array of exactly two integers [begin, end]");
      cursor_->SkipValue();
      return false;
    }
    cursor_->Enter();
    bool ok = true;
    uint64_t values[2] = {0, 0};
    size_t i = 0;
    for (element item : pair) ok &= ReadU64(item, "data_offsets", entry, values[i++]);
    cursor_->Leave();
    entry.begin = values[0];
    entry.end = values[1];
    return ok;
  }

  // Reads a shape dimension or an offset: a plain non-negative integer that
  // fits in u64, as the reference requires. Consumes it from the cursor.
  bool ReadU64(element value, const char* field, const TensorEntry& entry, uint64_t& out) {
    const size_t pos = cursor_->NextValue();
    NumberStatus status = NumberStatus::kOk;
    switch (value.type()) {
      case element_type::UINT64:
        out = value.get_uint64().value_unsafe();
        cursor_->SkipValue();
        break;
      case element_type::INT64: {
        const int64_t v = value.get_int64().value_unsafe();
        const std::string_view token = cursor_->ScalarToken();
        // simdjson reads "-0" as the integer 0; the reference as a float.
        if (v < 0 || (!token.empty() && token.front() == '-')) {
          status = NumberStatus::kNotInteger;
        } else {
          out = static_cast<uint64_t>(v);
        }
        break;
      }
      case element_type::DOUBLE: {
        const bool wide = IsWideInteger(pos);
        const std::string_view token = cursor_->ScalarToken();
        status = wide && !token.empty() && token.front() != '-' ? NumberStatus::kTooLarge
                                                                 : NumberStatus::kNotInteger;
        break;
      }
      default:
        status = NumberStatus::kWrongType;
        cursor_->SkipValue();
        break;
    }
    switch (status) {
      case NumberStatus::kOk:
        return true;
      case NumberStatus::kNotInteger:
        sink_.TensorError(Code::kIntegerExpected, At(pos), NameOf(entry),
                          StrCat(field, " holds a float, an exponent, -0 or a negative number"));
        return false;
      case NumberStatus::kTooLarge:
        sink_.TensorError(Code::kIntegerTooLarge, At(pos), NameOf(entry),
                          StrCat(field, " holds an integer above 2^64-1"));
        return false;
      case NumberStatus::kWrongType:
        sink_.TensorError(Code::kFieldWrongType, At(pos), NameOf(entry),
                          StrCat(field, " holds a value that is not a number"));
        return false;
    }
    return false;
  }

  bool IsWideInteger(size_t pos) const {
    const auto& spans = json_->wide_integers;
    auto it = std::lower_bound(spans.begin(), spans.end(), std::pair<size_t, size_t>{pos, 0});
    return it != spans.end() && it->first == pos;
  }

  // elements x bits, checked: when it fits in u64, the entry's byte_size()
  // and partial_byte() may compute it again unchecked.
  void ComputeByteSize(TensorEntry& entry) {
    if (entry.size_overflow) return;
    if (!CheckedMul(entry.elements, DtypeBits(entry.dtype))) entry.size_overflow = true;
  }

  // The reference keeps the last entry of each name. Reports the others and
  // leaves one entry per name, in header order, compacting in place (the
  // table can hold millions of entries).
  void KeepLastOfEachName(std::vector<TensorEntry>& entries) {
    // Usually every name differs, which a set of hashes shows in linear time.
    const bool all_differ = AllHashesDiffer(name_hashes_, kGroupHashesInPlaceFrom);
    // Freed now, before the exact pass allocates (`= {}` would pick the
    // initializer_list assignment, which keeps the capacity).
    std::vector<uint64_t>().swap(name_hashes_);
    if (all_differ) {
      table_.tensors = std::move(entries);
      return;
    }
    // Sort (hash, index) keys by hash, then name, then index: equal names
    // have equal hashes, and within a run of equal hashes names are
    // compared for real, so collisions cost time (n log n at worst), never
    // correctness. Twelve bytes a key, and nothing else beside them: this
    // pass runs beside a table of up to 4.18 million entries.
    struct Key {
      uint32_t hash_high;
      uint32_t hash_low;
      uint32_t index;
      uint64_t hash() const { return uint64_t{hash_high} << 32 | hash_low; }
    };
    static_assert(sizeof(Key) == 12);
    // Advised before the first write, so that it faults in 2 MiB pages.
    std::vector<Key> keys;
    keys.reserve(entries.size());
    AdviseHugePages(keys.data(), entries.size() * sizeof(Key));
    for (uint32_t i = 0; i < entries.size(); ++i) {
      const uint64_t hash = HashName(table_.Name(entries[i]));
      keys.push_back({static_cast<uint32_t>(hash >> 32), static_cast<uint32_t>(hash), i});
    }
    std::sort(keys.begin(), keys.end(), [&](const Key& a, const Key& b) {
      if (a.hash() != b.hash()) return a.hash() < b.hash();
      const std::string_view name_a = table_.Name(entries[a.index]);
      const std::string_view name_b = table_.Name(entries[b.index]);
      if (name_a != name_b) return name_a < name_b;
      return a.index < b.index;
    });
    bool any_shadowed = false;
    for (size_t i = 0; i + 1 < keys.size(); ++i) {
      // Different hashes, different names: the (randomly placed) entries
      // are not touched.
      if (keys[i].hash() != keys[i + 1].hash()) continue;
      TensorEntry& earlier = entries[keys[i].index];
      const TensorEntry& later = entries[keys[i + 1].index];
      const std::string_view name = table_.Name(later);
      if (table_.Name(earlier) != name) continue;
      earlier.shadowed = true;
      any_shadowed = true;
      sink_.AddAction(Code::kDuplicateTensorName, policy_.duplicate_tensor_names,
                      AtHeader(later.key_pos), name,
                      sink_.Wants(Code::kDuplicateTensorName)
                          ? StrCat("tensor ", Quote(name), " repeats the name at offset ",
                                   AtHeader(earlier.key_pos), " (the reference keeps the last)")
                          : std::string());
    }
    std::vector<Key>().swap(keys);  // before the table is compacted
    if (any_shadowed) {
      entries.erase(std::remove_if(entries.begin(), entries.end(),
                                   [](const TensorEntry& e) { return e.shadowed; }),
                    entries.end());
    }
    table_.tensors = std::move(entries);
  }

  // The batch being consumed.
  const ParsedBatch* json_ = nullptr;
  bool wide_integers_empty_ = true;
  // ParsePlainEntry's last dtype name (no longer than any dtype name).
  char last_dtype_name_[16] = {};
  size_t last_dtype_name_size_ = SIZE_MAX;
  Dtype last_dtype_ = Dtype::kU8;
  JsonCursor* cursor_ = nullptr;
  size_t base_ = 0;
  // Across batches.
  bool metadata_seen_ = false;
  uint64_t tensor_entries_ = 0;
  std::vector<TensorEntry> entries_;
  std::vector<uint64_t> name_hashes_;  // ScanName's hash of each entry's name
  std::vector<std::string_view> meta_keys_;  // ReadPlainMetadata's scratch
  std::vector<ArrayForm> array_forms_;       // AddPlainBatch's scratch
  // The shape of the entry being read, when collecting (see Append).
  uint32_t pending_dims_begin_ = 0;
  uint32_t pending_rank_ = 0;
  uint64_t file_offset_;
  const Policy& policy_;
  bool collect_dims_;
  FindingSink& sink_;
  TensorTable& table_;
};

TableBuilder::TableBuilder(uint64_t file_offset, const Policy& policy, bool collect_dims,
                           FindingSink& sink, TensorTable& table)
    : impl_(std::make_unique<Impl>(file_offset, policy, collect_dims, sink, table)) {}
TableBuilder::~TableBuilder() = default;
bool TableBuilder::AddBatch(const ParsedBatch& batch) { return impl_->AddBatch(batch); }
bool TableBuilder::AddPlainBatch(const char* header, const MemberBatch& batch) {
  return impl_->AddPlainBatch(header, batch);
}
size_t TableBuilder::AddPlainMembers(const char* header, size_t size, size_t pos, size_t& end) {
  return impl_->AddPlainMembers(header, size, pos, end);
}
void TableBuilder::Finish() { impl_->Finish(); }
void TableBuilder::Reserve(size_t members, size_t text_bytes) {
  impl_->Reserve(members, text_bytes);
}

}  // namespace stguard::internal
