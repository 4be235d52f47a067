// Unit tests for model-file grading (model_file.cc, model_file_grade.cc):
// every corpus/foreign sample gets its kind and code; both sides of every
// grading rule; memo resolution as grading sees it; ZIP, NumPy, legacy torch and
// nested containers; each limit gives 108, never an accept; a multi-GB
// sparse checkpoint is judged from a few KiB; every truncation and many
// mutations are walked safely (inputs sit in heap buffers of their exact
// size, so ASan sees any read past them).
#include "model_file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "file_source.h"
#include "format_identify.h"
#include "pickle_walk.h"
#include "pickle_walk_testing.h"
#include "safetensors_builder.h"
#include "stguard/policy.h"
#include "temp_dir.h"

namespace stguard::internal {
namespace {

using pickle_testing::B;
using pickle_testing::Framed;
using pickle_testing::Global;
using pickle_testing::Importing;
using pickle_testing::Proto;
using pickle_testing::ShortUnicode;
using pickle_testing::U16;
using pickle_testing::U32;
using pickle_testing::U64;
using pickle_testing::Walk;

const std::string kCorpusDir = std::string(STGUARD_CORPUS_DIR);
const std::string kForeignDir = kCorpusDir + "/foreign/";

std::string Load(const std::string& file) {
  const std::vector<uint8_t> bytes = testing::ReadFileBytes(kForeignDir + file);
  return std::string(bytes.begin(), bytes.end());
}

// ---------------------------------------------------------------------------
// Sources.

// Counts what is read (and through how many calls).
class CountingSource final : public ByteSource {
 public:
  explicit CountingSource(ByteSource& inner) : inner_(inner) {}
  uint64_t size() const override { return inner_.size(); }
  bool ReadAt(uint64_t offset, uint64_t length, char* out) override {
    bytes_ += length;
    ++reads_;
    ranges_.emplace_back(offset, length);
    return inner_.ReadAt(offset, length, out);
  }
  std::string error() const override { return inner_.error(); }
  uint64_t bytes() const { return bytes_; }
  uint64_t reads() const { return reads_; }
  const std::vector<std::pair<uint64_t, uint64_t>>& ranges() const { return ranges_; }

 private:
  ByteSource& inner_;
  uint64_t bytes_ = 0;
  uint64_t reads_ = 0;
  std::vector<std::pair<uint64_t, uint64_t>> ranges_;  // offset, length
};

// Zeros except for a few chunks: multi-GB layouts without the bytes.
struct Chunk {
  uint64_t offset;
  std::string bytes;
};
struct Layout {
  std::vector<Chunk> chunks;
  uint64_t size = 0;
  std::string Flat() const {
    std::string out(static_cast<size_t>(size), '\0');
    for (const Chunk& c : chunks) {
      out.replace(static_cast<size_t>(c.offset), c.bytes.size(), c.bytes);
    }
    return out;
  }
};

class SparseSource final : public ByteSource {
 public:
  explicit SparseSource(Layout layout) : layout_(std::move(layout)) {}
  uint64_t size() const override { return layout_.size; }
  bool ReadAt(uint64_t offset, uint64_t length, char* out) override {
    if (offset > layout_.size || length > layout_.size - offset) return false;
    bytes_ += length;
    std::fill(out, out + length, '\0');
    for (const Chunk& c : layout_.chunks) {
      const uint64_t begin = std::max(offset, c.offset);
      const uint64_t end = std::min(offset + length, c.offset + c.bytes.size());
      if (begin >= end) continue;
      std::copy_n(c.bytes.data() + (begin - c.offset), end - begin, out + (begin - offset));
    }
    return true;
  }
  uint64_t bytes() const { return bytes_; }

 private:
  Layout layout_;
  uint64_t bytes_ = 0;
};

// Fails every read that ends past `limit`.
class FailingSource final : public ByteSource {
 public:
  FailingSource(ByteSource& inner, uint64_t limit) : inner_(inner), limit_(limit) {}
  uint64_t size() const override { return inner_.size(); }
  bool ReadAt(uint64_t offset, uint64_t length, char* out) override {
    if (offset + length > limit_) return false;
    return inner_.ReadAt(offset, length, out);
  }
  std::string error() const override { return "injected read error"; }

 private:
  ByteSource& inner_;
  uint64_t limit_;
};

// ---------------------------------------------------------------------------
// ZIP archives, laid out as torch and numpy write them (stored entries).

struct ZipSpec {
  std::string name;
  std::string data;
  uint64_t hole = 0;  // zero bytes after `data`, part of the entry (sparse)
  uint16_t method = 0;
  uint16_t flags = 0;
  std::string after;  // bytes after the hole, part of the entry
};

Layout BuildZip(const std::vector<ZipSpec>& entries, bool force_zip64 = false) {
  constexpr uint64_t kSat = 0xFFFFFFFF;
  Layout layout;
  uint64_t pos = 0;
  std::string directory;
  for (const ZipSpec& e : entries) {
    const uint64_t size = e.data.size() + e.hole + e.after.size();
    const bool big = force_zip64 || size >= kSat || pos >= kSat;
    std::string local = "PK\x03\x04" + U16(45) + U16(e.flags) + U16(e.method) + U32(0) + U32(0);
    local += big ? U32(kSat) + U32(kSat) : U32(size) + U32(size);
    const std::string local_extra = big ? U16(1) + U16(16) + U64(size) + U64(size) : "";
    local += U16(e.name.size()) + U16(local_extra.size()) + e.name + local_extra;
    layout.chunks.push_back({pos, local + e.data});
    if (!e.after.empty()) {
      layout.chunks.push_back({pos + local.size() + e.data.size() + e.hole, e.after});
    }
    std::string extra;
    if (big) extra = U16(1) + U16(24) + U64(size) + U64(size) + U64(pos);
    directory += B("PK\x01\x02") + U16(45) + U16(45) + U16(e.flags) + U16(e.method) + U32(0) +
                 U32(0);
    directory += big ? U32(kSat) + U32(kSat) : U32(size) + U32(size);
    directory += U16(e.name.size()) + U16(extra.size()) + U16(0) + U16(0) + U16(0) + U32(0);
    directory += (big ? U32(kSat) : U32(pos)) + e.name + extra;
    pos += local.size() + size;
  }
  const uint64_t directory_offset = pos;
  std::string tail = directory;
  const bool zip64 = force_zip64 || directory_offset >= kSat || entries.size() >= 0xFFFF;
  if (zip64) {
    const uint64_t record = directory_offset + directory.size();
    tail += B("PK\x06\x06") + U64(44) + U16(45) + U16(45) + U32(0) + U32(0) +
            U64(entries.size()) + U64(entries.size()) + U64(directory.size()) +
            U64(directory_offset);
    tail += B("PK\x06\x07") + U32(0) + U64(record) + U32(1);
  }
  tail += B("PK\x05\x06") + U16(0) + U16(0);
  tail += zip64 ? U16(0xFFFF) + U16(0xFFFF) + U32(kSat) + U32(kSat)
                : U16(entries.size()) + U16(entries.size()) + U32(directory.size()) +
                      U32(directory_offset);
  tail += U16(0);
  layout.chunks.push_back({pos, tail});
  layout.size = pos + tail.size();
  return layout;
}

std::string Zip(const std::vector<ZipSpec>& entries, bool force_zip64 = false) {
  return BuildZip(entries, force_zip64).Flat();
}

// A torch.save archive around `data_pkl`.
std::string TorchZip(const std::string& data_pkl) {
  return Zip({{"archive/data.pkl", data_pkl},
              {"archive/byteorder", "little"},
              {"archive/data/0", std::string(16, '\x01')},
              {"archive/version", "3\n"}});
}

// ---------------------------------------------------------------------------
// Judging.

struct Judged {
  bool ok = false;
  ModelFileKind kind = ModelFileKind::kNotModel;
  std::vector<Finding> findings;

  // The one graded code (0 when none).
  int code() const { return findings.empty() ? 0 : static_cast<int>(findings[0].code); }
  const std::string& message() const {
    static const std::string kNone;
    return findings.empty() ? kNone : findings[0].message;
  }
};

Judged JudgeSource(ByteSource& source, bool named = true,
                   const Policy& policy = *BuiltinPolicy("default")) {
  Judged out;
  FindingSink sink(16, source.size());
  out.ok = JudgeModelFile(source, policy, named, sink, out.kind);
  out.findings = sink.Finish();
  return out;
}

// The bytes in a heap buffer of their exact size.
Judged JudgeBytes(const std::string& bytes, bool named = true,
                  const Policy& policy = *BuiltinPolicy("default")) {
  const std::vector<uint8_t> exact(bytes.begin(), bytes.end());
  MemorySource source(exact);
  return JudgeSource(source, named, policy);
}

// What every answer must satisfy, whatever the input.
::testing::AssertionResult WellFormed(const Judged& j, uint64_t size) {
  if (!j.ok) return ::testing::AssertionFailure() << "I/O error on a memory source";
  const bool graded = j.kind == ModelFileKind::kPickle || j.kind == ModelFileKind::kOtherFormat;
  if (j.findings.size() > (graded ? 1u : 0u)) {
    return ::testing::AssertionFailure() << j.findings.size() << " findings";
  }
  for (const Finding& f : j.findings) {
    const int code = static_cast<int>(f.code);
    const bool pickle_code = code == 106 || code == 107 || code == 108;
    if (j.kind == ModelFileKind::kPickle && !pickle_code) {
      return ::testing::AssertionFailure() << "kPickle with code " << code;
    }
    if (j.kind == ModelFileKind::kOtherFormat && code != 109) {
      return ::testing::AssertionFailure() << "kOtherFormat with code " << code;
    }
    if (size != 0 && f.offset >= size) return ::testing::AssertionFailure() << "offset past end";
    if (f.message.empty() || f.message.size() > 600) {
      return ::testing::AssertionFailure() << "message of " << f.message.size() << " bytes";
    }
    for (const char c : f.message) {
      if (c < 0x20 || c > 0x7e) return ::testing::AssertionFailure() << "unprintable message";
    }
  }
  return ::testing::AssertionSuccess();
}

void ExpectGraded(const Judged& j, int code, std::initializer_list<std::string_view> parts = {}) {
  ASSERT_TRUE(j.ok);
  EXPECT_EQ(j.kind, code == 109 ? ModelFileKind::kOtherFormat : ModelFileKind::kPickle);
  ASSERT_EQ(j.findings.size(), 1u);
  EXPECT_EQ(j.code(), code) << j.message();
  for (const std::string_view part : parts) {
    EXPECT_NE(j.message().find(part), std::string::npos) << "no '" << part << "' in "
                                                         << j.message();
  }
}

// ---------------------------------------------------------------------------
// The three pickles no signature names.

TEST(ModelFile, ThreeMissedPicklesAreUnsafe) {
  // (a) protocol 4: FRAME, two memoized strings, STACK_GLOBAL, STOP; nothing called.
  const std::string global_only = Load("pickle-global-only-proto4.pkl");
  ASSERT_EQ(global_only, Framed(ShortUnicode("posix") + "\x94" + ShortUnicode("system") +
                                "\x94\x93\x94."));
  // (b) a protocol-0 GLOBAL right after PROTO 4.
  const std::string after_proto = Load("pickle-proto4-global-opcode.pkl");
  // (c) protocol 0, no PROTO at all.
  const std::string proto0 = Load("pickle-proto0-exploit.pkl");
  ASSERT_EQ(proto0, "cos\nsystem\n(S'echo hi'\ntR.");
  for (const bool named : {true, false}) {
    SCOPED_TRACE(named);
    ExpectGraded(JudgeBytes(global_only, named), 106, {"Python pickle", "protocol 4",
                                                       "imports posix.system", "allowlist"});
    ExpectGraded(JudgeBytes(after_proto, named), 106, {"protocol 4", "imports posix.system"});
    ExpectGraded(JudgeBytes(proto0, named), 106, {"protocol 0", "imports os.system"});
  }
  // The finding points at the import.
  EXPECT_EQ(JudgeBytes(global_only).findings[0].offset, 28u);  // STACK_GLOBAL
  EXPECT_EQ(JudgeBytes(after_proto).findings[0].offset, 2u);   // GLOBAL
}

// ---------------------------------------------------------------------------
// Every corpus sample.

struct Expected {
  std::string file;
  ModelFileKind kind;
  int code;  // 0: none
  std::vector<std::string> message_has;
};

TEST(ModelFile, CorpusSamplesAreGraded) {
  using K = ModelFileKind;
  const std::vector<Expected> expected = {
      {"pickle-proto0.pkl", K::kPickle, 107, {"protocol 0", "collections.OrderedDict"}},
      {"pickle-proto1.pkl", K::kPickle, 107, {"protocol 1"}},
      {"pickle-proto2-ordereddict.pkl", K::kPickle, 107, {"protocol 2"}},
      {"pickle-proto4-class.pkl", K::kPickle, 106, {"__main__.Checkpoint, collections.Counter"}},
      {"pickle-proto5.pkl", K::kPickle, 106, {"collections.Counter, collections.deque"}},
      {"pickle-global-only-proto4.pkl", K::kPickle, 106, {"posix.system"}},
      {"pickle-proto4-global-opcode.pkl", K::kPickle, 106, {"posix.system"}},
      {"pickle-proto0-exploit.pkl", K::kPickle, 106, {"os.system"}},
      {"pickle-stack-global-memo.pkl", K::kPickle, 106, {"posix.system"}},
      {"pickle-ext.pkl", K::kPickle, 106, {"copyreg extension 42", "extension registry"}},
      {"pickle-called-then-junk.pkl", K::kPickle, 106, {"os.system", "malformed at byte 25"}},
      {"pickle-safetensors-glot.bin", K::kPickle, 106, {"protocol 1", "os.system"}},
      {"model.joblib",
       K::kPickle,
       106,
       {"sklearn.linear_model._base.LinearRegression", "joblib.numpy_pickle.NumpyArrayWrapper",
        "malformed at byte 259"}},
      {"training_args.bin",
       K::kPickle,
       106,
       {"PyTorch zip archive (torch.save), training_args/data.pkl",
        "transformers.training_args.TrainingArguments"}},
      {"torch-legacy.pt",
       K::kPickle,
       107,
       {"PyTorch legacy checkpoint", "5 pickles", "torch._utils._rebuild_tensor_v2",
        "torch.FloatStorage"}},
      {"torch-zip.pt", K::kPickle, 107, {"PyTorch zip archive (torch.save)", "protocol 2"}},
      {"torch-zip-state-dict.pt",
       K::kPickle,
       107,
       {"torch.BFloat16Storage", "torch._utils._rebuild_tensor_v3", "torch.UntypedStorage",
        "torch.float8_e4m3fn", "torch._utils._rebuild_parameter", "weights_only=True"}},
      {"torchscript.pt", K::kPickle, 106, {"TorchScript", "by design", "__torch__.Model"}},
      {"object-array.npy",
       K::kPickle,
       106,
       {"NumPy .npy array", "numpy.core.multiarray._reconstruct"}},
      {"object-arrays.npz", K::kPickle, 106, {"NumPy .npz archive, meta.npy", "numpy.dtype"}},
      {"object-member-noext.npz", K::kPickle, 106, {"NumPy .npz archive, meta:"}},
      {"arrays-compressed.npz",
       K::kPickle,
       108,
       {"weights.npy: compressed (method 8)", "cannot all be checked"}},
      {"array.npy", K::kOtherFormat, 109, {"raw bytes"}},
      {"arrays.npz", K::kOtherFormat, 109, {"2 of 2 .npy members stored as raw bytes"}},
      {"model.keras", K::kOtherFormat, 109, {"Keras v3 archive"}},
      {"model.gguf", K::kOtherFormat, 109, {"GGUF model"}},
      {"model-ggml.bin", K::kOtherFormat, 109, {"GGML"}},
      {"model-ggmf.bin", K::kOtherFormat, 109, {"GGMF"}},
      {"model-ggjt.bin", K::kOtherFormat, 109, {"GGJT"}},
      {"model.h5", K::kOtherFormat, 109, {"HDF5"}},
      {"model.onnx", K::kOtherFormat, 109, {"ONNX"}},
      {"model.tflite", K::kOtherFormat, 109, {"TensorFlow Lite"}},
  };
  for (const Expected& e : expected) {
    SCOPED_TRACE(e.file);
    const std::string bytes = Load(e.file);
    const Judged j = JudgeBytes(bytes, HasModelFileName(e.file));
    EXPECT_TRUE(WellFormed(j, bytes.size()));
    EXPECT_EQ(j.kind, e.kind);
    EXPECT_EQ(j.code(), e.code) << j.message();
    for (const std::string& part : e.message_has) {
      EXPECT_NE(j.message().find(part), std::string::npos) << j.message();
    }
  }
}

// Pickles and known model formats are found by content, whatever the name;
// text, configs and unknown bytes are not model files unless named as one.
TEST(ModelFile, ContentDecidesUnlessUnrecognized) {
  EXPECT_EQ(JudgeBytes(Load("torch-zip.pt"), false).kind, ModelFileKind::kPickle);
  EXPECT_EQ(JudgeBytes(Load("model.gguf"), false).kind, ModelFileKind::kOtherFormat);
  EXPECT_EQ(JudgeBytes(Load("plain.zip"), false).kind, ModelFileKind::kNotModel);
  ExpectGraded(JudgeBytes(Load("plain.zip"), true), 109, {"ZIP archive with no pickle"});
  const Judged lfs = JudgeBytes(Load("lfs-pointer.safetensors"), true);
  ExpectGraded(lfs, 109, {"Git LFS pointer"});
  EXPECT_EQ(JudgeBytes(Load("lfs-pointer.safetensors"), false).kind, ModelFileKind::kNotModel);
  for (const auto& entry : std::filesystem::directory_iterator(kForeignDir + "negative")) {
    const std::string name = entry.path().filename().string();
    SCOPED_TRACE(name);
    const std::string bytes = Load("negative/" + name);
    const Judged unnamed = JudgeBytes(bytes, false);
    EXPECT_TRUE(unnamed.findings.empty()) << unnamed.message();
    EXPECT_EQ(unnamed.kind, name == "tiny.safetensors" ? ModelFileKind::kSafetensors
                                                       : ModelFileKind::kNotModel);
    const Judged named = JudgeBytes(bytes, true);
    if (name != "tiny.safetensors") ExpectGraded(named, 109, {"unrecognized content"});
  }
  for (const std::string text : {"", "hello", "{\"a\": 1}\n", "[PAD]\n[UNK]\n", "#version: 0.2\n",
                                 "import torch\n", "cat\ndog\nfish\n"}) {
    EXPECT_EQ(JudgeBytes(text, false).kind, ModelFileKind::kNotModel) << text;
  }
  ExpectGraded(JudgeBytes("", true), 109, {"empty file"});
}

TEST(ModelFile, RealSafetensorsFilesAreLeftToTheCaller) {
  size_t checked = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(kCorpusDir + "/real")) {
    if (entry.path().extension() != ".safetensors") continue;
    SCOPED_TRACE(entry.path().string());
    const std::vector<uint8_t> bytes = testing::ReadFileBytes(entry.path().string());
    MemorySource source(bytes);
    for (const bool named : {true, false}) {
      const Judged j = JudgeSource(source, named);
      EXPECT_EQ(j.kind, ModelFileKind::kSafetensors);
      EXPECT_TRUE(j.findings.empty());
    }
    ++checked;
  }
  EXPECT_GT(checked, 5u);
  // Header lengths whose bytes start like PROTO 2..5 (0x0280, 0x4e0280:
  // PROTO 2, NONE, then 0x00) are still safetensors.
  for (const uint64_t n : {0x0280u, 0x0580u, 0x4e0280u}) {
    std::string file = U64(n) + "{" + std::string(n - 1, ' ');
    EXPECT_EQ(JudgeBytes(file).kind, ModelFileKind::kSafetensors) << n;
  }
}

// A file that is safetensors-shaped and also a pickle (BINSTRING's payload
// holds the header): torch.load unpickles a *.bin whatever else it is.
TEST(ModelFile, SafetensorsPickleGlotIsAPickle) {
  // Bytes 0-7 read as N = 0x454 + 'T': BINSTRING of 4 bytes (three zeros
  // and the '{' at byte 8), then the pickle goes on inside the "header".
  std::string file = "T" + U32(4) + B("\0\0\0{") + "0" + Global("os", "system") +
                     "(S'echo'\ntR.";
  const uint64_t n = 0x54 + (4 << 8);
  file += std::string(8 + n - file.size(), ' ');
  ASSERT_EQ(std::string_view(file).substr(0, 8), U64(n));
  ExpectGraded(JudgeBytes(file), 106, {"os.system"});
  ExpectGraded(JudgeBytes(file, false), 106, {"os.system"});
}

// ---------------------------------------------------------------------------
// The allowlist, both sides.

TEST(ModelFile, AllowlistedGlobalsAreACheckpoint) {
  const std::vector<std::pair<std::string, std::string>> allowed = {
      {"collections", "OrderedDict"},
      {"torch._utils", "_rebuild_tensor_v2"},
      {"torch._utils", "_rebuild_tensor_v3"},
      {"torch._utils", "_rebuild_parameter"},
      {"torch._utils", "_rebuild_parameter_with_state"},
      {"torch", "FloatStorage"},
      {"torch", "BFloat16Storage"},
      {"torch", "HalfStorage"},
      {"torch", "DoubleStorage"},
      {"torch", "LongStorage"},
      {"torch", "IntStorage"},
      {"torch", "ShortStorage"},
      {"torch", "CharStorage"},
      {"torch", "ByteStorage"},
      {"torch", "BoolStorage"},
      {"torch", "ComplexFloatStorage"},
      {"torch", "ComplexDoubleStorage"},
      {"torch", "UntypedStorage"},
      {"torch", "float8_e4m3fn"},
      {"torch", "float8_e5m2"},
      {"torch", "uint16"},
      {"torch", "complex32"},
  };
  for (const auto& [module, name] : allowed) {
    SCOPED_TRACE(module + "." + name);
    EXPECT_TRUE(IsTensorRebuildGlobal(module, name));
    ExpectGraded(JudgeBytes(Importing(module, name)), 107, {"tensor-rebuild global"});
    // The same through STACK_GLOBAL.
    const std::string stacked =
        Framed(ShortUnicode(module) + ShortUnicode(name) + "\x93" + "\x94.");
    ExpectGraded(JudgeBytes(stacked), 107);
  }
}

TEST(ModelFile, EverythingElseIsUnsafe) {
  const std::vector<std::pair<std::string, std::string>> refused = {
      {"posix", "system"}, {"os", "system"}, {"nt", "system"}, {"subprocess", "Popen"},
      {"builtins", "eval"}, {"builtins", "exec"}, {"__builtin__", "eval"}, {"builtins", "getattr"},
      {"builtins", "set"}, {"builtins", "bytearray"}, {"_codecs", "encode"}, {"runpy", "_run_code"},
      {"torch", "load"}, {"torch.serialization", "load"}, {"torch.hub", "load"},
      {"torch._C", "_jit_pass"}, {"torch.storage", "_load_from_bytes"},
      {"torch.serialization", "_get_layout"}, {"torch._utils", "_rebuild_sparse_tensor"},
      {"torch._utils", "_rebuild_qtensor"}, {"torch._utils", "_rebuild_device_tensor_from_numpy"},
      {"torch._tensor", "_rebuild_from_type_v2"}, {"torch.nn.parameter", "Parameter"},
      {"torch", "Tensor"}, {"torch", "Size"}, {"torch", "device"}, {"torch", "float32"},
      {"torch", "QInt8Storage"}, {"collections", "Counter"}, {"collections", "defaultdict"},
      {"numpy.core.multiarray", "_reconstruct"}, {"numpy", "ndarray"}, {"numpy", "dtype"},
      {"numpy.core.multiarray", "scalar"}, {"transformers.training_args", "TrainingArguments"},
      // Near misses of allowlisted names.
      {"collections", "OrderedDictx"}, {"Collections", "OrderedDict"},
      {"collections.", "OrderedDict"}, {"torch._utils", "_rebuild_tensor_v2.__globals__"},
      {"torch", "_utils._rebuild_tensor_v2"}, {"torch._utils._rebuild_tensor_v2", "x"},
      {"torch", "FloatStorage.__init__"}, {"torch.", "FloatStorage"}};
  for (const auto& [module, name] : refused) {
    SCOPED_TRACE(module + "." + name);
    EXPECT_FALSE(IsTensorRebuildGlobal(module, name));
    ExpectGraded(JudgeBytes(Importing(module, name)), 106, {"outside the tensor-rebuild"});
  }
  // One unsafe import among allowlisted ones is enough, wherever it is.
  const std::string mixed = Proto(2) + "(" + Global("collections", "OrderedDict") +
                            Global("torch._utils", "_rebuild_tensor_v2") +
                            Global("builtins", "eval") + "t.";
  ExpectGraded(JudgeBytes(mixed), 106, {"imports builtins.eval,"});
  // A name longer than the walker keeps never matches.
  const std::string long_name = "OrderedDict" + std::string(300, 'x');
  ExpectGraded(JudgeBytes(Importing("collections", long_name)), 106, {"..."});
  ExpectGraded(JudgeBytes(Importing(std::string(300, 'c'), "OrderedDict")), 106);
}

TEST(ModelFile, ExtensionOpcodesAreUnsafe) {
  for (const std::string& ext : {B("\x82\x2a"), B("\x83\x2a\x01"), B("\x84\x2a\x00\x01\x00")}) {
    SCOPED_TRACE(static_cast<int>(static_cast<uint8_t>(ext[0])));
    ExpectGraded(JudgeBytes(Proto(2) + ext + ")R."), 106,
                 {"copyreg extension", "does not resolve"});
    // Even when nothing calls it (pushing it is the import).
    ExpectGraded(JudgeBytes(Proto(2) + ext + "."), 106);
  }
}

// ---------------------------------------------------------------------------
// The memo, as grading sees it (the walker's own tests: pickle_walk_test.cc).

TEST(ModelFile, MemoResolvesStackGlobal) {
  const std::string posix = ShortUnicode("posix");
  const std::string system = ShortUnicode("system");
  const std::vector<std::string> ways = {
      posix + "q\x01" + system + "q\x02" + "0" + "0" + "h\x01h\x02\x93.",      // BINPUT BINGET
      posix + B("r\x00\x00\x00\x01") + "0" + system + B("r\x07\x00\x00\x00") + "0" +
          B("j\x00\x00\x00\x01") + B("j\x07\x00\x00\x00") + "\x93.",  // LONG_BINPUT/GET
      "Vposix\np3\n0Vsystem\np4\n0g3\ng4\n\x93.",                             // PUT GET
      posix + "\x94" + system + "\x94" + B("00h\x00h\x01\x93."),               // MEMOIZE
      posix + "2" + "0" + system + "\x93.",                                    // DUP
      "(" + posix + B("q\x00") + system + "q\x01" + B("t0h\x00h\x01\x93."),    // in a tuple
  };
  for (const std::string& w : ways) {
    SCOPED_TRACE(::testing::PrintToString(w));
    EXPECT_EQ(Walk(w).imports, "imports posix.system");
    ExpectGraded(JudgeBytes(Framed(w)), 106, {"posix.system"});
  }
  // A key written twice holds the second value.
  const std::string overwritten =
      ShortUnicode("torch") + B("q\x00") + "0" + ShortUnicode("os") + B("q\x00") + "0" +
      B("h\x00") + ShortUnicode("FloatStorage") + "\x93.";
  EXPECT_EQ(Walk(overwritten).imports, "imports os.FloatStorage");
  ExpectGraded(JudgeBytes(Framed(overwritten)), 106, {"os.FloatStorage"});
  // Operands that are not literal strings (a REDUCE's result, an int): unresolved.
  const std::string computed = Proto(4) + Global("collections", "OrderedDict") + ")R" +
                               ShortUnicode("system") + "\x93.";
  ExpectGraded(JudgeBytes(computed), 108, {"STACK_GLOBAL", "not literals"});
  ExpectGraded(JudgeBytes(Proto(4) + "K\x01K\x02\x93."), 108, {"STACK_GLOBAL"});
  // STACK_GLOBAL with an unknown memo key: the unpickler fails there.
  EXPECT_EQ(Walk(posix + "h\x09\x93.").walk.end, PickleEnd::kMalformed);
}

// ---------------------------------------------------------------------------
// Stream ends and evasions.

TEST(ModelFile, CodeRunBeforeAnErrorStillCounts) {
  // The unpickler calls os.system on REDUCE, then fails on the junk.
  for (const std::string junk : {B("\xff"), B("\x00junk"), std::string()}) {
    const std::string evil = "cos\nsystem\n(S'echo hi'\ntR" + junk;
    ExpectGraded(JudgeBytes(evil, false), 106, {"os.system"});
    ExpectGraded(JudgeBytes(Proto(2) + Global("posix", "system") + "N\x85R" + junk), 106);
  }
  // An import no opcode calls before the junk: not a pickle by content
  // (text like "cat\ndog\n" walks as GLOBAL too) unless PROTO said so.
  EXPECT_EQ(JudgeBytes("cos\nsystem\n" + B("\xff"), false).kind, ModelFileKind::kNotModel);
  ExpectGraded(JudgeBytes(Proto(2) + Global("posix", "system") + B("\xff")), 106);
}

TEST(ModelFile, BrokenPicklesAreUnverified) {
  const std::string good = Load("pickle-proto2-ordereddict.pkl");
  ExpectGraded(JudgeBytes(good.substr(0, good.size() - 1)), 108, {"truncated"});
  ExpectGraded(JudgeBytes(good.substr(0, good.size() - 1) + B("\xff")), 108,
               {"malformed", "0xff"});
  // In a torch archive, data.pkl is a pickle by the container's word.
  ExpectGraded(JudgeBytes(TorchZip(good.substr(0, 20))), 108, {"archive/data.pkl", "truncated"});
  ExpectGraded(JudgeBytes(TorchZip("not a pickle")), 108, {"malformed"});
  ExpectGraded(JudgeBytes(TorchZip("")), 108, {"truncated"});
  // A legacy torch.save file whose later pickles are missing or broken.
  const std::string legacy = Load("torch-legacy.pt");
  ExpectGraded(JudgeBytes(legacy.substr(0, 15)), 108, {"pickle 2 of 5", "truncated"});
  ExpectGraded(JudgeBytes(legacy.substr(0, 15) + "junk"), 108, {"pickle 2 of 5"});
}

// Every prefix of every sample: nothing crashes or reads out of bounds, and
// a prefix that cuts a pickle never grades as a checkpoint.
TEST(ModelFile, TruncatedAtEveryByte) {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(kForeignDir)) {
    if (entry.is_regular_file() && entry.path().extension() != ".md" &&
        entry.path().extension() != ".py") {
      files.push_back(entry.path().filename().string());
    }
  }
  std::sort(files.begin(), files.end());
  ASSERT_GE(files.size(), 30u);
  for (const std::string& file : files) {
    SCOPED_TRACE(file);
    const std::string bytes = Load(file);
    const Judged whole = JudgeBytes(bytes);
    // Where the pickles end: the whole file, except legacy torch (raw
    // storages follow its five pickles).
    size_t pickle_end = bytes.size();
    if (file == "torch-legacy.pt") {
      pickle_end = 0;
      for (int i = 0; i < 5; ++i) pickle_end += Walk(bytes.substr(pickle_end)).walk.end_offset;
    }
    for (size_t length = 0; length < bytes.size(); ++length) {
      const Judged cut = JudgeBytes(bytes.substr(0, length));
      ASSERT_TRUE(WellFormed(cut, length)) << length;
      if (whole.kind == ModelFileKind::kPickle && length < pickle_end) {
        EXPECT_NE(cut.code(), 107) << length << ": " << cut.message();
        EXPECT_NE(cut.kind, ModelFileKind::kSafetensors) << length;
      }
    }
  }
}

TEST(ModelFile, MutatedSamplesAreSafe) {
  std::mt19937 rng(20240607);
  for (const std::string file : {"torch-zip.pt", "torch-zip-state-dict.pt", "torch-legacy.pt",
                                 "model.joblib", "object-arrays.npz", "pickle-proto5.pkl",
                                 "pickle-stack-global-memo.pkl", "object-array.npy",
                                 "training_args.bin", "torchscript.pt"}) {
    SCOPED_TRACE(file);
    const std::string bytes = Load(file);
    for (int round = 0; round < 300; ++round) {
      std::string mutated = bytes;
      const int edits = 1 + static_cast<int>(rng() % 4);
      for (int e = 0; e < edits; ++e) {
        const size_t at = rng() % mutated.size();
        switch (rng() % 3) {
          case 0: mutated[at] = static_cast<char>(rng()); break;
          case 1: mutated[at] = (rng() % 2) ? '\xff' : '\x00'; break;
          default: mutated[at] = static_cast<char>(mutated[at] ^ (1 << (rng() % 8))); break;
        }
      }
      const Judged j = JudgeBytes(mutated, rng() % 2 == 0);
      ASSERT_TRUE(WellFormed(j, mutated.size())) << round;
    }
  }
}

// ---------------------------------------------------------------------------
// Limits: each one reached grades 108 (or 106 when an unsafe import came
// first), never 107.

TEST(ModelFile, StackLimit) {
  const std::string deep = Proto(2) + std::string(kMaxPickleStack + 1, '(') + ".";
  ExpectGraded(JudgeBytes(deep), 108, {"stack deeper"});
  const std::string wide = Proto(2) + std::string(kMaxPickleStack + 1, 'N') + ".";
  ExpectGraded(JudgeBytes(wide), 108, {"stack deeper"});
  // Just under it: fine.
  std::string under = Proto(2) + "(" + std::string(kMaxPickleStack - 2, 'N') + "t.";
  ExpectGraded(JudgeBytes(under), 107);
  // An unsafe import before the limit wins.
  ExpectGraded(JudgeBytes(Proto(2) + Global("os", "system") + std::string(kMaxPickleStack, 'N')),
               106, {"os.system", "also unverified"});
}

TEST(ModelFile, MemoLimit) {
  // Fill the memo past its cap: afterwards no memo entry can be trusted, so
  // a STACK_GLOBAL that reads the memo is unresolved.
  std::string filler;
  for (size_t i = 0; i <= kMaxPickleMemo; ++i) filler += "N\x94" "0";
  const std::string strings =
      ShortUnicode("torch") + B("q\x00") + "0" + ShortUnicode("FloatStorage");
  const std::string late = Framed(strings + "\x94" + "0" + filler + B("h\x00h\x01\x93."));
  ExpectGraded(JudgeBytes(late), 108, {"STACK_GLOBAL"});
  // The same resolved before the cap: a checkpoint.
  const std::string early = Framed(ShortUnicode("torch") + ShortUnicode("FloatStorage") +
                                   "\x93" "0" + filler + "N.");
  ExpectGraded(JudgeBytes(early), 107);
  // GET of a key the walker dropped is not an error (it may exist).
  EXPECT_EQ(Walk(Framed(filler + "h\xff" "0N.")).walk.end, PickleEnd::kStop);
}

TEST(ModelFile, PickleSizeLimits) {
  // One BINBYTES8 payload longer than a pickle may be, skipped, never read.
  const uint64_t big = kMaxPickleBytes + 1;
  Layout layout;
  layout.chunks.push_back({0, Proto(4) + "\x8e" + U64(big)});
  layout.chunks.push_back({11 + big, "."});
  layout.size = 12 + big;
  SparseSource source(layout);
  const Judged j = JudgeSource(source);
  ExpectGraded(j, 108, {"walker's limit"});
  EXPECT_LT(source.bytes(), 256u << 10);
  // Within the limit the payload is skipped, not read.
  Layout fits = layout;
  fits.chunks[0].bytes = Proto(4) + "\x8e" + U64(big - 100);
  fits.chunks[1].offset = 11 + big - 100;
  fits.size = 12 + big - 100;
  SparseSource fits_source(fits);
  ExpectGraded(JudgeSource(fits_source), 107);
  EXPECT_LT(fits_source.bytes(), 256u << 10);

  // Per file: three archive pickles of 200 MiB each exceed 512 MiB together.
  const uint64_t part = 200ull << 20;
  std::vector<ZipSpec> entries;
  for (const char* name : {"a/data.pkl", "b/data.pkl", "c/data.pkl"}) {
    // Each payload is followed by the STOP that ends it.
    entries.push_back({name, Proto(4) + "\x8e" + U64(part), part, 0, 0, "."});
  }
  Layout zip = BuildZip(entries);
  SparseSource zip_source(zip);
  const Judged three = JudgeSource(zip_source);
  ExpectGraded(three, 108, {"c/data.pkl", "walker's limit"});
  EXPECT_LT(zip_source.bytes(), 1u << 20);
}

TEST(ModelFile, ZipLimits) {
  // More entries to open than the cap.
  std::vector<ZipSpec> many;
  for (size_t i = 0; i <= kMaxInspectedEntries; ++i) {
    many.push_back({"p/" + std::to_string(i) + ".pkl", Importing("collections", "OrderedDict")});
  }
  ExpectGraded(JudgeBytes(Zip(many)), 108, {"entries to open"});
  // More central directory entries than the cap (unopened ones included).
  std::vector<ZipSpec> huge(kMaxZipEntries + 1);
  for (size_t i = 0; i < huge.size(); ++i) huge[i].name = "d/" + std::to_string(i);
  huge[0] = {"archive/data.pkl", Importing("collections", "OrderedDict")};
  ExpectGraded(JudgeBytes(Zip(huge)), 108, {"more than 262144 entries"});
  // A central directory longer than the cap: entries with 64 KiB comments.
  Layout layout = BuildZip({{"archive/data.pkl", Importing("collections", "OrderedDict")}});
  std::string& tail = layout.chunks.back().bytes;
  const size_t end_record = tail.rfind(B("PK\x05\x06"));
  std::string directory = tail.substr(0, end_record);
  const std::string first_entry = directory;
  std::string padded_entry = first_entry;
  padded_entry.replace(32, 2, U16(0xFFFF));  // comment length
  padded_entry += std::string(0xFFFF, 'c');
  std::string big_directory;
  const size_t copies = (kMaxCentralDirectoryBytes / padded_entry.size()) + 2;
  for (size_t i = 0; i < copies; ++i) big_directory += padded_entry;
  const uint64_t directory_offset = layout.chunks.back().offset;
  std::string end = B("PK\x05\x06") + U16(0) + U16(0) + U16(copies) + U16(copies) +
                    U32(big_directory.size()) + U32(directory_offset) + U16(0);
  layout.chunks.back().bytes = big_directory + end;
  layout.size = directory_offset + big_directory.size() + end.size();
  ExpectGraded(JudgeBytes(layout.Flat()), 108, {"central directory over 64 MiB"});
}

TEST(ModelFile, NpyHeaderLimits) {
  const std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }" +
                           std::string(kMaxNpyDictBytes, ' ') + "\n";
  const std::string npy = B("\x93NUMPY\x02\x00") + U32(dict.size()) + dict + "abcd";
  ExpectGraded(JudgeBytes(npy), 108, {"past the walker's limit"});
  // An .npz whose members all point at one 1 MiB header: the per-file
  // budget stops the reading after 512 MiB of headers, not 4096 MiB.
  const std::string small_dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }" +
                                 std::string(kMaxNpyDictBytes - 100, ' ') + "\n";
  const std::string member = B("\x93NUMPY\x02\x00") + U32(small_dict.size()) + small_dict + "abcd";
  Layout layout = BuildZip({{"a.npy", member}});
  std::string& tail = layout.chunks.back().bytes;
  const size_t end_record = tail.rfind(B("PK\x05\x06"));
  const std::string entry = tail.substr(0, end_record);
  std::string directory;
  const size_t copies = kMaxInspectedEntries;
  for (size_t i = 0; i < copies; ++i) directory += entry;
  const uint64_t directory_offset = layout.chunks.back().offset;
  tail = directory + B("PK\x05\x06") + U16(0) + U16(0) + U16(copies) + U16(copies) +
         U32(directory.size()) + U32(directory_offset) + U16(0);
  layout.size = directory_offset + tail.size();
  SparseSource source(layout);
  ExpectGraded(JudgeSource(source), 108, {"per file"});
  EXPECT_LT(source.bytes(), (kMaxPickleBytesPerFile + (64u << 20)));
}

// ---------------------------------------------------------------------------
// Containers.

// A multi-GB torch.save archive on disk, sparse: data.pkl first, one 5 GiB
// tensor record, the central directory and zip64 records at the end. Only
// the first 64 KiB, the end, the directory and data.pkl are read.
TEST(ModelFile, MultiGigabyteArchiveReadsOnlyWhatItNeeds) {
  const uint64_t tensor_bytes = 5ull << 30;
  const Layout layout = BuildZip(
      {{"archive/data.pkl", Proto(2) + "(" + Global("collections", "OrderedDict") +
                                Global("torch._utils", "_rebuild_tensor_v2") +
                                Global("torch", "BFloat16Storage") + "t."},
       {"archive/data/0", "", tensor_bytes},
       {"archive/version", "3\n"}});
  // Where the tensor's bytes are: after its local header (chunk 1).
  const uint64_t tensor_begin = layout.chunks[1].offset + layout.chunks[1].bytes.size();
  ASSERT_GT(layout.size, tensor_bytes);
  testing::TempDir dir;
  const std::string path = dir.path() + "/pytorch_model.bin";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::ftruncate(fd, static_cast<off_t>(layout.size)), 0);
  for (const Chunk& c : layout.chunks) {
    ASSERT_EQ(::pwrite(fd, c.bytes.data(), c.bytes.size(), static_cast<off_t>(c.offset)),
              static_cast<ssize_t>(c.bytes.size()));
  }
  ::close(fd);
  FileSource file;
  ASSERT_TRUE(file.Open(path)) << file.error();
  CountingSource counting(file);
  const Judged j = JudgeSource(counting, HasModelFileName(path));
  ExpectGraded(j, 107, {"PyTorch zip archive", "torch.BFloat16Storage"});
  EXPECT_LT(counting.bytes(), 64u << 10) << counting.reads() << " reads";
  EXPECT_LT(counting.reads(), 16u);
  for (const auto& [offset, length] : counting.ranges()) {
    EXPECT_TRUE(offset + length <= tensor_begin || offset >= tensor_begin + tensor_bytes)
        << "read [" << offset << ", +" << length << ") of tensor data";
  }
  // The same layout with an unsafe data.pkl.
  Layout evil = layout;
  evil.chunks[0].bytes.replace(evil.chunks[0].bytes.find("collections"), 11, "subprocess_");
  SparseSource evil_source(evil);
  ExpectGraded(JudgeSource(evil_source), 106, {"subprocess_.OrderedDict"});
}

TEST(ModelFile, ArchiveEntries) {
  const std::string state = Importing("collections", "OrderedDict");
  // Every *.pkl entry is walked, duplicates included; the worst grade wins.
  ExpectGraded(JudgeBytes(Zip({{"archive/data.pkl", state}, {"archive/data.pkl",
                                                             Importing("os", "system")}})),
               106, {"os.system"});
  ExpectGraded(JudgeBytes(Zip({{"model.pkl", Importing("os", "system")}}), false), 106,
               {"ZIP archive, model.pkl"});
  ExpectGraded(JudgeBytes(Zip({{"a/extra.PICKLE", state}})), 107);
  // Compressed, encrypted, nested: not inspected.
  ExpectGraded(JudgeBytes(Zip({{"archive/data.pkl", state, 0, 8, 0}})), 108,
               {"compressed (method 8)"});
  ExpectGraded(JudgeBytes(Zip({{"archive/data.pkl", state, 0, 0, 1}})), 108, {"encrypted"});
  ExpectGraded(JudgeBytes(Zip({{"outer/inner.pt", TorchZip(state)}})), 108,
               {"outer/inner.pt", "inside the archive"});
  ExpectGraded(JudgeBytes(Zip({{"x.zip", "PK"}, {"archive/data.pkl", state}})), 108);
  // torch's tensor records are never opened, whatever they hold.
  ExpectGraded(JudgeBytes(Zip({{"archive/data.pkl", state},
                               {"archive/data/0", Importing("os", "system")}})),
               107);
  // zip64 records and extra fields, as numpy writes them.
  ExpectGraded(JudgeBytes(Zip({{"archive/data.pkl", state}}, /*force_zip64=*/true)), 107);
}

TEST(ModelFile, BrokenArchives) {
  const std::string state = Importing("collections", "OrderedDict");
  const std::string zip = TorchZip(state);
  // No end record: no loader opens it, nothing runs.
  const std::string headless = zip.substr(0, zip.rfind(B("PK\x05\x06")));
  ExpectGraded(JudgeBytes(headless), 109, {"end of central directory"});
  EXPECT_EQ(JudgeBytes(headless, false).kind, ModelFileKind::kNotModel);
  // A central directory that is not one.
  std::string bad_directory = zip;
  bad_directory[zip.rfind(B("PK\x01\x02"))] = 'X';
  ExpectGraded(JudgeBytes(bad_directory), 109, {"malformed central directory"});
  // Multi-disk.
  std::string multi = zip;
  multi[multi.rfind(B("PK\x05\x06")) + 4] = 1;
  ExpectGraded(JudgeBytes(multi), 109);
  // A central directory pointing at no local header.
  std::string no_local = zip;
  const size_t cd = zip.find(B("PK\x01\x02"));
  no_local.replace(cd + 42, 4, U32(5));
  ExpectGraded(JudgeBytes(no_local), 108, {"no local header"});
  // Entries past the end record's count: Python's zipfile (numpy) reads
  // them, miniz (torch) does not; and a count past the directory's entries.
  std::string hidden =
      Zip({{"archive/data.pkl", state}, {"x/evil.pkl", Importing("os", "system")}});
  const size_t end_record = hidden.rfind(B("PK\x05\x06"));
  hidden.replace(end_record + 8, 4, U16(1) + U16(1));
  ExpectGraded(JudgeBytes(hidden), 106, {"x/evil.pkl", "os.system"});
  std::string overcounted = Zip({{"archive/data.pkl", Importing("os", "system")}});
  overcounted.replace(overcounted.rfind(B("PK\x05\x06")) + 8, 4, U16(9) + U16(9));
  ExpectGraded(JudgeBytes(overcounted), 106);
  // An entry whose data runs past the end.
  std::string long_entry = zip;
  long_entry.replace(cd + 20, 4, U32(1u << 30));
  ExpectGraded(JudgeBytes(long_entry), 108, {"past the end"});
}

TEST(ModelFile, TorchScriptRunsCodeByDesign) {
  const std::string archive = Zip({{"m/data.pkl", Importing("collections", "OrderedDict")},
                                   {"m/code/__torch__.py", "def forward(self, x): ..."},
                                   {"m/constants.pkl", Proto(2) + ")."}});
  ExpectGraded(JudgeBytes(archive), 106, {"TorchScript", "runs the TorchScript code", "by design"});
}

TEST(ModelFile, NumpyDtypes) {
  const auto npy = [](std::string_view descr, const std::string& data) {
    std::string dict =
        "{'descr': " + std::string(descr) + ", 'fortran_order': False, 'shape': (1,), }";
    dict += std::string((64 - (10 + dict.size() + 1) % 64) % 64, ' ') + "\n";
    return B("\x93NUMPY\x01\x00") + U16(dict.size()) + dict + data;
  };
  const std::string object_pickle =
      Proto(3) + Global("numpy.core.multiarray", "_reconstruct") + ".";
  ExpectGraded(JudgeBytes(npy("'<f4'", "abcd")), 109, {"raw bytes"});
  ExpectGraded(JudgeBytes(npy("'|O'", object_pickle)), 106, {"numpy.core.multiarray._reconstruct"});
  // Object dtypes in any spelling numpy reads.
  for (const std::string_view descr : {"'O'", "'<O'", "'|O8'", "'object'", "\"|O\"",
                                       "[('a', '<f4'), ('b', '|O')]", "'<' '|O'",
                                       "'''|O'''", "u'|O'", "'<f4', 'descr': '|O'"}) {
    SCOPED_TRACE(std::string(descr));
    ExpectGraded(JudgeBytes(npy(descr, object_pickle)), 106);
  }
  // An object dtype whose data is not a pickle: unverified.
  ExpectGraded(JudgeBytes(npy("'|O'", "abcd")), 108, {"malformed"});
  // A structured dtype without objects: raw data, not walked as a pickle.
  ExpectGraded(JudgeBytes(npy("[('a', '<f4'), ('b', '<i8')]", std::string(12, '\x01'))), 109);
  // Headers numpy cannot read.
  ExpectGraded(JudgeBytes(B("\x93NUMPY\x09\x00")), 109, {"cannot read"});
  ExpectGraded(JudgeBytes(B("\x93NUMPY\x01\x00\xff\xff{")), 109, {"cannot read"});
  EXPECT_EQ(ClassifyNpyDescr("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"),
            NpyDescr::kRaw);
  EXPECT_EQ(ClassifyNpyDescr("{'descr': '<M8[ns]', 'shape': ()}"), NpyDescr::kRaw);
  EXPECT_EQ(ClassifyNpyDescr("{'descr': '|O', 'shape': ()}"), NpyDescr::kObject);
  EXPECT_EQ(ClassifyNpyDescr("{'descr': '|O', 'descr': '<f4'}"), NpyDescr::kRaw);
  EXPECT_EQ(ClassifyNpyDescr("{'descr': '<f4', 'descr': 'O'}"), NpyDescr::kObject);
  EXPECT_EQ(ClassifyNpyDescr("{'descr': '<f4' '', 'shape': ()}"), NpyDescr::kUnknown);
  EXPECT_EQ(ClassifyNpyDescr("{'descr': '<f4', 'shape': (2L,)}"), NpyDescr::kUnknown);
  EXPECT_EQ(ClassifyNpyDescr("{'descr': 'float32'}"), NpyDescr::kUnknown);
  EXPECT_EQ(ClassifyNpyDescr("{'descr': '<f4'} trailing"), NpyDescr::kUnknown);
}

TEST(ModelFile, CompressedAndTarUnderModelNames) {
  const std::string state = Load("pickle-proto2-ordereddict.pkl");
  const std::vector<std::pair<std::string, std::string>> streams = {
      {"gzip", Load("model.pkl.gz")},
      {"zlib", B("\x78\x9c") + "compressed"},
      {"bzip2", "BZh91AY&SY"},
      {"xz", B("\xfd" "7zXZ\x00\x00")},
      {"lz4", B("\x04\x22\x4d\x18")},
      {"zstd", B("\x28\xb5\x2f\xfd")},
      {"lzma", B("]\x00\x00\x80\x00")},
  };
  for (const auto& [name, bytes] : streams) {
    SCOPED_TRACE(name);
    ExpectGraded(JudgeBytes(bytes, true), 108, {name + "-compressed", "decompress"});
    EXPECT_EQ(JudgeBytes(bytes, false).kind, ModelFileKind::kNotModel);
  }
  std::string tar(1024, '\0');
  tar.replace(0, 8, "storages");
  tar.replace(257, 6, B("ustar\0"));
  ExpectGraded(JudgeBytes(tar, false), 108, {"tar archive"});
  tar.replace(0, 8, "notes.md");
  ExpectGraded(JudgeBytes(tar, true), 108, {"tar archive"});
  EXPECT_EQ(JudgeBytes(tar, false).kind, ModelFileKind::kNotModel);
  (void)state;
}

TEST(ModelFile, ChainedPickles) {
  // pickle.dump twice: a reader that loads again runs the second.
  const std::string benign = Load("pickle-proto2-ordereddict.pkl");
  ExpectGraded(JudgeBytes(benign + Importing("os", "system")), 106, {"2 pickles", "os.system"});
  ExpectGraded(JudgeBytes(benign + benign), 107, {"2 pickles"});
  // The second need not start with PROTO.
  ExpectGraded(JudgeBytes(benign + "cos\nsystem\n(S'echo hi'\ntR."), 106, {"os.system"});
  // Bytes after STOP that are not a pickle are data no unpickler reads.
  ExpectGraded(JudgeBytes(benign + "trailing data"), 107);
}

// Protocol 0, GLOBAL then STOP: two opcodes, and loading it imports the
// global, as the protocol-4 global-only pickle does. It used to pass as
// unrecognized content (109, a warning) and, after another pickle, was
// not read at all (107).
TEST(ModelFile, ImportOnlyProtocol0PickleIsUnsafe) {
  const std::string import_only = Global("os", "system") + ".";
  for (const bool named : {true, false}) {
    SCOPED_TRACE(named);
    ExpectGraded(JudgeBytes(import_only, named), 106, {"protocol 0", "os.system"});
  }
  const std::string benign = Load("pickle-proto2-ordereddict.pkl");
  ExpectGraded(JudgeBytes(benign + import_only), 106, {"2 pickles", "os.system"});
}

// STOP returns the top of the stack whatever lies below it, so an import
// (called or not) that stops with more than its result on the stack still
// ran. As a second pickle such a pickle was not read (a reader that loads
// again runs it: os.system was called and the file graded 107), and alone
// the import-only one passed as unrecognized content (109).
TEST(ModelFile, ImportsBeforeAnUntidyStopAreUnsafe) {
  const std::string called = Global("os", "system") + "(S'echo hi'\ntRN.";
  const std::string imported = Global("os", "system") + "N.";
  const std::string benign = Load("pickle-proto2-ordereddict.pkl");
  for (const std::string& pickle : {called, imported}) {
    SCOPED_TRACE(pickle);
    ExpectGraded(JudgeBytes(benign + pickle), 106, {"2 pickles", "os.system"});
    for (const bool named : {true, false}) ExpectGraded(JudgeBytes(pickle, named), 106);
  }
}

// A reader that loads again goes on after any pickle it gets through,
// however little it holds: "N." or "K\x01." between a checkpoint and an
// exploit used to end the reading there (107).
TEST(ModelFile, ChainedPicklesGoOnAfterATinyOne) {
  const std::string benign = Load("pickle-proto2-ordereddict.pkl");
  const std::string exploit = "cos\nsystem\n(S'echo hi'\ntR.";
  ExpectGraded(JudgeBytes(benign + "N." + exploit), 106, {"3 pickles", "os.system"});
  ExpectGraded(JudgeBytes(benign + B("K\x01.") + Proto(2) + exploit), 106, {"3 pickles"});
  // Eight pickles in all are read; past them a further one is not, so the
  // file cannot be checked (108), while data that is no pickle is fine.
  std::string eight = benign;
  for (size_t i = 1; i < kMaxChainedPickles; ++i) eight += "N.";
  ExpectGraded(JudgeBytes(eight), 107, {"8 pickles"});
  ExpectGraded(JudgeBytes(eight + "trailing data"), 107, {"8 pickles"});
  ExpectGraded(JudgeBytes(eight + exploit), 108, {"more than 8 pickles"});
}

// ---------------------------------------------------------------------------
// Policies, errors, names.

TEST(ModelFile, PolicyKnobs) {
  const std::string checkpoint = Load("torch-zip.pt");
  const std::string gguf = Load("model.gguf");
  for (const char* name : {"compat", "default", "strict"}) {
    SCOPED_TRACE(name);
    const Policy policy = *BuiltinPolicy(name);
    const Judged c = JudgeBytes(checkpoint, true, policy);
    ASSERT_EQ(c.findings.size(), 1u);
    EXPECT_EQ(c.findings[0].severity, std::string(name) == "strict" ? Severity::kError
                                                                     : Severity::kWarning);
    const Judged g = JudgeBytes(gguf, true, policy);
    ASSERT_EQ(g.findings.size(), 1u);
    EXPECT_EQ(g.findings[0].severity, std::string(name) == "strict" ? Severity::kError
                                                                     : Severity::kWarning);
    // 106 and 108 whatever the policy.
    EXPECT_EQ(JudgeBytes(Load("pickle-proto0-exploit.pkl"), true, policy).findings[0].severity,
              Severity::kError);
    EXPECT_EQ(JudgeBytes(Load("arrays-compressed.npz"), true, policy).findings[0].severity,
              Severity::kError);
  }
  Policy quiet = *BuiltinPolicy("default");
  quiet.pickle_checkpoints = Action::kIgnore;
  quiet.other_weight_formats = Action::kIgnore;
  const Judged c = JudgeBytes(checkpoint, true, quiet);
  EXPECT_EQ(c.kind, ModelFileKind::kPickle);
  EXPECT_TRUE(c.findings.empty());
  EXPECT_TRUE(JudgeBytes(gguf, true, quiet).findings.empty());
  EXPECT_EQ(JudgeBytes(Load("pickle-proto0-exploit.pkl"), true, quiet).code(), 106);
}

TEST(ModelFile, ReadErrorsAreReported) {
  const std::string zip = Load("torch-zip.pt");
  const std::vector<uint8_t> exact(zip.begin(), zip.end());
  MemorySource inner(exact);
  for (const uint64_t limit : {uint64_t{0}, uint64_t{100}, uint64_t{zip.size() - 30}}) {
    FailingSource failing(inner, limit);
    FindingSink sink(16, zip.size());
    ModelFileKind kind = ModelFileKind::kPickle;
    EXPECT_FALSE(JudgeModelFile(failing, *BuiltinPolicy("default"), true, sink, kind)) << limit;
    EXPECT_TRUE(sink.Finish().empty());
  }
}

TEST(ModelFile, MessagesAreEscapedAndBounded) {
  // 0x9b is the 8-bit CSI; bytes >= 0x80 are legal in a module name.
  const std::string hostile = Importing("\x9b" "31mred", std::string(500, 'n'));
  const Judged j = JudgeBytes(hostile);
  ASSERT_TRUE(WellFormed(j, hostile.size()));
  EXPECT_EQ(j.code(), 106);
  EXPECT_NE(j.message().find("\\x9b31mred"), std::string::npos) << j.message();
  std::string many = Proto(2) + "(";
  for (int i = 0; i < 200; ++i) many += Global("m" + std::to_string(i), "f");
  many += "t.";
  const Judged capped = JudgeBytes(many);
  ASSERT_TRUE(WellFormed(capped, many.size()));
  EXPECT_NE(capped.message().find("and at least"), std::string::npos) << capped.message();
  const Judged entry = JudgeBytes(Zip({{"\x1b]0;title\x07/data.pkl", Importing("os", "system")}}));
  ASSERT_TRUE(WellFormed(entry, 0));
  EXPECT_NE(entry.message().find("\\x1b]0;title\\x07/data.pkl"), std::string::npos);
}

TEST(ModelFile, ModelFileNames) {
  for (const char* name : {"pytorch_model.bin", "a/b/model.PT", "x.pth", "x.ckpt", "x.pkl",
                           "x.pickle", "x.joblib", "x.npy", "x.npz", "x.gguf", "x.h5", "x.hdf5",
                           "x.keras", "x.onnx", "x.tflite", "flax_model.msgpack"}) {
    EXPECT_TRUE(HasModelFileName(name)) << name;
  }
  for (const char* name : {"model.safetensors", "config.json", "README.md", "bin", "x.bin/",
                           "x.pkl.gz", "tokenizer.model", ".pt/readme"}) {
    EXPECT_FALSE(HasModelFileName(name)) << name;
  }
}

}  // namespace
}  // namespace stguard::internal
