#include "tensor_schema.h"

#include <algorithm>
#include <optional>
#include <string>

#include "checked_math.h"
#include "duplicate_names.h"
#include "str_cat.h"
#include "tensor_names.h"

namespace stguard::internal {

void ComputeByteSize(TensorEntry& entry) {
  if (entry.size_overflow) return;
  if (!CheckedMul(entry.elements, DtypeBits(entry.dtype))) entry.size_overflow = true;
}

SchemaReader::SchemaReader(uint64_t file_offset, const Policy& policy, bool collect_dims,
                           FindingSink& sink, TensorTable& table)
    : file_offset_(file_offset),
      policy_(policy),
      collect_dims_(collect_dims),
      sink_(sink),
      table_(table) {}

void SchemaReader::ReportArrayForm(uint64_t at, std::string_view name) {
  // A header can hold millions: the message only for the ones kept.
  sink_.AddAction(Code::kTensorEntryArrayForm, policy_.tensor_entry_array, at, name,
                  sink_.Wants(Code::kTensorEntryArrayForm)
                      ? "tensor entry written as [dtype, shape, data_offsets]"
                      : std::string());
}

bool SchemaReader::ReadMetadata(JsonReader& reader) {
  JsonType type;
  if (!reader.PeekType(type)) return false;
  const size_t value_pos = reader.pos();
  if (type == JsonType::kNull) {
    sink_.AddAction(Code::kMetadataNull, policy_.metadata_null, At(value_pos), {},
                    "__metadata__ is null");
    return reader.ReadLiteral();
  }
  if (type != JsonType::kObject) {
    sink_.Error(Code::kMetadataNotObject, At(value_pos),
                "__metadata__ must be an object of strings or null");
    return reader.SkipValue();
  }
  reader.EnterObject();
  KeyList keys(reader.text());
  std::string_view key;
  size_t key_pos;
  while (reader.NextMember(key, key_pos)) {
    keys.Add(key_pos, key);
    if (keys.size() == policy_.max_metadata_entries + 1 &&
        policy_.max_metadata_entries != kNoLimit) {
      sink_.Error(Code::kTooManyMetadataEntries, At(key_pos),
                  StrCat("more than ", policy_.max_metadata_entries, " __metadata__ entries"));
    }
    if (key.size() > policy_.max_metadata_value_bytes) {
      sink_.Error(Code::kMetadataValueTooLong, At(key_pos),
                  StrCat("__metadata__ key of ", key.size(), " bytes"));
    }
    if (HasControlChar(key, false)) {
      sink_.AddAction(Code::kMetadataControlChar, policy_.control_chars_in_metadata, At(key_pos),
                      {}, StrCat("__metadata__ key ", Quote(key), " holds a control character"));
    }
    // `key` stays valid until the next string is decoded: values are only
    // measured below, never decoded.
    JsonType value_type;
    if (!reader.PeekType(value_type)) return false;
    const size_t entry_pos = reader.pos();
    if (value_type != JsonType::kString) {
      sink_.Error(Code::kMetadataValueNotString, At(entry_pos),
                  StrCat("__metadata__ value for ", Quote(key), " is not a string"));
      if (!reader.SkipValue()) return false;
      continue;
    }
    uint64_t value_bytes = 0;
    bool control = false;
    if (!reader.SkipString(value_bytes, control, /*allow_tab_cr_lf=*/true)) return false;
    if (value_bytes > policy_.max_metadata_value_bytes) {
      sink_.Error(Code::kMetadataValueTooLong, At(entry_pos),
                  StrCat("__metadata__ value for ", Quote(key), " has ", value_bytes, " bytes"));
    }
    if (control) {
      sink_.AddAction(Code::kMetadataControlChar, policy_.control_chars_in_metadata,
                      At(entry_pos), {},
                      StrCat("__metadata__ value for ", Quote(key), " holds a control character"));
    }
  }
  if (!reader.ok()) return false;
  keys.ForEachRepeat([&](std::string_view repeated, size_t pos, size_t first_pos) {
    sink_.AddAction(Code::kDuplicateMetadataKey, policy_.duplicate_metadata_keys, At(pos), {},
                    sink_.Wants(Code::kDuplicateMetadataKey)
                        ? StrCat("__metadata__ key ", Quote(repeated), " repeats the one at offset ",
                                 At(first_pos), " (the reference keeps the last)")
                        : std::string());
  });
  return true;
}

SchemaReader::Entry SchemaReader::ReadTensorEntry(JsonReader& reader, TensorEntry& entry) {
  dims_begin_ = static_cast<uint32_t>(table_.dims.size());
  rank_ = 0;
  JsonType type;
  if (!reader.PeekType(type)) return Entry::kJsonProblem;
  const size_t value_pos = reader.pos();
  const std::string_view name = NameOf(entry);
  bool has_dtype = false, has_shape = false, has_offsets = false;
  bool ok = true;
  if (type == JsonType::kObject) {
    reader.EnterObject();
    std::string_view key;
    size_t field_pos;
    while (reader.NextMember(key, field_pos)) {
      bool* seen = nullptr;
      std::string_view field;
      if (key == "dtype") {
        seen = &has_dtype, field = "dtype";
      } else if (key == "shape") {
        seen = &has_shape, field = "shape";
      } else if (key == "data_offsets") {
        seen = &has_offsets, field = "data_offsets";
      } else {
        sink_.AddAction(Code::kFieldUnknown, policy_.unknown_fields, At(field_pos), name,
                        sink_.Wants(Code::kFieldUnknown) ? StrCat("unknown field ", Quote(key))
                                                         : std::string());
        if (!reader.SkipValue()) return Entry::kJsonProblem;
        continue;
      }
      if (*seen) {
        sink_.TensorError(Code::kDuplicateField, At(field_pos), name,
                          StrCat("field \"", field, "\" appears twice"));
        ok = false;
      }
      *seen = true;
      ok &= ReadField(reader, field, entry);
      if (!reader.ok()) return Entry::kJsonProblem;
    }
    if (!reader.ok()) return Entry::kJsonProblem;
  } else if (type == JsonType::kArray) {
    ReportArrayForm(At(value_pos), name);
    // The reference reads the array positionally only when it holds
    // exactly three items: count them first (a validating skip), then read
    // them again.
    const JsonReader::Mark start = reader.Here();
    size_t count = 0;
    reader.EnterArray();
    while (reader.NextElement()) {
      ++count;
      if (!reader.SkipValue()) return Entry::kJsonProblem;
    }
    if (!reader.ok()) return Entry::kJsonProblem;
    if (count != 3) {
      sink_.TensorError(Code::kTensorEntryInvalid, At(value_pos), name,
                        StrCat("tensor entry array has ", count,
                               " items, expected [dtype, shape, data_offsets]"));
      return Entry::kInvalid;
    }
    const JsonReader::Mark end = reader.Here();
    reader.Rewind(start);
    reader.EnterArray();
    for (const std::string_view field : {"dtype", "shape", "data_offsets"}) {
      reader.NextElement();
      ok &= ReadField(reader, field, entry);
      if (!reader.ok()) return Entry::kJsonProblem;
    }
    reader.Rewind(end);  // past the closing ']' (the three items were all)
    has_dtype = has_shape = has_offsets = true;
  } else {
    sink_.TensorError(Code::kTensorEntryInvalid, At(value_pos), name,
                      "tensor entry must be an object with dtype, shape and data_offsets");
    return reader.SkipValue() ? Entry::kInvalid : Entry::kJsonProblem;
  }
  for (auto [present, field] : {std::pair{has_dtype, "dtype"}, std::pair{has_shape, "shape"},
                                std::pair{has_offsets, "data_offsets"}}) {
    if (!present) {
      sink_.TensorError(Code::kFieldMissing, At(entry.key_pos), name,
                        StrCat("missing field \"", field, "\""));
      ok = false;
    }
  }
  if (!ok) return Entry::kInvalid;
  ComputeByteSize(entry);
  return Entry::kValid;
}

bool SchemaReader::ReadField(JsonReader& reader, std::string_view field, TensorEntry& entry) {
  if (field == "dtype") return ReadDtype(reader, entry);
  if (field == "shape") return ReadShape(reader, entry);
  return ReadOffsets(reader, entry);
}

bool SchemaReader::ReadDtype(JsonReader& reader, TensorEntry& entry) {
  JsonType type;
  if (!reader.PeekType(type)) return false;
  const size_t pos = reader.pos();
  // The name as read, cut to more than any dtype name and any message shows.
  constexpr size_t kKeep = 80;
  std::string dtype_name;
  bool well_formed = false;
  if (type == JsonType::kString) {
    std::string_view text;
    if (!reader.ReadString(text)) return false;
    dtype_name.assign(text.substr(0, kKeep + 1));
    well_formed = true;
  } else if (type == JsonType::kObject) {
    // The reference's enum deserializer also takes {"F32": null}; its unit
    // variant takes null only ({"F32": {}} is refused).
    reader.EnterObject();
    size_t members = 0;
    bool unit_value = false;
    std::string_view key;
    size_t key_pos;
    while (reader.NextMember(key, key_pos)) {
      ++members;
      dtype_name.assign(key.substr(0, kKeep + 1));
      JsonType value_type;
      if (!reader.PeekType(value_type)) return false;
      unit_value = value_type == JsonType::kNull;
      if (!(unit_value ? reader.ReadLiteral() : reader.SkipValue())) return false;
    }
    if (!reader.ok()) return false;
    well_formed = members == 1 && unit_value;
    if (well_formed) {
      sink_.AddAction(Code::kDtypeObjectForm, policy_.dtype_object_form, At(pos), NameOf(entry),
                      StrCat("dtype written as an object ", Quote(dtype_name), ": null"));
    }
  } else if (!reader.SkipValue()) {
    return false;
  }
  if (!well_formed) {
    sink_.TensorError(Code::kFieldWrongType, At(pos), NameOf(entry),
                      "dtype must be a string such as \"F32\"");
    return false;
  }
  const std::optional<Dtype> dtype = DtypeFromName(dtype_name);
  if (!dtype) {
    sink_.TensorError(Code::kDtypeUnknown, At(pos), NameOf(entry),
                      StrCat("unknown dtype ", Quote(dtype_name)));
    return false;
  }
  entry.dtype = *dtype;
  if ((policy_.allowed_dtypes >> static_cast<unsigned>(*dtype) & 1u) == 0) {
    sink_.TensorError(Code::kDtypeNotAllowed, At(pos), NameOf(entry),
                      StrCat("dtype ", DtypeName(*dtype), " is not allowed by policy ",
                             policy_.name));
  }
  return true;
}

bool SchemaReader::ReadShape(JsonReader& reader, TensorEntry& entry) {
  JsonType type;
  if (!reader.PeekType(type)) return false;
  const size_t pos = reader.pos();
  entry.shape_pos = static_cast<uint32_t>(pos);
  if (type != JsonType::kArray) {
    sink_.TensorError(Code::kFieldWrongType, At(pos), NameOf(entry),
                      "shape must be an array of non-negative integers");
    reader.SkipValue();
    return false;
  }
  reader.EnterArray();
  bool ok = true;
  uint64_t rank = 0;
  uint64_t elements = 1;
  bool overflow = false;
  dims_begin_ = static_cast<uint32_t>(table_.dims.size());
  while (reader.NextElement()) {
    const size_t dim_pos = reader.pos();
    uint64_t n = 0;
    const NumberStatus status = ReadU64(reader, n);
    if (status == NumberStatus::kJsonProblem) return false;
    if (status != NumberStatus::kOk) {
      ok &= ReportNumber(status, "shape", dim_pos, entry);
    }
    ++rank;
    if (collect_dims_) table_.dims.push_back(n);
    // Left to right, as the reference folds: an overflow sticks even when
    // a later dimension is 0.
    if (!overflow) {
      const std::optional<uint64_t> product = CheckedMul(elements, n);
      if (product) {
        elements = *product;
      } else {
        overflow = true;
      }
    }
  }
  if (!reader.ok()) return false;
  rank_ = static_cast<uint32_t>(std::min<uint64_t>(rank, UINT32_MAX));
  if (rank > policy_.max_rank) {
    sink_.TensorError(Code::kRankTooLarge, At(pos), NameOf(entry),
                      StrCat("shape has ", rank, " dimensions (limit ", policy_.max_rank, ")"));
  }
  entry.elements = elements;
  entry.size_overflow = overflow;
  return ok;
}

bool SchemaReader::ReadOffsets(JsonReader& reader, TensorEntry& entry) {
  JsonType type;
  if (!reader.PeekType(type)) return false;
  const size_t pos = reader.pos();
  entry.offsets_pos = static_cast<uint32_t>(pos);
  // The reference wants exactly two items: the first two are read and
  // their findings held back until the count is known.
  size_t count = 0;
  uint64_t values[2] = {0, 0};
  NumberStatus status[2] = {NumberStatus::kOk, NumberStatus::kOk};
  size_t item_pos[2] = {0, 0};
  if (type == JsonType::kArray) {
    reader.EnterArray();
    while (reader.NextElement()) {
      if (count < 2) {
        item_pos[count] = reader.pos();
        status[count] = ReadU64(reader, values[count]);
        if (status[count] == NumberStatus::kJsonProblem) return false;
      } else if (!reader.SkipValue()) {
        return false;
      }
      ++count;
    }
    if (!reader.ok()) return false;
  } else if (!reader.SkipValue()) {
    return false;
  }
  if (count != 2) {
    sink_.TensorError(Code::kFieldWrongType, At(pos), NameOf(entry),
                      "data_offsets must be an array of exactly two integers [begin, end]");
    return false;
  }
  bool ok = true;
  for (size_t i = 0; i < 2; ++i) {
    if (status[i] != NumberStatus::kOk) {
      ok &= ReportNumber(status[i], "data_offsets", item_pos[i], entry);
    }
  }
  entry.begin = values[0];
  entry.end = values[1];
  return ok;
}

SchemaReader::NumberStatus SchemaReader::ReadU64(JsonReader& reader, uint64_t& out) {
  JsonType type;
  if (!reader.PeekType(type)) return NumberStatus::kJsonProblem;
  if (type != JsonType::kNumber) {
    return reader.SkipValue() ? NumberStatus::kWrongType : NumberStatus::kJsonProblem;
  }
  JsonNumber number;
  if (!reader.ReadNumber(number)) return NumberStatus::kJsonProblem;
  if (number.fits_u64) {
    out = number.u64;
    return NumberStatus::kOk;
  }
  // The reference reads "-0", negatives, fractions and exponents as other
  // types than u64, and integers past 2^64-1 as floats.
  if (number.integer_literal && !number.negative) return NumberStatus::kTooLarge;
  return NumberStatus::kNotInteger;
}

bool SchemaReader::ReportNumber(NumberStatus status, const char* field, size_t pos,
                                const TensorEntry& entry) {
  switch (status) {
    case NumberStatus::kNotInteger:
      sink_.TensorError(Code::kIntegerExpected, At(pos), NameOf(entry),
                        StrCat(field, " holds a float, an exponent, -0 or a negative number"));
      break;
    case NumberStatus::kTooLarge:
      sink_.TensorError(Code::kIntegerTooLarge, At(pos), NameOf(entry),
                        StrCat(field, " holds an integer above 2^64-1"));
      break;
    case NumberStatus::kWrongType:
      sink_.TensorError(Code::kFieldWrongType, At(pos), NameOf(entry),
                        StrCat(field, " holds a value that is not a number"));
      break;
    case NumberStatus::kOk:
    case NumberStatus::kJsonProblem:
      break;
  }
  return false;
}

}  // namespace stguard::internal
