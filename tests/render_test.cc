// The CLI's report writers (validator/cli/render.cc, json_string.cc) called
// directly: JSON strings are exact (bytes that are not UTF-8 survive as PEP
// 383 lone surrogates) and safe (C0 and C1 controls escaped, DEL raw), text
// is terminal-safe (controls and bidi controls escaped), and the streamed
// reports are the documents the string forms give.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <filesystem>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "json_string.h"
#include "render.h"
#include "stguard/policy.h"

namespace stguard::cli {
namespace {

// ---------------------------------------------------------------------------
// JSON strings

TEST(JsonString, KeepsPrintableTextAndDelRaw) {
  EXPECT_EQ(JsonString("model.safetensors"), "\"model.safetensors\"");
  EXPECT_EQ(JsonString("a\x7f" "b"), "\"a\x7f" "b\"");  // DEL is legal in JSON
  EXPECT_EQ(JsonString("caf\xc3\xa9 \xe2\x80\xae \xf0\x9f\x98\x80"),
            "\"caf\xc3\xa9 \xe2\x80\xae \xf0\x9f\x98\x80\"");
  EXPECT_EQ(JsonString(""), "\"\"");
}

TEST(JsonString, EscapesQuotesBackslashesAndC0Controls) {
  EXPECT_EQ(JsonString("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(JsonString("\b\t\n\f\r"), "\"\\b\\t\\n\\f\\r\"");
  EXPECT_EQ(JsonString(std::string("\x00\x01\x0b\x1b\x1f", 5)),
            "\"\\u0000\\u0001\\u000b\\u001b\\u001f\"");
}

TEST(JsonString, EscapesC1Controls) {
  // U+0080..U+009F (C2 80..C2 9F): some terminals and viewers act on them.
  EXPECT_EQ(JsonString("\xc2\x80"), "\"\\u0080\"");
  EXPECT_EQ(JsonString("x\xc2\x85y\xc2\x9b"), "\"x\\u0085y\\u009b\"");
  EXPECT_EQ(JsonString("\xc2\xa0"), "\"\xc2\xa0\"");  // U+00A0 is not a control
}

TEST(JsonString, WritesBytesThatAreNotUtf8AsLoneSurrogates) {
  EXPECT_EQ(JsonString("a\xff" "b"), "\"a\\udcffb\"");
  EXPECT_EQ(JsonString("\x80"), "\"\\udc80\"");
  EXPECT_EQ(JsonString("\xc3"), "\"\\udcc3\"");              // truncated sequence
  EXPECT_EQ(JsonString("\xc0\xaf"), "\"\\udcc0\\udcaf\"");   // overlong '/'
  EXPECT_EQ(JsonString("\xed\xa0\x80"), "\"\\udced\\udca0\\udc80\"");  // encoded surrogate
  EXPECT_EQ(JsonString("\xf4\x90\x80\x80"), "\"\\udcf4\\udc90\\udc80\\udc80\"");  // > U+10FFFF
}

TEST(JsonString, DecodingGivesTheBytesBack) {
  std::mt19937 rng(383);
  std::set<std::string> literals;
  std::vector<std::string> inputs = {"", "plain", "a\xff", "a\xfe", "\xc3\xa9", "\xc3", "\\\"",
                                     std::string("\0\x7f\xc2\x85", 4), "\xf0\x9f\x98\x80"};
  for (int i = 0; i < 2000; ++i) {
    std::string bytes(rng() % 12, '\0');
    for (char& c : bytes) c = static_cast<char>(rng() % 4 == 0 ? 0xC2 : rng());
    inputs.push_back(bytes);
  }
  std::set<std::string> distinct_inputs(inputs.begin(), inputs.end());
  for (const std::string& bytes : distinct_inputs) {
    const std::string literal = JsonString(bytes);
    const std::optional<std::string> back = DecodeJsonString(literal);
    ASSERT_TRUE(back.has_value()) << literal;
    EXPECT_EQ(*back, bytes) << literal;
    literals.insert(literal);
  }
  // Distinct bytes, distinct literals.
  EXPECT_EQ(literals.size(), distinct_inputs.size());
}

TEST(JsonString, DecodingReadsStandardEscapesAndRefusesBrokenOnes) {
  EXPECT_EQ(DecodeJsonString("\"\\u00e9\\/\\ud83d\\ude00\""), "\xc3\xa9/\xf0\x9f\x98\x80");
  EXPECT_EQ(DecodeJsonString("\"\\u0000\""), std::string(1, '\0'));
  EXPECT_FALSE(DecodeJsonString("\"\\ud800\""));        // unpaired high surrogate
  EXPECT_FALSE(DecodeJsonString("\"\\udc7f\""));        // not a PEP 383 byte
  EXPECT_FALSE(DecodeJsonString("\"\\ude00\""));
  EXPECT_FALSE(DecodeJsonString("\"\\x41\""));
  EXPECT_FALSE(DecodeJsonString("\"\\u12\""));
  EXPECT_FALSE(DecodeJsonString("\"a\nb\""));           // raw control character
  EXPECT_FALSE(DecodeJsonString("\"a\"b\""));
  EXPECT_FALSE(DecodeJsonString("noquotes"));
  EXPECT_FALSE(DecodeJsonString("\"\\\""));
}

TEST(JsonString, SimdjsonReadsWhatIsValidUnicode) {
  // Everything but the PEP 383 escapes is standard JSON.
  const std::string doc = "[" + JsonString(std::string("a\"\\\x01\n\x7f\xc2\x85\xe2\x80\xae", 11)) +
                          "]";
  simdjson::dom::parser parser;
  simdjson::dom::element element;
  ASSERT_EQ(parser.parse(doc).get(element), simdjson::SUCCESS) << doc;
  EXPECT_EQ(std::string_view(element.at(0)),
            std::string_view("a\"\\\x01\n\x7f\xc2\x85\xe2\x80\xae", 11));
}

// ---------------------------------------------------------------------------
// Terminal text

TEST(TerminalSafe, EscapesControlsDelC1AndInvalidBytes) {
  EXPECT_EQ(TerminalSafe("ok"), "ok");
  EXPECT_EQ(TerminalSafe("\x1b[2J"), "\\x1b[2J");
  EXPECT_EQ(TerminalSafe("a\x7f"), "a\\x7f");
  EXPECT_EQ(TerminalSafe("\xc2\x9b" "31m"), "\\xc2\\x9b31m");
  EXPECT_EQ(TerminalSafe("\xff"), "\\xff");
  EXPECT_EQ(TerminalSafe("caf\xc3\xa9"), "caf\xc3\xa9");
}

TEST(TerminalSafe, EscapesBidiControls) {
  // U+202E RIGHT-TO-LEFT OVERRIDE: "exe.txt" would display as "txt.exe".
  EXPECT_EQ(TerminalSafe("a\xe2\x80\xae" "txt.exe"), "a\\u{202e}txt.exe");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"\xd8\x9c", "\\u{061c}"},     {"\xe2\x80\x8e", "\\u{200e}"},
      {"\xe2\x80\x8f", "\\u{200f}"}, {"\xe2\x80\xaa", "\\u{202a}"},
      {"\xe2\x80\xab", "\\u{202b}"}, {"\xe2\x80\xac", "\\u{202c}"},
      {"\xe2\x80\xad", "\\u{202d}"}, {"\xe2\x81\xa6", "\\u{2066}"},
      {"\xe2\x81\xa7", "\\u{2067}"}, {"\xe2\x81\xa8", "\\u{2068}"},
      {"\xe2\x81\xa9", "\\u{2069}"},
  };
  for (const auto& [raw, shown] : cases) EXPECT_EQ(TerminalSafe(raw), shown) << shown;
  // Neighbours are ordinary characters.
  EXPECT_EQ(TerminalSafe("\xe2\x80\x8d"), "\xe2\x80\x8d");  // U+200D ZWJ (emoji sequences)
  EXPECT_EQ(TerminalSafe("\xe2\x80\xaf"), "\xe2\x80\xaf");  // U+202F
  EXPECT_EQ(TerminalSafe("\xe2\x81\xa5"), "\xe2\x81\xa5");  // U+2065
}

// ---------------------------------------------------------------------------
// Reports

std::vector<FileResult> SampleResults() {
  FileResult good;
  good.path = "dir/a\xff.safetensors";
  good.report.verdict = Verdict::kReject;
  good.report.file_size = 100;
  good.report.header_bytes = 80;
  good.report.tensor_count = 1;
  good.report.findings.push_back(
      {Code::kDataOverlap, Severity::kError, 90, std::string("t\xc2\x85"), "overlaps"});
  ContentScan content;
  content.tensors_scanned = true;
  content.tensors.push_back({"t\xc2\x85\x7f", Dtype::kU8, 0, 4, {}, 0, 0, 0});
  good.report.content = content;
  FileResult missing;
  missing.path = "gone\xfe";
  missing.io_ok = false;
  missing.io_error = "No such file or directory";
  return {good, missing};
}

// The same with UTF-8 paths, so that simdjson parses the documents.
std::vector<FileResult> Utf8SampleResults() {
  std::vector<FileResult> results = SampleResults();
  results[0].path = "dir/a.safetensors";
  results[1].path = "gone";
  return results;
}

TEST(Render, StreamedReportsEqualTheirStringForms) {
  const std::vector<FileResult> results = SampleResults();
  const Policy policy = *BuiltinPolicy("default");
  std::ostringstream json, sarif, line;
  RenderJson(json, results, policy);
  RenderSarif(sarif, results, policy);
  RenderJsonLine(line, results[0]);
  EXPECT_EQ(RenderJson(results, policy).str(), json.str());
  EXPECT_EQ(RenderSarif(results, policy).str(), sarif.str());
  EXPECT_EQ(RenderJsonLine(results[0]).str(), line.str());
  std::ostringstream via_operator;
  via_operator << RenderJson(results, policy);
  EXPECT_EQ(via_operator.str(), json.str());
  EXPECT_NE(json.str().find("\"path\":\"dir/a\\udcff.safetensors\""), std::string::npos);
  EXPECT_NE(json.str().find("\"path\":\"gone\\udcfe\""), std::string::npos);
  EXPECT_NE(json.str().find("\"name\":\"t\\u0085\x7f\""), std::string::npos) << json.str();
}

TEST(Render, DocumentsParseWhenPathsAreUtf8) {
  const std::vector<FileResult> results = Utf8SampleResults();
  const Policy policy = *BuiltinPolicy("default");
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(RenderJson(results, policy).str()).get(doc), simdjson::SUCCESS);
  EXPECT_EQ(std::string_view(doc["files"].at(0)["content"]["tensors"].at(0)["name"]),
            "t\xc2\x85\x7f");
  EXPECT_EQ(std::string_view(doc["errors"].at(0)["path"]), "gone");
  ASSERT_EQ(parser.parse(RenderSarif(results, policy).str()).get(doc), simdjson::SUCCESS);
  EXPECT_EQ(std::string_view(doc["runs"].at(0)["invocations"].at(0)["toolExecutionNotifications"]
                                 .at(0)["message"]["text"]),
            "cannot read: No such file or directory");
  ASSERT_EQ(parser.parse(RenderJsonLine(results[1]).str()).get(doc), simdjson::SUCCESS);
  EXPECT_EQ(std::string_view(doc["error"]), "No such file or directory");
}

// ---------------------------------------------------------------------------
// SARIF locations, fingerprints and rules

TEST(Sarif, UriEncodingKeepsUnreservedAndSlashAndEncodesEveryOtherByte) {
  EXPECT_EQ(UriEncodePath("models/a-b_c.d~e"), "models/a-b_c.d~e");
  EXPECT_EQ(UriEncodePath("with space.safetensors"), "with%20space.safetensors");
  EXPECT_EQ(UriEncodePath("per%cent"), "per%25cent");  // '%' itself: no double meaning
  EXPECT_EQ(UriEncodePath("hash#tag?q"), "hash%23tag%3Fq");  // not a fragment or query
  EXPECT_EQ(UriEncodePath("c:d"), "c%3Ad");  // not a scheme
  EXPECT_EQ(UriEncodePath("bad\xff\xfe"), "bad%FF%FE");  // not UTF-8: byte by byte
  EXPECT_EQ(UriEncodePath("\xc3\xa9"), "%C3%A9");  // UTF-8 too
  EXPECT_EQ(UriEncodePath(std::string("nul\0x", 5)), "nul%00x");
}

TEST(Sarif, UrisAreRelativeToTheRootOrAbsoluteOutsideIt) {
  const std::filesystem::path root = "/srv/repo", cwd = "/srv/repo/sub";
  const auto uri = [&](std::string_view path) { return SarifUriFor(path, root, cwd); };
  EXPECT_EQ(uri("m.safetensors").uri, "sub/m.safetensors");
  EXPECT_TRUE(uri("m.safetensors").under_root);
  EXPECT_EQ(uri("./x/../m.safetensors").uri, "sub/m.safetensors");
  EXPECT_EQ(uri("/srv/repo/models/a b#\xff").uri, "models/a%20b%23%FF");
  EXPECT_TRUE(uri("/srv/repo/models/a b#\xff").under_root);
  EXPECT_EQ(uri("../../other/z").uri, "file:///srv/other/z");
  EXPECT_FALSE(uri("../../other/z").under_root);
  // A sibling sharing the root's name as a prefix is outside.
  EXPECT_EQ(uri("/srv/repository/q").uri, "file:///srv/repository/q");
  EXPECT_FALSE(uri("/srv/repository/q").under_root);
  EXPECT_EQ(uri("/srv/a%b").uri, "file:///srv/a%25b");
  EXPECT_EQ(uri("-").uri, "file:///dev/stdin");
  EXPECT_FALSE(uri("-").under_root);
}

TEST(Sarif, FingerprintIsSha256OfRuleUriTensorAndOccurrence) {
  // Pinned: code scanning matches results across runs by this value.
  EXPECT_EQ(SarifFingerprint("ST311", "models/a%20b.safetensors", std::string("w"), 0),
            "bb7d510ae6caa9517568ba89417ac982c62a5056dd3bedc0d30798fe18609ea6");
  const std::string base = SarifFingerprint("ST311", "m", std::string("w"), 0);
  EXPECT_NE(SarifFingerprint("ST310", "m", std::string("w"), 0), base);
  EXPECT_NE(SarifFingerprint("ST311", "n", std::string("w"), 0), base);
  EXPECT_NE(SarifFingerprint("ST311", "m", std::string("v"), 0), base);
  EXPECT_NE(SarifFingerprint("ST311", "m", std::nullopt, 0), base);
  EXPECT_NE(SarifFingerprint("ST311", "m", std::string("w"), 1), base);
}

TEST(Sarif, RegionsCoverThePrefixOrTheTrailingBytes) {
  const auto finding = [](Code code, uint64_t offset) {
    return Finding{code, Severity::kError, offset, std::nullopt, "m"};
  };
  EXPECT_EQ(SarifRegionLength(finding(Code::kHeaderTooLarge, 0), 100), 8u);
  EXPECT_EQ(SarifRegionLength(finding(Code::kHeaderPastEof, 0), 100), 8u);
  EXPECT_EQ(SarifRegionLength(finding(Code::kHeaderLengthUnaligned, 0), 100), 8u);
  EXPECT_EQ(SarifRegionLength(finding(Code::kFileTooShort, 0), 5), 5u);
  EXPECT_EQ(SarifRegionLength(finding(Code::kFileTooShort, 0), 0), 0u);
  EXPECT_EQ(SarifRegionLength(finding(Code::kDataTrailingBytes, 90), 100), 10u);
  EXPECT_EQ(SarifRegionLength(finding(Code::kDuplicateTensorName, 42), 100), 1u);
  EXPECT_EQ(SarifRegionLength(finding(Code::kDuplicateTensorName, 0), 0), 0u);
}

TEST(Sarif, RulesCarrySeverityTagsAndExplainTextAsHelp) {
  const std::vector<FileResult> results = Utf8SampleResults();
  const Policy policy = *BuiltinPolicy("default");
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  const std::string sarif = RenderSarif(results, policy, "/srv/repo").str();
  ASSERT_EQ(parser.parse(sarif).get(doc), simdjson::SUCCESS) << sarif;
  simdjson::dom::element run = doc["runs"].at(0);
  EXPECT_EQ(std::string_view(run["originalUriBaseIds"]["%SRCROOT%"]["uri"]), "file:///srv/repo/");
  size_t i = 0;
  for (simdjson::dom::element rule : simdjson::dom::array(run["tool"]["driver"]["rules"])) {
    const CodeInfo& info = AllCodes()[i++];
    const std::string_view severity = rule["properties"]["security-severity"];
    EXPECT_EQ(severity, SarifSecuritySeverity(info.code));
    const double value = std::stod(std::string(severity));
    EXPECT_GE(value, 0.0);
    EXPECT_LE(value, 10.0);
    EXPECT_EQ(std::string_view(rule["properties"]["tags"].at(0)), "security");
    EXPECT_EQ(std::string_view(rule["help"]["text"]), ExplainText(info));
  }
  EXPECT_EQ(i, AllCodes().size());
  EXPECT_EQ(SarifSecuritySeverity(Code::kPickleUnsafeImport), "9.8");
  EXPECT_GT(std::stod(std::string(SarifSecuritySeverity(Code::kDuplicateTensorName))),
            std::stod(std::string(SarifSecuritySeverity(Code::kDataGap))));
  EXPECT_GT(std::stod(std::string(SarifSecuritySeverity(Code::kDataGap))),
            std::stod(std::string(SarifSecuritySeverity(Code::kTensorOffsetUnaligned))));
  // The result: relative paths start from the current directory, here
  // outside /srv/repo; the region is at least a byte long.
  simdjson::dom::element result = run["results"].at(0);
  simdjson::dom::element physical = result["locations"].at(0)["physicalLocation"];
  EXPECT_EQ(std::string_view(physical["artifactLocation"]["uri"]),
            SarifUriFor("dir/a.safetensors", "/srv/repo", std::filesystem::current_path()).uri);
  EXPECT_EQ(uint64_t(physical["region"]["byteOffset"]), 90u);
  EXPECT_GE(uint64_t(physical["region"]["byteLength"]), 1u);
  EXPECT_EQ(std::string_view(result["partialFingerprints"]["stguard/v1"]).size(), 64u);
  // Under the root: relative, with %SRCROOT%.
  const std::string here = RenderSarif(results, policy, std::filesystem::current_path()).str();
  ASSERT_EQ(parser.parse(here).get(doc), simdjson::SUCCESS) << here;
  simdjson::dom::element location = doc["runs"].at(0)["results"].at(0)["locations"].at(0)
                                        ["physicalLocation"]["artifactLocation"];
  EXPECT_EQ(std::string_view(location["uri"]), "dir/a.safetensors");
  EXPECT_EQ(std::string_view(location["uriBaseId"]), "%SRCROOT%");
}

}  // namespace
}  // namespace stguard::cli
