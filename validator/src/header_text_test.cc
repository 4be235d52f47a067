// Unit tests for stage 2, header bytes -> JSON (header_text.cc, json_reader.cc):
// FirstInvalidUtf8 directly, the rest through ValidateBuffer so that codes,
// severities and file offsets are checked as users see them.
#include "header_text.h"
#include "json_reader.h"
#include "serde_number.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <cmath>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "fast_paths.h"
#include "finding_sink.h"
#include "report_assertions.h"
#include "safetensors_builder.h"
#include "stguard/validate.h"

namespace stguard {
namespace {

using testing::P;
using testing::Dump;
using testing::Has;
using testing::Lacks;
using testing::Clean;
using testing::WarnsOnly;
using testing::Rejects;
using testing::RunBytes;
using testing::RunRaw;
using testing::RunPadded;
using testing::At;

using ::testing::AssertionFailure;
using ::testing::AssertionResult;
using ::testing::AssertionSuccess;
using testing::MakeFile;
using testing::PadToEight;

// One valid U8 tensor of 8 bytes.
const std::string kTensor = R"("t":{"dtype":"U8","shape":[8],"data_offsets":[0,8]})";
const std::string kValid = "{" + kTensor + "}";

// A valid tensor with an unknown field "x" holding `value` (data: 8 bytes).
std::string WithExtra(const std::string& value) {
  return R"({"t":{"dtype":"U8","shape":[8],"data_offsets":[0,8],"x":)" + value + "}}";
}

// ---------------------------------------------------------------------------
// FirstInvalidUtf8

size_t FirstBad(std::string_view s) {
  return internal::FirstInvalidUtf8(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

TEST(FirstInvalidUtf8, ValidTextReturnsSize) {
  EXPECT_EQ(FirstBad(""), 0u);
  EXPECT_EQ(FirstBad("plain ascii {}"), 14u);
  EXPECT_EQ(FirstBad(std::string_view("\0\x7F", 2)), 2u);
  const std::string mixed = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80z";
  EXPECT_EQ(FirstBad(mixed), mixed.size());
}

TEST(FirstInvalidUtf8, BoundariesOfEachLength) {
  EXPECT_EQ(FirstBad("\xC2\x80"), 2u);          // U+0080
  EXPECT_EQ(FirstBad("\xDF\xBF"), 2u);          // U+07FF
  EXPECT_EQ(FirstBad("\xE0\xA0\x80"), 3u);      // U+0800
  EXPECT_EQ(FirstBad("\xED\x9F\xBF"), 3u);      // U+D7FF
  EXPECT_EQ(FirstBad("\xEE\x80\x80"), 3u);      // U+E000
  EXPECT_EQ(FirstBad("\xEF\xBF\xBF"), 3u);      // U+FFFF
  EXPECT_EQ(FirstBad("\xF0\x90\x80\x80"), 4u);  // U+10000
  EXPECT_EQ(FirstBad("\xF0\x9F\x98\x80"), 4u);  // U+1F600, valid 4-byte
  EXPECT_EQ(FirstBad("\xF4\x8F\xBF\xBF"), 4u);  // U+10FFFF
}

TEST(FirstInvalidUtf8, OverlongEncodings) {
  EXPECT_EQ(FirstBad("\xC0\x80"), 0u);
  EXPECT_EQ(FirstBad("\xC1\xBF"), 0u);
  EXPECT_EQ(FirstBad("ab\xC0\xAF"), 2u);          // overlong '/'
  EXPECT_EQ(FirstBad("\xE0\x80\x80"), 0u);
  EXPECT_EQ(FirstBad("\xE0\x9F\xBF"), 0u);        // U+07FF in 3 bytes
  EXPECT_EQ(FirstBad("\xF0\x80\x80\x80"), 0u);
  EXPECT_EQ(FirstBad("\xF0\x8F\xBF\xBF"), 0u);    // U+FFFF in 4 bytes
}

TEST(FirstInvalidUtf8, SurrogatesEncodedInUtf8) {
  EXPECT_EQ(FirstBad("\xED\xA0\x80"), 0u);        // U+D800
  EXPECT_EQ(FirstBad("x\xED\xAF\xBF"), 1u);       // U+DBFF
  EXPECT_EQ(FirstBad("\xED\xB0\x80"), 0u);        // U+DC00
  EXPECT_EQ(FirstBad("\xED\xBF\xBF"), 0u);        // U+DFFF
  EXPECT_EQ(FirstBad("\xED\xA0\xBD\xED\xB8\x80"), 0u);  // CESU-8 pair
}

TEST(FirstInvalidUtf8, AboveU10FFFF) {
  EXPECT_EQ(FirstBad("\xF4\x90\x80\x80"), 0u);  // U+110000
  EXPECT_EQ(FirstBad("\xF5\x80\x80\x80"), 0u);
  EXPECT_EQ(FirstBad("\xF7\xBF\xBF\xBF"), 0u);
  EXPECT_EQ(FirstBad("\xF8\x88\x80\x80\x80"), 0u);
  EXPECT_EQ(FirstBad("\xFC\x84\x80\x80\x80\x80"), 0u);
  EXPECT_EQ(FirstBad("ok\xFE"), 2u);
  EXPECT_EQ(FirstBad("ok\xFF"), 2u);
}

TEST(FirstInvalidUtf8, TruncatedSequences) {
  EXPECT_EQ(FirstBad("ab\xC3"), 2u);
  EXPECT_EQ(FirstBad("ab\xE2\x82"), 2u);
  EXPECT_EQ(FirstBad("\xF0\x9F\x98"), 0u);
  EXPECT_EQ(FirstBad("\xE2\x82x"), 0u);      // cut short by an ASCII byte
  EXPECT_EQ(FirstBad("\xF0\x9F\x98x"), 0u);
  EXPECT_EQ(FirstBad("\xC3\xA9\xC3"), 2u);
}

TEST(FirstInvalidUtf8, StrayContinuationBytes) {
  EXPECT_EQ(FirstBad("\x80"), 0u);
  EXPECT_EQ(FirstBad("a\xBF"), 1u);
  EXPECT_EQ(FirstBad("\xC3\xA9\xA9"), 2u);
  EXPECT_EQ(FirstBad("\xF0\x9F\x98\x80\x80"), 4u);
}

// Agrees with simdjson's validator (which the header check uses) on every
// 1- and 2-byte string and on 3- and 4-byte strings around every lead byte.
TEST(FirstInvalidUtf8, AgreesWithSimdjsonValidator) {
  auto agree = [](const std::string& s) {
    const bool ours = FirstBad(s) == s.size();
    const bool theirs = simdjson::validate_utf8(s.data(), s.size());
    return ours == theirs;
  };
  for (int a = 0; a < 256; ++a) {
    ASSERT_TRUE(agree(std::string(1, static_cast<char>(a)))) << a;
    for (int b = 0; b < 256; ++b) {
      ASSERT_TRUE(agree({static_cast<char>(a), static_cast<char>(b)})) << a << " " << b;
    }
  }
  const int tails[] = {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xFF};
  for (int a = 0xC0; a < 256; ++a) {
    for (int b = 0; b < 256; ++b) {
      for (int c : tails) {
        const std::string three = {static_cast<char>(a), static_cast<char>(b),
                                   static_cast<char>(c)};
        ASSERT_TRUE(agree(three)) << a << " " << b << " " << c;
        for (int d : tails) {
          const std::string four = three + static_cast<char>(d);
          ASSERT_TRUE(agree(four)) << a << " " << b << " " << c << " " << d;
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------
// UTF-8 and BOM through the validator

TEST(HeaderText, ValidHeader_AllPolicies_Clean) {
  for (const char* policy : {"compat", "default", "strict"}) {
    EXPECT_TRUE(Clean(RunPadded(kValid, 8, policy))) << policy;
  }
}

TEST(HeaderText, NonAsciiNameAndMetadata_Compat_Clean) {
  const std::string header = "{\"__metadata__\":{\"k\":\"\xE2\x82\xAC\xF0\x9F\x98\x80\"},"
                             "\"\xC3\xA9\":{\"dtype\":\"U8\",\"shape\":[8],\"data_offsets\":[0,8]}}";
  EXPECT_TRUE(Clean(RunPadded(header, 8, "compat")));
  EXPECT_TRUE(Clean(RunPadded(header, 8, "strict")));
}

TEST(HeaderText, BomBeforeJson_Compat_Rejects202AtOffset8) {
  const Report r = RunPadded("\xEF\xBB\xBF" + kValid, 8, "compat");
  EXPECT_TRUE(Rejects(r, Code::kHeaderBom, 8));
}

TEST(HeaderText, BomInsideAString_Compat_Accepted) {
  // U+FEFF is an ordinary character anywhere but at the start.
  const std::string header = "{\"__metadata__\":{\"k\":\"\xEF\xBB\xBF\"}," + kTensor + "}";
  EXPECT_TRUE(Clean(RunPadded(header, 8, "compat")));
}

TEST(HeaderText, InvalidUtf8InName_Compat_Rejects201AtTheByte) {
  const std::string header = "{\"t\xFF\":{\"dtype\":\"U8\",\"shape\":[8],\"data_offsets\":[0,8]}}";
  EXPECT_TRUE(Rejects(RunPadded(header, 8, "compat"), Code::kHeaderInvalidUtf8, 8 + 3));
}

TEST(HeaderText, SurrogateInUtf8InMetadata_Compat_Rejects201) {
  const std::string header = "{\"__metadata__\":{\"k\":\"\xED\xA0\x80\"}," + kTensor + "}";
  EXPECT_TRUE(Rejects(RunPadded(header, 8, "compat"), Code::kHeaderInvalidUtf8,
                      At(header, "\xED")));
}

TEST(HeaderText, OverlongInMetadata_Compat_Rejects201) {
  const std::string header = "{\"__metadata__\":{\"k\":\"\xC0\xAF\"}," + kTensor + "}";
  EXPECT_TRUE(Rejects(RunPadded(header, 8, "compat"), Code::kHeaderInvalidUtf8,
                      At(header, "\xC0")));
}

TEST(HeaderText, InvalidUtf8InPadding_Compat_Rejects201) {
  const std::string header = kValid + "  \xFF";
  EXPECT_TRUE(Rejects(RunPadded(header, 8, "compat"), Code::kHeaderInvalidUtf8,
                      8 + kValid.size() + 2));
}

TEST(HeaderText, TruncatedUtf8AtTheEndOfTheHeader_Compat_Rejects201) {
  // The header ends in the middle of a 3-byte sequence; the data section follows.
  std::string header = kValid;
  while ((header.size() + 2) % 8 != 0) header += ' ';
  header += "\xE2\x82";
  const Report r = RunRaw(header, 8, "compat");
  EXPECT_TRUE(Rejects(r, Code::kHeaderInvalidUtf8, 8 + header.size() - 2));
}

// ---------------------------------------------------------------------------
// Leading whitespace

TEST(LeadingWhitespace, Compat_Warns203AtOffset8) {
  for (const char* ws : {" ", "\t", "\n", "\r\n", "   "}) {
    const Report r = RunPadded(ws + kValid, 8, "compat");
    EXPECT_TRUE(WarnsOnly(r, Code::kHeaderLeadingWhitespace, 8)) << "'" << ws << "'";
  }
}

TEST(LeadingWhitespace, Default_Rejects203) {
  EXPECT_TRUE(Rejects(RunPadded("  " + kValid, 8, "default"), Code::kHeaderLeadingWhitespace, 8));
}

TEST(LeadingWhitespace, Strict_Rejects203) {
  EXPECT_TRUE(Rejects(RunPadded("\n" + kValid, 8, "strict"), Code::kHeaderLeadingWhitespace, 8));
}

TEST(LeadingWhitespace, None_Default_Clean) {
  EXPECT_TRUE(Clean(RunPadded(kValid, 8, "default")));
}

// ---------------------------------------------------------------------------
// Trailing content and padding

TEST(TrailingContent, NulPadding_Compat_Rejects204AtFirstNul) {
  std::string header = kValid;
  header.append(8 - header.size() % 8, '\0');
  const Report r = RunRaw(header, 8, "compat");
  EXPECT_TRUE(Rejects(r, Code::kHeaderTrailingContent, 8 + kValid.size()));
}

TEST(TrailingContent, NulAfterSpaces_Compat_Rejects204AtTheNul) {
  const std::string header = kValid + "   " + std::string(1, '\0');
  const Report r = RunPadded(header, 8, "compat");
  EXPECT_TRUE(Rejects(r, Code::kHeaderTrailingContent, 8 + kValid.size() + 3));
}

TEST(TrailingContent, SecondObject_Compat_Rejects204AtSecondObject) {
  const std::string header = kValid + " {}";
  EXPECT_TRUE(Rejects(RunPadded(header, 8, "compat"), Code::kHeaderTrailingContent,
                      8 + kValid.size() + 1));
}

TEST(TrailingContent, SecondTensorObjectSmuggled_Compat_Rejects204) {
  const std::string header = kValid + kValid;
  EXPECT_TRUE(Rejects(RunPadded(header, 8, "compat"), Code::kHeaderTrailingContent,
                      8 + kValid.size()));
}

TEST(TrailingContent, Comment_Compat_Rejects204AtTheSlash) {
  for (const char* comment : {"//x", "/* x */"}) {
    const std::string header = kValid + " " + comment;
    EXPECT_TRUE(Rejects(RunPadded(header, 8, "compat"), Code::kHeaderTrailingContent,
                        8 + kValid.size() + 1))
        << comment;
  }
}

TEST(TrailingContent, ScalarAfterObject_Compat_Rejects204) {
  const std::string header = kValid + "\n1";
  EXPECT_TRUE(Rejects(RunPadded(header, 8, "compat"), Code::kHeaderTrailingContent,
                      8 + kValid.size() + 1));
}

TEST(TrailingContent, SpacesOnly_AllPolicies_Clean) {
  for (const char* policy : {"compat", "default", "strict"}) {
    EXPECT_TRUE(Clean(RunRaw(kValid + std::string(16 - kValid.size() % 8, ' '), 8, policy)))
        << policy;
  }
}

TEST(PaddingNotSpaces, TabCrLf_CompatAndDefault_Warn205AtTheByte) {
  for (const char* ws : {"\t", "\r", "\n", "\r\n"}) {
    for (const char* policy : {"compat", "default"}) {
      const std::string header = kValid + "  " + ws;
      const Report r = RunPadded(header, 8, policy);
      EXPECT_TRUE(WarnsOnly(r, Code::kHeaderPaddingNotSpaces, 8 + kValid.size() + 2))
          << policy << " " << static_cast<int>(ws[0]);
    }
  }
}

TEST(PaddingNotSpaces, Tab_Strict_Rejects205) {
  const std::string header = kValid + "\t";
  EXPECT_TRUE(Rejects(RunPadded(header, 8, "strict"), Code::kHeaderPaddingNotSpaces,
                      8 + kValid.size()));
}

TEST(PaddingNotSpaces, Newline_Strict_Rejects205) {
  const std::string header = kValid + "\n";
  EXPECT_TRUE(Rejects(RunPadded(header, 8, "strict"), Code::kHeaderPaddingNotSpaces,
                      8 + kValid.size()));
}

TEST(PaddingNotSpaces, WhitespaceInsideTheJson_Strict_Clean) {
  // Only the padding after the value counts.
  const std::string header = "{\n\t\"t\" :\r\n{\"dtype\":\"U8\",\"shape\":[8],\"data_offsets\":[0,8]}\n}";
  EXPECT_TRUE(Clean(RunPadded(header, 8, "strict")));
}

// ---------------------------------------------------------------------------
// Depth

std::string Nested(size_t levels) { return std::string(levels, '[') + std::string(levels, ']'); }

// Total depth = 2 (header object, tensor entry) + levels of the unknown field.
std::string DeepUnknownField(size_t total_depth) { return WithExtra(Nested(total_depth - 2)); }

// Total depth = 2 (header object, __metadata__) + levels of the value.
std::string DeepMetadata(size_t total_depth) {
  return "{\"__metadata__\":{\"k\":" + Nested(total_depth - 2) + "}," + kTensor + "}";
}

// Offset of the bracket that opens level `level` (1-based) of the nesting.
uint64_t OpeningOfLevel(const std::string& header, size_t level) {
  const size_t first = header.find("[[");  // the nesting, not a shape
  return 8 + first + (level - 3);
}

TEST(JsonDepth, UnknownField127Levels_Compat_Accepted) {
  const Report r = RunPadded(DeepUnknownField(127), 8, "compat");
  EXPECT_TRUE(WarnsOnly(r, Code::kFieldUnknown));
}

TEST(JsonDepth, UnknownField128Levels_Compat_Rejects206) {
  const std::string header = DeepUnknownField(128);
  const Report r = RunPadded(header, 8, "compat");
  EXPECT_TRUE(Rejects(r, Code::kJsonTooDeep, OpeningOfLevel(header, 128)));
}

TEST(JsonDepth, Metadata127Levels_Compat_No206) {
  const Report r = RunPadded(DeepMetadata(127), 8, "compat");
  EXPECT_TRUE(Lacks(r, Code::kJsonTooDeep));
  EXPECT_TRUE(Rejects(r, Code::kMetadataValueNotString));
}

TEST(JsonDepth, Metadata128Levels_Compat_Rejects206) {
  const std::string header = DeepMetadata(128);
  EXPECT_TRUE(Rejects(RunPadded(header, 8, "compat"), Code::kJsonTooDeep,
                      OpeningOfLevel(header, 128)));
}

TEST(JsonDepth, FarTooDeep_Compat_Rejects206) {
  const std::string header = DeepUnknownField(5000);
  EXPECT_TRUE(Rejects(RunPadded(header, 8, "compat"), Code::kJsonTooDeep,
                      OpeningOfLevel(header, 128)));
}

TEST(JsonDepth, Default32Accepted33Rejected) {
  const Report at_limit = RunPadded(DeepUnknownField(32), 8, "default");
  EXPECT_TRUE(Lacks(at_limit, Code::kJsonTooDeep));
  EXPECT_TRUE(Rejects(at_limit, Code::kFieldUnknown));  // default rejects the field itself
  const std::string header = DeepUnknownField(33);
  EXPECT_TRUE(Rejects(RunPadded(header, 8, "default"), Code::kJsonTooDeep,
                      OpeningOfLevel(header, 33)));
  EXPECT_TRUE(Lacks(RunPadded(DeepMetadata(32), 8, "default"), Code::kJsonTooDeep));
  EXPECT_TRUE(Rejects(RunPadded(DeepMetadata(33), 8, "default"), Code::kJsonTooDeep));
}

TEST(JsonDepth, Strict8Accepted9Rejected) {
  EXPECT_TRUE(Lacks(RunPadded(DeepUnknownField(8), 8, "strict"), Code::kJsonTooDeep));
  const std::string header = DeepUnknownField(9);
  EXPECT_TRUE(Rejects(RunPadded(header, 8, "strict"), Code::kJsonTooDeep,
                      OpeningOfLevel(header, 9)));
  EXPECT_TRUE(Lacks(RunPadded(DeepMetadata(8), 8, "strict"), Code::kJsonTooDeep));
  EXPECT_TRUE(Rejects(RunPadded(DeepMetadata(9), 8, "strict"), Code::kJsonTooDeep));
}

// The innermost container holds a value: [[...[1]...]] or {"a":{"a":...1}}.
// (simdjson alone does not count an empty innermost container and stops one
// level early on a non-empty one; the limit must hold for both.)
std::string NestedNonEmpty(size_t levels) {
  return std::string(levels, '[') + "1" + std::string(levels, ']');
}
std::string NestedObjects(size_t levels) {
  std::string s;
  for (size_t i = 0; i < levels; ++i) s += "{\"a\":";
  return s + "1" + std::string(levels, '}');
}

TEST(JsonDepth, NonEmptyArrays127Levels_Compat_Accepted) {
  const Report r = RunPadded(WithExtra(NestedNonEmpty(125)), 8, "compat");
  EXPECT_TRUE(WarnsOnly(r, Code::kFieldUnknown));
}

TEST(JsonDepth, NestedObjects127Levels_Compat_Accepted) {
  const Report r = RunPadded(WithExtra(NestedObjects(125)), 8, "compat");
  EXPECT_TRUE(WarnsOnly(r, Code::kFieldUnknown));
}

TEST(JsonDepth, NonEmptyMetadata127Levels_Compat_No206) {
  const std::string header = "{\"__metadata__\":{\"k\":" + NestedNonEmpty(125) + "}," + kTensor + "}";
  const Report r = RunPadded(header, 8, "compat");
  EXPECT_TRUE(Lacks(r, Code::kJsonTooDeep));
  EXPECT_TRUE(Rejects(r, Code::kMetadataValueNotString));
}

TEST(JsonDepth, NonEmpty32Levels_Default_No206) {
  const Report r = RunPadded(WithExtra(NestedNonEmpty(30)), 8, "default");
  EXPECT_TRUE(Lacks(r, Code::kJsonTooDeep));
  EXPECT_TRUE(Rejects(r, Code::kFieldUnknown));
}

TEST(JsonDepth, NonEmpty8Levels_Strict_No206) {
  const Report r = RunPadded(WithExtra(NestedObjects(6)), 8, "strict");
  EXPECT_TRUE(Lacks(r, Code::kJsonTooDeep));
  EXPECT_TRUE(Rejects(r, Code::kFieldUnknown));
}

TEST(JsonDepth, NonEmpty128Levels_Compat_Rejects206AtTheBracket) {
  const std::string header = WithExtra(NestedNonEmpty(126));
  EXPECT_TRUE(Rejects(RunPadded(header, 8, "compat"), Code::kJsonTooDeep,
                      OpeningOfLevel(header, 128)));
  const std::string objects = WithExtra(NestedObjects(126));
  const uint64_t level128 = 8 + objects.find("{\"a\":") + 125 * 5;
  EXPECT_TRUE(Rejects(RunPadded(objects, 8, "compat"), Code::kJsonTooDeep, level128));
}

TEST(JsonDepth, NonEmpty33Levels_Default_Rejects206) {
  EXPECT_TRUE(Rejects(RunPadded(WithExtra(NestedNonEmpty(31)), 8, "default"),
                      Code::kJsonTooDeep));
  EXPECT_TRUE(Rejects(RunPadded(WithExtra(NestedObjects(7)), 8, "strict"),
                      Code::kJsonTooDeep));
}

TEST(JsonDepth, CustomPolicyDepth1_OnlyTheTopLevelObject) {
  const PolicyLoadResult loaded = ParsePolicy(R"({"extends":"compat","max_json_depth":1})", ".");
  ASSERT_TRUE(loaded.policy) << loaded.error;
  EXPECT_TRUE(Clean(ValidateBuffer(MakeFile(PadToEight("{}")), *loaded.policy)));
  EXPECT_TRUE(Rejects(ValidateBuffer(testing::MakeFileWithData(PadToEight(kValid), 8),
                                     *loaded.policy),
                      Code::kJsonTooDeep, 8 + 5));
}

// ---------------------------------------------------------------------------
// JSON syntax

TEST(JsonSyntax, EmptyHeaderN0_Compat_Rejects207) {
  const Report r = RunBytes(MakeFile(""), "compat");
  EXPECT_TRUE(Rejects(r, Code::kJsonSyntax));
  for (const Finding& f : r.findings) EXPECT_LT(f.offset, 8u);
}

TEST(JsonSyntax, EmptyHeaderN0WithData_Compat_Rejects207At8) {
  const Report r = RunBytes(MakeFile("", "datadata"), "compat");
  EXPECT_TRUE(Rejects(r, Code::kJsonSyntax, 8));
}

TEST(JsonSyntax, WhitespaceOnly_Compat_Rejects207NotLeadingWhitespace) {
  const Report r = RunRaw("        ", 0, "compat");
  EXPECT_TRUE(Rejects(r, Code::kJsonSyntax, 8));
  EXPECT_TRUE(Lacks(r, Code::kHeaderLeadingWhitespace));
}

TEST(JsonSyntax, Malformed_Compat_Rejects207) {
  const std::string cases[] = {
      "{" + kTensor + ",}",                                       // trailing comma
      "{'t':{'dtype':'U8','shape':[8],'data_offsets':[0,8]}}",   // single quotes
      WithExtra("NaN"),
      WithExtra("Infinity"),
      WithExtra("-Infinity"),
      WithExtra("tru"),
      WithExtra("nul"),
      WithExtra("True"),
      WithExtra("01"),
      WithExtra("1."),
      WithExtra(".5"),
      WithExtra("+1"),
      WithExtra("-"),
      WithExtra("1e"),
      WithExtra("1e+"),
      WithExtra("0x10"),
      R"({"t":{"dtype":"U8","shape":[8],"data_offsets":[0,8]})",  // truncated: missing brace
      R"({"t":{"dtype":"U8","shape":[8],"data_offsets":[0,)",     // truncated
      R"({"t":{"dtype":"U8","shape":[8] "data_offsets":[0,8]}})",  // missing comma
      R"({"t" {"dtype":"U8","shape":[8],"data_offsets":[0,8]}})",  // missing colon
      R"({"t":{"dtype":"U8","shape":[8,],"data_offsets":[0,8]}})",  // trailing comma in array
      "{" + kTensor + ",,\"u\":1}",
      "}",
      "{\"a\"}",
  };
  for (const std::string& header : cases) {
    EXPECT_TRUE(Rejects(RunPadded(header, 8, "compat"), Code::kJsonSyntax)) << header;
  }
}

TEST(JsonSyntax, MismatchedBracket_Compat_Rejects207) {
  const std::string header = R"({"t":{"dtype":"U8","shape":[8],"data_offsets":[0,8]}]})";
  // Not 204: the ']' does not close the object, so nothing "trails" it.
  const Report r = RunPadded(header, 8, "compat");
  EXPECT_TRUE(Rejects(r, Code::kJsonSyntax, At(header, "}]}") + 1));
  EXPECT_TRUE(Lacks(r, Code::kHeaderTrailingContent));
  const std::string inner = R"({"t":{"dtype":"U8","shape":[8},"data_offsets":[0,8]}})";
  EXPECT_EQ(RunPadded(inner, 8, "compat").verdict, Verdict::kReject);
}

TEST(JsonSyntax, BadTokenOffsetPointsAtIt_Compat) {
  const std::string header = WithExtra("NaN");
  EXPECT_TRUE(Rejects(RunPadded(header, 8, "compat"), Code::kJsonSyntax, At(header, "NaN")));
  const std::string quoted = "{'t':1}";
  EXPECT_TRUE(Rejects(RunPadded(quoted, 0, "compat"), Code::kJsonSyntax, 9));
  const std::string zero = WithExtra("01");
  EXPECT_TRUE(Rejects(RunPadded(zero, 8, "compat"), Code::kJsonSyntax, At(zero, "01")));
}

// ---------------------------------------------------------------------------
// Numbers

const std::string kOverflowThreshold =  // 2^1024 - 2^970: the smallest integer that rounds to inf
    "179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977"
    "587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845"
    "817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711559"
    "699508093042880177904174497792";
const std::string kBelowOverflowThreshold =
    kOverflowThreshold.substr(0, kOverflowThreshold.size() - 1) + "1";

TEST(JsonNumbers, ThresholdConstantsAreWhatTheTestMeans) {
  ASSERT_EQ(kOverflowThreshold.size(), 309u);
  EXPECT_TRUE(std::isinf(std::strtod(kOverflowThreshold.c_str(), nullptr)));
  EXPECT_FALSE(std::isinf(std::strtod(kBelowOverflowThreshold.c_str(), nullptr)));
}

TEST(JsonNumbers, FloatOverflowInUnknownField_Compat_Rejects208AtTheNumber) {
  for (const char* number : {"1e400", "-1e400", "1E+309", "1.7976931348623159e308",
                             "0.000001e315", "123456789.5e301", "1e99999999999999999999"}) {
    const std::string header = WithExtra(number);
    EXPECT_TRUE(Rejects(RunPadded(header, 8, "compat"), Code::kJsonNumberOverflow,
                        At(header, number)))
        << number;
  }
}

TEST(JsonNumbers, FloatOverflowDeepInsideIgnoredContainers_Compat_Rejects208) {
  const std::string header = WithExtra(R"({"a":[1,{"b":[2,1e400]}]})");
  EXPECT_TRUE(Rejects(RunPadded(header, 8, "compat"), Code::kJsonNumberOverflow,
                      At(header, "1e400")));
}

TEST(JsonNumbers, FloatOverflowInMetadataValue_Compat_Rejects208) {
  const std::string header = "{\"__metadata__\":{\"k\":1e400}," + kTensor + "}";
  EXPECT_TRUE(Rejects(RunPadded(header, 8, "compat"), Code::kJsonNumberOverflow,
                      At(header, "1e400")));
}

TEST(JsonNumbers, FloatsThatDoNotOverflow_Compat_Accepted) {
  for (const char* number : {"1e-400", "-1e-400", "1.7976931348623157e308", "0e99999",
                             "0.0e400", "1e308", "-1.5", "4.9e-324", "1e-99999999999999999999",
                             "0.00000000000000000000000000000000000001e330"}) {
    const Report r = RunPadded(WithExtra(number), 8, "compat");
    EXPECT_TRUE(WarnsOnly(r, Code::kFieldUnknown)) << number;
  }
}

TEST(JsonNumbers, HugeIntegerInUnknownField_Compat_Accepted) {
  // The reference reads integers outside 64 bits as floats.
  const Report r = RunPadded(WithExtra("123456789012345678901234567890"), 8, "compat");
  EXPECT_TRUE(WarnsOnly(r, Code::kFieldUnknown));
}

TEST(JsonNumbers, HugeNegativeIntegerInUnknownField_Compat_Accepted) {
  EXPECT_TRUE(WarnsOnly(RunPadded(WithExtra("-99999999999999999999"), 8, "compat"),
                        Code::kFieldUnknown));
  EXPECT_TRUE(WarnsOnly(RunPadded(WithExtra("-9223372036854775809"), 8, "compat"),
                        Code::kFieldUnknown));
}

TEST(JsonNumbers, SeveralHugeIntegers_Compat_Accepted) {
  const Report r = RunPadded(
      WithExtra("[18446744073709551616, {\"y\": -123456789012345678901234567890}, 1e5]"), 8,
      "compat");
  EXPECT_TRUE(WarnsOnly(r, Code::kFieldUnknown));
}

TEST(JsonNumbers, IntegerOf400Digits_Compat_Rejects208) {
  const std::string number = "1" + std::string(399, '0');
  const std::string header = WithExtra(number);
  EXPECT_TRUE(Rejects(RunPadded(header, 8, "compat"), Code::kJsonNumberOverflow,
                      At(header, number)));
}

TEST(JsonNumbers, NegativeIntegerOf400Digits_Compat_Rejects208) {
  const std::string number = "-" + std::string(400, '9');
  const std::string header = WithExtra(number);
  EXPECT_TRUE(Rejects(RunPadded(header, 8, "compat"), Code::kJsonNumberOverflow,
                      At(header, number)));
}

TEST(JsonNumbers, IntegerAtDoubleOverflowThreshold_Compat_Rejects208) {
  const std::string header = WithExtra(kOverflowThreshold);
  EXPECT_TRUE(Rejects(RunPadded(header, 8, "compat"), Code::kJsonNumberOverflow,
                      At(header, kOverflowThreshold)));
}

// serde_json keeps 20 significant digits and multiplies by a power of ten:
// near the threshold it refuses numbers that round correctly to DBL_MAX.
TEST(JsonNumbers, IntegerJustBelowDoubleOverflowThreshold_Compat_RejectedAsTheReferenceDoes) {
  EXPECT_TRUE(Rejects(RunPadded(WithExtra(kBelowOverflowThreshold), 8, "compat"),
                      Code::kJsonNumberOverflow));
  EXPECT_TRUE(Rejects(RunPadded(WithExtra("-" + kBelowOverflowThreshold), 8, "compat"),
                      Code::kJsonNumberOverflow));
  // The largest 309-digit integer serde_json takes.
  const std::string largest = "17976931348623156224" + std::string(289, '0');
  EXPECT_TRUE(WarnsOnly(RunPadded(WithExtra(largest), 8, "compat"), Code::kFieldUnknown));
}

TEST(JsonNumbers, ThresholdWithFraction_Compat) {
  EXPECT_TRUE(Rejects(RunPadded(WithExtra(kOverflowThreshold + ".0"), 8, "compat"),
                      Code::kJsonNumberOverflow));
  EXPECT_TRUE(Rejects(RunPadded(WithExtra(kBelowOverflowThreshold + ".9"), 8, "compat"),
                      Code::kJsonNumberOverflow));
}

// The reference converts every number its own way (serde_number.h, proved
// against serde_json on 20.8 million literals): that is the oracle here,
// on literals where correct rounding would decide otherwise, too.
TEST(JsonNumbers, OverflowDecisionMatchesSerdeJson_Compat) {
  const std::string mid = "1." + kOverflowThreshold.substr(1);  // the midpoint, x 10^-308
  const std::vector<std::string> literals = {
      mid + "e308", mid.substr(0, mid.size() - 1) + "1e308",
      mid + "00000000000000000000000001e308", "1.7976931348623158e308",
      "1.7976931348623157e308", "1.79769313486231581e308", "179769313486231581e291",
      "17976931348623158e292", "0." + std::string(500, '0') + "1e809",
      "0." + std::string(500, '0') + "1e810", "10e307", "100e307", "0.01e310",
      "-17976931348623158e292", "-17976931348623159e292", "1" + std::string(308, '0'),
      "2" + std::string(308, '0'), "1" + std::string(308, '0') + ".5",
      "9" + std::string(307, '9') + "e1", "-" + std::string(309, '1'), "1e-400", "0e99999",
  };
  size_t refused = 0;
  for (const std::string& literal : literals) {
    const bool out_of_range =
        internal::ParseSerdeNumber(literal).kind == internal::SerdeNumberKind::kOutOfRange;
    refused += out_of_range;
    const Report r = RunPadded(WithExtra(literal), 8, "compat");
    if (out_of_range) {
      EXPECT_TRUE(Rejects(r, Code::kJsonNumberOverflow)) << literal;
    } else {
      EXPECT_TRUE(WarnsOnly(r, Code::kFieldUnknown)) << literal;
    }
  }
  EXPECT_GT(refused, 5u);
  EXPECT_LT(refused, literals.size() - 5);
}

TEST(JsonNumbers, HugeIntegerDoesNotShiftLaterOffsets_Compat) {
  // After a wide integer, findings still point at the right bytes.
  const std::string header =
      R"({"t":{"x":123456789012345678901234567890,"dtype":"U8","shape":[8],"data_offsets":[0,7]}})";
  const Report r = RunPadded(header, 8, "compat");
  EXPECT_TRUE(Has(r, Code::kFieldUnknown, Severity::kWarning, At(header, "\"x\"")));
  EXPECT_TRUE(Rejects(r, Code::kTensorSizeMismatch, At(header, "[0,7]")));
}

// ---------------------------------------------------------------------------
// Strings

TEST(JsonStrings, LoneSurrogates_Compat_Rejects209AtTheEscape) {
  for (const char* value : {R"("\ud800")", R"("\udc00")", R"("\uDBFF")", R"("\uDFFF")",
                            R"("a\ud800b")", R"("\ud800\u0041")", R"("\udc00\ud800")",
                            R"("\ud800\ud800")"}) {
    const std::string header = WithExtra(value);
    EXPECT_TRUE(Rejects(RunPadded(header, 8, "compat"), Code::kJsonInvalidString,
                        At(header, "\\u")))
        << value;
  }
}

TEST(JsonStrings, LoneSurrogateInName_Compat_Rejects209) {
  const std::string header =
      R"({"a\udc00":{"dtype":"U8","shape":[8],"data_offsets":[0,8]}})";
  EXPECT_TRUE(Rejects(RunPadded(header, 8, "compat"), Code::kJsonInvalidString,
                      At(header, "\\u")));
}

TEST(JsonStrings, SurrogatePair_Compat_Accepted) {
  EXPECT_TRUE(WarnsOnly(RunPadded(WithExtra(R"("\ud83d\ude00")"), 8, "compat"),
                        Code::kFieldUnknown));
  EXPECT_TRUE(WarnsOnly(RunPadded(WithExtra(R"("\uD800\uDC00\u0000")"), 8, "compat"),
                        Code::kFieldUnknown));
}

TEST(JsonStrings, BadEscapes_Compat_Rejects209AtTheBackslash) {
  for (const char* value : {R"("\x41")", R"("\a")", R"("\'")", R"("\0")", R"("\u12")",
                            R"("\u12g4")", R"("\U0041")", "\"\\\xC3\xA9\""}) {
    const std::string header = WithExtra(value);
    EXPECT_TRUE(Rejects(RunPadded(header, 8, "compat"), Code::kJsonInvalidString,
                        At(header, "\\")))
        << value;
  }
}

TEST(JsonStrings, ValidEscapes_Compat_Accepted) {
  EXPECT_TRUE(WarnsOnly(
      RunPadded(WithExtra(R"("\"\\\/\b\f\n\r\t\u0041\u00e9\u20AC")"), 8, "compat"),
      Code::kFieldUnknown));
}

TEST(JsonStrings, RawControlCharacter_Compat_Rejects209AtTheByte) {
  for (char c : {'\x01', '\x1f', '\t', '\n', '\0'}) {
    const std::string value = std::string("\"ab") + c + "\"";
    const std::string header = WithExtra(value);
    EXPECT_TRUE(Rejects(RunPadded(header, 8, "compat"), Code::kJsonInvalidString,
                        At(header, value) + 3))
        << static_cast<int>(c);
  }
}

TEST(JsonStrings, RawControlCharacterInName_Compat_Rejects209) {
  const std::string header =
      "{\"a\x1b\":{\"dtype\":\"U8\",\"shape\":[8],\"data_offsets\":[0,8]}}";
  EXPECT_TRUE(Rejects(RunPadded(header, 8, "compat"), Code::kJsonInvalidString, 8 + 3));
}

TEST(JsonStrings, RawDelIsAllowedByJson_Compat_NotA209) {
  const std::string header = WithExtra("\"a\x7f\"");
  EXPECT_TRUE(WarnsOnly(RunPadded(header, 8, "compat"), Code::kFieldUnknown));
}

TEST(JsonStrings, Unclosed_Compat_Rejected) {
  const Report r = RunPadded(R"({"t":{"dtype":"U8)", 8, "compat");
  EXPECT_EQ(r.verdict, Verdict::kReject);
  EXPECT_TRUE(r.HasCode(Code::kJsonInvalidString) || r.HasCode(Code::kJsonSyntax)) << Dump(r);
}

TEST(JsonErrors, EarliestProblemWins_Compat) {
  // A bad escape before an overflowing number: the escape is reported.
  const std::string header = WithExtra(R"(["\q", 1e400])");
  const Report r = RunPadded(header, 8, "compat");
  EXPECT_TRUE(Rejects(r, Code::kJsonInvalidString, At(header, "\\q")));
  // An overflowing number before a bad escape: the number.
  const std::string header2 = WithExtra(R"([1e400, "\q"])");
  EXPECT_TRUE(Rejects(RunPadded(header2, 8, "compat"), Code::kJsonNumberOverflow,
                      At(header2, "1e400")));
}

TEST(JsonErrors, ExactlyOneParseError_Compat) {
  const Report r = RunPadded(WithExtra(R"(["\q", 1e400, NaN])"), 8, "compat");
  ASSERT_EQ(r.findings.size(), 1u) << Dump(r);
  EXPECT_EQ(r.findings[0].severity, Severity::kError);
}


// ---------------------------------------------------------------------------
// The top-level scan when the header ends inside a member (no padding, so
// the text really ends there)

const Finding* FindingOf(const Report& r, Code code) {
  for (const Finding& f : r.findings) {
    if (f.code == code) return &f;
  }
  return nullptr;
}

TEST(JsonSyntax, HeaderEndsWhereAValueShouldStart_Compat_Rejects207AtTheEnd) {
  const std::string header = R"({"a":)";
  const Report r = RunRaw(header, 8, "compat");
  ASSERT_TRUE(Rejects(r, Code::kJsonSyntax, 8 + header.size()));
  EXPECT_EQ(FindingOf(r, Code::kJsonSyntax)->message, "header ends early: expected a value");
}

TEST(JsonSyntax, HeaderEndsInsideANumber_Compat_Rejects207AtTheEnd) {
  const std::string header = R"({"a":12)";
  const Report r = RunRaw(header, 8, "compat");
  ASSERT_TRUE(Rejects(r, Code::kJsonSyntax, 8 + header.size()));
  EXPECT_EQ(FindingOf(r, Code::kJsonSyntax)->message,
            "header ends early: expected ',' or '}' after a member");
}

TEST(JsonSyntax, HeaderEndsInsideAStringValue_Compat_Rejects209AtTheQuote) {
  const std::string header = R"({"a":"bc)";
  EXPECT_TRUE(Rejects(RunRaw(header, 8, "compat"), Code::kJsonInvalidString, 8 + 5));
}

TEST(JsonSyntax, HeaderEndsInsideAnArray_Compat_Rejects207AtTheBracket) {
  // The container skip reads 8 bytes at a time: the text after '[' ends
  // mid-word in the first case, on a word boundary in the second.
  for (const std::string header : {R"({"a":[1,2)", R"({"a":[12345678)", R"({"a":{"k":[])"}) {
    const Report r = RunRaw(header, 8, "compat");
    ASSERT_TRUE(Rejects(r, Code::kJsonSyntax, 8 + 5)) << header;
    EXPECT_EQ(FindingOf(r, Code::kJsonSyntax)->message, "unclosed object or array") << header;
  }
}

// ---------------------------------------------------------------------------
// BOM look-alikes: only EF BB BF is a byte order mark

TEST(HeaderText, ThreeByteCharactersLikeABom_Compat_Rejects207NotABom) {
  for (const char* lead : {"\xEF\xBB\xBE",    // U+FEFE: the BOM's first two bytes
                           "\xEF\xBC\x80"}) { // U+FF00: the BOM's first byte
    const Report r = RunPadded(lead + kValid, 8, "compat");
    EXPECT_TRUE(Rejects(r, Code::kJsonSyntax, 8)) << Dump(r);
    EXPECT_TRUE(Lacks(r, Code::kHeaderBom));
  }
}

// ---------------------------------------------------------------------------
// Strings: surrogate escapes and escapes of odd bytes, as the raw scan sees them

TEST(JsonStrings, HighSurrogateFollowedByAnotherEscape_Compat_Rejects209AtTheFirst) {
  // A high surrogate must be followed by a low one (DC00..DFFF); a \u
  // escape above that range, or any other escape, leaves it alone.
  for (const char* value : {R"("\ud800\ue000")", R"("\udbff\uffff")", R"("\ud800\n")",
                            R"("\ud800\\")"}) {
    const std::string header = WithExtra(value);
    EXPECT_TRUE(Rejects(RunPadded(header, 8, "compat"), Code::kJsonInvalidString,
                        At(header, "\\u")))
        << value;
  }
}

TEST(JsonStrings, HighSurrogateAtTheVeryEndOfTheHeader_Compat_Rejects209) {
  // The header ends right after the string's closing quote: the scan that
  // looks for a following "\u" must stop at the end of the text.
  const std::string header = R"({"a":"\ud800")";
  EXPECT_TRUE(Rejects(RunRaw(header, 8, "compat"), Code::kJsonInvalidString,
                      At(header, "\\u")));
}

TEST(JsonStrings, BackslashBeforeANulByte_Compat_Rejects209AtTheBackslash) {
  // strchr finds the terminating NUL of its set, so "\<NUL>" must be
  // caught explicitly; otherwise nothing names the problem.
  std::string value = "\"a\\";
  value += '\0';
  value += "b\"";
  const std::string header = WithExtra(value);
  const Report r = RunPadded(header, 8, "compat");
  EXPECT_TRUE(Rejects(r, Code::kJsonInvalidString, At(header, "\\")));
  EXPECT_EQ(r.findings.size(), 1u) << Dump(r);
}

// ---------------------------------------------------------------------------
// Numbers the raw scan reads after a parse failure

// 401 significant digits (1, 399 zeros, 1): more than the scan keeps.
const std::string kLongMantissa = "1" + std::string(399, '0') + "1";

TEST(JsonNumbers, LongMantissaWithNegativeExponent_Compat_OverflowOnlyAbove) {
  const std::string finite = kLongMantissa + "e-92";    // about 1e308
  const std::string infinite = kLongMantissa + "e-91";  // about 1e309
  EXPECT_FALSE(std::isinf(std::strtod(finite.c_str(), nullptr)));
  EXPECT_TRUE(std::isinf(std::strtod(infinite.c_str(), nullptr)));
  EXPECT_TRUE(WarnsOnly(RunPadded(WithExtra(finite), 8, "compat"), Code::kFieldUnknown));
  const std::string header = WithExtra(infinite);
  EXPECT_TRUE(Rejects(RunPadded(header, 8, "compat"), Code::kJsonNumberOverflow,
                      At(header, infinite)));
}

TEST(JsonNumbers, NegativeExponentsBeforeAnOverflow_Compat_OnlyTheOverflowIsReported) {
  // Numbers with negative and signed exponents ahead of the one that
  // overflows are scanned and found fine (a sign lost would make 1e-400
  // overflow, and be reported first).
  const std::string finite = kLongMantissa + "e-92";
  // Digits past the 400 kept: a zero, then a non-zero after a sticky one.
  const std::string finite_longer = kLongMantissa + "05e-94";
  const std::string header = WithExtra("[1e-400, -2.5E-3, 7e+2, 1E-7, " + finite + ", " +
                                       finite_longer + ", 1e400, 1e-400]");
  const Report r = RunPadded(header, 8, "compat");
  EXPECT_TRUE(Rejects(r, Code::kJsonNumberOverflow, At(header, "1e400")));
  EXPECT_EQ(r.findings.size(), 1u) << Dump(r);
}

TEST(JsonNumbers, WideIntegersAtEveryAlignment_Compat_AreReadAsFloats) {
  // Wide integers are found by a 16-byte block pre-check before the raw
  // scan; a run of digits starts at every position within a block and
  // crosses one or more block boundaries. Each is read as a float, like
  // the reference does: the file is accepted with an unknown-field warning.
  const std::vector<std::string> literals = {
      "18446744073709551616",                     // 2^64: 20 digits
      "-9223372036854775809",                     // below i64 min: 19 digits
      "99999999999999999999999",                  // 23 digits
      "1" + std::string(40, '0'),                 // 41 digits: three blocks
      "[1,18446744073709551616]", "[18446744073709551616,\"1234567890123456789\"]",
  };
  for (const std::string& literal : literals) {
    for (size_t shift = 0; shift < 16; ++shift) {
      const std::string header =
          R"({"t":{"dtype":"U8","shape":[8],"data_offsets":[0,8],")" + std::string(shift, 'k') +
          "\":" + literal + "}}";
      EXPECT_TRUE(WarnsOnly(RunPadded(header, 8, "compat"), Code::kFieldUnknown))
          << literal << " shifted by " << shift;
    }
  }
}

TEST(JsonNumbers, WideIntegerBesideABadNumber_Compat_Rejects207AtTheBadNumber) {
  // The wide integer is not re-read as a float when the batch holds a
  // malformed number: the malformed one is what is reported.
  const std::string header = WithExtra("[18446744073709551616, 01]");
  EXPECT_TRUE(Rejects(RunPadded(header, 8, "compat"), Code::kJsonSyntax,
                      At(header, ", 01") + 2));
}

TEST(JsonNumbers, WideIntegerBesideAnOverflow_Compat_Rejects208AtTheOverflow) {
  const std::string header = WithExtra("[18446744073709551616, 1e400]");
  EXPECT_TRUE(Rejects(RunPadded(header, 8, "compat"), Code::kJsonNumberOverflow,
                      At(header, "1e400")));
}

}  // namespace
}  // namespace stguard

namespace stguard {
namespace {

using testing::Dump;
using testing::Rejects;
using testing::RunPadded;
using testing::At;
using testing::PadToEight;

// ---------------------------------------------------------------------------
// The top-level scan reads 64-byte blocks: escapes and runs of backslashes
// across block edges, at every alignment, end strings exactly where the
// byte-by-byte reading ends them.

TEST(TopLevelScan, BackslashRunsAcrossBlockEdges_SameReportAsOneMemberBatches) {
  const Policy compat = *BuiltinPolicy("compat");
  for (size_t pad = 0; pad < 70; ++pad) {
    for (const char* tail : {"\\\\", "\\\"", "\\\\\\\"x", "\\\\\\\\", "\\u0022\\\\"}) {
      const std::string name = std::string(pad, 'n') + tail;
      const std::string header = PadToEight(
          "{\"" + name + "\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},"
          "\"__metadata__\":{\"k\":\"" + name + "{[\"}}");
      ValidateOptions one;
      one.json_batch_bytes = 1;
      const Report whole = ValidateBuffer(testing::MakeFileWithData(header, 1), compat);
      const Report single = ValidateBuffer(testing::MakeFileWithData(header, 1), compat, one);
      EXPECT_EQ(whole.verdict, Verdict::kAccept) << header << Dump(whole);
      EXPECT_EQ(Dump(whole), Dump(single)) << header;
    }
  }
}

TEST(TopLevelScan, BackslashOutsideStrings_SameReportAsBefore) {
  // Not JSON; the fast scan gives up and the exact scan names the problem.
  const std::string in_array = R"({"a":[1,\"x"]})";
  EXPECT_TRUE(Rejects(RunPadded(in_array, 0, "compat"), Code::kJsonSyntax,
                      At(in_array, "\\")));
  const std::string after_number = R"({"a":1\,"b":2})";
  EXPECT_TRUE(Rejects(RunPadded(after_number, 0, "compat"), Code::kJsonSyntax));
  const std::string before_brace = R"({"a":{"b":"c"}\})";
  EXPECT_TRUE(Rejects(RunPadded(before_brace, 0, "compat"), Code::kJsonSyntax,
                      At(before_brace, "\\")));
}

}  // namespace
}  // namespace stguard

namespace stguard {
namespace {

// The report, with the tensors' names, of `header` (8 data bytes) under
// compat, with the fast paths on or off.
std::string NamedReport(const std::string& header, bool fast) {
  ValidateOptions options;
  options.collect_tensors = true;
  const auto file = testing::MakeFileWithData(PadToEight(header), 8);
  const auto run = [&] { return ValidateBuffer(file, P("compat"), options); };
  Report r;
  if (fast) {
    r = run();
  } else {
    const internal::ScopedFastPathsOff off;
    r = run();
  }
  std::string out = Dump(r);
  for (const TensorRecord& t : r.tensors) out += "tensor [" + t.name + "]\n";
  return out;
}

TEST(JsonNumbers, WideIntegersFoundFast_SameReportAsTheExactScan) {
  // Wide integers are found from the long digit runs and the string
  // boundaries; digit runs inside names must stay as they are (a rewrite
  // there would change the name), escapes must not end a string, and
  // anything unusual goes to the exact scan. Each header's report, names
  // included, must be the exact scan's.
  const std::string wide = "18446744073709551616";
  const std::string tensor = R"("dtype":"U8","shape":[8],"data_offsets":[0,8])";
  const auto named = [&](const std::string& name, const std::string& extra) {
    return "{\"" + name + "\":{" + tensor + ",\"x\":" + extra + "}}";
  };
  std::string many = "[";
  for (int i = 0; i < 70; ++i) many += (i ? "," : "") + wide;
  many += "]";
  const std::string headers[] = {
      named("t" + wide, wide),                           // digits in the name, then wide
      named("a\\\"" + wide, "[" + wide + "]"),          // escaped quote before digits
      named("a\\\"" + wide + "\\\"", "[" + wide + "]"),  // digits between escaped quotes
      named("a\\\\", "[-" + wide + "]"),               // escaped backslash ends the name
      named("\\u0022" + wide, wide),                   // \u0022 is no boundary
      named("t", "[1." + wide + ", " + wide + "]"),       // digits of a fraction
      named("t", "[1e-" + wide + ", " + wide + "]"),      // digits of an exponent
      named("t", "[18446744073709551615, -9223372036854775808]"),  // fit in 64 bits
      named("t", "[" + wide + "," + wide + "]"),
      named("t", "{\"k\":" + wide + "}"),
      named("t", many),                                   // more runs than the fast path takes
      named("t", "[0" + wide + "]"),                     // leading zero
      named("t", "[1" + std::string(400, '0') + "]"),    // rounds to infinity
      named("t", "[" + wide + ", 01]"),                  // a bad number beside it
      named("t", "[" + wide + ", 1e400]"),               // an overflow beside it
      named("t", "[" + wide + "x]"),                     // a bad token after the digits
      named("t", "[-" + wide + "-]"),
      named("t", "[" + wide + "] \\ "),                  // a backslash outside strings
      named("t", "\"\\" + wide + "\""),               // \1: a bad escape before digits
      named("t" + wide, "1") + " " + wide,               // content after the object
  };
  for (const std::string& header : headers) {
    EXPECT_EQ(NamedReport(header, true), NamedReport(header, false)) << header;
  }
  // And the names are read as written.
  EXPECT_NE(NamedReport(headers[0], true).find("tensor [t" + wide + "]"), std::string::npos)
      << NamedReport(headers[0], true);
  EXPECT_NE(NamedReport(headers[1], true).find("tensor [a\"" + wide + "]"), std::string::npos)
      << NamedReport(headers[1], true);
}

}  // namespace
}  // namespace stguard
