// Names the format of a file that is not safetensors (pickle, PyTorch, NumPy,
// GGUF, HDF5, ONNX, ...) from its first bytes, so a rejection can say "this
// is a PyTorch checkpoint: loading it runs code" instead of "bad header".
// A pure function over a byte window: no I/O, no global state.
#ifndef STGUARD_SRC_FORMAT_IDENTIFY_H_
#define STGUARD_SRC_FORMAT_IDENTIFY_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace stguard::internal {

// How many leading bytes IdentifyForeignFormat looks at (callers pass min(file size, this)).
inline constexpr size_t kIdentifyWindowBytes = 64 * 1024;

// What kind of format was found (for callers that act on it, e.g. model_file.cc).
enum class ForeignFamily : uint8_t {
  kPickle,       // a raw pickle
  kTorchLegacy,  // torch.save before 1.6: pickles back to back
  kTorchZip,     // torch.save zip archive
  kTorchScript,  // torch.jit.save zip archive
  kNpy,
  kNpz,
  kKeras,  // Keras v3 .keras zip
  kZip,    // another ZIP archive
  kGguf,
  kGgml,  // GGML / GGMF / GGJT, before GGUF
  kHdf5,
  kTflite,
  kOnnx,
  kGzip,
  kLfsPointer,
};

struct ForeignFormat {
  ForeignFamily family;
  std::string_view name;   // fixed text, e.g. "PyTorch zip archive (torch.save)"
  bool runs_code_on_load;  // pickle inside: loading it with the usual tool can execute arbitrary code
  std::string detail;      // one line, printable ASCII, at most kMaxForeignDetailBytes, may be empty:
                           // e.g. "pickle protocol 2; imports collections.OrderedDict, ..."
};

// torch.save's legacy format (before 1.6) starts with pickle.dump(
// 0x1950a86a20f9469cfc6c, protocol=2): PROTO 2, LONG1 of 10 bytes, STOP.
inline constexpr std::string_view kTorchLegacyMagic =
    "\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.";

// Upper bound on ForeignFormat::detail's size.
inline constexpr size_t kMaxForeignDetailBytes = 300;

// `head` is the start of the file (usually min(file_size, kIdentifyWindowBytes)
// bytes); `file_size` is the whole file's size, used only to tell "runs past
// the window" (fine) from "runs past the end of the file" (not this format).
// nullopt when no known signature matches. Never reads outside `head`; never
// allocates in proportion to numbers read from the bytes; never throws except
// std::bad_alloc.
//
// `detail`: kNameOnly leaves a pickle's detail empty and walks it once, to
// decide (what a caller asking only "is it another format?" needs); the
// other formats' details cost nothing next to it and are given either way.
enum class ForeignDetail : uint8_t { kDescribe, kNameOnly };
std::optional<ForeignFormat> IdentifyForeignFormat(std::span<const uint8_t> head,
                                                   uint64_t file_size,
                                                   ForeignDetail detail = ForeignDetail::kDescribe);

// The start of a NumPy .npy array: "\x93NUMPY", major, minor, the dict's
// length (u16 in 1.0, u32 in 2.0 and 3.0), the dict (a Python literal), data.
struct NpyHeader {
  uint64_t major = 0;
  uint64_t minor = 0;
  uint64_t dict_length = 0;  // as the prefix says (0 when the prefix is cut)
  uint64_t data_offset = 0;  // where the array data starts, from the magic (0 when cut)
  std::string_view dict;     // as much of the dict as `bytes` holds
  bool object_dtype = false;  // a '|O' descr is in the dict text (a quick look)
};
// nullopt when `bytes` does not start with a .npy magic and known version.
std::optional<NpyHeader> ParseNpy(std::span<const uint8_t> bytes);

// How numpy stores the data of an array with this header dict.
enum class NpyDescr : uint8_t {
  kRaw,      // a plain type string numpy reads as raw bytes ('<f4', '|S8', '<M8[ns]')
  kObject,   // an 'O' type string: the data is a pickle (np.load(allow_pickle=True) runs it)
  kUnknown,  // cannot tell from the text (structured dtypes, unusual spellings, a bad dict):
             // the data may be a pickle
};
// `dict` must be the whole dict text; read strictly, so kRaw is never given
// for a header numpy would read as an object dtype.
NpyDescr ClassifyNpyDescr(std::string_view dict);

}  // namespace stguard::internal

#endif  // STGUARD_SRC_FORMAT_IDENTIFY_H_
