#include "duplicate_names.h"

#include <algorithm>
#include <cstring>

#include "huge_pages.h"
#include "json_reader.h"
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
  const bool all_differ = AllHashesDiffer(name_hashes, kGroupHashesInPlaceFrom);
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

void KeyList::Add(size_t quote, size_t end) {
  const size_t pos = quote + 1;
  const size_t size = end - 1 - pos;
  const std::string_view raw = text_.substr(pos, size);
  if (raw.find('\\') == std::string_view::npos) {
    keys_.push_back({static_cast<uint32_t>(pos), static_cast<uint32_t>(size), kInText});
    return;
  }
  DecodeJsonString(raw, scratch_);
  CountWork(1 + size / 8);
  keys_.push_back({static_cast<uint32_t>(pos), static_cast<uint32_t>(scratch_.size()),
                   static_cast<uint32_t>(decoded_.size())});
  decoded_ += scratch_;
}

bool KeyList::SameKey(const Key& a, const Key& b) const {
  if (a.size != b.size) return false;
  CountWork(1 + a.size / 16);
  return Decoded(a) == Decoded(b);
}

void KeyList::SortByKeyThenPosition() {
  std::sort(keys_.begin(), keys_.end(), [this](const Key& a, const Key& b) {
    const std::string_view x = Decoded(a);
    const std::string_view y = Decoded(b);
    CountWork(1 + std::min(x.size(), y.size()) / 16);
    const int order = x.compare(y);
    return order != 0 ? order < 0 : a.pos < b.pos;
  });
}

}  // namespace stguard::internal
