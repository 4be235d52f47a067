// Judges one file a model loader could open, for a directory scan: is it
// safetensors (the caller validates it), a pickle (graded by what it imports:
// codes 106 / 107 / 108), another weight format (109), or not a model file.
//
// How the scanner uses it (one file):
//
//   internal::FileSource source;
//   if (!source.Open(path)) { /* unreadable: source.error() */ }
//   internal::FindingSink sink(max_findings_per_code, source.size());
//   internal::ModelFileKind kind;
//   if (!internal::JudgeModelFile(source, policy, internal::HasModelFileName(path), sink, kind)) {
//     /* I/O error: source.error() */
//   }
//   switch (kind) {
//     case internal::ModelFileKind::kSafetensors: /* validate it as any .safetensors file */ break;
//     case internal::ModelFileKind::kPickle:
//     case internal::ModelFileKind::kOtherFormat:
//       // One finding (none when the policy ignores 107 / 109):
//       // report.findings = sink.Finish(); report.file_size = source.size();
//       // report.verdict = sink.has_error() ? Verdict::kReject : Verdict::kAccept;
//       break;
//     case internal::ModelFileKind::kNotModel: /* not counted as checked */ break;
//   }
//
// What it reads, through ByteSource::ReadAt only and in pieces of at most
// 64 KiB: the first 64 KiB; for a ZIP archive the end of the file, the
// central directory, and the local header and bytes of the entries that can
// hold a pickle (never tensor data); for a legacy torch.save file its
// leading pickles; for a raw pickle the pickle. Memory and time follow the
// bytes walked, never a number read from the file, under the limits below;
// reaching a limit grades 108 (unverified), never a pass.
#ifndef STGUARD_SRC_MODEL_FILE_H_
#define STGUARD_SRC_MODEL_FILE_H_

#include <cstdint>
#include <string_view>

#include "byte_source.h"
#include "finding_sink.h"
#include "stguard/policy.h"

namespace stguard::internal {

enum class ModelFileKind : uint8_t { kSafetensors, kPickle, kOtherFormat, kNotModel };

// Judges a file a loader could open that the caller does not validate as safetensors.
// kSafetensors: the bytes look like a safetensors file (8-byte little-endian N, then '{' or JSON
//   whitespace at byte 8, N <= 100,000,000 and 8+N <= size) and not like a pickle: nothing added,
//   the caller validates it. (A file that is both, a polyglot, is judged a pickle: torch.load
//   unpickles a *.bin whatever its first bytes also mean.)
// kPickle: any pickle found (raw pickle of any protocol, torch.save zip archive and its *.pkl
//   entries, legacy torch.save (several pickles in a row), TorchScript, NumPy .npy object arrays,
//   .npz members), or a container that may hold one but cannot be read (a compressed stream or a
//   tar archive under a model-file name): adds exactly one of 106 / 107 / 108 (the message names
//   the container, the protocol and the imports, capped).
// kOtherFormat: a known non-pickle model format, or unrecognized content when `named_as_model`:
//   adds 109.
// kNotModel: not a model file (text, config, tokenizer...) and not named as one: nothing added.
// Returns false on an I/O error (the source's error() says what); then nothing is added.
// Never throws but std::bad_alloc.
bool JudgeModelFile(ByteSource& source, const Policy& policy, bool named_as_model,
                    FindingSink& sink, ModelFileKind& kind);

// True for a file name a model loader opens (the directory scanner's list):
// *.bin *.pt *.pth *.ckpt *.pkl *.pickle *.joblib *.npy *.npz *.gguf *.h5
// *.hdf5 *.keras *.onnx *.tflite *.msgpack, any case. `path` may hold directories.
bool HasModelFileName(std::string_view path);

// The tensor-rebuild allowlist (docs/pickle-allowlist.md): true when
// module.name, exactly as a pickle spells them, is a global torch.save writes
// for tensors and state dicts.
bool IsTensorRebuildGlobal(std::string_view module, std::string_view name);

// Limits (each one reached grades 108).
inline constexpr uint64_t kMaxPickleBytes = 256ull << 20;          // one pickle, PROTO to STOP
inline constexpr uint64_t kMaxPickleBytesPerFile = 512ull << 20;   // all pickles (and .npy
                                                                   // headers) of one file
inline constexpr size_t kMaxPickleStack = 1 << 16;                 // values and marks
inline constexpr size_t kMaxPickleMemo = 1 << 18;                  // memo entries kept
inline constexpr uint64_t kMaxZipEntries = 1 << 18;                // central directory entries
inline constexpr uint64_t kMaxCentralDirectoryBytes = 64ull << 20;
inline constexpr size_t kMaxInspectedEntries = 4096;  // ZIP entries opened (pickles, arrays)
inline constexpr uint64_t kMaxNpyDictBytes = 1 << 20;  // a .npy header's dict text
inline constexpr size_t kMaxChainedPickles = 8;        // pickles back to back in a raw file

}  // namespace stguard::internal

#endif  // STGUARD_SRC_MODEL_FILE_H_
