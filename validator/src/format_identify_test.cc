// Unit tests for foreign-format identification (format_identify.cc): every
// sample of corpus/foreign/ (made by corpus/foreign/make-samples.py) gets the
// right name, runs_code_on_load and detail; the negative samples and text get
// nothing; every prefix and many mutations of every sample are walked safely
// (each input sits in a heap buffer of its exact size, so ASan sees any read
// past it); the import list and the detail are bounded.
#include "format_identify.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "safetensors_builder.h"

namespace stguard::internal {
namespace {

const std::string kForeignDir = std::string(STGUARD_CORPUS_DIR) + "/foreign/";

constexpr std::string_view kPickle = "Python pickle";
constexpr std::string_view kTorchLegacy = "PyTorch legacy pickle (torch.save)";
constexpr std::string_view kTorchZip = "PyTorch zip archive (torch.save)";
constexpr std::string_view kTorchScript = "TorchScript archive (torch.jit.save)";
constexpr std::string_view kNpy = "NumPy .npy array";
constexpr std::string_view kNpz = "NumPy .npz archive";
constexpr std::string_view kKeras = "Keras v3 archive (.keras)";
constexpr std::string_view kZip = "ZIP archive";
constexpr std::string_view kGguf = "GGUF model";
constexpr std::string_view kHdf5 = "HDF5 (Keras .h5, legacy TensorFlow/Keras weights)";
constexpr std::string_view kOnnx = "ONNX model (protobuf)";
constexpr std::string_view kTflite = "TensorFlow Lite model (FlatBuffer)";
constexpr std::string_view kGzip = "gzip compressed data";
constexpr std::string_view kLfs = "Git LFS pointer (not the model file)";

struct Sample {
  std::string file;
  std::string_view name;
  bool runs_code;
  std::vector<std::string> detail_has;  // substrings of the detail
};

const std::vector<Sample>& Samples() {
  static const std::vector<Sample> samples = {
      {"pickle-proto0.pkl", kPickle, true,
       {"pickle protocol 0; imports collections.OrderedDict"}},
      {"pickle-proto1.pkl", kPickle, true,
       {"pickle protocol 1; imports collections.OrderedDict"}},
      {"pickle-proto2-ordereddict.pkl", kPickle, true,
       {"pickle protocol 2; imports collections.OrderedDict"}},
      // Counter's module string comes back through the memo (BINGET).
      {"pickle-proto4-class.pkl", kPickle, true,
       {"pickle protocol 4; imports __main__.Checkpoint, collections.OrderedDict, "
        "collections.Counter"}},
      {"pickle-proto5.pkl", kPickle, true,
       {"pickle protocol 5; imports collections.Counter, collections.deque"}},
      {"torch-legacy.pt", kTorchLegacy, true,
       {"pickle protocol 2; imports collections.OrderedDict, torch._utils._rebuild_tensor_v2, "
        "torch.FloatStorage"}},
      {"torch-zip.pt", kTorchZip, true,
       {"archive/data.pkl: pickle protocol 2; imports collections.OrderedDict, "
        "torch._utils._rebuild_tensor_v2, torch.FloatStorage"}},
      {"torchscript.pt", kTorchScript, true,
       {"model/data.pkl: pickle protocol 2; imports __torch__.Model"}},
      {"array.npy", kNpy, false, {"npy 1.0; {'descr': '<f4', 'fortran_order': False"}},
      {"object-array.npy", kNpy, true, {"object dtype", "'descr': '|O'"}},
      {"arrays.npz", kNpz, false, {"entries weights.npy, steps.npy"}},
      {"arrays-compressed.npz", kNpz, false,
       {"entries weights.npy; dtype of 1 not checked (compressed or past the bytes read)"}},
      {"object-arrays.npz", kNpz, true,
       {"object dtype (data is a pickle) in meta.npy", "entries weights.npy, meta.npy"}},
      {"model.keras", kKeras, false,
       {"entries metadata.json, config.json, model.weights.h5"}},
      {"plain.zip", kZip, false, {"entries README.txt, docs/notes.txt"}},
      {"model.gguf", kGguf, false, {"GGUF version 3; 1 tensors, 3 metadata keys"}},
      {"model-ggml.bin", "GGML model (legacy, before GGUF)", false, {}},
      {"model-ggmf.bin", "GGMF model (legacy, before GGUF)", false, {"version 1"}},
      {"model-ggjt.bin", "GGJT model (legacy, before GGUF)", false, {"version 3"}},
      {"model.h5", kHdf5, false, {"superblock version 0"}},
      {"model.onnx", kOnnx, false, {"ir_version 8; producer pytorch 2.1.0"}},
      {"model.tflite", kTflite, false, {}},
      {"model.pkl.gz", kGzip, false, {"original name model.pkl"}},
      {"lfs-pointer.safetensors", kLfs, false,
       {"pointer to 548105171 bytes (sha256:", "git lfs pull"}},
      // Samples for model-file grading (model_file_test.cc), named here too.
      {"pickle-global-only-proto4.pkl", kPickle, true, {"pickle protocol 4; imports posix.system"}},
      {"pickle-proto4-global-opcode.pkl", kPickle, true,
       {"pickle protocol 4; imports posix.system"}},
      {"pickle-proto0-exploit.pkl", kPickle, true, {"pickle protocol 0; imports os.system"}},
      {"pickle-stack-global-memo.pkl", kPickle, true, {"pickle protocol 4; imports posix.system"}},
      {"pickle-ext.pkl", kPickle, true, {"imports <copyreg extension 42>"}},
      {"pickle-called-then-junk.pkl", kPickle, true,
       {"pickle protocol 0; imports os.system before it turns malformed at byte 25"}},
      {"pickle-safetensors-glot.bin", kPickle, true, {"pickle protocol 1; imports os.system"}},
      // joblib writes an array's bytes inside the pickle stream: the walk stops
      // there, after the imports have been called.
      {"model.joblib", kPickle, true,
       {"imports sklearn.linear_model._base.LinearRegression, joblib.numpy_pickle."
        "NumpyArrayWrapper, numpy.ndarray before it turns malformed at byte 259"}},
      {"training_args.bin", kTorchZip, true,
       {"training_args/data.pkl: pickle protocol 2; imports "
        "transformers.training_args.TrainingArguments"}},
      {"torch-zip-state-dict.pt", kTorchZip, true,
       {"torch.BFloat16Storage", "torch._utils._rebuild_tensor_v3"}},
      {"object-member-noext.npz", kNpz, true, {"object dtype (data is a pickle) in meta"}},
  };
  return samples;
}

std::vector<std::string> NegativeSamples() {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(kForeignDir + "negative")) {
    files.push_back("negative/" + entry.path().filename().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<uint8_t> Load(const std::string& file) {
  return testing::ReadFileBytes(kForeignDir + file);
}

std::vector<uint8_t> Bytes(std::string_view text) { return {text.begin(), text.end()}; }

std::optional<ForeignFormat> Identify(const std::vector<uint8_t>& bytes) {
  return IdentifyForeignFormat(bytes, bytes.size());
}

// What every answer must satisfy, whatever the input.
::testing::AssertionResult WellFormed(const std::optional<ForeignFormat>& found) {
  if (!found) return ::testing::AssertionSuccess();
  if (found->name.empty()) return ::testing::AssertionFailure() << "empty name";
  if (found->detail.size() > kMaxForeignDetailBytes) {
    return ::testing::AssertionFailure() << "detail of " << found->detail.size() << " bytes";
  }
  for (char c : found->detail) {
    if (c < 0x20 || c > 0x7e) return ::testing::AssertionFailure() << "unprintable detail";
  }
  return ::testing::AssertionSuccess();
}

TEST(IdentifyForeignFormat, EverySampleIsNamed) {
  for (const Sample& s : Samples()) {
    SCOPED_TRACE(s.file);
    const std::vector<uint8_t> bytes = Load(s.file);
    ASSERT_FALSE(bytes.empty());
    const std::optional<ForeignFormat> found = Identify(bytes);
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->name, s.name);
    EXPECT_EQ(found->runs_code_on_load, s.runs_code);
    for (const std::string& part : s.detail_has) {
      EXPECT_NE(found->detail.find(part), std::string::npos) << found->detail;
    }
    EXPECT_TRUE(WellFormed(found));
  }
}

// Asked for the name only, every sample and every mutation of one is named
// (or not) exactly as with its detail, and a pickle's detail is left empty.
TEST(IdentifyForeignFormat, NameOnlyAgreesWithTheDescription) {
  std::mt19937 rng(3);
  size_t named = 0;
  for (const Sample& s : Samples()) {
    SCOPED_TRACE(s.file);
    const std::vector<uint8_t> bytes = Load(s.file);
    for (int round = 0; round < 100; ++round) {
      std::vector<uint8_t> mutated = bytes;
      if (round > 0) mutated[rng() % mutated.size()] = static_cast<uint8_t>(rng());
      const std::optional<ForeignFormat> full = Identify(mutated);
      const std::optional<ForeignFormat> name_only =
          IdentifyForeignFormat(mutated, mutated.size(), ForeignDetail::kNameOnly);
      ASSERT_EQ(full.has_value(), name_only.has_value()) << round;
      if (!full) continue;
      ++named;
      EXPECT_EQ(full->family, name_only->family);
      EXPECT_EQ(full->name, name_only->name);
      EXPECT_EQ(full->runs_code_on_load, name_only->runs_code_on_load);
      if (full->family == ForeignFamily::kPickle || full->family == ForeignFamily::kTorchLegacy) {
        EXPECT_EQ(name_only->detail, "");
      } else {
        EXPECT_EQ(name_only->detail, full->detail);
      }
    }
  }
  EXPECT_GT(named, Samples().size() * 50);
}

TEST(IdentifyForeignFormat, NegativeSamplesAreNotNamed) {
  const std::vector<std::string> files = NegativeSamples();
  ASSERT_GE(files.size(), 5u);
  for (const std::string& file : files) {
    SCOPED_TRACE(file);
    const std::optional<ForeignFormat> found = Identify(Load(file));
    EXPECT_FALSE(found.has_value()) << found->name << ": " << found->detail;
  }
}

TEST(IdentifyForeignFormat, TextIsNotAPickle) {
  for (const std::string_view text : std::initializer_list<std::string_view>{
           "", "hello world", "hello world\n", "{\"a\": 1}", "[1, 2, 3]",
           "N", "N.", "I1\n.", "0,1,2\n", "import torch\n", "class Model:\n  pass\n",
           "c is for cookie\n", "cos system\n(S'ls'\ntR.", "(lp0 is not a list\n",
           "lllllllll", "((((((((((((((((((((((((((((((((",
           "The quick brown fox jumps over the lazy dog.\n", "# README\n\nSome text.\n",
           "version https://example.com/not-lfs\n", "GGU", "PK", "\x89HDF"}) {
    SCOPED_TRACE(std::string(text));
    const std::optional<ForeignFormat> found = Identify(Bytes(text));
    EXPECT_FALSE(found.has_value()) << found->name << ": " << found->detail;
  }
}

// An unpickler runs REDUCE as it reads it: junk after it comes too late.
TEST(IdentifyForeignFormat, PickleCalledBeforeItBreaksIsNamed) {
  const std::optional<ForeignFormat> found =
      Identify(Bytes("cos\nsystem\n(S'echo hi'\ntR\xff"));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->detail,
            "pickle protocol 0; imports os.system before it turns malformed at byte 25");
  // An import nothing called, then junk: text could do that.
  EXPECT_FALSE(Identify(Bytes("cos\nsystem\n\xff")).has_value());
}

TEST(IdentifyForeignFormat, ClassicPickleExploitIsNamed) {
  // The textbook protocol-0 payload: no PROTO, no memo, one import.
  const std::optional<ForeignFormat> found = Identify(Bytes("cos\nsystem\n(S'echo hi'\ntR."));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->name, kPickle);
  EXPECT_TRUE(found->runs_code_on_load);
  EXPECT_EQ(found->detail, "pickle protocol 0; imports os.system");
  // And with INST instead of GLOBAL + REDUCE.
  const std::optional<ForeignFormat> inst = Identify(Bytes("(S'echo hi'\nios\nsystem\n."));
  ASSERT_TRUE(inst.has_value());
  EXPECT_EQ(inst->detail, "pickle protocol 0; imports os.system");
}

// Every prefix of every sample, each in a buffer of its exact size, as the
// whole file and as the window of the longer file: nothing crashes or reads
// out of bounds (ASan), every answer is well formed.
TEST(IdentifyForeignFormat, EveryPrefixIsSafe) {
  std::vector<std::string> files = NegativeSamples();
  for (const Sample& s : Samples()) files.push_back(s.file);
  for (const std::string& file : files) {
    SCOPED_TRACE(file);
    const std::vector<uint8_t> bytes = Load(file);
    for (size_t length = 0; length <= bytes.size(); ++length) {
      const std::vector<uint8_t> prefix(bytes.begin(), bytes.begin() + length);
      EXPECT_TRUE(WellFormed(IdentifyForeignFormat(prefix, length))) << length;
      EXPECT_TRUE(WellFormed(IdentifyForeignFormat(prefix, bytes.size()))) << length;
      EXPECT_TRUE(WellFormed(IdentifyForeignFormat(prefix, UINT64_MAX))) << length;
    }
  }
}

// A window that cuts a file still names it, once the deciding bytes are in.
TEST(IdentifyForeignFormat, CutWindowsKeepTheName) {
  for (const Sample& s : Samples()) {
    SCOPED_TRACE(s.file);
    const std::vector<uint8_t> bytes = Load(s.file);
    // Without PROTO a cut pickle needs many opcodes (kMinOpcodesWithoutMagicCut),
    // with it two: these samples are too short to be cut and still qualify.
    if (s.name == kPickle && (bytes[0] != 0x80 || bytes.size() < 64)) continue;
    for (size_t length = bytes.size() / 2; length < bytes.size(); ++length) {
      const std::vector<uint8_t> prefix(bytes.begin(), bytes.begin() + length);
      const std::optional<ForeignFormat> found = IdentifyForeignFormat(prefix, bytes.size());
      ASSERT_TRUE(found.has_value()) << length;
      EXPECT_EQ(found->name, s.name) << length;
      EXPECT_EQ(found->runs_code_on_load, s.runs_code) << length;
    }
  }
}

TEST(IdentifyForeignFormat, MutatedSamplesAreSafe) {
  std::mt19937 rng(20240101);
  for (const Sample& s : Samples()) {
    SCOPED_TRACE(s.file);
    const std::vector<uint8_t> bytes = Load(s.file);
    for (int round = 0; round < 400; ++round) {
      std::vector<uint8_t> mutated = bytes;
      const int edits = 1 + static_cast<int>(rng() % 4);
      for (int e = 0; e < edits; ++e) {
        const size_t at = rng() % mutated.size();
        switch (rng() % 3) {
          case 0: mutated[at] = static_cast<uint8_t>(rng()); break;
          case 1: mutated[at] = (rng() % 2) ? 0xff : 0x00; break;
          default: mutated[at] ^= static_cast<uint8_t>(1u << (rng() % 8)); break;
        }
      }
      mutated.resize(rng() % 2 ? mutated.size() : rng() % (mutated.size() + 1));
      EXPECT_TRUE(WellFormed(IdentifyForeignFormat(mutated, mutated.size())));
      EXPECT_TRUE(WellFormed(IdentifyForeignFormat(mutated, bytes.size() * 2)));
    }
  }
}

TEST(IdentifyForeignFormat, RandomBytesAreNotNamed) {
  std::mt19937 rng(7);
  for (int round = 0; round < 2000; ++round) {
    std::vector<uint8_t> bytes(rng() % 2048);
    for (uint8_t& b : bytes) b = static_cast<uint8_t>(rng());
    const std::optional<ForeignFormat> found = Identify(bytes);
    EXPECT_FALSE(found.has_value()) << round << ": " << found->name;
  }
}

// A protocol-2 pickle: MARK, the GLOBALs, TUPLE, STOP.
std::vector<uint8_t> PickleImporting(const std::vector<std::string>& globals) {
  std::string text = "\x80\x02(";
  for (const std::string& g : globals) text += "c" + g + "\n";
  return Bytes(text + "t.");
}

TEST(IdentifyForeignFormat, ImportListIsDedupedAndCapped) {
  // "module<i>\nf" (appended, not operator+: g++ 12 -O3 has a -Wrestrict
  // false positive on string + string).
  const auto global = [](std::string_view module, int i) {
    std::string pair(module);
    pair += std::to_string(i);
    pair += "\nf";
    return pair;
  };
  std::vector<std::string> globals;
  for (int i = 0; i < 20; ++i) globals.push_back(global("mod", i));
  for (int i = 0; i < 20; ++i) globals.push_back(global("mod", i));  // again
  const std::optional<ForeignFormat> found = Identify(PickleImporting(globals));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->detail,
            "pickle protocol 2; imports mod0.f, mod1.f, mod2.f, mod3.f, mod4.f, mod5.f, "
            "mod6.f, mod7.f and 12 more");

  globals.clear();
  for (int i = 0; i < 100; ++i) globals.push_back(global("m", i));
  const std::optional<ForeignFormat> many = Identify(PickleImporting(globals));
  ASSERT_TRUE(many.has_value());
  EXPECT_NE(many->detail.find("m7.f and at least 56 more"), std::string::npos) << many->detail;
}

TEST(IdentifyForeignFormat, DetailIsBoundedAndEscaped) {
  const std::string long_name(5000, 'a');
  const std::optional<ForeignFormat> found =
      Identify(PickleImporting({long_name + "\n" + long_name, "b\n" + long_name}));
  ASSERT_TRUE(found.has_value());
  EXPECT_TRUE(WellFormed(found));
  EXPECT_EQ(found->detail.size(), kMaxForeignDetailBytes);
  EXPECT_EQ(found->detail.substr(found->detail.size() - 3), "...");

  // Non-ASCII module name (UTF-8 is a legal identifier) and a zip entry name
  // with an escape character: shown escaped.
  const std::optional<ForeignFormat> utf8 = Identify(PickleImporting({"m\xc3\xa9\nf"}));
  ASSERT_TRUE(utf8.has_value());
  EXPECT_EQ(utf8->detail, "pickle protocol 2; imports m\\xc3\\xa9.f");
}

// The 30-byte local header of a stored zip entry.
std::string ZipLocalHeader(std::string_view name, uint32_t size, uint16_t flags = 0,
                           std::string_view extra = {}) {
  std::string h = "PK\x03\x04";
  const auto u16 = [&](uint32_t v) { h += char(v & 0xff); h += char((v >> 8) & 0xff); };
  const auto u32 = [&](uint32_t v) { u16(v & 0xffff); u16(v >> 16); };
  u16(20), u16(flags), u16(0), u16(0), u16(0), u32(0), u32(size), u32(size);
  u16(static_cast<uint32_t>(name.size())), u16(static_cast<uint32_t>(extra.size()));
  return h + std::string(name) + std::string(extra);
}

TEST(IdentifyForeignFormat, GitLfsPointerNamesTheLastOidAndSize) {
  const std::optional<ForeignFormat> found = Identify(Bytes(
      "version https://git-lfs.github.com/spec/v1\n"
      "oid sha256:first\nsize 1\noid sha256:\x01last\nsize 22\n"));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->name, kLfs);
  EXPECT_EQ(found->detail,
            "pointer to 22 bytes (sha256:\\x01last); the model file itself was never downloaded "
            "(git lfs pull)");
  // Without oid and size lines: "pointer" alone.
  const std::optional<ForeignFormat> bare =
      Identify(Bytes("version https://git-lfs.github.com/spec/v1\n"));
  ASSERT_TRUE(bare.has_value());
  EXPECT_EQ(bare->detail, "pointer; the model file itself was never downloaded (git lfs pull)");
}

TEST(IdentifyForeignFormat, ZipHeaders) {
  const std::string pickle = "\x80\x02" "ctorch._utils\n_rebuild_tensor_v2\n.";
  // Stored torch record, then an entry with a hostile name.
  std::string zip = ZipLocalHeader("a/data.pkl", uint32_t(pickle.size())) + pickle;
  zip += ZipLocalHeader("\x1b[31mred", 0);
  std::optional<ForeignFormat> found = Identify(Bytes(zip));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->name, kTorchZip);
  EXPECT_EQ(found->detail, "a/data.pkl: pickle protocol 2; imports torch._utils._rebuild_tensor_v2");

  // data.pkl needs a directory; a second directory level is not torch's.
  EXPECT_EQ(Identify(Bytes(ZipLocalHeader("data.pkl", 0)))->name, kZip);
  EXPECT_EQ(Identify(Bytes(ZipLocalHeader("a/b/data.pkl", 0)))->name, kZip);
  EXPECT_EQ(Identify(Bytes(ZipLocalHeader("/data.pkl", 0)))->name, kZip);

  // Hostile entry names come out escaped.
  found = Identify(Bytes(ZipLocalHeader("\x1b[31mred", 0)));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->detail, "entries \\x1b[31mred");

  // A data descriptor with no size: the walk stops after that entry.
  zip = ZipLocalHeader("x/y.npy", 0, 1 << 3) + "junk" + ZipLocalHeader("z/code/a.py", 0);
  found = Identify(Bytes(zip));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->name, kNpz);

  // zip64 marker without a zip64 field, sizes past the file, a name past the
  // window: still a ZIP archive, nothing read out of bounds.
  EXPECT_EQ(Identify(Bytes(ZipLocalHeader("a.bin", 0xFFFFFFFF)))->name, kZip);
  EXPECT_EQ(Identify(Bytes(ZipLocalHeader("a.bin", 0xFFFFFFF0)))->name, kZip);
  std::string cut = ZipLocalHeader("a-very-long-name.bin", 0);
  cut.resize(34);
  found = Identify(Bytes(cut));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->name, kZip);

  // A compressed data.pkl is named from the record name alone.
  zip = ZipLocalHeader("a/data.pkl", 4) + "abcd";
  zip[8] = 8;  // method deflate
  found = Identify(Bytes(zip));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->name, kTorchZip);
  EXPECT_EQ(found->detail, "a/data.pkl: compressed, not inspected");
}

// torch.jit.save writes the tensors before data.pkl and code/: a window that
// holds only tensor records still says PyTorch.
TEST(IdentifyForeignFormat, TorchScriptWithOnlyTensorsInTheWindow) {
  const std::vector<uint8_t> bytes = Load("torchscript.pt");
  const std::vector<uint8_t> window(bytes.begin(), bytes.begin() + 100);
  const std::optional<ForeignFormat> found = IdentifyForeignFormat(window, bytes.size());
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->name, "PyTorch zip archive (torch.jit.save or torch.save)");
  EXPECT_TRUE(found->runs_code_on_load);
  EXPECT_EQ(found->detail, "entries model/data/0; data.pkl past the bytes read");
}

TEST(IdentifyForeignFormat, GgufVersionsAndEndianness) {
  std::string gguf = std::string("GGUF\x03\0\0\0", 8) + std::string(16, '\0');
  gguf[8] = 2;
  gguf[16] = 5;
  std::optional<ForeignFormat> found = Identify(Bytes(gguf));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->detail, "GGUF version 3; 2 tensors, 5 metadata keys");

  const std::string big = std::string("GGUF\0\0\0\x03", 8) + std::string(7, '\0') + "\x02" +
                          std::string(7, '\0') + "\x05";
  found = Identify(Bytes(big));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->detail, "GGUF version 3, big-endian; 2 tensors, 5 metadata keys");

  EXPECT_FALSE(Identify(Bytes(std::string("GGUF\0\0\0\0", 8))).has_value());  // version 0
  EXPECT_FALSE(Identify(Bytes(std::string("GGUF\1\2\3\4", 8))).has_value());  // implausible
}

TEST(IdentifyForeignFormat, PicklesLongerThanTheWindow) {
  // A protocol-2 list of many ints, longer than the window: walked to the
  // window's end, named, imports "in the bytes read".
  std::string big("\x80\x02]q\x00(", 6);
  while (big.size() < kIdentifyWindowBytes + 100) big += "K\x01";
  big += "e.";
  std::vector<uint8_t> bytes = Bytes(big);
  std::vector<uint8_t> window(bytes.begin(), bytes.begin() + kIdentifyWindowBytes);
  std::optional<ForeignFormat> found = IdentifyForeignFormat(window, bytes.size());
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->name, kPickle);
  EXPECT_EQ(found->detail, "pickle protocol 2; no imports in the bytes read");
  // The same window presented as the whole file is a truncated stream: a
  // pickle with PROTO must still reach STOP.
  EXPECT_FALSE(IdentifyForeignFormat(window, window.size()).has_value());

  // Protocol 0, no magic: many opcodes and a memo write are enough when cut.
  std::string text = "(lp0\n";
  while (text.size() < kIdentifyWindowBytes + 100) text += "I1\naI22\na";
  bytes = Bytes(text);
  window.assign(bytes.begin(), bytes.begin() + kIdentifyWindowBytes);
  found = IdentifyForeignFormat(window, bytes.size());
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->detail, "pickle protocol 0; no imports in the bytes read");
}

TEST(IdentifyForeignFormat, PickleStackDiscipline) {
  // Underflow past a mark, an unknown memo key, a length past the file, an
  // unsupported protocol: none of them is a pickle.
  EXPECT_FALSE(Identify(Bytes("\x80\x02(R.")).has_value());
  EXPECT_FALSE(Identify(Bytes("\x80\x02h\x05.")).has_value());
  EXPECT_FALSE(Identify(Bytes(std::string("\x80\x02X\xff\0\0\0ab.", 10))).has_value());
  EXPECT_FALSE(Identify(Bytes("\x80\x06N.")).has_value());
  EXPECT_FALSE(Identify(Bytes("\x80\x02N\x80\x07.")).has_value());
  // STACK_GLOBAL on values that are not pushed strings: named as computed.
  const std::optional<ForeignFormat> found = Identify(Bytes("\x80\x04NN\x93."));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->detail, "pickle protocol 4; imports <computed>.<computed>");
}

TEST(IdentifyForeignFormat, MagicLessPicklesNeedACleanStop) {
  // Without the PROTO magic only a STOP that leaves exactly one value (and
  // no open mark) makes a pickle: these walk as opcodes, write the memo and
  // stop, but leave two values or an open mark behind.
  EXPECT_FALSE(Identify(Bytes("NNp0\n.")).has_value());
  EXPECT_FALSE(Identify(Bytes("(Np0\n.")).has_value());
  // The same with a clean stop is a protocol-0 pickle.
  EXPECT_TRUE(Identify(Bytes("(Np0\nl.")).has_value());
}

TEST(IdentifyForeignFormat, FileSizeSmallerThanTheBytesIsTolerated) {
  const std::vector<uint8_t> bytes = Load("torch-zip.pt");
  const std::optional<ForeignFormat> found = IdentifyForeignFormat(bytes, 0);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->name, kTorchZip);
}

}  // namespace
}  // namespace stguard::internal
