// Stage 4: rules on the tensor table: sizes (shape x dtype), tiling of the
// data section, alignment.
#ifndef STGUARD_SRC_LAYOUT_RULES_H_
#define STGUARD_SRC_LAYOUT_RULES_H_

#include <cstdint>

#include "finding_sink.h"
#include "stguard/policy.h"
#include "tensor_table.h"

namespace stguard::internal {

struct DataSection {
  uint64_t file_offset;  // 8 + N
  uint64_t size;         // file size - 8 - N
};

// Sorts table.tensors by (begin, end), as the reference does, then checks
// that the ranges tile [0, data.size) exactly.
void CheckLayout(TensorTable& table, uint64_t header_file_offset, DataSection data,
                 const Policy& policy, FindingSink& sink);

}  // namespace stguard::internal

#endif  // STGUARD_SRC_LAYOUT_RULES_H_
