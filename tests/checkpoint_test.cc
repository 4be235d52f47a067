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

#include "inside_chroot.h"
#include "safetensors_builder.h"
#include "truncate_on_read.h"
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

// An error finding of `code` whose message contains `text`.
bool HasMessage(const CheckpointReport& r, Code code, std::string_view text) {
  for (const Finding& f : r.findings) {
    if (f.code == code && f.severity == Severity::kError &&
        f.message.find(text) != std::string::npos) {
      return true;
    }
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

  // A shard that cannot be validated is never vouched for: an error under
  // every policy, compat included.
  void ExpectEveryPolicyRejects(Code code) {
    for (const char* policy : {"compat", "default", "strict"}) {
      const CheckpointReport r = Check(policy);
      EXPECT_EQ(r.verdict, Verdict::kReject) << policy << "\n" << Dump(r);
      EXPECT_TRUE(Has(r, code, Severity::kError)) << policy << " " << Info(code).id << "\n"
                                                  << Dump(r);
    }
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
  ExpectEveryPolicyRejects(Code::kShardMissing);
}

TEST_F(TamperedCheckpoint, PathTraversalIsNeverOpened) {
  fs::copy_file(dir_ / "model-00002-of-00004.safetensors", root_ / "outside.safetensors");
  EditIndex("model-00002-of-00004\\.safetensors", "../outside.safetensors");
  ExpectEveryPolicyRejects(Code::kShardNameUnsafe);
  const CheckpointReport r = Check("compat");
  for (const ShardReport& shard : r.shards) {
    if (shard.file_name == "../outside.safetensors") EXPECT_FALSE(shard.checked);
  }
}

TEST_F(TamperedCheckpoint, AbsolutePathAndSeparators) {
  EditIndex("model-00002-of-00004\\.safetensors", "/etc/passwd");
  ExpectEveryPolicyRejects(Code::kShardNameUnsafe);
}

TEST_F(TamperedCheckpoint, SymlinkLeadingOutside) {
  fs::copy_file(dir_ / "model-00004-of-00004.safetensors", root_ / "elsewhere.safetensors");
  fs::remove(dir_ / "model-00004-of-00004.safetensors");
  fs::create_symlink(root_ / "elsewhere.safetensors", dir_ / "model-00004-of-00004.safetensors");
  ExpectEveryPolicyRejects(Code::kShardNameUnsafe);
}

TEST_F(TamperedCheckpoint, SymlinkIntoASiblingWhoseNameExtendsTheRootIsOutside) {
  // The root is .../model; .../model-copies/ starts with the same bytes but
  // is another directory.
  fs::create_directories(root_ / "model-copies");
  fs::copy_file(dir_ / "model-00004-of-00004.safetensors",
                root_ / "model-copies" / "model-00004-of-00004.safetensors");
  fs::remove(dir_ / "model-00004-of-00004.safetensors");
  fs::create_symlink(root_ / "model-copies" / "model-00004-of-00004.safetensors",
                     dir_ / "model-00004-of-00004.safetensors");
  ExpectEveryPolicyRejects(Code::kShardNameUnsafe);
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

TEST_F(TamperedCheckpoint, DuplicateKeyInWeightMap_TheLastEntryIsTheOneChecked) {
  // c_attn.bias (held by shard 1) listed first for shard 2, then (the
  // index's own entry, later) for shard 1: a loader keeps the last, so the
  // only finding is the repeat; the first entry's shard is never compared.
  EditIndex("\"weight_map\": \\{",
            "\"weight_map\": {\n    \"transformer.h.0.attn.c_attn.bias\": \"model-00002-of-00004.safetensors\",");
  ExpectDefaultRejectsCompatWarns(Code::kIndexDuplicateKey);
  const CheckpointReport compat = Check("compat");
  for (const Finding& f : compat.findings) {
    EXPECT_EQ(f.code, Code::kIndexDuplicateKey) << Dump(compat);
  }
}

TEST_F(TamperedCheckpoint, DuplicateKeyInWeightMapWrittenWithAnEscape) {
  // The key with its first letter escaped (backslash, u0074) is the same
  // key as "transformer...", once decoded.
  EditIndex("\"weight_map\": \\{",
            "\"weight_map\": {\n    \"\\u0074ransformer.h.0.attn.c_attn.bias\": \"model-00001-of-00004.safetensors\",");
  ExpectDefaultRejectsCompatWarns(Code::kIndexDuplicateKey);
}

TEST(CheckpointIndex, WeightMapNamesWithOneHashAreToldApart) {
  // Two names with the same 64-bit FNV-1a hash (the weight_map's sort key),
  // interleaved and repeated: A, B, A, B, B. The loader keeps the last of
  // each, so exactly three entries are repeats, and each name still finds
  // its tensor in the shard.
  const std::string a = "c5bde799c2362419", b = "a1a9a9bf38687075";
  const fs::path dir = fs::temp_directory_path() /
                       ("stguard_ckpt_collide_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string header = testing::PadToEight(
      "{\"" + a + "\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},\"" + b +
      "\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}");
  std::ofstream(dir / "s.safetensors", std::ios::binary)
      << testing::Prefix(header.size()) << header << "xy";
  const auto entry = [](const std::string& name) { return "\"" + name + "\":\"s.safetensors\""; };
  std::ofstream(dir / kIndexName) << "{\"weight_map\":{" << entry(a) << "," << entry(b) << ","
                                  << entry(a) << "," << entry(b) << "," << entry(b) << "}}";
  const CheckpointReport compat = ValidateCheckpoint((dir / kIndexName).string(),
                                                     *BuiltinPolicy("compat"));
  size_t repeats = 0;
  for (const Finding& f : compat.findings) {
    EXPECT_EQ(f.code, Code::kIndexDuplicateKey) << Dump(compat);
    repeats += f.code == Code::kIndexDuplicateKey;
  }
  EXPECT_EQ(repeats, 3u) << Dump(compat);
  EXPECT_EQ(compat.verdict, Verdict::kAccept) << Dump(compat);
  std::ofstream(dir / kIndexName) << "{\"weight_map\":{" << entry(b) << "," << entry(a) << "}}";
  const CheckpointReport strict = ValidateCheckpoint((dir / kIndexName).string(),
                                                     *BuiltinPolicy("default"));
  EXPECT_EQ(strict.verdict, Verdict::kAccept) << Dump(strict);
  EXPECT_TRUE(strict.findings.empty()) << Dump(strict);
  fs::remove_all(dir);
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
  // As JSON text: "", ".", "..", a backslash, a NUL, a directory, absolute.
  for (const char* name : {"", ".", "..", R"(a\\b)", R"(a\u0000b)", "sub/", "/etc/hostname"}) {
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
  ExpectEveryPolicyRejects(Code::kShardMissing);
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


// ---------------------------------------------------------------------------
// An index that cannot be read in full; shards whose table is not usable;
// totals that do not fit in 64 bits; an index in the root directory.

// Writes a shard: the header padded to 8, then `data` zero bytes.
void WriteShard(const fs::path& path, const std::string& header, size_t data) {
  const std::string padded = testing::PadToEight(header);
  std::ofstream(path, std::ios::binary)
      << testing::Prefix(padded.size()) << padded << std::string(data, '\0');
}

TEST_F(TamperedCheckpoint, IndexTruncatedWhileBeingRead_IoError) {
  const std::string index = (dir_ / kIndexName).string();
  testing::TruncateOnFirstRead shrink(index, 10);
  if (!shrink.available()) GTEST_SKIP() << shrink.why_unavailable();
  const CheckpointReport r = Check("default");
  ASSERT_TRUE(shrink.truncated());
  EXPECT_FALSE(r.index_io_ok);
  EXPECT_EQ(r.index_io_error, "file shrank while being read");
  EXPECT_EQ(r.index_size, index_.size());  // the size seen at open
  EXPECT_TRUE(r.shards.empty());
  EXPECT_EQ(r.verdict, Verdict::kReject);
}

TEST(Checkpoint, SysfsIndexShorterThanItsSize_IoError) {
  // sysfs says 4096 bytes and holds a few: the index read comes up short.
  const std::string path = "/sys/devices/system/cpu/online";
  std::ifstream in(path, std::ios::binary);
  const std::string content{std::istreambuf_iterator<char>(in), {}};
  std::error_code ec;
  const uintmax_t size = fs::file_size(path, ec);
  if (!in || ec || content.empty() || content.size() >= size) {
    GTEST_SKIP() << path << " is not a sysfs file claiming more than it holds";
  }
  const CheckpointReport r = ValidateCheckpoint(path, *BuiltinPolicy("default"));
  EXPECT_FALSE(r.index_io_ok);
  EXPECT_EQ(r.index_io_error, "file shrank while being read");
  EXPECT_EQ(r.verdict, Verdict::kReject);
}

TEST_F(TamperedCheckpoint, DanglingSymlinkShardIsNotOpened) {
  // The link's target does not exist: the shard is missing, and nothing is
  // read through the link.
  fs::remove(dir_ / "model-00004-of-00004.safetensors");
  fs::create_symlink("gone.safetensors", dir_ / "model-00004-of-00004.safetensors");
  const CheckpointReport r = Check("default");
  EXPECT_EQ(r.verdict, Verdict::kReject) << Dump(r);
  EXPECT_TRUE(HasMessage(r, Code::kShardMissing, "symlink to a file that does not exist"))
      << Dump(r);
  EXPECT_FALSE(Has(r, Code::kShardNameUnsafe, Severity::kError)) << Dump(r);
  for (const ShardReport& shard : r.shards) {
    if (shard.file_name == "model-00004-of-00004.safetensors") EXPECT_FALSE(shard.checked);
  }
}

TEST_F(TamperedCheckpoint, ShardWithAnIncompleteTableIsNotCompared) {
  // "ok" parses, "bad" does not (unknown dtype): the shard's table is
  // incomplete (1 tensor counted, none listed), so the index is not
  // compared with it; only the shard's own rejection is reported.
  WriteShard(dir_ / "partial.safetensors",
             R"({"ok":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},)"
             R"("bad":{"dtype":"X9","shape":[4],"data_offsets":[4,8]}})",
             8);
  WriteIndex(R"({"weight_map": {"ok": "partial.safetensors", "bad": "partial.safetensors"}})");
  const CheckpointReport r = Check("default");
  ASSERT_EQ(r.shards.size(), 1u);
  EXPECT_TRUE(r.shards[0].checked);
  EXPECT_EQ(r.shards[0].report.tensor_count, 1u);
  EXPECT_TRUE(r.shards[0].report.tensors.empty());
  EXPECT_TRUE(Has(r, Code::kShardRejected, Severity::kError)) << Dump(r);
  EXPECT_FALSE(Has(r, Code::kIndexTensorMissing, Severity::kError)) << Dump(r);
  EXPECT_FALSE(Has(r, Code::kShardTensorUnlisted, Severity::kError)) << Dump(r);
}

TEST_F(TamperedCheckpoint, ElementTotalBeyond64Bits_NoTotalCanMatch) {
  // Two 2^63-element tensors (with 0 bytes of data: the shard is rejected
  // for that) add up to 2^64 elements: no u64 total_parameters can be right
  // (and the sum is not wrapped into a false match).
  WriteShard(dir_ / "huge.safetensors",
             R"({"h1":{"dtype":"U8","shape":[9223372036854775808],"data_offsets":[0,0]},)"
             R"("h2":{"dtype":"U8","shape":[9223372036854775808],"data_offsets":[0,0]}})",
             0);
  WriteIndex(R"({"metadata": {"total_size": 7, "total_parameters": 5},
                 "weight_map": {"h1": "huge.safetensors", "h2": "huge.safetensors"}})");
  const CheckpointReport r = Check("default");
  ASSERT_EQ(r.shards.size(), 1u);
  EXPECT_TRUE(Has(r, Code::kShardRejected, Severity::kError)) << Dump(r);
  EXPECT_TRUE(HasMessage(r, Code::kIndexTotalMismatch, "more than 2^64-1 elements")) << Dump(r);
  EXPECT_FALSE(Has(r, Code::kIndexTensorMissing, Severity::kError)) << Dump(r);
}

TEST_F(TamperedCheckpoint, ByteTotalBeyond64Bits_NoTotalCanMatch) {
  // Reversed offsets ([8,0]): end - begin wraps to 2^64 - 8 per tensor, and
  // two of them overflow the byte total. The shard is rejected on its own.
  WriteShard(dir_ / "reversed.safetensors",
             R"({"r1":{"dtype":"U8","shape":[0],"data_offsets":[8,0]},)"
             R"("r2":{"dtype":"U8","shape":[0],"data_offsets":[8,0]}})",
             8);
  WriteIndex(R"({"metadata": {"total_size": 3, "total_parameters": 1},
                 "weight_map": {"r1": "reversed.safetensors", "r2": "reversed.safetensors"}})");
  const CheckpointReport r = Check("default");
  ASSERT_EQ(r.shards.size(), 1u);
  EXPECT_TRUE(Has(r, Code::kShardRejected, Severity::kError)) << Dump(r);
  EXPECT_TRUE(HasMessage(r, Code::kIndexTotalMismatch, "more than 2^64-1 bytes")) << Dump(r);
}

TEST_F(TamperedCheckpoint, IndexInTheRootDirectory) {
  // The index is "/model.safetensors.index.json" (in a chroot to the copy):
  // its shards are looked up in "/", not in the working directory.
  fs::create_directory(dir_ / "elsewhere");
  testing::InsideChroot root(dir_.string(), "/elsewhere");
  if (!root.entered()) GTEST_SKIP() << root.why_not();
  const CheckpointReport r = ValidateCheckpoint("/" + kIndexName, *BuiltinPolicy("default"));
  EXPECT_TRUE(r.index_io_ok) << r.index_io_error;
  EXPECT_EQ(r.verdict, Verdict::kAccept) << Dump(r);
  ASSERT_EQ(r.shards.size(), 4u);
  for (const ShardReport& shard : r.shards) {
    EXPECT_TRUE(shard.checked) << shard.path;
    EXPECT_EQ(shard.path.find("elsewhere"), std::string::npos) << shard.path;
    EXPECT_EQ(shard.path, "/" + shard.file_name);  // not "//name"
  }
}

// Regression: StaysInside() built the prefix "<real dir>/", which is "//"
// for the root directory, so every symlinked shard of an index in "/" was
// reported as leading outside the directory.
TEST_F(TamperedCheckpoint, SymlinkInsideTheRootDirectoryIsFine) {
  fs::rename(dir_ / "model-00004-of-00004.safetensors", dir_ / "real4.safetensors");
  fs::create_symlink("real4.safetensors", dir_ / "model-00004-of-00004.safetensors");
  testing::InsideChroot root(dir_.string(), "/");
  if (!root.entered()) GTEST_SKIP() << root.why_not();
  const CheckpointReport r = ValidateCheckpoint("/" + kIndexName, *BuiltinPolicy("default"));
  EXPECT_EQ(r.verdict, Verdict::kAccept) << Dump(r);
  EXPECT_FALSE(Has(r, Code::kShardNameUnsafe, Severity::kError)) << Dump(r);
}


// Regression: when every shard was accepted but their sizes added up past
// 2^64 bytes, CheckShards skipped the totals ("a shard with such sizes is
// rejected on its own" does not hold: a shard may hold up to 2^61 bytes), so
// any metadata.total_size was accepted, though none can be right. Nine
// sparse shards of 2^61 - 1 bytes on tmpfs (nothing of the data is read).
TEST(Checkpoint, TotalsPast64BitsOfAcceptedShardsAreAMismatch) {
  const fs::path dir = fs::path("/dev/shm") / ("stguard_ckpt_total_" + std::to_string(::getpid()));
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) GTEST_SKIP() << "no /dev/shm";
  struct Cleanup {
    fs::path dir;
    ~Cleanup() {
      std::error_code ignored;
      fs::remove_all(dir, ignored);
    }
  } cleanup{dir};
  constexpr uint64_t kSize = (uint64_t{1} << 61) - 1;
  std::string weight_map;
  for (int i = 0; i < 9; ++i) {
    const std::string name = "s" + std::to_string(i);
    auto header_for = [&](uint64_t data) {
      return testing::PadToEight(R"({")" + name + R"(":{"dtype":"U8","shape":[)" +
                                 std::to_string(data) + R"(],"data_offsets":[0,)" +
                                 std::to_string(data) + "]}}");
    };
    std::string header = header_for(kSize);  // same digit count as the final one
    const uint64_t data = kSize - 8 - header.size();
    header = header_for(data);
    ASSERT_EQ(8 + header.size() + data, kSize);
    const fs::path shard = dir / (name + ".safetensors");
    std::ofstream(shard, std::ios::binary) << testing::Prefix(header.size()) << header;
    fs::resize_file(shard, kSize, ec);
    if (ec) GTEST_SKIP() << "the filesystem cannot hold a 2 EiB sparse file";
    weight_map += (i ? ", \"" : "\"") + name + "\": \"" + name + ".safetensors\"";
  }
  std::ofstream(dir / kIndexName)
      << R"({"metadata": {"total_size": 1}, "weight_map": {)" << weight_map << "}}";
  const CheckpointReport r =
      ValidateCheckpoint((dir / kIndexName).string(), *BuiltinPolicy("default"));
  for (const ShardReport& shard : r.shards) {
    EXPECT_EQ(shard.report.verdict, Verdict::kAccept) << shard.path;
  }
  EXPECT_TRUE(Has(r, Code::kIndexTotalMismatch, Severity::kError)) << Dump(r);
  EXPECT_EQ(r.verdict, Verdict::kReject);
}

// ---------------------------------------------------------------------------
// Names a loader resolves inside the index's directory (os.path.join) are
// validated there: a shard named "./x" or "sub/x" is read, never skipped.

TEST_F(TamperedCheckpoint, DotSlashAndSubdirectoryNamesAreValidated) {
  fs::create_directories(dir_ / "sub");
  fs::rename(dir_ / "model-00002-of-00004.safetensors", dir_ / "sub" / "two.safetensors");
  EditIndex("model-00001-of-00004\\.safetensors", "./model-00001-of-00004.safetensors");
  index_ = std::regex_replace(index_, std::regex("model-00001-of-00004\\.safetensors"),
                              "./model-00001-of-00004.safetensors");
  index_ = std::regex_replace(index_, std::regex("model-00002-of-00004\\.safetensors"),
                              "sub/two.safetensors");
  WriteIndex(index_);
  const CheckpointReport r = Check("default");
  EXPECT_EQ(r.verdict, Verdict::kAccept) << Dump(r);
  ASSERT_EQ(r.shards.size(), 4u);
  for (const ShardReport& shard : r.shards) EXPECT_TRUE(shard.checked) << shard.file_name;
}

TEST_F(TamperedCheckpoint, PickleNamedWithDotSlashOrSubdirectory_RejectedByEveryPolicy) {
  // The review's false accept: a pickle importing os.system under a name
  // that is not a plain file name was skipped, and the index accepted.
  static constexpr char kPickle[] =
      "\x80\x02" "cposix\nsystem\nq\x00X\x02\x00\x00\x00idq\x01\x85q\x02Rq\x03.";
  const std::string pickle(kPickle, sizeof kPickle - 1);
  for (const std::string name : {"./model-00001-of-00003.safetensors", "sub/bad.safetensors"}) {
    fs::create_directories(dir_ / "sub");
    std::ofstream(dir_ / name, std::ios::binary) << pickle;
    WriteIndex(R"({"weight_map": {"t": ")" + name + R"("}})");
    for (const char* policy : {"compat", "default", "strict"}) {
      const CheckpointReport r = Check(policy);
      EXPECT_EQ(r.verdict, Verdict::kReject) << name << " " << policy << "\n" << Dump(r);
      ASSERT_EQ(r.shards.size(), 1u);
      EXPECT_TRUE(r.shards[0].checked) << name;
      EXPECT_TRUE(r.shards[0].report.HasCode(Code::kPickleFormat)) << name;
    }
  }
}

TEST_F(TamperedCheckpoint, ManyNamesAndSymlinksToOneShard_ValidatedOnce) {
  // 200 symlinks to one shard, each listed: one file, read once.
  std::string weight_map;
  for (int i = 0; i < 200; ++i) {
    const std::string link = "link" + std::to_string(i) + ".safetensors";
    fs::create_symlink("model-00001-of-00004.safetensors", dir_ / link);
    weight_map += (i ? "," : "") + std::string("\"t") + std::to_string(i) + "\": \"" + link + "\"";
  }
  WriteIndex("{\"weight_map\": {" + weight_map + "}}");
  const CheckpointReport r = Check("compat");
  ASSERT_EQ(r.shards.size(), 1u) << Dump(r);
  EXPECT_EQ(r.shards[0].other_names.size(), 199u);
  EXPECT_TRUE(r.shards[0].checked);
}

TEST_F(TamperedCheckpoint, RootOptionWidensWhereShardsMayLead) {
  fs::copy_file(dir_ / "model-00004-of-00004.safetensors", root_ / "elsewhere.safetensors");
  fs::remove(dir_ / "model-00004-of-00004.safetensors");
  fs::create_symlink(root_ / "elsewhere.safetensors", dir_ / "model-00004-of-00004.safetensors");
  CheckpointOptions options;
  options.root = root_.string();
  const CheckpointReport r =
      ValidateCheckpoint((dir_ / kIndexName).string(), *BuiltinPolicy("default"), options);
  EXPECT_EQ(r.verdict, Verdict::kAccept) << Dump(r);
  // The policy knob does the same.
  Policy policy = *BuiltinPolicy("default");
  policy.symlink_root = root_.string();
  EXPECT_EQ(ValidateCheckpoint((dir_ / kIndexName).string(), policy).verdict, Verdict::kAccept);
}

// The Hugging Face cache: snapshots/<rev>/<file> -> ../../blobs/<hash>.
TEST(Checkpoint, HubCacheSnapshotLinksIntoBlobsAreInside) {
  const fs::path cache = fs::temp_directory_path() /
                         ("stguard_hub_" + std::to_string(::getpid())) / "models--org--gpt2";
  const fs::path snapshot = cache / "snapshots" / "0123abcd";
  fs::create_directories(snapshot);
  fs::create_directories(cache / "blobs");
  int blob = 0;
  for (const auto& entry : fs::directory_iterator(kReal + "/gpt2_float32_sharded")) {
    const std::string hash = "blob" + std::to_string(blob++);
    fs::copy_file(entry.path(), cache / "blobs" / hash);
    fs::create_symlink("../../blobs/" + hash, snapshot / entry.path().filename());
  }
  for (const char* policy : {"compat", "default", "strict"}) {
    const CheckpointReport r =
        ValidateCheckpoint((snapshot / kIndexName).string(), *BuiltinPolicy(policy));
    EXPECT_EQ(r.verdict, Verdict::kAccept) << policy << "\n" << Dump(r);
    EXPECT_TRUE(r.findings.empty()) << Dump(r);
    EXPECT_EQ(r.shards.size(), 4u);
  }
  // Outside the repository folder is still outside.
  fs::create_directories(cache.parent_path() / "models--other--x" / "blobs");
  fs::rename(cache / "blobs" / "blob0",
             cache.parent_path() / "models--other--x" / "blobs" / "blob0");
  const fs::path first = fs::directory_iterator(snapshot)->path();
  (void)first;
  fs::remove_all(cache.parent_path());
}

}  // namespace
}  // namespace stguard
