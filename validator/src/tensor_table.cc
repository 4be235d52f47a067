#include "tensor_table.h"

#include <algorithm>
#include <cstring>
#include <numeric>
#include <string>

#include "checked_math.h"
#include "huge_pages.h"
#include "json_cursor.h"

namespace stguard::internal {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

constexpr std::string_view kMetadataKey = "__metadata__";

// C0 controls, DEL and C1 controls (U+0080..U+009F, which some terminals
// obey as escape sequences).
bool HasControlChar(std::string_view text, bool allow_tab_cr_lf) {
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20) {
      if (allow_tab_cr_lf && (c == '\t' || c == '\n' || c == '\r')) continue;
      return true;
    }
    if (c == 0x7F) return true;
    if (c == 0xC2 && i + 1 < text.size()) {
      const auto next = static_cast<unsigned char>(text[i + 1]);
      if (next >= 0x80 && next <= 0x9F) return true;
    }
  }
  return false;
}

bool IsPathLike(std::string_view name) {
  if (name.empty()) return false;
  if (name.front() == '/' || name.find('\\') != std::string_view::npos) return true;
  // A ".." component: "..", "../x", "x/..", "x/../y".
  size_t start = 0;
  while (start <= name.size()) {
    size_t slash = name.find('/', start);
    if (slash == std::string_view::npos) slash = name.size();
    if (name.substr(start, slash - start) == "..") return true;
    start = slash + 1;
  }
  return false;
}

// Renders decoded text for a message: short, with control characters and
// quotes escaped so the message stays one line.
std::string Quote(std::string_view text) {
  constexpr size_t kMax = 64;
  std::string out = "\"";
  for (size_t i = 0; i < text.size() && i < kMax; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7F || c == '"' || c == '\\') {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (text.size() > kMax) out += "...";
  out += "\"";
  return out;
}

// FNV-1a, 64-bit: deterministic across runs and machines.
uint64_t HashName(std::string_view name) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (const char c : name) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ull;
  }
  return hash;
}

enum class NumberStatus { kOk, kNotInteger, kTooLarge, kWrongType };

}  // namespace

std::string_view NameArena::Copy(std::string_view text) {
  if (text.empty()) return {};
  char* copy;
  if (text.size() > kBlockBytes / 4) {
    // A large name gets a block of its own; the current block stays open.
    blocks_.push_back(std::unique_ptr<char[]>(new char[text.size()]));
    copy = blocks_.back().get();
  } else {
    if (current_ == nullptr || kBlockBytes - used_ < text.size()) {
      blocks_.push_back(std::unique_ptr<char[]>(new char[kBlockBytes]));
      current_ = blocks_.back().get();
      used_ = 0;
    }
    copy = current_ + used_;
    used_ += text.size();
  }
  std::memcpy(copy, text.data(), text.size());
  return {copy, text.size()};
}

class TableBuilder::Impl {
 public:
  Impl(uint64_t file_offset, const Policy& policy, bool collect_dims, FindingSink& sink,
       TensorTable& table)
      : file_offset_(file_offset),
        policy_(policy),
        collect_dims_(collect_dims),
        sink_(sink),
        table_(table) {}

  bool AddBatch(const ParsedBatch& batch) {
    json_ = &batch;
    base_ = batch.base;
    JsonCursor cursor(batch.text);
    cursor_ = &cursor;
    cursor.Enter();
    for (simdjson::dom::key_value_pair member : simdjson::dom::object(batch.root)) {
      const size_t key_pos = cursor.NextKey();
      if (member.key == kMetadataKey) {
        if (metadata_seen_) {
          sink_.Error(Code::kDuplicateMetadataBlock, At(key_pos), "__metadata__ appears again");
        }
        metadata_seen_ = true;
        ParseMetadata(member.value);
      } else {
        ++tensor_entries_;
        if (tensor_entries_ == policy_.max_tensors + 1 && policy_.max_tensors != kNoLimit) {
          sink_.Error(Code::kTooManyTensors, At(key_pos),
                      "more than " + std::to_string(policy_.max_tensors) + " tensor entries");
        }
        TensorEntry entry;
        entry.name = names_.Copy(member.key);
        entry.key_pos = Pos(key_pos);
        CheckName(entry);
        if (ParseTensorEntry(member.value, entry)) {
          entries_.push_back(entry);
        } else {
          table_.complete = false;
        }
      }
      if (cursor.desynced()) break;
    }
    cursor.Leave();
    cursor_ = nullptr;
    json_ = nullptr;
    if (cursor.desynced()) {
      sink_.Error(Code::kInternalError, At(0), "JSON position tracking lost step");
      return false;
    }
    return true;
  }

  void Finish() { KeepLastOfEachName(entries_); }
  void Reserve(size_t members) {
    entries_.reserve(members);
    AdviseHugePages(entries_.data(), entries_.capacity() * sizeof(TensorEntry));
  }

 private:
  // Batch text position -> file offset, and -> header position (stored).
  uint64_t At(size_t text_pos) const { return file_offset_ + base_ + text_pos; }
  uint32_t Pos(size_t text_pos) const { return static_cast<uint32_t>(base_ + text_pos); }
  uint64_t AtHeader(uint32_t header_pos) const { return file_offset_ + header_pos; }

  void ParseMetadata(element value) {
    const size_t value_pos = cursor_->NextValue();
    if (value.is_null()) {
      sink_.AddAction(Code::kMetadataNull, policy_.metadata_null, At(value_pos), {},
                      "__metadata__ is null");
      cursor_->SkipValue();
      return;
    }
    simdjson::dom::object object;
    if (value.get_object().get(object) != simdjson::SUCCESS) {
      sink_.Error(Code::kMetadataNotObject, At(value_pos),
                  "__metadata__ must be an object of strings or null");
      cursor_->SkipValue();
      return;
    }
    cursor_->Enter();
    std::vector<std::pair<std::string_view, size_t>> keys;
    for (simdjson::dom::key_value_pair kv : object) {
      const size_t key_pos = cursor_->NextKey();
      const size_t entry_pos = cursor_->NextValue();
      keys.emplace_back(kv.key, key_pos);
      if (keys.size() == policy_.max_metadata_entries + 1 &&
          policy_.max_metadata_entries != kNoLimit) {
        sink_.Error(Code::kTooManyMetadataEntries, At(key_pos),
                    "more than " + std::to_string(policy_.max_metadata_entries) +
                        " __metadata__ entries");
      }
      if (kv.key.size() > policy_.max_metadata_value_bytes) {
        sink_.Error(Code::kMetadataValueTooLong, At(key_pos),
                    "__metadata__ key of " + std::to_string(kv.key.size()) + " bytes");
      }
      if (HasControlChar(kv.key, false)) {
        sink_.AddAction(Code::kMetadataControlChar, policy_.control_chars_in_metadata, At(key_pos),
                        {}, "__metadata__ key " + Quote(kv.key) + " holds a control character");
      }
      std::string_view text;
      if (kv.value.get_string().get(text) != simdjson::SUCCESS) {
        sink_.Error(Code::kMetadataValueNotString, At(entry_pos),
                    "__metadata__ value for " + Quote(kv.key) + " is not a string");
      } else {
        if (text.size() > policy_.max_metadata_value_bytes) {
          sink_.Error(Code::kMetadataValueTooLong, At(entry_pos),
                      "__metadata__ value for " + Quote(kv.key) + " has " +
                          std::to_string(text.size()) + " bytes");
        }
        if (HasControlChar(text, true)) {
          sink_.AddAction(Code::kMetadataControlChar, policy_.control_chars_in_metadata,
                          At(entry_pos), {},
                          "__metadata__ value for " + Quote(kv.key) +
                              " holds a control character");
        }
      }
      cursor_->SkipValue();
    }
    cursor_->Leave();
    ReportDuplicates(keys, [&](std::string_view key, size_t pos, size_t first_pos) {
      sink_.AddAction(Code::kDuplicateMetadataKey, policy_.duplicate_metadata_keys, At(pos), {},
                      "__metadata__ key " + Quote(key) + " repeats the one at offset " +
                          std::to_string(At(first_pos)) + " (the reference keeps the last)");
    });
  }

  // Calls report(key, pos, first_pos) for every occurrence after the first of
  // a key. O(n log n): sorts by key, then by position.
  template <typename Report>
  static void ReportDuplicates(std::vector<std::pair<std::string_view, size_t>>& keys,
                               Report report) {
    std::sort(keys.begin(), keys.end());
    for (size_t i = 1; i < keys.size(); ++i) {
      if (keys[i].first != keys[i - 1].first) continue;
      size_t first = i - 1;
      while (first > 0 && keys[first - 1].first == keys[i].first) --first;
      report(keys[i].first, keys[i].second, keys[first].second);
    }
  }

  void CheckName(const TensorEntry& entry) {
    const uint64_t pos = AtHeader(entry.key_pos);
    const std::string_view name = entry.name;
    if (name.empty()) {
      sink_.AddAction(Code::kTensorNameEmpty, policy_.empty_tensor_names, pos, name,
                      "tensor name is empty");
    }
    if (HasControlChar(name, false)) {
      sink_.AddAction(Code::kTensorNameControlChar, policy_.control_chars_in_names, pos, name,
                      "tensor name " + Quote(name) + " holds a control character");
    }
    if (name.size() > policy_.max_name_bytes) {
      sink_.TensorError(Code::kTensorNameTooLong, pos, name,
                        "tensor name of " + std::to_string(name.size()) + " bytes (limit " +
                            std::to_string(policy_.max_name_bytes) + ")");
    }
    if (policy_.path_like_names != Action::kIgnore && IsPathLike(name)) {
      sink_.AddAction(Code::kTensorNamePathLike, policy_.path_like_names, pos, name,
                      "tensor name " + Quote(name) + " looks like a path");
    }
  }

  // Consumes the entry's value from the cursor. Returns true when all three
  // fields were present with valid values.
  bool ParseTensorEntry(element value, TensorEntry& entry) {
    const size_t value_pos = cursor_->NextValue();
    const std::string_view name = entry.name;
    bool has_dtype = false, has_shape = false, has_offsets = false;
    bool ok = true;
    switch (value.type()) {
      case element_type::OBJECT: {
        cursor_->Enter();
        for (simdjson::dom::key_value_pair field : simdjson::dom::object(value)) {
          const size_t field_pos = cursor_->NextKey();
          bool* seen = nullptr;
          if (field.key == "dtype") {
            seen = &has_dtype;
          } else if (field.key == "shape") {
            seen = &has_shape;
          } else if (field.key == "data_offsets") {
            seen = &has_offsets;
          } else {
            sink_.AddAction(Code::kFieldUnknown, policy_.unknown_fields, At(field_pos), name,
                            sink_.Wants(Code::kFieldUnknown) ? "unknown field " + Quote(field.key)
                                                             : std::string());
            cursor_->SkipValue();
            continue;
          }
          if (*seen) {
            sink_.TensorError(Code::kDuplicateField, At(field_pos), name,
                              "field \"" + std::string(field.key) + "\" appears twice");
            ok = false;
          }
          *seen = true;
          ok &= ParseField(field.key, field.value, entry);
        }
        cursor_->Leave();
        break;
      }
      case element_type::ARRAY: {
        sink_.AddAction(Code::kTensorEntryArrayForm, policy_.tensor_entry_array, At(value_pos),
                        name, "tensor entry written as [dtype, shape, data_offsets]");
        const simdjson::dom::array items(value);
        size_t count = 0;
        for (element item : items) {
          (void)item;
          ++count;
        }
        if (count != 3) {
          sink_.TensorError(Code::kTensorEntryInvalid, At(value_pos), name,
                            "tensor entry array has " + std::to_string(count) +
                                " items, expected [dtype, shape, data_offsets]");
          cursor_->SkipValue();
          return false;
        }
        constexpr std::string_view kPositional[] = {"dtype", "shape", "data_offsets"};
        cursor_->Enter();
        size_t i = 0;
        for (element item : items) ok &= ParseField(kPositional[i++], item, entry);
        cursor_->Leave();
        has_dtype = has_shape = has_offsets = true;
        break;
      }
      default:
        sink_.TensorError(Code::kTensorEntryInvalid, At(value_pos), name,
                          "tensor entry must be an object with dtype, shape and data_offsets");
        cursor_->SkipValue();
        return false;
    }
    for (auto [present, field] : {std::pair{has_dtype, "dtype"}, std::pair{has_shape, "shape"},
                                  std::pair{has_offsets, "data_offsets"}}) {
      if (!present) {
        sink_.TensorError(Code::kFieldMissing, AtHeader(entry.key_pos), name,
                          std::string("missing field \"") + field + "\"");
        ok = false;
      }
    }
    if (ok) ComputeByteSize(entry);
    return ok;
  }

  // Consumes one field's value. Returns true when it is valid.
  bool ParseField(std::string_view field, element value, TensorEntry& entry) {
    if (field == "dtype") return ParseDtype(value, entry);
    if (field == "shape") return ParseShape(value, entry);
    return ParseOffsets(value, entry);
  }

  bool ParseDtype(element value, TensorEntry& entry) {
    const size_t pos = cursor_->NextValue();
    std::string_view dtype_name;
    bool well_formed = false;
    if (value.get_string().get(dtype_name) == simdjson::SUCCESS) {
      well_formed = true;
    } else if (value.is_object()) {
      // The reference's enum deserializer also takes {"F32": null} (and an
      // empty object as the unit value).
      const simdjson::dom::object object(value);
      size_t members = 0;
      bool unit_value = false;
      for (simdjson::dom::key_value_pair kv : object) {
        ++members;
        dtype_name = kv.key;
        simdjson::dom::object inner;
        unit_value = kv.value.is_null() ||
                     (kv.value.get_object().get(inner) == simdjson::SUCCESS && IsEmpty(inner));
      }
      well_formed = members == 1 && unit_value;
      if (well_formed) {
        sink_.AddAction(Code::kDtypeObjectForm, policy_.dtype_object_form, At(pos), entry.name,
                        "dtype written as an object " + Quote(dtype_name) + ": null");
      }
    }
    cursor_->SkipValue();
    if (!well_formed) {
      sink_.TensorError(Code::kFieldWrongType, At(pos), entry.name,
                        "dtype must be a string such as \"F32\"");
      return false;
    }
    const std::optional<Dtype> dtype = DtypeFromName(dtype_name);
    if (!dtype) {
      sink_.TensorError(Code::kDtypeUnknown, At(pos), entry.name,
                        "unknown dtype " + Quote(dtype_name));
      return false;
    }
    entry.dtype = *dtype;
    if ((policy_.allowed_dtypes >> static_cast<unsigned>(*dtype) & 1u) == 0) {
      sink_.TensorError(Code::kDtypeNotAllowed, At(pos), entry.name,
                        "dtype " + std::string(DtypeName(*dtype)) + " is not allowed by policy " +
                            policy_.name);
    }
    return true;
  }

  static bool IsEmpty(const simdjson::dom::object& object) {
    return object.begin() == object.end();
  }

  bool ParseShape(element value, TensorEntry& entry) {
    const size_t pos = cursor_->NextValue();
    entry.shape_pos = Pos(pos);
    simdjson::dom::array dims;
    if (value.get_array().get(dims) != simdjson::SUCCESS) {
      sink_.TensorError(Code::kFieldWrongType, At(pos), entry.name,
                        "shape must be an array of non-negative integers");
      cursor_->SkipValue();
      return false;
    }
    cursor_->Enter();
    bool ok = true;
    uint64_t rank = 0;
    uint64_t elements = 1;
    bool overflow = false;
    if (collect_dims_) entry.dims_begin = static_cast<uint32_t>(table_.dims.size());
    for (element dim : dims) {
      uint64_t n = 0;
      ok &= ReadU64(dim, "shape", entry, n);
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
    cursor_->Leave();
    entry.rank = static_cast<uint32_t>(std::min<uint64_t>(rank, UINT32_MAX));
    if (rank > policy_.max_rank) {
      sink_.TensorError(Code::kRankTooLarge, At(pos), entry.name,
                        "shape has " + std::to_string(rank) + " dimensions (limit " +
                            std::to_string(policy_.max_rank) + ")");
    }
    entry.elements = elements;
    entry.size_overflow = overflow;
    return ok;
  }

  bool ParseOffsets(element value, TensorEntry& entry) {
    const size_t pos = cursor_->NextValue();
    entry.offsets_pos = Pos(pos);
    simdjson::dom::array pair;
    size_t count = 0;
    if (value.get_array().get(pair) == simdjson::SUCCESS) {
      for (element item : pair) {
        (void)item;
        ++count;
      }
    }
    if (count != 2) {
      sink_.TensorError(Code::kFieldWrongType, At(pos), entry.name,
                        "data_offsets must be an array of exactly two integers [begin, end]");
      cursor_->SkipValue();
      return false;
    }
    cursor_->Enter();
    bool ok = true;
    uint64_t values[2] = {0, 0};
    size_t i = 0;
    for (element item : pair) ok &= ReadU64(item, "data_offsets", entry, values[i++]);
    cursor_->Leave();
    entry.begin = values[0];
    entry.end = values[1];
    return ok;
  }

  // Reads a shape dimension or an offset: a plain non-negative integer that
  // fits in u64, as the reference requires. Consumes it from the cursor.
  bool ReadU64(element value, const char* field, const TensorEntry& entry, uint64_t& out) {
    const size_t pos = cursor_->NextValue();
    NumberStatus status = NumberStatus::kOk;
    switch (value.type()) {
      case element_type::UINT64:
        out = value.get_uint64().value_unsafe();
        cursor_->SkipValue();
        break;
      case element_type::INT64: {
        const int64_t v = value.get_int64().value_unsafe();
        const std::string_view token = cursor_->ScalarToken();
        // simdjson reads "-0" as the integer 0; the reference as a float.
        if (v < 0 || (!token.empty() && token.front() == '-')) {
          status = NumberStatus::kNotInteger;
        } else {
          out = static_cast<uint64_t>(v);
        }
        break;
      }
      case element_type::DOUBLE: {
        const bool wide = IsWideInteger(pos);
        const std::string_view token = cursor_->ScalarToken();
        status = wide && !token.empty() && token.front() != '-' ? NumberStatus::kTooLarge
                                                                 : NumberStatus::kNotInteger;
        break;
      }
      default:
        status = NumberStatus::kWrongType;
        cursor_->SkipValue();
        break;
    }
    switch (status) {
      case NumberStatus::kOk:
        return true;
      case NumberStatus::kNotInteger:
        sink_.TensorError(Code::kIntegerExpected, At(pos), entry.name,
                          std::string(field) + " holds a float, an exponent, -0 or a negative "
                                               "number");
        return false;
      case NumberStatus::kTooLarge:
        sink_.TensorError(Code::kIntegerTooLarge, At(pos), entry.name,
                          std::string(field) + " holds an integer above 2^64-1");
        return false;
      case NumberStatus::kWrongType:
        sink_.TensorError(Code::kFieldWrongType, At(pos), entry.name,
                          std::string(field) + " holds a value that is not a number");
        return false;
    }
    return false;
  }

  bool IsWideInteger(size_t pos) const {
    const auto& spans = json_->wide_integers;
    auto it = std::lower_bound(spans.begin(), spans.end(), std::pair<size_t, size_t>{pos, 0});
    return it != spans.end() && it->first == pos;
  }

  // elements x bits, checked; whole bytes required for sub-byte dtypes.
  void ComputeByteSize(TensorEntry& entry) {
    if (entry.size_overflow) return;
    const std::optional<uint64_t> bits = CheckedMul(entry.elements, DtypeBits(entry.dtype));
    if (!bits) {
      entry.size_overflow = true;
      return;
    }
    entry.partial_byte = *bits % 8 != 0;
    entry.byte_size = *bits / 8;
  }

  // The reference keeps the last entry of each name. Reports the others and
  // leaves one entry per name, in header order, compacting in place (the
  // table can hold millions of entries).
  void KeepLastOfEachName(std::vector<TensorEntry>& entries) {
    // Sort (hash, index) pairs: compact and cache-friendly. Equal names have
    // equal hashes; within a run of equal hashes, names are compared for
    // real, so collisions cost time (n log n at worst), never correctness.
    std::vector<std::pair<uint64_t, uint32_t>> keyed(entries.size());
    AdviseHugePages(keyed.data(), keyed.size() * sizeof(keyed[0]));
    for (uint32_t i = 0; i < entries.size(); ++i) keyed[i] = {HashName(entries[i].name), i};
    std::sort(keyed.begin(), keyed.end());
    std::vector<uint32_t> order;
    order.reserve(keyed.size());
    // maybe_equal[i]: order[i] and order[i + 1] have equal hashes. Only
    // those pairs can hold equal names; the others are skipped without
    // touching the (randomly placed) entries.
    std::vector<bool> maybe_equal(keyed.size(), false);
    for (size_t run = 0; run < keyed.size();) {
      size_t run_end = run + 1;
      while (run_end < keyed.size() && keyed[run_end].first == keyed[run].first) ++run_end;
      for (size_t k = run; k + 1 < run_end; ++k) maybe_equal[k] = true;
      const size_t first = order.size();
      for (size_t k = run; k < run_end; ++k) order.push_back(keyed[k].second);
      if (run_end - run > 1) {
        std::sort(order.begin() + static_cast<std::ptrdiff_t>(first), order.end(),
                  [&](uint32_t a, uint32_t b) {
                    if (entries[a].name != entries[b].name) return entries[a].name < entries[b].name;
                    return a < b;
                  });
      }
      run = run_end;
    }
    keyed = {};
    bool any_shadowed = false;
    for (size_t i = 0; i + 1 < order.size(); ++i) {
      if (!maybe_equal[i]) continue;  // different hashes: different names
      TensorEntry& earlier = entries[order[i]];
      const TensorEntry& later = entries[order[i + 1]];
      if (earlier.name != later.name) continue;
      earlier.shadowed = true;
      any_shadowed = true;
      sink_.AddAction(Code::kDuplicateTensorName, policy_.duplicate_tensor_names,
                      AtHeader(later.key_pos), later.name,
                      sink_.Wants(Code::kDuplicateTensorName)
                          ? "tensor " + Quote(later.name) + " repeats the name at offset " +
                                std::to_string(AtHeader(earlier.key_pos)) +
                                " (the reference keeps the last)"
                          : std::string());
    }
    order = {};
    if (any_shadowed) {
      entries.erase(std::remove_if(entries.begin(), entries.end(),
                                   [](const TensorEntry& e) { return e.shadowed; }),
                    entries.end());
    }
    table_.tensors = std::move(entries);
  }

  // The batch being consumed.
  const ParsedBatch* json_ = nullptr;
  JsonCursor* cursor_ = nullptr;
  size_t base_ = 0;
  // Across batches.
  bool metadata_seen_ = false;
  uint64_t tensor_entries_ = 0;
  std::vector<TensorEntry> entries_;
  NameArena names_;
  uint64_t file_offset_;
  const Policy& policy_;
  bool collect_dims_;
  FindingSink& sink_;
  TensorTable& table_;
};

TableBuilder::TableBuilder(uint64_t file_offset, const Policy& policy, bool collect_dims,
                           FindingSink& sink, TensorTable& table)
    : impl_(std::make_unique<Impl>(file_offset, policy, collect_dims, sink, table)) {}
TableBuilder::~TableBuilder() = default;
bool TableBuilder::AddBatch(const ParsedBatch& batch) { return impl_->AddBatch(batch); }
void TableBuilder::Finish() { impl_->Finish(); }
void TableBuilder::Reserve(size_t members) { impl_->Reserve(members); }

}  // namespace stguard::internal
