// Stage 3: JSON DOM -> tensor table. Applies the schema the reference's
// deserializer applies (types, required and duplicate fields, the 22
// dtypes, u64 numbers, "last name wins") and the policy's schema rules
// (non-canonical forms, duplicates, names, limits).
#ifndef STGUARD_SRC_TENSOR_TABLE_H_
#define STGUARD_SRC_TENSOR_TABLE_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "finding_sink.h"
#include "header_json.h"
#include "stguard/dtype.h"
#include "stguard/policy.h"

namespace stguard::internal {

struct TensorEntry {
  std::string_view name;  // decoded; lives in the simdjson parser
  Dtype dtype = Dtype::kU8;
  uint64_t begin = 0;
  uint64_t end = 0;  // exclusive
  uint64_t elements = 1;           // product of the shape, valid unless size_overflow
  uint64_t byte_size = 0;          // valid unless size_overflow or partial_byte
  bool size_overflow = false;      // elements x bits overflowed u64
  bool partial_byte = false;       // bit count not a multiple of 8
  bool shadowed = false;           // a later entry has the same name
  // Header positions (add the header's file offset for file offsets).
  uint32_t key_pos = 0;
  uint32_t shape_pos = 0;
  uint32_t offsets_pos = 0;
  uint32_t dims_begin = 0;  // into TensorTable::dims, when collected
  uint32_t rank = 0;
};

struct TensorTable {
  // Tensors as the reference keeps them: one per name (the last), in
  // header order.
  std::vector<TensorEntry> tensors;
  // True when every entry had all three fields with valid values; layout
  // rules run only then (otherwise the file is already rejected and they
  // would only repeat the cause).
  bool complete = true;
  std::vector<uint64_t> dims;  // shapes, when collecting
};

// Returns false when the cursor lost step with the DOM (an internal error,
// already reported).
bool BuildTensorTable(const HeaderJson& json, std::string_view header_text, uint64_t file_offset,
                      const Policy& policy, bool collect_dims, FindingSink& sink,
                      TensorTable& table);

}  // namespace stguard::internal

#endif  // STGUARD_SRC_TENSOR_TABLE_H_
