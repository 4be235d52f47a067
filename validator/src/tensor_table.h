// Stage 3: JSON DOM -> tensor table. Applies the schema the reference's
// deserializer applies (types, required and duplicate fields, the 22
// dtypes, u64 numbers, "last name wins") and the policy's schema rules
// (non-canonical forms, duplicates, names, limits).
#ifndef STGUARD_SRC_TENSOR_TABLE_H_
#define STGUARD_SRC_TENSOR_TABLE_H_

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "finding_sink.h"
#include "header_json.h"
#include "stguard/dtype.h"
#include "stguard/policy.h"

namespace stguard::internal {

// One tensor entry. Laid out to stay small (72 bytes): a header can hold
// 1.7 million of them.
struct TensorEntry {
  std::string_view name;  // decoded; lives in a NameArena
  uint64_t begin = 0;
  uint64_t end = 0;        // exclusive
  uint64_t elements = 1;   // product of the shape, valid unless size_overflow
  uint64_t byte_size = 0;  // valid unless size_overflow or partial_byte
  // Header positions (add the header's file offset for file offsets).
  uint32_t key_pos = 0;
  uint32_t shape_pos = 0;
  uint32_t offsets_pos = 0;
  uint32_t dims_begin = 0;  // into TensorTable::dims, when collected
  uint32_t rank = 0;
  Dtype dtype = Dtype::kU8;
  bool size_overflow = false;  // elements x bits overflowed u64
  bool partial_byte = false;   // bit count not a multiple of 8
  bool shadowed = false;       // a later entry has the same name
};

struct TensorTable {
  // Tensors as the reference keeps them: one per name (the last), in
  // header order (CheckLayout sorts them by offsets).
  std::vector<TensorEntry> tensors;
  // True when every entry had all three fields with valid values; layout
  // rules run only then (otherwise the file is already rejected and they
  // would only repeat the cause).
  bool complete = true;
  std::vector<uint64_t> dims;  // shapes, when collecting
};

// Copies of decoded names, which must outlive the batch whose DOM they came
// from. Bump-allocated in blocks that grow from 512 bytes to 1 MiB (a small
// header pays for a small block): no per-name allocation.
class NameArena {
 public:
  std::string_view Copy(std::string_view text);

 private:
  static constexpr size_t kFirstBlockBytes = 512;
  static constexpr size_t kBlockBytes = 1 << 20;
  std::vector<std::unique_ptr<char[]>> blocks_;
  char* current_ = nullptr;  // the block small names go to
  size_t used_ = 0;          // bytes used in *current_
  size_t size_ = 0;          // bytes in *current_
};

// Builds the table one batch of top-level members at a time.
class TableBuilder {
 public:
  TableBuilder(uint64_t file_offset, const Policy& policy, bool collect_dims, FindingSink& sink,
               TensorTable& table);
  ~TableBuilder();
  TableBuilder(const TableBuilder&) = delete;
  TableBuilder& operator=(const TableBuilder&) = delete;

  // Room for this many more members (a count the header scan made, so
  // proportional to the header's real content): saves regrowing the table.
  void Reserve(size_t members);
  // Reads the top-level object's leading members from the header text
  // while they are plain tensor entries (or a plain __metadata__) that
  // draw no finding, adding each: `pos` is just after the object's '{'.
  // Returns how many it read; `end` is just after the last one's value
  // (`pos` when none). Those members are valid JSON, so the top-level scan
  // may go on from `end` (ScanHeader's LeadingMemberReader).
  size_t AddPlainMembers(const char* header, size_t size, size_t pos, size_t& end);
  // Returns false when position tracking lost step with the DOM (an
  // internal error, already reported).
  bool AddBatch(const ParsedBatch& batch);
  // The batch straight from the header text, when every member is a plain
  // tensor entry that draws no finding (then the batch is valid JSON, and
  // this adds what parsing it and AddBatch would add). Returns false,
  // having added nothing, for any other batch: parse it and AddBatch.
  bool AddPlainBatch(const char* header, const MemberBatch& batch);
  // Resolves duplicate names (last wins) into the table.
  void Finish();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace stguard::internal

#endif  // STGUARD_SRC_TENSOR_TABLE_H_
