// Unit tests for stage 4, layout rules (layout_rules.cc): sizes, tiling of
// the data section, alignment, and the tensor table handed back to callers.
// Mostly through ValidateBuffer; a few direct CheckLayout calls.
#include "layout_rules.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

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

std::string Tensor(const std::string& name, const std::string& dtype, const std::string& shape,
                   uint64_t begin, uint64_t end) {
  return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape +
         ",\"data_offsets\":[" + std::to_string(begin) + "," + std::to_string(end) + "]}";
}
std::string Obj(const std::vector<std::string>& members) {
  std::string out = "{";
  for (size_t i = 0; i < members.size(); ++i) out += (i ? "," : "") + members[i];
  return out + "}";
}
// Offset of tensor `name`'s data_offsets value in the file.
uint64_t OffsetsOf(const std::string& header, const std::string& name) {
  const size_t key = header.find("\"" + name + "\":");
  return At(header, "\"data_offsets\":", key) + std::string("\"data_offsets\":").size();
}
uint64_t ShapeOf(const std::string& header, const std::string& name) {
  const size_t key = header.find("\"" + name + "\":");
  return At(header, "\"shape\":", key) + std::string("\"shape\":").size();
}
// File offset of the data section for a header padded to 8.
uint64_t DataStart(const std::string& header) { return 8 + PadToEight(header).size(); }

const std::string k2p63 = "9223372036854775808";  // 2^63
const std::string k2p62 = "4611686018427387904";  // 2^62

// ---------------------------------------------------------------------------
// 503 shape overflow

TEST(ShapeOverflow, LeftToRightEvenWhenProductIsZero_Compat_Rejects503AtTheShape) {
  const std::string header = Obj({Tensor("t", "U8", "[" + k2p63 + ",2,0]", 0, 0)});
  const Report r = RunPadded(header, 0, "compat");
  EXPECT_TRUE(Rejects(r, Code::kShapeOverflow, ShapeOf(header, "t")));
  EXPECT_TRUE(Lacks(r, Code::kTensorSizeMismatch));
}

TEST(ShapeOverflow, ZeroFirstNeverOverflows_Compat_Accepted) {
  const std::string header = Obj({Tensor("t", "U8", "[0," + k2p63 + ",2]", 0, 0)});
  EXPECT_TRUE(Clean(RunPadded(header, 0, "compat")));
}

TEST(ShapeOverflow, U8Of2p62ElementsOverflowsInBits_Compat_Rejects503) {
  const std::string header = Obj({Tensor("t", "U8", "[" + k2p62 + "]", 0, 8)});
  EXPECT_TRUE(Rejects(RunPadded(header, 8, "compat"), Code::kShapeOverflow, ShapeOf(header, "t")));
}

TEST(ShapeOverflow, F32Of2p62Elements_Compat_Rejects503) {
  const std::string header = Obj({Tensor("t", "F32", "[" + k2p62 + "]", 0, 8)});
  EXPECT_TRUE(Rejects(RunPadded(header, 8, "compat"), Code::kShapeOverflow));
  const std::string split = Obj({Tensor("t", "F32", "[2147483648,2147483648]", 0, 8)});
  EXPECT_TRUE(Rejects(RunPadded(split, 8, "compat"), Code::kShapeOverflow));
}

TEST(ShapeOverflow, JustBelowTheBitLimit_Compat_IsASizeMismatchNotAnOverflow) {
  // (2^61 - 1) x 8 bits = 2^64 - 8: fits.
  const std::string header = Obj({Tensor("t", "U8", "[2305843009213693951]", 0, 8)});
  const Report r = RunPadded(header, 8, "compat");
  EXPECT_TRUE(Lacks(r, Code::kShapeOverflow));
  EXPECT_TRUE(Rejects(r, Code::kTensorSizeMismatch, OffsetsOf(header, "t")));
  // 2^61 x 8 bits = 2^64: overflows.
  const std::string over = Obj({Tensor("t", "U8", "[2305843009213693952]", 0, 8)});
  EXPECT_TRUE(Rejects(RunPadded(over, 8, "compat"), Code::kShapeOverflow));
}

TEST(ShapeOverflow, OverflowStillChecksTheRange_Compat) {
  const std::string header = Obj({Tensor("t", "U8", "[" + k2p63 + ",2]", 8, 0)});
  const Report r = RunPadded(header, 8, "compat");
  EXPECT_TRUE(Rejects(r, Code::kShapeOverflow));
  EXPECT_TRUE(Rejects(r, Code::kOffsetsReversed));
}

// ---------------------------------------------------------------------------
// 504 sub-byte dtypes

TEST(SubByte, F4OddCount_Compat_Rejects504AtTheShape) {
  const std::string header = Obj({Tensor("t", "F4", "[3]", 0, 2)});
  const Report r = RunPadded(header, 2, "compat");
  EXPECT_TRUE(Rejects(r, Code::kSubByteNotWholeBytes, ShapeOf(header, "t")));
  EXPECT_TRUE(Lacks(r, Code::kTensorSizeMismatch));
}

TEST(SubByte, F4EvenCount_Strict_Clean) {
  EXPECT_TRUE(Clean(RunPadded(Obj({Tensor("t", "F4", "[4]", 0, 2)}), 2, "strict")));
  EXPECT_TRUE(Clean(RunPadded(Obj({Tensor("t", "F4", "[3,2]", 0, 3)}), 3, "strict")));
  EXPECT_TRUE(Clean(RunPadded(Obj({Tensor("t", "F4", "[0]", 0, 0)}), 0, "strict")));
}

TEST(SubByte, F4WrongByteCount_Compat_Rejects602) {
  EXPECT_TRUE(Rejects(RunPadded(Obj({Tensor("t", "F4", "[4]", 0, 4)}), 4, "compat"),
                      Code::kTensorSizeMismatch));
}

TEST(SubByte, F6ThreeElements_Compat_Rejects504) {
  for (const char* dtype : {"F6_E2M3", "F6_E3M2"}) {
    const std::string header = Obj({Tensor("t", dtype, "[3]", 0, 2)});
    EXPECT_TRUE(Rejects(RunPadded(header, 2, "compat"), Code::kSubByteNotWholeBytes,
                        ShapeOf(header, "t")))
        << dtype;
  }
}

TEST(SubByte, F6FourElementsAre24Bits_Strict_Clean) {
  for (const char* dtype : {"F6_E2M3", "F6_E3M2"}) {
    EXPECT_TRUE(Clean(RunPadded(Obj({Tensor("t", dtype, "[4]", 0, 3)}), 3, "strict"))) << dtype;
    EXPECT_TRUE(Clean(RunPadded(Obj({Tensor("t", dtype, "[2,2]", 0, 3)}), 3, "strict"))) << dtype;
  }
}

// ---------------------------------------------------------------------------
// 601..607 ranges

TEST(Ranges, Reversed_Compat_Rejects601AtTheOffsets) {
  const std::string header = Obj({Tensor("t", "U8", "[8]", 8, 0)});
  const Report r = RunPadded(header, 8, "compat");
  EXPECT_TRUE(Rejects(r, Code::kOffsetsReversed, OffsetsOf(header, "t")));
}

TEST(Ranges, SizeMismatch_Compat_Rejects602AtTheOffsets) {
  const std::string small = Obj({Tensor("t", "F32", "[2]", 0, 7)});
  EXPECT_TRUE(Rejects(RunPadded(small, 7, "compat"), Code::kTensorSizeMismatch,
                      OffsetsOf(small, "t")));
  const std::string big = Obj({Tensor("t", "F32", "[2]", 0, 9)});
  EXPECT_TRUE(Rejects(RunPadded(big, 9, "compat"), Code::kTensorSizeMismatch));
  const std::string zero = Obj({Tensor("t", "F32", "[0]", 0, 4)});
  EXPECT_TRUE(Rejects(RunPadded(zero, 4, "compat"), Code::kTensorSizeMismatch));
}

TEST(Ranges, SizeMatchesForEveryShape_Strict_Clean) {
  EXPECT_TRUE(Clean(RunPadded(Obj({Tensor("t", "BF16", "[2,3,4]", 0, 48)}), 48, "strict")));
  EXPECT_TRUE(Clean(RunPadded(Obj({Tensor("t", "C64", "[3]", 0, 24)}), 24, "strict")));
  EXPECT_TRUE(Clean(RunPadded(Obj({Tensor("t", "BOOL", "[5]", 0, 5)}), 5, "strict")));
}

TEST(Ranges, GapInTheMiddle_Compat_Rejects603AtTheLaterTensor) {
  const std::string header = Obj({Tensor("a", "U8", "[4]", 0, 4), Tensor("b", "U8", "[2]", 6, 8)});
  const Report r = RunPadded(header, 8, "compat");
  EXPECT_TRUE(Rejects(r, Code::kDataGap, OffsetsOf(header, "b")));
  ASSERT_EQ(r.findings.size(), 1u) << Dump(r);
  EXPECT_EQ(r.findings[0].tensor, std::optional<std::string>("b"));
}

TEST(Ranges, GapAtTheStart_Compat_Rejects603) {
  const std::string header = Obj({Tensor("a", "U8", "[6]", 2, 8)});
  EXPECT_TRUE(Rejects(RunPadded(header, 8, "compat"), Code::kDataGap, OffsetsOf(header, "a")));
}

TEST(Ranges, Overlap_Compat_Rejects604AtTheLaterTensor) {
  const std::string header = Obj({Tensor("a", "U8", "[6]", 0, 6), Tensor("b", "U8", "[4]", 4, 8)});
  EXPECT_TRUE(Rejects(RunPadded(header, 8, "compat"), Code::kDataOverlap, OffsetsOf(header, "b")));
}

TEST(Ranges, IdenticalRanges_Compat_Rejects604) {
  const std::string header = Obj({Tensor("a", "U8", "[8]", 0, 8), Tensor("b", "U8", "[8]", 0, 8)});
  const Report r = RunPadded(header, 8, "compat");
  EXPECT_EQ(r.verdict, Verdict::kReject);
  size_t overlaps = 0;
  for (const Finding& f : r.findings) overlaps += f.code == Code::kDataOverlap;
  EXPECT_EQ(overlaps, 1u) << Dump(r);
}

TEST(Ranges, Containment_Compat_Rejects604) {
  const std::string header = Obj({Tensor("a", "U8", "[8]", 0, 8), Tensor("b", "U8", "[2]", 2, 4)});
  EXPECT_TRUE(Rejects(RunPadded(header, 8, "compat"), Code::kDataOverlap, OffsetsOf(header, "b")));
}

TEST(Ranges, PastEnd_Compat_Rejects605AndNotTrailing) {
  const std::string header = Obj({Tensor("t", "U8", "[16]", 0, 16)});
  const Report r = RunPadded(header, 8, "compat");
  EXPECT_TRUE(Rejects(r, Code::kTensorPastEnd, OffsetsOf(header, "t")));
  EXPECT_TRUE(Lacks(r, Code::kDataTrailingBytes));
}

TEST(Ranges, PastEndByOne_Compat_Rejects605) {
  const std::string header = Obj({Tensor("a", "U8", "[4]", 0, 4), Tensor("b", "U8", "[5]", 4, 9)});
  EXPECT_TRUE(Rejects(RunPadded(header, 8, "compat"), Code::kTensorPastEnd, OffsetsOf(header, "b")));
}

TEST(Ranges, ZeroSizeInsideAnother_Compat_Rejects606) {
  const std::string header = Obj({Tensor("a", "U8", "[8]", 0, 8), Tensor("z", "U8", "[0]", 4, 4)});
  const Report r = RunPadded(header, 8, "compat");
  EXPECT_TRUE(Rejects(r, Code::kZeroSizeTensorInside, OffsetsOf(header, "z")));
  EXPECT_TRUE(Lacks(r, Code::kDataOverlap));
}

TEST(Ranges, ZeroSizeOnBoundaries_Strict_Clean) {
  // At the start, between two tensors, and at the very end.
  const std::string header =
      Obj({Tensor("z0", "F32", "[0]", 0, 0), Tensor("a", "F32", "[1]", 0, 4),
           Tensor("z1", "F32", "[0,3]", 4, 4), Tensor("b", "F32", "[1]", 4, 8),
           Tensor("z2", "F32", "[2,0]", 8, 8)});
  EXPECT_TRUE(Clean(RunPadded(header, 8, "strict")));
}

TEST(Ranges, OnlyZeroSizeTensorsAndNoData_Strict_Clean) {
  EXPECT_TRUE(Clean(RunPadded(Obj({Tensor("z", "F32", "[0]", 0, 0)}), 0, "strict")));
  EXPECT_TRUE(Clean(RunPadded(Obj({Tensor("z", "F32", "[0]", 0, 0), Tensor("y", "U8", "[0]", 0, 0)}),
                              0, "strict")));
}

TEST(Ranges, ZeroSizePastTheEnd_Compat_Rejected) {
  const Report r = RunPadded(Obj({Tensor("a", "U8", "[8]", 0, 8), Tensor("z", "U8", "[0]", 16, 16)}),
                             8, "compat");
  EXPECT_TRUE(Rejects(r, Code::kTensorPastEnd));
}

TEST(Ranges, TrailingBytes_Compat_Rejects607AtTheFirstUnclaimedByte) {
  const std::string header = Obj({Tensor("t", "U8", "[4]", 0, 4)});
  const Report r = RunPadded(header, 8, "compat");
  EXPECT_TRUE(Rejects(r, Code::kDataTrailingBytes, DataStart(header) + 4));
  ASSERT_EQ(r.findings.size(), 1u) << Dump(r);
  EXPECT_FALSE(r.findings[0].tensor.has_value());
}

TEST(Ranges, NoTensorsButData_Compat_Rejects607) {
  EXPECT_TRUE(Rejects(RunPadded("{}", 1, "compat"), Code::kDataTrailingBytes, 16));
  const std::string meta = "{\"__metadata__\":{\"a\":\"b\"}}";
  EXPECT_TRUE(Rejects(RunPadded(meta, 8, "compat"), Code::kDataTrailingBytes, DataStart(meta)));
  EXPECT_TRUE(Rejects(RunPadded(Obj({Tensor("z", "U8", "[0]", 0, 0)}), 3, "compat"),
                      Code::kDataTrailingBytes));
}

TEST(Ranges, NoTensorsNoData_Strict_Clean) {
  EXPECT_TRUE(Clean(RunPadded("{}", 0, "strict")));
  EXPECT_TRUE(Clean(RunPadded("{\"__metadata__\":{}}", 0, "strict")));
}

TEST(Ranges, TilingIrrespectiveOfJsonOrder_Strict_Clean) {
  const std::string header = Obj({Tensor("c", "F32", "[1]", 8, 12), Tensor("a", "F32", "[1]", 0, 4),
                                  Tensor("b", "F32", "[1]", 4, 8)});
  EXPECT_TRUE(Clean(RunPadded(header, 12, "strict")));
}

TEST(Ranges, GapFoundInOffsetOrderNotJsonOrder_Compat) {
  const std::string header = Obj({Tensor("c", "U8", "[2]", 6, 8), Tensor("a", "U8", "[4]", 0, 4)});
  const Report r = RunPadded(header, 8, "compat");
  EXPECT_TRUE(Rejects(r, Code::kDataGap, OffsetsOf(header, "c")));
  ASSERT_EQ(r.findings.size(), 1u) << Dump(r);
}

TEST(Ranges, SeveralProblemsAllReported_Compat) {
  const std::string header =
      Obj({Tensor("a", "U8", "[3]", 0, 4), Tensor("b", "U8", "[2]", 6, 8),
           Tensor("c", "U8", "[4]", 7, 11)});
  const Report r = RunPadded(header, 16, "compat");
  EXPECT_TRUE(Rejects(r, Code::kTensorSizeMismatch, OffsetsOf(header, "a")));
  EXPECT_TRUE(Rejects(r, Code::kDataGap, OffsetsOf(header, "b")));
  EXPECT_TRUE(Rejects(r, Code::kDataOverlap, OffsetsOf(header, "c")));
  EXPECT_TRUE(Rejects(r, Code::kDataTrailingBytes, DataStart(header) + 11));
}

// ---------------------------------------------------------------------------
// 701 / 702 alignment

TEST(Alignment, HeaderLengthUnaligned_Compat_Ignored) {
  const std::string header = Obj({Tensor("t", "U8", "[8]", 0, 8)}) + " ";  // 54 bytes
  ASSERT_NE(header.size() % 8, 0u);
  EXPECT_TRUE(Clean(RunRaw(header, 8, "compat")));
}

TEST(Alignment, HeaderLengthUnaligned_Default_Warns701At0) {
  const std::string header = Obj({Tensor("t", "U8", "[8]", 0, 8)});
  ASSERT_NE(header.size() % 8, 0u);
  EXPECT_TRUE(WarnsOnly(RunRaw(header, 8, "default"), Code::kHeaderLengthUnaligned, 0));
}

TEST(Alignment, HeaderLengthUnaligned_Strict_Rejects701At0) {
  const std::string header = Obj({Tensor("t", "U8", "[8]", 0, 8)});
  EXPECT_TRUE(Rejects(RunRaw(header, 8, "strict"), Code::kHeaderLengthUnaligned, 0));
  EXPECT_TRUE(Clean(RunPadded(header, 8, "strict")));
}

TEST(Alignment, TensorOffsetUnaligned_Compat_Ignored) {
  const std::string header = Obj({Tensor("a", "U8", "[2]", 0, 2), Tensor("b", "F32", "[1]", 2, 6)});
  EXPECT_TRUE(Clean(RunPadded(header, 6, "compat")));
}

TEST(Alignment, TensorOffsetUnaligned_Default_Warns702AtTheOffsets) {
  const std::string header = Obj({Tensor("a", "U8", "[2]", 0, 2), Tensor("b", "F32", "[1]", 2, 6)});
  EXPECT_TRUE(WarnsOnly(RunPadded(header, 6, "default"), Code::kTensorOffsetUnaligned,
                        OffsetsOf(header, "b")));
}

TEST(Alignment, TensorOffsetUnaligned_Strict_Rejects702) {
  const struct {
    const char* first_dtype;
    const char* first_shape;
    uint64_t first_size;
    const char* dtype;
    uint64_t size;
  } cases[] = {{"U8", "[1]", 1, "F16", 2}, {"U8", "[2]", 2, "F32", 4},
               {"F32", "[1]", 4, "C64", 8}, {"F32", "[1]", 4, "F64", 8},
               {"U16", "[3]", 6, "I64", 8}, {"U8", "[1]", 1, "BF16", 2}};
  for (const auto& c : cases) {
    const std::string header =
        Obj({Tensor("a", c.first_dtype, c.first_shape, 0, c.first_size),
             Tensor("b", c.dtype, "[1]", c.first_size, c.first_size + c.size)});
    EXPECT_TRUE(Rejects(RunPadded(header, c.first_size + c.size, "strict"),
                        Code::kTensorOffsetUnaligned, OffsetsOf(header, "b")))
        << c.dtype << " at " << c.first_size;
  }
}

TEST(Alignment, NaturallyAlignedOffsets_Strict_Clean) {
  const std::string header =
      Obj({Tensor("a", "U8", "[1]", 0, 1), Tensor("b", "BOOL", "[1]", 1, 2),
           Tensor("c", "F16", "[1]", 2, 4), Tensor("d", "F32", "[1]", 4, 8),
           Tensor("e", "C64", "[1]", 8, 16), Tensor("f", "F4", "[2]", 16, 17),
           Tensor("g", "F6_E2M3", "[4]", 17, 20), Tensor("h", "I8", "[4]", 20, 24)});
  EXPECT_TRUE(Clean(RunPadded(header, 24, "strict")));
}

// ---------------------------------------------------------------------------
// The tensor table returned with collect_tensors

Report Collect(const std::string& header, uint64_t data, const std::string& policy) {
  ValidateOptions options;
  options.collect_tensors = true;
  return ValidateBuffer(testing::MakeFileWithData(PadToEight(header), data), P(policy), options);
}

TEST(CollectTensors, SortedByOffsetsWithShapesAndDtypes) {
  const std::string header =
      Obj({"\"__metadata__\":{\"format\":\"pt\"}", Tensor("w2", "F32", "[2,3]", 8, 32),
           Tensor("w0", "F16", "[4]", 0, 8), Tensor("s", "U8", "[]", 32, 33),
           Tensor("z", "I64", "[0,5]", 33, 33)});
  const Report r = Collect(header, 33, "compat");
  ASSERT_TRUE(Accepted(r));
  ASSERT_EQ(r.tensors.size(), 4u);
  EXPECT_EQ(r.tensor_count, 4u);
  EXPECT_EQ(r.tensors[0], (TensorRecord{"w0", Dtype::kF16, {4}, 0, 8}));
  EXPECT_EQ(r.tensors[1], (TensorRecord{"w2", Dtype::kF32, {2, 3}, 8, 32}));
  EXPECT_EQ(r.tensors[2], (TensorRecord{"s", Dtype::kU8, {}, 32, 33}));
  EXPECT_EQ(r.tensors[3], (TensorRecord{"z", Dtype::kI64, {0, 5}, 33, 33}));
}

TEST(CollectTensors, LastDuplicateWins) {
  // The first "a" (which would leave a gap) is dropped; the last "a" tiles.
  const std::string header = Obj({Tensor("a", "U8", "[4]", 8, 12), Tensor("b", "U8", "[4]", 0, 4),
                                  Tensor("a", "I16", "[1,2]", 4, 8)});
  const Report r = Collect(header, 8, "compat");
  ASSERT_TRUE(Accepted(r));
  ASSERT_EQ(r.tensors.size(), 2u) << Dump(r);
  EXPECT_EQ(r.tensors[0], (TensorRecord{"b", Dtype::kU8, {4}, 0, 4}));
  EXPECT_EQ(r.tensors[1], (TensorRecord{"a", Dtype::kI16, {1, 2}, 4, 8}));
}

TEST(CollectTensors, DecodedNamesAndLargeDims) {
  const std::string header =
      Obj({Tensor("caf\\u00e9\\u0000", "U8", "[1,18446744073709551615,0]", 0, 0)});
  const Report r = Collect(header, 0, "compat");
  ASSERT_EQ(r.tensors.size(), 1u) << Dump(r);
  EXPECT_EQ(r.tensors[0].name, std::string("caf\xC3\xA9\0", 6));
  EXPECT_EQ(r.tensors[0].shape, (std::vector<uint64_t>{1, UINT64_MAX, 0}));
}

TEST(CollectTensors, ArrayFormAndObjectDtype) {
  const std::string header = "{\"a\":[\"F32\",[2],[0,8]],\"b\":{\"dtype\":{\"U8\":null},"
                             "\"shape\":[1],\"data_offsets\":[8,9]}}";
  const Report r = Collect(header, 9, "compat");
  ASSERT_EQ(r.tensors.size(), 2u) << Dump(r);
  EXPECT_EQ(r.tensors[0], (TensorRecord{"a", Dtype::kF32, {2}, 0, 8}));
  EXPECT_EQ(r.tensors[1], (TensorRecord{"b", Dtype::kU8, {1}, 8, 9}));
}

TEST(CollectTensors, FilledEvenWhenTheLayoutIsRejected) {
  const Report r = Collect(Obj({Tensor("a", "U8", "[4]", 0, 4)}), 8, "compat");
  EXPECT_EQ(r.verdict, Verdict::kReject);
  EXPECT_EQ(r.tensors.size(), 1u);
}

TEST(CollectTensors, EmptyWithoutTheOption) {
  const Report r = RunPadded(Obj({Tensor("a", "U8", "[4]", 0, 4)}), 4, "compat");
  EXPECT_TRUE(Clean(r));
  EXPECT_TRUE(r.tensors.empty());
  EXPECT_EQ(r.tensor_count, 1u);
}

TEST(CollectTensors, EmptyWhenTheTableIsIncomplete) {
  const Report r = Collect(Obj({Tensor("a", "U8", "[4]", 0, 4), Tensor("b", "X", "[1]", 4, 5)}), 5,
                           "compat");
  EXPECT_EQ(r.verdict, Verdict::kReject);
  EXPECT_TRUE(r.tensors.empty());
}

// ---------------------------------------------------------------------------
// CheckLayout directly

internal::TensorEntry Entry(internal::TensorTable& table, std::string_view name, uint64_t begin,
                            uint64_t end, uint64_t byte_size, Dtype dtype = Dtype::kU8) {
  internal::TensorEntry e;
  e.name = table.names.Copy(name);
  e.dtype = dtype;
  e.begin = begin;
  e.end = end;
  e.elements = byte_size * 8 / DtypeBits(dtype);
  e.offsets_pos = 100;
  e.shape_pos = 90;
  return e;
}

TEST(CheckLayout, SortsByBeginThenEnd) {
  internal::TensorTable table;
  table.tensors = {Entry(table, "c", 4, 8, 4), Entry(table, "z", 4, 4, 0),
                   Entry(table, "a", 0, 4, 4)};
  internal::FindingSink sink(32, 1000);
  internal::CheckLayout(table, 8, internal::DataSection{200, 8}, *BuiltinPolicy("strict"), sink);
  EXPECT_FALSE(sink.has_error());
  ASSERT_EQ(table.tensors.size(), 3u);
  EXPECT_EQ(table.Name(table.tensors[0]), "a");
  EXPECT_EQ(table.Name(table.tensors[1]), "z");
  EXPECT_EQ(table.Name(table.tensors[2]), "c");
}

TEST(CheckLayout, OffsetsAreHeaderPositionsPlusHeaderOffset) {
  internal::TensorTable table;
  table.tensors = {Entry(table, "a", 0, 4, 3)};
  internal::FindingSink sink(32, 1000);
  internal::CheckLayout(table, 8, internal::DataSection{200, 10}, *BuiltinPolicy("compat"), sink);
  const std::vector<Finding> findings = sink.Finish();
  ASSERT_EQ(findings.size(), 2u);
  EXPECT_EQ(findings[0].code, Code::kTensorSizeMismatch);
  EXPECT_EQ(findings[0].offset, 108u);
  EXPECT_EQ(findings[1].code, Code::kDataTrailingBytes);
  EXPECT_EQ(findings[1].offset, 204u);
}

TEST(CheckLayout, ReversedRangeDoesNotAdvanceCoverage) {
  internal::TensorTable table;
  table.tensors = {Entry(table, "a", 0, 4, 4), Entry(table, "r", 9, 5, 0),
                   Entry(table, "b", 4, 8, 4)};
  internal::FindingSink sink(32, 1000);
  internal::CheckLayout(table, 8, internal::DataSection{200, 8}, *BuiltinPolicy("compat"), sink);
  const std::vector<Finding> findings = sink.Finish();
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].code, Code::kOffsetsReversed);
  EXPECT_EQ(findings[0].tensor, std::optional<std::string>("r"));
}

TEST(CheckLayout, EmptyTableWithEmptyDataIsFine) {
  internal::TensorTable table;
  internal::FindingSink sink(32, 1000);
  internal::CheckLayout(table, 8, internal::DataSection{16, 0}, *BuiltinPolicy("strict"), sink);
  EXPECT_TRUE(sink.Finish().empty());
}

}  // namespace
}  // namespace stguard
