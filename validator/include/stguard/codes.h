// Stable finding codes. A code's number and id never change meaning once
// released; new codes take new numbers. Families by hundreds:
//   1xx framing and file type  2xx header text / JSON  3xx schema  4xx numbers
//   5xx dtype and shape  6xx data layout and content  7xx alignment  8xx sharded checkpoints and directories
//   9xx our own limits or bugs
#ifndef STGUARD_CODES_H_
#define STGUARD_CODES_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace stguard {

enum class Code : uint16_t {
  // framing
  kFileTooShort = 101,
  kHeaderTooLarge = 102,
  kHeaderPastEof = 103,
  kForeignFormat = 104,
  kPickleFormat = 105,
  kPickleUnsafeImport = 106,
  kPickleCheckpoint = 107,
  kPickleUnverified = 108,
  kOtherWeightFormat = 109,
  // header text / JSON
  kHeaderInvalidUtf8 = 201,
  kHeaderBom = 202,
  kHeaderLeadingWhitespace = 203,
  kHeaderTrailingContent = 204,
  kHeaderPaddingNotSpaces = 205,
  kJsonTooDeep = 206,
  kJsonSyntax = 207,
  kJsonNumberOverflow = 208,
  kJsonInvalidString = 209,
  // schema
  kTopLevelNotObject = 301,
  kMetadataNotObject = 302,
  kMetadataValueNotString = 303,
  kMetadataNull = 304,
  kTensorEntryInvalid = 305,
  kTensorEntryArrayForm = 306,
  kFieldMissing = 307,
  kFieldUnknown = 308,
  kFieldWrongType = 309,
  kDuplicateField = 310,
  kDuplicateTensorName = 311,
  kDuplicateMetadataKey = 312,
  kDuplicateMetadataBlock = 313,
  kDtypeObjectForm = 314,
  kTensorNameEmpty = 315,
  kTensorNameControlChar = 316,
  kTensorNameTooLong = 317,
  kTensorNamePathLike = 318,
  kTooManyTensors = 319,
  kRankTooLarge = 320,
  kTooManyMetadataEntries = 321,
  kMetadataValueTooLong = 322,
  kMetadataControlChar = 323,
  // numbers
  kIntegerExpected = 401,
  kIntegerTooLarge = 402,
  // dtype and shape
  kDtypeUnknown = 501,
  kDtypeNotAllowed = 502,
  kShapeOverflow = 503,
  kSubByteNotWholeBytes = 504,
  // data layout
  kOffsetsReversed = 601,
  kTensorSizeMismatch = 602,
  kDataGap = 603,
  kDataOverlap = 604,
  kTensorPastEnd = 605,
  kZeroSizeTensorInside = 606,
  kDataTrailingBytes = 607,
  kNonFiniteValues = 608,
  kBoolInvalidValues = 609,
  // alignment
  kHeaderLengthUnaligned = 701,
  kTensorOffsetUnaligned = 702,
  // sharded checkpoints (model.safetensors.index.json) and directory scans
  kIndexInvalid = 801,
  kIndexSchema = 802,
  kIndexDuplicateKey = 803,
  kShardNameUnsafe = 804,
  kShardMissing = 805,
  kIndexTensorMissing = 806,
  kShardTensorUnlisted = 807,
  kTensorInTwoShards = 808,
  kIndexTotalMismatch = 809,
  kShardRejected = 810,
  kSymlinkOutsideRoot = 811,
  // our own limits or bugs
  kFindingsTruncated = 901,
  kResourceExhausted = 902,
  kInternalError = 903,
  kCheckpointFanOut = 904,
};

enum class Family : uint8_t {
  kBadInput,       // the file breaks the format or a rule of the policy
  kOverLimit,      // the file exceeds a limit the policy sets
  kValidatorLimit  // our own limit or bug: never a statement about the file's safety
};

struct CodeInfo {
  Code code;
  std::string_view id;       // kebab-case, stable: "duplicate-field"
  Family family;
  std::string_view knob;     // policy knob that governs it; "" when always an error
  std::string_view summary;  // fixed one-line text
  std::string_view explanation;  // why it matters, what the reference does
};

const CodeInfo& Info(Code code);
std::span<const CodeInfo> AllCodes();
// Accepts a number ("310") or an id ("duplicate-field").
std::optional<Code> ParseCode(std::string_view text);

}  // namespace stguard

#endif  // STGUARD_CODES_H_
