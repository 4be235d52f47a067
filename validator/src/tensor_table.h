// Stage 3: JSON -> tensor table. The table's types, and the builder that
// fills it member by member with the plain fast reader or the schema
// reader, then resolves repeated names ("last name wins").
#ifndef STGUARD_SRC_TENSOR_TABLE_H_
#define STGUARD_SRC_TENSOR_TABLE_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "finding_sink.h"
#include "stguard/dtype.h"
#include "stguard/policy.h"

namespace stguard::internal {

// Copies of decoded tensor names, in one buffer, each referred to by a
// 32-bit offset and size (a NameRef) so that a TensorEntry stays small.
// Decoding never lengthens a name's JSON text and each key is copied once,
// so the names of a header never total more than the header: reserving that
// much up front (capacity is address space until written) means the buffer
// never moves while a table of millions of entries is built.
struct NameRef {
  uint32_t offset = 0;
  uint32_t size = 0;
};

class NameArena {
 public:
  // Room for `bytes` more bytes of names.
  void Reserve(size_t bytes);
  // Throws std::bad_alloc past 4 GiB of names (offsets are 32-bit; headers
  // are at most 100,000,000 bytes).
  NameRef Copy(std::string_view text);
  std::string_view View(NameRef name) const { return {bytes_.data() + name.offset, name.size}; }
  size_t size() const { return bytes_.size(); }
  // Forgets the names copied since size() was `size` (an abandoned batch).
  void Truncate(size_t size) { bytes_.resize(size); }

 private:
  std::vector<char> bytes_;
};

// One tensor entry: 48 bytes, as a header can hold more than 4 million of
// them (a 100,000,000-byte header of `"a":["U8",[0],[0,0]]` entries). The
// byte size and whether it is a whole number of bytes follow from
// `elements` and the dtype; shapes, when collected, live beside the table
// (TensorTable::shapes), since most validations never read them.
struct TensorEntry {
  uint64_t begin = 0;
  uint64_t end = 0;       // exclusive
  uint64_t elements = 1;  // product of the shape, valid unless size_overflow
  NameRef name;           // decoded, in TensorTable::names
  // Header positions (add the header's file offset for file offsets).
  uint32_t key_pos = 0;
  uint32_t shape_pos = 0;
  uint32_t offsets_pos = 0;
  Dtype dtype = Dtype::kU8;
  bool size_overflow = false;  // elements x bits overflowed u64
  bool shadowed = false;       // a later entry has the same name

  // Valid unless size_overflow (which says elements x bits fits in u64).
  bool partial_byte() const { return elements * DtypeBits(dtype) % 8 != 0; }
  // Valid unless size_overflow or partial_byte().
  uint64_t byte_size() const { return elements * DtypeBits(dtype) / 8; }
};
static_assert(sizeof(TensorEntry) <= 48, "a header can hold millions of entries");

// Where the dimensions of the entry whose key is at `key_pos` are in
// TensorTable::dims (collected only on request).
struct ShapeRef {
  uint32_t key_pos;
  uint32_t dims_begin;
  uint32_t rank;
};

struct TensorTable {
  // Tensors as the reference keeps them: one per name (the last), in
  // header order (CheckLayout sorts them by offsets).
  std::vector<TensorEntry> tensors;
  // True when every entry had all three fields with valid values; layout
  // rules run only then (otherwise the file is already rejected and they
  // would only repeat the cause).
  bool complete = true;
  NameArena names;
  // When collecting shapes: every entry's dimensions, and one ShapeRef per
  // entry in header order (so by ascending key_pos).
  std::vector<uint64_t> dims;
  std::vector<ShapeRef> shapes;

  std::string_view Name(const TensorEntry& entry) const { return names.View(entry.name); }
  // The entry's dimensions; only when shapes were collected.
  std::span<const uint64_t> Shape(const TensorEntry& entry) const;
};

class JsonReader;

// Builds the table one top-level member at a time: plain members straight
// from the text (plain_entries.h), any other through the schema reader
// (tensor_schema.h). Table findings go to the sink given here; the caller
// keeps them apart until the whole header is known to be JSON.
class TableBuilder {
 public:
  TableBuilder(uint64_t file_offset, const Policy& policy, bool collect_dims, FindingSink& sink,
               TensorTable& table);
  ~TableBuilder();
  TableBuilder(const TableBuilder&) = delete;
  TableBuilder& operator=(const TableBuilder&) = delete;

  // Room for as many members as `text_bytes` of plain members could hold,
  // taken before the first (untouched capacity is address space, not
  // memory): a table of millions of entries is then never copied to grow.
  void ReserveForText(size_t text_bytes);
  // The member whose key starts at header[pos], when it is plain: adds it
  // (with the findings a plain member can draw: 306 and 319) and moves
  // `pos` just past its value. False, having added nothing, otherwise. The
  // text it read is valid JSON.
  bool AddPlainMember(const char* header, size_t size, size_t& pos);
  // The member whose key `reader` just read (decoded `key`, its quote at
  // `key_pos`), the reader at its value. False on a JSON problem (see
  // reader.problem()).
  bool AddMember(JsonReader& reader, std::string_view key, size_t key_pos);
  // Resolves duplicate names (last wins) into the table.
  void Finish();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace stguard::internal

#endif  // STGUARD_SRC_TENSOR_TABLE_H_
