// Stage 2 of the pipeline: header bytes -> validated JSON DOM.
// Checks UTF-8, BOM and surrounding whitespace, parses with simdjson's DOM
// (grammar, depth, strings, numbers), and explains a failure with a code and
// the offset where the problem starts.
#ifndef STGUARD_SRC_HEADER_JSON_H_
#define STGUARD_SRC_HEADER_JSON_H_

#include <simdjson.h>

#include <cstdint>
#include <string_view>
#include <vector>

#include "finding_sink.h"
#include "stguard/policy.h"

namespace stguard::internal {

struct HeaderJson {
  simdjson::dom::element root;
  // Header positions [begin, end) of integer literals outside the 64-bit
  // range, which simdjson cannot hold and the reference reads as floats.
  // They are rewritten in the buffer as a float literal of the same length
  // ("0e000..."): see RewriteWideIntegers.
  std::vector<std::pair<size_t, size_t>> wide_integers;
};

// `header` points into a buffer with simdjson::SIMDJSON_PADDING writable
// bytes after it. `file_offset` is where the header starts in the file (8).
// Returns false, having reported an error, when the header is not JSON the
// reference would parse.
bool ParseHeaderJson(char* header, size_t size, uint64_t file_offset, const Policy& policy,
                     simdjson::dom::parser& parser, FindingSink& sink, HeaderJson& out);

// Index of the first byte of the first invalid UTF-8 sequence, or `size`.
size_t FirstInvalidUtf8(const uint8_t* bytes, size_t size);

}  // namespace stguard::internal

#endif  // STGUARD_SRC_HEADER_JSON_H_
