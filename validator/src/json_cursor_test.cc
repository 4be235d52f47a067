// Unit tests for JsonCursor (json_cursor.h): positions of keys and values,
// string skipping with escapes, nested skipping, desync on wrong structure.
#include "json_cursor.h"

#include <gtest/gtest.h>

#include <string>

namespace stguard::internal {
namespace {

TEST(JsonCursor, KeyAndValuePositionsInAFlatObject) {
  const std::string_view text = R"({"a": 1, "bc" :"x" , "d":[1,2]})";
  JsonCursor c(text);
  c.Enter();
  EXPECT_EQ(c.NextKey(), text.find("\"a\""));
  EXPECT_EQ(c.NextValue(), text.find('1'));
  EXPECT_EQ(c.ScalarToken(), "1");
  EXPECT_EQ(c.NextKey(), text.find("\"bc\""));
  EXPECT_EQ(c.NextValue(), text.find("\"x\""));
  c.SkipValue();
  EXPECT_EQ(c.NextKey(), text.find("\"d\""));
  EXPECT_EQ(c.NextValue(), text.find('['));
  c.SkipValue();
  c.Leave();
  EXPECT_EQ(c.pos(), text.size());
  EXPECT_FALSE(c.desynced());
}

TEST(JsonCursor, WhitespaceOfAllFourKinds) {
  const std::string_view text = "{ \t\r\n\"k\"\n:\t\r 42 \n}";
  JsonCursor c(text);
  c.Enter();
  EXPECT_EQ(c.NextKey(), text.find('"'));
  EXPECT_EQ(c.NextValue(), text.find('4'));
  EXPECT_EQ(c.ScalarToken(), "42");
  c.Leave();
  EXPECT_FALSE(c.desynced());
  EXPECT_EQ(c.pos(), text.size());
}

TEST(JsonCursor, EnteringAnArrayAndReadingScalars) {
  const std::string_view text = "[ -0 , 1e2,18446744073709551616 ,true,null]";
  JsonCursor c(text);
  c.Enter();
  EXPECT_EQ(c.ScalarToken(), "-0");
  EXPECT_EQ(c.ScalarToken(), "1e2");
  EXPECT_EQ(c.ScalarToken(), "18446744073709551616");
  EXPECT_EQ(c.ScalarToken(), "true");
  EXPECT_EQ(c.NextValue(), text.find("null"));
  EXPECT_EQ(c.ScalarToken(), "null");
  c.Leave();
  EXPECT_FALSE(c.desynced());
  EXPECT_EQ(c.pos(), text.size());
}

TEST(JsonCursor, KeysWithEscapedQuotesAndBackslashes) {
  const std::string_view text = R"({"a\"b": 1, "c\\": 2, "\\\"": 3, "e\u0022": 4})";
  JsonCursor c(text);
  c.Enter();
  EXPECT_EQ(c.NextKey(), text.find(R"("a\"b")"));
  EXPECT_EQ(c.ScalarToken(), "1");
  EXPECT_EQ(c.NextKey(), text.find(R"("c\\")"));
  EXPECT_EQ(c.ScalarToken(), "2");
  EXPECT_EQ(c.NextKey(), text.find(R"("\\\"")"));
  EXPECT_EQ(c.ScalarToken(), "3");
  EXPECT_EQ(c.NextKey(), text.find(R"("e\u0022")"));
  EXPECT_EQ(c.ScalarToken(), "4");
  c.Leave();
  EXPECT_FALSE(c.desynced());
  EXPECT_EQ(c.pos(), text.size());
}

TEST(JsonCursor, SkipsStringValuesHoldingBracketsAndEscapes) {
  const std::string_view text = R"({"a": "}]\"{[\\", "b": 7})";
  JsonCursor c(text);
  c.Enter();
  c.NextKey();
  c.SkipValue();
  EXPECT_EQ(c.NextKey(), text.find("\"b\""));
  EXPECT_EQ(c.ScalarToken(), "7");
  c.Leave();
  EXPECT_FALSE(c.desynced());
}

TEST(JsonCursor, SkipsNestedContainers) {
  const std::string_view text =
      R"({"x": {"y": [1, {"z": "]}"}, [[], {}]], "w": {}}, "after": [ ] })";
  JsonCursor c(text);
  c.Enter();
  c.NextKey();
  c.SkipValue();
  EXPECT_EQ(c.NextKey(), text.find("\"after\""));
  EXPECT_EQ(c.NextValue(), text.find("[ ]"));
  c.SkipValue();
  c.Leave();
  EXPECT_EQ(c.pos(), text.size());
  EXPECT_FALSE(c.desynced());
}

TEST(JsonCursor, EnterAndLeaveNestedContainersStepByStep) {
  const std::string_view text = R"({"t": {"shape": [2, 3], "data_offsets": [0, 24]}})";
  JsonCursor c(text);
  c.Enter();
  EXPECT_EQ(c.NextKey(), text.find("\"t\""));
  c.Enter();
  EXPECT_EQ(c.NextKey(), text.find("\"shape\""));
  EXPECT_EQ(c.NextValue(), text.find("[2"));
  c.Enter();
  EXPECT_EQ(c.NextValue(), text.find('2'));
  EXPECT_EQ(c.ScalarToken(), "2");
  EXPECT_EQ(c.ScalarToken(), "3");
  c.Leave();
  EXPECT_EQ(c.NextKey(), text.find("\"data_offsets\""));
  c.Enter();
  EXPECT_EQ(c.ScalarToken(), "0");
  EXPECT_EQ(c.NextValue(), text.find("24"));
  EXPECT_EQ(c.ScalarToken(), "24");
  c.Leave();
  c.Leave();
  c.Leave();
  EXPECT_FALSE(c.desynced());
  EXPECT_EQ(c.pos(), text.size());
}

TEST(JsonCursor, SkipsStringsWithMultibyteUtf8) {
  const std::string_view text = "{\"\xC3\xA9t\xE2\x82\xAC\": \"\xF0\x9F\x98\x80\", \"b\": 1}";
  JsonCursor c(text);
  c.Enter();
  EXPECT_EQ(c.NextKey(), 1u);
  c.SkipValue();
  EXPECT_EQ(c.NextKey(), text.find("\"b\""));
  EXPECT_EQ(c.ScalarToken(), "1");
  c.Leave();
  EXPECT_FALSE(c.desynced());
}

TEST(JsonCursor, NextKeyOnANonStringDesyncs) {
  JsonCursor c("{1: 2}");
  c.Enter();
  EXPECT_EQ(c.NextKey(), 6u);  // the end of the text
  EXPECT_TRUE(c.desynced());
}

TEST(JsonCursor, EnterOnAScalarDesyncs) {
  JsonCursor c("  42");
  c.Enter();
  EXPECT_TRUE(c.desynced());
  EXPECT_EQ(c.pos(), 4u);
}

TEST(JsonCursor, LeaveWithoutClosingBracketDesyncs) {
  JsonCursor c("{\"a\": 1 \"b\"");
  c.Enter();
  c.NextKey();
  c.ScalarToken();
  c.Leave();
  EXPECT_TRUE(c.desynced());
}

TEST(JsonCursor, UnterminatedStringDesyncs) {
  JsonCursor c("{\"abc");
  c.Enter();
  c.NextKey();
  EXPECT_TRUE(c.desynced());
  EXPECT_EQ(c.pos(), 5u);
}

TEST(JsonCursor, StringEndingInABackslashDesyncsWithoutReadingPastTheEnd) {
  JsonCursor c("[\"ab\\");
  c.Enter();
  c.SkipValue();
  EXPECT_TRUE(c.desynced());
  EXPECT_EQ(c.pos(), 5u);
}

TEST(JsonCursor, UnbalancedContainerDesyncs) {
  JsonCursor c("{\"a\": [1, [2]");
  c.Enter();
  c.NextKey();
  c.SkipValue();
  EXPECT_TRUE(c.desynced());
}

TEST(JsonCursor, SkipValueAtTheEndDesyncs) {
  JsonCursor c("   ");
  c.SkipValue();
  EXPECT_TRUE(c.desynced());
}

TEST(JsonCursor, DesyncIsSticky) {
  JsonCursor c("x");
  c.Enter();
  ASSERT_TRUE(c.desynced());
  c.Leave();
  c.NextKey();
  EXPECT_TRUE(c.desynced());
  EXPECT_EQ(c.pos(), 1u);
}

TEST(JsonCursor, EmptyText) {
  JsonCursor c("");
  EXPECT_EQ(c.NextValue(), 0u);
  EXPECT_EQ(c.ScalarToken(), "");
  EXPECT_FALSE(c.desynced());
  c.Enter();
  EXPECT_TRUE(c.desynced());
}

}  // namespace
}  // namespace stguard::internal
