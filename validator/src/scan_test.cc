// The repository scanner: no file a loader could open is skipped, each
// distinct file is judged once, indexes cover only the shards they
// validated, symlinks stay inside the root, and what is skipped is counted.
#include "stguard/scan.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <functional>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "safetensors_builder.h"
#include "scan_walk.h"
#include "temp_dir.h"

namespace stguard {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

const std::string kCorpus = STGUARD_CORPUS_DIR;
const std::string kValidFile = kCorpus + "/real/dtype_float32.safetensors";
const std::string kSharded = kCorpus + "/real/gpt2_float32_sharded";

struct Scan {
  std::vector<ScannedFile> files;
  ScanSummary summary;
  const ScannedFile* Find(const std::string& suffix) const {
    for (const ScannedFile& f : files) {
      if (f.path.size() >= suffix.size() &&
          f.path.compare(f.path.size() - suffix.size(), suffix.size(), suffix) == 0) {
        return &f;
      }
    }
    return nullptr;
  }
};

Scan ScanOf(const std::vector<std::string>& paths, const char* policy = "default",
         ScanOptions options = {}) {
  Scan scan;
  scan.summary = ScanPaths(paths, *BuiltinPolicy(policy), options,
                           [&](ScannedFile&& f) { scan.files.push_back(std::move(f)); });
  EXPECT_EQ(scan.summary.judged, scan.files.size());
  return scan;
}

std::string Dump(const Scan& scan) {
  std::string out;
  for (const ScannedFile& f : scan.files) {
    out += f.path + " [" + std::string(FileRoleName(f.role)) + "] " +
           (f.io_ok ? std::string(VerdictName(f.report.verdict)) : "io: " + f.io_error) + "\n";
    for (const Finding& finding : f.report.findings) {
      out += "  " + std::to_string(static_cast<unsigned>(finding.code)) + " " + finding.message +
             "\n";
    }
  }
  return out;
}

void Copy(const std::string& from, const std::string& to) {
  fs::create_directories(fs::path(to).parent_path());
  fs::copy_file(from, to, fs::copy_options::overwrite_existing);
}

const std::string kCorpusForeign = kCorpus + "/foreign";

// The review's case: model.safetensors, a torch.save zip and a pickle of an
// application class. All three are judged; the pickle rejects the scan.
TEST(Scan, DirectoryJudgesPicklesBesideSafetensors) {
  TempDir dir;
  Copy(kValidFile, dir.path() + "/model.safetensors");
  Copy(kCorpusForeign + "/torch-zip-state-dict.pt", dir.path() + "/pytorch_model.bin");
  Copy(kCorpusForeign + "/training_args.bin", dir.path() + "/training_args.bin");
  dir.Write("config.json", "{}");
  dir.Write("README.md", "# a model");
  dir.Write("LICENSE", "Apache 2.0");
  for (const char* policy : {"compat", "default", "strict"}) {
    const Scan scan = ScanOf({dir.path()}, policy);
    ASSERT_EQ(scan.files.size(), 3u) << policy << "\n" << Dump(scan);
    EXPECT_EQ(scan.Find("/model.safetensors")->report.verdict, Verdict::kAccept);
    const ScannedFile* torch = scan.Find("/pytorch_model.bin");
    EXPECT_EQ(torch->role, FileRole::kModelFile);
    EXPECT_TRUE(torch->report.HasCode(Code::kPickleCheckpoint)) << Dump(scan);
    // A plain state dict: a warning unless the policy is strict.
    EXPECT_EQ(torch->report.verdict,
              std::string(policy) == "strict" ? Verdict::kReject : Verdict::kAccept);
    const ScannedFile* args = scan.Find("/training_args.bin");
    EXPECT_EQ(args->report.verdict, Verdict::kReject) << policy;
    EXPECT_TRUE(args->report.HasCode(Code::kPickleUnsafeImport)) << Dump(scan);
    EXPECT_EQ(scan.summary.skipped[static_cast<size_t>(SkipReason::kTextOrConfig)], 2u);
    EXPECT_EQ(scan.summary.skipped[static_cast<size_t>(SkipReason::kNotAModel)], 1u);
  }
}

// A pickle under any name at all is found by its bytes.
TEST(Scan, PickleUnderAnUnknownNameIsFoundByItsBytes) {
  TempDir dir;
  Copy(kCorpusForeign + "/pickle-proto0-exploit.pkl", dir.path() + "/weights.dat");
  Copy(kCorpusForeign + "/pickle-global-only-proto4.pkl", dir.path() + "/noext");
  const Scan scan = ScanOf({dir.path()}, "compat");
  ASSERT_EQ(scan.files.size(), 2u) << Dump(scan);
  for (const ScannedFile& f : scan.files) {
    EXPECT_EQ(f.report.verdict, Verdict::kReject) << Dump(scan);
  }
}

// Files not named as model files are read by content: safetensors bytes
// under another name are validated as such.
TEST(Scan, SafetensorsBytesUnderAnotherNameAreValidated) {
  TempDir dir;
  Copy(kValidFile, dir.path() + "/blob");
  const Scan scan = ScanOf({dir.path()});
  ASSERT_EQ(scan.files.size(), 1u) << Dump(scan);
  EXPECT_EQ(scan.files[0].role, FileRole::kSafetensors);
  EXPECT_EQ(scan.files[0].report.verdict, Verdict::kAccept) << Dump(scan);
  EXPECT_EQ(scan.files[0].report.tensor_count, 2u);
}

// A shard is covered only when its index validated it; the others are
// judged on their own.
TEST(Scan, IndexCoversOnlyTheShardsItValidated) {
  TempDir dir;
  for (const auto& entry : fs::directory_iterator(kSharded)) {
    Copy(entry.path().string(), dir.path() + "/" + entry.path().filename().string());
  }
  Copy(kValidFile, dir.path() + "/extra.safetensors");
  const Scan scan = ScanOf({dir.path()});
  // The index, its four shards, then extra.safetensors on its own.
  ASSERT_EQ(scan.files.size(), 6u) << Dump(scan);
  EXPECT_EQ(scan.files[0].role, FileRole::kIndex);
  for (size_t i = 1; i <= 4; ++i) {
    EXPECT_EQ(scan.files[i].role, FileRole::kShard) << Dump(scan);
    EXPECT_EQ(scan.files[i].index, scan.files[0].path);
  }
  EXPECT_EQ(scan.files[5].role, FileRole::kSafetensors);
  for (const ScannedFile& f : scan.files) EXPECT_EQ(f.report.verdict, Verdict::kAccept);
}

// An index naming a shard it cannot validate never passes, and the file
// the walk met is still judged on its own.
TEST(Scan, IndexWithAnUnsafeShardName_RejectedAndTheFileJudgedAlone) {
  TempDir dir;
  static constexpr char kPickle[] =
      "\x80\x02" "cposix\nsystem\nq\x00X\x02\x00\x00\x00idq\x01\x85q\x02Rq\x03.";
  dir.Write("model-00001-of-00003.safetensors", std::string_view(kPickle, sizeof kPickle - 1));
  dir.Write("model.safetensors.index.json",
            R"({"weight_map": {"t": "\\model-00001-of-00003.safetensors"}})");
  for (const char* policy : {"compat", "default"}) {
    const Scan scan = ScanOf({dir.path()}, policy);
    ASSERT_EQ(scan.files.size(), 2u) << Dump(scan);
    EXPECT_EQ(scan.files[0].report.verdict, Verdict::kReject) << Dump(scan);
    EXPECT_EQ(scan.files[1].role, FileRole::kSafetensors);
    EXPECT_TRUE(scan.files[1].report.HasCode(Code::kPickleFormat)) << Dump(scan);
  }
}

// The Hub cache: snapshot links into the repository's blobs are inside;
// each blob is judged once, under its snapshot name.
// An index another index names as a shard is reported once, as an index,
// whichever comes first: the other index's findings say its shard was
// rejected. (It used to be emitted twice when the naming index sorted
// first: once as that index's shard, then as an index.)
TEST(Scan, AnIndexNamedAsAShardIsReportedOnce) {
  TempDir dir;
  Copy(kValidFile, dir.path() + "/c.safetensors");
  dir.Write("b.safetensors.index.json", R"({"weight_map": {"t": "c.safetensors"}})");
  dir.Write("a.safetensors.index.json", R"({"weight_map": {"t": "b.safetensors.index.json"}})");
  dir.Write("z.safetensors.index.json", R"({"weight_map": {"t": "b.safetensors.index.json"}})");
  for (const char* policy : {"compat", "default"}) {
    const Scan scan = ScanOf({dir.path()}, policy);
    size_t b = 0;
    for (const ScannedFile& f : scan.files) {
      if (f.path.find("/b.safetensors.index.json") != std::string::npos) {
        ++b;
        EXPECT_EQ(f.role, FileRole::kIndex) << Dump(scan);
      }
    }
    EXPECT_EQ(b, 1u) << Dump(scan);
    EXPECT_EQ(scan.Find("/a.safetensors.index.json")->report.verdict, Verdict::kReject);
    EXPECT_TRUE(scan.Find("/a.safetensors.index.json")->report.HasCode(Code::kShardRejected))
        << Dump(scan);
    EXPECT_EQ(scan.Find("/z.safetensors.index.json")->report.verdict, Verdict::kReject);
  }
}

TEST(Scan, HubCacheIsAcceptedWithEachBlobJudgedOnce) {
  TempDir cache;
  const std::string repo = cache.path() + "/models--org--gpt2";
  const std::string snapshot = repo + "/snapshots/0123abcd";
  fs::create_directories(snapshot);
  fs::create_directories(repo + "/blobs");
  int blob = 0;
  for (const auto& entry : fs::directory_iterator(kSharded)) {
    const std::string hash = "b" + std::to_string(blob++);
    Copy(entry.path().string(), repo + "/blobs/" + hash);
    fs::create_symlink("../../blobs/" + hash, snapshot + "/" + entry.path().filename().string());
  }
  for (const std::string& root : {cache.path(), repo, snapshot}) {
    for (const char* policy : {"compat", "default", "strict"}) {
      const Scan scan = ScanOf({root}, policy);
      ASSERT_EQ(scan.files.size(), 5u) << root << " " << policy << "\n" << Dump(scan);
      for (const ScannedFile& f : scan.files) {
        EXPECT_EQ(f.report.verdict, Verdict::kAccept) << Dump(scan);
        EXPECT_TRUE(f.report.findings.empty()) << Dump(scan);
        EXPECT_NE(f.path.find("/snapshots/"), std::string::npos) << f.path;
      }
    }
  }
}

TEST(Scan, SymlinkLeadingOutsideTheRoot_811NotOpened) {
  TempDir outside, dir;
  Copy(kValidFile, outside.path() + "/elsewhere.safetensors");
  fs::create_symlink(outside.path() + "/elsewhere.safetensors", dir.path() + "/model.safetensors");
  fs::create_symlink("/etc/hostname", dir.path() + "/config.json");
  const Scan scan = ScanOf({dir.path()}, "compat");
  ASSERT_EQ(scan.files.size(), 2u) << Dump(scan);
  for (const ScannedFile& f : scan.files) {
    EXPECT_EQ(f.report.verdict, Verdict::kReject);
    EXPECT_TRUE(f.report.HasCode(Code::kSymlinkOutsideRoot)) << Dump(scan);
  }
  // --root widens it.
  ScanOptions options;
  options.root = fs::path(outside.path()).parent_path().string();
  const Scan wide = ScanOf({dir.path()}, "compat", options);
  ASSERT_NE(wide.Find("/model.safetensors"), nullptr) << Dump(wide);
  EXPECT_EQ(wide.Find("/model.safetensors")->report.verdict, Verdict::kAccept) << Dump(wide);
}

// Hard links and symlinks to one file: judged once, the other names listed.
TEST(Scan, OneFileUnderManyNames_JudgedOnce) {
  TempDir dir;
  Copy(kValidFile, dir.path() + "/a.safetensors");
  fs::create_hard_link(dir.path() + "/a.safetensors", dir.path() + "/b.safetensors");
  for (int i = 0; i < 50; ++i) {
    fs::create_symlink("a.safetensors", dir.path() + "/l" + std::to_string(i) + ".safetensors");
  }
  const Scan scan = ScanOf({dir.path()});
  ASSERT_EQ(scan.files.size(), 1u) << Dump(scan);
  EXPECT_EQ(scan.files[0].also_at.size(), 51u);
}

TEST(Scan, FifoDevicesAndGitAreSkippedNeverOpened) {
  TempDir dir;
  ASSERT_EQ(::mkfifo((dir.path() + "/model.safetensors").c_str(), 0600), 0);
  fs::create_directories(dir.path() + "/.git/objects");
  Copy(kCorpusForeign + "/training_args.bin", dir.path() + "/.git/objects/x.bin");
  fs::create_directory_symlink("/etc", dir.path() + "/etc-link");
  Copy(kValidFile, dir.path() + "/ok.safetensors");
  const Scan scan = ScanOf({dir.path()});  // would block on the FIFO if it opened it
  ASSERT_EQ(scan.files.size(), 1u) << Dump(scan);
  EXPECT_EQ(scan.summary.skipped[static_cast<size_t>(SkipReason::kNotARegularFile)], 1u);
  EXPECT_EQ(scan.summary.skipped[static_cast<size_t>(SkipReason::kGitMetadata)], 1u);
  EXPECT_EQ(scan.summary.skipped[static_cast<size_t>(SkipReason::kDirectorySymlink)], 1u);
}

// The walk filter sees paths relative to the directory walked; a file it
// refuses is neither judged nor counted as skipped, a directory it refuses
// is not entered, and a path given explicitly is never filtered.
TEST(Scan, WalkFilterLeavesOutFilesAndPrunesDirectories) {
  TempDir dir;
  Copy(kValidFile, dir.path() + "/keep.safetensors");
  Copy(kValidFile, dir.path() + "/drop.safetensors");
  Copy(kValidFile, dir.path() + "/sub/deep.safetensors");
  Copy(kValidFile, dir.path() + "/pruned/inner.safetensors");
  std::vector<std::pair<std::string, bool>> seen;
  ScanOptions options;
  options.walk_filter = [&](std::string_view relative, bool is_directory) {
    seen.emplace_back(std::string(relative), is_directory);
    return relative != "drop.safetensors" && relative != "pruned";
  };
  const Scan scan = ScanOf({dir.path() + "/", dir.path() + "/drop.safetensors"}, "default",
                           options);
  ASSERT_EQ(scan.files.size(), 3u) << Dump(scan);
  EXPECT_NE(scan.Find("/keep.safetensors"), nullptr);
  EXPECT_NE(scan.Find("/sub/deep.safetensors"), nullptr);
  EXPECT_EQ(scan.files[2].path, dir.path() + "/drop.safetensors");  // named: kept
  EXPECT_EQ(scan.summary.skipped_total(), 0u);
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, (std::vector<std::pair<std::string, bool>>{{"drop.safetensors", false},
                                                              {"keep.safetensors", false},
                                                              {"pruned", true},
                                                              {"sub", true},
                                                              {"sub/deep.safetensors", false}}));
}

TEST(Scan, ExplicitPathsKeepTheirOrderAndMissingOnesAreErrors) {
  TempDir dir;
  const std::string a = dir.path() + "/z.safetensors";
  Copy(kValidFile, a);
  const std::string missing = dir.path() + "/missing.safetensors";
  const std::string b = dir.path() + "/a.safetensors";
  Copy(kValidFile, b);
  const Scan scan = ScanOf({a, missing, b});
  ASSERT_EQ(scan.files.size(), 3u);
  EXPECT_EQ(scan.files[0].path, a);
  EXPECT_EQ(scan.files[1].path, missing);
  EXPECT_FALSE(scan.files[1].io_ok);
  EXPECT_EQ(scan.files[2].path, b);
}

// Many indexes naming one shard file: each reads it again, up to a limit;
// past it the index is rejected (a validator limit), not the work grown.
TEST(Scan, ManyIndexesOnOneShard_FanOutIsBounded) {
  TempDir dir;
  const std::string header = testing::PadToEight(
      R"({"t":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}})");
  dir.Write("s.safetensors", testing::Prefix(header.size()) + header + "x");
  for (int i = 0; i < 20; ++i) {
    dir.Write("m" + std::to_string(100 + i) + ".safetensors.index.json",
              R"({"weight_map": {"t": "s.safetensors"}})");
  }
  const Scan scan = ScanOf({dir.path()});
  size_t indexes = 0, fanned_out = 0;
  for (const ScannedFile& f : scan.files) {
    if (f.role != FileRole::kIndex) continue;
    ++indexes;
    fanned_out += f.report.HasCode(Code::kCheckpointFanOut);
  }
  EXPECT_EQ(indexes, 20u);
  EXPECT_EQ(fanned_out, 4u) << Dump(scan);  // past 16
  // The shard itself is reported once.
  size_t shards = 0;
  for (const ScannedFile& f : scan.files) shards += f.role == FileRole::kShard;
  EXPECT_EQ(shards, 1u);
}

TEST(Scan, JobsAreCappedByTheMemoryBudget) {
  ScanOptions options;
  options.jobs = 64;
  options.memory_budget_bytes = 3 * kPerJobMemoryBytes + 1;
  EXPECT_EQ(EffectiveJobs(options), 3u);
  options.memory_budget_bytes = 1;
  EXPECT_EQ(EffectiveJobs(options), 1u);
  options.memory_budget_bytes = 0;  // half the machine
  EXPECT_GE(EffectiveJobs(options), 1u);
  options.jobs = 2;
  options.memory_budget_bytes = 100 * kPerJobMemoryBytes;
  EXPECT_EQ(EffectiveJobs(options), 2u);
}

// The same scan with 1 and 4 jobs gives the same files in the same order.
TEST(Scan, JobsDoNotChangeTheResult) {
  TempDir dir;
  for (const auto& entry : fs::directory_iterator(kCorpus + "/real")) {
    if (entry.is_regular_file()) {
      Copy(entry.path().string(), dir.path() + "/" + entry.path().filename().string());
    }
  }
  for (const auto& entry : fs::directory_iterator(kSharded)) {
    Copy(entry.path().string(), dir.path() + "/sharded/" + entry.path().filename().string());
  }
  ScanOptions four;
  four.jobs = 4;
  const Scan one = ScanOf({dir.path()}, "default");
  const Scan many = ScanOf({dir.path()}, "default", four);
  EXPECT_EQ(Dump(one), Dump(many));
  EXPECT_GT(one.files.size(), 10u);
}

TEST(ScanWalk, RolesByName) {
  using internal::NameRole;
  using internal::RoleOfName;
  EXPECT_EQ(RoleOfName("model.safetensors"), NameRole::kSafetensors);
  EXPECT_EQ(RoleOfName("model.safetensors.index.json"), NameRole::kIndex);
  EXPECT_EQ(RoleOfName("diffusion_pytorch_model.safetensors.index.fp16.json"), NameRole::kIndex);
  for (const char* name : {"pytorch_model.bin", "x.pt", "x.pth", "x.ckpt", "x.pkl", "x.pickle",
                           "x.joblib", "x.npy", "x.npz", "x.gguf", "x.h5", "x.hdf5", "x.keras",
                           "x.onnx", "x.tflite", "flax_model.msgpack"}) {
    EXPECT_EQ(RoleOfName(name), NameRole::kModelNamed) << name;
  }
  for (const char* name : {"config.json", "tokenizer.json", "README.md", "vocab.txt",
                           "modeling_x.py", ".gitattributes", "pytorch_model.bin.index.json"}) {
    EXPECT_EQ(RoleOfName(name), NameRole::kTextOrConfig) << name;
  }
  for (const char* name : {"tokenizer.model", "blob", "merges", "x.dat", ".safetensors"}) {
    EXPECT_EQ(RoleOfName(name), NameRole::kOther) << name;
  }
}

// A pickle below PATH_MAX's reach: the walk cannot stat it by its path, so
// the scan must fail (an I/O error), never pass it over in silence.
TEST(Scan, FileDeeperThanPathMax_IsAnErrorNotSkipped) {
  TempDir dir;
  Copy(kValidFile, dir.path() + "/model.safetensors");
  std::string deep = dir.path();
  const std::string level(200, 'd');
  const int fd = ::open(dir.path().c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_GE(fd, 0);
  int at = fd;
  for (int i = 0; i < 24; ++i) {  // 24 x 201 bytes: past PATH_MAX (4096)
    ASSERT_EQ(::mkdirat(at, level.c_str(), 0700), 0);
    const int next = ::openat(at, level.c_str(), O_RDONLY | O_DIRECTORY);
    ASSERT_GE(next, 0);
    if (at != fd) ::close(at);
    at = next;
  }
  const std::string pickle = "cos\nsystem\n(S'echo hi'\ntR.";
  const int out = ::openat(at, "x.pkl", O_WRONLY | O_CREAT, 0600);
  ASSERT_GE(out, 0);
  ASSERT_EQ(::write(out, pickle.data(), pickle.size()), static_cast<ssize_t>(pickle.size()));
  ::close(out);
  ::close(at);
  const Scan scan = ScanOf({dir.path()});
  bool unreadable = false;
  for (const ScannedFile& f : scan.files) unreadable |= !f.io_ok;
  EXPECT_TRUE(unreadable) << Dump(scan);
  // TempDir cannot remove what its paths do not reach: unlink level by level.
  std::vector<std::string> levels;
  for (int i = 0; i < 24; ++i) levels.push_back(level);
  std::function<void(int, size_t)> remove = [&](int parent, size_t i) {
    if (i == levels.size()) {
      ::unlinkat(parent, "x.pkl", 0);
      return;
    }
    const int child = ::openat(parent, levels[i].c_str(), O_RDONLY | O_DIRECTORY);
    if (child >= 0) {
      remove(child, i + 1);
      ::close(child);
    }
    ::unlinkat(parent, levels[i].c_str(), AT_REMOVEDIR);
  };
  const int root = ::open(dir.path().c_str(), O_RDONLY | O_DIRECTORY);
  remove(root, 0);
  ::close(root);
}

}  // namespace
}  // namespace stguard
