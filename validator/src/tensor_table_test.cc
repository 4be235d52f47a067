// Unit tests for stage 3, JSON -> tensor table (tensor_table.cc), through
// ValidateBuffer with the built-in policies: each schema rule with an
// accepted and a rejected side, under each policy where the action differs.
#include "tensor_table.h"

#include "duplicate_names.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <random>
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
using testing::Accepted;
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

// JSON building blocks. Names are written verbatim between quotes (so they
// may hold escapes).
std::string Fields(const std::string& dtype, const std::string& shape, const std::string& offsets) {
  return "{\"dtype\":" + dtype + ",\"shape\":" + shape + ",\"data_offsets\":" + offsets + "}";
}
std::string Member(const std::string& name, const std::string& value) {
  return "\"" + name + "\":" + value;
}
std::string Obj(const std::vector<std::string>& members) {
  std::string out = "{";
  for (size_t i = 0; i < members.size(); ++i) out += (i ? "," : "") + members[i];
  return out + "}";
}
// A U8 tensor of `n` bytes at [begin, begin + n).
std::string U8(const std::string& name, uint64_t begin, uint64_t n) {
  return Member(name, Fields("\"U8\"", "[" + std::to_string(n) + "]",
                             "[" + std::to_string(begin) + "," + std::to_string(begin + n) + "]"));
}
// The plain valid tensor "t": U8 [8] at [0, 8).
const std::string kT = U8("t", 0, 8);

Policy Custom(const std::string& json) {
  const PolicyLoadResult loaded = ParsePolicy(json, ".");
  EXPECT_TRUE(loaded.policy) << loaded.error;
  return loaded.policy.value_or(*BuiltinPolicy("strict"));
}

Report RunWith(const std::string& header, uint64_t data, const Policy& policy,
               const ValidateOptions& options = {}) {
  return ValidateBuffer(testing::MakeFileWithData(PadToEight(header), data), policy, options);
}

// ---------------------------------------------------------------------------
// 301 top level

TEST(TopLevel, Object_AllPolicies_Clean) {
  for (const char* policy : {"compat", "default", "strict"}) {
    EXPECT_TRUE(Clean(RunPadded(Obj({kT}), 8, policy))) << policy;
    EXPECT_TRUE(Clean(RunPadded("{}", 0, policy))) << policy;
  }
}

TEST(TopLevel, NotAnObject_Compat_Rejects301At8) {
  for (const char* header : {"[]", "[1,2]", "\"text\"", "null", "1", "true", "false", "-0.5"}) {
    EXPECT_TRUE(Rejects(RunPadded(header, 0, "compat"), Code::kTopLevelNotObject, 8)) << header;
  }
}

TEST(TopLevel, NotAnObjectAfterWhitespace_Compat_Rejects301AtTheValue) {
  const Report r = RunPadded("   []", 0, "compat");
  EXPECT_TRUE(Rejects(r, Code::kTopLevelNotObject, 11));
  EXPECT_TRUE(Has(r, Code::kHeaderLeadingWhitespace, Severity::kWarning, 8));
}

// ---------------------------------------------------------------------------
// 302 / 303 / 304 metadata

TEST(Metadata, ObjectOfStrings_AllPolicies_Clean) {
  const std::string header =
      Obj({Member("__metadata__", R"({"format":"pt","empty":"","multi":"a\tb\nc\r"})"), kT});
  for (const char* policy : {"compat", "default", "strict"}) {
    EXPECT_TRUE(Clean(RunPadded(header, 8, policy))) << policy;
  }
  EXPECT_TRUE(Clean(RunPadded(Obj({Member("__metadata__", "{}"), kT}), 8, "strict")));
  EXPECT_TRUE(Clean(RunPadded(Obj({kT, Member("__metadata__", "{}")}), 8, "strict")));
}

TEST(Metadata, NotAnObject_Compat_Rejects302AtTheValue) {
  for (const char* value : {"[]", "[\"a\"]", "\"x\"", "1", "true", "0.5"}) {
    const std::string header = Obj({Member("__metadata__", value), kT});
    EXPECT_TRUE(Rejects(RunPadded(header, 8, "compat"), Code::kMetadataNotObject,
                        8 + std::string("{\"__metadata__\":").size()))
        << value;
  }
}

TEST(Metadata, ValueNotString_Compat_Rejects303AtTheValue) {
  for (const char* value : {"1", "null", "{}", "[]", "true", "[\"a\"]", "{\"a\":\"b\"}", "-1.5"}) {
    const std::string header =
        Obj({Member("__metadata__", std::string(R"({"ok":"x","k":)") + value + "}"), kT});
    EXPECT_TRUE(Rejects(RunPadded(header, 8, "compat"), Code::kMetadataValueNotString,
                        At(header, value, header.find("\"k\":"))))
        << value;
  }
}

TEST(Metadata, Null_Compat_Warns304AtTheValue) {
  const std::string header = Obj({Member("__metadata__", "null"), kT});
  EXPECT_TRUE(WarnsOnly(RunPadded(header, 8, "compat"), Code::kMetadataNull, At(header, "null")));
}

TEST(Metadata, Null_DefaultAndStrict_Reject304) {
  const std::string header = Obj({Member("__metadata__", "null"), kT});
  EXPECT_TRUE(Rejects(RunPadded(header, 8, "default"), Code::kMetadataNull, At(header, "null")));
  EXPECT_TRUE(Rejects(RunPadded(header, 8, "strict"), Code::kMetadataNull));
}

// ---------------------------------------------------------------------------
// 305 / 306 entry forms

TEST(TensorEntry, NotObjectOrArray_Compat_Rejects305AtTheValue) {
  for (const char* value : {"\"U8\"", "1", "null", "true", "-1"}) {
    const std::string header = Obj({kT, Member("u", value)});
    const Report r = RunPadded(header, 8, "compat");
    EXPECT_TRUE(Rejects(r, Code::kTensorEntryInvalid, At(header, value, header.find("\"u\""))))
        << value;
    ASSERT_FALSE(r.findings.empty());
  }
}

TEST(TensorEntry, FindingNamesTheTensor) {
  const Report r = RunPadded(Obj({kT, Member("bad.weight", "1")}), 8, "compat");
  ASSERT_EQ(r.findings.size(), 1u) << Dump(r);
  EXPECT_EQ(r.findings[0].tensor, std::optional<std::string>("bad.weight"));
}

TEST(TensorEntry, ArrayForm_Compat_Warns306AndAccepts) {
  const std::string header = Obj({Member("t", R"(["U8",[8],[0,8]])")});
  const Report r = RunPadded(header, 8, "compat");
  EXPECT_TRUE(WarnsOnly(r, Code::kTensorEntryArrayForm, At(header, "[\"U8\"")));
}

TEST(TensorEntry, ArrayFormIsReadPositionally_Compat) {
  // The array form goes through the same field checks.
  const std::string header = Obj({Member("t", R"(["U8",[8],[0,4]])")});
  const Report r = RunPadded(header, 8, "compat");
  EXPECT_TRUE(Has(r, Code::kTensorEntryArrayForm, Severity::kWarning));
  EXPECT_TRUE(Rejects(r, Code::kTensorSizeMismatch, At(header, "[0,4]")));
  const std::string bad_dtype = Obj({Member("t", R"(["X8",[8],[0,8]])")});
  EXPECT_TRUE(Rejects(RunPadded(bad_dtype, 8, "compat"), Code::kDtypeUnknown,
                      At(bad_dtype, "\"X8\"")));
  const std::string wrong_order = Obj({Member("t", R"([[8],"U8",[0,8]])")});
  EXPECT_TRUE(Rejects(RunPadded(wrong_order, 8, "compat"), Code::kFieldWrongType));
}

TEST(TensorEntry, ArrayForm_DefaultAndStrict_Reject306) {
  const std::string header = Obj({Member("t", R"(["U8",[8],[0,8]])")});
  EXPECT_TRUE(Rejects(RunPadded(header, 8, "default"), Code::kTensorEntryArrayForm,
                      At(header, "[\"U8\"")));
  EXPECT_TRUE(Rejects(RunPadded(header, 8, "strict"), Code::kTensorEntryArrayForm));
}

TEST(TensorEntry, ArrayOfWrongLength_Compat_Rejects305) {
  for (const char* value : {R"(["U8",[8]])", R"(["U8",[8],[0,8],"x"])", "[]", R"(["U8"])"}) {
    const std::string header = Obj({Member("t", value)});
    const Report r = RunPadded(header, 8, "compat");
    EXPECT_TRUE(Rejects(r, Code::kTensorEntryInvalid, 8 + 5)) << value;
    EXPECT_TRUE(Lacks(r, Code::kDataTrailingBytes)) << value;  // layout does not run
  }
}

// ---------------------------------------------------------------------------
// 307 / 308 / 309 / 310 fields

TEST(Fields, Missing_Compat_Rejects307AtTheName) {
  const char* entries[] = {R"({"shape":[8],"data_offsets":[0,8]})",
                           R"({"dtype":"U8","data_offsets":[0,8]})",
                           R"({"dtype":"U8","shape":[8]})"};
  const char* missing[] = {"dtype", "shape", "data_offsets"};
  for (int i = 0; i < 3; ++i) {
    const std::string header = Obj({kT, Member("u", entries[i])});
    const Report r = RunPadded(header, 8, "compat");
    EXPECT_TRUE(Rejects(r, Code::kFieldMissing, At(header, "\"u\""))) << missing[i];
    bool named = false;
    for (const Finding& f : r.findings) {
      named |= f.code == Code::kFieldMissing && f.message.find(missing[i]) != std::string::npos;
    }
    EXPECT_TRUE(named) << missing[i] << " " << Dump(r);
  }
}

TEST(Fields, EmptyEntry_Compat_Rejects307ThreeTimes) {
  const Report r = RunPadded(Obj({Member("u", "{}")}), 0, "compat");
  size_t count = 0;
  for (const Finding& f : r.findings) count += f.code == Code::kFieldMissing;
  EXPECT_EQ(count, 3u) << Dump(r);
}

TEST(Fields, Unknown_Compat_Warns308AtTheField) {
  const std::string header =
      Obj({Member("t", R"({"dtype":"U8","shape":[8],"extra":{"a":[1]},"data_offsets":[0,8]})")});
  EXPECT_TRUE(WarnsOnly(RunPadded(header, 8, "compat"), Code::kFieldUnknown, At(header, "\"extra\"")));
}

TEST(Fields, Unknown_DefaultAndStrict_Reject308) {
  const std::string header =
      Obj({Member("t", R"({"dtype":"U8","shape":[8],"data_offsets":[0,8],"Dtype":"F32"})")});
  EXPECT_TRUE(Rejects(RunPadded(header, 8, "default"), Code::kFieldUnknown, At(header, "\"Dtype\"")));
  EXPECT_TRUE(Rejects(RunPadded(header, 8, "strict"), Code::kFieldUnknown));
}

TEST(Fields, DtypeWrongType_Compat_Rejects309AtTheValue) {
  for (const char* dtype : {"1", "null", "true", "[\"U8\"]", "[]"}) {
    const std::string header = Obj({Member("t", Fields(dtype, "[8]", "[0,8]"))});
    EXPECT_TRUE(Rejects(RunPadded(header, 8, "compat"), Code::kFieldWrongType,
                        8 + std::string("{\"t\":{\"dtype\":").size()))
        << dtype;
  }
}

TEST(Fields, ShapeWrongType_Compat_Rejects309AtTheValue) {
  for (const char* shape : {"\"8\"", "null", "{}", "8", "{\"0\":8}", "true"}) {
    const std::string header = Obj({Member("t", Fields("\"U8\"", shape, "[0,8]"))});
    EXPECT_TRUE(Rejects(RunPadded(header, 8, "compat"), Code::kFieldWrongType,
                        At(header, shape, header.find("\"shape\":"))))
        << shape;
  }
}

TEST(Fields, ShapeWithNonNumberDims_Compat_Rejects309AtTheDim) {
  for (const char* dim : {"[8]", "\"8\"", "null", "true", "{}"}) {
    const std::string shape = std::string("[1,") + dim + "]";
    const std::string header = Obj({Member("t", Fields("\"U8\"", shape, "[0,8]"))});
    EXPECT_TRUE(Rejects(RunPadded(header, 8, "compat"), Code::kFieldWrongType,
                        At(header, shape) + 3))
        << shape;
  }
}

TEST(Fields, OffsetsWrongType_Compat_Rejects309AtTheValue) {
  for (const char* offsets : {"[0]", "[0,8,8]", "[]", "{}", "\"0,8\"", "null", "8",
                              "{\"begin\":0,\"end\":8}"}) {
    const std::string header = Obj({Member("t", Fields("\"U8\"", "[8]", offsets))});
    EXPECT_TRUE(Rejects(RunPadded(header, 8, "compat"), Code::kFieldWrongType,
                        At(header, offsets, header.find("\"data_offsets\":"))))
        << offsets;
  }
}

TEST(Fields, OffsetsWithNonNumberItems_Compat_Rejects309) {
  for (const char* offsets : {"[[0],8]", "[0,null]", "[\"0\",8]", "[0,{}]"}) {
    const std::string header = Obj({Member("t", Fields("\"U8\"", "[8]", offsets))});
    EXPECT_TRUE(Rejects(RunPadded(header, 8, "compat"), Code::kFieldWrongType)) << offsets;
  }
}

TEST(Fields, AllPresentInAnyOrder_Strict_Clean) {
  const std::string header =
      Obj({Member("t", R"({"data_offsets":[0,8],"shape":[8],"dtype":"U8"})")});
  EXPECT_TRUE(Clean(RunPadded(header, 8, "strict")));
}

TEST(Fields, Duplicate_Compat_Rejects310AtTheSecond) {
  for (const char* field : {"dtype", "shape", "data_offsets"}) {
    const std::string value = std::string(field) == "dtype" ? "\"U8\""
                              : std::string(field) == "shape" ? "[8]"
                                                              : "[0,8]";
    const std::string header = Obj({Member(
        "t", std::string(R"({"dtype":"U8","shape":[8],"data_offsets":[0,8],")") + field +
                 "\":" + value + "}")});
    const size_t second = header.rfind(std::string("\"") + field + "\"");
    EXPECT_TRUE(Rejects(RunPadded(header, 8, "compat"), Code::kDuplicateField, 8 + second))
        << field;
  }
}

TEST(Fields, DuplicateViaEscape_Compat_Rejects310) {
  const std::string header =
      Obj({Member("t", R"({"dtype":"U8","shape":[8],"data_offsets":[0,8],"dt\u0079pe":"U8"})")});
  EXPECT_TRUE(Rejects(RunPadded(header, 8, "compat"), Code::kDuplicateField, At(header, "\"dt\\u")));
}

TEST(Fields, EscapedFieldNamesAreTheFields_Strict_Clean) {
  const std::string header =
      Obj({Member("t", R"({"\u0064type":"U8","sha\u0070e":[8],"data_offsets":[0,8]})")});
  EXPECT_TRUE(Clean(RunPadded(header, 8, "strict")));
}

// ---------------------------------------------------------------------------
// 311 duplicate tensor names: the reference keeps the last

TEST(DuplicateNames, LastTiles_Compat_Warns311AndAccepts) {
  // First "a": [0,4) (would leave a trailing gap); last "a": [0,8) tiles.
  const std::string header = Obj({U8("a", 0, 4), U8("a", 0, 8)});
  const Report r = RunPadded(header, 8, "compat");
  EXPECT_TRUE(WarnsOnly(r, Code::kDuplicateTensorName, At(header, "\"a\"", 2)));
  EXPECT_EQ(r.tensor_count, 1u);
}

TEST(DuplicateNames, OnlyFirstTiles_Compat_Rejects) {
  const std::string header = Obj({U8("a", 0, 8), U8("a", 0, 4)});
  const Report r = RunPadded(header, 8, "compat");
  EXPECT_TRUE(Has(r, Code::kDuplicateTensorName, Severity::kWarning));
  EXPECT_TRUE(Rejects(r, Code::kDataTrailingBytes, 8 + PadToEight(header).size() + 4));
}

TEST(DuplicateNames, Escaped_Compat_Warns311) {
  const std::string header = Obj({U8("a", 0, 4), U8("\\u0061", 0, 8)});
  const Report r = RunPadded(header, 8, "compat");
  EXPECT_TRUE(WarnsOnly(r, Code::kDuplicateTensorName, At(header, "\"\\u0061\"")));
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_EQ(r.findings[0].tensor, std::optional<std::string>("a"));
}

TEST(DuplicateNames, ThreeTimes_Compat_Warns311Twice) {
  const std::string header = Obj({U8("a", 0, 2), U8("b", 0, 8), U8("a", 0, 4), U8("a", 8, 4)});
  const Report r = RunPadded(header, 12, "compat");
  size_t count = 0;
  for (const Finding& f : r.findings) count += f.code == Code::kDuplicateTensorName;
  EXPECT_EQ(count, 2u) << Dump(r);
  EXPECT_TRUE(Accepted(r));
}

TEST(DuplicateNames, LastTiles_DefaultAndStrict_Reject311) {
  const std::string header = Obj({U8("a", 0, 4), U8("a", 0, 8)});
  EXPECT_TRUE(Rejects(RunPadded(header, 8, "default"), Code::kDuplicateTensorName,
                      At(header, "\"a\"", 2)));
  EXPECT_TRUE(Rejects(RunPadded(header, 8, "strict"), Code::kDuplicateTensorName));
}

TEST(DuplicateNames, DistinctNames_Strict_Clean) {
  EXPECT_TRUE(Clean(RunPadded(Obj({U8("a", 0, 4), U8("A", 4, 4)}), 8, "strict")));
  EXPECT_TRUE(Clean(RunPadded(Obj({U8("a", 0, 4), U8("a ", 4, 4)}), 8, "strict")));
}

// ---------------------------------------------------------------------------
// 312 / 313 metadata duplicates

TEST(DuplicateMetadataKeys, Compat_Warns312AtTheSecond) {
  const std::string header = Obj({Member("__metadata__", R"({"k":"1","j":"2","k":"3"})"), kT});
  EXPECT_TRUE(WarnsOnly(RunPadded(header, 8, "compat"), Code::kDuplicateMetadataKey,
                        8 + header.rfind("\"k\"")));
}

TEST(DuplicateMetadataKeys, Escaped_Compat_Warns312) {
  const std::string header = Obj({Member("__metadata__", R"({"k":"1","\u006b":"3"})"), kT});
  EXPECT_TRUE(WarnsOnly(RunPadded(header, 8, "compat"), Code::kDuplicateMetadataKey,
                        At(header, "\"\\u006b\"")));
}

TEST(DuplicateMetadataKeys, DefaultAndStrict_Reject312) {
  const std::string header = Obj({Member("__metadata__", R"({"k":"1","k":"1"})"), kT});
  EXPECT_TRUE(Rejects(RunPadded(header, 8, "default"), Code::kDuplicateMetadataKey,
                      8 + header.rfind("\"k\"")));
  EXPECT_TRUE(Rejects(RunPadded(header, 8, "strict"), Code::kDuplicateMetadataKey));
}

TEST(DuplicateMetadataBlock, Compat_Rejects313AtTheSecond) {
  const std::string header =
      Obj({Member("__metadata__", R"({"a":"1"})"), kT, Member("__metadata__", R"({"b":"2"})")});
  EXPECT_TRUE(Rejects(RunPadded(header, 8, "compat"), Code::kDuplicateMetadataBlock,
                      8 + header.rfind("\"__metadata__\"")));
}

TEST(DuplicateMetadataBlock, NullTwice_Compat_Rejects313) {
  const std::string header =
      Obj({Member("__metadata__", "null"), kT, Member("__metadata__", "null")});
  EXPECT_TRUE(Rejects(RunPadded(header, 8, "compat"), Code::kDuplicateMetadataBlock));
}

TEST(DuplicateMetadataBlock, Escaped_Compat_Rejects313) {
  const std::string header =
      Obj({Member("__metadata__", "{}"), kT, Member("__metadata\\u005f_", "{}")});
  EXPECT_TRUE(Rejects(RunPadded(header, 8, "compat"), Code::kDuplicateMetadataBlock,
                      At(header, "\"__metadata\\u")));
}

// ---------------------------------------------------------------------------
// 314 dtype object form

TEST(DtypeObjectForm, Null_Compat_Warn314AndAccept) {
  for (const char* dtype : {R"({"U8":null})", R"({ "U8" : null })"}) {
    const std::string header = Obj({Member("t", Fields(dtype, "[8]", "[0,8]"))});
    EXPECT_TRUE(WarnsOnly(RunPadded(header, 8, "compat"), Code::kDtypeObjectForm,
                          At(header, dtype)))
        << dtype;
  }
}

// serde's unit variant, read from its buffered form, takes null only: the
// reference refuses {"U8": {}} and {"U8": []} as dtypes.
TEST(DtypeObjectForm, EmptyObjectOrArrayAsTheUnit_Compat_Rejects309) {
  for (const char* dtype : {R"({"U8":{}})", R"({ "U8" : { } })", R"({"U8":[]})"}) {
    const std::string header = Obj({Member("t", Fields(dtype, "[8]", "[0,8]"))});
    const Report r = RunPadded(header, 8, "compat");
    EXPECT_TRUE(Rejects(r, Code::kFieldWrongType, At(header, dtype))) << dtype;
    EXPECT_TRUE(Lacks(r, Code::kDtypeObjectForm)) << dtype;
  }
}

TEST(DtypeObjectForm, DefaultAndStrict_Reject314) {
  const std::string header = Obj({Member("t", Fields(R"({"U8":null})", "[8]", "[0,8]"))});
  EXPECT_TRUE(Rejects(RunPadded(header, 8, "default"), Code::kDtypeObjectForm,
                      At(header, "{\"U8\"")));
  EXPECT_TRUE(Rejects(RunPadded(header, 8, "strict"), Code::kDtypeObjectForm));
}

TEST(DtypeObjectForm, ObjectFormIsStillSized_Compat) {
  // {"F32":null} is read as F32: 2 elements need 8 bytes.
  const std::string ok = Obj({Member("t", Fields(R"({"F32":null})", "[2]", "[0,8]"))});
  EXPECT_TRUE(WarnsOnly(RunPadded(ok, 8, "compat"), Code::kDtypeObjectForm));
  const std::string bad = Obj({Member("t", Fields(R"({"F32":null})", "[8]", "[0,8]"))});
  EXPECT_TRUE(Rejects(RunPadded(bad, 8, "compat"), Code::kTensorSizeMismatch));
}

TEST(DtypeObjectForm, MalformedObjects_Compat_Reject309) {
  for (const char* dtype : {R"({"U8":1})", R"({"U8":[]})", "{}", R"({"U8":null,"I8":null})",
                            R"({"U8":{},"U8":{}})", R"({"U8":{"a":1}})", R"({"U8":"x"})",
                            R"({"U8":false})", R"({"U8":[null]})"}) {
    const std::string header = Obj({Member("t", Fields(dtype, "[8]", "[0,8]"))});
    const Report r = RunPadded(header, 8, "compat");
    EXPECT_TRUE(Rejects(r, Code::kFieldWrongType, At(header, dtype))) << dtype;
    EXPECT_TRUE(Lacks(r, Code::kDtypeObjectForm)) << dtype;
  }
}

TEST(DtypeObjectForm, UnknownNameInObjectForm_Compat_Rejects501) {
  const std::string header = Obj({Member("t", Fields(R"({"F128":null})", "[8]", "[0,8]"))});
  const Report r = RunPadded(header, 8, "compat");
  EXPECT_TRUE(Rejects(r, Code::kDtypeUnknown, At(header, "{\"F128\"")));
}

// ---------------------------------------------------------------------------
// 315..318 names

TEST(TensorNames, Empty_Compat_Warns315) {
  const std::string header = Obj({U8("", 0, 8)});
  EXPECT_TRUE(WarnsOnly(RunPadded(header, 8, "compat"), Code::kTensorNameEmpty, 9));
}

TEST(TensorNames, Empty_DefaultAndStrict_Reject315) {
  const std::string header = Obj({U8("", 0, 8)});
  EXPECT_TRUE(Rejects(RunPadded(header, 8, "default"), Code::kTensorNameEmpty, 9));
  EXPECT_TRUE(Rejects(RunPadded(header, 8, "strict"), Code::kTensorNameEmpty, 9));
}

const char* const kControlNames[] = {
    "a\\u0000b",  // NUL
    "\\u001b[31m",  // ESC
    "a\\u007f",   // DEL, escaped
    "a\x7f",      // DEL, raw
    "a\\u0085",   // C1 NEL, escaped
    "a\xC2\x85",  // C1 NEL, raw UTF-8
    "a\\u009f",   // last C1
    "a\\tb",      // tab
    "a\\nb",
    "\\u0001",
};

TEST(TensorNames, ControlChars_Compat_Warn316) {
  for (const char* name : kControlNames) {
    const std::string header = Obj({U8(name, 0, 8)});
    EXPECT_TRUE(WarnsOnly(RunPadded(header, 8, "compat"), Code::kTensorNameControlChar, 9))
        << name;
  }
}

TEST(TensorNames, ControlChars_DefaultAndStrict_Reject316) {
  for (const char* name : kControlNames) {
    const std::string header = Obj({U8(name, 0, 8)});
    EXPECT_TRUE(Rejects(RunPadded(header, 8, "default"), Code::kTensorNameControlChar, 9))
        << name;
    EXPECT_TRUE(Rejects(RunPadded(header, 8, "strict"), Code::kTensorNameControlChar, 9))
        << name;
  }
}

TEST(TensorNames, NulNameIsReportedDecoded) {
  const Report r = RunPadded(Obj({U8("a\\u0000b", 0, 8)}), 8, "compat");
  ASSERT_EQ(r.findings.size(), 1u) << Dump(r);
  EXPECT_EQ(r.findings[0].tensor, std::optional<std::string>(std::string("a\0b", 3)));
}

TEST(TensorNames, PrintableNonAscii_Strict_Clean) {
  for (const char* name : {"caf\xC3\xA9", "\\u00a0nbsp", "\xC2\xA0", "\xE2\x82\xAC",
                           "\\ud83d\\ude00", "model.layers.0.self_attn.q_proj.weight", " ",
                           "~!@#$%^&*()"}) {
    EXPECT_TRUE(Clean(RunPadded(Obj({U8(name, 0, 8)}), 8, "strict"))) << name;
  }
}

std::string NameOf(size_t n) { return std::string(n, 'n'); }

TEST(TensorNames, Length_Default_4096Accepted4097Rejected317) {
  EXPECT_TRUE(Clean(RunPadded(Obj({U8(NameOf(4096), 0, 8)}), 8, "default")));
  EXPECT_TRUE(Rejects(RunPadded(Obj({U8(NameOf(4097), 0, 8)}), 8, "default"),
                      Code::kTensorNameTooLong, 9));
}

TEST(TensorNames, Length_Strict_1024Accepted1025Rejected317) {
  EXPECT_TRUE(Clean(RunPadded(Obj({U8(NameOf(1024), 0, 8)}), 8, "strict")));
  EXPECT_TRUE(Rejects(RunPadded(Obj({U8(NameOf(1025), 0, 8)}), 8, "strict"),
                      Code::kTensorNameTooLong, 9));
}

TEST(TensorNames, LengthCountsDecodedBytes_Strict) {
  // 512 x "é" = 1024 bytes when decoded (escaped as \u00e9: 3072 bytes of text).
  std::string name;
  for (int i = 0; i < 512; ++i) name += "\\u00e9";
  EXPECT_TRUE(Clean(RunPadded(Obj({U8(name, 0, 8)}), 8, "strict")));
  EXPECT_TRUE(Rejects(RunPadded(Obj({U8(name + "x", 0, 8)}), 8, "strict"),
                      Code::kTensorNameTooLong));
}

TEST(TensorNames, Length_Compat_NoLimit) {
  EXPECT_TRUE(Clean(RunPadded(Obj({U8(NameOf(100000), 0, 8)}), 8, "compat")));
}

const char* const kPathLikeNames[] = {"/etc/passwd", "..", "../x", "a/../b", "a/..",
                                      "a\\\\b", "\\\\", "..\\\\x", "/"};
const char* const kNotPathLikeNames[] = {"a/b", "a..b", "...", "./x", "a/./b", "..a", "a..",
                                         "a/...", "x/.../y", "a//b"};

TEST(TensorNames, PathLike_CompatAndDefault_Warn318) {
  for (const char* name : kPathLikeNames) {
    const std::string header = Obj({U8(name, 0, 8)});
    EXPECT_TRUE(WarnsOnly(RunPadded(header, 8, "compat"), Code::kTensorNamePathLike, 9)) << name;
    EXPECT_TRUE(WarnsOnly(RunPadded(header, 8, "default"), Code::kTensorNamePathLike, 9)) << name;
  }
}

TEST(TensorNames, PathLike_Strict_Rejects318) {
  for (const char* name : kPathLikeNames) {
    EXPECT_TRUE(Rejects(RunPadded(Obj({U8(name, 0, 8)}), 8, "strict"), Code::kTensorNamePathLike,
                        9))
        << name;
  }
}

TEST(TensorNames, PathLikeIgnored_CustomPolicy_NoFinding) {
  const Policy p = Custom(R"({"extends":"strict","path_like_names":"ignore"})");
  EXPECT_TRUE(Clean(RunWith(Obj({U8("../x", 0, 8)}), 8, p)));
}

TEST(TensorNames, NotPathLike_Strict_Clean) {
  for (const char* name : kNotPathLikeNames) {
    EXPECT_TRUE(Clean(RunPadded(Obj({U8(name, 0, 8)}), 8, "strict"))) << name;
  }
}

// ---------------------------------------------------------------------------
// 319..323 limits

TEST(Limits, TooManyTensors_CustomMax2_Rejects319AtTheThird) {
  const Policy p = Custom(R"({"extends":"default","max_tensors":2})");
  EXPECT_TRUE(Clean(RunWith(Obj({U8("a", 0, 4), U8("b", 4, 4)}), 8, p)));
  const std::string header = Obj({U8("a", 0, 4), U8("b", 4, 2), U8("c", 6, 2)});
  EXPECT_TRUE(Rejects(RunWith(header, 8, p), Code::kTooManyTensors, At(header, "\"c\"")));
}

TEST(Limits, TooManyTensors_ReportedOnce) {
  const Policy p = Custom(R"({"extends":"default","max_tensors":1})");
  const Report r =
      RunWith(Obj({U8("a", 0, 2), U8("b", 2, 2), U8("c", 4, 2), U8("d", 6, 2)}), 8, p);
  size_t count = 0;
  for (const Finding& f : r.findings) count += f.code == Code::kTooManyTensors;
  EXPECT_EQ(count, 1u) << Dump(r);
}

TEST(Limits, TooManyTensors_Zero_RejectsAnyTensorButNotEmptyHeader) {
  const Policy p = Custom(R"({"extends":"default","max_tensors":0})");
  EXPECT_TRUE(Clean(RunWith("{}", 0, p)));
  EXPECT_TRUE(Clean(RunWith(Obj({Member("__metadata__", "{}")}), 0, p)));
  EXPECT_TRUE(Rejects(RunWith(Obj({kT}), 8, p), Code::kTooManyTensors, 9));
}

TEST(Limits, MetadataDoesNotCountAsATensor) {
  const Policy p = Custom(R"({"extends":"default","max_tensors":1})");
  EXPECT_TRUE(Clean(RunWith(Obj({Member("__metadata__", R"({"a":"b"})"), kT}), 8, p)));
}

std::string Shape(size_t rank) {
  std::string s = "[";
  for (size_t i = 0; i < rank; ++i) s += i ? ",1" : "1";
  return s + "]";
}

TEST(Limits, Rank_Default_64Accepted65Rejected320) {
  EXPECT_TRUE(Clean(RunPadded(Obj({Member("t", Fields("\"U8\"", Shape(64), "[0,1]"))}), 1,
                              "default")));
  const std::string header = Obj({Member("t", Fields("\"U8\"", Shape(65), "[0,1]"))});
  EXPECT_TRUE(Rejects(RunPadded(header, 1, "default"), Code::kRankTooLarge, At(header, "[1,")));
}

TEST(Limits, Rank_Strict_16Accepted17Rejected320) {
  EXPECT_TRUE(Clean(RunPadded(Obj({Member("t", Fields("\"U8\"", Shape(16), "[0,1]"))}), 1,
                              "strict")));
  EXPECT_TRUE(Rejects(RunPadded(Obj({Member("t", Fields("\"U8\"", Shape(17), "[0,1]"))}), 1,
                                "strict"),
                      Code::kRankTooLarge));
}

TEST(Limits, Rank_Compat_NoLimitAndScalarRank0) {
  EXPECT_TRUE(Clean(RunPadded(Obj({Member("t", Fields("\"U8\"", Shape(5000), "[0,1]"))}), 1,
                              "compat")));
  // Rank 0: a scalar of one element.
  EXPECT_TRUE(Clean(RunPadded(Obj({Member("t", Fields("\"F32\"", "[]", "[0,4]"))}), 4,
                              "strict")));
}

std::string MetadataWith(size_t entries) {
  std::string m = "{";
  for (size_t i = 0; i < entries; ++i) m += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":\"v\"";
  return m + "}";
}

TEST(Limits, MetadataEntries_Strict_1024Accepted1025Rejected321) {
  EXPECT_TRUE(Clean(RunPadded(Obj({Member("__metadata__", MetadataWith(1024)), kT}), 8, "strict")));
  const std::string header = Obj({Member("__metadata__", MetadataWith(1025)), kT});
  EXPECT_TRUE(Rejects(RunPadded(header, 8, "strict"), Code::kTooManyMetadataEntries,
                      At(header, "\"k1024\"")));
}

TEST(Limits, MetadataEntries_Default_10000Accepted10001Rejected321) {
  EXPECT_TRUE(Clean(RunPadded(Obj({Member("__metadata__", MetadataWith(10000)), kT}), 8, "default")));
  EXPECT_TRUE(Rejects(RunPadded(Obj({Member("__metadata__", MetadataWith(10001)), kT}), 8, "default"),
                      Code::kTooManyMetadataEntries));
}

TEST(Limits, MetadataValueLength_Custom4_Rejects322OnValueAndKey) {
  const Policy p = Custom(R"({"extends":"default","max_metadata_value_bytes":4})");
  EXPECT_TRUE(Clean(RunWith(Obj({Member("__metadata__", R"({"abcd":"wxyz"})"), kT}), 8, p)));
  const std::string long_value = Obj({Member("__metadata__", R"({"k":"vwxyz"})"), kT});
  EXPECT_TRUE(Rejects(RunWith(long_value, 8, p), Code::kMetadataValueTooLong,
                      At(long_value, "\"vwxyz\"")));
  const std::string long_key = Obj({Member("__metadata__", R"({"abcde":"v"})"), kT});
  EXPECT_TRUE(Rejects(RunWith(long_key, 8, p), Code::kMetadataValueTooLong,
                      At(long_key, "\"abcde\"")));
}

TEST(Limits, MetadataValueLength_Strict_1MiBAccepted1MiBPlus1Rejected322) {
  const std::string big(1024 * 1024, 'v');
  EXPECT_TRUE(Clean(RunPadded(Obj({Member("__metadata__", "{\"k\":\"" + big + "\"}"), kT}), 8,
                              "strict")));
  const std::string header = Obj({Member("__metadata__", "{\"k\":\"" + big + "v\"}"), kT});
  EXPECT_TRUE(Rejects(RunPadded(header, 8, "strict"), Code::kMetadataValueTooLong,
                      At(header, "\"vvv")));
}

TEST(MetadataControlChars, InValue_Compat_Warns323AtTheValue) {
  for (const char* value : {"\"a\\u0000\"", "\"\\u001b[0m\"", "\"\\u007f\"", "\"\x7f\"",
                            "\"\\u0085\"", "\"\xC2\x9F\""}) {
    const std::string header = Obj({Member("__metadata__", std::string("{\"k\":") + value + "}"), kT});
    EXPECT_TRUE(WarnsOnly(RunPadded(header, 8, "compat"), Code::kMetadataControlChar,
                          At(header, value)))
        << value;
  }
}

TEST(MetadataControlChars, InValue_DefaultAndStrict_Reject323) {
  const std::string header = Obj({Member("__metadata__", R"({"k":"a\u0000"})"), kT});
  EXPECT_TRUE(Rejects(RunPadded(header, 8, "default"), Code::kMetadataControlChar,
                      At(header, "\"a\\u")));
  EXPECT_TRUE(Rejects(RunPadded(header, 8, "strict"), Code::kMetadataControlChar));
}

TEST(MetadataControlChars, InKey_IncludingTab_Compat_Warns323AtTheKey) {
  for (const char* key : {"\"a\\tb\"", "\"a\\nb\"", "\"\\u0000\"", "\"\\u0085\""}) {
    const std::string header = Obj({Member("__metadata__", std::string("{") + key + ":\"v\"}"), kT});
    EXPECT_TRUE(WarnsOnly(RunPadded(header, 8, "compat"), Code::kMetadataControlChar,
                          At(header, key)))
        << key;
    EXPECT_TRUE(Rejects(RunPadded(header, 8, "default"), Code::kMetadataControlChar)) << key;
  }
}

TEST(MetadataControlChars, TabCrLfInValue_Strict_Clean) {
  const std::string header = Obj({Member("__metadata__", R"({"k":"line1\r\nline2\tx"})"), kT});
  EXPECT_TRUE(Clean(RunPadded(header, 8, "strict")));
}

// ---------------------------------------------------------------------------
// 401 / 402 integers

TEST(Integers, NotPlainNonNegativeIntegerInShape_Compat_Rejects401AtTheNumber) {
  for (const char* dim : {"8.0", "8e0", "1e2", "8E+0", "-0", "-1", "0.0", "-0.0", "8.5",
                          "-18446744073709551616"}) {
    const std::string shape = std::string("[") + dim + "]";
    const std::string header = Obj({Member("t", Fields("\"U8\"", shape, "[0,8]"))});
    EXPECT_TRUE(Rejects(RunPadded(header, 8, "compat"), Code::kIntegerExpected,
                        At(header, shape) + 1))
        << dim;
  }
}

TEST(Integers, NotPlainNonNegativeIntegerInOffsets_Compat_Rejects401AtTheNumber) {
  for (const char* begin : {"0.0", "0e0", "-0", "-1", "1e2"}) {
    const std::string offsets = std::string("[") + begin + ",8]";
    const std::string header = Obj({Member("t", Fields("\"U8\"", "[8]", offsets))});
    EXPECT_TRUE(Rejects(RunPadded(header, 8, "compat"), Code::kIntegerExpected,
                        At(header, offsets) + 1))
        << begin;
  }
  const std::string header = Obj({Member("t", Fields("\"U8\"", "[8]", "[0,8.0]"))});
  EXPECT_TRUE(Rejects(RunPadded(header, 8, "compat"), Code::kIntegerExpected, At(header, "8.0")));
}

TEST(Integers, TooLarge_Compat_Rejects402InShape) {
  const std::string header =
      Obj({Member("t", Fields("\"U8\"", "[1,18446744073709551616]", "[0,8]"))});
  EXPECT_TRUE(Rejects(RunPadded(header, 8, "compat"), Code::kIntegerTooLarge,
                      At(header, "18446744073709551616")));
}

TEST(Integers, TooLarge_Compat_Rejects402InOffsets) {
  const std::string header =
      Obj({Member("t", Fields("\"U8\"", "[8]", "[0,18446744073709551616]"))});
  EXPECT_TRUE(Rejects(RunPadded(header, 8, "compat"), Code::kIntegerTooLarge,
                      At(header, "18446744073709551616")));
  const std::string huge = Obj({Member("t", Fields("\"U8\"", "[8]", "[123456789012345678901234567890,8]"))});
  EXPECT_TRUE(Rejects(RunPadded(huge, 8, "compat"), Code::kIntegerTooLarge,
                      At(huge, "123456789")));
}

TEST(Integers, U64MaxParsesButFailsSizeChecks_Compat) {
  // In the shape: a valid integer, then the size overflows (503).
  const std::string shape = Obj({Member("t", Fields("\"U8\"", "[18446744073709551615]", "[0,8]"))});
  Report r = RunPadded(shape, 8, "compat");
  EXPECT_TRUE(Lacks(r, Code::kIntegerTooLarge));
  EXPECT_TRUE(Lacks(r, Code::kIntegerExpected));
  EXPECT_TRUE(Rejects(r, Code::kShapeOverflow));
  // In the offsets: a valid integer, then the range is wrong.
  const std::string offsets = Obj({Member("t", Fields("\"U8\"", "[8]", "[0,18446744073709551615]"))});
  r = RunPadded(offsets, 8, "compat");
  EXPECT_TRUE(Lacks(r, Code::kIntegerTooLarge));
  EXPECT_TRUE(Rejects(r, Code::kTensorSizeMismatch));
  EXPECT_TRUE(Rejects(r, Code::kTensorPastEnd));
}

TEST(Integers, LargeButValid_Compat_ParsedExactly) {
  // 2^63 (stored by the JSON parser as unsigned) as a begin offset: past end, not a type error.
  const std::string header =
      Obj({Member("t", Fields("\"U8\"", "[0]", "[9223372036854775808,9223372036854775808]"))});
  const Report r = RunPadded(header, 0, "compat");
  EXPECT_TRUE(Lacks(r, Code::kIntegerExpected));
  EXPECT_TRUE(Lacks(r, Code::kIntegerTooLarge));
  EXPECT_TRUE(Rejects(r, Code::kTensorPastEnd));
}

// ---------------------------------------------------------------------------
// 501 / 502 dtypes

TEST(Dtypes, Unknown_Compat_Rejects501AtTheValue) {
  for (const char* dtype : {"\"f32\"", "\"F128\"", "\"\"", "\"F32 \"", "\"float32\"",
                            "\"F8_E4M3FN\"", "\"u8\"", "\"F3\\u0032\\u0000\""}) {
    const std::string header = Obj({Member("t", Fields(dtype, "[8]", "[0,8]"))});
    EXPECT_TRUE(Rejects(RunPadded(header, 8, "compat"), Code::kDtypeUnknown, At(header, dtype)))
        << dtype;
  }
}

TEST(Dtypes, EscapedKnownName_Strict_Clean) {
  const std::string header = Obj({Member("t", Fields("\"\\u00558\"", "[8]", "[0,8]"))});
  EXPECT_TRUE(Clean(RunPadded(header, 8, "strict")));
}

TEST(Dtypes, EveryKnownDtype_Strict_Clean) {
  for (int i = 0; i < kDtypeCount; ++i) {
    const Dtype dtype = static_cast<Dtype>(i);
    // 16 elements: whole bytes for F4 (8 bytes) and F6 (12 bytes).
    const uint64_t bytes = 16 * DtypeBits(dtype) / 8;
    const std::string header =
        Obj({Member("t", Fields("\"" + std::string(DtypeName(dtype)) + "\"", "[4,4]",
                                "[0," + std::to_string(bytes) + "]"))});
    EXPECT_TRUE(Clean(RunPadded(header, bytes, "strict"))) << DtypeName(dtype);
  }
}

TEST(Dtypes, NotAllowed_CustomPolicy_Rejects502AtTheValue) {
  const Policy p = Custom(R"({"extends":"default","allowed_dtypes":["F16","BF16"]})");
  const std::string f16 = Obj({Member("t", Fields("\"F16\"", "[4]", "[0,8]"))});
  EXPECT_TRUE(Clean(RunWith(f16, 8, p)));
  const std::string u8 = Obj({kT});
  EXPECT_TRUE(Rejects(RunWith(u8, 8, p), Code::kDtypeNotAllowed, At(u8, "\"U8\"")));
}

TEST(Dtypes, NotAllowed_EmptyList_RejectsEveryDtype) {
  const Policy p = Custom(R"({"extends":"compat","allowed_dtypes":[]})");
  EXPECT_TRUE(Clean(RunWith("{}", 0, p)));
  EXPECT_TRUE(Rejects(RunWith(Obj({kT}), 8, p), Code::kDtypeNotAllowed));
}

TEST(Dtypes, NotAllowedStillChecksLayout) {
  const Policy p = Custom(R"({"extends":"default","allowed_dtypes":["F16"]})");
  const Report r = RunWith(Obj({U8("t", 0, 4)}), 8, p);
  EXPECT_TRUE(Rejects(r, Code::kDtypeNotAllowed));
  EXPECT_TRUE(Rejects(r, Code::kDataTrailingBytes));
}

// ---------------------------------------------------------------------------
// Incomplete tables skip the layout rules; counts

TEST(TensorTable, InvalidEntrySkipsLayoutRules) {
  // "u" is broken; the data would also be too long, but that is not repeated.
  const Report r = RunPadded(Obj({kT, Member("u", Fields("\"X\"", "[8]", "[8,16]"))}), 100,
                             "compat");
  EXPECT_TRUE(Rejects(r, Code::kDtypeUnknown));
  EXPECT_TRUE(Lacks(r, Code::kDataTrailingBytes));
}

TEST(TensorTable, TensorCountIsAfterDuplicateResolution) {
  const Report r = RunPadded(Obj({U8("a", 0, 4), U8("b", 4, 4), U8("a", 0, 4)}), 8, "compat");
  EXPECT_EQ(r.tensor_count, 2u) << Dump(r);
}

TEST(TensorTable, ManyEntries_Strict_CleanAndFast) {
  std::vector<std::string> members;
  for (int i = 0; i < 20000; ++i) members.push_back(U8("w" + std::to_string(i), i * 8ull, 8));
  const Report r = RunPadded(Obj(members), 20000 * 8, "strict");
  EXPECT_TRUE(Clean(r));
  EXPECT_EQ(r.tensor_count, 20000u);
}


// ---------------------------------------------------------------------------
// Messages, names and duplicates at the edges

const Finding* FindingOf(const Report& r, Code code) {
  for (const Finding& f : r.findings) {
    if (f.code == code) return &f;
  }
  return nullptr;
}

TEST(Messages, LongKeysAreQuotedUpTo64Bytes) {
  const std::string exactly(64, 'k');
  const std::string longer = std::string(64, 'k') + "tail";
  for (const std::string& key : {exactly, longer}) {
    const std::string header = Obj({Member("t", R"({"dtype":"U8","shape":[8],"data_offsets":[0,8],")" +
                                                    key + R"(":1})")});
    const Report r = RunPadded(header, 8, "compat");
    ASSERT_TRUE(WarnsOnly(r, Code::kFieldUnknown, At(header, "\"" + key))) << key;
    const std::string expected =
        "unknown field \"" + exactly + (key.size() > 64 ? "..." : "") + "\"";
    EXPECT_EQ(FindingOf(r, Code::kFieldUnknown)->message, expected);
  }
}

TEST(Names, NamesFillingSeveralArenaBlocksComeBackIntact) {
  // Names are copied into 1 MiB blocks; names of a quarter block fill one
  // exactly (4 of them), the fifth opens a new block, and a larger name
  // gets a block of its own while the current one stays open.
  constexpr size_t kQuarter = (1u << 20) / 4;
  std::vector<std::string> names;
  for (char c = 'a'; c <= 'e'; ++c) names.push_back(std::string(kQuarter, c));
  names.push_back(std::string(kQuarter + 1, 'f'));
  names.push_back("g");
  names.push_back(std::string(kQuarter - 1, 'h'));
  std::vector<std::string> members;
  for (const std::string& name : names) members.push_back(U8(name, 0, 0));  // all empty, at 0
  ValidateOptions options;
  options.collect_tensors = true;
  const Report r = ValidateBuffer(testing::MakeFileWithData(PadToEight(Obj(members)), 0),
                                  P("compat"), options);
  ASSERT_TRUE(Clean(r));
  ASSERT_EQ(r.tensors.size(), names.size());
  for (size_t i = 0; i < names.size(); ++i) {
    EXPECT_TRUE(r.tensors[i].name == names[i])
        << i << ": " << r.tensors[i].name.size() << " bytes starting with "
        << r.tensors[i].name.substr(0, 8);
  }
}

TEST(DuplicateMetadataKeys, ThreeTimesAtTheStart_Compat_EachRepeatNamesTheFirst) {
  // "a" sorts first: finding the first occurrence walks back to index 0.
  const std::string header =
      Obj({Member("__metadata__", R"({"a":"1","b":"x","a":"2","a":"3"})"), kT});
  const Report r = RunPadded(header, 8, "compat");
  const std::string first = std::to_string(At(header, "\"a\""));
  size_t count = 0;
  for (const Finding& f : r.findings) {
    if (f.code != Code::kDuplicateMetadataKey) continue;
    ++count;
    EXPECT_NE(f.message.find("repeats the one at offset " + first + " "), std::string::npos)
        << f.message;
  }
  EXPECT_EQ(count, 2u) << Dump(r);
  EXPECT_TRUE(Accepted(r));
}

TEST(WideIntegers, OnlyTheWideOneIsTooLarge_Compat) {
  // A float and a wide integer in one shape: the float is "not an
  // integer" (401), only the wide integer is "too large" (402).
  const std::string header = Obj({Member(
      "t", Fields("\"U8\"", "[1.5,18446744073709551616,2.0]", "[0,8]"))});
  const Report r = RunPadded(header, 8, "compat");
  EXPECT_TRUE(Rejects(r, Code::kIntegerExpected, At(header, "1.5")));
  EXPECT_TRUE(Rejects(r, Code::kIntegerExpected, At(header, "2.0")));
  EXPECT_TRUE(Rejects(r, Code::kIntegerTooLarge, At(header, "18446744073709551616")));
  size_t too_large = 0;
  for (const Finding& f : r.findings) too_large += f.code == Code::kIntegerTooLarge;
  EXPECT_EQ(too_large, 1u) << Dump(r);
}

uint64_t Fnv1a64(std::string_view text) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (const char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ull;
  }
  return hash;
}

// Two names with the same 64-bit FNV-1a hash (found with Pollard's rho).
const std::string kCollideA = "c5bde799c2362419";
const std::string kCollideB = "a1a9a9bf38687075";

TEST(DuplicateNames, HashCollisionIsNotADuplicate_Strict_Clean) {
  ASSERT_EQ(Fnv1a64(kCollideA), Fnv1a64(kCollideB));
  ASSERT_NE(kCollideA, kCollideB);
  const std::vector<std::pair<std::string, std::string>> orders = {{kCollideA, kCollideB},
                                                                   {kCollideB, kCollideA}};
  for (const auto& [first, second] : orders) {
    ValidateOptions options;
    options.collect_tensors = true;
    const Report r = ValidateBuffer(
        testing::MakeFileWithData(PadToEight(Obj({U8(first, 0, 4), U8(second, 4, 4)})), 8),
        P("strict"), options);
    EXPECT_TRUE(Clean(r));
    ASSERT_EQ(r.tensors.size(), 2u);
    EXPECT_EQ(r.tensors[0].name, first);
    EXPECT_EQ(r.tensors[1].name, second);
  }
}

TEST(DuplicateNames, HashCollisionBesideARealDuplicate_Compat_OneWarning) {
  const std::string header =
      Obj({U8(kCollideA, 0, 4), U8(kCollideB, 4, 4), U8(kCollideA, 0, 4)});
  const Report r = RunPadded(header, 8, "compat");
  EXPECT_TRUE(WarnsOnly(r, Code::kDuplicateTensorName,
                        At(header, "\"" + kCollideA + "\"", At(header, kCollideB) - 8)));
  EXPECT_EQ(r.tensor_count, 2u);
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_EQ(r.findings[0].tensor, std::optional<std::string>(kCollideA));
}

TEST(DuplicateMetadataKeys, HashCollisionIsNotADuplicate_Strict_Clean) {
  // The key list sorts by hash: colliding keys must still be told apart.
  const std::string header = Obj({Member(
      "__metadata__", "{\"" + kCollideA + "\":\"1\",\"" + kCollideB + "\":\"2\"}"), kT});
  EXPECT_TRUE(Clean(RunPadded(header, 8, "strict")));
}

TEST(DuplicateMetadataKeys, HashCollisionsInterleavedAndEscaped_Compat_EachRepeatNamesItsFirst) {
  // A, B, A (escaped), B, B: the same hash five times, two keys.
  const std::string a_escaped = "\\u0063" + kCollideA.substr(1);  // 'c' written \u0063
  ASSERT_EQ(kCollideA[0], 'c');
  const std::string metadata = "{\"" + kCollideA + "\":\"1\",\"" + kCollideB + "\":\"2\",\"" +
                               a_escaped + "\":\"3\",\"" + kCollideB + "\":\"4\",\"" +
                               kCollideB + "\":\"5\"}";
  const std::string header = Obj({Member("__metadata__", metadata), kT});
  const Report r = RunPadded(header, 8, "compat");
  const std::string first_a = std::to_string(At(header, "\"" + kCollideA + "\""));
  const std::string first_b = std::to_string(At(header, "\"" + kCollideB + "\""));
  size_t repeats_of_a = 0, repeats_of_b = 0;
  for (const Finding& f : r.findings) {
    ASSERT_EQ(f.code, Code::kDuplicateMetadataKey) << Dump(r);
    if (f.message.find(kCollideA) != std::string::npos) {
      ++repeats_of_a;
      EXPECT_NE(f.message.find("at offset " + first_a + " "), std::string::npos) << f.message;
    } else {
      ++repeats_of_b;
      EXPECT_NE(f.message.find(kCollideB), std::string::npos) << f.message;
      EXPECT_NE(f.message.find("at offset " + first_b + " "), std::string::npos) << f.message;
    }
  }
  EXPECT_EQ(repeats_of_a, 1u) << Dump(r);
  EXPECT_EQ(repeats_of_b, 2u) << Dump(r);
}

TEST(DuplicateNames, BeyondTheFindingsCap_Compat_CountedInTheNote) {
  // Past the per-code cap no message is built, but every repeat is counted.
  const std::string header = Obj({U8("a", 0, 8), U8("a", 0, 8), U8("a", 0, 8), U8("a", 0, 8)});
  ValidateOptions options;
  options.max_findings_per_code = 1;
  const Report r = ValidateBuffer(testing::MakeFileWithData(PadToEight(header), 8),
                                  P("compat"), options);
  EXPECT_TRUE(Accepted(r));
  const Finding* kept = FindingOf(r, Code::kDuplicateTensorName);
  ASSERT_NE(kept, nullptr) << Dump(r);
  EXPECT_NE(kept->message.find("repeats the name at offset"), std::string::npos) << kept->message;
  const Finding* note = FindingOf(r, Code::kFindingsTruncated);
  ASSERT_NE(note, nullptr) << Dump(r);
  EXPECT_NE(note->message.find("2 more findings of code 311"), std::string::npos)
      << note->message;
}

}  // namespace
}  // namespace stguard

namespace stguard {
namespace {

// ---------------------------------------------------------------------------
// Plain batches (read from the text, no DOM) and DOM batches report the
// same thing, whatever the batch size: every JSON batch size from one
// member per batch to the whole header gives the default-size report.

std::string Findings(const Report& r) {
  std::string out = std::string(VerdictName(r.verdict)) + " " + std::to_string(r.tensor_count);
  for (const Finding& f : r.findings) {
    out += "\n" + std::to_string(static_cast<unsigned>(f.code)) + "@" + std::to_string(f.offset) +
           " " + f.tensor.value_or("-") + " " + f.message;
  }
  for (const TensorRecord& t : r.tensors) {
    out += "\nT " + t.name + " " + std::to_string(t.data_begin) + "-" + std::to_string(t.data_end);
    for (uint64_t d : t.shape) out += " " + std::to_string(d);
  }
  return out;
}

void ExpectBatchSizeChangesNothing(const std::string& header, uint64_t data) {
  for (const char* name : {"compat", "default", "strict"}) {
    const Policy policy = *BuiltinPolicy(name);
    ValidateOptions options;
    options.collect_tensors = true;
    const std::string expected = Findings(RunWith(header, data, policy, options));
    for (uint32_t batch : {1u, 40u, 97u, 300u, 5000u}) {
      options.json_batch_bytes = batch;
      EXPECT_EQ(Findings(RunWith(header, data, policy, options)), expected)
          << name << ", batch " << batch << ", header " << header;
    }
  }
}

TEST(PlainBatches, MixedPlainAndOtherEntries_SameReportForEveryBatchSize) {
  std::vector<std::string> members;
  uint64_t offset = 0;
  for (int i = 0; i < 40; ++i) {
    const std::string name = "layer." + std::to_string(i) + ".w";
    if (i % 7 == 3) {
      // Not plain: an escaped key, an unknown field, a float, a repeated
      // name, a dtype object.
      const char* const odd[] = {"\"F\\u0033\\u0032\"", "{\"F32\":null}"};
      members.push_back(Member(name, Fields(odd[i % 2], "[2]", "[" + std::to_string(offset) + "," +
                                                                 std::to_string(offset + 8) + "]")));
      offset += 8;
      continue;
    }
    if (i % 11 == 5) {
      members.push_back(Member("layer.1.w", Fields("\"U8\"", "[1.0]", "[0,1]")));
      continue;
    }
    members.push_back(U8(name, offset, 4));
    offset += 4;
  }
  members.insert(members.begin() + 10, Member("__metadata__", "{\"format\":\"pt\",\"a\":\"b\"}"));
  ExpectBatchSizeChangesNothing(Obj(members), offset);
  // With whitespace everywhere JSON allows it.
  ExpectBatchSizeChangesNothing(
      "{ \"a\" :\t{ \"shape\" : [ 2 , 2 ] ,\n\"dtype\" :\"U8\" , \"data_offsets\" : [ 0 , 4 ] } ,"
      "\r\n \"b\":{\"data_offsets\":[4,4],\"dtype\":\"F32\",\"shape\":[0]} }",
      4);
}

TEST(PlainBatches, EntriesThatDrawFindings_SameReportForEveryBatchSize) {
  // Each member is plain in form but draws a finding (or is repeated), so
  // the DOM path must report it.
  const std::string header = Obj({
      U8("a", 0, 4), U8("", 4, 4), U8("../up", 8, 4), U8("/abs", 12, 4), U8("c\\u0001", 16, 4),
      U8("del\x7f", 20, 4), U8("c1\xc2\x85", 24, 4), U8("a", 28, 4), U8("x..y", 32, 4),
      Member("lead", Fields("\"U8\"", "[01]", "[36,37]")), U8("big", 37, 3),
      Member("rank", Fields("\"U8\"", "[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]", "[40,41]")),
      Member("wide", Fields("\"U8\"", "[18446744073709551616]", "[41,42]")),
      Member("__metadata__", "{\"k\":\"v\",\"k\":\"w\"}"),
      Member("__metadata__", "{}"),
  });
  ExpectBatchSizeChangesNothing(header, 42);
}

}  // namespace
}  // namespace stguard

namespace stguard {
namespace {

// ---------------------------------------------------------------------------
// Plain leading members are read during the top-level scan
// (TableBuilder::AddPlainMembers), which resumes after the last one. With
// the fast paths off the exact readers read everything: same report, also
// when the plain run ends at a member that is not plain, at a syntax error
// or at a policy limit.

std::string FullText(const Report& r) {
  std::string out = Findings(r);
  for (const TensorRecord& t : r.tensors) out += " " + std::string(DtypeName(t.dtype));
  return out;
}

void ExpectExactReadersAgree(const std::string& header, uint64_t data) {
  std::vector<std::pair<std::string, Policy>> policies;
  for (const char* name : {"compat", "default", "strict"}) policies.emplace_back(name, P(name));
  for (const char* json : {R"({"extends":"compat","max_json_depth":2})",
                           R"({"extends":"compat","max_json_depth":3})",
                           R"({"extends":"compat","max_tensors":2})",
                           R"({"extends":"compat","max_name_bytes":2})",
                           R"({"extends":"default","max_metadata_entries":1})"}) {
    policies.emplace_back(json, Custom(json));
  }
  for (const auto& [name, policy] : policies) {
    for (uint32_t batch : {1u, 256u * 1024u}) {
      ValidateOptions options;
      options.collect_tensors = true;
      options.json_batch_bytes = batch;
      const std::string fast = FullText(RunWith(header, data, policy, options));
      std::string exact;
      {
        const internal::ScopedFastPathsOff off;
        exact = FullText(RunWith(header, data, policy, options));
      }
      EXPECT_EQ(fast, exact) << name << ", batch " << batch << ", header " << header;
    }
  }
}

TEST(PlainMembers, PlainRunEndingAnywhere_SameReportAsTheExactReaders) {
  const std::string a = U8("a", 0, 4);
  const std::string b = U8("bb", 4, 4);
  const std::string meta = Member("__metadata__", "{\"k\":\"v\",\"l\":\"w\"}");
  const std::string escaped = Member("c", Fields("\"F\\u0033\\u0032\"", "[1]", "[8,12]"));
  const std::string headers[] = {
      "{}",
      "{ \n}",
      Obj({a}),
      Obj({a, b}),
      Obj({meta, a, b}),
      Obj({a, meta, b, meta}),
      Obj({a, b, U8("ccc", 8, 4)}),
      Obj({a, escaped, b}),
      Obj({a, b, Member("c", Fields("\"U8\"", "[4]", "[8,12]").insert(1, "\"x\":1,"))}),
      Obj({a, U8("../up", 8, 4), b}),
      Obj({a, U8("a", 8, 4)}),
      Obj({a, b, Member("d", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]")}),
      Obj({a, Member("c", Fields("\"U8\"", "[01]", "[8,9]"))}),
      Obj({a, Member("c", Fields("\"U8\"", "[1e400]", "[8,9]"))}),
      Obj({a, Member("c", Fields("\"U8\"", "[18446744073709551616]", "[8,9]"))}),
      Obj({a, "\"c\x01\":1"}),
      Obj({a, b}) + " x",
      Obj({a, b}) + "}",
      "{" + a + "," + b + ",}",
      "{" + a + " " + b + "}",
      "{" + a + "," + b,
      "{" + a + "," + b + ",",
      "{" + a + "," + b + ",\"c\":",
      "{" + a + "," + b + "\\}",
      "{" + a + "," + b + ",\\\"c\":1}",
      "{" + a + "," + b + ":1}",
      "{" + a + "," + b + "]",
      "{ " + a + " ,\r\n\t" + b + " }",
      "{" + a + ",\"b\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[4,8]",
      "{" + a + ",\"b\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[4,8]}]",
  };
  for (const std::string& header : headers) ExpectExactReadersAgree(header, 12);
}

// Plain batches also read entries written as arrays; the findings they
// draw (306, and 319 for the entry past max_tensors) are made once the
// whole batch is known to be plain, as the DOM walk would make them.
TEST(PlainMembers, ArrayFormEntries_SameReportAsTheExactReaders) {
  const std::string a = U8("a", 0, 4);
  const auto arr = [](const std::string& name, const std::string& items) {
    return Member(name, "[" + items + "]");
  };
  const std::string x = arr("x", R"("U8",[4],[4,8])");
  const std::string headers[] = {
      Obj({x}),
      Obj({a, x}),
      Obj({x, a, arr("y", R"("F32",[1],[8,12])")}),
      Obj({x, Member("__metadata__", "{\"k\":\"v\"}"),
           arr("y", R"( "I16" , [ 1 , 2 ] , [ 8 , 12 ] )")}),
      Obj({x, arr("y", R"("U8",[4])")}),
      Obj({x, arr("y", R"("U8",[4],[8,12],1)")}),
      Obj({x, arr("y", R"({"F32":null},[1],[8,12])")}),
      Obj({x, arr("y", R"("F\u0033\u0032",[1],[8,12])")}),
      Obj({x, arr("y", R"("X9",[1],[8,12])")}),
      Obj({x, arr("y", R"("U8",[01],[8,9])")}),
      Obj({x, arr("y", R"("U8",[1],[8,9.0])")}),
      Obj({x, arr("y", R"("U8",[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,4],[8,12])")}),
      Obj({x, arr("", R"("U8",[4],[8,12])")}),
      Obj({x, arr("x", R"("U8",[4],[8,12])")}),
      Obj({x, arr("y", R"("U8",[4],[8,12])"), arr("z", R"("U8",[4],[12,16])")}),
  };
  for (const std::string& header : headers) ExpectExactReadersAgree(header, 16);
  // Past the findings cap, and across max_tensors within one batch.
  std::vector<std::string> many;
  for (int i = 0; i < 40; ++i) {
    many.push_back(arr("t" + std::to_string(i),
                       "\"U8\",[1],[" + std::to_string(i) + "," + std::to_string(i + 1) + "]"));
  }
  ExpectExactReadersAgree(Obj(many), 40);
  many.insert(many.begin(), U8("first", 40, 4));
  ExpectExactReadersAgree(Obj(many), 44);
}

// The duplicate-name check compares every pair of a few name hashes, and
// groups more by bucket into a second array, or in place for large tables:
// each gives the exact answer.
TEST(AllHashesDiffer, GroupedInPlaceOrCopied_ExactAnswer) {
  std::mt19937_64 rng(7);
  const size_t pairs = internal::kCompareAllHashPairsBelow;
  for (const size_t n : {size_t{0}, size_t{1}, size_t{2}, size_t{3}, pairs - 1, pairs, pairs + 1,
                         size_t{100}, size_t{513}, size_t{5000}, size_t{300000}}) {
    std::vector<uint64_t> spread(n);
    for (uint64_t& h : spread) h = rng();
    std::vector<std::vector<uint64_t>> cases = {spread};
    // All in one top-bits bucket; zeros (the sets' empty mark).
    std::vector<uint64_t> clustered = spread;
    for (uint64_t& h : clustered) h >>= 16;
    cases.push_back(clustered);
    cases.push_back(std::vector<uint64_t>(n, 0));
    if (n >= 2) {
      for (std::vector<uint64_t> base : {spread, clustered}) {
        base[rng() % n] = base[rng() % n];  // maybe the same index: then no repeat
        cases.push_back(base);
        base[n - 1] = base[0];
        cases.push_back(base);
      }
    }
    for (const std::vector<uint64_t>& hashes : cases) {
      std::vector<uint64_t> sorted = hashes;
      std::sort(sorted.begin(), sorted.end());
      const bool expected = std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end();
      for (const size_t in_place_from : {size_t{0}, SIZE_MAX}) {
        std::vector<uint64_t> work = hashes;
        EXPECT_EQ(internal::AllHashesDiffer(work, in_place_from), expected)
            << n << " hashes, in place from " << in_place_from;
        std::sort(work.begin(), work.end());
        EXPECT_EQ(work, sorted) << "not a permutation: " << n << ", " << in_place_from;
      }
    }
  }
}

TEST(PlainMembers, KeyBytesAtEveryPositionOfAChunk_SameReportAsTheExactReaders) {
  // The key reader takes 16, then 8 bytes at a time: a quote, an escape, a
  // control byte or UTF-8 at each position of names up to 40 bytes.
  for (size_t length = 1; length <= 40; ++length) {
    for (size_t at = 0; at < length; ++at) {
      for (const char* odd : {"\\\\", "\\u0041", "\x01", "\x1f", " ", "\xc3\xa9", "\xe2\x82\xac",
                              "\x7f", "\\\""}) {
        std::string name(length, 'n');
        name.replace(at, 1, odd);
        const std::string header =
            Obj({U8("first", 0, 4), U8(name, 4, 4), U8(std::string(length, 'z'), 8, 4)});
        ValidateOptions options;
        options.collect_tensors = true;
        const std::string fast = FullText(RunWith(header, 12, P("compat"), options));
        std::string exact;
        {
          const internal::ScopedFastPathsOff off;
          exact = FullText(RunWith(header, 12, P("compat"), options));
        }
        ASSERT_EQ(fast, exact) << header;
      }
    }
  }
}

TEST(PlainMembers, ReadsLeadingPlainMembersAndStopsAfterTheLastValue) {
  const std::string header =
      Obj({U8("a", 0, 4), Member("__metadata__", "{\"k\":\"v\"}"), U8("b", 4, 4),
           Member("c", Fields("\"F\\u0033\\u0032\"", "[1]", "[8,12]")), U8("d", 12, 4)});
  // The table's names live in the builder's arena: copied out here.
  struct Read {
    size_t members = 0;
    size_t end = 7;
    std::vector<std::string> names;
    std::vector<uint32_t> key_pos, offsets_pos;
  };
  const auto read = [&](const Policy& policy, size_t expected_findings = 0) {
    internal::FindingSink sink(100, 1000);
    internal::TensorTable table;
    internal::TableBuilder builder(8, policy, false, sink, table);
    Read out;
    out.end = 1;
    size_t pos = 1;
    while (builder.AddPlainMember(header.data(), header.size(), pos)) {
      ++out.members;
      out.end = pos;
      if (header[pos] == ',') ++pos;
    }
    builder.Finish();
    EXPECT_EQ(sink.Finish().size(), expected_findings);
    for (const internal::TensorEntry& t : table.tensors) {
      out.names.emplace_back(table.Name(t));
      out.key_pos.push_back(t.key_pos);
      out.offsets_pos.push_back(t.offsets_pos);
    }
    return out;
  };
  {
    const Read r = read(P("compat"));
    EXPECT_EQ(r.members, 3u);
    EXPECT_EQ(r.end, header.find(",\"c\""));
    EXPECT_EQ(r.names, (std::vector<std::string>{"a", "b"}));
    ASSERT_EQ(r.key_pos.size(), 2u);
    EXPECT_EQ(r.key_pos[0], header.find("\"a\""));
    EXPECT_EQ(r.offsets_pos[1], header.find("[4,8]"));
  }
  {
    // The policy's tensor limit: the plain reader reports the entry past
    // it, as the schema reader does.
    const Read r = read(Custom(R"({"extends":"compat","max_tensors":1})"), 1);
    EXPECT_EQ(r.members, 3u);
    EXPECT_EQ(r.end, header.find(",\"c\""));
  }
  {
    // Too shallow for a plain entry: the exact scan reports the depth.
    const Read r = read(Custom(R"({"extends":"compat","max_json_depth":2})"));
    EXPECT_EQ(r.members, 0u);
    EXPECT_EQ(r.end, 1u);
  }
  {
    const internal::ScopedFastPathsOff off;
    const Read r = read(P("compat"));
    EXPECT_EQ(r.members, 0u);
    EXPECT_EQ(r.end, 1u);
    EXPECT_TRUE(r.names.empty());
  }
}

TEST(PlainMembers, FirstMemberNotPlain_ReadsNothing) {
  const std::string header = Obj({Member("c", Fields("\"U8\"", "[1.0]", "[0,1]")), U8("a", 1, 4)});
  internal::FindingSink sink(100, 1000);
  internal::TensorTable table;
  internal::TableBuilder builder(8, P("compat"), false, sink, table);
  size_t pos = 1;
  EXPECT_FALSE(builder.AddPlainMember(header.data(), header.size(), pos));
  EXPECT_EQ(pos, 1u);
}

TEST(PlainMembers, ManyPlainMembers_TableReservedOnceForTheHeader) {
  // More entries than any small reservation: the table is still right.
  std::vector<std::string> members;
  for (int i = 0; i < 5000; ++i) members.push_back(U8("t" + std::to_string(i), 4 * i, 4));
  const std::string header = Obj(members);
  ValidateOptions options;
  options.collect_tensors = true;
  const Report r = RunWith(header, 20000, P("compat"), options);
  EXPECT_TRUE(Clean(r)) << Dump(r);
  ASSERT_EQ(r.tensors.size(), 5000u);
  EXPECT_EQ(r.tensors[4999].name, "t4999");
  ExpectExactReadersAgree(header, 20000);
}

TEST(Limits, Rank_CustomMax2_PlainEntryOfRank3Rejects320) {
  // Rank 3 is within what the plain reader reads (16): it must still see
  // the policy's own limit, in the object and the array form alike.
  const Policy policy = Custom(R"({"extends": "compat", "max_rank": 2})");
  for (const std::string& entry :
       {Member("t", Fields("\"U8\"", "[2,2,2]", "[0,8]")),
        Member("t", R"(["U8",[2,2,2],[0,8]])")}) {
    ValidateOptions options;
    options.collect_tensors = true;
    const Report fast = RunWith(Obj({entry}), 8, policy, options);
    EXPECT_TRUE(Has(fast, Code::kRankTooLarge, Severity::kError)) << entry;
    const internal::ScopedFastPathsOff off;
    EXPECT_EQ(Findings(RunWith(Obj({entry}), 8, policy, options)), Findings(fast)) << entry;
  }
}

// ---------------------------------------------------------------------------
// A run of one repeated key costs O(n log n), not O(n^2): 300,000 repeats
// of one tensor name, then of one __metadata__ key. Sorting them takes well
// under a second (a few seconds under sanitizers); a walk over the run for
// each repeat (4.5e10 comparisons) would not end before ctest's timeout.

double SecondsToValidate(const std::string& header, Report& report) {
  const auto start = std::chrono::steady_clock::now();
  report = RunPadded(header, 0, "compat");
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

TEST(DuplicateNames, LongRunOfOneName_Compat_LinearithmicTime) {
  constexpr int kRepeats = 300000;
  std::string header = "{";
  for (int i = 0; i < kRepeats; ++i) {
    header += i == 0 ? "" : ",";
    header += R"("a":{"dtype":"U8","shape":[0],"data_offsets":[0,0]})";
  }
  header += "}";
  Report r;
  const double seconds = SecondsToValidate(header, r);
  EXPECT_TRUE(Accepted(r)) << Dump(r);
  EXPECT_EQ(r.tensor_count, 1u);
  EXPECT_TRUE(Has(r, Code::kDuplicateTensorName, Severity::kWarning));
  EXPECT_LT(seconds, 30.0) << "a walk over the run of repeated names?";
}

TEST(DuplicateMetadataKeys, LongRunOfOneKey_Compat_LinearithmicTime) {
  constexpr int kRepeats = 300000;
  std::string header = R"({"__metadata__":{)";
  for (int i = 0; i < kRepeats; ++i) header += i == 0 ? R"("k":"v")" : R"(,"k":"v")";
  header += "}}";
  Report r;
  const double seconds = SecondsToValidate(header, r);
  EXPECT_TRUE(Accepted(r)) << Dump(r);
  EXPECT_TRUE(Has(r, Code::kDuplicateMetadataKey, Severity::kWarning));
  EXPECT_LT(seconds, 30.0) << "a walk over the run of repeated keys?";
}

}  // namespace
}  // namespace stguard
