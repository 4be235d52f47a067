// Sharded checkpoints: the index (model.safetensors.index.json) is parsed
// like a header (simdjson DOM, keys compared after unescaping, duplicates
// found by sorting, positions from JsonCursor), each shard it names is
// validated on its own, and then the two views of the model are compared:
// what the index says each shard holds, and what each shard holds.
#include "stguard/checkpoint.h"

#include <simdjson.h>
#include <sys/stat.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <map>
#include <memory>
#include <set>

#include "checked_math.h"
#include "file_source.h"
#include "finding_sink.h"
#include "json_reader.h"
#include "json_cursor.h"
#include "str_cat.h"

namespace stguard {
namespace {

using internal::FindingSink;
using internal::StrCat;

struct IndexEntry {
  std::string tensor;
  std::string shard;
  uint64_t offset;  // of the tensor's key in the index file
};

struct IndexContent {
  std::vector<IndexEntry> weight_map;  // in file order
  uint64_t weight_map_offset = 0;
  std::optional<uint64_t> total_size;
  uint64_t total_size_offset = 0;
  std::optional<uint64_t> total_parameters;
  uint64_t total_parameters_offset = 0;
};

std::string DirName(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// Reports each key after the first of a repeated key.
void ReportDuplicateKeys(std::vector<std::pair<std::string_view, uint64_t>> keys,
                         const char* where, const Policy& policy, FindingSink& sink) {
  std::sort(keys.begin(), keys.end());
  for (size_t i = 1; i < keys.size(); ++i) {
    if (keys[i].first != keys[i - 1].first) continue;
    sink.AddAction(Code::kIndexDuplicateKey, policy.index_consistency, keys[i].second,
                   std::string(keys[i].first), StrCat("key repeated in ", where));
  }
}

// Parses the index text; returns false (reported) when it is not usable.
bool ParseIndex(std::string_view text, const simdjson::dom::element& root, const Policy& policy,
                FindingSink& sink, IndexContent& out) {
  simdjson::dom::object object;
  if (root.get_object().get(object) != simdjson::SUCCESS) {
    sink.Error(Code::kIndexSchema, 0, "the index must be a JSON object");
    return false;
  }
  internal::JsonCursor cursor(text);
  cursor.Enter();
  std::vector<std::pair<std::string_view, uint64_t>> top_keys;
  bool has_weight_map = false;
  for (simdjson::dom::key_value_pair member : object) {
    const size_t key_pos = cursor.NextKey();
    top_keys.emplace_back(member.key, key_pos);
    const size_t value_pos = cursor.NextValue();
    if (member.key == "weight_map") {
      has_weight_map = true;
      out.weight_map_offset = key_pos;
      simdjson::dom::object map;
      if (member.value.get_object().get(map) != simdjson::SUCCESS) {
        sink.Error(Code::kIndexSchema, value_pos, "weight_map must be an object");
        cursor.SkipValue();
        continue;
      }
      out.weight_map.clear();
      cursor.Enter();
      for (simdjson::dom::key_value_pair entry : map) {
        const size_t entry_pos = cursor.NextKey();
        const size_t shard_pos = cursor.NextValue();
        std::string_view shard;
        if (entry.value.get_string().get(shard) != simdjson::SUCCESS) {
          sink.Error(Code::kIndexSchema, shard_pos,
                     "weight_map values must be shard file names (strings)");
        } else {
          out.weight_map.push_back({std::string(entry.key), std::string(shard), entry_pos});
        }
        cursor.SkipValue();
      }
      cursor.Leave();
    } else if (member.key == "metadata") {
      simdjson::dom::object metadata;
      if (member.value.get_object().get(metadata) != simdjson::SUCCESS) {
        sink.Error(Code::kIndexSchema, value_pos, "metadata must be an object");
        cursor.SkipValue();
        continue;
      }
      std::vector<std::pair<std::string_view, uint64_t>> keys;
      cursor.Enter();
      for (simdjson::dom::key_value_pair field : metadata) {
        const size_t field_pos = cursor.NextKey();
        const size_t field_value_pos = cursor.NextValue();
        keys.emplace_back(field.key, field_pos);
        const bool is_size = field.key == "total_size";
        if (is_size || field.key == "total_parameters") {
          uint64_t n = 0;
          if (field.value.get_uint64().get(n) != simdjson::SUCCESS) {
            sink.Error(Code::kIndexSchema, field_value_pos,
                       StrCat("metadata.", field.key, " must be a non-negative integer"));
          } else if (is_size) {
            out.total_size = n;
            out.total_size_offset = field_value_pos;
          } else {
            out.total_parameters = n;
            out.total_parameters_offset = field_value_pos;
          }
        }
        cursor.SkipValue();
      }
      cursor.Leave();
      ReportDuplicateKeys(keys, "metadata", policy, sink);
    } else {
      cursor.SkipValue();
    }
  }
  cursor.Leave();
  if (cursor.desynced()) {
    sink.Error(Code::kInternalError, 0, "JSON position tracking lost step in the index");
    return false;
  }
  ReportDuplicateKeys(top_keys, "the index", policy, sink);
  std::vector<std::pair<std::string_view, uint64_t>> tensor_keys;
  tensor_keys.reserve(out.weight_map.size());
  for (const IndexEntry& e : out.weight_map) tensor_keys.emplace_back(e.tensor, e.offset);
  ReportDuplicateKeys(tensor_keys, "weight_map", policy, sink);
  if (!has_weight_map) {
    sink.Error(Code::kIndexSchema, 0, "the index has no weight_map");
    return false;
  }
  return true;
}

// A shard name must be a plain file name: no separators, no "." or "..",
// no NUL, not empty.
bool IsPlainFileName(std::string_view name) {
  return !name.empty() && name != "." && name != ".." &&
         name.find_first_of(std::string_view("/\\\0", 3)) == std::string_view::npos;
}

// For an existing path: does it (after symlinks) stay inside `dir`?
bool StaysInside(const std::string& path, const std::string& dir) {
  std::unique_ptr<char, decltype(&std::free)> real_path(realpath(path.c_str(), nullptr), &std::free);
  std::unique_ptr<char, decltype(&std::free)> real_dir(realpath(dir.c_str(), nullptr), &std::free);
  if (!real_path || !real_dir) return false;
  // "/" is the one directory whose real path already ends in a separator.
  std::string inside = real_dir.get();
  if (inside.back() != '/') inside += '/';
  return std::string(real_path.get()).rfind(inside, 0) == 0;
}

void CheckShards(const std::string& index_path, const IndexContent& index, const Policy& policy,
                 const ValidateOptions& options, FindingSink& sink, CheckpointReport& out) {
  const std::string dir = DirName(index_path);
  std::map<std::string, uint64_t> first_mention;  // shard name -> offset of first use
  for (const IndexEntry& e : index.weight_map) first_mention.emplace(e.shard, e.offset);

  ValidateOptions shard_options = options;
  shard_options.collect_tensors = true;
  std::map<std::string, const ShardReport*> checked;  // shard name -> report with a table
  out.shards.reserve(first_mention.size());
  for (const auto& [name, offset] : first_mention) {
    ShardReport shard;
    shard.file_name = name;
    shard.path = dir == "/" ? StrCat("/", name) : StrCat(dir, "/", name);
    struct stat st;
    struct stat target;
    if (!IsPlainFileName(name)) {
      sink.AddAction(Code::kShardNameUnsafe, policy.index_consistency, offset, std::nullopt,
                     "shard name is not a plain file name in the index's directory");
    } else if (::lstat(shard.path.c_str(), &st) != 0) {
      sink.AddAction(Code::kShardMissing, policy.index_consistency, offset, std::nullopt,
                     "shard file does not exist");
    } else if (S_ISLNK(st.st_mode) && ::stat(shard.path.c_str(), &target) != 0) {
      sink.AddAction(Code::kShardMissing, policy.index_consistency, offset, std::nullopt,
                     "shard is a symlink to a file that does not exist");
    } else if (S_ISLNK(st.st_mode) && !StaysInside(shard.path, dir)) {
      sink.AddAction(Code::kShardNameUnsafe, policy.index_consistency, offset, std::nullopt,
                     "shard is a symlink leading outside the index's directory");
    } else {
      FileReport file = ValidateFile(shard.path, policy, shard_options);
      if (!file.io_ok) {
        sink.AddAction(Code::kShardMissing, policy.index_consistency, offset, std::nullopt,
                       StrCat("shard cannot be read: ", file.io_error));
      } else {
        shard.checked = true;
        shard.report = std::move(file.report);
        if (shard.report.verdict == Verdict::kReject) {
          sink.Error(Code::kShardRejected, offset, StrCat("shard ", name, " is rejected"));
        }
      }
    }
    out.shards.push_back(std::move(shard));
  }
  // Shards whose tensor table is known: filled (the header parsed to a
  // complete table) or empty in an accepted file.
  for (const ShardReport& shard : out.shards) {
    const Report& r = shard.report;
    const bool has_table = shard.checked && r.tensor_count == r.tensors.size() &&
                           (r.tensor_count > 0 || r.verdict == Verdict::kAccept);
    if (has_table) checked[shard.file_name] = &shard;
  }

  // What each checked shard holds, and what the index says.
  std::map<std::string_view, std::vector<const ShardReport*>> holders;
  for (const auto& [name, shard] : checked) {
    for (const TensorRecord& t : shard->report.tensors) holders[t.name].push_back(shard);
  }
  std::map<std::string_view, std::string_view> listed;  // tensor -> shard (last wins)
  for (const IndexEntry& e : index.weight_map) listed[e.tensor] = e.shard;

  for (const IndexEntry& e : index.weight_map) {
    const auto shard = checked.find(e.shard);
    if (shard == checked.end()) continue;  // no table to compare with
    const auto& held = holders[e.tensor];
    if (std::find(held.begin(), held.end(), shard->second) == held.end()) {
      sink.AddAction(Code::kIndexTensorMissing, policy.index_consistency, e.offset, e.tensor,
                     StrCat("weight_map puts this tensor in ", e.shard,
                            ", which does not hold it"));
    }
  }
  for (const auto& [tensor, shards] : holders) {
    if (shards.size() > 1) {
      sink.AddAction(Code::kTensorInTwoShards, policy.index_consistency, index.weight_map_offset,
                     tensor,
                     StrCat("tensor held by ", shards[0]->file_name, " and ",
                            shards[1]->file_name));
    }
    for (const ShardReport* shard : shards) {
      const auto it = listed.find(tensor);
      if (it == listed.end() || it->second != shard->file_name) {
        sink.AddAction(Code::kShardTensorUnlisted, policy.index_consistency,
                       index.weight_map_offset, tensor,
                       StrCat("tensor in ", shard->file_name,
                              " is not listed for it in weight_map"));
      }
    }
  }

  // Totals, when every shard's table is known.
  if (checked.size() != out.shards.size()) return;
  uint64_t bytes = 0, elements = 0;
  // Accepted shards can each hold up to 2^61 bytes, so the sums can pass
  // 2^64: then no u64 total in the index can be right.
  bool bytes_overflow = false, elements_overflow = false;
  for (const auto& [name, shard] : checked) {
    for (const TensorRecord& t : shard->report.tensors) {
      uint64_t n = 1;
      for (const uint64_t d : t.shape) {
        const std::optional<uint64_t> product = internal::CheckedMul(n, d);
        elements_overflow |= !product;
        n = product.value_or(0);
      }
      const std::optional<uint64_t> b = internal::CheckedAdd(bytes, t.data_end - t.data_begin);
      const std::optional<uint64_t> e = internal::CheckedAdd(elements, n);
      bytes_overflow |= !b;
      elements_overflow |= !e;
      bytes = b.value_or(0);
      elements = e.value_or(0);
    }
  }
  const auto held = [](bool overflow, uint64_t total, const char* unit) {
    return overflow ? StrCat("more than 2^64-1 ", unit) : StrCat(total, " ", unit);
  };
  if (index.total_size && (bytes_overflow || *index.total_size != bytes)) {
    sink.AddAction(Code::kIndexTotalMismatch, policy.index_total_size, index.total_size_offset,
                   std::nullopt,
                   StrCat("metadata.total_size is ", *index.total_size,
                          ", the shards' tensors hold ", held(bytes_overflow, bytes, "bytes")));
  }
  if (index.total_parameters && (elements_overflow || *index.total_parameters != elements)) {
    sink.AddAction(Code::kIndexTotalMismatch, policy.index_total_size,
                   index.total_parameters_offset, std::nullopt,
                   StrCat("metadata.total_parameters is ", *index.total_parameters,
                          ", the shards' tensors hold ",
                          held(elements_overflow, elements, "elements")));
  }
}

void Run(const std::string& index_path, const Policy& policy, const ValidateOptions& options,
         CheckpointReport& out) {
  internal::FileSource source;
  if (!source.Open(index_path)) {
    out.index_io_error = source.error();
    return;
  }
  out.index_io_ok = true;
  FindingSink sink(options.max_findings_per_code, source.size());
  const uint64_t size = source.size();
  out.index_size = size;
  if (size > kMaxHeaderBytesCeiling) {
    sink.Error(Code::kIndexInvalid, 0, "index larger than 100,000,000 bytes");
  } else {
    std::unique_ptr<char[]> text(new char[size + simdjson::SIMDJSON_PADDING]);
    if (!source.ReadAt(0, size, text.get())) {
      out.index_io_ok = false;
      out.index_io_error = source.error();
      return;
    }
    const auto* bytes = reinterpret_cast<const uint8_t*>(text.get());
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    simdjson::error_code error = simdjson::SUCCESS;
    if (!simdjson::validate_utf8(text.get(), size)) {
      sink.Error(Code::kIndexInvalid, internal::FirstInvalidUtf8(bytes, size),
                 "index is not valid UTF-8");
    } else if ((error = parser.allocate(size, kMaxJsonDepthCeiling + 1)) != simdjson::SUCCESS ||
               (error = parser.parse(text.get(), size, false).get(root)) != simdjson::SUCCESS) {
      sink.Error(Code::kIndexInvalid, 0,
                 StrCat("index is not valid JSON: ", simdjson::error_message(error)));
    } else {
      IndexContent index;
      const bool usable = ParseIndex(std::string_view(text.get(), size), root, policy, sink, index);
      out.listed_tensors = index.weight_map.size();
      if (usable) {
        CheckShards(index_path, index, policy, options, sink, out);
      }
    }
  }
  out.verdict = sink.has_error() ? Verdict::kReject : Verdict::kAccept;
  out.findings = sink.Finish();
}

}  // namespace

CheckpointReport ValidateCheckpoint(const std::string& index_path, const Policy& policy,
                                    const ValidateOptions& options) {
  CheckpointReport out;
  try {
    Run(index_path, policy, options, out);
  } catch (...) {
    out.verdict = Verdict::kReject;
    out.findings.push_back(Finding{Code::kResourceExhausted, Severity::kError, 0, std::nullopt,
                                   "out of memory while checking the checkpoint"});
  }
  return out;
}

}  // namespace stguard
