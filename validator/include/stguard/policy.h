// A Policy is a plain value: what the validator rejects, warns about or
// ignores, and the limits it enforces. Built-ins: "compat", "default",
// "strict"; files in policies/ extend them (see policies/README.md).
#ifndef STGUARD_POLICY_H_
#define STGUARD_POLICY_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>
#include <string_view>

#include "stguard/dtype.h"

namespace stguard {

// What happens when a configurable rule is broken. Ordered: a stricter
// action has a larger value.
enum class Action : uint8_t { kIgnore = 0, kWarn = 1, kReject = 2 };

std::string_view ActionName(Action action);

inline constexpr uint64_t kNoLimit = UINT64_MAX;
// The reference rejects headers above this size; no policy may allow more.
inline constexpr uint64_t kMaxHeaderBytesCeiling = 100'000'000;
// The reference rejects JSON nested 128 levels or more.
inline constexpr uint32_t kMaxJsonDepthCeiling = 127;
inline constexpr uint32_t kAllDtypesMask = (1u << kDtypeCount) - 1;

// A default-constructed Policy is the built-in "compat".
struct Policy {
  std::string name = "compat";
  std::string description =
      "Accepts and rejects exactly what safetensors 0.8.0 does; everything else it notices "
      "is a warning.";

  // header framing and text
  uint64_t max_header_bytes = kMaxHeaderBytesCeiling;
  uint32_t max_json_depth = kMaxJsonDepthCeiling;
  Action leading_whitespace = Action::kWarn;
  Action padding_not_spaces = Action::kWarn;
  Action header_length_unaligned = Action::kIgnore;

  // schema: forms the reference tolerates but other parsers read differently
  Action metadata_null = Action::kWarn;
  Action tensor_entry_array = Action::kWarn;
  Action dtype_object_form = Action::kWarn;
  Action unknown_fields = Action::kWarn;
  Action duplicate_tensor_names = Action::kWarn;
  Action duplicate_metadata_keys = Action::kWarn;
  Action empty_tensor_names = Action::kWarn;
  Action control_chars_in_names = Action::kWarn;
  Action control_chars_in_metadata = Action::kWarn;
  Action path_like_names = Action::kWarn;

  // limits: exceeding one is always an error; kNoLimit disables it
  uint64_t max_tensors = kNoLimit;
  uint64_t max_rank = kNoLimit;
  uint64_t max_name_bytes = kNoLimit;
  uint64_t max_metadata_entries = kNoLimit;
  uint64_t max_metadata_value_bytes = kNoLimit;

  // dtypes: bit i set allows Dtype(i)
  uint32_t allowed_dtypes = kAllDtypesMask;

  // data layout
  Action tensor_offset_unaligned = Action::kIgnore;

  // content, checked only by a deep scan (the reference never reads the
  // data, so compat only warns)
  Action nonfinite_values = Action::kWarn;
  Action bool_values = Action::kWarn;

  // sharded checkpoints: the index against its shards (the reference has
  // no such check, so compat only warns)
  Action index_consistency = Action::kWarn;
  Action index_total_size = Action::kWarn;

  // directory scans: model files that are not safetensors (pickles that
  // import anything beyond tensor-rebuild globals are always rejected)
  Action pickle_checkpoints = Action::kWarn;
  Action other_weight_formats = Action::kWarn;
  // Where symlinks met by a directory scan, and shard names of an index, may
  // lead. Empty: the index's directory (for shards), the scanned directory
  // (for a walk), or the Hub cache repository folder (models--org--name)
  // when either lies in a cache snapshot. Absolute in a policy file; the
  // CLI's --root overrides it.
  std::string symlink_root;

  bool operator==(const Policy&) const = default;
};

// nullopt for an unknown name.
std::optional<Policy> BuiltinPolicy(std::string_view name);
// The names BuiltinPolicy knows, loosest first: compat, default, strict.
std::span<const std::string_view> BuiltinPolicyNames();

struct PolicyLoadResult {
  std::optional<Policy> policy;
  std::string error;  // set when policy is empty: one line, says what and where
};

// Parses policy JSON text. `extends` names a built-in or a file; files are
// resolved relative to `base_dir`.
PolicyLoadResult ParsePolicy(std::string_view json_text, const std::string& base_dir);
PolicyLoadResult LoadPolicyFile(const std::string& path);
// A built-in name; else a policy file at that path; else, for a plain name
// (no '/'), NAME.json (or NAME when it ends in .json) in the first of
// PolicySearchDirs() that holds it. The error for an unknown name lists the
// built-in and installed names.
PolicyLoadResult ResolvePolicy(const std::string& name_or_path);

// Where installed policies are looked for, in order: each directory of
// $STGUARD_POLICY_PATH (colon-separated), share/stguard/policies beside the
// running executable's bin/ (a relocated install), and the configured
// install's share/stguard/policies.
std::vector<std::string> PolicySearchDirs();

// The names (file stems) of the *.json policies in PolicySearchDirs(), sorted.
std::vector<std::string> InstalledPolicyNames();

// Serializes every knob (no `extends`): loading the result gives an equal policy.
std::string PolicyToJson(const Policy& policy);

}  // namespace stguard

#endif  // STGUARD_POLICY_H_
