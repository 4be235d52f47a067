// The plain fast reader: the usual tensor entry and __metadata__, read
// straight from the header text without the schema reader.
//
// Plain text is a subset of valid JSON that draws no finding from the
// schema reader (tensor_schema.h): keys and strings without escapes or
// control bytes, the three fields once each, a dtype the policy allows,
// integers written as plain digits below 10^19, a rank within the policy.
// Whatever is not plain is left to the schema reader, which gives the same
// report for plain text (tests and fuzzers switch this reader off and
// compare, see fast_paths.h).
#ifndef STGUARD_SRC_PLAIN_ENTRIES_H_
#define STGUARD_SRC_PLAIN_ENTRIES_H_

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "stguard/dtype.h"
#include "stguard/policy.h"

namespace stguard::internal {

class PlainReader {
 public:
  explicit PlainReader(const Policy& policy) : policy_(policy) {}

  static constexpr size_t kMaxPlainRank = 16;
  // Larger metadata objects go to the schema reader, whose duplicate check
  // takes 8 bytes a key instead of a 16-byte view.
  static constexpr size_t kMaxPlainMetadataEntries = 1024;

  // A plain entry as read: an object holding "dtype", "shape" and
  // "data_offsets" once each, or the array [dtype, shape, data_offsets].
  struct Entry {
    Dtype dtype = Dtype::kU8;
    size_t rank = 0;
    uint64_t dims[kMaxPlainRank];
    size_t shape_at = 0;  // text positions of the '['s
    size_t offsets_at = 0;
    uint64_t offsets[2] = {0, 0};
  };

  static void SkipWs(const char* p, size_t n, size_t& i) {
    while (i < n && (p[i] == ' ' || p[i] == '\n' || p[i] == '\r' || p[i] == '\t')) ++i;
  }
  // A string at p[i] written without escapes or control bytes (a key, a
  // metadata value): `out` is its text, i moves past the closing quote.
  static bool ReadString(const char* p, size_t n, size_t& i, std::string_view& out);

  // At p[i] (a '{' or '['): reads a plain entry of the object or array form,
  // moving i past it. False (i moved, nothing else) for anything else.
  bool ReadEntry(const char* p, size_t n, size_t& i, Entry& out);
  bool ReadArrayEntry(const char* p, size_t n, size_t& i, Entry& out);
  // At p[i]: a plain __metadata__ object (strings under distinct keys, all
  // within the policy's limits), moving i past it.
  bool ReadMetadata(const char* p, size_t n, size_t& i);

 private:
  enum class ListStep { kMore, kEnd, kBad };
  static ListStep StepList(const char* p, size_t n, size_t& i, char close);
  static bool ReadU64(const char* p, size_t n, size_t& i, uint64_t& out);
  bool ReadDtype(const char* p, size_t n, size_t& i, Entry& out);
  static bool ReadShape(const char* p, size_t n, size_t& i, Entry& out);
  static bool ReadOffsets(const char* p, size_t n, size_t& i, Entry& out);

  const Policy& policy_;
  // The last dtype name read (no longer than any dtype name): entries
  // mostly share one.
  char last_dtype_name_[16] = {};
  size_t last_dtype_name_size_ = SIZE_MAX;
  Dtype last_dtype_ = Dtype::kU8;
  std::vector<std::string_view> meta_keys_;  // ReadMetadata's scratch
};

}  // namespace stguard::internal

#endif  // STGUARD_SRC_PLAIN_ENTRIES_H_
