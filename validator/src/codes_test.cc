// Unit tests for the code table (codes.cc): completeness, uniqueness, ids,
// ParseCode round trips and the knobs the codes name.
#include "stguard/codes.h"

#include <gtest/gtest.h>

#include <cctype>
#include <set>
#include <string>
#include <vector>

#include "stguard/policy.h"

namespace stguard {
namespace {

// Every enumerator of Code, written out by hand: when a code is added to the
// enum, add it here too (the size check below catches a forgotten row).
const std::vector<Code>& AllEnumerators() {
  static const std::vector<Code> codes = {
      Code::kFileTooShort,          Code::kHeaderTooLarge,
      Code::kHeaderPastEof,         Code::kForeignFormat,
      Code::kPickleFormat,          Code::kPickleUnsafeImport,
      Code::kPickleCheckpoint,      Code::kPickleUnverified,
      Code::kOtherWeightFormat,     Code::kHeaderInvalidUtf8,
      Code::kHeaderBom,             Code::kHeaderLeadingWhitespace,
      Code::kHeaderTrailingContent, Code::kHeaderPaddingNotSpaces,
      Code::kJsonTooDeep,           Code::kJsonSyntax,
      Code::kJsonNumberOverflow,    Code::kJsonInvalidString,
      Code::kTopLevelNotObject,     Code::kMetadataNotObject,
      Code::kMetadataValueNotString, Code::kMetadataNull,
      Code::kTensorEntryInvalid,    Code::kTensorEntryArrayForm,
      Code::kFieldMissing,          Code::kFieldUnknown,
      Code::kFieldWrongType,        Code::kDuplicateField,
      Code::kDuplicateTensorName,   Code::kDuplicateMetadataKey,
      Code::kDuplicateMetadataBlock, Code::kDtypeObjectForm,
      Code::kTensorNameEmpty,       Code::kTensorNameControlChar,
      Code::kTensorNameTooLong,     Code::kTensorNamePathLike,
      Code::kTooManyTensors,        Code::kRankTooLarge,
      Code::kTooManyMetadataEntries, Code::kMetadataValueTooLong,
      Code::kMetadataControlChar,   Code::kIntegerExpected,
      Code::kIntegerTooLarge,       Code::kDtypeUnknown,
      Code::kDtypeNotAllowed,       Code::kShapeOverflow,
      Code::kSubByteNotWholeBytes,  Code::kOffsetsReversed,
      Code::kTensorSizeMismatch,    Code::kDataGap,
      Code::kDataOverlap,           Code::kTensorPastEnd,
      Code::kZeroSizeTensorInside,  Code::kDataTrailingBytes,
      Code::kNonFiniteValues,       Code::kBoolInvalidValues,
      Code::kHeaderLengthUnaligned, Code::kTensorOffsetUnaligned,
      Code::kIndexInvalid,          Code::kIndexSchema,
      Code::kIndexDuplicateKey,     Code::kShardNameUnsafe,
      Code::kShardMissing,          Code::kIndexTensorMissing,
      Code::kShardTensorUnlisted,   Code::kTensorInTwoShards,
      Code::kIndexTotalMismatch,    Code::kShardRejected,
      Code::kSymlinkOutsideRoot,    Code::kFindingsTruncated,
      Code::kResourceExhausted,     Code::kInternalError,
      Code::kCheckpointFanOut,
  };
  return codes;
}

unsigned Number(Code code) { return static_cast<unsigned>(code); }

TEST(Codes, EveryEnumeratorHasExactlyOneRow) {
  EXPECT_EQ(AllCodes().size(), AllEnumerators().size());
  for (Code code : AllEnumerators()) {
    int rows = 0;
    for (const CodeInfo& info : AllCodes()) rows += info.code == code;
    EXPECT_EQ(rows, 1) << "code " << Number(code);
    EXPECT_EQ(Info(code).code, code) << "Info() returns another row for " << Number(code);
  }
}

TEST(Codes, RowsAreInNumericOrderAndNumbersUnique) {
  std::set<unsigned> numbers;
  unsigned previous = 0;
  for (const CodeInfo& info : AllCodes()) {
    const unsigned n = Number(info.code);
    EXPECT_TRUE(numbers.insert(n).second) << "number " << n << " twice";
    EXPECT_GT(n, previous) << "row " << n << " out of order";
    EXPECT_GE(n, 100u);
    EXPECT_LT(n, 1000u);
    previous = n;
  }
}

TEST(Codes, IdsAreUniqueAndKebabCase) {
  std::set<std::string_view> ids;
  for (const CodeInfo& info : AllCodes()) {
    const std::string_view id = info.id;
    EXPECT_TRUE(ids.insert(id).second) << "id " << id << " twice";
    ASSERT_FALSE(id.empty()) << Number(info.code);
    EXPECT_TRUE(id.front() >= 'a' && id.front() <= 'z') << id;
    EXPECT_NE(id.back(), '-') << id;
    EXPECT_EQ(id.find("--"), std::string_view::npos) << id;
    for (char c : id) {
      EXPECT_TRUE((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')
          << id << " holds '" << c << "'";
    }
  }
}

TEST(Codes, SummariesAndExplanationsAreNonEmptyOneLine) {
  for (const CodeInfo& info : AllCodes()) {
    EXPECT_FALSE(info.summary.empty()) << info.id;
    EXPECT_FALSE(info.explanation.empty()) << info.id;
    EXPECT_EQ(info.summary.find('\n'), std::string_view::npos) << info.id;
  }
}

TEST(Codes, FamilyMatchesHundreds) {
  for (const CodeInfo& info : AllCodes()) {
    const unsigned hundreds = Number(info.code) / 100;
    if (hundreds == 9) {
      EXPECT_EQ(info.family, Family::kValidatorLimit) << info.id;
      EXPECT_TRUE(info.knob.empty()) << info.id;
    } else {
      EXPECT_NE(info.family, Family::kValidatorLimit) << info.id;
    }
    if (info.family == Family::kOverLimit) {
      EXPECT_FALSE(info.knob.empty()) << info.id << ": a limit is governed by a knob";
    }
  }
}

TEST(Codes, ParseCodeByNumberRoundTrips) {
  for (const CodeInfo& info : AllCodes()) {
    const std::optional<Code> parsed = ParseCode(std::to_string(Number(info.code)));
    ASSERT_TRUE(parsed.has_value()) << Number(info.code);
    EXPECT_EQ(*parsed, info.code);
  }
}

TEST(Codes, ParseCodeByIdRoundTrips) {
  for (const CodeInfo& info : AllCodes()) {
    const std::optional<Code> parsed = ParseCode(info.id);
    ASSERT_TRUE(parsed.has_value()) << info.id;
    EXPECT_EQ(*parsed, info.code);
  }
}

TEST(Codes, ParseCodeKnownExamples) {
  EXPECT_EQ(ParseCode("310"), Code::kDuplicateField);
  EXPECT_EQ(ParseCode("duplicate-field"), Code::kDuplicateField);
  EXPECT_EQ(ParseCode("101"), Code::kFileTooShort);
  EXPECT_EQ(ParseCode("internal-error"), Code::kInternalError);
}

TEST(Codes, ParseCodeRejectsUnknownText) {
  for (const char* text : {"", "0", "100", "999", "1000", "-310", "+310", " 310", "310 ",
                           "310x", "x310", "Duplicate-Field", "duplicate_field",
                           "duplicate-field ", "99999999999999999999999", "kDuplicateField"}) {
    EXPECT_FALSE(ParseCode(text).has_value()) << "'" << text << "'";
  }
}

TEST(Codes, InfoOfAnUnknownValueFallsBackToInternalError) {
  EXPECT_EQ(Info(static_cast<Code>(0)).code, Code::kInternalError);
  EXPECT_EQ(Info(static_cast<Code>(999)).code, Code::kInternalError);
}

TEST(Codes, EveryNamedKnobExistsInThePolicyJson) {
  for (const char* name : {"compat", "default", "strict"}) {
    const std::string json = PolicyToJson(*BuiltinPolicy(name));
    for (const CodeInfo& info : AllCodes()) {
      if (info.knob.empty()) continue;
      EXPECT_NE(json.find("\"" + std::string(info.knob) + "\":"), std::string::npos)
          << info.id << " names knob " << info.knob << ", missing from " << name;
    }
  }
}

TEST(Codes, AlwaysErrorCodesHaveNoKnob) {
  // The rules the reference enforces can never be relaxed.
  for (Code code : {Code::kFileTooShort, Code::kHeaderPastEof, Code::kHeaderInvalidUtf8,
                    Code::kHeaderBom, Code::kHeaderTrailingContent, Code::kJsonSyntax,
                    Code::kJsonNumberOverflow, Code::kJsonInvalidString,
                    Code::kDuplicateField, Code::kDuplicateMetadataBlock,
                    Code::kIntegerExpected, Code::kIntegerTooLarge, Code::kDtypeUnknown,
                    Code::kShapeOverflow, Code::kOffsetsReversed, Code::kDataGap,
                    Code::kDataOverlap, Code::kTensorPastEnd, Code::kDataTrailingBytes}) {
    EXPECT_TRUE(Info(code).knob.empty()) << Info(code).id;
  }
}

}  // namespace
}  // namespace stguard
