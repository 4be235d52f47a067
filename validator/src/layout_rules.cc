#include "layout_rules.h"

#include <algorithm>
#include <string>

namespace stguard::internal {
namespace {

std::string Range(uint64_t begin, uint64_t end) {
  return "[" + std::to_string(begin) + ", " + std::to_string(end) + ")";
}

}  // namespace

void CheckLayout(TensorTable& table, uint64_t header_file_offset, DataSection data,
                 const Policy& policy, FindingSink& sink) {
  auto& tensors = table.tensors;
  // In place (no temporary buffer); ties broken by header position so the
  // order, and so the report, is deterministic.
  const auto by_range = [](const TensorEntry& a, const TensorEntry& b) {
    if (a.begin != b.begin) return a.begin < b.begin;
    if (a.end != b.end) return a.end < b.end;
    return a.key_pos < b.key_pos;
  };
  // Writers usually emit tensors in data order: then the (total) order
  // already holds and sorting would only move 1.7 million entries around.
  if (!std::is_sorted(tensors.begin(), tensors.end(), by_range)) {
    std::sort(tensors.begin(), tensors.end(), by_range);
  }

  // covered_excl: every byte before it belongs to a tensor seen so far.
  uint64_t covered_excl = 0;
  bool past_end = false;
  for (const TensorEntry& t : tensors) {
    const uint64_t offsets_at = header_file_offset + t.offsets_pos;
    const uint64_t shape_at = header_file_offset + t.shape_pos;
    if (t.size_overflow) {
      sink.TensorError(Code::kShapeOverflow, shape_at, t.name,
                       "shape x " + std::to_string(DtypeBits(t.dtype)) +
                           " bits overflows 64 bits");
    } else if (t.partial_byte) {
      sink.TensorError(Code::kSubByteNotWholeBytes, shape_at, t.name,
                       std::to_string(t.elements) + " elements of " +
                           std::string(DtypeName(t.dtype)) + " are not a whole number of bytes");
    }
    if (t.end < t.begin) {
      sink.TensorError(Code::kOffsetsReversed, offsets_at, t.name,
                       "data_offsets begin " + std::to_string(t.begin) + " > end " +
                           std::to_string(t.end));
      continue;
    }
    if (!t.size_overflow && !t.partial_byte && t.end - t.begin != t.byte_size) {
      sink.TensorError(Code::kTensorSizeMismatch, offsets_at, t.name,
                       "range " + Range(t.begin, t.end) + " holds " +
                           std::to_string(t.end - t.begin) + " bytes, shape and dtype need " +
                           std::to_string(t.byte_size));
    }
    if (t.begin > covered_excl) {
      sink.TensorError(Code::kDataGap, offsets_at, t.name,
                       "bytes " + Range(covered_excl, t.begin) +
                           " of the data section belong to no tensor");
    } else if (t.begin < covered_excl) {
      if (t.begin == t.end) {
        sink.TensorError(Code::kZeroSizeTensorInside, offsets_at, t.name,
                         "zero-size tensor at " + std::to_string(t.begin) +
                             " lies inside another tensor's range");
      } else {
        sink.TensorError(Code::kDataOverlap, offsets_at, t.name,
                         "range " + Range(t.begin, t.end) +
                             " overlaps data already claimed up to " +
                             std::to_string(covered_excl));
      }
    }
    if (t.end > data.size) {
      past_end = true;
      sink.TensorError(Code::kTensorPastEnd, offsets_at, t.name,
                       "range " + Range(t.begin, t.end) + " ends past the data section's " +
                           std::to_string(data.size) + " bytes");
    }
    const uint32_t alignment = DtypeAlignment(t.dtype);
    if (t.begin % alignment != 0) {
      sink.AddAction(Code::kTensorOffsetUnaligned, policy.tensor_offset_unaligned, offsets_at,
                     t.name,
                     "offset " + std::to_string(t.begin) + " is not a multiple of " +
                         std::to_string(alignment));
    }
    covered_excl = std::max(covered_excl, t.end);
  }
  if (!past_end && covered_excl < data.size) {
    sink.Error(Code::kDataTrailingBytes, data.file_offset + covered_excl,
               std::to_string(data.size - covered_excl) +
                   " bytes after the last tensor belong to no tensor");
  }
}

}  // namespace stguard::internal
