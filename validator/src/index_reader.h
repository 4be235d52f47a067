// A checkpoint index (model.safetensors.index.json) read in one streaming
// pass (json_reader.h) into a compact table: 24 bytes a weight_map entry
// whatever its names' lengths, names kept as positions in the index text,
// shard names interned. A 100 MB index of 12 million entries costs the text
// plus 300 MB, and a tensor is found by binary search.
#ifndef STGUARD_SRC_INDEX_READER_H_
#define STGUARD_SRC_INDEX_READER_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "finding_sink.h"
#include "stguard/policy.h"

namespace stguard::internal {

// Shard names one index may name: a real checkpoint has a few to a few
// thousand. Past this, each would cost a file-system lookup: the index is
// rejected as past the validator's limit (code 904) instead.
inline constexpr size_t kMaxShardNamesPerIndex = 65536;
inline constexpr uint16_t kNoShardFile = 0xFFFF;

// One weight_map entry.
struct ListedTensor {
  uint64_t hash;       // of the decoded tensor name (HashName)
  uint32_t key_pos;    // the key's opening quote in the index text
  uint32_t raw_size;   // bytes between the key's quotes; kEscaped set when it holds '\\'
  uint16_t shard;      // index into IndexContent::shard_names
  // Set by the checker: the first shard file found holding this tensor
  // other than the one the entry names, and whether that one holds it.
  uint16_t other_holder = kNoShardFile;
  uint8_t held_by_named = 0;
  uint8_t shadowed = 0;  // a later entry has the same name (the reader keeps the last)
  static constexpr uint32_t kEscaped = 0x80000000u;
};
static_assert(sizeof(ListedTensor) <= 24, "an index can list 12 million tensors");

class IndexContent {
 public:
  explicit IndexContent(std::string_view text) : text_(text) {}

  // Entries sorted by (hash, name, position): equal names side by side.
  std::vector<ListedTensor> tensors;
  // Distinct shard names in order of first mention, and where each was
  // first named (a value's position in the index).
  std::vector<std::string> shard_names;
  std::vector<uint32_t> shard_first_pos;
  uint32_t weight_map_pos = 0;
  std::optional<uint64_t> total_size;
  uint32_t total_size_pos = 0;
  std::optional<uint64_t> total_parameters;
  uint32_t total_parameters_pos = 0;

  // The entry a loader uses for `name` (the last one), or null.
  ListedTensor* Find(std::string_view name, uint64_t hash);
  // The decoded name of an entry (valid until the next call).
  std::string_view Name(const ListedTensor& entry);
  std::string_view text() const { return text_; }

 private:
  std::string_view text_;
  std::string scratch_;
};

// Reads `text` (the index's bytes). Reports 801 (not UTF-8 JSON), 802
// (schema), 803 (repeated keys, under the policy's index_consistency) and
// 904 (too many shard names) with offsets in the index. Returns false when
// the index cannot be used for the cross-check.
bool ReadIndex(std::string_view text, const Policy& policy, FindingSink& sink,
               IndexContent& out);

}  // namespace stguard::internal

#endif  // STGUARD_SRC_INDEX_READER_H_
