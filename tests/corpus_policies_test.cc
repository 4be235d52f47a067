// Whole-corpus properties of the three built-in policies: rejections only
// grow from compat to default to strict; every real checkpoint passes all
// three; the shipped policy files equal the built-ins.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "safetensors_builder.h"
#include "stguard/validate.h"

namespace stguard {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> SafetensorsUnder(const std::string& dir) {
  std::vector<std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.path().extension() == ".safetensors") files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

TEST(CorpusPolicies, RejectionsGrowFromCompatToDefaultToStrict) {
  const Policy compat = *BuiltinPolicy("compat");
  const Policy standard = *BuiltinPolicy("default");
  const Policy strict = *BuiltinPolicy("strict");
  std::vector<std::string> files = SafetensorsUnder(std::string(STGUARD_CORPUS_DIR) + "/reference");
  const std::vector<std::string> real = SafetensorsUnder(std::string(STGUARD_CORPUS_DIR) + "/real");
  files.insert(files.end(), real.begin(), real.end());
  ASSERT_GT(files.size(), 1611u);
  size_t rejected[3] = {0, 0, 0};
  for (const std::string& path : files) {
    const std::vector<uint8_t> bytes = testing::ReadFileBytes(path);
    const bool compat_rejects = ValidateBuffer(bytes, compat).verdict == Verdict::kReject;
    const bool default_rejects = ValidateBuffer(bytes, standard).verdict == Verdict::kReject;
    const bool strict_rejects = ValidateBuffer(bytes, strict).verdict == Verdict::kReject;
    EXPECT_TRUE(!compat_rejects || default_rejects) << path << ": compat rejects, default accepts";
    EXPECT_TRUE(!default_rejects || strict_rejects) << path << ": default rejects, strict accepts";
    rejected[0] += compat_rejects;
    rejected[1] += default_rejects;
    rejected[2] += strict_rejects;
  }
  std::cout << files.size() << " files rejected: compat " << rejected[0] << ", default "
            << rejected[1] << ", strict " << rejected[2] << "\n";
}

TEST(CorpusPolicies, EveryRealCheckpointPassesEveryPolicy) {
  const std::vector<std::string> files =
      SafetensorsUnder(std::string(STGUARD_CORPUS_DIR) + "/real");
  ASSERT_GE(files.size(), 40u);
  for (const char* name : {"compat", "default", "strict"}) {
    const Policy policy = *BuiltinPolicy(name);
    for (const std::string& path : files) {
      const FileReport result = ValidateFile(path, policy);
      ASSERT_TRUE(result.io_ok) << path;
      EXPECT_EQ(result.report.verdict, Verdict::kAccept) << name << " rejects " << path;
      for (const Finding& f : result.report.findings) {
        ADD_FAILURE() << name << " " << path << ": " << Info(f.code).id << " " << f.message;
      }
    }
  }
}

TEST(CorpusPolicies, ShippedPolicyFilesEqualTheBuiltins) {
  for (const char* name : {"compat", "default", "strict"}) {
    const PolicyLoadResult loaded =
        LoadPolicyFile(std::string(STGUARD_POLICIES_DIR) + "/" + name + ".json");
    ASSERT_TRUE(loaded.policy) << loaded.error;
    EXPECT_EQ(*loaded.policy, *BuiltinPolicy(name)) << name;
  }
}

// Each built-in is at least as strict as the one before it, knob by knob.
TEST(CorpusPolicies, BuiltinKnobsAreMonotone) {
  const Policy p[3] = {*BuiltinPolicy("compat"), *BuiltinPolicy("default"),
                       *BuiltinPolicy("strict")};
  for (int i = 0; i < 2; ++i) {
    const Policy& a = p[i];
    const Policy& b = p[i + 1];
    EXPECT_LE(b.max_header_bytes, a.max_header_bytes);
    EXPECT_LE(b.max_json_depth, a.max_json_depth);
    for (auto knob : {&Policy::leading_whitespace, &Policy::padding_not_spaces,
                      &Policy::header_length_unaligned, &Policy::metadata_null,
                      &Policy::tensor_entry_array, &Policy::dtype_object_form,
                      &Policy::unknown_fields, &Policy::duplicate_tensor_names,
                      &Policy::duplicate_metadata_keys, &Policy::empty_tensor_names,
                      &Policy::control_chars_in_names, &Policy::control_chars_in_metadata,
                      &Policy::path_like_names, &Policy::tensor_offset_unaligned,
                      &Policy::nonfinite_values, &Policy::bool_values,
                      &Policy::index_consistency, &Policy::index_total_size,
                      &Policy::pickle_checkpoints, &Policy::other_weight_formats}) {
      EXPECT_GE(b.*knob, a.*knob) << a.name << " -> " << b.name;
    }
    for (auto limit : {&Policy::max_tensors, &Policy::max_rank, &Policy::max_name_bytes,
                       &Policy::max_metadata_entries, &Policy::max_metadata_value_bytes}) {
      EXPECT_LE(b.*limit, a.*limit) << a.name << " -> " << b.name;
    }
    EXPECT_EQ(b.allowed_dtypes & ~a.allowed_dtypes, 0u);
    EXPECT_EQ(b.symlink_root, a.symlink_root);
  }
}

}  // namespace
}  // namespace stguard
