// Stage 2: header bytes -> JSON text. Checks what lies outside the
// top-level members (UTF-8 of the whole header, a BOM, whitespace before
// and after, the object's braces, colons and commas), and hands each member
// to the table builder: plain members to its fast reader, any other to its
// schema reader over a JsonReader (json_reader.h), which validates the
// member's text as it reads it. One pass over the text, memory O(depth)
// beside the table.
//
// The first JSON problem in text order is reported, alone among the JSON
// findings: the reference's parser stops there.
#ifndef STGUARD_SRC_HEADER_TEXT_H_
#define STGUARD_SRC_HEADER_TEXT_H_

#include <cstddef>
#include <cstdint>
#include <functional>

#include "finding_sink.h"
#include "stguard/policy.h"
#include "tensor_table.h"

namespace stguard::internal {

// Returns false, having reported the problem to `sink`, when the header is
// not the JSON object the reference would parse. `file_offset` is where the
// header starts in the file (8). The builder's findings go to its own sink.
// With `consumed`, it is called with the header position up to which the
// text has been read (never read again: its memory can go) after each
// member.
using ConsumedText = std::function<void(size_t header_pos)>;
bool ReadHeaderText(const char* header, size_t size, uint64_t file_offset, const Policy& policy,
                    FindingSink& sink, TableBuilder& builder, const ConsumedText* consumed);

}  // namespace stguard::internal

#endif  // STGUARD_SRC_HEADER_TEXT_H_
