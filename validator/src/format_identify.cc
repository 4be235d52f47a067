#include "format_identify.h"

#include <algorithm>
#include <array>
#include <iterator>
#include <map>
#include <utility>
#include <vector>

#include "checked_math.h"
#include "pickle_walk.h"
#include "str_cat.h"

namespace stguard::internal {
namespace {

using Bytes = std::span<const uint8_t>;

// ---------------------------------------------------------------------------
// Reading. Every byte this file looks at goes through Reader: each read checks
// the bounds first, and a failed read returns nullopt and leaves the position
// unchanged. Sizes read from the file are only ever compared and skipped over,
// never used to size an allocation.

class Reader {
 public:
  explicit Reader(Bytes bytes, size_t pos = 0)
      : bytes_(bytes), pos_(std::min(pos, bytes.size())) {}

  size_t pos() const { return pos_; }
  size_t remaining() const { return bytes_.size() - pos_; }
  bool AtEnd() const { return pos_ == bytes_.size(); }

  // Unsigned little-endian integer of `width` bytes (1 to 8).
  std::optional<uint64_t> Le(size_t width) {
    if (width == 0 || width > 8 || remaining() < width) return std::nullopt;
    uint64_t value = 0;
    for (size_t i = 0; i < width; ++i) value |= uint64_t{bytes_[pos_ + i]} << (8 * i);
    pos_ += width;
    return value;
  }

  std::optional<Bytes> Take(uint64_t n) {
    if (n > remaining()) return std::nullopt;
    const Bytes out = bytes_.subspan(pos_, static_cast<size_t>(n));
    pos_ += out.size();
    return out;
  }

  bool Skip(uint64_t n) { return Take(n).has_value(); }

  // Consumes `text` if the bytes at the position are exactly it.
  bool Literal(std::string_view text) {
    if (remaining() < text.size() ||
        !std::equal(text.begin(), text.end(), bytes_.begin() + static_cast<ptrdiff_t>(pos_),
                    [](char a, uint8_t b) { return static_cast<uint8_t>(a) == b; })) {
      return false;
    }
    pos_ += text.size();
    return true;
  }

  // The bytes up to the next '\n' (which is consumed, not returned).
  std::optional<Bytes> Line() {
    const Bytes rest = bytes_.subspan(pos_);
    const auto newline = std::find(rest.begin(), rest.end(), uint8_t{'\n'});
    if (newline == rest.end()) return std::nullopt;
    const auto length = static_cast<size_t>(newline - rest.begin());
    pos_ += length + 1;
    return rest.first(length);
  }

  // Protobuf base-128 varint: at most 10 bytes, value within 64 bits.
  std::optional<uint64_t> Varint() {
    constexpr size_t kMaxVarintBytes = 10;
    uint64_t value = 0;
    for (size_t i = 0; i < kMaxVarintBytes && i < remaining(); ++i) {
      const uint8_t byte = bytes_[pos_ + i];
      if (i == kMaxVarintBytes - 1 && byte > 1) return std::nullopt;  // past 64 bits
      value |= uint64_t{byte & 0x7fu} << (7 * i);
      if ((byte & 0x80) == 0) {
        pos_ += i + 1;
        return value;
      }
    }
    return std::nullopt;
  }

 private:
  Bytes bytes_;
  size_t pos_;
};

std::optional<uint64_t> LeAt(Bytes bytes, uint64_t offset, size_t width) {
  if (offset > bytes.size()) return std::nullopt;
  return Reader(bytes, static_cast<size_t>(offset)).Le(width);
}

bool StartsWith(Bytes bytes, std::string_view prefix) { return Reader(bytes).Literal(prefix); }

std::string_view AsText(Bytes bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// ---------------------------------------------------------------------------
// Detail text (escaping and lists: pickle_walk.h).

ForeignFormat Found(ForeignFamily family, std::string_view name, bool runs_code,
                    std::string detail = {}) {
  if (detail.size() > kMaxForeignDetailBytes) {
    detail.resize(kMaxForeignDetailBytes - 3);
    detail += "...";
  }
  return ForeignFormat{family, name, runs_code, std::move(detail)};
}

// ---------------------------------------------------------------------------
// Pickle, walked by the shared walker (pickle_walk.h), whose grammar is what
// keeps text and random bytes out: a stream is a pickle only if it walks
// without an unknown opcode, a malformed argument or a stack underflow, or
// if what an unpickler runs before the error already imports and calls.

constexpr size_t kMaxChainedPickles = 8;

bool IsDigit(uint8_t c) { return c >= '0' && c <= '9'; }

// "pickle protocol 2; imports a, b" for an accepted walk and its imports.
std::string DescribePickle(const PickleWalk& walk, const ImportList& imports) {
  std::string out = StrCat("pickle protocol ", walk.shown_protocol(), "; ", imports.Describe());
  if (walk.end == PickleEnd::kCut) out += " in the bytes read";
  if (walk.end != PickleEnd::kStop && walk.end != PickleEnd::kCut) {
    StrAppend(out, " before it turns malformed at byte ", walk.end_offset);
  }
  return out;
}

// One pickle from the start of `bytes`, then any further ones that follow it
// back to back (legacy torch.save writes five), imports merged.
struct PickleStreams {
  PickleWalk first;
  ImportList imports;
};
std::optional<PickleStreams> WalkPicklesOnce(Bytes bytes, uint64_t stream_size,
                                             bool record_imports) {
  PickleStreams out{PickleWalk{}, ImportList(record_imports)};
  MemorySource source(bytes);
  StreamReader in(source, 0, bytes.size(), stream_size);
  out.first = WalkPickle(in, out.imports);
  if (!WalkedLikeAPickle(out.first) && !out.first.called_after_import) return std::nullopt;
  uint64_t pos = out.first.end_offset;
  for (size_t i = 1; i < kMaxChainedPickles && out.first.end == PickleEnd::kStop; ++i) {
    if (!HasPickleMagic(bytes.subspan(std::min<uint64_t>(pos, bytes.size())))) break;
    ImportList more(record_imports);
    StreamReader next_in(source, pos, bytes.size(), stream_size);
    const PickleWalk next = WalkPickle(next_in, more);
    if (next.end != PickleEnd::kStop && next.end != PickleEnd::kCut) break;
    out.imports.Merge(more);
    if (next.end != PickleEnd::kStop) break;
    pos = next.end_offset;
  }
  return out;
}

// Imports do not steer the walk: whether the bytes are pickles is decided
// first without recording them, and only pickles are walked again to name
// them. Most bytes that start like a pickle are not one (a safetensors
// header whose length byte is 'c' reads as GLOBAL), and escaping their
// "imports" only to drop them was about a third of the time fuzz_check
// spent naming formats (perf, ASan+UBSan).
std::optional<PickleStreams> WalkPickles(Bytes bytes, uint64_t stream_size) {
  if (!WalkPicklesOnce(bytes, stream_size, /*record_imports=*/false)) return std::nullopt;
  return WalkPicklesOnce(bytes, stream_size, /*record_imports=*/true);
}

std::optional<ForeignFormat> IdentifyPickle(Bytes head, uint64_t size, ForeignDetail wanted) {
  std::string detail;
  if (wanted == ForeignDetail::kNameOnly) {
    if (!WalkPicklesOnce(head, size, /*record_imports=*/false)) return std::nullopt;
  } else {
    const std::optional<PickleStreams> pickles = WalkPickles(head, size);
    if (!pickles) return std::nullopt;
    detail = DescribePickle(pickles->first, pickles->imports);
  }
  if (StartsWith(head, kTorchLegacyMagic)) {
    return Found(ForeignFamily::kTorchLegacy, "PyTorch legacy pickle (torch.save)", true, detail);
  }
  return Found(ForeignFamily::kPickle, "Python pickle", true, detail);
}

// ---------------------------------------------------------------------------
// NumPy .npy: "\x93NUMPY", major, minor, header length (u16 in 1.0, u32 in
// 2.0 and 3.0), then a Python dict literal. Object arrays (descr '|O') are
// stored as a pickle, which np.load(allow_pickle=True) runs.

constexpr std::string_view kNpyMagic = "\x93NUMPY";

bool HasObjectDescr(std::string_view dict) {
  // '|O' (or old numpy's '|O8'), alone or as a field of a structured dtype.
  for (size_t at = dict.find("'|O"); at != std::string_view::npos; at = dict.find("'|O", at + 1)) {
    const size_t next = at + 3;
    if (next < dict.size() && (dict[next] == '\'' || IsDigit(uint8_t(dict[next])))) return true;
  }
  return false;
}

std::optional<ForeignFormat> IdentifyNpy(Bytes head) {
  const std::optional<NpyHeader> npy = ParseNpy(head);
  if (!npy) return std::nullopt;
  std::string_view dict = npy->dict;
  while (!dict.empty() && (dict.back() == ' ' || dict.back() == '\n')) dict.remove_suffix(1);
  std::string detail = StrCat("npy ", npy->major, ".", npy->minor);
  if (!dict.empty()) StrAppend(detail, "; ", Escaped(dict, 200));
  if (npy->object_dtype) detail = StrCat("object dtype (data is a pickle); ", detail);
  return Found(ForeignFamily::kNpy, "NumPy .npy array", npy->object_dtype, detail);
}

// ---------------------------------------------------------------------------
// ZIP (PyTorch, TorchScript, .npz, .keras). Only the local file headers at
// the start are read, one after the other, as far as the window goes.

constexpr std::string_view kZipLocalMagic = "PK\x03\x04";
constexpr size_t kMaxZipEntries = 64;
constexpr uint16_t kZipFlagEncrypted = 1 << 0;
constexpr uint16_t kZipFlagDataDescriptor = 1 << 3;  // sizes follow the data instead
constexpr uint16_t kZipMethodStored = 0;
constexpr uint64_t kZip32Saturated = 0xFFFFFFFF;     // the real size is in the zip64 field
constexpr uint16_t kZip64ExtraId = 0x0001;
constexpr size_t kListedEntries = 4;

struct ZipEntry {
  std::string_view name;
  uint64_t flags = 0;
  uint64_t method = 0;
  uint64_t data_offset = 0;     // in the file
  std::optional<uint64_t> size;  // compressed size, when the header says
  Bytes data;                    // the part of the data inside the window
};

// The compressed size from a local header's zip64 extra field (which there
// holds the uncompressed then the compressed size, 8 bytes each).
std::optional<uint64_t> Zip64CompressedSize(Bytes extra) {
  Reader in(extra);
  while (in.remaining() >= 4) {
    const uint64_t id = *in.Le(2);
    const uint64_t length = *in.Le(2);
    const std::optional<Bytes> body = in.Take(length);
    if (!body) return std::nullopt;
    if (id == kZip64ExtraId) return LeAt(*body, 8, 8);
  }
  return std::nullopt;
}

std::vector<ZipEntry> ReadZipEntries(Bytes head) {
  std::vector<ZipEntry> entries;
  uint64_t offset = 0;
  while (entries.size() < kMaxZipEntries && offset < head.size()) {
    Reader in(head, static_cast<size_t>(offset));
    // signature, version, flags, method, time, date, crc32, compressed and
    // uncompressed size, name length, extra length (30 bytes), name, extra.
    if (!in.Literal(kZipLocalMagic) || !in.Skip(2)) break;
    const std::optional<uint64_t> flags = in.Le(2);
    const std::optional<uint64_t> method = in.Le(2);
    const bool skipped = in.Skip(8);
    const std::optional<uint64_t> compressed = in.Le(4);
    const bool skipped_size = in.Skip(4);
    const std::optional<uint64_t> name_length = in.Le(2);
    const std::optional<uint64_t> extra_length = in.Le(2);
    if (!flags || !method || !skipped || !compressed || !skipped_size || !name_length ||
        !extra_length) {
      break;
    }
    const std::optional<Bytes> name = in.Take(*name_length);
    if (!name) break;
    ZipEntry entry;
    entry.name = AsText(*name);
    entry.flags = *flags;
    entry.method = *method;
    const std::optional<Bytes> extra = in.Take(*extra_length);
    if (extra) {
      entry.data_offset = in.pos();
      entry.size = *compressed;
      if (*compressed == kZip32Saturated) entry.size = Zip64CompressedSize(*extra);
      if ((*flags & kZipFlagDataDescriptor) != 0 && *compressed == 0) entry.size.reset();
      const Bytes rest = head.subspan(in.pos());
      entry.data = rest.first(static_cast<size_t>(std::min<uint64_t>(
          rest.size(), entry.size.value_or(rest.size()))));
    }
    entries.push_back(entry);
    if (!extra || !entry.size) break;  // where the next header is is unknown
    const std::optional<uint64_t> next = CheckedAdd(entry.data_offset, *entry.size);
    if (!next) break;
    offset = *next;
  }
  return entries;
}

// "<dir>/<leaf>" with one non-empty directory, as torch names its records.
bool IsArchiveRecord(std::string_view name, std::string_view leaf) {
  const size_t slash = name.find('/');
  return slash != 0 && slash != std::string_view::npos && name.substr(slash + 1) == leaf;
}

// "<dir>/<subdir>/..." with one non-empty directory before it.
bool IsArchiveRecordUnder(std::string_view name, std::string_view subdir) {
  const size_t slash = name.find('/');
  return slash != 0 && slash != std::string_view::npos &&
         name.substr(slash + 1).substr(0, subdir.size()) == subdir;
}

std::string EntryName(const ZipEntry& e) { return e.name.empty() ? "\"\"" : Escaped(e.name, 64); }

std::string EntryList(const std::vector<ZipEntry>& entries) {
  std::vector<std::string> names;
  for (const ZipEntry& e : entries) names.push_back(EntryName(e));
  return StrCat("entries ", JoinCapped(names, kListedEntries));
}

bool CanInspect(const ZipEntry& e) {
  return e.method == kZipMethodStored && (e.flags & kZipFlagEncrypted) == 0;
}

// The pickle imports of a stored record, e.g. "archive/data.pkl: pickle protocol 2; imports ...".
std::string DescribeRecordPickle(const ZipEntry& e, uint64_t file_size) {
  const std::string name = EntryName(e);
  if (!CanInspect(e)) return StrCat(name, ": compressed, not inspected");
  if (e.data.empty()) return StrCat(name, ": past the bytes read");
  const uint64_t stream = e.size.value_or(file_size - std::min(file_size, e.data_offset));
  const std::optional<PickleStreams> pickle =
      WalkPickles(e.data, std::max<uint64_t>(stream, e.data.size()));
  if (!pickle) return StrCat(name, ": not a readable pickle");
  return StrCat(name, ": ", DescribePickle(pickle->first, pickle->imports));
}

std::optional<ForeignFormat> IdentifyZip(Bytes head, uint64_t size) {
  if (!StartsWith(head, kZipLocalMagic)) return std::nullopt;
  const std::vector<ZipEntry> entries = ReadZipEntries(head);
  const ZipEntry* torch_data = nullptr;
  bool torchscript = false;
  bool tensor_records = false;
  size_t npy_entries = 0;
  size_t keras_entries = 0;
  for (const ZipEntry& e : entries) {
    if (torch_data == nullptr && IsArchiveRecord(e.name, "data.pkl")) torch_data = &e;
    if (IsArchiveRecord(e.name, "constants.pkl") || IsArchiveRecordUnder(e.name, "code/")) {
      torchscript = true;
    }
    if (IsArchiveRecordUnder(e.name, "data/")) tensor_records = true;
    // np.load parses any member that starts with the .npy magic, whatever its name.
    if (EndsWith(e.name, ".npy") || (CanInspect(e) && ParseNpy(e.data))) ++npy_entries;
    if (e.name == "config.json" || e.name == "metadata.json" || e.name == "model.weights.h5") {
      ++keras_entries;
    }
  }
  if (entries.empty()) {
    return Found(ForeignFamily::kZip, "ZIP archive", false, "local header past the bytes read");
  }
  // torch.jit.save archives hold a data.pkl too: the code/ records decide.
  if (torchscript) {
    return Found(ForeignFamily::kTorchScript, "TorchScript archive (torch.jit.save)", true,
                 torch_data ? DescribeRecordPickle(*torch_data, size) : EntryList(entries));
  }
  if (torch_data != nullptr) {
    return Found(ForeignFamily::kTorchZip, "PyTorch zip archive (torch.save)", true,
                 DescribeRecordPickle(*torch_data, size));
  }
  // torch.save writes data.pkl first; torch.jit.save writes the tensors
  // (<dir>/data/0, ...) before its data.pkl and code/, which a window can miss.
  if (tensor_records) {
    return Found(ForeignFamily::kTorchZip, "PyTorch zip archive (torch.jit.save or torch.save)",
                 true, StrCat(EntryList(entries), "; data.pkl past the bytes read"));
  }
  if (npy_entries == entries.size()) {
    std::vector<std::string> pickled;
    size_t unchecked = 0;  // compressed, or the header is past the window
    for (const ZipEntry& e : entries) {
      const std::optional<NpyHeader> npy =
          CanInspect(e) ? ParseNpy(e.data) : std::optional<NpyHeader>();
      if (!npy || npy->dict.empty()) ++unchecked;
      if (npy && npy->object_dtype) pickled.push_back(EntryName(e));
    }
    std::string detail = EntryList(entries);
    if (!pickled.empty()) {
      detail = StrCat("object dtype (data is a pickle) in ", JoinCapped(pickled, kListedEntries),
                      "; ", detail);
    }
    if (unchecked != 0) {
      StrAppend(detail, "; dtype of ", unchecked,
                " not checked (compressed or past the bytes read)");
    }
    return Found(ForeignFamily::kNpz, "NumPy .npz archive", !pickled.empty(), detail);
  }
  // Keras 3 writes metadata.json, config.json and model.weights.h5.
  if (keras_entries >= 2) {
    return Found(ForeignFamily::kKeras, "Keras v3 archive (.keras)", false, EntryList(entries));
  }
  return Found(ForeignFamily::kZip, "ZIP archive", false, EntryList(entries));
}

// ---------------------------------------------------------------------------
// GGUF and its predecessors (llama.cpp).

constexpr std::string_view kGgufMagic = "GGUF";
constexpr uint64_t kGgmlMagic = 0x67676d6c;  // "lmgg" on disk: unversioned
constexpr uint64_t kGgmfMagic = 0x67676d66;  // versioned
constexpr uint64_t kGgjtMagic = 0x67676a74;  // versioned, mmap-able
constexpr uint64_t kMaxPlausibleVersion = 0xFFFF;

std::optional<ForeignFormat> IdentifyGguf(Bytes head) {
  if (!StartsWith(head, kGgufMagic)) return std::nullopt;
  const std::optional<uint64_t> raw_version = LeAt(head, 4, 4);
  if (!raw_version) return std::nullopt;
  // Big-endian GGUF files exist: the version then reads byte-swapped.
  const bool big_endian = *raw_version > kMaxPlausibleVersion;
  const uint64_t version = big_endian ? __builtin_bswap32(uint32_t(*raw_version)) : *raw_version;
  if (version == 0 || version > kMaxPlausibleVersion) return std::nullopt;
  std::string detail = StrCat("GGUF version ", version);
  if (big_endian) detail += ", big-endian";
  // Version 1 counts are u32, later ones u64: tensors, then metadata keys.
  const size_t width = version == 1 ? 4 : 8;
  std::optional<uint64_t> tensors = LeAt(head, 8, width);
  std::optional<uint64_t> keys = LeAt(head, 8 + width, width);
  if (tensors && keys) {
    if (big_endian) {
      tensors = width == 4 ? __builtin_bswap32(uint32_t(*tensors)) : __builtin_bswap64(*tensors);
      keys = width == 4 ? __builtin_bswap32(uint32_t(*keys)) : __builtin_bswap64(*keys);
    }
    StrAppend(detail, "; ", *tensors, " tensors, ", *keys, " metadata keys");
  }
  return Found(ForeignFamily::kGguf, "GGUF model", false, detail);
}

std::optional<ForeignFormat> IdentifyGgmlLegacy(Bytes head) {
  const std::optional<uint64_t> magic = LeAt(head, 0, 4);
  if (!magic) return std::nullopt;
  if (*magic == kGgmlMagic) {
    return Found(ForeignFamily::kGgml, "GGML model (legacy, before GGUF)", false);
  }
  if (*magic != kGgmfMagic && *magic != kGgjtMagic) return std::nullopt;
  const std::string_view name = *magic == kGgmfMagic ? "GGMF model (legacy, before GGUF)"
                                                     : "GGJT model (legacy, before GGUF)";
  const std::optional<uint64_t> version = LeAt(head, 4, 4);
  return Found(ForeignFamily::kGgml, name, false, version ? StrCat("version ", *version) : "");
}

// ---------------------------------------------------------------------------
// Other signatures.

constexpr std::string_view kHdf5Magic = "\x89HDF\r\n\x1a\n";

std::optional<ForeignFormat> IdentifyHdf5(Bytes head) {
  if (!StartsWith(head, kHdf5Magic)) return std::nullopt;
  const std::optional<uint64_t> version = LeAt(head, kHdf5Magic.size(), 1);
  return Found(ForeignFamily::kHdf5, "HDF5 (Keras .h5, legacy TensorFlow/Keras weights)", false,
               version ? StrCat("superblock version ", *version) : "");
}

// TensorFlow Lite: a FlatBuffer whose file identifier (bytes 4..7) is TFL3;
// bytes 0..3 are the offset of the root table, inside the file.
std::optional<ForeignFormat> IdentifyTflite(Bytes head, uint64_t size) {
  constexpr size_t kIdentifierOffset = 4;
  constexpr size_t kPrefixBytes = 8;
  if (!StartsWith(head.subspan(std::min(head.size(), kIdentifierOffset)), "TFL3")) {
    return std::nullopt;
  }
  const uint64_t root = LeAt(head, 0, 4).value_or(0);
  if (root < kPrefixBytes || root >= size) return std::nullopt;
  return Found(ForeignFamily::kTflite, "TensorFlow Lite model (FlatBuffer)", false);
}

// gzip (RFC 1952): 1f 8b, method 8 (deflate), flags with the reserved bits
// clear. The original file name, when stored, says what is inside.
std::optional<ForeignFormat> IdentifyGzip(Bytes head) {
  constexpr uint64_t kDeflate = 8;
  constexpr uint64_t kFlagExtra = 1 << 2;
  constexpr uint64_t kFlagName = 1 << 3;
  constexpr uint64_t kReservedFlags = 0xE0;
  constexpr size_t kFixedHeaderBytes = 10;
  Reader in(head);
  if (!in.Literal("\x1f\x8b")) return std::nullopt;
  const std::optional<uint64_t> method = in.Le(1);
  const std::optional<uint64_t> flags = in.Le(1);
  if (!method || !flags || *method != kDeflate || (*flags & kReservedFlags) != 0) {
    return std::nullopt;
  }
  std::string detail = "contents not inspected";
  if ((*flags & kFlagName) != 0 && in.Skip(kFixedHeaderBytes - 4)) {
    const std::optional<uint64_t> extra = (*flags & kFlagExtra) != 0 ? in.Le(2) : uint64_t{0};
    if (extra && in.Skip(*extra)) {
      const Bytes rest = head.subspan(in.pos());
      const auto end = std::find(rest.begin(), rest.end(), uint8_t{0});
      if (end != rest.end()) {
        detail = StrCat("original name ", Escaped(AsText(rest.first(size_t(end - rest.begin())))),
                        "; ", detail);
      }
    }
  }
  return Found(ForeignFamily::kGzip, "gzip compressed data", false, detail);
}

// What a model hub serves when the weights were never fetched from LFS.
std::optional<ForeignFormat> IdentifyGitLfsPointer(Bytes head) {
  constexpr std::string_view kLfsVersion = "version https://git-lfs.github.com/spec/";
  constexpr size_t kMaxPointerLines = 16;
  Reader in(head);
  if (!in.Literal(kLfsVersion)) return std::nullopt;
  std::string_view oid_line;  // the last of each, escaped once below
  std::string_view size_line;
  for (size_t i = 0; i < kMaxPointerLines; ++i) {
    const std::optional<Bytes> line = in.Line();
    if (!line) break;
    const std::string_view text = AsText(*line);
    if (text.substr(0, 4) == "oid ") oid_line = text.substr(4);
    if (text.substr(0, 5) == "size ") size_line = text.substr(5);
  }
  const std::string oid = Escaped(oid_line, 80);
  const std::string size = Escaped(size_line, 24);
  std::string detail = "pointer";
  if (!size.empty()) StrAppend(detail, " to ", size, " bytes");
  if (!oid.empty()) StrAppend(detail, " (", oid, ")");
  detail += "; the model file itself was never downloaded (git lfs pull)";
  return Found(ForeignFamily::kLfsPointer, "Git LFS pointer (not the model file)", false, detail);
}

// ONNX: a protobuf ModelProto. Protobuf has no magic, so the top-level fields
// are walked: field 1 (ir_version, a small varint) first, then only known
// ModelProto fields with their wire types, text fields printable, lengths
// inside the file; a whole file must also hold a graph and end exactly.
struct ProtoField {
  uint64_t number;
  uint64_t wire_type;  // 0 varint, 2 length-delimited
};
constexpr ProtoField kModelProtoFields[] = {
    {1, 0},   // ir_version
    {2, 2},   // producer_name
    {3, 2},   // producer_version
    {4, 2},   // domain
    {5, 0},   // model_version
    {6, 2},   // doc_string
    {7, 2},   // graph
    {8, 2},   // opset_import
    {14, 2},  // metadata_props
    {20, 2},  // training_info
    {25, 2},  // functions
    {26, 2},  // configuration
};
constexpr uint64_t kOnnxFieldIrVersion = 1, kOnnxFieldProducerName = 2,
                   kOnnxFieldProducerVersion = 3, kOnnxFieldDomain = 4, kOnnxFieldDocString = 6,
                   kOnnxFieldGraph = 7, kOnnxFieldOpsetImport = 8;
constexpr uint64_t kMaxOnnxIrVersion = 20;  // 11 in 2025

bool IsPrintableUtf8ish(Bytes text) {
  return std::all_of(text.begin(), text.end(),
                     [](uint8_t c) { return c >= 0x80 || (c >= 0x20 && c < 0x7f); });
}

std::optional<ForeignFormat> IdentifyOnnx(Bytes head, uint64_t size) {
  Reader in(head);
  const std::optional<uint64_t> first_tag = in.Le(1);
  const std::optional<uint64_t> ir_version = in.Varint();
  if (first_tag != (kOnnxFieldIrVersion << 3) || !ir_version || *ir_version == 0 ||
      *ir_version > kMaxOnnxIrVersion) {
    return std::nullopt;
  }
  size_t fields = 1;
  bool cut = false;  // the walk stopped at the window, not at the end of the file
  bool graph = false;
  bool producer_or_opset = false;
  std::string_view producer, producer_version;
  while (!in.AtEnd()) {
    // A varint that does not end inside the window: cut by the window, or junk.
    const auto varint_ran_out = [&] { return in.remaining() < 10 && size > head.size(); };
    const std::optional<uint64_t> tag = in.Varint();
    if (!tag) {
      if (!varint_ran_out()) return std::nullopt;
      cut = true;
      break;
    }
    const uint64_t number = *tag >> 3, wire_type = *tag & 7;
    const bool known = std::any_of(std::begin(kModelProtoFields), std::end(kModelProtoFields),
                                   [&](const ProtoField& f) {
                                     return f.number == number && f.wire_type == wire_type;
                                   });
    if (!known || number == kOnnxFieldIrVersion) return std::nullopt;
    const std::optional<uint64_t> value = in.Varint();  // the value, or the payload's length
    if (!value) {
      if (!varint_ran_out()) return std::nullopt;
      cut = true;
      break;
    }
    ++fields;
    graph = graph || number == kOnnxFieldGraph;
    producer_or_opset = producer_or_opset || number == kOnnxFieldProducerName ||
                        number == kOnnxFieldOpsetImport;
    if (wire_type == 0) continue;
    const std::optional<uint64_t> end = CheckedAdd(in.pos(), *value);
    if (!end || *end > size) return std::nullopt;
    const std::optional<Bytes> payload = in.Take(*value);
    if (!payload) {
      cut = true;
      break;
    }
    const bool text_field = number == kOnnxFieldProducerName ||
                            number == kOnnxFieldProducerVersion || number == kOnnxFieldDomain ||
                            number == kOnnxFieldDocString;
    if (text_field && !IsPrintableUtf8ish(*payload)) return std::nullopt;
    if (number == kOnnxFieldProducerName) producer = AsText(*payload);
    if (number == kOnnxFieldProducerVersion) producer_version = AsText(*payload);
  }
  cut = cut || size > head.size();
  const bool plausible = cut ? fields >= 2 && (graph || producer_or_opset) : graph;
  if (!plausible) return std::nullopt;
  std::string detail = StrCat("ir_version ", *ir_version);
  if (!producer.empty()) {
    StrAppend(detail, "; producer ", Escaped(producer, 48));
    if (!producer_version.empty()) StrAppend(detail, " ", Escaped(producer_version, 32));
  }
  return Found(ForeignFamily::kOnnx, "ONNX model (protobuf)", false, detail);
}

}  // namespace

std::optional<NpyHeader> ParseNpy(std::span<const uint8_t> bytes) {
  Reader in(bytes);
  if (!in.Literal(kNpyMagic)) return std::nullopt;
  NpyHeader header;
  const std::optional<uint64_t> major = in.Le(1);
  const std::optional<uint64_t> minor = in.Le(1);
  if (!major || !minor || *major < 1 || *major > 3) return std::nullopt;
  header.major = *major;
  header.minor = *minor;
  const std::optional<uint64_t> length = in.Le(*major == 1 ? 2 : 4);
  if (length) {
    header.dict_length = *length;
    header.data_offset = in.pos() + *length;  // at most 10 + 2^32: no overflow
    // The part of the dict inside the window is enough: 'descr' comes first.
    const Bytes text = in.remaining() >= *length ? *in.Take(*length) : *in.Take(in.remaining());
    header.dict = AsText(text);
    if (!header.dict.empty() && header.dict.front() != '{') return std::nullopt;
    header.object_dtype = HasObjectDescr(header.dict);
  }
  return header;
}

namespace {

// A strict reader for the header dict numpy writes ({'descr': '<f4',
// 'fortran_order': False, 'shape': (2, 3), }): plain string literals (no
// prefix, escape, triple quote or implicit concatenation), True / False /
// None, tuples of integers. Anything else (a structured dtype's list, a
// spelling numpy never writes) is left to the caller as "cannot tell".
class NpyDictReader {
 public:
  explicit NpyDictReader(std::string_view text) : text_(text) {}

  // The last 'descr' value as a plain string; nullopt when the dict is not
  // of the strict form or its descr is not a plain string.
  std::optional<std::string_view> Descr() {
    std::optional<std::string_view> descr;
    bool descr_plain = false;
    Space();
    if (!Char('{')) return std::nullopt;
    for (;;) {
      Space();
      if (Char('}')) break;
      const std::optional<std::string_view> key = PlainString();
      Space();
      if (!key || !Char(':')) return std::nullopt;
      Space();
      const size_t value_start = pos_;
      const std::optional<std::string_view> string_value = PlainString();
      if (!string_value) {
        pos_ = value_start;
        if (!Keyword() && !IntTuple()) return std::nullopt;
      }
      // Python keeps the last of repeated keys.
      if (*key == "descr") {
        descr = string_value;
        descr_plain = string_value.has_value();
      }
      Space();
      if (Char(',')) continue;
      Space();
      if (!Char('}')) return std::nullopt;
      break;
    }
    Space();
    if (pos_ != text_.size() || !descr_plain) return std::nullopt;
    return descr;
  }

 private:
  void Space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\n' ||
                                   text_[pos_] == '\t' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }
  bool Char(char c) {
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  std::optional<std::string_view> PlainString() {
    if (pos_ >= text_.size() || (text_[pos_] != '\'' && text_[pos_] != '"')) return std::nullopt;
    const char quote = text_[pos_];
    const size_t close = text_.find(quote, pos_ + 1);
    if (close == std::string_view::npos) return std::nullopt;
    const std::string_view body = text_.substr(pos_ + 1, close - pos_ - 1);
    if (body.find_first_of("\\\n") != std::string_view::npos) return std::nullopt;
    pos_ = close + 1;
    // 'a' 'b' is one string to Python: refuse rather than guess.
    size_t next = pos_;
    while (next < text_.size() && text_[next] == ' ') ++next;
    if (next < text_.size() && (text_[next] == '\'' || text_[next] == '"')) return std::nullopt;
    return body;
  }
  bool Keyword() {
    for (const std::string_view word : {"True", "False", "None"}) {
      if (text_.substr(pos_, word.size()) == word) {
        pos_ += word.size();
        return true;
      }
    }
    return false;
  }
  bool IntTuple() {
    if (!Char('(')) return false;
    for (;;) {
      Space();
      if (Char(')')) return true;
      const size_t digits = pos_;
      while (pos_ < text_.size() && IsDigit(uint8_t(text_[pos_]))) ++pos_;
      if (pos_ == digits) return false;
      Space();
      if (Char(',')) continue;
      Space();
      return Char(')');
    }
  }

  std::string_view text_;
  size_t pos_ = 0;
};

// A numpy type string for data stored as raw bytes: byte order, a kind
// other than 'O', a size, a datetime unit ('<f4', '|b1', '<M8[ns]', '|S10').
bool IsRawTypeString(std::string_view type) {
  if (!type.empty() && std::string_view("<>|=").find(type.front()) != std::string_view::npos) {
    type.remove_prefix(1);
  }
  constexpr std::string_view kRawKinds = "?bBhHiIlLqQpPefdgFDGSUVamMcu";
  if (type.empty() || kRawKinds.find(type.front()) == std::string_view::npos) return false;
  type.remove_prefix(1);
  while (!type.empty() && IsDigit(uint8_t(type.front()))) type.remove_prefix(1);
  if (!type.empty() && type.front() == '[' && type.back() == ']') {
    const std::string_view unit = type.substr(1, type.size() - 2);
    return !unit.empty() && std::all_of(unit.begin(), unit.end(), [](char c) {
      return IsDigit(uint8_t(c)) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    });
  }
  return type.empty();
}

bool IsObjectTypeString(std::string_view type) {
  if (!type.empty() && std::string_view("<>|=").find(type.front()) != std::string_view::npos) {
    type.remove_prefix(1);
  }
  if (type.empty() || type.front() != 'O') return false;
  type.remove_prefix(1);
  return std::all_of(type.begin(), type.end(), [](char c) { return IsDigit(uint8_t(c)); });
}

}  // namespace

NpyDescr ClassifyNpyDescr(std::string_view dict) {
  const std::optional<std::string_view> descr = NpyDictReader(dict).Descr();
  if (!descr) return NpyDescr::kUnknown;
  if (IsObjectTypeString(*descr)) return NpyDescr::kObject;
  if (IsRawTypeString(*descr)) return NpyDescr::kRaw;
  return NpyDescr::kUnknown;
}

std::optional<ForeignFormat> IdentifyForeignFormat(std::span<const uint8_t> head,
                                                   uint64_t file_size, ForeignDetail detail) {
  // A caller passing a size smaller than the bytes it hands over: trust the bytes.
  const uint64_t size = std::max<uint64_t>(file_size, head.size());
  // Signatures first (cheap, unambiguous), then the two heuristics: ONNX
  // (first byte 0x08, which is no pickle opcode) and magic-less pickles.
  if (auto found = IdentifyZip(head, size)) return found;
  if (HasPickleMagic(head)) {
    if (auto found = IdentifyPickle(head, size, detail)) return found;
  }
  if (auto found = IdentifyNpy(head)) return found;
  if (auto found = IdentifyGguf(head)) return found;
  if (auto found = IdentifyGgmlLegacy(head)) return found;
  if (auto found = IdentifyHdf5(head)) return found;
  if (auto found = IdentifyTflite(head, size)) return found;
  if (auto found = IdentifyGzip(head)) return found;
  if (auto found = IdentifyGitLfsPointer(head)) return found;
  if (auto found = IdentifyOnnx(head, size)) return found;
  if (!HasPickleMagic(head)) return IdentifyPickle(head, size, detail);
  return std::nullopt;
}

}  // namespace stguard::internal
