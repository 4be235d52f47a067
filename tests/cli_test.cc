// The stguard CLI as a user meets it: exit codes, the JSON document's shape,
// text output, explain, policies, usage errors.
#include <gtest/gtest.h>
#include <simdjson.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "stguard/codes.h"

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
  // A directory holding no *.safetensors is a usage error, not a pass.
  EXPECT_EQ(Stguard("check " + dir_.string()).exit_code, 2);
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
  EXPECT_NE(help.out.find("usage: stguard check"), std::string::npos);
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
}

}  // namespace
}  // namespace stguard
