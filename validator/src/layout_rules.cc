#include "layout_rules.h"

#include <algorithm>
#include <string>
#include <string_view>

#include "str_cat.h"
#include "work_counter.h"

namespace stguard::internal {

void CheckLayout(TensorTable& table, uint64_t header_file_offset, DataSection data,
                 const Policy& policy, FindingSink& sink) {
  auto& tensors = table.tensors;
  // In place (no temporary buffer); ties broken by header position so the
  // order, and so the report, is deterministic.
  const auto by_range = [](const TensorEntry& a, const TensorEntry& b) {
    CountWork(1);
    if (a.begin != b.begin) return a.begin < b.begin;
    if (a.end != b.end) return a.end < b.end;
    return a.key_pos < b.key_pos;
  };
  // Writers usually emit tensors in data order: then the (total) order
  // already holds and sorting would only move 1.7 million entries around.
  if (!std::is_sorted(tensors.begin(), tensors.end(), by_range)) {
    std::sort(tensors.begin(), tensors.end(), by_range);
  }

  // Messages are built only for findings the sink keeps (a hostile header
  // can hold millions of tensors that each draw one).
  const auto error = [&sink](Code code, uint64_t at, std::string_view name, auto&& message) {
    sink.TensorError(code, at, name, sink.Wants(code) ? message() : std::string());
  };

  // covered_excl: every byte before it belongs to a tensor seen so far.
  uint64_t covered_excl = 0;
  bool past_end = false;
  for (const TensorEntry& t : tensors) {
    const uint64_t offsets_at = header_file_offset + t.offsets_pos;
    const uint64_t shape_at = header_file_offset + t.shape_pos;
    const std::string_view name = table.Name(t);
    // Valid unless size_overflow.
    const bool partial_byte = !t.size_overflow && t.partial_byte();
    if (t.size_overflow) {
      error(Code::kShapeOverflow, shape_at, name, [&] {
        return StrCat("shape x ", DtypeBits(t.dtype), " bits overflows 64 bits");
      });
    } else if (partial_byte) {
      error(Code::kSubByteNotWholeBytes, shape_at, name, [&] {
        return StrCat(t.elements, " elements of ", DtypeName(t.dtype),
                      " are not a whole number of bytes");
      });
    }
    if (t.end < t.begin) {
      error(Code::kOffsetsReversed, offsets_at, name, [&] {
        return StrCat("data_offsets begin ", t.begin, " > end ", t.end);
      });
      continue;
    }
    if (!t.size_overflow && !partial_byte && t.end - t.begin != t.byte_size()) {
      error(Code::kTensorSizeMismatch, offsets_at, name, [&] {
        return StrCat("range [", t.begin, ", ", t.end, ") holds ", t.end - t.begin,
                      " bytes, shape and dtype need ", t.byte_size());
      });
    }
    if (t.begin > covered_excl) {
      error(Code::kDataGap, offsets_at, name, [&] {
        return StrCat("bytes [", covered_excl, ", ", t.begin,
                      ") of the data section belong to no tensor");
      });
    } else if (t.begin < covered_excl) {
      if (t.begin == t.end) {
        error(Code::kZeroSizeTensorInside, offsets_at, name, [&] {
          return StrCat("zero-size tensor at ", t.begin, " lies inside another tensor's range");
        });
      } else {
        error(Code::kDataOverlap, offsets_at, name, [&] {
          return StrCat("range [", t.begin, ", ", t.end,
                        ") overlaps data already claimed up to ", covered_excl);
        });
      }
    }
    if (t.end > data.size) {
      past_end = true;
      error(Code::kTensorPastEnd, offsets_at, name, [&] {
        return StrCat("range [", t.begin, ", ", t.end, ") ends past the data section's ",
                      data.size, " bytes");
      });
    }
    const uint32_t alignment = DtypeAlignment(t.dtype);
    if (t.begin % alignment != 0 && policy.tensor_offset_unaligned != Action::kIgnore) {
      sink.AddAction(Code::kTensorOffsetUnaligned, policy.tensor_offset_unaligned, offsets_at,
                     name,
                     sink.Wants(Code::kTensorOffsetUnaligned)
                         ? StrCat("offset ", t.begin, " is not a multiple of ", alignment)
                         : std::string());
    }
    covered_excl = std::max(covered_excl, t.end);
  }
  if (!past_end && covered_excl < data.size) {
    sink.Error(Code::kDataTrailingBytes, data.file_offset + covered_excl,
               StrCat(data.size - covered_excl,
                      " bytes after the last tensor belong to no tensor"));
  }
}

}  // namespace stguard::internal
