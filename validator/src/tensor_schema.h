// The schema reader: one top-level member's value, pulled from a
// JsonReader, checked against the schema the reference's deserializer
// applies (types, required and duplicate fields, the 22 dtypes, u64
// numbers) and the policy's schema rules (non-canonical forms, limits,
// control characters, duplicate metadata keys). It reads any valid JSON,
// however large, without building a tree: a shape of millions of
// dimensions is folded as it streams, values nobody reads are skipped by
// the reader's validating skip.
#ifndef STGUARD_SRC_TENSOR_SCHEMA_H_
#define STGUARD_SRC_TENSOR_SCHEMA_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "finding_sink.h"
#include "json_reader.h"
#include "stguard/policy.h"
#include "tensor_table.h"

namespace stguard::internal {

class SchemaReader {
 public:
  // `file_offset`: where the text's position 0 is in the file. With
  // `collect_dims`, every entry's dimensions are appended to table.dims.
  SchemaReader(uint64_t file_offset, const Policy& policy, bool collect_dims, FindingSink& sink,
               TensorTable& table);

  // The reader at __metadata__'s value: reads it, reporting 302-304 and
  // 321-323 and 312 (repeated keys). False on a JSON problem.
  bool ReadMetadata(JsonReader& reader);

  enum class Entry { kValid, kInvalid, kJsonProblem };
  // The reader at a tensor entry's value; `entry` holds its name and key
  // position. kValid: all three fields present and valid (the entry's
  // dtype, offsets, elements and positions set, and with collect_dims its
  // dimensions at table.dims[dims_begin(), +rank())).
  Entry ReadTensorEntry(JsonReader& reader, TensorEntry& entry);
  uint32_t dims_begin() const { return dims_begin_; }
  uint32_t rank() const { return rank_; }

  // Findings both readers make, with the same text.
  void ReportArrayForm(uint64_t at, std::string_view name);

 private:
  enum class NumberStatus { kOk, kNotInteger, kTooLarge, kWrongType, kJsonProblem };

  uint64_t At(size_t pos) const { return file_offset_ + pos; }
  std::string_view NameOf(const TensorEntry& entry) const { return table_.Name(entry); }
  // One field's value; false when it is invalid (or on a JSON problem).
  bool ReadField(JsonReader& reader, std::string_view field, TensorEntry& entry);
  bool ReadDtype(JsonReader& reader, TensorEntry& entry);
  bool ReadShape(JsonReader& reader, TensorEntry& entry);
  bool ReadOffsets(JsonReader& reader, TensorEntry& entry);
  // A shape dimension or an offset: a non-negative integer below 2^64.
  NumberStatus ReadU64(JsonReader& reader, uint64_t& out);
  // Reports a status other than kOk; false for all of them.
  bool ReportNumber(NumberStatus status, const char* field, size_t pos, const TensorEntry& entry);

  uint64_t file_offset_;
  const Policy& policy_;
  bool collect_dims_;
  FindingSink& sink_;
  TensorTable& table_;
  uint32_t dims_begin_ = 0;
  uint32_t rank_ = 0;
};

// elements x bits, checked: when it fits in u64, the entry's byte_size()
// and partial_byte() may compute it again unchecked.
void ComputeByteSize(TensorEntry& entry);

}  // namespace stguard::internal

#endif  // STGUARD_SRC_TENSOR_SCHEMA_H_
