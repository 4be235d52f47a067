#include "plain_entries.h"

#include <algorithm>
#include <cstring>

#include "tensor_names.h"

namespace stguard::internal {

// A string at p[i] written without escapes or control bytes (a key, a
// metadata value): `out` is its text, i moves past the closing quote.
bool PlainReader::ReadString(const char* p, size_t n, size_t& i, std::string_view& out) {
  if (i >= n || p[i] != '"') return false;
  size_t end = SkipPlainKeyBytes(p, i + 1, n);
  while (end < n && p[end] != '"' && p[end] != '\\' &&
         static_cast<unsigned char>(p[end]) >= 0x20) {
    ++end;
  }
  if (end >= n || p[end] != '"') return false;
  out = std::string_view(p + i + 1, end - i - 1);
  i = end + 1;
  return true;
}

// After a list element, whitespace aside: ',' (another element follows)
// or `close` (the list ends); anything else is not plain.
inline PlainReader::ListStep PlainReader::StepList(const char* p, size_t n, size_t& i, char close) {
  SkipWs(p, n, i);
  if (i < n && p[i] == ',') {
    ++i;
    SkipWs(p, n, i);
    return ListStep::kMore;
  }
  if (i < n && p[i] == close) {
    ++i;
    return ListStep::kEnd;
  }
  return ListStep::kBad;
}

// Plain digits at p[i]: '0' or [1-9] and at most 18 more digits.
inline bool PlainReader::ReadU64(const char* p, size_t n, size_t& i, uint64_t& out) {
  const size_t begin = i;
  uint64_t value = 0;
  while (i < n && p[i] >= '0' && p[i] <= '9') {
    value = value * 10 + static_cast<uint64_t>(p[i] - '0');
    ++i;
  }
  const size_t digits = i - begin;
  if (digits == 0 || digits > 19 || (digits > 1 && p[begin] == '0')) return false;
  out = value;
  return true;
}

// Reads a plain entry at p[i] (its '{'), moving i past it. Returns false
// for anything else, having changed nothing but i and `out`.
bool PlainReader::ReadEntry(const char* p, size_t n, size_t& i, Entry& out) {
  if (i >= n || p[i] != '{') return false;
  ++i;
  bool has_dtype = false, has_shape = false, has_offsets = false;
  for (int field = 0; field < 3; ++field) {
    SkipWs(p, n, i);
    if (field > 0) {
      if (i >= n || p[i] != ',') return false;
      ++i;
      SkipWs(p, n, i);
    }
    if (i >= n || p[i] != '"') return false;
    ++i;
    // A key is compared with its closing quote: `dtype"` can only be the
    // key "dtype" written without escapes.
    enum { kDtype, kShape, kOffsets } key;
    if (n - i >= 6 && std::memcmp(p + i, "dtype\"", 6) == 0) {
      key = kDtype;
      i += 6;
    } else if (n - i >= 6 && std::memcmp(p + i, "shape\"", 6) == 0) {
      key = kShape;
      i += 6;
    } else if (n - i >= 13 && std::memcmp(p + i, "data_offsets\"", 13) == 0) {
      key = kOffsets;
      i += 13;
    } else {
      return false;  // an unknown field, or a key written with escapes
    }
    SkipWs(p, n, i);
    if (i >= n || p[i] != ':') return false;
    ++i;
    SkipWs(p, n, i);
    if (i >= n) return false;
    if (key == kDtype) {
      if (has_dtype || !ReadDtype(p, n, i, out)) return false;
      has_dtype = true;
    } else if (key == kShape) {
      if (has_shape || !ReadShape(p, n, i, out)) return false;
      has_shape = true;
    } else {
      if (has_offsets || !ReadOffsets(p, n, i, out)) return false;
      has_offsets = true;
    }
  }
  SkipWs(p, n, i);
  if (i >= n || p[i] != '}') return false;
  ++i;
  return out.rank <= policy_.max_rank;
}

// The array form of a plain entry, [dtype, shape, data_offsets], which
// the reference reads positionally (and which draws finding 306): the
// same three plain values, in that order. Moves i past it; false for
// anything else.
bool PlainReader::ReadArrayEntry(const char* p, size_t n, size_t& i, Entry& out) {
  if (i >= n || p[i] != '[') return false;
  ++i;
  SkipWs(p, n, i);
  if (!ReadDtype(p, n, i, out) || StepList(p, n, i, ']') != ListStep::kMore ||
      !ReadShape(p, n, i, out) || StepList(p, n, i, ']') != ListStep::kMore ||
      !ReadOffsets(p, n, i, out) || StepList(p, n, i, ']') != ListStep::kEnd) {
    return false;
  }
  return out.rank <= policy_.max_rank;
}

// A dtype string at p[i] naming a dtype the policy allows, written
// without escapes.
inline bool PlainReader::ReadDtype(const char* p, size_t n, size_t& i, Entry& out) {
  if (i >= n || p[i] != '"') return false;
  const size_t begin = i + 1;
  size_t end = begin;
  while (end < n && p[end] != '"' && p[end] != '\\') ++end;
  if (end >= n || p[end] != '"') return false;
  const std::string_view dtype_name(p + begin, end - begin);
  // Entries mostly share a dtype: the last one found is tried first.
  if (dtype_name.size() != last_dtype_name_size_ ||
      std::memcmp(dtype_name.data(), last_dtype_name_, dtype_name.size()) != 0) {
    const std::optional<Dtype> parsed = DtypeFromName(dtype_name);
    if (!parsed) return false;
    last_dtype_ = *parsed;
    last_dtype_name_size_ = dtype_name.size();  // a dtype name is short
    std::memcpy(last_dtype_name_, dtype_name.data(), dtype_name.size());
  }
  out.dtype = last_dtype_;
  if ((policy_.allowed_dtypes >> static_cast<unsigned>(out.dtype) & 1u) == 0) return false;
  i = end + 1;
  return true;
}

// A shape at p[i]: '[' at most kMaxPlainRank plain integers ']'.
inline bool PlainReader::ReadShape(const char* p, size_t n, size_t& i, Entry& out) {
  if (i >= n || p[i] != '[') return false;
  out.shape_at = i++;
  out.rank = 0;
  SkipWs(p, n, i);
  if (i < n && p[i] == ']') {
    ++i;
    return true;
  }
  while (true) {
    if (out.rank == kMaxPlainRank || !ReadU64(p, n, i, out.dims[out.rank])) return false;
    ++out.rank;
    const ListStep step = StepList(p, n, i, ']');
    if (step == ListStep::kMore) continue;
    return step == ListStep::kEnd;
  }
}

// Offsets at p[i]: '[' two plain integers ']'.
inline bool PlainReader::ReadOffsets(const char* p, size_t n, size_t& i, Entry& out) {
  if (i >= n || p[i] != '[') return false;
  out.offsets_at = i++;
  SkipWs(p, n, i);
  if (!ReadU64(p, n, i, out.offsets[0])) return false;
  SkipWs(p, n, i);
  if (i >= n || p[i] != ',') return false;
  ++i;
  SkipWs(p, n, i);
  if (!ReadU64(p, n, i, out.offsets[1])) return false;
  SkipWs(p, n, i);
  if (i >= n || p[i] != ']') return false;
  ++i;
  return true;
}

// The usual __metadata__ value, read from the text alone: an object of
// strings under distinct keys, all written without escapes, that draws no
// finding from ParseMetadata (entries, lengths, control characters within
// the policy's limits). Moves i past it; false for anything else.
bool PlainReader::ReadMetadata(const char* p, size_t n, size_t& i) {
  if (i >= n || p[i] != '{') return false;
  ++i;
  meta_keys_.clear();
  SkipWs(p, n, i);
  if (i < n && p[i] == '}') {
    ++i;
    return true;
  }
  while (true) {
    std::string_view key, value;
    if (!ReadString(p, n, i, key)) return false;
    SkipWs(p, n, i);
    if (i >= n || p[i] != ':') return false;
    ++i;
    SkipWs(p, n, i);
    if (!ReadString(p, n, i, value)) return false;
    if (key.size() > policy_.max_metadata_value_bytes ||
        value.size() > policy_.max_metadata_value_bytes || HasControlChar(key, false) ||
        HasControlChar(value, true)) {
      return false;
    }
    meta_keys_.push_back(key);
    if ((policy_.max_metadata_entries != kNoLimit &&
         meta_keys_.size() > policy_.max_metadata_entries) ||
        meta_keys_.size() > kMaxPlainMetadataEntries) {
      return false;
    }
    const ListStep step = StepList(p, n, i, '}');
    if (step == ListStep::kMore) continue;
    if (step == ListStep::kEnd) break;
    return false;
  }
  std::sort(meta_keys_.begin(), meta_keys_.end());
  return std::adjacent_find(meta_keys_.begin(), meta_keys_.end()) == meta_keys_.end();
}

}  // namespace stguard::internal
