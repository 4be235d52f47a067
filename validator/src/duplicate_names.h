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
// validated) text: 12 bytes a key whatever its length, and compared after
// unescaping ("a" and "\u0061" are the same key). An escaped key is decoded
// once, when added, into the list's own buffer (never longer than the text
// it comes from), so that sorting compares bytes and never decodes.
class KeyList {
 public:
  explicit KeyList(std::string_view text) : text_(text) {}

  // The key string literal at text positions [quote, end): its opening
  // quote to just past its closing one.
  void Add(size_t quote, size_t end);
  size_t size() const { return keys_.size(); }

  // Calls report(key, pos, first_pos) for each key equal to an earlier
  // one: the decoded key (valid during the call), and the positions of the
  // two keys' opening quotes. Sorts the keys: O(n log n) comparisons, no
  // memory beyond the list.
  template <typename Report>
  void ForEachRepeat(Report report) {
    SortByKeyThenPosition();
    size_t first = 0;
    for (size_t i = 1; i < keys_.size(); ++i) {
      if (!SameKey(keys_[first], keys_[i])) {
        first = i;
        continue;
      }
      report(Decoded(keys_[i]), size_t{keys_[i].pos} - 1, size_t{keys_[first].pos} - 1);
    }
  }

 private:
  struct Key {
    uint32_t pos;       // in the text: first byte after the opening quote
    uint32_t size;      // bytes of the decoded key
    uint32_t decoded;   // kInText, or where the decoded key starts in decoded_
  };
  static constexpr uint32_t kInText = 0xFFFFFFFFu;  // no escape: the text is the key
  void SortByKeyThenPosition();
  bool SameKey(const Key& a, const Key& b) const;
  std::string_view Decoded(const Key& k) const {
    return k.decoded == kInText ? text_.substr(k.pos, k.size)
                                : std::string_view(decoded_).substr(k.decoded, k.size);
  }

  std::string_view text_;
  std::vector<Key> keys_;
  std::string decoded_;  // the escaped keys, decoded, one after another
  std::string scratch_;
};

}  // namespace stguard::internal

#endif  // STGUARD_SRC_DUPLICATE_NAMES_H_
