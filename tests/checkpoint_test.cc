// Sharded checkpoints: the real transformers checkpoints pass; tampered
// copies of one (missing shard, path traversal, ghost tensor, unlisted
// tensor, tensor in the wrong shard, total_size lie, ...) are rejected by
// default with their code and only warned about by compat.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

#include "safetensors_builder.h"
#include "stguard/checkpoint.h"

namespace stguard {
namespace {

namespace fs = std::filesystem;

const std::string kReal = std::string(STGUARD_CORPUS_DIR) + "/real";
const std::string kIndexName = "model.safetensors.index.json";

bool Has(const CheckpointReport& r, Code code, Severity severity) {
  for (const Finding& f : r.findings) {
    if (f.code == code && f.severity == severity) return true;
  }
  return false;
}

std::string Dump(const CheckpointReport& r) {
  std::string out;
  for (const Finding& f : r.findings) {
    out += "  " + std::string(Info(f.code).id) + " " + std::string(SeverityName(f.severity)) +
           " @" + std::to_string(f.offset) + ": " + f.message + "\n";
  }
  return out;
}

TEST(Checkpoint, EveryRealShardedCheckpointPassesEveryPolicy) {
  size_t checkpoints = 0;
  for (const auto& entry : fs::directory_iterator(kReal)) {
    const fs::path index = entry.path() / kIndexName;
    if (!fs::exists(index)) continue;
    ++checkpoints;
    for (const char* name : {"compat", "default", "strict"}) {
      const CheckpointReport r = ValidateCheckpoint(index.string(), *BuiltinPolicy(name));
      ASSERT_TRUE(r.index_io_ok) << index;
      EXPECT_EQ(r.verdict, Verdict::kAccept) << name << " " << index << "\n" << Dump(r);
      EXPECT_TRUE(r.findings.empty()) << name << " " << index << "\n" << Dump(r);
      EXPECT_GE(r.shards.size(), 2u);
      for (const ShardReport& shard : r.shards) EXPECT_TRUE(shard.checked) << shard.path;
    }
  }
  EXPECT_EQ(checkpoints, 8u);
}

// A writable copy of gpt2_float32_sharded in a temp dir, to tamper with.
class TamperedCheckpoint : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("stguard_ckpt_" + std::to_string(::getpid()) + "_" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    dir_ = root_ / "model";
    fs::create_directories(dir_);
    for (const auto& entry : fs::directory_iterator(kReal + "/gpt2_float32_sharded")) {
      fs::copy_file(entry.path(), dir_ / entry.path().filename());
      fs::permissions(dir_ / entry.path().filename(), fs::perms::owner_write, fs::perm_options::add);
    }
    std::ifstream in(dir_ / kIndexName);
    index_.assign(std::istreambuf_iterator<char>(in), {});
  }
  void TearDown() override { fs::remove_all(root_); }

  void WriteIndex(const std::string& text) { std::ofstream(dir_ / kIndexName) << text; }
  // Replaces the first match of `pattern` in the index.
  void EditIndex(const std::string& pattern, const std::string& replacement) {
    const std::string edited = std::regex_replace(index_, std::regex(pattern), replacement,
                                                  std::regex_constants::format_first_only);
    ASSERT_NE(edited, index_) << "pattern not found: " << pattern;
    WriteIndex(edited);
  }
  CheckpointReport Check(const char* policy) {
    return ValidateCheckpoint((dir_ / kIndexName).string(), *BuiltinPolicy(policy));
  }
  // Rejected by default with `code`; compat only warns (and accepts, the
  // shards being fine).
  void ExpectDefaultRejectsCompatWarns(Code code) {
    const CheckpointReport strict = Check("default");
    EXPECT_EQ(strict.verdict, Verdict::kReject) << Dump(strict);
    EXPECT_TRUE(Has(strict, code, Severity::kError)) << Info(code).id << "\n" << Dump(strict);
    const CheckpointReport compat = Check("compat");
    EXPECT_EQ(compat.verdict, Verdict::kAccept) << Dump(compat);
    EXPECT_TRUE(Has(compat, code, Severity::kWarning)) << Info(code).id << "\n" << Dump(compat);
  }

  fs::path root_, dir_;
  std::string index_;
};

TEST_F(TamperedCheckpoint, UntouchedCopyPasses) {
  const CheckpointReport r = Check("default");
  EXPECT_EQ(r.verdict, Verdict::kAccept) << Dump(r);
}

TEST_F(TamperedCheckpoint, MissingShard) {
  fs::remove(dir_ / "model-00003-of-00004.safetensors");
  ExpectDefaultRejectsCompatWarns(Code::kShardMissing);
}

TEST_F(TamperedCheckpoint, PathTraversalIsNeverOpened) {
  fs::copy_file(dir_ / "model-00002-of-00004.safetensors", root_ / "outside.safetensors");
  EditIndex("model-00002-of-00004\\.safetensors", "../outside.safetensors");
  ExpectDefaultRejectsCompatWarns(Code::kShardNameUnsafe);
  const CheckpointReport r = Check("compat");
  for (const ShardReport& shard : r.shards) {
    if (shard.file_name == "../outside.safetensors") EXPECT_FALSE(shard.checked);
  }
}

TEST_F(TamperedCheckpoint, AbsolutePathAndSeparators) {
  EditIndex("model-00002-of-00004\\.safetensors", "/etc/passwd");
  ExpectDefaultRejectsCompatWarns(Code::kShardNameUnsafe);
}

TEST_F(TamperedCheckpoint, SymlinkLeadingOutside) {
  fs::copy_file(dir_ / "model-00004-of-00004.safetensors", root_ / "elsewhere.safetensors");
  fs::remove(dir_ / "model-00004-of-00004.safetensors");
  fs::create_symlink(root_ / "elsewhere.safetensors", dir_ / "model-00004-of-00004.safetensors");
  ExpectDefaultRejectsCompatWarns(Code::kShardNameUnsafe);
}

TEST_F(TamperedCheckpoint, SymlinkInsideIsFine) {
  fs::rename(dir_ / "model-00004-of-00004.safetensors", dir_ / "real4.safetensors");
  fs::create_symlink("real4.safetensors", dir_ / "model-00004-of-00004.safetensors");
  const CheckpointReport r = Check("default");
  EXPECT_EQ(r.verdict, Verdict::kAccept) << Dump(r);
}

TEST_F(TamperedCheckpoint, GhostTensorListedButAbsent) {
  EditIndex("\"weight_map\": \\{", "\"weight_map\": {\n    \"ghost.weight\": \"model-00001-of-00004.safetensors\",");
  ExpectDefaultRejectsCompatWarns(Code::kIndexTensorMissing);
}

TEST_F(TamperedCheckpoint, UnlistedTensor) {
  EditIndex("\\s*\"transformer\\.h\\.0\\.attn\\.c_attn\\.bias\": \"[^\"]*\",", "");
  ExpectDefaultRejectsCompatWarns(Code::kShardTensorUnlisted);
}

TEST_F(TamperedCheckpoint, TensorInTheWrongShard) {
  // c_attn.bias lives in shard 1; the index claims shard 2.
  EditIndex("(\"transformer\\.h\\.0\\.attn\\.c_attn\\.bias\": \")model-00001", "$1model-00002");
  ExpectDefaultRejectsCompatWarns(Code::kIndexTensorMissing);
  EXPECT_TRUE(Has(Check("default"), Code::kShardTensorUnlisted, Severity::kError));
}

TEST_F(TamperedCheckpoint, TotalSizeLie) {
  EditIndex("\"total_size\": \\d+", "\"total_size\": 126465");
  ExpectDefaultRejectsCompatWarns(Code::kIndexTotalMismatch);
}

TEST_F(TamperedCheckpoint, TotalParametersLie) {
  EditIndex("\"total_parameters\": \\d+", "\"total_parameters\": 1");
  ExpectDefaultRejectsCompatWarns(Code::kIndexTotalMismatch);
}

TEST_F(TamperedCheckpoint, DuplicateKeyInWeightMap) {
  EditIndex("\"weight_map\": \\{",
            "\"weight_map\": {\n    \"transformer.h.0.attn.c_attn.bias\": \"model-00001-of-00004.safetensors\",");
  ExpectDefaultRejectsCompatWarns(Code::kIndexDuplicateKey);
}

TEST_F(TamperedCheckpoint, TensorInTwoShards) {
  // Shard 4 gets a copy of a tensor that shard 1 holds.
  const std::string header = testing::PadToEight(
      R"({"transformer.h.0.attn.c_attn.bias":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}})");
  std::ofstream(dir_ / "extra.safetensors", std::ios::binary)
      << testing::Prefix(header.size()) << header << "x";
  EditIndex("\"weight_map\": \\{",
            "\"weight_map\": {\n    \"unused\": \"extra.safetensors\",");
  const CheckpointReport r = Check("default");
  EXPECT_EQ(r.verdict, Verdict::kReject);
  EXPECT_TRUE(Has(r, Code::kTensorInTwoShards, Severity::kError)) << Dump(r);
}

TEST_F(TamperedCheckpoint, RejectedShardRejectsTheCheckpoint) {
  std::ofstream(dir_ / "model-00002-of-00004.safetensors", std::ios::binary | std::ios::app) << "tail";
  for (const char* policy : {"compat", "default"}) {
    const CheckpointReport r = Check(policy);
    EXPECT_EQ(r.verdict, Verdict::kReject) << policy;
    EXPECT_TRUE(Has(r, Code::kShardRejected, Severity::kError)) << Dump(r);
  }
}

TEST_F(TamperedCheckpoint, BrokenIndexes) {
  WriteIndex("{\"weight_map\": ");
  EXPECT_TRUE(Has(Check("compat"), Code::kIndexInvalid, Severity::kError));
  WriteIndex("[]");
  EXPECT_TRUE(Has(Check("compat"), Code::kIndexSchema, Severity::kError));
  WriteIndex("{\"metadata\": {}}");
  EXPECT_TRUE(Has(Check("compat"), Code::kIndexSchema, Severity::kError));
  WriteIndex("{\"weight_map\": {\"a\": 7}}");
  EXPECT_TRUE(Has(Check("compat"), Code::kIndexSchema, Severity::kError));
  WriteIndex("{\"weight_map\": {}, \"metadata\": \"x\"}");
  EXPECT_TRUE(Has(Check("compat"), Code::kIndexSchema, Severity::kError));
  WriteIndex("{\"weight_map\": {}, \"weight_map\": {}}");
  EXPECT_TRUE(Has(Check("default"), Code::kIndexDuplicateKey, Severity::kError));
  WriteIndex(std::string("{\"weight_map\": {\"\xff\": \"a\"}}"));
  EXPECT_TRUE(Has(Check("compat"), Code::kIndexInvalid, Severity::kError));
}

TEST_F(TamperedCheckpoint, SchemaOfWeightMapAndMetadata) {
  WriteIndex(R"({"weight_map": ["a"]})");
  EXPECT_TRUE(Has(Check("compat"), Code::kIndexSchema, Severity::kError));
  WriteIndex(R"({"weight_map": {}, "metadata": {"total_size": -1}})");
  EXPECT_TRUE(Has(Check("compat"), Code::kIndexSchema, Severity::kError));
  WriteIndex(R"({"weight_map": {}, "metadata": {"total_parameters": 1.5}})");
  EXPECT_TRUE(Has(Check("compat"), Code::kIndexSchema, Severity::kError));
  // Unknown keys are ignored, at the top and in metadata; an empty map is fine.
  WriteIndex(R"({"weight_map": {}, "format": "pt", "metadata": {"note": [1, {"x": 2}]}})");
  const CheckpointReport r = Check("default");
  EXPECT_EQ(r.verdict, Verdict::kAccept) << Dump(r);
  EXPECT_TRUE(r.shards.empty());
  WriteIndex(R"({"weight_map": {}, "metadata": {"total_size": 1, "total_size": 1}})");
  EXPECT_TRUE(Has(Check("default"), Code::kIndexDuplicateKey, Severity::kError));
}

TEST_F(TamperedCheckpoint, EveryKindOfUnsafeShardName) {
  // As JSON text: "", ".", "..", a backslash, a separator, a NUL.
  for (const char* name : {"", ".", "..", R"(a\\b)", "sub/model.safetensors", R"(a\u0000b)"}) {
    WriteIndex(std::string(R"({"weight_map": {"t": ")") + name + R"("}})");
    const CheckpointReport r = Check("default");
    EXPECT_TRUE(Has(r, Code::kShardNameUnsafe, Severity::kError)) << name << "\n" << Dump(r);
    ASSERT_EQ(r.shards.size(), 1u);
    EXPECT_FALSE(r.shards[0].checked);
  }
}

TEST_F(TamperedCheckpoint, ShardThatCannotBeReadIsMissing) {
  fs::remove(dir_ / "model-00001-of-00004.safetensors");
  fs::create_directory(dir_ / "model-00001-of-00004.safetensors");
  ExpectDefaultRejectsCompatWarns(Code::kShardMissing);
}

TEST_F(TamperedCheckpoint, ShardThatIsNotJsonHasNoTableToCompare) {
  // The shard is rejected on its own; no ghost-tensor findings pile up.
  std::ofstream(dir_ / "model-00001-of-00004.safetensors", std::ios::binary)
      << testing::Prefix(8) << "not json";
  const CheckpointReport r = Check("default");
  EXPECT_TRUE(Has(r, Code::kShardRejected, Severity::kError)) << Dump(r);
  EXPECT_FALSE(Has(r, Code::kIndexTensorMissing, Severity::kError)) << Dump(r);
}

TEST_F(TamperedCheckpoint, EmptyShardIsComparedAsEmpty) {
  const std::string header = testing::PadToEight("{}");
  std::ofstream(dir_ / "empty.safetensors", std::ios::binary)
      << testing::Prefix(header.size()) << header;
  EditIndex(R"("weight_map": \{)", "\"weight_map\": {\n    \"ghost\": \"empty.safetensors\",");
  ExpectDefaultRejectsCompatWarns(Code::kIndexTensorMissing);
}

TEST_F(TamperedCheckpoint, IndexLargerThanTheLimit) {
  { std::ofstream out(dir_ / kIndexName, std::ios::binary | std::ios::trunc); }
  fs::resize_file(dir_ / kIndexName, 100'000'001);
  const CheckpointReport r = Check("compat");
  EXPECT_TRUE(r.index_io_ok);
  EXPECT_TRUE(Has(r, Code::kIndexInvalid, Severity::kError)) << Dump(r);
}

TEST_F(TamperedCheckpoint, IndexNamedWithoutADirectory) {
  const fs::path previous = fs::current_path();
  fs::current_path(dir_);
  const CheckpointReport r = ValidateCheckpoint(kIndexName, *BuiltinPolicy("default"));
  fs::current_path(previous);
  EXPECT_EQ(r.verdict, Verdict::kAccept) << Dump(r);
  EXPECT_EQ(r.shards.size(), 4u);
}

TEST(Checkpoint, MissingIndexIsAnIoError) {
  const CheckpointReport r = ValidateCheckpoint("/nonexistent/model.safetensors.index.json",
                                                *BuiltinPolicy("default"));
  EXPECT_FALSE(r.index_io_ok);
  EXPECT_FALSE(r.index_io_error.empty());
}

}  // namespace
}  // namespace stguard
