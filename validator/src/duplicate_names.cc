#include "duplicate_names.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include "huge_pages.h"
#include "json_reader.h"
#include "large_input_paths.h"
#include "str_cat.h"
#include "tensor_names.h"
#include "tensor_table.h"
#include "work_counter.h"

namespace stguard::internal {
namespace {

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
  constexpr size_t kMaxSetBucket = 8192;
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
  std::vector<uint64_t>& grouped = hashes;
  std::vector<uint64_t> slots;
  for (size_t b = 0; b < buckets; ++b) {
    const size_t count = begin[b + 1] - begin[b];
    if (count < 2) continue;
    // Buckets hold about 512 hashes; one far larger means equal (or
    // crafted) top bits: sorted in place instead, so that no set the size
    // of the table is built beside it.
    if (count > kMaxSetBucket) {
      const auto first = grouped.begin() + begin[b];
      const auto last = grouped.begin() + begin[b + 1];
      std::sort(first, last);
      if (std::adjacent_find(first, last) != last) return false;
      continue;
    }
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
        CountWork(1);
        if (slots[i] == h) return false;
        i = (i + 1) & mask;
      }
      slots[i] = h;
    }
  }
  return true;
}

void KeepLastOfEachName(std::vector<TensorEntry>& entries, std::vector<uint64_t>& name_hashes,
                      uint64_t file_offset, const Policy& policy, FindingSink& sink,
                      TensorTable& table) {
  // Usually every name differs, which a set of hashes shows in linear time.
  const bool all_differ = AllHashesDiffer(
      name_hashes, LargeInputPathsForced() ? kCompareAllHashPairsBelow : kGroupHashesInPlaceFrom);
  // Freed now, before the exact pass allocates (`= {}` would pick the
  // initializer_list assignment, which keeps the capacity).
  std::vector<uint64_t>().swap(name_hashes);
  if (all_differ) {
    table.tensors = std::move(entries);
    return;
  }
  // Some name repeats: the entries themselves are sorted by name, then by
  // position, which puts each name's entries side by side, and then back
  // into header order. Both sorts are in place: nothing is allocated beside
  // a table of up to 4.5 million entries (a 12-byte key each would add 54
  // MB to the peak).
  const auto by_name = [&](const TensorEntry& a, const TensorEntry& b) {
    const std::string_view name_a = table.Name(a);
    const std::string_view name_b = table.Name(b);
    CountWork(1 + std::min(name_a.size(), name_b.size()) / 16);
    if (name_a != name_b) return name_a < name_b;
    return a.key_pos < b.key_pos;
  };
  std::sort(entries.begin(), entries.end(), by_name);
  for (size_t i = 0; i + 1 < entries.size(); ++i) {
    TensorEntry& earlier = entries[i];
    const TensorEntry& later = entries[i + 1];
    const std::string_view name = table.Name(later);
    if (table.Name(earlier) != name) continue;
    earlier.shadowed = true;
    sink.AddAction(Code::kDuplicateTensorName, policy.duplicate_tensor_names,
                   file_offset + later.key_pos, name,
                   sink.Wants(Code::kDuplicateTensorName)
                       ? StrCat("tensor ", Quote(name), " repeats the name at offset ",
                                file_offset + earlier.key_pos, " (the reference keeps the last)")
                       : std::string());
  }
  entries.erase(std::remove_if(entries.begin(), entries.end(),
                               [](const TensorEntry& e) { return e.shadowed; }),
                entries.end());
  std::sort(entries.begin(), entries.end(),
            [](const TensorEntry& a, const TensorEntry& b) { return a.key_pos < b.key_pos; });
  table.tensors = std::move(entries);
}

void KeyList::Add(size_t quote, std::string_view decoded) {
  if (keys_.size() == keys_.capacity()) {
    // Doubling a long list holds the old and the new copy at once: a 100 MB
    // __metadata__ of 12.5 million keys would peak at 200 MB of list. Past
    // a few MB the list takes at once room for every key the rest of the
    // text can hold (a member and its comma are at least 5 bytes, `"":0,`):
    // address space, which costs no memory until a key is written there.
    constexpr size_t kDoubleBelow = size_t{1} << 20;
    const size_t capacity = keys_.capacity();
    const size_t bound = keys_.size() + (text_.size() - quote) / 5 + 1;
    keys_.reserve(capacity < kDoubleBelow ? std::max<size_t>(16, 2 * capacity)
                                          : std::max(bound, capacity + 1));
  }
  const uint64_t hash = HashName(decoded);
  const uint32_t folded = static_cast<uint32_t>(hash ^ (hash >> 32));
  keys_.push_back(uint64_t{folded} << 32 | static_cast<uint32_t>(quote + 1));
}

std::string_view KeyList::KeyAt(uint32_t pos, std::string& buffer) const {
  const char* const begin = text_.data() + pos;
  const char* const text_end = text_.data() + text_.size();
  const char* quote = static_cast<const char*>(std::memchr(begin, '"', text_end - begin));
  const char* backslash = static_cast<const char*>(std::memchr(begin, '\\', quote - begin));
  if (backslash == nullptr) return std::string_view(begin, quote - begin);
  // An escape: the closing quote is the first one no backslash escapes.
  const char* p = backslash;
  while (*p != '"') p += *p == '\\' ? 2 : 1;
  CountWork(1 + (p - begin) / 8);
  DecodeJsonString(std::string_view(begin, p - begin), buffer);
  return buffer;
}

void KeyList::SortByHashThenPosition() {
  CountWork(keys_.size() * (1 + std::bit_width(keys_.size())));
  std::sort(keys_.begin(), keys_.end());
}

bool KeyList::RunIsOneKey(size_t begin, size_t end) {
  const std::string_view first = KeyAt(PosOf(keys_[begin]), first_);
  for (size_t i = begin + 1; i < end; ++i) {
    const std::string_view key = KeyAt(PosOf(keys_[i]), scratch_);
    CountWork(1 + key.size() / 16);
    if (key != first) return false;
  }
  return true;
}

void KeyList::SortByKeyThenPosition(size_t begin, size_t end) {
  // Only colliding hashes come here: keys are decoded at each comparison,
  // O(m log m) decodes for a run of m keys.
  std::sort(keys_.begin() + begin, keys_.begin() + end, [this](Key a, Key b) {
    const std::string_view x = KeyAt(PosOf(a), scratch_);
    const std::string_view y = KeyAt(PosOf(b), other_);
    CountWork(1 + std::min(x.size(), y.size()) / 16);
    const int order = x.compare(y);
    return order != 0 ? order < 0 : PosOf(a) < PosOf(b);
  });
}

}  // namespace stguard::internal
