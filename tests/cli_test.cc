// The stguard CLI as a user meets it: exit codes, the JSON document's shape,
// text output, explain, policies, usage errors.
#include <gtest/gtest.h>
#include <pty.h>
#include <simdjson.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "stguard/codes.h"

#include "run_cli.h"
#include "safetensors_builder.h"

namespace stguard {
namespace {

namespace fs = std::filesystem;

struct CliRun {
  int exit_code;
  std::string out;
};

CliRun Stguard(const std::string& args) {
  const std::string command = std::string(STGUARD_CLI_PATH) + " " + args + " 2>/dev/null";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return {-1, ""};
  std::string out;
  std::array<char, 4096> buffer;
  size_t n;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) out.append(buffer.data(), n);
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

const std::string kCorpus = STGUARD_CORPUS_DIR;
const std::string kGood = kCorpus + "/examples/accepted/gpt2_float32.safetensors";
const std::string kBad = kCorpus + "/reference/adversarial/off_overlap.safetensors";

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("stguard_cli_test_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& content) {
    const fs::path path = dir_ / name;
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << content;
    return path.string();
  }
  fs::path dir_;
};

TEST_F(CliTest, ExitZeroWhenEveryFileIsAccepted) {
  EXPECT_EQ(Stguard("check " + kGood).exit_code, 0);
  EXPECT_EQ(Stguard("check " + kCorpus + "/examples/accepted").exit_code, 0);
}

TEST_F(CliTest, ExitOneWhenAnyFileIsRejected) {
  EXPECT_EQ(Stguard("check " + kBad).exit_code, 1);
  EXPECT_EQ(Stguard("check " + kGood + " " + kBad).exit_code, 1);
  EXPECT_EQ(Stguard("check " + kCorpus + "/examples/rejected").exit_code, 1);
}

TEST_F(CliTest, ExitTwoForIoAndUsageErrors) {
  EXPECT_EQ(Stguard("check " + kGood + " " + (dir_ / "missing.safetensors").string()).exit_code,
            2);
  EXPECT_EQ(Stguard("check").exit_code, 2);
  EXPECT_EQ(Stguard("check --format yaml " + kGood).exit_code, 2);
  EXPECT_EQ(Stguard("check --bogus " + kGood).exit_code, 2);
  EXPECT_EQ(Stguard("frobnicate").exit_code, 2);
  EXPECT_EQ(Stguard("").exit_code, 2);
}

TEST_F(CliTest, BadPoliciesExitTwoWithAMessage) {
  const std::string unknown = Write("p1.json", R"({"extends":"default","no_such_knob":1})");
  const std::string wrong_type = Write("p2.json", R"({"extends":"default","max_rank":"ten"})");
  const std::string out_of_range = Write("p3.json", R"({"extends":"default","max_json_depth":500})");
  const std::string cycle = Write("p4.json", R"({"extends":"p4.json"})");
  const std::string duplicate =
      Write("p5.json", R"({"extends":"default","max_rank":3,"max_rank":4})");
  for (const std::string& p : {unknown, wrong_type, out_of_range, cycle, duplicate}) {
    EXPECT_EQ(Stguard("check --policy " + p + " " + kGood).exit_code, 2) << p;
  }
  EXPECT_EQ(Stguard("check --policy nonexistent " + kGood).exit_code, 2);
  const std::string command = std::string(STGUARD_CLI_PATH) + " check --policy " + unknown +
                              " " + kGood + " 2>&1 >/dev/null";
  FILE* pipe = popen(command.c_str(), "r");
  char buffer[512] = {};
  const size_t n = fread(buffer, 1, sizeof buffer - 1, pipe);
  pclose(pipe);
  EXPECT_NE(std::string(buffer, n).find("unknown knob 'no_such_knob'"), std::string::npos);
}

TEST_F(CliTest, PolicyFileChangesTheVerdict) {
  // Only F16/BF16 allowed: the float32 GPT-2 is rejected with dtype-not-allowed.
  const std::string policy = kCorpus + "/../policies/example-hub-f16-only.json";
  const CliRun run = Stguard("check --format json --policy " + policy + " " + kGood);
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.out.find("\"dtype-not-allowed\""), std::string::npos);
}

TEST_F(CliTest, JsonDocumentHasTheDocumentedShape) {
  const CliRun run = Stguard("check --format json --policy default " + kGood + " " + kBad + " " +
                          (dir_ / "missing.safetensors").string());
  EXPECT_EQ(run.exit_code, 2);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(run.out).get(doc), simdjson::SUCCESS) << run.out;
  EXPECT_EQ(std::string_view(doc["policy"]), "default");
  EXPECT_EQ(std::string_view(doc["tool"]["name"]), "stguard");
  simdjson::dom::array files = doc["files"];
  ASSERT_EQ(files.size(), 2u);
  bool saw_reject = false;
  for (simdjson::dom::element file : files) {
    const std::string_view verdict = file["verdict"];
    EXPECT_TRUE(verdict == "accept" || verdict == "reject");
    EXPECT_TRUE(file["path"].is_string());
    for (simdjson::dom::element finding : simdjson::dom::array(file["findings"])) {
      EXPECT_TRUE(finding["code"].is_uint64() || finding["code"].is_int64());
      EXPECT_TRUE(finding["id"].is_string());
      const std::string_view severity = finding["severity"];
      EXPECT_TRUE(severity == "error" || severity == "warning" || severity == "info");
      EXPECT_TRUE(finding["offset"].is_uint64() || finding["offset"].is_int64());
      EXPECT_TRUE(finding["tensor"].is_string() || finding["tensor"].is_null());
      EXPECT_TRUE(finding["message"].is_string());
    }
    if (verdict == "reject") {
      saw_reject = true;
      simdjson::dom::element first = simdjson::dom::array(file["findings"]).at(0);
      EXPECT_EQ(std::string_view(first["id"]), "data-overlap");
      EXPECT_EQ(int64_t(first["code"]), 604);
      EXPECT_EQ(std::string_view(first["tensor"]), "b");
    }
  }
  EXPECT_TRUE(saw_reject);
  simdjson::dom::array errors = doc["errors"];
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(std::string(std::string_view(errors.at(0)["path"])).find("missing"),
            std::string::npos);
}

TEST_F(CliTest, DirectoriesAreWalkedForSafetensorsFiles) {
  const std::string good = testing::PadToEight(R"({"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}})");
  std::string file(testing::Prefix(good.size()) + good + "xy");
  Write("models/one/model.safetensors", file);
  Write("models/two/model.safetensors", file);
  Write("models/notes.txt", "not a model");
  const CliRun run = Stguard("check --format json " + (dir_ / "models").string());
  EXPECT_EQ(run.exit_code, 0) << run.out;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(run.out).get(doc), simdjson::SUCCESS);
  EXPECT_EQ(simdjson::dom::array(doc["files"]).size(), 2u);
}

TEST_F(CliTest, TextOutputEscapesHostileNames) {
  // A tensor name holding ESC [ 2 J (clear screen) must not reach the terminal raw.
  const std::string header = testing::PadToEight(
      R"({"\u001b[2Jx":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}})");
  const std::string path = Write("hostile.safetensors", testing::Prefix(header.size()) + header + "z");
  const CliRun run = Stguard("check --policy default " + path);
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.out.find('\x1b'), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("\\x1b[2Jx"), std::string::npos) << run.out;
}

TEST_F(CliTest, ExplainPrintsACodeByNumberOrId) {
  const CliRun by_number = Stguard("explain 311");
  EXPECT_EQ(by_number.exit_code, 0);
  EXPECT_NE(by_number.out.find("duplicate-tensor-name"), std::string::npos);
  EXPECT_NE(by_number.out.find("duplicate_tensor_names"), std::string::npos);
  const CliRun by_id = Stguard("explain data-trailing-bytes");
  EXPECT_EQ(by_id.exit_code, 0);
  EXPECT_NE(by_id.out.find("607"), std::string::npos);
  EXPECT_EQ(Stguard("explain 999").exit_code, 2);
}

TEST_F(CliTest, HelpAndVersion) {
  const CliRun help = Stguard("--help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("Usage: stguard [OPTIONS] COMMAND"), std::string::npos);
  EXPECT_NE(help.out.find("3 nothing to check"), std::string::npos);
  const CliRun version = Stguard("--version");
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.out.rfind("stguard ", 0), 0u);
}

TEST_F(CliTest, PolicyCommandPrintsAReloadablePolicy) {
  const CliRun run = Stguard("policy strict");
  EXPECT_EQ(run.exit_code, 0);
  const std::string path = Write("strict-copy.json", run.out);
  EXPECT_EQ(Stguard("policy " + path).out, run.out);
}

TEST_F(CliTest, JsonLinesHasOneObjectPerFileInInputOrder) {
  const std::string missing = (dir_ / "missing.safetensors").string();
  const CliRun run = Stguard("check --format jsonl " + kGood + " " + missing + " " + kBad);
  EXPECT_EQ(run.exit_code, 2);
  std::istringstream lines(run.out);
  std::string line;
  std::vector<std::string> paths;
  simdjson::dom::parser parser;
  while (std::getline(lines, line)) {
    simdjson::dom::element object;
    ASSERT_EQ(parser.parse(line).get(object), simdjson::SUCCESS) << line;
    paths.emplace_back(std::string_view(object["path"]));
    if (paths.size() == 2) {
      EXPECT_TRUE(object["error"].is_string());
    } else {
      EXPECT_TRUE(object["verdict"].is_string());
      EXPECT_TRUE(object["findings"].is_array());
    }
  }
  EXPECT_EQ(paths, (std::vector<std::string>{kGood, missing, kBad}));
}

TEST_F(CliTest, SarifHasARulePerCodeAndAResultPerFinding) {
  const CliRun run = Stguard("check --format sarif --policy default " + kBad + " " + kGood);
  EXPECT_EQ(run.exit_code, 1);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(run.out).get(doc), simdjson::SUCCESS) << run.out;
  EXPECT_EQ(std::string_view(doc["version"]), "2.1.0");
  simdjson::dom::element sarif_run = simdjson::dom::array(doc["runs"]).at(0);
  simdjson::dom::array rules = sarif_run["tool"]["driver"]["rules"];
  EXPECT_EQ(rules.size(), AllCodes().size());
  simdjson::dom::array results = sarif_run["results"];
  ASSERT_EQ(results.size(), 1u);  // off_overlap: one data-overlap error; gpt2: none
  simdjson::dom::element result = results.at(0);
  EXPECT_EQ(std::string_view(result["ruleId"]), "ST604");
  EXPECT_EQ(std::string_view(result["level"]), "error");
  const uint64_t rule_index = result["ruleIndex"];
  EXPECT_EQ(std::string_view(rules.at(rule_index)["name"]), "data-overlap");
  simdjson::dom::element location = simdjson::dom::array(result["locations"]).at(0);
  EXPECT_EQ(uint64_t(location["physicalLocation"]["region"]["byteOffset"]), 106u);
  EXPECT_NE(std::string(std::string_view(location["physicalLocation"]["artifactLocation"]["uri"]))
                .find("off_overlap.safetensors"),
            std::string::npos);
}

TEST_F(CliTest, ParallelJobsGiveTheSameOutputAsOne) {
  const std::string dir = kCorpus + "/reference/adversarial";
  const CliRun one = Stguard("check --format json --policy default --jobs 1 " + dir);
  const CliRun four = Stguard("check --format json --policy default --jobs 4 " + dir);
  EXPECT_EQ(one.exit_code, 1);
  EXPECT_EQ(four.exit_code, one.exit_code);
  EXPECT_EQ(four.out, one.out);
  EXPECT_EQ(Stguard("check --jobs 0 " + kGood).exit_code, 2);
  EXPECT_EQ(Stguard("check --jobs x " + kGood).exit_code, 2);
}

TEST_F(CliTest, DocsCodesListIsCurrent) {
  const CliRun run = Stguard("codes");
  EXPECT_EQ(run.exit_code, 0);
  std::ifstream in(kCorpus + "/../docs/codes.md", std::ios::binary);
  const std::string doc((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(doc, run.out) << "regenerate with: stguard codes > docs/codes.md";
}


// ---------------------------------------------------------------------------
// Standard input, deep scan, verify, foreign formats

TEST_F(CliTest, StandardInputGivesTheSameReportAsTheFile) {
  for (const std::string& file : {kGood, kBad}) {
    const CliRun from_file = Stguard("check --format json --deep " + file);
    const CliRun from_stdin = Stguard("check --format json --deep - < " + file);
    EXPECT_EQ(from_stdin.exit_code, from_file.exit_code) << file;
    // The same document, the path aside.
    std::string expected = from_file.out;
    const size_t at = expected.find("\"path\":\"" + file + "\"");
    ASSERT_NE(at, std::string::npos);
    expected.replace(at, file.size() + 9, "\"path\":\"-\"");
    EXPECT_EQ(from_stdin.out, expected) << file;
  }
  // Piped (not a regular file), in text form.
  const CliRun piped = Stguard("check - < /dev/null");
  EXPECT_EQ(piped.exit_code, 1);
  EXPECT_NE(piped.out.find("file-too-short"), std::string::npos);
  EXPECT_EQ(Stguard("check - -").exit_code, 2);  // stdin can be read once
}

TEST_F(CliTest, DeepScanAddsHashesAndContentFindings) {
  const CliRun shallow = Stguard("check --format json " + kGood);
  EXPECT_EQ(shallow.out.find("\"content\""), std::string::npos);
  const CliRun deep = Stguard("check --format json --deep " + kGood);
  ASSERT_EQ(deep.exit_code, 0) << deep.out;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(deep.out).get(doc), simdjson::SUCCESS) << deep.out;
  std::string_view sha;
  ASSERT_EQ(doc["files"].at(0)["content"]["sha256"].get(sha), simdjson::SUCCESS);
  EXPECT_EQ(sha.size(), 64u);
  const std::string file_sha(sha);  // the parser's buffers are reused below
  simdjson::dom::array tensors;
  ASSERT_EQ(doc["files"].at(0)["content"]["tensors"].get(tensors), simdjson::SUCCESS);
  int64_t tensor_count = 0;
  ASSERT_EQ(doc["files"].at(0)["tensor_count"].get(tensor_count), simdjson::SUCCESS);
  EXPECT_EQ(static_cast<int64_t>(tensors.size()), tensor_count);
  // A BOOL byte of 2: a warning under compat, rejected by default.
  const std::string header = "{\"m\":{\"dtype\":\"BOOL\",\"shape\":[2],\"data_offsets\":[0,2]}}";
  std::string padded = header + std::string((8 - header.size() % 8) % 8, ' ');
  const std::string path = Write("bool.safetensors", testing::Prefix(padded.size()) + padded +
                                                         std::string("\x01\x02", 2));
  EXPECT_EQ(Stguard("check " + path).exit_code, 0);  // the data is not read without --deep
  EXPECT_EQ(Stguard("check --deep --policy compat " + path).exit_code, 0);
  const CliRun rejected = Stguard("check --deep " + path);
  EXPECT_EQ(rejected.exit_code, 1);
  EXPECT_NE(rejected.out.find("609 bool-invalid-values"), std::string::npos) << rejected.out;
  EXPECT_NE(rejected.out.find("sha256 "), std::string::npos) << rejected.out;
  // SARIF carries the file hash as an artifact.
  const CliRun sarif = Stguard("check --deep --format sarif " + kGood);
  ASSERT_EQ(parser.parse(sarif.out).get(doc), simdjson::SUCCESS) << sarif.out;
  std::string_view artifact_sha;
  ASSERT_EQ(doc["runs"].at(0)["artifacts"].at(0)["hashes"]["sha-256"].get(artifact_sha),
            simdjson::SUCCESS);
  EXPECT_EQ(artifact_sha, file_sha);
}

TEST_F(CliTest, VerifyComparesAgainstADeepManifest) {
  const std::vector<uint8_t> bytes = testing::ReadFileBytes(kGood);
  const std::string original(bytes.begin(), bytes.end());
  const std::string copy = Write("model.safetensors", original);
  const std::string manifest = (dir_ / "manifest.json").string();
  ASSERT_EQ(Stguard("check --deep --format json " + copy + " > " + manifest).exit_code, 0);
  CliRun verified = Stguard("verify " + manifest);
  EXPECT_EQ(verified.exit_code, 0) << verified.out;
  EXPECT_NE(verified.out.find("UNCHANGED"), std::string::npos);
  // Flip one byte of the last tensor's data: the file and that tensor changed.
  std::string tampered = original;
  tampered[tampered.size() - 1] = static_cast<char>(tampered.back() ^ 0x40);
  Write("model.safetensors", tampered);
  verified = Stguard("verify " + manifest);
  EXPECT_EQ(verified.exit_code, 1) << verified.out;
  EXPECT_NE(verified.out.find("CHANGED"), std::string::npos);
  EXPECT_NE(verified.out.find("\" changed"), std::string::npos) << verified.out;
  // A report made without --deep is not a manifest.
  ASSERT_EQ(Stguard("check --format json " + copy + " > " + manifest).exit_code, 0);
  EXPECT_EQ(Stguard("verify " + manifest).exit_code, 2);
  EXPECT_EQ(Stguard("verify").exit_code, 2);
}

TEST_F(CliTest, PickleAndOtherFormatsAreNamed) {
  // A protocol-2 pickle of {"a": 1} saved under a .safetensors name.
  static const char kPickle[] = "\x80\x02}q\x00X\x01\x00\x00\x00" "aq\x01K\x01s.";
  const std::string pickle(kPickle, sizeof(kPickle) - 1);
  const CliRun p = Stguard("check " + Write("model.safetensors", pickle));
  EXPECT_EQ(p.exit_code, 1);
  EXPECT_NE(p.out.find("105 pickle-format"), std::string::npos) << p.out;
  const CliRun g = Stguard("check " + Write("gguf.safetensors", std::string("GGUF\x03\x00\x00\x00", 8) +
                                                                    std::string(32, '\0')));
  EXPECT_EQ(g.exit_code, 1);
  EXPECT_NE(g.out.find("104 foreign-format"), std::string::npos) << g.out;
  EXPECT_NE(g.out.find("GGUF"), std::string::npos) << g.out;
  // Unidentifiable junk is still rejected, with no format named.
  const CliRun j = Stguard("check " + Write("junk.safetensors", "hello, world"));
  EXPECT_EQ(j.exit_code, 1);
  EXPECT_EQ(j.out.find("foreign-format"), std::string::npos) << j.out;
  EXPECT_NE(j.out.find("header-too-large"), std::string::npos) << j.out;
}

TEST_F(CliTest, NamedFormatLeadsItsReportWithNoFramingNoise) {
  // A GGUF file's first 8 bytes read as a header of 12,884,901,959 bytes:
  // the report is the identification, and its line says what the file is.
  const std::string gguf_path =
      Write("gguf.safetensors", std::string("GGUF\x03\x00\x00\x00", 8) + std::string(32, '\0'));
  const CliRun text = Stguard("check " + gguf_path);
  EXPECT_EQ(text.exit_code, 1);
  EXPECT_NE(text.out.find(": REJECT (1 error, 0 warnings; not safetensors, file 40 bytes)\n"
                          "  error   104 foreign-format at byte 0: not safetensors: GGUF"),
            std::string::npos)
      << text.out;
  EXPECT_EQ(text.out.find("header-too-large"), std::string::npos) << text.out;
  EXPECT_EQ(text.out.find("header 12884901959"), std::string::npos) << text.out;
  const CliRun json = Stguard("check -f json " + gguf_path);
  EXPECT_NE(json.out.find("\"findings\":[{\"code\":104,"), std::string::npos) << json.out;
  EXPECT_EQ(json.out.find("\"code\":102"), std::string::npos) << json.out;
  // A Git LFS pointer under the model's name (the model never downloaded).
  const CliRun lfs = Stguard("check " + kCorpus + "/foreign/lfs-pointer.safetensors");
  EXPECT_NE(lfs.out.find("not safetensors, file 134 bytes"), std::string::npos) << lfs.out;
  EXPECT_EQ(lfs.out.find(" 102 "), std::string::npos) << lfs.out;
}

TEST_F(CliTest, IndexLineCountsItsEntriesAndShards) {
  const std::string dir = kCorpus + "/real/bert_float32_sharded";
  const CliRun text = Stguard("check " + dir);
  EXPECT_EQ(text.exit_code, 0) << text.out;
  EXPECT_NE(text.out.find("model.safetensors.index.json: ACCEPT (0 errors, 0 warnings; "
                          "39 entries in 3 shards, index 3326 bytes)"),
            std::string::npos)
      << text.out;
  const CliRun json = Stguard("check -f json " + dir);
  EXPECT_NE(json.out.find("\"role\":\"index\",\"shards\":3,"), std::string::npos) << json.out;
  EXPECT_NE(json.out.find("\"tensor_count\":39,"), std::string::npos) << json.out;
}


// ---------------------------------------------------------------------------
// Arguments (CLI11): help, short options, filters, output file, exit statuses

// The paths of a --format jsonl report, in order.
std::vector<std::string> JsonlPaths(const std::string& out) {
  std::vector<std::string> paths;
  std::istringstream lines(out);
  std::string line;
  simdjson::dom::parser parser;
  while (std::getline(lines, line)) {
    simdjson::dom::element object;
    if (parser.parse(line).get(object) != simdjson::SUCCESS) return {"unparsable: " + line};
    paths.emplace_back(std::string_view(object["path"]));
  }
  return paths;
}

// The CLI with its standard output and error on a terminal (a pty), and
// NO_COLOR set to `no_color` (nullptr: unset).
testing::CliRun RunOnTerminal(const std::vector<std::string>& args, const char* no_color) {
  testing::CliRun run;
  std::vector<std::string> copies = args;
  std::string program = STGUARD_CLI_PATH;
  std::vector<char*> argv = {program.data()};
  for (std::string& a : copies) argv.push_back(a.data());
  argv.push_back(nullptr);
  int terminal = -1;
  const pid_t pid = ::forkpty(&terminal, nullptr, nullptr, nullptr);
  if (pid < 0) return run;
  if (pid == 0) {
    if (no_color == nullptr) {
      ::unsetenv("NO_COLOR");
    } else {
      ::setenv("NO_COLOR", no_color, 1);
    }
    ::execv(program.c_str(), argv.data());
    ::_exit(127);
  }
  char buffer[4096];
  ssize_t n;
  while ((n = ::read(terminal, buffer, sizeof buffer)) > 0) run.out.append(buffer, static_cast<size_t>(n));
  ::close(terminal);
  int status = 0;
  ::waitpid(pid, &status, 0);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

TEST_F(CliTest, EveryCommandHasHelpOnStandardOutput) {
  for (const std::string command : std::vector<std::string>{"check", "verify", "explain",
                                                             "policy", "codes"}) {
    const testing::CliRun help = testing::RunCli({command, "--help"});
    EXPECT_EQ(help.exit_code, 0) << command << help.err;
    EXPECT_NE(help.out.find("Usage: stguard " + command), std::string::npos) << help.out;
    EXPECT_EQ(help.err, "") << command;
    EXPECT_EQ(testing::RunCli({"help", command}).out, help.out) << command;
  }
  const testing::CliRun check = testing::RunCli({"check", "-h"});
  EXPECT_EQ(check.exit_code, 0);
  for (const char* option : {"-j,--jobs", "-p,--policy", "-f,--format", "-o,--output",
                             "-q,--quiet", "--fail-on", "--include", "--exclude", "--color",
                             "--root", "--deep", "fnmatch", "3 nothing to check"}) {
    EXPECT_NE(check.out.find(option), std::string::npos) << option;
  }
  EXPECT_EQ(testing::RunCli({"help", "nope"}).exit_code, 2);
}

TEST_F(CliTest, VersionShortAndLong) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"-V"}, {"--version"}, {"check", "-V"}}) {
    const testing::CliRun run = testing::RunCli(args);
    EXPECT_EQ(run.exit_code, 0) << args.back();
    EXPECT_EQ(run.out.rfind("stguard ", 0), 0u) << run.out;
  }
}

TEST_F(CliTest, ShortOptionsAreTheLongOnes) {
  const std::string dir = kCorpus + "/reference/adversarial";
  const testing::CliRun long_form =
      testing::RunCli({"check", "--jobs", "2", "--policy", "compat", "--format", "jsonl", dir});
  EXPECT_EQ(long_form.exit_code, 1);
  ASSERT_FALSE(long_form.out.empty());
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"check", "-j2", "-p", "compat", "-f", "jsonl", dir},
           {"check", "-j", "2", "-pcompat", "-fjsonl", dir},
           {"check", "--jobs=2", "--policy=compat", "--format=jsonl", dir},
           {"check", dir, "-f", "text", "-f", "jsonl", "-p", "compat", "-j", "2"}}) {
    const testing::CliRun run = testing::RunCli(args);
    EXPECT_EQ(run.exit_code, 1) << run.err;
    EXPECT_EQ(run.out, long_form.out) << args[1];
  }
  EXPECT_EQ(testing::RunCli({"check", "-j", "257", kGood}).exit_code, 2);
  EXPECT_EQ(testing::RunCli({"check", "--jobs", kGood}).exit_code, 2);
  // After --, an argument that looks like an option is a path.
  const testing::CliRun dashed = testing::RunCli({"check", "--", "--bogus"});
  EXPECT_EQ(dashed.exit_code, 2);
  EXPECT_NE(dashed.out.find("--bogus: ERROR cannot read"), std::string::npos) << dashed.out;
  const testing::CliRun unknown = testing::RunCli({"check", "--bogus", kGood});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_EQ(unknown.out, "");
  EXPECT_NE(unknown.err.find("--bogus"), std::string::npos) << unknown.err;
  // An argument quoted in the error cannot drive the terminal.
  const testing::CliRun hostile = testing::RunCli({"check", "--\x1b[2J", kGood});
  EXPECT_EQ(hostile.exit_code, 2);
  EXPECT_EQ(hostile.err.find('\x1b'), std::string::npos) << hostile.err;
  EXPECT_NE(hostile.err.find("--\\x1b[2J"), std::string::npos) << hostile.err;
}

TEST_F(CliTest, AFileNamedTwiceIsCheckedOnce) {
  const std::vector<uint8_t> bytes = testing::ReadFileBytes(kGood);
  const std::string file = Write("m/a.safetensors", std::string(bytes.begin(), bytes.end()));
  fs::create_symlink(file, dir_ / "link.safetensors");
  const std::string dotted = (dir_ / "m/./a.safetensors").string();
  const std::string link = (dir_ / "link.safetensors").string();
  const testing::CliRun text = testing::RunCli({"check", file, file, dotted, link});
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_EQ(text.out.find(file + ": ACCEPT"), 0u) << text.out;
  EXPECT_EQ(text.out.find("ACCEPT", 1 + text.out.find("ACCEPT")), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("also at " + dotted + ", " + link), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("1 file checked"), std::string::npos) << text.out;
  const testing::CliRun lines =
      testing::RunCli({"check", "-f", "jsonl", (dir_ / "m").string(), file, link});
  EXPECT_EQ(JsonlPaths(lines.out), std::vector<std::string>{file});
}

TEST_F(CliTest, NothingToCheckExitsThree) {
  fs::create_directories(dir_ / "empty");
  const testing::CliRun empty = testing::RunCli({"check", (dir_ / "empty").string()});
  EXPECT_EQ(empty.exit_code, 3);
  EXPECT_NE(empty.err.find("nothing to check"), std::string::npos) << empty.err;
  Write("configs/config.json", "{}");
  Write("configs/README.md", "# a model");
  const testing::CliRun skipped = testing::RunCli({"check", "-f", "json", (dir_ / "configs").string()});
  EXPECT_EQ(skipped.exit_code, 3);
  EXPECT_NE(skipped.err.find("2 skipped"), std::string::npos) << skipped.err;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(skipped.out).get(doc), simdjson::SUCCESS) << skipped.out;
  EXPECT_EQ(simdjson::dom::array(doc["files"]).size(), 0u);
  const testing::CliRun excluded = testing::RunCli(
      {"check", "--exclude", "*.safetensors", kCorpus + "/examples/accepted"});
  EXPECT_EQ(excluded.exit_code, 3);
  EXPECT_NE(excluded.err.find("excluded by --include/--exclude"), std::string::npos)
      << excluded.err;
  // A file that cannot be read is still an I/O error.
  EXPECT_EQ(testing::RunCli({"check", (dir_ / "missing.safetensors").string()}).exit_code, 2);
}

TEST_F(CliTest, IncludeAndExcludeFilterTheWalk) {
  const std::vector<uint8_t> bytes = testing::ReadFileBytes(kGood);
  const std::string model(bytes.begin(), bytes.end());
  const std::string a = Write("tree/a.safetensors", model);
  const std::string b = Write("tree/sub/b.safetensors", model);
  const std::string c = Write("tree/sub/c.safetensors", model);
  const std::string d = Write("tree/test/d.safetensors", model);
  const std::string tree = (dir_ / "tree").string();
  const auto walk = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"check", "-f", "jsonl"});
    args.push_back(tree);
    return JsonlPaths(testing::RunCli(args).out);
  };
  EXPECT_EQ(walk({}), (std::vector<std::string>{a, b, c, d}));
  // A directory excluded is not entered; a base name matches at any depth.
  EXPECT_EQ(walk({"--exclude", "test"}), (std::vector<std::string>{a, b, c}));
  EXPECT_EQ(walk({"--exclude", "b.safetensors", "--exclude", "test"}),
            (std::vector<std::string>{a, c}));
  // Relative paths: '*' matches '/' too.
  EXPECT_EQ(walk({"--include", "sub/*"}), (std::vector<std::string>{b, c}));
  EXPECT_EQ(walk({"--include", "*/[bd].safetensors"}), (std::vector<std::string>{b, d}));
  EXPECT_EQ(walk({"--include", "*.safetensors", "--exclude", "sub/c*"}),
            (std::vector<std::string>{a, b, d}));
  // Not relative to anything above the directory walked.
  EXPECT_EQ(walk({"--include", "tree/*"}), std::vector<std::string>{});
  // A path named on the command line is never filtered.
  const testing::CliRun named = testing::RunCli({"check", "-f", "jsonl", "--exclude", "*", d});
  EXPECT_EQ(JsonlPaths(named.out), std::vector<std::string>{d});
}

TEST_F(CliTest, OutputGoesToAFileWrittenWhole) {
  const std::string report = (dir_ / "out/report.json").string();
  fs::create_directories(dir_ / "out");
  const testing::CliRun to_stdout = testing::RunCli({"check", "-f", "json", kGood, kBad});
  const testing::CliRun to_file = testing::RunCli({"check", "-f", "json", "-o", report, kGood, kBad});
  EXPECT_EQ(to_file.exit_code, 1);
  EXPECT_EQ(to_file.out, "");
  std::ifstream in(report, std::ios::binary);
  const std::string written((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(written, to_stdout.out);
  // Replaced, not appended to; no temporary file left beside it.
  ASSERT_EQ(testing::RunCli({"check", "--output", report, kGood}).exit_code, 0);
  std::ifstream again(report, std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(again)), {});
  EXPECT_EQ(text.rfind(kGood + ": ACCEPT", 0), 0u) << text;
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_ / "out"), fs::directory_iterator()), 1);
  // Into the directory walked: the temporary file is not met by the walk.
  const std::vector<uint8_t> bytes = testing::ReadFileBytes(kGood);
  Write("walked/model.safetensors", std::string(bytes.begin(), bytes.end()));
  const std::string inside = (dir_ / "walked/report.sarif").string();
  ASSERT_EQ(testing::RunCli({"check", "-f", "json", "-o", inside, (dir_ / "walked").string()})
                .exit_code,
            0);
  std::ifstream walked(inside, std::ios::binary);
  const std::string json((std::istreambuf_iterator<char>(walked)), {});
  EXPECT_NE(json.find("\"not-a-model\":0,"), std::string::npos) << json;
  // Unwritable: a missing directory, a path below a regular file, a directory.
  for (const std::string& bad : {(dir_ / "no/such/dir/r.json").string(), kGood + "/r.json",
                                 (dir_ / "out").string()}) {
    const testing::CliRun run = testing::RunCli({"check", "-o", bad, kGood});
    EXPECT_EQ(run.exit_code, 2) << bad;
    EXPECT_EQ(run.out, "") << bad;
    EXPECT_NE(run.err.find("cannot write"), std::string::npos) << run.err;
  }
}

TEST_F(CliTest, FailOnWarningAlsoFailsOnWarnings) {
  // GGUF: 109 other-weight-format, a warning under the default policy.
  const std::string gguf = kCorpus + "/foreign/model.gguf";
  const testing::CliRun by_default = testing::RunCli({"check", gguf});
  EXPECT_EQ(by_default.exit_code, 0) << by_default.out;
  EXPECT_NE(by_default.out.find("warning 109"), std::string::npos) << by_default.out;
  EXPECT_EQ(testing::RunCli({"check", "--fail-on", "error", gguf}).exit_code, 0);
  EXPECT_EQ(testing::RunCli({"check", "--fail-on", "warning", gguf}).exit_code, 1);
  EXPECT_EQ(testing::RunCli({"check", "--fail-on", "warning", kGood}).exit_code, 0);
  EXPECT_EQ(testing::RunCli({"check", "--fail-on", "info", kGood}).exit_code, 2);
}

TEST_F(CliTest, QuietPrintsOnlyFailingFilesAndTheSummary) {
  const std::string gguf = kCorpus + "/foreign/model.gguf";
  const testing::CliRun quiet = testing::RunCli({"check", "-q", kGood, kBad, gguf});
  EXPECT_EQ(quiet.exit_code, 1);
  EXPECT_EQ(quiet.out.find(kGood), std::string::npos) << quiet.out;
  EXPECT_EQ(quiet.out.find(gguf), std::string::npos) << quiet.out;
  EXPECT_EQ(quiet.out.rfind(kBad + ": REJECT", 0), 0u) << quiet.out;
  EXPECT_NE(quiet.out.find("3 files checked"), std::string::npos) << quiet.out;
  const testing::CliRun warned =
      testing::RunCli({"check", "--quiet", "--fail-on", "warning", kGood, gguf});
  EXPECT_EQ(warned.exit_code, 1);
  EXPECT_EQ(warned.out.rfind(gguf + ": ACCEPT", 0), 0u) << warned.out;
  EXPECT_EQ(testing::RunCli({"check", "-q", "-f", "json", kGood}).exit_code, 2);
}

TEST_F(CliTest, ColorOnlyWhenAskedOrOnATerminalWithoutNoColor) {
  const auto escapes = [](const std::string& out) { return out.find("\033[") != std::string::npos; };
  EXPECT_TRUE(escapes(testing::RunCli({"check", "--color", "always", kGood}).out));
  EXPECT_FALSE(escapes(testing::RunCli({"check", "--color", "never", kGood}).out));
  EXPECT_FALSE(escapes(testing::RunCli({"check", kGood}).out));  // auto, not a terminal
  const testing::CliRun tty = RunOnTerminal({"check", kGood}, nullptr);
  EXPECT_EQ(tty.exit_code, 0);
  EXPECT_TRUE(escapes(tty.out)) << tty.out;
  EXPECT_TRUE(escapes(RunOnTerminal({"check", kGood}, "").out));
  EXPECT_FALSE(escapes(RunOnTerminal({"check", kGood}, "1").out));
  // No terminal control either: the progress line (from 20 files on) is
  // cleared only when it was drawn.
  EXPECT_FALSE(escapes(RunOnTerminal({"check", kGood, kBad, kGood + ".missing"}, "1").out));
  EXPECT_FALSE(escapes(RunOnTerminal({"check", "--color=never", kGood}, nullptr).out));
  EXPECT_TRUE(escapes(RunOnTerminal({"check", "--color=always", kGood}, "1").out));
  // A report written to a file is not coloured unless asked.
  const std::string report = (dir_ / "report.txt").string();
  ASSERT_EQ(RunOnTerminal({"check", "-o", report, kGood}, nullptr).exit_code, 0);
  std::ifstream in(report, std::ios::binary);
  const std::string written((std::istreambuf_iterator<char>(in)), {});
  EXPECT_NE(written.find("ACCEPT"), std::string::npos);
  EXPECT_FALSE(escapes(written)) << written;
}

TEST_F(CliTest, ExplainTakesSarifRuleIdsAndSuggestsCloseCodes) {
  const testing::CliRun by_number = testing::RunCli({"explain", "311"});
  ASSERT_EQ(by_number.exit_code, 0);
  for (const char* name : {"ST311", "st311", "St311", "duplicate-tensor-name"}) {
    const testing::CliRun run = testing::RunCli({"explain", name});
    EXPECT_EQ(run.exit_code, 0) << name;
    EXPECT_EQ(run.out, by_number.out) << name;
  }
  for (const char* wrong : {"ST 311", "ST311x", "S311", "ST"}) {
    EXPECT_EQ(testing::RunCli({"explain", wrong}).exit_code, 2) << wrong;
  }
  const testing::CliRun typo = testing::RunCli({"explain", "duplicate-tensor-nme"});
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_EQ(typo.out, "");
  EXPECT_NE(typo.err.find("311 duplicate-tensor-name"), std::string::npos) << typo.err;
  const testing::CliRun prefix = testing::RunCli({"explain", "duplicate"});
  EXPECT_EQ(prefix.exit_code, 2);
  for (const char* id : {"duplicate-field", "duplicate-tensor-name", "duplicate-metadata-key",
                         "duplicate-metadata-block"}) {
    EXPECT_NE(prefix.err.find(id), std::string::npos) << prefix.err;
  }
  const testing::CliRun rule = testing::RunCli({"explain", "ST31"});
  size_t suggestions = 0;
  for (size_t at = rule.err.find("\n  "); at != std::string::npos; at = rule.err.find("\n  ", at + 1)) {
    ++suggestions;
  }
  EXPECT_EQ(suggestions, 5u) << rule.err;  // 310..319 all close: the first five
  EXPECT_NE(rule.err.find("(ST310)"), std::string::npos) << rule.err;
  const testing::CliRun far = testing::RunCli({"explain", "zzzz"});
  EXPECT_EQ(far.exit_code, 2);
  EXPECT_NE(far.err.find("stguard codes"), std::string::npos) << far.err;
}

TEST_F(CliTest, UnknownPolicyNameListsTheBuiltIns) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"check", "-p", "defualt", kGood}, {"policy", "defualt"},
           {"verify", "--policy", "defualt", kGood}}) {
    const testing::CliRun run = testing::RunCli(args);
    EXPECT_EQ(run.exit_code, 2) << args[0];
    EXPECT_NE(run.err.find("compat, default, strict"), std::string::npos) << run.err;
  }
  // A policy file that exists but is wrong says what is wrong instead.
  const std::string bad = Write("p.json", R"({"extends":"default","no_such_knob":1})");
  const testing::CliRun run = testing::RunCli({"check", "-p", bad, kGood});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("no_such_knob"), std::string::npos) << run.err;
}

}  // namespace
}  // namespace stguard
