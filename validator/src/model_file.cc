#include "model_file.h"

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "checked_math.h"
#include "format_identify.h"
#include "model_file_grade.h"
#include "pickle_walk.h"
#include "str_cat.h"

namespace stguard::internal {
namespace {

// ---------------------------------------------------------------------------
// Text.

constexpr size_t kMaxEntryNameChars = 64;

std::string_view AsText(std::span<const uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

bool StartsWith(std::span<const uint8_t> bytes, std::string_view prefix) {
  return AsText(bytes).substr(0, prefix.size()) == prefix;
}

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool EndsWithNoCase(std::string_view text, std::string_view suffix) {
  if (text.size() < suffix.size()) return false;
  text = text.substr(text.size() - suffix.size());
  return std::equal(text.begin(), text.end(), suffix.begin(),
                    [](char a, char b) { return Lower(a) == b; });
}

uint64_t Le(std::string_view bytes, size_t at, size_t width) {
  uint64_t value = 0;
  for (size_t i = 0; i < width && at + i < bytes.size(); ++i) {
    value |= uint64_t{static_cast<uint8_t>(bytes[at + i])} << (8 * i);
  }
  return value;
}

// ---------------------------------------------------------------------------
// ZIP: the end of central directory record (and its zip64 form), then the
// central directory, streamed. Names come from the central directory, data
// offsets from the local headers, as torch's reader (miniz) and Python's
// zipfile both do.

constexpr std::string_view kZipLocalMagic = "PK\x03\x04";
constexpr std::string_view kZipCentralMagic = "PK\x01\x02";
constexpr std::string_view kZipEndMagic = "PK\x05\x06";
constexpr std::string_view kZip64LocatorMagic = "PK\x06\x07";
constexpr std::string_view kZip64EndMagic = "PK\x06\x06";
constexpr size_t kZipEndBytes = 22;
constexpr size_t kZipMaxComment = 0xFFFF;
constexpr size_t kZip64LocatorBytes = 20;
constexpr size_t kZip64EndBytes = 56;
constexpr size_t kZipCentralBytes = 46;
constexpr size_t kZipLocalBytes = 30;
constexpr uint64_t kZip32Saturated = 0xFFFFFFFF;
constexpr uint64_t kZip16Saturated = 0xFFFF;
constexpr uint64_t kZipFlagEncrypted = 1;
constexpr uint64_t kZipMethodStored = 0;
constexpr uint16_t kZip64ExtraId = 1;

enum class EntryRole : uint8_t {
  kPickle,  // *.pkl / *.pickle: a pickle (torch's data.pkl, constants.pkl)
  kNpy,     // *.npy: a NumPy array, maybe an object array
  kNested,  // another archive or model file inside this one
  kOther,   // peeked only when the archive is an .npz (np.load reads any member)
};

struct ZipEntry {
  std::string name;  // cut to kMaxEntryNameChars for messages; roles come from the full name
  EntryRole role = EntryRole::kOther;
  uint64_t flags = 0;
  uint64_t method = 0;
  uint64_t compressed_size = 0;
  uint64_t local_offset = 0;
};

// "<dir>/<leaf>" with one non-empty directory, as torch names its records.
bool IsArchiveRecord(std::string_view name, std::string_view leaf) {
  const size_t slash = name.find('/');
  return slash != 0 && slash != std::string_view::npos && name.substr(slash + 1) == leaf;
}

bool IsArchiveRecordUnder(std::string_view name, std::string_view subdir) {
  const size_t slash = name.find('/');
  return slash != 0 && slash != std::string_view::npos &&
         name.substr(slash + 1).substr(0, subdir.size()) == subdir;
}

bool IsNestedArchiveName(std::string_view name) {
  for (const std::string_view suffix :
       {".zip", ".npz", ".pt", ".pth", ".ckpt", ".joblib", ".tar"}) {
    if (EndsWithNoCase(name, suffix)) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------
// The judge of one file.

enum class Step : uint8_t { kIoError, kDone };

class Judge {
 public:
  Judge(ByteSource& source, bool named_as_model, std::span<const uint8_t> head)
      : source_(source), size_(source.size()), named_(named_as_model), head_(head) {}

  Step Run();

  ModelFileKind kind() const { return kind_; }
  void Emit(const Policy& policy, FindingSink& sink) const {
    if (kind_ == ModelFileKind::kPickle) grade_.Emit(policy, size_, sink);
    if (kind_ == ModelFileKind::kOtherFormat) {
      sink.AddAction(Code::kOtherWeightFormat, policy.other_weight_formats, 0, std::nullopt,
                     CappedMessage(other_));
    }
  }

 private:
  bool ReadAt(uint64_t offset, uint64_t length, std::string& out) {
    out.resize(static_cast<size_t>(length));
    return length == 0 || source_.ReadAt(offset, length, out.data());
  }
  PickleLimits Limits() const {
    return PickleLimits{std::min(kMaxPickleBytes, grade_.budget()), kMaxPickleStack,
                        kMaxPickleMemo};
  }
  Step Other(std::string message) {
    kind_ = ModelFileKind::kOtherFormat;
    other_ = std::move(message);
    return Step::kDone;
  }
  Step Pickle() {
    kind_ = ModelFileKind::kPickle;
    return Step::kDone;
  }
  Step NotModel() {
    kind_ = named_ ? ModelFileKind::kOtherFormat : ModelFileKind::kNotModel;
    if (named_ && other_.empty()) other_ = "unrecognized content under a model-file name";
    return Step::kDone;
  }

  // A pickle declared by its container at [begin, end): walked to STOP.
  Step WalkDeclared(uint64_t begin, uint64_t end, std::string_view where);
  Step RawPickle(const PickleWalk& first, const ImportList& imports, bool legacy);
  enum class NpyData : uint8_t { kRaw, kPickle, kUnreadable };
  Step Npy(uint64_t begin, uint64_t end, std::string_view where, NpyData& found);
  Step Zip();
  Step EntryData(const ZipEntry& entry, uint64_t& begin, uint64_t& end, bool& ok);
  Step OtherFormats();

  ByteSource& source_;
  uint64_t size_;
  bool named_;
  std::span<const uint8_t> head_;
  ModelFileKind kind_ = ModelFileKind::kNotModel;
  PickleGrade grade_;
  std::string other_;
};

Step Judge::WalkDeclared(uint64_t begin, uint64_t end, std::string_view where) {
  if (grade_.budget() == 0) {
    grade_.Unverified(begin, "more pickle bytes than the walker reads per file", where);
    return Step::kDone;
  }
  StreamReader in(source_, begin, end, end);
  ImportList imports(true, IsTensorRebuildGlobal);
  const PickleWalk walk = WalkPickle(in, imports, Limits());
  if (walk.end == PickleEnd::kIoError) return Step::kIoError;
  grade_.Walked(walk, imports, where);
  return Step::kDone;
}

// A pickle found at byte 0 by walking it; legacy torch.save files go on with
// four more pickles (protocol version, sys_info, the object, storage keys),
// others with any pickle that follows back to back.
Step Judge::RawPickle(const PickleWalk& first, const ImportList& imports, bool legacy) {
  grade_.set_container(legacy ? "PyTorch legacy checkpoint (torch.save before 1.6)"
                              : "Python pickle");
  grade_.Walked(first, imports, {});
  constexpr size_t kTorchLegacyPickles = 5;
  uint64_t pos = first.end_offset;
  bool stopped = first.end == PickleEnd::kStop;
  size_t i = 1;
  for (; stopped && i < (legacy ? kTorchLegacyPickles : kMaxChainedPickles); ++i) {
    if (legacy) {
      StreamReader in(source_, pos, size_, size_);
      ImportList more(true, IsTensorRebuildGlobal);
      const PickleWalk walk = WalkPickle(in, more, Limits());
      if (walk.end == PickleEnd::kIoError) return Step::kIoError;
      grade_.Walked(walk, more, StrCat("pickle ", i + 1, " of ", kTorchLegacyPickles));
      stopped = walk.end == PickleEnd::kStop;
      pos = walk.end_offset;
      continue;
    }
    // Another pickle when a reader that loads again gets through it (it
    // walks to STOP, however little it holds: "N." returns None and the
    // reader goes on) or fails in it like a pickle; anything else after
    // STOP is data no unpickler reads.
    if (pos >= size_) break;
    StreamReader in(source_, pos, size_, size_);
    ImportList more(true, IsTensorRebuildGlobal);
    const PickleWalk walk = WalkPickle(in, more, Limits());
    if (walk.end == PickleEnd::kIoError) return Step::kIoError;
    if (walk.end != PickleEnd::kStop && !FailedLikeAPickle(walk)) break;
    grade_.Walked(walk, more, StrCat("pickle ", i + 1));
    stopped = walk.end == PickleEnd::kStop;
    pos = walk.end_offset;
  }
  // Past the last pickle read, one more would run unseen.
  if (!legacy && stopped && i == kMaxChainedPickles && pos < size_) {
    StreamReader in(source_, pos, size_, size_);
    ImportList probe(false);
    const PickleWalk walk = WalkPickle(in, probe, Limits());
    if (walk.end == PickleEnd::kIoError) return Step::kIoError;
    if (walk.end == PickleEnd::kStop || FailedLikeAPickle(walk)) {
      grade_.Unverified(pos, StrCat("more than ", kMaxChainedPickles,
                                    " pickles back to back, past the walker's limit"));
    }
  }
  return Pickle();
}

// A .npy array at [begin, end). `found`: what its data is.
Step Judge::Npy(uint64_t begin, uint64_t end, std::string_view where, NpyData& found) {
  found = NpyData::kUnreadable;
  constexpr size_t kPrefixBytes = 12;  // magic, version, a u32 length
  std::string prefix;
  if (!ReadAt(begin, std::min<uint64_t>(kPrefixBytes, end - begin), prefix)) return Step::kIoError;
  const std::optional<NpyHeader> npy =
      ParseNpy(std::span(reinterpret_cast<const uint8_t*>(prefix.data()), prefix.size()));
  if (!npy || npy->data_offset == 0 || npy->data_offset > end - begin) {
    return Step::kDone;  // not an array numpy can read: nothing unpickled
  }
  if (npy->dict_length > kMaxNpyDictBytes) {
    found = NpyData::kPickle;
    grade_.Unverified(begin, StrCat("a .npy header of ", npy->dict_length,
                                    " bytes, past the walker's limit: its dtype is unknown"),
                      where);
    return Step::kDone;
  }
  // Many members may point at the same bytes: headers count against the
  // per-file budget, as pickles do.
  if (!grade_.Charge(npy->dict_length)) {
    found = NpyData::kPickle;
    grade_.Unverified(begin, "more pickle and .npy header bytes than the walker reads per file",
                      where);
    return Step::kDone;
  }
  std::string dict;
  const uint64_t dict_offset = begin + npy->data_offset - npy->dict_length;
  if (!ReadAt(dict_offset, npy->dict_length, dict)) return Step::kIoError;
  const NpyDescr descr = ClassifyNpyDescr(dict);
  found = NpyData::kRaw;
  if (descr == NpyDescr::kRaw) return Step::kDone;
  const uint64_t data = begin + npy->data_offset;
  StreamReader in(source_, data, end, end);
  ImportList imports(true, IsTensorRebuildGlobal);
  const PickleWalk walk = WalkPickle(in, imports, Limits());
  if (walk.end == PickleEnd::kIoError) return Step::kIoError;
  // An 'O' dtype says the data is a pickle; an unusual one only may hold one.
  if (descr == NpyDescr::kUnknown && !WalkedLikeAPickle(walk) && !FailedLikeAPickle(walk)) {
    return Step::kDone;
  }
  found = NpyData::kPickle;
  grade_.Walked(walk, imports, where);
  return Step::kDone;
}

Step Judge::EntryData(const ZipEntry& entry, uint64_t& begin, uint64_t& end, bool& ok) {
  ok = false;
  if ((entry.flags & kZipFlagEncrypted) != 0) {
    grade_.Unverified(entry.local_offset, "encrypted, not inspected", entry.name);
    return Step::kDone;
  }
  if (entry.method != kZipMethodStored) {
    grade_.Unverified(entry.local_offset,
                      StrCat("compressed (method ", entry.method, "), not inspected"), entry.name);
    return Step::kDone;
  }
  std::string local;
  if (entry.local_offset > size_ || size_ - entry.local_offset < kZipLocalBytes) {
    grade_.Unverified(std::min(entry.local_offset, size_), "local header past the end of the file",
                      entry.name);
    return Step::kDone;
  }
  if (!ReadAt(entry.local_offset, kZipLocalBytes, local)) return Step::kIoError;
  if (local.substr(0, 4) != kZipLocalMagic) {
    grade_.Unverified(entry.local_offset, "no local header where the central directory says",
                      entry.name);
    return Step::kDone;
  }
  // Name and extra lengths are 16-bit: no overflow before the checks below.
  begin = entry.local_offset + kZipLocalBytes + Le(local, 26, 2) + Le(local, 28, 2);
  const std::optional<uint64_t> data_end = CheckedAdd(begin, entry.compressed_size);
  if (!data_end || *data_end > size_) {
    grade_.Unverified(entry.local_offset, "data past the end of the file", entry.name);
    return Step::kDone;
  }
  end = *data_end;
  ok = true;
  return Step::kDone;
}

Step Judge::Zip() {
  // The end of central directory record: in the last 22 bytes when the
  // archive has no comment (torch's and numpy's have none), else the last
  // signature whose record fits in the last 64 KiB + 22, as Python's
  // zipfile and miniz both search. Reading the short tail first keeps the
  // bytes before the directory (tensor data) unread.
  uint64_t tail_size = std::min<uint64_t>(size_, kZipEndBytes);
  std::string tail;
  if (!ReadAt(size_ - tail_size, tail_size, tail)) return Step::kIoError;
  size_t end_record = std::string_view::npos;
  if (tail.size() == kZipEndBytes && tail.substr(0, 4) == kZipEndMagic && Le(tail, 20, 2) == 0) {
    end_record = 0;
  } else {
    tail_size = std::min<uint64_t>(size_, kZipEndBytes + kZipMaxComment);
    if (!ReadAt(size_ - tail_size, tail_size, tail)) return Step::kIoError;
    if (tail.size() >= kZipEndBytes) {
      end_record = std::string_view(tail).rfind(kZipEndMagic, tail.size() - kZipEndBytes);
    }
  }
  if (end_record == std::string_view::npos) {
    other_ = "ZIP archive without an end of central directory record (no loader opens it)";
    return NotModel();
  }
  const uint64_t end_offset = size_ - tail_size + end_record;
  uint64_t disk = Le(tail, end_record + 4, 2);
  uint64_t directory_disk = Le(tail, end_record + 6, 2);
  uint64_t entries = Le(tail, end_record + 10, 2);
  uint64_t directory_size = Le(tail, end_record + 12, 4);
  uint64_t directory_offset = Le(tail, end_record + 16, 4);
  std::string locator;
  if (end_offset >= kZip64LocatorBytes &&
      !ReadAt(end_offset - kZip64LocatorBytes, kZip64LocatorBytes, locator)) {
    return Step::kIoError;
  }
  if (locator.substr(0, 4) == kZip64LocatorMagic) {
    const uint64_t record = Le(locator, 8, 8);
    std::string zip64;
    if (record > size_ || size_ - record < kZip64EndBytes) {
      other_ = "ZIP archive whose zip64 record is past the end of the file";
      return NotModel();
    }
    if (!ReadAt(record, kZip64EndBytes, zip64)) return Step::kIoError;
    if (zip64.substr(0, 4) != kZip64EndMagic) {
      other_ = "ZIP archive whose zip64 locator points at no zip64 record";
      return NotModel();
    }
    disk = Le(zip64, 16, 4);
    directory_disk = Le(zip64, 20, 4);
    entries = Le(zip64, 32, 8);
    directory_size = Le(zip64, 40, 8);
    directory_offset = Le(zip64, 48, 8);
  }
  const std::optional<uint64_t> directory_end = CheckedAdd(directory_offset, directory_size);
  if (disk != 0 || directory_disk != 0 || !directory_end || *directory_end > end_offset) {
    other_ = "ZIP archive whose central directory cannot be located (no loader opens it)";
    return NotModel();
  }

  // The central directory, streamed: only entries that can hold a pickle
  // are kept, with a capped name.
  StreamReader directory(source_, directory_offset,
                         std::min(*directory_end, directory_offset + kMaxCentralDirectoryBytes),
                         *directory_end);
  std::vector<ZipEntry> kept;    // entries that can hold a pickle
  std::vector<ZipEntry> others;  // the rest, opened only in an .npz
  bool others_overflow = false;
  bool torch = false;
  bool torchscript = false;
  size_t keras = 0;
  size_t npy_entries = 0;
  std::string limit;  // why the directory was not read to its end
  uint64_t torchscript_offset = 0;
  std::string record;
  std::string name;
  std::string extra;
  uint64_t seen = 0;
  // miniz (torch) reads as many entries as the end record counts; Python's
  // zipfile (numpy) reads the directory's bytes, whatever the count: read
  // both, so an entry either loader sees is seen.
  for (;; ++seen) {
    const bool counted = seen < entries;
    if (!counted && directory.pos() >= *directory_end) break;
    if (seen == kMaxZipEntries) {
      limit = StrCat("more than ", kMaxZipEntries, " entries");
      break;
    }
    const uint64_t entry_offset = directory.pos();
    if (!directory.Read(kZipCentralBytes, record)) {
      if (directory.status() == StreamReader::Status::kIoError) return Step::kIoError;
      if (directory.status() == StreamReader::Status::kCut) {
        limit = StrCat("a central directory over ", kMaxCentralDirectoryBytes >> 20, " MiB");
      }
      break;  // fewer entries than counted: zipfile opens what there is
    }
    if (record.substr(0, 4) != kZipCentralMagic) {
      if (!counted) break;  // past the count: miniz never looks, zipfile fails
      other_ = StrCat("ZIP archive with a malformed central directory at byte ", entry_offset,
                      " (no loader opens it)");
      return NotModel();
    }
    ZipEntry entry;
    entry.flags = Le(record, 8, 2);
    entry.method = Le(record, 10, 2);
    entry.compressed_size = Le(record, 20, 4);
    const uint64_t uncompressed = Le(record, 24, 4);
    const uint64_t entry_disk = Le(record, 34, 2);
    entry.local_offset = Le(record, 42, 4);
    if (!directory.Read(Le(record, 28, 2), name) || !directory.Read(Le(record, 30, 2), extra) ||
        !directory.Skip(Le(record, 32, 2))) {
      if (directory.status() == StreamReader::Status::kIoError) return Step::kIoError;
      if (directory.status() == StreamReader::Status::kCut) {
        limit = StrCat("a central directory over ", kMaxCentralDirectoryBytes >> 20, " MiB");
      }
      break;
    }
    // zip64 extra field: the saturated values, in this order.
    for (size_t at = 0; at + 4 <= extra.size();) {
      const uint64_t id = Le(extra, at, 2);
      const uint64_t length = Le(extra, at + 2, 2);
      at += 4;
      if (id == kZip64ExtraId) {
        size_t field = at;
        const auto take = [&](uint64_t& value, uint64_t saturated, size_t width) {
          if (value == saturated && field + width <= std::min(extra.size(), at + length)) {
            value = Le(extra, field, width);
            field += width;
          }
        };
        uint64_t uncompressed64 = uncompressed;
        uint64_t disk64 = entry_disk;
        take(uncompressed64, kZip32Saturated, 8);
        take(entry.compressed_size, kZip32Saturated, 8);
        take(entry.local_offset, kZip32Saturated, 8);
        take(disk64, kZip16Saturated, 4);
        break;
      }
      at += length;
    }
    // Roles from the full name.
    if (IsArchiveRecord(name, "data.pkl")) torch = true;
    if (IsArchiveRecord(name, "constants.pkl") || IsArchiveRecordUnder(name, "code/")) {
      if (!torchscript) torchscript_offset = entry.local_offset;
      torchscript = true;
    }
    if (name == "config.json" || name == "metadata.json" || EndsWithNoCase(name, ".weights.h5")) {
      ++keras;
    }
    if (EndsWithNoCase(name, ".pkl") || EndsWithNoCase(name, ".pickle")) {
      entry.role = EntryRole::kPickle;
    } else if (EndsWithNoCase(name, ".npy")) {
      entry.role = EntryRole::kNpy;
      ++npy_entries;
    } else if (IsNestedArchiveName(name)) {
      entry.role = EntryRole::kNested;
    }
    entry.name = Escaped(name, kMaxEntryNameChars);
    if (entry.name.empty()) entry.name = "\"\"";
    // Entries that can hold a pickle are opened; the others are kept (while
    // there is room) in case the archive turns out to be an .npz, whose
    // members np.load parses by content. torch's tensor data is never opened.
    std::vector<ZipEntry>& list = entry.role == EntryRole::kOther ? others : kept;
    if (list.size() == kMaxInspectedEntries) {
      if (entry.role == EntryRole::kOther) {
        others_overflow = true;
      } else if (limit.empty()) {
        limit = StrCat("more than ", kMaxInspectedEntries, " entries to open");
      }
      continue;
    }
    list.push_back(std::move(entry));
  }
  const bool npz = npy_entries != 0 && !torch;
  if (npz) {
    if (others_overflow && limit.empty()) {
      limit = StrCat("more than ", kMaxInspectedEntries, " entries to open");
    }
    kept.insert(kept.end(), std::make_move_iterator(others.begin()),
                std::make_move_iterator(others.end()));
  }

  grade_.set_container(torchscript ? "TorchScript archive (torch.jit.save)"
                       : torch     ? "PyTorch zip archive (torch.save)"
                       : npz       ? "NumPy .npz archive"
                                   : "ZIP archive");
  if (torchscript) {
    grade_.RunsCodeByDesign(torchscript_offset,
                            "torch.jit.load runs the TorchScript code in its code/ entries by "
                            "design, whatever its pickles import");
  }
  if (!limit.empty()) {
    grade_.Unverified(directory_offset, StrCat(limit, ", past the walker's limits"));
  }
  size_t raw_arrays = 0;
  for (const ZipEntry& entry : kept) {
    if (entry.role == EntryRole::kNested) {
      grade_.Unverified(entry.local_offset, "an archive or model file inside the archive, not "
                        "inspected", entry.name);
      continue;
    }
    const bool open = entry.role == EntryRole::kPickle || entry.role == EntryRole::kNpy ||
                      (npz && entry.role == EntryRole::kOther);
    if (!open) continue;
    uint64_t begin = 0;
    uint64_t end = 0;
    bool ok = false;
    if (EntryData(entry, begin, end, ok) == Step::kIoError) return Step::kIoError;
    if (!ok) continue;
    if (entry.role == EntryRole::kPickle) {
      if (WalkDeclared(begin, end, entry.name) == Step::kIoError) return Step::kIoError;
      continue;
    }
    // np.load parses any member that starts with the .npy magic.
    NpyData found = NpyData::kUnreadable;
    if (Npy(begin, end, entry.name, found) == Step::kIoError) return Step::kIoError;
    if (found == NpyData::kRaw && entry.role == EntryRole::kNpy) ++raw_arrays;
  }
  if (grade_.found_pickle()) return Pickle();
  if (npz) {
    return Other(StrCat("NumPy .npz archive: ", raw_arrays, " of ", npy_entries,
                        " .npy members stored as raw bytes, no pickle: not safetensors"));
  }
  if (keras >= 2) return Other("Keras v3 archive (.keras): not safetensors; stguard does not "
                               "check its contents (Keras refuses Lambda layers in safe_mode)");
  other_ = "ZIP archive with no pickle in it";
  return NotModel();
}

// Known formats other than pickles and ZIP archives.
Step Judge::OtherFormats() {
  std::string window;
  if (!ReadAt(0, std::min<uint64_t>(size_, kIdentifyWindowBytes), window)) return Step::kIoError;
  const std::optional<ForeignFormat> found = IdentifyForeignFormat(
      std::span(reinterpret_cast<const uint8_t*>(window.data()), window.size()), size_);
  const auto described = [&](const ForeignFormat& f) {
    return f.detail.empty() ? std::string(f.name) : StrCat(f.name, " (", f.detail, ")");
  };
  if (found) {
    switch (found->family) {
      case ForeignFamily::kGguf:
      case ForeignFamily::kGgml:
      case ForeignFamily::kHdf5:
      case ForeignFamily::kTflite:
      case ForeignFamily::kOnnx:
        return Other(StrCat(described(*found),
                            ": not safetensors; stguard does not check this format's contents"));
      case ForeignFamily::kLfsPointer:
        other_ = described(*found);
        return NotModel();
      default:
        break;  // pickles, ZIP and NumPy were judged before; gzip below
    }
  }
  // A compressed stream: joblib and friends decompress, then unpickle.
  std::string_view compression;
  const std::string_view text = window;
  if (found && found->family == ForeignFamily::kGzip) compression = "gzip";
  if (text.size() >= 2) {
    const auto cmf = static_cast<uint8_t>(text[0]);
    const auto flg = static_cast<uint8_t>(text[1]);
    if ((cmf & 0x0f) == 8 && (cmf >> 4) <= 7 && ((cmf << 8) | flg) % 31 == 0) compression = "zlib";
  }
  if (text.size() >= 4 && text.substr(0, 3) == "BZh" && text[3] >= '1' && text[3] <= '9') {
    compression = "bzip2";
  }
  if (text.substr(0, 6) == std::string_view("\xfd" "7zXZ\0", 6)) compression = "xz";
  if (text.substr(0, 4) == "\x04\x22\x4d\x18") compression = "lz4";
  if (text.substr(0, 4) == "\x28\xb5\x2f\xfd") compression = "zstd";
  if (text.substr(0, 3) == std::string_view("]\0\0", 3)) compression = "lzma";
  if (!compression.empty() && named_) {
    grade_.set_container(StrCat(compression, "-compressed stream"));
    grade_.Unverified(0, "joblib and similar loaders decompress and unpickle it; stguard does "
                      "not decompress, so its contents are not inspected");
    return Pickle();
  }
  // tar: torch.load's oldest format keeps pickles in members named
  // storages, tensors and pickle.
  constexpr size_t kTarMagicOffset = 257;
  if (text.size() >= kTarMagicOffset + 5 && text.substr(kTarMagicOffset, 5) == "ustar") {
    const std::string_view first = text.substr(0, std::min<size_t>(100, text.find('\0')));
    const bool torch_tar = first == "storages" || first == "tensors" || first == "pickle" ||
                           first == "sys_info";
    if (named_ || torch_tar) {
      grade_.set_container("tar archive");
      grade_.Unverified(0, "torch.load reads pickles from a tar's members (its oldest format); "
                        "stguard does not open tar archives");
      return Pickle();
    }
  }
  if (named_ && !text.empty()) {
    const auto first = static_cast<uint8_t>(text[0]);
    if ((first >= 0x80 && first <= 0x8f) || first == 0xde || first == 0xdf) {
      return Other("unrecognized content, possibly msgpack (Flax weights): not safetensors; "
                   "stguard does not check it");
    }
  }
  if (named_ && size_ == 0) other_ = "empty file under a model-file name";
  return NotModel();
}

// Looks like a safetensors file: N, then '{' or JSON whitespace.
bool LooksLikeSafetensors(std::span<const uint8_t> head, uint64_t size) {
  constexpr uint64_t kMaxHeader = 100'000'000;
  if (head.size() < 9) return false;
  const uint64_t n = Le(AsText(head), 0, 8);
  const char first = static_cast<char>(head[8]);
  return n <= kMaxHeader && 8 + n <= size &&
         (first == '{' || first == ' ' || first == '\t' || first == '\n' || first == '\r');
}

Step Judge::Run() {
  if (StartsWith(head_, kZipLocalMagic)) return Zip();
  if (StartsWith(head_, "\x93NUMPY")) {
    NpyData found = NpyData::kUnreadable;
    grade_.set_container("NumPy .npy array (np.load(allow_pickle=True) unpickles its data)");
    if (Npy(0, size_, {}, found) == Step::kIoError) return Step::kIoError;
    if (found == NpyData::kPickle) return Pickle();
    return Other(found == NpyData::kRaw
                     ? "NumPy .npy array stored as raw bytes, no pickle: not safetensors"
                     : "NumPy .npy array whose header numpy cannot read: not safetensors");
  }
  // Pickles are found by walking the grammar from the first byte.
  StreamReader in(source_, 0, size_, size_);
  ImportList imports(true, IsTensorRebuildGlobal);
  const PickleWalk walk = WalkPickle(in, imports, Limits());
  if (walk.end == PickleEnd::kIoError) return Step::kIoError;
  const bool legacy = StartsWith(head_, kTorchLegacyMagic);
  // Strong evidence first: a safetensors file whose bytes also walk to a
  // STOP, or run an import, is a pickle to whoever unpickles it.
  if (legacy || WalkedLikeAPickle(walk) || walk.called_after_import) {
    return RawPickle(walk, imports, legacy);
  }
  if (LooksLikeSafetensors(head_, size_)) {
    kind_ = ModelFileKind::kSafetensors;
    return Step::kDone;
  }
  if (FailedLikeAPickle(walk)) return RawPickle(walk, imports, false);
  return OtherFormats();
}

}  // namespace

bool HasModelFileName(std::string_view path) {
  const size_t slash = path.find_last_of('/');
  const std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  for (const std::string_view suffix :
       {".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle", ".joblib", ".npy", ".npz", ".gguf",
        ".h5", ".hdf5", ".keras", ".onnx", ".tflite", ".msgpack"}) {
    if (EndsWithNoCase(name, suffix)) return true;
  }
  return false;
}

bool JudgeModelFile(ByteSource& source, const Policy& policy, bool named_as_model,
                    FindingSink& sink, ModelFileKind& kind) {
  kind = ModelFileKind::kNotModel;
  const uint64_t size = source.size();
  // Enough for the ZIP, NumPy, legacy torch and safetensors signatures: a
  // torch archive's first tensor may start a few hundred bytes in. The
  // 64 KiB identification window is read only for the other formats.
  constexpr uint64_t kHeadBytes = 16;
  std::vector<uint8_t> head(static_cast<size_t>(std::min<uint64_t>(size, kHeadBytes)));
  if (!head.empty() && !source.ReadAt(0, head.size(), reinterpret_cast<char*>(head.data()))) {
    return false;
  }
  Judge judge(source, named_as_model, head);
  if (judge.Run() == Step::kIoError) return false;
  kind = judge.kind();
  judge.Emit(policy, sink);
  return true;
}

}  // namespace stguard::internal
