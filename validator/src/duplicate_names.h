// Duplicate detection for every kind of key, in O(n log n) time and memory
// that a 100 MB header cannot inflate: tensor names (the reference keeps the
// last entry of a name), and the keys of one JSON object (__metadata__, an
// index's weight_map and metadata) kept as positions in the text.
#ifndef STGUARD_SRC_DUPLICATE_NAMES_H_
#define STGUARD_SRC_DUPLICATE_NAMES_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "finding_sink.h"
#include "work_counter.h"
#include "stguard/policy.h"

namespace stguard::internal {

struct TensorEntry;
struct TensorTable;

// True when `hashes` are pairwise different; may reorder them. From
// `group_in_place_from` hashes on it takes no memory proportional to their
// number (and more time). Exposed for tests of both ways.
inline constexpr size_t kGroupHashesInPlaceFrom = size_t{1} << 21;
// Below this many hashes every pair is compared instead.
inline constexpr size_t kCompareAllHashPairsBelow = 32;
bool AllHashesDiffer(std::vector<uint64_t>& hashes, size_t group_in_place_from);

// The reference keeps the last entry of each name. Reports the others (code
// 311 under the policy's action, at the later entry's key), leaves one entry
// per name in header order in table.tensors, and frees `name_hashes` (the
// hash of each entry's name, as ScanName computes it) and `entries`.
// `file_offset` is where the header starts in the file.
void KeepLastOfEachName(std::vector<TensorEntry>& entries, std::vector<uint64_t>& name_hashes,
                        uint64_t file_offset, const Policy& policy, FindingSink& sink,
                        TensorTable& table);

// The keys of one JSON object, each kept as its place in the (already
// validated) text and the hash of its decoded form: 8 bytes a key whatever
// its length, and compared after unescaping ("a" and "\u0061" are the same
// key). Sorting orders hashes, never strings; only keys whose hashes are
// equal are decoded, each once, to tell a repeat from a collision.
class KeyList {
 public:
  explicit KeyList(std::string_view text) : text_(text) {}

  // The key whose opening quote is at text position `quote`, `decoded` as
  // the JsonReader gave it.
  void Add(size_t quote, std::string_view decoded);
  size_t size() const { return keys_.size(); }

  // Calls report(key, pos, first_pos) for each key equal to an earlier
  // one: the decoded key (valid during the call), and the positions of the
  // two keys' opening quotes. O(n log n) time, no memory beyond the list
  // but one decoded key.
  template <typename Report>
  void ForEachRepeat(Report report) {
    SortByHashThenPosition();
    size_t begin = 0;
    while (begin < keys_.size()) {
      size_t end = begin + 1;
      while (end < keys_.size() && HashOf(keys_[end]) == HashOf(keys_[begin])) ++end;
      if (end - begin > 1) {
        if (!RunIsOneKey(begin, end)) SortByKeyThenPosition(begin, end);
        // Within the run, sorted by key then position: each key's first
        // occurrence is followed by its repeats.
        size_t first = begin;
        std::string_view first_key = KeyAt(PosOf(keys_[first]), first_);
        for (size_t i = begin + 1; i < end; ++i) {
          const std::string_view key = KeyAt(PosOf(keys_[i]), scratch_);
          CountWork(1 + key.size() / 16);
          if (key != first_key) {
            first = i;
            first_key = KeyAt(PosOf(keys_[first]), first_);
            continue;
          }
          report(first_key, size_t{PosOf(keys_[i])} - 1, size_t{PosOf(keys_[first])} - 1);
        }
      }
      begin = end;
    }
  }

 private:
  // hash << 32 | position of the first byte after the opening quote: the
  // order of the numbers is the order by hash, then position.
  using Key = uint64_t;
  static uint32_t HashOf(Key k) { return static_cast<uint32_t>(k >> 32); }
  static uint32_t PosOf(Key k) { return static_cast<uint32_t>(k); }
  void SortByHashThenPosition();
  // Whether keys_[begin, end) (equal hashes) all decode alike.
  bool RunIsOneKey(size_t begin, size_t end);
  // Sorts keys_[begin, end) by decoded key, then position: hashes collided.
  void SortByKeyThenPosition(size_t begin, size_t end);
  // The decoded key whose first byte after the quote is at `pos`: a view of
  // the text when it holds no escape, else of `buffer`.
  std::string_view KeyAt(uint32_t pos, std::string& buffer) const;

  std::string_view text_;
  std::vector<Key> keys_;
  std::string first_, scratch_, other_;
};

}  // namespace stguard::internal

#endif  // STGUARD_SRC_DUPLICATE_NAMES_H_
