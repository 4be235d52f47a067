// `stguard verify` through the binary, against manifests that lie: files
// that are not regular (a FIFO would block forever), manifests over the
// size cap, paths with an escaped NUL, paths outside the root by name or
// through a symlink. Also that paths that are not UTF-8 (PEP 383 in the
// report) find their file again, and policy files are refused the same way
// as manifests when they are not regular files.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "json_string.h"
#include "run_cli.h"
#include "safetensors_builder.h"
#include "temp_dir.h"

namespace stguard {
namespace {

namespace fs = std::filesystem;

using testing::CliOptions;
using testing::CliRun;
using testing::RunCli;
using testing::TempDir;

const std::string kGood =
    std::string(STGUARD_CORPUS_DIR) + "/examples/accepted/gpt2_float32.safetensors";

// A child that blocks is killed after this long, and the test fails.
CliOptions Quick() {
  CliOptions options;
  options.timeout_seconds = 20;
  return options;
}

std::string Copy(const std::string& from, const std::string& to) {
  fs::create_directories(fs::path(to).parent_path());
  fs::copy_file(from, to, fs::copy_options::overwrite_existing);
  return to;
}

// A deep report of `files`, written to `manifest`.
void MakeManifest(const std::vector<std::string>& files, const std::string& manifest) {
  std::vector<std::string> args = {"check", "--deep", "--format", "json"};
  args.insert(args.end(), files.begin(), files.end());
  const CliRun run = RunCli(args, Quick());
  ASSERT_EQ(run.exit_code, 0) << run.err;
  std::ofstream(manifest, std::ios::binary) << run.out;
}

// `manifest` with the path of its first file replaced by `path_json` (a
// JSON string literal, quotes included), once per path given.
std::string WithPaths(const std::string& manifest, const std::vector<std::string>& paths_json) {
  std::ifstream in(manifest, std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(in)), {});
  const size_t files = text.find("\"files\":[\n") + 10;
  const size_t end = text.find("],\"errors\"");
  const std::string entry = text.substr(files, end - files);
  const size_t path_at = entry.find("\"path\":") + 7;
  const size_t path_end = entry.find(",\"verdict\"");
  std::string out = text.substr(0, files);
  for (size_t i = 0; i < paths_json.size(); ++i) {
    out += (i ? ",\n" : "") + entry.substr(0, path_at) + paths_json[i] + entry.substr(path_end);
  }
  return out + text.substr(end);
}

TEST(Verify, AFifoManifestOrPolicyIsRefusedAtOnce) {
  TempDir dir;
  const std::string fifo = dir.path() + "/fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const std::string manifest = dir.path() + "/manifest.json";
  MakeManifest({Copy(kGood, dir.path() + "/m.safetensors")}, manifest);

  CliRun run = RunCli({"verify", fifo}, Quick());
  EXPECT_FALSE(run.timed_out);
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("not a regular file"), std::string::npos) << run.err;

  run = RunCli({"check", "--policy", fifo, kGood}, Quick());
  EXPECT_FALSE(run.timed_out);
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("not a regular file"), std::string::npos) << run.err;

  run = RunCli({"verify", "--policy", fifo, manifest}, Quick());
  EXPECT_FALSE(run.timed_out);
  EXPECT_EQ(run.exit_code, 2);

  for (const std::string& not_regular : {std::string("/dev/null"), dir.path()}) {
    run = RunCli({"verify", not_regular}, Quick());
    EXPECT_EQ(run.exit_code, 2) << not_regular;
    EXPECT_NE(run.err.find(not_regular == dir.path() ? "is a directory" : "not a regular file"),
              std::string::npos)
        << run.err;
  }
}

TEST(Verify, AManifestOverTheCapIsRefusedUnread) {
  TempDir dir;
  // Sparse: 256 MiB + 1 byte of nothing, refused by its size alone.
  const std::string manifest = dir.path() + "/huge.json";
  { std::ofstream create(manifest); }
  ASSERT_EQ(::truncate(manifest.c_str(), (off_t{256} << 20) + 1), 0);
  const CliRun run = RunCli({"verify", manifest}, Quick());
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("larger than 256 MiB"), std::string::npos) << run.err;
  EXPECT_LT(run.peak_rss_kib, 64 * 1024u);
}

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

TEST(Verify, AManifestCostsAtMostAFewTimesItsSize) {
  if (kSanitized) GTEST_SKIP() << "ASan's own memory would dominate";
  TempDir dir;
  // The worst case for simdjson's index: one structural character per
  // byte (4 bytes of index each), in a part of the report verify skips.
  // Measured: 5.1x the text at 248 MB (1.27 GB); 32 MiB here.
  constexpr uint64_t kBytes = uint64_t{32} << 20;
  const std::string manifest = dir.path() + "/dense.json";
  {
    std::ofstream out(manifest, std::ios::binary);
    out << "{\"files\":[],\"errors\":[";
    std::string zeros;
    for (int i = 0; i < (1 << 19); ++i) zeros += "0,";
    for (uint64_t written = 0; written < kBytes; written += zeros.size()) out << zeros;
    out << "0]}";
  }
  const CliRun run = RunCli({"verify", manifest}, Quick());
  EXPECT_EQ(run.exit_code, 0) << run.err;
  std::cout << "  verify of a " << (kBytes >> 20) << " MiB manifest: peak RSS "
            << run.peak_rss_kib / 1024 << " MiB\n";
  EXPECT_LE(run.peak_rss_kib * 1024, 6 * kBytes + (uint64_t{16} << 20));
}

TEST(Verify, AnEscapedNulInAPathIsRefusedNotTruncated) {
  TempDir dir;
  const std::string model = Copy(kGood, dir.path() + "/m.safetensors");
  const std::string manifest = dir.path() + "/manifest.json";
  MakeManifest({model}, manifest);
  // "m.safetensors\u0000.txt" would open m.safetensors if cut at the NUL.
  const std::string lying = dir.Write(
      "lying.json", WithPaths(manifest, {cli::JsonString(model + std::string(1, '\0') + ".txt"),
                                         cli::JsonString(model)}));
  const CliRun run = RunCli({"verify", lying}, Quick());
  EXPECT_EQ(run.exit_code, 2) << run.out;
  EXPECT_NE(run.out.find("m.safetensors\\x00.txt: ERROR refused: the path holds a NUL byte"),
            std::string::npos)
      << run.out;
  // The next entry is still verified.
  EXPECT_NE(run.out.find("m.safetensors: UNCHANGED"), std::string::npos) << run.out;
}

TEST(Verify, PathsOutsideTheRootAreRefused) {
  TempDir dir;
  TempDir elsewhere;
  const std::string root = dir.path() + "/root";
  const std::string model = Copy(kGood, root + "/m.safetensors");
  const std::string outside = Copy(kGood, elsewhere.path() + "/secret.safetensors");
  // Its name starts with the root's: a string prefix check would let it in.
  const std::string sibling = Copy(kGood, dir.path() + "/rootx/m.safetensors");
  const std::string fifo = elsewhere.path() + "/fifo";  // would block if opened for reading
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  fs::create_symlink(elsewhere.path(), root + "/link");
  fs::create_symlink(model, root + "/inside-link.safetensors");
  const std::string manifest = root + "/manifest.json";
  MakeManifest({model}, manifest);
  const std::string lying = dir.Write(
      "root/lying.json",
      WithPaths(manifest, {cli::JsonString("/etc/passwd"), cli::JsonString(outside),
                           cli::JsonString(fifo), cli::JsonString("../root/../../etc/passwd"),
                           cli::JsonString("link/secret.safetensors"),
                           cli::JsonString("inside-link.safetensors"), cli::JsonString(sibling),
                           cli::JsonString("../rootx/m.safetensors"),
                           cli::JsonString("m.safetensors")}));
  const CliRun run = RunCli({"verify", lying}, Quick());
  EXPECT_FALSE(run.timed_out);
  EXPECT_EQ(run.exit_code, 2) << run.out;
  EXPECT_NE(run.out.find("/etc/passwd: ERROR refused: outside the root " + root + "\n"),
            std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find(outside + ": ERROR refused: outside the root"), std::string::npos);
  EXPECT_NE(run.out.find(fifo + ": ERROR refused: outside the root"), std::string::npos);
  EXPECT_NE(run.out.find("../root/../../etc/passwd: ERROR refused"), std::string::npos);
  EXPECT_NE(run.out.find(sibling + ": ERROR refused: outside the root"), std::string::npos);
  EXPECT_NE(run.out.find("../rootx/m.safetensors: ERROR refused"), std::string::npos);
  // By name inside, really outside: refused on the resolved path.
  EXPECT_NE(run.out.find("link/secret.safetensors: ERROR refused: outside the root " + root +
                         " (it is " + fs::canonical(outside).string() + ")"),
            std::string::npos)
      << run.out;
  // A symlink that stays inside, and a relative path from the manifest's
  // directory, are fine.
  EXPECT_NE(run.out.find("inside-link.safetensors: UNCHANGED"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("\nm.safetensors: UNCHANGED"), std::string::npos) << run.out;
}

TEST(Verify, RootOptionSetsWhereRelativePathsStart) {
  TempDir dir;
  const std::string models = dir.path() + "/models";
  const std::string model = Copy(kGood, models + "/m.safetensors");
  // The manifest lives elsewhere and names the file relative to models/.
  const std::string manifest = dir.path() + "/reports/manifest.json";
  fs::create_directories(dir.path() + "/reports");
  MakeManifest({model}, manifest);
  const std::string relative =
      dir.Write("reports/relative.json", WithPaths(manifest, {cli::JsonString("m.safetensors")}));
  CliRun run = RunCli({"verify", relative}, Quick());
  EXPECT_EQ(run.exit_code, 2) << run.out;  // reports/m.safetensors does not exist
  run = RunCli({"verify", "--root", models, relative}, Quick());
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_NE(run.out.find("m.safetensors: UNCHANGED"), std::string::npos);
  // The absolute path is outside reports/ (the default root) but inside --root.
  run = RunCli({"verify", manifest}, Quick());
  EXPECT_EQ(run.exit_code, 2) << run.out;
  EXPECT_NE(run.out.find("ERROR refused: outside the root"), std::string::npos) << run.out;
  run = RunCli({"verify", "--root=" + dir.path(), manifest}, Quick());
  EXPECT_EQ(run.exit_code, 0) << run.out;
  EXPECT_EQ(RunCli({"verify", "--root", dir.path() + "/none", manifest}, Quick()).exit_code, 2);
}

TEST(Verify, PathsThatAreNotUtf8FindTheirFilesAgain) {
  TempDir dir;
  // Two names that differ only in a byte that is not UTF-8.
  const std::string fe = Copy(kGood, dir.path() + "/m\xfe.safetensors");
  const std::string ff = Copy(kGood, dir.path() + "/m\xff.safetensors");
  const std::string manifest = dir.path() + "/manifest.json";
  MakeManifest({fe, ff}, manifest);
  CliRun run = RunCli({"verify", manifest}, Quick());
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  // Change one byte of the second file's last tensor: only it changed.
  std::vector<uint8_t> bytes = testing::ReadFileBytes(ff);
  bytes.back() ^= 0x40;
  std::ofstream(ff, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
  run = RunCli({"verify", manifest}, Quick());
  EXPECT_EQ(run.exit_code, 1) << run.out;
  EXPECT_NE(run.out.find("m\\xfe.safetensors: UNCHANGED"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("m\\xff.safetensors: CHANGED"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("\" changed"), std::string::npos) << run.out;
}

}  // namespace
}  // namespace stguard
