// What the stguard CLI prints about hostile names, through the binary:
// text escapes controls and bidi controls; JSON, JSON Lines and SARIF escape
// C0 and C1 controls but keep DEL; paths that are not UTF-8 stay exact and
// distinct (PEP 383), in every machine format.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "json_string.h"
#include "run_cli.h"
#include "safetensors_builder.h"
#include "temp_dir.h"

namespace stguard {
namespace {

using testing::CliRun;
using testing::RunCli;
using testing::TempDir;

// A file whose tensor `name` overlaps the tensor before it, so the name
// appears in a finding.
std::string OverlappingFile(const std::string& name_json) {
  const std::string header = testing::PadToEight(
      "{\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]},\"" + name_json +
      "\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[1,3]}}");
  return testing::Prefix(header.size()) + header + "abc";
}

// A file of one sound tensor named `name_json`.
std::string OneTensorFile(const std::string& name_json) {
  const std::string header = testing::PadToEight(
      "{\"" + name_json + "\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]}}");
  return testing::Prefix(header.size()) + header + "ab";
}

// The decoded values of the string member `key` of each object in the
// top-level array `array_key`, read from the raw literals: simdjson's DOM refuses the lone
// surrogates PEP 383 writes, so they are decoded as `verify` decodes them.
std::vector<std::string> StringsAt(const std::string& json, const char* array_key,
                                   const char* key) {
  std::vector<std::string> values;
  simdjson::ondemand::parser parser;
  simdjson::padded_string padded(json);
  simdjson::ondemand::document doc = parser.iterate(padded);
  for (simdjson::ondemand::object item : doc[array_key].get_array()) {
    std::string_view raw = item[key].raw_json_token();
    while (!raw.empty() && raw.back() != '"') raw.remove_suffix(1);
    const std::optional<std::string> value = cli::DecodeJsonString(raw);
    EXPECT_TRUE(value.has_value()) << raw;
    values.push_back(value.value_or(""));
  }
  return values;
}

TEST(CliOutput, TextEscapesBidiControlsInNamesAndPaths) {
  TempDir dir;
  // "b<RLO>txt.exe" would display as "bexe.txt"; the path too.
  const std::string path =
      dir.Write("x\xe2\x80\xaetxt.safetensors", OverlappingFile("b\xe2\x80\xaetxt.exe"));
  const CliRun run = RunCli({"check", path});
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_EQ(run.out.find("\xe2\x80\xae"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("tensor \"b\\u{202e}txt.exe\""), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("x\\u{202e}txt.safetensors: REJECT"), std::string::npos) << run.out;
}

TEST(CliOutput, JsonEscapesC1ControlsAndKeepsDel) {
  TempDir dir;
  const std::string path = dir.Write("c1.safetensors", OneTensorFile("a\xc2\x85\x7f\xc2\x9b"));
  for (const char* format : {"json", "jsonl", "sarif"}) {
    const CliRun run = RunCli({"check", "--deep", "--format", format, path});
    EXPECT_EQ(run.exit_code, 1) << format << run.err;
    EXPECT_EQ(run.out.find("\xc2\x85"), std::string::npos) << format;
    EXPECT_EQ(run.out.find("\xc2\x9b"), std::string::npos) << format;
    EXPECT_NE(run.out.find("a\\u0085\x7f\\u009b"), std::string::npos) << format << run.out;
    EXPECT_EQ(run.out.find("\\u007f"), std::string::npos) << format;
  }
  // Still standard JSON: the name reads back as it was in the header.
  const CliRun run = RunCli({"check", "--deep", "--format", "json", path});
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(run.out).get(doc), simdjson::SUCCESS) << run.out;
  EXPECT_EQ(std::string_view(doc["files"].at(0)["content"]["tensors"].at(0)["name"]),
            "a\xc2\x85\x7f\xc2\x9b");
}

TEST(CliOutput, PathsThatDifferInAnInvalidByteStayDistinctAndExact) {
  TempDir dir;
  const std::string bytes = OverlappingFile("t");
  const std::string fe = dir.Write("m\xfe.safetensors", bytes);
  const std::string ff = dir.Write("m\xff.safetensors", bytes);
  const std::string gone = dir.path() + "/gone\xfe.safetensors";

  const CliRun json = RunCli({"check", "--format", "json", fe, ff, gone});
  EXPECT_EQ(json.exit_code, 2);
  EXPECT_EQ(json.out.find("\xef\xbf\xbd"), std::string::npos) << "no U+FFFD";
  EXPECT_EQ(StringsAt(json.out, "files", "path"), (std::vector<std::string>{fe, ff}));
  EXPECT_EQ(StringsAt(json.out, "errors", "path"), std::vector<std::string>{gone});
  EXPECT_NE(json.out.find("m\\udcfe.safetensors"), std::string::npos) << json.out;
  EXPECT_NE(json.out.find("m\\udcff.safetensors"), std::string::npos) << json.out;

  const CliRun lines = RunCli({"check", "--format", "jsonl", fe, ff});
  std::istringstream in(lines.out);
  std::vector<std::string> line_paths;
  for (std::string line; std::getline(in, line);) {
    const std::vector<std::string> path = StringsAt("{\"lines\":[" + line + "]}", "lines", "path");
    line_paths.insert(line_paths.end(), path.begin(), path.end());
  }
  EXPECT_EQ(line_paths, (std::vector<std::string>{fe, ff}));

  // SARIF locates results by URI, percent-encoded byte by byte.
  const CliRun sarif = RunCli({"check", "--format", "sarif", fe, ff});
  EXPECT_NE(sarif.out.find("m%FE.safetensors"), std::string::npos);
  EXPECT_NE(sarif.out.find("m%FF.safetensors"), std::string::npos);

  // Text shows the byte.
  const CliRun text = RunCli({"check", fe});
  EXPECT_NE(text.out.find("m\\xfe.safetensors: REJECT"), std::string::npos) << text.out;
}

TEST(CliOutput, PythonGetsThePathBytesBackWithFsencode) {
  if (std::system("python3 -c 'pass' >/dev/null 2>&1") != 0) GTEST_SKIP() << "no python3";
  TempDir dir;
  const std::string bytes = OverlappingFile("t");
  const std::vector<std::string> paths = {
      dir.Write("m\xfe.safetensors", bytes),
      dir.Write("m\xff\xc3\xa9\xed\xa0\x80.safetensors", bytes)};
  const std::string report = dir.path() + "/report.json";
  const CliRun json = RunCli({"check", "--format", "json", paths[0], paths[1]});
  std::ofstream(report, std::ios::binary) << json.out;
  const std::string script = dir.path() + "/paths.py";
  std::ofstream(script) << "import json, os, sys\n"
                           "with open(sys.argv[1], encoding='utf-8') as f:\n"
                           "    files = json.load(f)['files']\n"
                           "sys.stdout.buffer.write(b'\\n'.join(os.fsencode(x['path']) for x in "
                           "files))\n";
  const CliRun python = [&] {
    const std::string out = dir.path() + "/python.out";
    const std::string command = "PYTHONUTF8=1 python3 " + script + " " + report + " > " + out;
    EXPECT_EQ(std::system(command.c_str()), 0);
    std::ifstream in(out, std::ios::binary);
    CliRun r;
    r.out.assign(std::istreambuf_iterator<char>(in), {});
    return r;
  }();
  EXPECT_EQ(python.out, paths[0] + "\n" + paths[1]);
}

}  // namespace
}  // namespace stguard
