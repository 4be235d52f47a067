#include "stguard/policy.h"

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "file_source.h"
#include "str_cat.h"

namespace stguard {
namespace {

using internal::StrAppend;
using internal::StrCat;

enum class KnobKind { kAction, kLimit, kDepth, kHeaderBytes, kDtypes, kPath };

struct Knob {
  std::string_view name;
  KnobKind kind;
  Action Policy::*action = nullptr;
  uint64_t Policy::*limit = nullptr;
};

// Every knob, in the order policies/README.md documents them and
// PolicyToJson writes them.
const std::array<Knob, 29> kKnobs = {{
    {"max_header_bytes", KnobKind::kHeaderBytes, nullptr, &Policy::max_header_bytes},
    {"max_json_depth", KnobKind::kDepth},
    {"leading_whitespace", KnobKind::kAction, &Policy::leading_whitespace},
    {"padding_not_spaces", KnobKind::kAction, &Policy::padding_not_spaces},
    {"header_length_unaligned", KnobKind::kAction, &Policy::header_length_unaligned},
    {"metadata_null", KnobKind::kAction, &Policy::metadata_null},
    {"tensor_entry_array", KnobKind::kAction, &Policy::tensor_entry_array},
    {"dtype_object_form", KnobKind::kAction, &Policy::dtype_object_form},
    {"unknown_fields", KnobKind::kAction, &Policy::unknown_fields},
    {"duplicate_tensor_names", KnobKind::kAction, &Policy::duplicate_tensor_names},
    {"duplicate_metadata_keys", KnobKind::kAction, &Policy::duplicate_metadata_keys},
    {"empty_tensor_names", KnobKind::kAction, &Policy::empty_tensor_names},
    {"control_chars_in_names", KnobKind::kAction, &Policy::control_chars_in_names},
    {"control_chars_in_metadata", KnobKind::kAction, &Policy::control_chars_in_metadata},
    {"path_like_names", KnobKind::kAction, &Policy::path_like_names},
    {"max_tensors", KnobKind::kLimit, nullptr, &Policy::max_tensors},
    {"max_rank", KnobKind::kLimit, nullptr, &Policy::max_rank},
    {"max_name_bytes", KnobKind::kLimit, nullptr, &Policy::max_name_bytes},
    {"max_metadata_entries", KnobKind::kLimit, nullptr, &Policy::max_metadata_entries},
    {"max_metadata_value_bytes", KnobKind::kLimit, nullptr, &Policy::max_metadata_value_bytes},
    {"allowed_dtypes", KnobKind::kDtypes},
    {"tensor_offset_unaligned", KnobKind::kAction, &Policy::tensor_offset_unaligned},
    {"nonfinite_values", KnobKind::kAction, &Policy::nonfinite_values},
    {"bool_values", KnobKind::kAction, &Policy::bool_values},
    {"index_consistency", KnobKind::kAction, &Policy::index_consistency},
    {"index_total_size", KnobKind::kAction, &Policy::index_total_size},
    {"pickle_checkpoints", KnobKind::kAction, &Policy::pickle_checkpoints},
    {"other_weight_formats", KnobKind::kAction, &Policy::other_weight_formats},
    {"symlink_root", KnobKind::kPath},
}};

Policy Compat() { return Policy{}; }  // the struct's defaults are compat

Policy Default() {
  Policy p = Compat();
  p.name = "default";
  p.description =
      "Hub upload gatekeeping: compat plus rejection of every parser differential, with "
      "limits every real checkpoint passes.";
  p.max_json_depth = 32;
  p.leading_whitespace = Action::kReject;
  p.header_length_unaligned = Action::kWarn;
  p.metadata_null = Action::kReject;
  p.tensor_entry_array = Action::kReject;
  p.dtype_object_form = Action::kReject;
  p.unknown_fields = Action::kReject;
  p.duplicate_tensor_names = Action::kReject;
  p.duplicate_metadata_keys = Action::kReject;
  p.empty_tensor_names = Action::kReject;
  p.control_chars_in_names = Action::kReject;
  p.control_chars_in_metadata = Action::kReject;
  p.max_tensors = 1'000'000;
  p.max_rank = 64;
  p.max_name_bytes = 4096;
  p.max_metadata_entries = 10'000;
  p.max_metadata_value_bytes = 16 * 1024 * 1024;
  p.tensor_offset_unaligned = Action::kWarn;
  p.nonfinite_values = Action::kWarn;
  p.bool_values = Action::kReject;
  p.index_consistency = Action::kReject;
  p.index_total_size = Action::kReject;
  return p;
}

Policy Strict() {
  Policy p = Default();
  p.name = "strict";
  p.description =
      "default plus alignment (header length, tensor offsets, space padding), path-like "
      "names and tighter limits.";
  p.max_header_bytes = 50'000'000;
  p.max_json_depth = 8;
  p.padding_not_spaces = Action::kReject;
  p.header_length_unaligned = Action::kReject;
  p.path_like_names = Action::kReject;
  p.max_tensors = 500'000;
  p.max_rank = 16;
  p.max_name_bytes = 1024;
  p.max_metadata_entries = 1024;
  p.max_metadata_value_bytes = 1024 * 1024;
  p.tensor_offset_unaligned = Action::kReject;
  p.nonfinite_values = Action::kReject;
  p.pickle_checkpoints = Action::kReject;
  p.other_weight_formats = Action::kReject;
  return p;
}

std::optional<Action> ParseAction(std::string_view text) {
  if (text == "ignore") return Action::kIgnore;
  if (text == "warn") return Action::kWarn;
  if (text == "reject") return Action::kReject;
  return std::nullopt;
}

constexpr size_t kMaxPolicyFileBytes = 1 << 20;
constexpr int kMaxExtendsDepth = 8;

std::string DirName(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

PolicyLoadResult Fail(std::string message) { return PolicyLoadResult{std::nullopt, message}; }

PolicyLoadResult LoadFile(const std::string& path, int depth);
PolicyLoadResult Parse(std::string_view text, const std::string& base_dir,
                       const std::string& where, int depth);

PolicyLoadResult ResolveBase(const std::string& name_or_path, const std::string& base_dir,
                             int depth) {
  if (std::optional<Policy> builtin = BuiltinPolicy(name_or_path)) {
    return PolicyLoadResult{std::move(builtin), {}};
  }
  if (depth >= kMaxExtendsDepth) {
    return Fail(StrCat("policy 'extends' chain deeper than ", kMaxExtendsDepth,
                       " (a cycle?) at ", name_or_path));
  }
  const std::string path = !name_or_path.empty() && name_or_path[0] == '/'
                               ? name_or_path
                               : StrCat(base_dir, "/", name_or_path);
  return LoadFile(path, depth + 1);
}

// Applies one knob's JSON value to `policy`; returns an error or "".
std::string ApplyKnob(const Knob& knob, simdjson::dom::element value, Policy& policy) {
  const std::string_view name = knob.name;
  switch (knob.kind) {
    case KnobKind::kAction: {
      std::string_view text;
      std::optional<Action> action;
      if (value.get_string().get(text) == simdjson::SUCCESS) action = ParseAction(text);
      if (!action) return StrCat("knob '", name, "' must be \"ignore\", \"warn\" or \"reject\"");
      policy.*knob.action = *action;
      return "";
    }
    case KnobKind::kLimit: {
      if (value.is_null()) {
        policy.*knob.limit = kNoLimit;
        return "";
      }
      uint64_t n = 0;
      if (value.get_uint64().get(n) != simdjson::SUCCESS || n == kNoLimit) {
        return StrCat("knob '", name, "' must be a non-negative integer or null (no limit)");
      }
      policy.*knob.limit = n;
      return "";
    }
    case KnobKind::kHeaderBytes: {
      uint64_t n = 0;
      if (value.get_uint64().get(n) != simdjson::SUCCESS || n < 2 ||
          n > kMaxHeaderBytesCeiling) {
        return StrCat("knob '", name, "' must be an integer from 2 to ", kMaxHeaderBytesCeiling);
      }
      policy.max_header_bytes = n;
      return "";
    }
    case KnobKind::kDepth: {
      uint64_t n = 0;
      if (value.get_uint64().get(n) != simdjson::SUCCESS || n < 1 || n > kMaxJsonDepthCeiling) {
        return StrCat("knob '", name, "' must be an integer from 1 to ", kMaxJsonDepthCeiling);
      }
      policy.max_json_depth = static_cast<uint32_t>(n);
      return "";
    }
    case KnobKind::kDtypes: {
      std::string_view text;
      if (value.get_string().get(text) == simdjson::SUCCESS && text == "all") {
        policy.allowed_dtypes = kAllDtypesMask;
        return "";
      }
      simdjson::dom::array list;
      if (value.get_array().get(list) != simdjson::SUCCESS) {
        return "knob 'allowed_dtypes' must be \"all\" or an array of dtype names";
      }
      uint32_t mask = 0;
      for (simdjson::dom::element item : list) {
        std::string_view dtype_name;
        if (item.get_string().get(dtype_name) != simdjson::SUCCESS) {
          return "knob 'allowed_dtypes' holds a non-string";
        }
        const std::optional<Dtype> dtype = DtypeFromName(dtype_name);
        if (!dtype) {
          return StrCat("knob 'allowed_dtypes' holds unknown dtype '", dtype_name, "'");
        }
        mask |= 1u << static_cast<unsigned>(*dtype);
      }
      policy.allowed_dtypes = mask;
      return "";
    }
    case KnobKind::kPath: {
      std::string_view text;
      if (value.get_string().get(text) != simdjson::SUCCESS ||
          text.find('\0') != std::string_view::npos || (!text.empty() && text[0] != '/')) {
        return StrCat("knob '", name,
                      "' must be an absolute directory path (no NUL), or \"\" for the default");
      }
      policy.symlink_root = std::string(text);
      return "";
    }
  }
  return StrCat("knob '", name, "' has an unsupported kind");
}

PolicyLoadResult Parse(std::string_view text, const std::string& base_dir,
                       const std::string& where, int depth) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  const simdjson::padded_string padded(text);
  if (const auto error = parser.parse(padded).get(root); error != simdjson::SUCCESS) {
    return Fail(StrCat(where, ": invalid JSON: ", simdjson::error_message(error)));
  }
  simdjson::dom::object object;
  if (root.get_object().get(object) != simdjson::SUCCESS) {
    return Fail(StrCat(where, ": a policy must be a JSON object"));
  }
  // First pass: duplicate keys and 'extends', which sets the base.
  std::set<std::string_view> keys;
  Policy policy = Compat();
  bool has_extends = false;
  for (simdjson::dom::key_value_pair kv : object) {
    if (!keys.insert(kv.key).second) {
      return Fail(StrCat(where, ": key '", kv.key, "' appears twice"));
    }
    if (kv.key == "extends") {
      std::string_view base;
      if (kv.value.get_string().get(base) != simdjson::SUCCESS) {
        return Fail(StrCat(where, ": 'extends' must be a string (a built-in name or a file path)"));
      }
      PolicyLoadResult parent = ResolveBase(std::string(base), base_dir, depth);
      if (!parent.policy) return Fail(StrCat(where, ": in 'extends': ", parent.error));
      policy = std::move(*parent.policy);
      has_extends = true;
    }
  }
  if (!has_extends) {
    return Fail(
        StrCat(where, ": 'extends' is required (compat, default, strict or a policy file)"));
  }
  policy.description.clear();
  policy.name = where;
  for (simdjson::dom::key_value_pair kv : object) {
    if (kv.key == "extends") continue;
    if (kv.key == "name" || kv.key == "description") {
      std::string_view value;
      if (kv.value.get_string().get(value) != simdjson::SUCCESS) {
        return Fail(StrCat(where, ": '", kv.key, "' must be a string"));
      }
      (kv.key == "name" ? policy.name : policy.description) = std::string(value);
      continue;
    }
    const auto knob = std::find_if(kKnobs.begin(), kKnobs.end(),
                                   [&](const Knob& k) { return k.name == kv.key; });
    if (knob == kKnobs.end()) {
      return Fail(StrCat(where, ": unknown knob '", kv.key,
                         "' (see policies/README.md for the knobs)"));
    }
    if (std::string error = ApplyKnob(*knob, kv.value, policy); !error.empty()) {
      return Fail(StrCat(where, ": ", error));
    }
  }
  return PolicyLoadResult{std::move(policy), {}};
}

PolicyLoadResult LoadFile(const std::string& path, int depth) {
  // Regular files only: a FIFO or a device is refused at once (an ifstream
  // would wait forever on a FIFO with no writer).
  internal::FileSource source;
  if (!source.Open(path)) {
    return Fail(StrCat(path, ": cannot open policy file: ", source.error()));
  }
  if (source.size() > kMaxPolicyFileBytes) {
    return Fail(StrCat(path, ": policy file larger than 1 MiB"));
  }
  std::string text(static_cast<size_t>(source.size()), '\0');
  if (!source.ReadAt(0, text.size(), text.data())) {
    return Fail(StrCat(path, ": cannot read policy file: ", source.error()));
  }
  return Parse(text, DirName(path), path, depth);
}

void AppendJsonString(std::string& out, std::string_view text) {
  out += '"';
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      StrAppend(out, '\\', ch);
    } else if (c < 0x20) {
      static constexpr char kHex[] = "0123456789abcdef";
      StrAppend(out, "\\u00", kHex[c >> 4], kHex[c & 15]);
    } else {
      out += ch;
    }
  }
  out += '"';
}

}  // namespace

std::string_view ActionName(Action action) {
  switch (action) {
    case Action::kIgnore:
      return "ignore";
    case Action::kWarn:
      return "warn";
    case Action::kReject:
      return "reject";
  }
  return "reject";
}

std::optional<Policy> BuiltinPolicy(std::string_view name) {
  if (name == "compat") return Compat();
  if (name == "default") return Default();
  if (name == "strict") return Strict();
  return std::nullopt;
}

std::span<const std::string_view> BuiltinPolicyNames() {
  static constexpr std::string_view kNames[] = {"compat", "default", "strict"};
  return kNames;
}

PolicyLoadResult ParsePolicy(std::string_view json_text, const std::string& base_dir) {
  try {
    return Parse(json_text, base_dir, "policy", 0);
  } catch (const std::exception& e) {
    return Fail(StrCat("policy: ", e.what()));
  }
}

PolicyLoadResult LoadPolicyFile(const std::string& path) {
  try {
    return LoadFile(path, 0);
  } catch (const std::exception& e) {
    return Fail(StrCat(path, ": ", e.what()));
  }
}

std::string PolicyToJson(const Policy& policy) {
  std::string out = "{\n  \"extends\": \"compat\",\n  \"name\": ";
  AppendJsonString(out, policy.name);
  out += ",\n  \"description\": ";
  AppendJsonString(out, policy.description);
  for (const Knob& knob : kKnobs) {
    StrAppend(out, ",\n  \"", knob.name, "\": ");
    switch (knob.kind) {
      case KnobKind::kAction:
        StrAppend(out, "\"", ActionName(policy.*knob.action), "\"");
        break;
      case KnobKind::kLimit:
        out += policy.*knob.limit == kNoLimit ? "null" : std::to_string(policy.*knob.limit);
        break;
      case KnobKind::kHeaderBytes:
        StrAppend(out, policy.max_header_bytes);
        break;
      case KnobKind::kDepth:
        StrAppend(out, policy.max_json_depth);
        break;
      case KnobKind::kDtypes: {
        if (policy.allowed_dtypes == kAllDtypesMask) {
          out += "\"all\"";
          break;
        }
        out += "[";
        bool first = true;
        for (int i = 0; i < kDtypeCount; ++i) {
          if ((policy.allowed_dtypes >> i & 1u) == 0) continue;
          StrAppend(out, first ? "\"" : ", \"", DtypeName(static_cast<Dtype>(i)), "\"");
          first = false;
        }
        out += "]";
        break;
      }
      case KnobKind::kPath:
        AppendJsonString(out, policy.symlink_root);
        break;
    }
  }
  out += "\n}\n";
  return out;
}

}  // namespace stguard
