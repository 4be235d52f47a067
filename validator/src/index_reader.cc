#include "index_reader.h"

#include <simdjson.h>

#include <algorithm>
#include <bit>
#include <cstring>

#include "duplicate_names.h"
#include "json_reader.h"
#include "str_cat.h"
#include "tensor_names.h"
#include "work_counter.h"

namespace stguard::internal {
namespace {

std::string_view RawKey(std::string_view text, const ListedTensor& t) {
  return text.substr(t.key_pos + 1, t.raw_size & ~ListedTensor::kEscaped);
}

class Reader {
 public:
  Reader(std::string_view text, const Policy& policy, FindingSink& sink, IndexContent& out)
      : text_(text), policy_(policy), sink_(sink), out_(out),
        json_(text, kMaxJsonDepthCeiling, "index") {}

  bool Run() {
    JsonType type;
    if (!json_.PeekType(type)) return JsonProblem();
    if (type != JsonType::kObject) {
      // Still JSON? Only then is the schema the problem.
      if (!json_.SkipValue() || !Trailing()) return JsonProblem();
      sink_.Error(Code::kIndexSchema, 0, "the index must be a JSON object");
      return false;
    }
    json_.EnterObject();
    KeyList top_keys(text_);
    bool has_weight_map = false;
    bool usable = true;
    std::string_view key;
    size_t key_pos;
    while (json_.NextMember(key, key_pos)) {
      top_keys.Add(key_pos, key);
      if (key == "weight_map") {
        has_weight_map = true;
        out_.weight_map_pos = static_cast<uint32_t>(key_pos);
        if (!ReadWeightMap(usable)) return JsonProblem();
      } else if (key == "metadata") {
        if (!ReadMetadata()) return JsonProblem();
      } else if (!json_.SkipValue()) {
        return JsonProblem();
      }
    }
    if (!json_.ok() || !Trailing()) return JsonProblem();
    ReportRepeats(top_keys, "the index");
    if (!has_weight_map) {
      sink_.Error(Code::kIndexSchema, 0, "the index has no weight_map");
      return false;
    }
    if (!usable) return false;
    SortAndMarkShadowed();
    return true;
  }

 private:
  bool JsonProblem() {
    const internal::JsonProblem& problem = json_.problem();
    sink_.Error(Code::kIndexInvalid, problem.pos,
                StrCat("index is not valid JSON: ", problem.Message("index")));
    return false;
  }

  bool Trailing() {
    json_.SkipWhitespace();
    if (json_.pos() < text_.size()) {
      return json_.Fail(Code::kJsonSyntax, "content after the index's JSON value", json_.pos());
    }
    return true;
  }

  void ReportRepeats(KeyList& keys, std::string_view where) {
    keys.ForEachRepeat([&](std::string_view repeated, size_t pos, size_t) {
      sink_.AddAction(Code::kIndexDuplicateKey, policy_.index_consistency, pos, repeated,
                      sink_.Wants(Code::kIndexDuplicateKey) ? StrCat("key repeated in ", where)
                                                            : std::string());
    });
  }

  // False on a JSON problem; `usable` turns false on a schema problem.
  bool ReadWeightMap(bool& usable) {
    JsonType type;
    if (!json_.PeekType(type)) return false;
    if (type != JsonType::kObject) {
      sink_.Error(Code::kIndexSchema, json_.pos(), "weight_map must be an object");
      usable = false;
      return json_.SkipValue();
    }
    // A repeated weight_map (reported as a repeated key): the last is read.
    out_.tensors.clear();
    // Room for as many entries as the text could hold ("a":"b", is 8
    // bytes), taken once: regrowing a table of 12 million entries would hold
    // the old and the new one at once. Untouched room is address space.
    out_.tensors.reserve(text_.size() / 8 + 1);
    out_.shard_names.clear();
    out_.shard_first_pos.clear();
    shard_ids_.clear();
    json_.EnterObject();
    std::string_view tensor;
    size_t key_pos;
    while (json_.NextMember(tensor, key_pos)) {
      const size_t key_end = json_.KeyEnd();
      const uint64_t hash = HashName(tensor);
      JsonType value_type;
      if (!json_.PeekType(value_type)) return false;
      const size_t value_pos = json_.pos();
      if (value_type != JsonType::kString) {
        sink_.Error(Code::kIndexSchema, value_pos,
                    "weight_map values must be shard file names (strings)");
        usable = false;
        if (!json_.SkipValue()) return false;
        continue;
      }
      std::string_view shard;
      if (!json_.ReadString(shard)) return false;
      const uint16_t shard_id = Intern(shard, value_pos, usable);
      ListedTensor entry;
      entry.hash = hash;
      entry.key_pos = static_cast<uint32_t>(key_pos);
      const size_t raw = key_end - key_pos - 2;
      const bool escaped = std::memchr(text_.data() + key_pos + 1, '\\', raw) != nullptr;
      entry.raw_size = static_cast<uint32_t>(raw) | (escaped ? ListedTensor::kEscaped : 0u);
      entry.shard = shard_id;
      out_.tensors.push_back(entry);
    }
    return json_.ok();
  }

  uint16_t Intern(std::string_view shard, size_t pos, bool& usable) {
    const auto found = shard_ids_.find(std::string(shard));
    if (found != shard_ids_.end()) return found->second;
    if (out_.shard_names.size() >= kMaxShardNamesPerIndex) {
      if (usable) {
        sink_.Error(Code::kCheckpointFanOut, pos,
                    StrCat("more than ", kMaxShardNamesPerIndex, " distinct shard names"));
      }
      usable = false;
      return 0;
    }
    const auto id = static_cast<uint16_t>(out_.shard_names.size());
    out_.shard_names.emplace_back(shard);
    out_.shard_first_pos.push_back(static_cast<uint32_t>(pos));
    shard_ids_.emplace(std::string(shard), id);
    return id;
  }

  bool ReadMetadata() {
    JsonType type;
    if (!json_.PeekType(type)) return false;
    if (type != JsonType::kObject) {
      sink_.Error(Code::kIndexSchema, json_.pos(), "metadata must be an object");
      return json_.SkipValue();
    }
    json_.EnterObject();
    KeyList keys(text_);
    std::string_view field;
    size_t key_pos;
    while (json_.NextMember(field, key_pos)) {
      keys.Add(key_pos, field);
      const bool is_size = field == "total_size";
      if (!is_size && field != "total_parameters") {
        if (!json_.SkipValue()) return false;
        continue;
      }
      const std::string name(field);
      JsonType value_type;
      if (!json_.PeekType(value_type)) return false;
      const size_t value_pos = json_.pos();
      JsonNumber number;
      if (value_type == JsonType::kNumber) {
        if (!json_.ReadNumber(number)) return false;
      } else if (!json_.SkipValue()) {
        return false;
      }
      if (value_type != JsonType::kNumber || !number.fits_u64) {
        sink_.Error(Code::kIndexSchema, value_pos,
                    StrCat("metadata.", name, " must be a non-negative integer"));
      } else if (is_size) {
        out_.total_size = number.u64;
        out_.total_size_pos = static_cast<uint32_t>(value_pos);
      } else {
        out_.total_parameters = number.u64;
        out_.total_parameters_pos = static_cast<uint32_t>(value_pos);
      }
    }
    if (!json_.ok()) return false;
    ReportRepeats(keys, "metadata");
    return true;
  }

  // Sorts by (hash, name, position) and reports every entry after the
  // first of a name (803); a loader's dict keeps the last.
  // Sorts the entries by (hash, name, position), the order Find searches,
  // and marks every entry a later one of its name shadows. The sort compares
  // integers only, (hash, position); names are compared within runs of one
  // hash, each entry against the run's first once, and a run is sorted by
  // name only when it mixes names (a collision). A name repeated 12 million
  // times took 2.2 s of string comparisons in the sort.
  void SortAndMarkShadowed() {
    std::vector<ListedTensor>& t = out_.tensors;
    CountWork(t.size() * (1 + std::bit_width(t.size())));
    std::sort(t.begin(), t.end(), [](const ListedTensor& a, const ListedTensor& b) {
      return a.hash != b.hash ? a.hash < b.hash : a.key_pos < b.key_pos;
    });
    for (size_t begin = 0; begin < t.size();) {
      size_t end = begin + 1;
      while (end < t.size() && t[end].hash == t[begin].hash) ++end;
      bool one_name = true;
      for (size_t i = begin + 1; i < end && one_name; ++i) {
        one_name = CompareNames(t[begin], t[i]) == 0;
      }
      if (!one_name) {
        std::sort(t.begin() + begin, t.begin() + end,
                  [&](const ListedTensor& a, const ListedTensor& b) {
                    const int order = CompareNames(a, b);
                    return order != 0 ? order < 0 : a.key_pos < b.key_pos;
                  });
      }
      for (size_t i = begin; i + 1 < end; ++i) {
        if (!one_name && CompareNames(t[i], t[i + 1]) != 0) continue;
        t[i].shadowed = 1;
        sink_.AddAction(Code::kIndexDuplicateKey, policy_.index_consistency, t[i + 1].key_pos,
                        out_.Name(t[i + 1]),
                        sink_.Wants(Code::kIndexDuplicateKey) ? "key repeated in weight_map"
                                                              : std::string());
      }
      begin = end;
    }
  }

  int CompareNames(const ListedTensor& a, const ListedTensor& b) {
    std::string_view x = RawKey(text_, a);
    std::string_view y = RawKey(text_, b);
    CountWork(1 + std::min(x.size(), y.size()) / 16);
    // The same text is the same name: a repeated key written alike is
    // decided without decoding it.
    if (((a.raw_size | b.raw_size) & ListedTensor::kEscaped) == 0 || x == y) return x.compare(y);
    if ((a.raw_size & ListedTensor::kEscaped) != 0) {
      DecodeJsonString(x, decoded_a_);
      x = decoded_a_;
    }
    if ((b.raw_size & ListedTensor::kEscaped) != 0) {
      DecodeJsonString(y, decoded_b_);
      y = decoded_b_;
    }
    return x.compare(y);
  }

  std::string_view text_;
  const Policy& policy_;
  FindingSink& sink_;
  IndexContent& out_;
  JsonReader json_;
  std::unordered_map<std::string, uint16_t> shard_ids_;
  std::string decoded_a_, decoded_b_;
};

}  // namespace

std::string_view IndexContent::Name(const ListedTensor& entry) {
  const std::string_view raw = RawKey(text_, entry);
  if ((entry.raw_size & ListedTensor::kEscaped) == 0) return raw;
  DecodeJsonString(raw, scratch_);
  return scratch_;
}

ListedTensor* IndexContent::Find(std::string_view name, uint64_t hash) {
  // Entries are sorted by (hash, name, position): the one a loader uses is
  // the last of its name, just before the first entry past (hash, name).
  // Binary search only: a name repeated a million times costs log n too.
  const auto past = std::upper_bound(
      tensors.begin(), tensors.end(), hash, [&](uint64_t h, const ListedTensor& t) {
        CountWork(1 + name.size() / 16);
        if (h != t.hash) return h < t.hash;
        return name < Name(t);
      });
  if (past == tensors.begin()) return nullptr;
  ListedTensor* last = &*(past - 1);
  CountWork(1 + name.size() / 16);
  return last->hash == hash && Name(*last) == name ? last : nullptr;
}

bool ReadIndex(std::string_view text, const Policy& policy, FindingSink& sink,
               IndexContent& out) {
  const auto* bytes = reinterpret_cast<const uint8_t*>(text.data());
  if (!simdjson::validate_utf8(text.data(), text.size())) {
    sink.Error(Code::kIndexInvalid, FirstInvalidUtf8(bytes, text.size()),
               "index is not valid UTF-8");
    return false;
  }
  return Reader(text, policy, sink, out).Run();
}

}  // namespace stguard::internal
