#include "tensor_table.h"

#include <algorithm>
#include <new>
#include <optional>
#include <string>

#include "checked_math.h"
#include "duplicate_names.h"
#include "fast_paths.h"
#include "huge_pages.h"
#include "json_reader.h"
#include "plain_entries.h"
#include "str_cat.h"
#include "tensor_names.h"
#include "tensor_schema.h"
#include "work_counter.h"

namespace stguard::internal {
namespace {

constexpr std::string_view kMetadataKey = "__metadata__";

}  // namespace

void NameArena::Reserve(size_t bytes) {
  if (bytes <= bytes_.capacity() - bytes_.size()) return;
  const size_t wanted = bytes_.size() + bytes;
  bytes_.reserve(wanted);
  AdviseHugePages(bytes_.data(), bytes_.capacity());
}

NameRef NameArena::Copy(std::string_view text) {
  // Offsets and sizes are 32-bit: past that (never for a header within the
  // 100,000,000-byte ceiling) the validation fails as out of memory.
  if (text.size() > UINT32_MAX - bytes_.size()) throw std::bad_alloc();
  const NameRef name{static_cast<uint32_t>(bytes_.size()), static_cast<uint32_t>(text.size())};
  bytes_.insert(bytes_.end(), text.begin(), text.end());
  return name;
}

std::span<const uint64_t> TensorTable::Shape(const TensorEntry& entry) const {
  const auto it = std::lower_bound(
      shapes.begin(), shapes.end(), entry.key_pos,
      [](const ShapeRef& shape, uint32_t key_pos) { return shape.key_pos < key_pos; });
  if (it == shapes.end() || it->key_pos != entry.key_pos) return {};
  return std::span<const uint64_t>(dims).subspan(it->dims_begin, it->rank);
}

class TableBuilder::Impl {
 public:
  Impl(uint64_t file_offset, const Policy& policy, bool collect_dims, FindingSink& sink,
       TensorTable& table)
      : file_offset_(file_offset),
        policy_(policy),
        collect_dims_(collect_dims),
        sink_(sink),
        table_(table),
        plain_(policy),
        schema_(file_offset, policy, collect_dims, sink, table) {}

  void ReserveForText(size_t text_bytes) {
    Reserve(text_bytes / kMinMemberBytes + 1, text_bytes);
  }

  bool AddPlainMember(const char* p, size_t n, size_t& pos) {
    CountWork(1);
    // Plain entries nest three deep (object, entry, shape): a policy that
    // allows less gets the schema reader's depth finding.
    if (!FastPathsEnabled() || policy_.max_json_depth < 3) return false;
    size_t i = pos;
    const size_t key_pos = i;
    std::string_view name;
    if (!PlainReader::ReadString(p, n, i, name)) return false;
    PlainReader::SkipWs(p, n, i);
    if (i >= n || p[i] != ':') return false;
    ++i;
    PlainReader::SkipWs(p, n, i);
    if (name == kMetadataKey) {
      if (metadata_seen_ || !plain_.ReadMetadata(p, n, i)) return false;
      metadata_seen_ = true;
      pos = i;
      return true;
    }
    PlainReader::Entry value;
    const size_t value_pos = i;
    const bool array_form = i < n && p[i] == '[';
    if (!(array_form ? plain_.ReadArrayEntry(p, n, i, value) : plain_.ReadEntry(p, n, i, value))) {
      return false;
    }
    // The name draws none of CheckName's findings.
    const NameScan scan = ScanName(name);
    if (name.empty() || name.size() > policy_.max_name_bytes ||
        (scan.may_hold_control && HasControlChar(name, false)) ||
        (policy_.path_like_names != Action::kIgnore &&
         (scan.may_be_path_like || name.front() == '/') && IsPathLike(name))) {
      return false;
    }
    CountTensorEntry(key_pos);
    TensorEntry entry;
    entry.name = table_.names.Copy(name);
    entry.key_pos = static_cast<uint32_t>(key_pos);
    if (array_form) schema_.ReportArrayForm(file_offset_ + value_pos, name);
    ApplyPlainEntry(value, entry);
    Append(entry, scan.hash, dims_begin_, rank_);
    pos = i;
    return true;
  }

  bool AddMember(JsonReader& reader, std::string_view key, size_t key_pos) {
    if (key == kMetadataKey) {
      if (metadata_seen_) {
        sink_.Error(Code::kDuplicateMetadataBlock, file_offset_ + key_pos,
                    "__metadata__ appears again");
      }
      metadata_seen_ = true;
      return schema_.ReadMetadata(reader);
    }
    CountTensorEntry(key_pos);
    TensorEntry entry;
    entry.name = table_.names.Copy(key);
    entry.key_pos = static_cast<uint32_t>(key_pos);
    const NameScan scan = ScanName(key);
    CheckName(entry, scan);
    switch (schema_.ReadTensorEntry(reader, entry)) {
      case SchemaReader::Entry::kValid:
        Append(entry, scan.hash, schema_.dims_begin(), schema_.rank());
        return true;
      case SchemaReader::Entry::kInvalid:
        table_.complete = false;
        return true;
      case SchemaReader::Entry::kJsonProblem:
        return false;
    }
    return false;
  }

  void Finish() {
    KeepLastOfEachName(entries_, name_hashes_, file_offset_, policy_, sink_, table_);
  }

 private:
  // The fewest bytes a valid member takes with the separator before it:
  // ,"":["U8",[],[0,0]] is 19 (the array form, which the reference reads).
  static constexpr size_t kMinMemberBytes = 19;

  void Reserve(size_t members, size_t text_bytes) {
    table_.names.Reserve(text_bytes);
    const size_t wanted = entries_.size() + members;
    if (wanted > entries_.capacity()) {
      entries_.reserve(wanted);
      AdviseHugePages(entries_.data(), entries_.capacity() * sizeof(TensorEntry));
    }
    if (wanted > name_hashes_.capacity()) {
      name_hashes_.reserve(wanted);
      AdviseHugePages(name_hashes_.data(), name_hashes_.capacity() * sizeof(uint64_t));
    }
  }

  // Every tensor entry counts toward the policy's limit, valid or not.
  void CountTensorEntry(size_t key_pos) {
    ++tensor_entries_;
    if (tensor_entries_ == policy_.max_tensors + 1 && policy_.max_tensors != kNoLimit) {
      sink_.Error(Code::kTooManyTensors, file_offset_ + key_pos,
                  StrCat("more than ", policy_.max_tensors, " tensor entries"));
    }
  }

  // A valid entry goes into the table, with its name's hash and (when
  // collecting) where its shape's dimensions are.
  void Append(const TensorEntry& entry, uint64_t name_hash, uint32_t dims_begin, uint32_t rank) {
    entries_.push_back(entry);
    name_hashes_.push_back(name_hash);
    if (collect_dims_) table_.shapes.push_back({entry.key_pos, dims_begin, rank});
  }

  void CheckName(const TensorEntry& entry, const NameScan& scan) {
    const uint64_t pos = file_offset_ + entry.key_pos;
    const std::string_view name = table_.Name(entry);
    if (name.empty()) {
      sink_.AddAction(Code::kTensorNameEmpty, policy_.empty_tensor_names, pos, name,
                      "tensor name is empty");
    }
    if (scan.may_hold_control && HasControlChar(name, false)) {
      sink_.AddAction(Code::kTensorNameControlChar, policy_.control_chars_in_names, pos, name,
                      StrCat("tensor name ", Quote(name), " holds a control character"));
    }
    if (name.size() > policy_.max_name_bytes) {
      sink_.TensorError(Code::kTensorNameTooLong, pos, name,
                        StrCat("tensor name of ", name.size(), " bytes (limit ",
                               policy_.max_name_bytes, ")"));
    }
    if (policy_.path_like_names != Action::kIgnore &&
        (scan.may_be_path_like || (!name.empty() && name.front() == '/')) && IsPathLike(name)) {
      sink_.AddAction(Code::kTensorNamePathLike, policy_.path_like_names, pos, name,
                      StrCat("tensor name ", Quote(name), " looks like a path"));
    }
  }

  // Sets what the schema reader sets for the same entry.
  void ApplyPlainEntry(const PlainReader::Entry& plain, TensorEntry& entry) {
    entry.dtype = plain.dtype;
    entry.shape_pos = static_cast<uint32_t>(plain.shape_at);
    entry.offsets_pos = static_cast<uint32_t>(plain.offsets_at);
    dims_begin_ = static_cast<uint32_t>(table_.dims.size());
    rank_ = static_cast<uint32_t>(plain.rank);
    if (collect_dims_) table_.dims.insert(table_.dims.end(), plain.dims, plain.dims + plain.rank);
    // Left to right, as the reference folds (see SchemaReader::ReadShape).
    uint64_t elements = 1;
    bool overflow = false;
    for (size_t d = 0; d < plain.rank && !overflow; ++d) {
      const std::optional<uint64_t> product = CheckedMul(elements, plain.dims[d]);
      if (product) {
        elements = *product;
      } else {
        overflow = true;
      }
    }
    entry.elements = elements;
    entry.size_overflow = overflow;
    entry.begin = plain.offsets[0];
    entry.end = plain.offsets[1];
    ComputeByteSize(entry);
  }

  uint64_t file_offset_;
  const Policy& policy_;
  bool collect_dims_;
  FindingSink& sink_;
  TensorTable& table_;
  PlainReader plain_;
  SchemaReader schema_;
  bool metadata_seen_ = false;
  uint64_t tensor_entries_ = 0;
  std::vector<TensorEntry> entries_;
  std::vector<uint64_t> name_hashes_;  // ScanName's hash of each entry's name
  uint32_t dims_begin_ = 0;  // the plain entry's dimensions, when collecting
  uint32_t rank_ = 0;
};

TableBuilder::TableBuilder(uint64_t file_offset, const Policy& policy, bool collect_dims,
                           FindingSink& sink, TensorTable& table)
    : impl_(std::make_unique<Impl>(file_offset, policy, collect_dims, sink, table)) {}
TableBuilder::~TableBuilder() = default;
void TableBuilder::ReserveForText(size_t text_bytes) { impl_->ReserveForText(text_bytes); }
bool TableBuilder::AddPlainMember(const char* header, size_t size, size_t& pos) {
  return impl_->AddPlainMember(header, size, pos);
}
bool TableBuilder::AddMember(JsonReader& reader, std::string_view key, size_t key_pos) {
  return impl_->AddMember(reader, key, key_pos);
}
void TableBuilder::Finish() { impl_->Finish(); }

}  // namespace stguard::internal
