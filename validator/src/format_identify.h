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

struct ForeignFormat {
  std::string_view name;   // fixed text, e.g. "PyTorch zip archive (torch.save)"
  bool runs_code_on_load;  // pickle inside: loading it with the usual tool can execute arbitrary code
  std::string detail;      // one line, printable ASCII, at most kMaxForeignDetailBytes, may be empty:
                           // e.g. "pickle protocol 2; imports collections.OrderedDict, ..."
};

// Upper bound on ForeignFormat::detail's size.
inline constexpr size_t kMaxForeignDetailBytes = 300;

// `head` is the start of the file (usually min(file_size, kIdentifyWindowBytes)
// bytes); `file_size` is the whole file's size, used only to tell "runs past
// the window" (fine) from "runs past the end of the file" (not this format).
// nullopt when no known signature matches. Never reads outside `head`; never
// allocates in proportion to numbers read from the bytes; never throws except
// std::bad_alloc.
std::optional<ForeignFormat> IdentifyForeignFormat(std::span<const uint8_t> head,
                                                   uint64_t file_size);

}  // namespace stguard::internal

#endif  // STGUARD_SRC_FORMAT_IDENTIFY_H_
