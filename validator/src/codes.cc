#include "stguard/codes.h"

#include <array>
#include <charconv>

namespace stguard {
namespace {

using F = Family;

// One row per code, in numeric order. Knob "" means the rule is always an
// error: the reference rejects such a file, so no policy may accept it.
constexpr std::array<CodeInfo, 73> kCodes = {{
    {Code::kFileTooShort, "file-too-short", F::kBadInput, "",
     "file is shorter than the 8-byte header length prefix",
     "A safetensors file starts with an 8-byte little-endian header length."},
    {Code::kHeaderTooLarge, "header-too-large", F::kOverLimit, "max_header_bytes",
     "header length N exceeds the policy limit",
     "The reference rejects N > 100,000,000; a policy may set a lower limit. Huge "
     "headers are a denial-of-service vector for parsers."},
    {Code::kHeaderPastEof, "header-past-eof", F::kBadInput, "",
     "8 + N runs past the end of the file",
     "The header length claims more bytes than the file holds. Readers that trust it "
     "read out of bounds."},
    {Code::kForeignFormat, "foreign-format", F::kBadInput, "",
     "the file is not safetensors: its bytes match another format",
     "Named after its signature (GGUF, NumPy .npy, HDF5, ONNX, a ZIP archive, a Git LFS "
     "pointer, ...), so a gatekeeper can say what was uploaded instead of only 'bad header'. "
     "It is then the file's only finding: what its bytes would mean as a safetensors prefix "
     "and header is left out."},
    {Code::kPickleFormat, "pickle-format", F::kBadInput, "",
     "the file is pickle-based (raw pickle, PyTorch torch.save, NumPy object array): "
     "loading it can execute arbitrary code",
     "Unpickling runs whatever callables the pickle imports (os.system, eval, ...); this is "
     "the attack safetensors exists to prevent. The imports found are listed. It is then "
     "the file's only finding, as for 104."},
    {Code::kPickleUnsafeImport, "pickle-unsafe-import", F::kBadInput, "",
     "a pickle imports a global outside the tensor-rebuild allowlist",
     "Found in a model file of a scanned directory (pytorch_model.bin, *.pkl, a NumPy object "
     "array, ...), by walking the pickle grammar, not by signature. Only the globals "
     "torch.save writes for dense tensors, parameters and state dicts are allowed "
     "(docs/pickle-allowlist.md); anything else (os.system, builtins.eval, numpy's array "
     "rebuilders, a training class) runs code when the file is unpickled, whatever loader "
     "opens it. Also given for EXT1/2/4 opcodes (an import by number through copyreg's "
     "registry, which torch.save never writes) and for TorchScript archives, whose code "
     "torch.jit.load runs by design. The imports are listed."},
    {Code::kPickleCheckpoint, "pickle-checkpoint", F::kBadInput, "pickle_checkpoints",
     "a pickle-based checkpoint whose imports are all tensor-rebuild globals",
     "A plain torch.save state dict: torch.load(weights_only=True) reads it without running "
     "code, but older loaders unpickle it with no restriction, and it is not safetensors."},
    {Code::kPickleUnverified, "pickle-unverified", F::kBadInput, "",
     "a pickle whose imports could not all be read",
     "A compressed or encrypted archive entry, a nested archive, a compressed stream or tar "
     "archive under a model file's name, a truncated or malformed pickle, a STACK_GLOBAL "
     "whose strings cannot be followed statically, or a pickle past the walker's limits "
     "(size, stack, memo, archive entries): what it imports is unknown, so it is treated "
     "as unsafe. A limit is never a pass."},
    {Code::kOtherWeightFormat, "other-weight-format", F::kBadInput, "other_weight_formats",
     "a model file in another format, not validated by stguard",
     "GGUF, NumPy, HDF5/Keras, ONNX, TFLite, msgpack or unrecognized bytes under a model "
     "file's name, found by a directory scan. No pickle was found in it; stguard does not "
     "check its contents further."},
    {Code::kHeaderInvalidUtf8, "header-invalid-utf8", F::kBadInput, "",
     "header is not valid UTF-8",
     "The reference checks the whole header, padding included, as UTF-8 before parsing."},
    {Code::kHeaderBom, "header-bom", F::kBadInput, "",
     "header starts with a UTF-8 byte order mark",
     "JSON parsers disagree about a BOM; the reference rejects it."},
    {Code::kHeaderLeadingWhitespace, "header-leading-whitespace", F::kBadInput,
     "leading_whitespace", "whitespace before the opening '{' of the header",
     "The reference accepts it, but loaders that check the first byte for '{' reject the "
     "file: a parser differential."},
    {Code::kHeaderTrailingContent, "header-trailing-content", F::kBadInput, "",
     "non-whitespace bytes after the header's JSON value",
     "Only space, tab, CR and LF may follow the JSON. NUL padding, a second object or a "
     "comment are rejected by the reference and can smuggle a second reading."},
    {Code::kHeaderPaddingNotSpaces, "header-padding-not-spaces", F::kBadInput,
     "padding_not_spaces", "header padding holds tab, CR or LF instead of spaces",
     "Writers pad the header with spaces; other whitespace is legal JSON but unusual."},
    {Code::kJsonTooDeep, "json-too-deep", F::kOverLimit, "max_json_depth",
     "JSON nesting deeper than the policy allows",
     "The reference stops at 128 levels (127 pass), also inside ignored fields. Deep "
     "nesting exhausts recursive parsers' stacks."},
    {Code::kJsonSyntax, "json-syntax", F::kBadInput, "", "header is not valid JSON",
     "The JSON grammar is broken: a missing comma or brace, a bad literal, a malformed "
     "number, a truncated document."},
    {Code::kJsonNumberOverflow, "json-number-overflow", F::kBadInput, "",
     "a number's value overflows a 64-bit float",
     "The reference parses every number as it reads it, ignored fields included, and "
     "rejects values such as 1e400."},
    {Code::kJsonInvalidString, "json-invalid-string", F::kBadInput, "",
     "a JSON string holds a bad escape, a lone surrogate or a raw control character",
     "Such strings decode differently, or not at all, in different parsers."},
    {Code::kTopLevelNotObject, "top-level-not-object", F::kBadInput, "",
     "the header's JSON value is not an object", "The header must be a JSON object."},
    {Code::kMetadataNotObject, "metadata-not-object", F::kBadInput, "",
     "__metadata__ is neither an object nor null",
     "__metadata__ must map strings to strings."},
    {Code::kMetadataValueNotString, "metadata-value-not-string", F::kBadInput, "",
     "a __metadata__ value is not a string", "__metadata__ must map strings to strings."},
    {Code::kMetadataNull, "metadata-null", F::kBadInput, "metadata_null",
     "__metadata__ is null",
     "The reference reads null as no metadata; loaders that expect an object fail."},
    {Code::kTensorEntryInvalid, "tensor-entry-invalid", F::kBadInput, "",
     "a tensor entry is neither an object nor a 3-element array",
     "Every key other than __metadata__ names a tensor and must describe it."},
    {Code::kTensorEntryArrayForm, "tensor-entry-array-form", F::kBadInput,
     "tensor_entry_array", "a tensor entry is written as an array [dtype, shape, offsets]",
     "The reference's deserializer accepts this non-canonical form; other parsers do not."},
    {Code::kFieldMissing, "field-missing", F::kBadInput, "",
     "a tensor entry lacks dtype, shape or data_offsets",
     "All three fields are required."},
    {Code::kFieldUnknown, "field-unknown", F::kBadInput, "unknown_fields",
     "a tensor entry holds a field other than dtype, shape and data_offsets",
     "The reference ignores unknown fields; a second parser may give them meaning."},
    {Code::kFieldWrongType, "field-wrong-type", F::kBadInput, "",
     "a tensor field has the wrong JSON type or length",
     "dtype is a string, shape an array of integers, data_offsets an array of exactly two "
     "integers."},
    {Code::kDuplicateField, "duplicate-field", F::kBadInput, "",
     "a field appears twice in one tensor entry",
     "The reference rejects a repeated dtype, shape or data_offsets (compared after "
     "unescaping); parsers that keep the first or the last would read different tensors."},
    {Code::kDuplicateTensorName, "duplicate-tensor-name", F::kBadInput,
     "duplicate_tensor_names", "two tensor entries have the same name",
     "The reference keeps the last one silently; a parser that keeps the first loads a "
     "different tensor. Names are compared after unescaping."},
    {Code::kDuplicateMetadataKey, "duplicate-metadata-key", F::kBadInput,
     "duplicate_metadata_keys", "a __metadata__ key appears twice",
     "The reference keeps the last value; other parsers keep the first."},
    {Code::kDuplicateMetadataBlock, "duplicate-metadata-block", F::kBadInput, "",
     "__metadata__ appears twice", "The reference rejects a repeated __metadata__ key."},
    {Code::kDtypeObjectForm, "dtype-object-form", F::kBadInput, "dtype_object_form",
     "dtype is written as an object such as {\"F32\": null}",
     "The reference's enum deserializer accepts this non-canonical form; other parsers "
     "do not."},
    {Code::kTensorNameEmpty, "tensor-name-empty", F::kBadInput, "empty_tensor_names",
     "a tensor name is empty", "Empty names break lookups and tools that print names."},
    {Code::kTensorNameControlChar, "tensor-name-control-char", F::kBadInput,
     "control_chars_in_names", "a tensor name holds NUL or another control character",
     "C loaders truncate names at NUL; control characters corrupt logs and terminals."},
    {Code::kTensorNameTooLong, "tensor-name-too-long", F::kOverLimit, "max_name_bytes",
     "a tensor name is longer than the policy allows", "Real tensor names are short."},
    {Code::kTensorNamePathLike, "tensor-name-path-like", F::kBadInput, "path_like_names",
     "a tensor name looks like a path: absolute, a '..' component or a backslash",
     "Tools that write tensors to files named after them can be steered outside their "
     "directory."},
    {Code::kTooManyTensors, "too-many-tensors", F::kOverLimit, "max_tensors",
     "more tensor entries than the policy allows",
     "Bounds the work and memory a loader spends on the table."},
    {Code::kRankTooLarge, "rank-too-large", F::kOverLimit, "max_rank",
     "a shape has more dimensions than the policy allows",
     "Real tensors have a handful of dimensions; loaders often use fixed-size arrays."},
    {Code::kTooManyMetadataEntries, "too-many-metadata-entries", F::kOverLimit,
     "max_metadata_entries", "__metadata__ holds more entries than the policy allows",
     "Bounds the metadata a loader copies."},
    {Code::kMetadataValueTooLong, "metadata-value-too-long", F::kOverLimit,
     "max_metadata_value_bytes", "a __metadata__ key or value is longer than the policy allows",
     "Bounds the metadata a loader copies."},
    {Code::kMetadataControlChar, "metadata-control-char", F::kBadInput,
     "control_chars_in_metadata",
     "a __metadata__ key holds a control character, or a value holds one other than tab, "
     "CR and LF",
     "C loaders truncate at NUL; control characters corrupt logs and terminals."},
    {Code::kIntegerExpected, "integer-expected", F::kBadInput, "",
     "a shape dimension or data offset is not a non-negative integer",
     "Floats, exponents, -0 and negative numbers are rejected by the reference."},
    {Code::kIntegerTooLarge, "integer-too-large", F::kBadInput, "",
     "a shape dimension or data offset exceeds 2^64-1",
     "Values that do not fit in 64 bits are rejected by the reference; truncating "
     "parsers would wrap them."},
    {Code::kDtypeUnknown, "dtype-unknown", F::kBadInput, "",
     "dtype is not one of the 22 safetensors dtypes",
     "Names are exact and case-sensitive: F32, not f32 or float32."},
    {Code::kDtypeNotAllowed, "dtype-not-allowed", F::kBadInput, "allowed_dtypes",
     "dtype is valid but not allowed by the policy", "The policy restricts the dtypes."},
    {Code::kShapeOverflow, "shape-overflow", F::kBadInput, "",
     "the product of the shape and the dtype's bit size overflows 64 bits",
     "Computed left to right with checked arithmetic, as the reference does; an overflow "
     "is the classic route to a tiny allocation and a huge copy."},
    {Code::kSubByteNotWholeBytes, "sub-byte-not-whole-bytes", F::kBadInput, "",
     "a 4- or 6-bit tensor's total size is not a whole number of bytes",
     "The reference rejects F4 and F6 tensors whose bit count is not a multiple of 8."},
    {Code::kOffsetsReversed, "offsets-reversed", F::kBadInput, "",
     "data_offsets begin is greater than end", "Ranges are [begin, end)."},
    {Code::kTensorSizeMismatch, "tensor-size-mismatch", F::kBadInput, "",
     "end - begin differs from the tensor's byte size (elements x dtype size)",
     "A loader that trusts the shape reads past the range, or one that trusts the range "
     "reads a different tensor."},
    {Code::kDataGap, "data-gap", F::kBadInput, "",
     "unclaimed bytes between tensors, or before the first one",
     "The tensors must tile the data section from offset 0; hidden bytes can carry a "
     "second payload."},
    {Code::kDataOverlap, "data-overlap", F::kBadInput, "",
     "two tensors' data ranges overlap",
     "Aliased tensors let a write to one change another."},
    {Code::kTensorPastEnd, "tensor-past-end", F::kBadInput, "",
     "a tensor's data range ends past the end of the file",
     "Readers that trust the offsets read out of bounds."},
    {Code::kZeroSizeTensorInside, "zero-size-tensor-inside", F::kBadInput, "",
     "a zero-size tensor sits strictly inside another tensor's range",
     "Zero-size tensors are allowed only on tile boundaries, as the reference requires."},
    {Code::kDataTrailingBytes, "data-trailing-bytes", F::kBadInput, "",
     "bytes after the last tensor's data",
     "The anti-polyglot rule: nothing may follow the last tensor (an appended archive or "
     "pickle would go unseen)."},
    {Code::kNonFiniteValues, "nonfinite-values", F::kBadInput, "nonfinite_values",
     "a float tensor holds NaN or Inf values (deep scan)",
     "Counted per tensor when the data section is scanned (--deep). NaN and Inf weights "
     "poison every activation they touch; they are a sign of a broken or tampered export."},
    {Code::kBoolInvalidValues, "bool-invalid-values", F::kBadInput, "bool_values",
     "a BOOL tensor holds bytes other than 0 and 1 (deep scan)",
     "C++ and Rust treat any other byte in a bool as undefined behaviour; loaders that "
     "reinterpret the bytes in place inherit it."},
    {Code::kHeaderLengthUnaligned, "header-length-unaligned", F::kBadInput,
     "header_length_unaligned", "header length N is not a multiple of 8",
     "Writers pad the header so that the data section starts 8-byte aligned."},
    {Code::kTensorOffsetUnaligned, "tensor-offset-unaligned", F::kBadInput,
     "tensor_offset_unaligned", "a tensor's offset is not a multiple of its element size",
     "Misaligned tensors cannot be used in place (mmap) on strict-alignment hardware."},
    {Code::kIndexInvalid, "index-invalid", F::kBadInput, "",
     "the checkpoint index is not valid UTF-8 JSON, or is too large",
     "model.safetensors.index.json must be a JSON object of at most 100,000,000 bytes."},
    {Code::kIndexSchema, "index-schema", F::kBadInput, "",
     "the checkpoint index lacks a weight_map of tensor name -> shard file, or its metadata "
     "is not an object",
     "weight_map maps every tensor name to the shard file holding it; metadata is optional."},
    {Code::kIndexDuplicateKey, "index-duplicate-key", F::kBadInput, "index_consistency",
     "a key appears twice in the checkpoint index",
     "Parsers that keep the first or the last would load a tensor from different shards."},
    {Code::kShardNameUnsafe, "shard-name-unsafe", F::kBadInput, "",
     "a shard name leads outside the root, or cannot name a file",
     "Loaders open os.path.join(index directory, name). Absolute names, NUL, backslashes "
     "and names or symlinks that resolve outside the root (the index's directory, the Hub "
     "cache repository, or --root) would make a loader open a file the index should not "
     "reach. Such shards are never opened, and the index is rejected: a shard nobody "
     "validated cannot be vouched for."},
    {Code::kShardMissing, "shard-missing", F::kBadInput, "",
     "a shard named by the index does not exist or cannot be read",
     "The checkpoint is incomplete, and a shard nobody validated cannot be vouched for."},
    {Code::kIndexTensorMissing, "index-tensor-missing", F::kBadInput, "index_consistency",
     "a tensor in weight_map is not in the shard it names",
     "A loader following the index would fail, or load a ghost."},
    {Code::kShardTensorUnlisted, "shard-tensor-unlisted", F::kBadInput, "index_consistency",
     "a tensor in a shard is not listed in weight_map for that shard",
     "Loaders that read the shard directly and loaders that follow the index see different "
     "models."},
    {Code::kTensorInTwoShards, "tensor-in-two-shards", F::kBadInput, "index_consistency",
     "a tensor name is in two shards",
     "Which copy a loader gets depends on the order it reads the shards."},
    {Code::kIndexTotalMismatch, "index-total-mismatch", F::kBadInput, "index_total_size",
     "metadata.total_size (or total_parameters) differs from the shards' tensors",
     "The totals should be the sum of the shards' tensor bytes (and elements)."},
    {Code::kShardRejected, "shard-rejected", F::kBadInput, "",
     "a shard of the checkpoint is rejected by the policy",
     "The shard's own report says why; the checkpoint is rejected with it."},
    {Code::kSymlinkOutsideRoot, "symlink-outside-root", F::kBadInput, "",
     "a symlink in a scanned directory leads outside the root",
     "A loader opening the link reads a file outside the directory that was checked. The "
     "target is not opened; set --root (or the symlink_root knob) to allow it."},
    {Code::kFindingsTruncated, "findings-truncated", F::kValidatorLimit, "",
     "more findings of one code than the report keeps",
     "The report keeps a bounded number of findings per code and counts the rest."},
    {Code::kResourceExhausted, "resource-exhausted", F::kValidatorLimit, "",
     "the validator ran out of memory or another resource",
     "Not a statement about the file; the file is rejected because it was not checked."},
    {Code::kInternalError, "internal-error", F::kValidatorLimit, "",
     "the validator hit an unexpected condition (a bug: please report it)",
     "Not a statement about the file; the file is rejected because it was not checked."},
    {Code::kCheckpointFanOut, "checkpoint-fan-out", F::kValidatorLimit, "",
     "a checkpoint fans out past what a scan cross-checks",
     "An index naming more than 65,536 distinct shard files, or a shard file named by more "
     "than 16 indexes of one scan: each would cost another lookup or another read of the "
     "shard's header, so the work would grow without bound. The index is not checked and "
     "is rejected."},
}};

}  // namespace

const CodeInfo& Info(Code code) {
  for (const CodeInfo& info : kCodes) {
    if (info.code == code) return info;
  }
  // Every enumerator has a row (a unit test checks it); fall back to the
  // internal-error row rather than reading out of bounds.
  for (const CodeInfo& info : kCodes) {
    if (info.code == Code::kInternalError) return info;
  }
  return kCodes.back();
}

std::span<const CodeInfo> AllCodes() { return kCodes; }

std::optional<Code> ParseCode(std::string_view text) {
  unsigned number = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  const bool is_number = ec == std::errc() && end == text.data() + text.size();
  for (const CodeInfo& info : kCodes) {
    if (is_number ? static_cast<unsigned>(info.code) == number : info.id == text) return info.code;
  }
  return std::nullopt;
}

}  // namespace stguard
