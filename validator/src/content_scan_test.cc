// Unit tests for the deep scan (content_scan.cc and its stage in
// validate.cc): SHA-256 against known vectors and OpenSSL's one-shot call,
// NaN/Inf encodings of every float dtype, BOOL bytes, chunking that splits
// elements, the tiling precondition, the policy knobs and the report.
#include "content_scan.h"

#include <gtest/gtest.h>
#include <openssl/sha.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "report_assertions.h"
#include "safetensors_builder.h"
#include "stguard/validate.h"

namespace stguard {
namespace {

using internal::CanScan;
using internal::ContentScanner;
using internal::kNoOffset;
using internal::ScanTensor;
using internal::Sha256;
using testing::Dump;
using testing::Entry;
using testing::Has;
using testing::Lacks;
using testing::MakeFile;
using testing::P;

Sha256Digest OneShot(std::string_view bytes) {
  Sha256Digest digest{};
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest.data());
  return digest;
}

const uint8_t* U8(std::string_view s) { return reinterpret_cast<const uint8_t*>(s.data()); }

template <typename T>
std::string Bytes(std::initializer_list<T> values) {
  std::string out;
  for (const T v : values) out.append(reinterpret_cast<const char*>(&v), sizeof(T));
  return out;
}

// ---------------------------------------------------------------------------
// SHA-256

TEST(Sha256, KnownVectors) {
  Sha256 hash;
  EXPECT_EQ(DigestHex(hash.Finish()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(DigestHex(internal::EmptySha256()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  hash.Update(U8("abc"), 3);
  EXPECT_EQ(DigestHex(hash.Finish()),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // Finish starts over: the same input gives the same digest again.
  hash.Update(U8("ab"), 2);
  hash.Update(U8("c"), 1);
  EXPECT_EQ(DigestHex(hash.Finish()),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(FileHasher, LargeInputsHashedInTheBackgroundMatchOneShot) {
  std::string data(5 << 20, '\0');
  std::mt19937 rng(7);
  for (char& c : data) c = static_cast<char>(rng());
  internal::FileHasher hasher;
  // Pieces above and below the background threshold, in order.
  size_t at = 0;
  for (const size_t piece : {size_t{100}, size_t{2 << 20}, size_t{17}, size_t{3 << 20}}) {
    const size_t n = std::min(piece, data.size() - at);
    hasher.Submit(U8(data) + at, n);
    at += n;
  }
  hasher.Submit(U8(data) + at, data.size() - at);
  EXPECT_EQ(hasher.Finish(), OneShot(data));
}

// ---------------------------------------------------------------------------
// Element classification, one dtype at a time

struct Counts {
  uint64_t nan, inf, bad_bool, first_nonfinite, first_bad_bool;
};

Counts ScanOne(Dtype dtype, const std::string& bytes, size_t chunk = SIZE_MAX) {
  ContentScanner scanner({{"t", dtype, 0, bytes.size()}});
  for (size_t at = 0; at < bytes.size(); at += chunk) {
    scanner.Consume(U8(bytes) + at, std::min(chunk, bytes.size() - at));
  }
  scanner.Finish();
  EXPECT_TRUE(scanner.complete());
  const internal::TensorScan& r = scanner.results().at(0);
  EXPECT_EQ(r.sha256, OneShot(bytes));
  return {r.nan_count, r.inf_count, r.invalid_bool_count, r.first_nonfinite,
          r.first_invalid_bool};
}

TEST(ContentScanner, F32NanAndInfBothSigns) {
  const std::string b = Bytes<uint32_t>({0x3f800000,    // 1.0
                                         0x7f800000,    // +Inf
                                         0xff800000,    // -Inf
                                         0x7fc00000,    // quiet NaN
                                         0xffc00001,    // negative NaN
                                         0x7f800001,    // signalling NaN
                                         0x7f7fffff,    // largest finite
                                         0x00000001});  // denormal
  const Counts c = ScanOne(Dtype::kF32, b);
  EXPECT_EQ(c.nan, 3u);
  EXPECT_EQ(c.inf, 2u);
  EXPECT_EQ(c.first_nonfinite, 4u);
  EXPECT_EQ(c.bad_bool, 0u);
}

TEST(ContentScanner, F16AndBF16) {
  const std::string f16 = Bytes<uint16_t>({0x3c00, 0x7c00, 0xfc00, 0x7e00, 0x7c01, 0x7bff});
  Counts c = ScanOne(Dtype::kF16, f16);
  EXPECT_EQ(c.nan, 2u);
  EXPECT_EQ(c.inf, 2u);
  EXPECT_EQ(c.first_nonfinite, 2u);
  // 0x7c00 is an ordinary finite value in BF16 (about 2.7e36).
  const std::string bf16 = Bytes<uint16_t>({0x3f80, 0x7c00, 0x7f80, 0xff80, 0x7fc0, 0xff81});
  c = ScanOne(Dtype::kBF16, bf16);
  EXPECT_EQ(c.nan, 2u);
  EXPECT_EQ(c.inf, 2u);
  EXPECT_EQ(c.first_nonfinite, 4u);
}

TEST(ContentScanner, F64AndC64) {
  const std::string f64 = Bytes<uint64_t>(
      {0x3ff0000000000000ull, 0x7ff0000000000000ull, 0xfff8000000000000ull, 0x7fefffffffffffffull});
  Counts c = ScanOne(Dtype::kF64, f64);
  EXPECT_EQ(c.nan, 1u);
  EXPECT_EQ(c.inf, 1u);
  EXPECT_EQ(c.first_nonfinite, 8u);
  // C64: each F32 component counts.
  const std::string c64 = Bytes<uint32_t>({0x3f800000, 0x7fc00000, 0x7f800000, 0x7f800000});
  c = ScanOne(Dtype::kC64, c64);
  EXPECT_EQ(c.nan, 1u);
  EXPECT_EQ(c.inf, 2u);
  EXPECT_EQ(c.first_nonfinite, 4u);
}

TEST(ContentScanner, Float8Variants) {
  // E5M2: IEEE-like, 0x7c Inf, 0x7d..0x7f NaN.
  Counts c = ScanOne(Dtype::kF8_E5M2, Bytes<uint8_t>({0x3c, 0x7c, 0xfc, 0x7d, 0xff, 0x7b}));
  EXPECT_EQ(c.nan, 2u);
  EXPECT_EQ(c.inf, 2u);
  // E4M3FN: no Inf, only S.1111.111 is NaN (0x7e is 448, finite).
  c = ScanOne(Dtype::kF8_E4M3, Bytes<uint8_t>({0x7e, 0x7f, 0xff, 0x78, 0x00}));
  EXPECT_EQ(c.nan, 2u);
  EXPECT_EQ(c.inf, 0u);
  EXPECT_EQ(c.first_nonfinite, 1u);
  // FNUZ: 0x80 is the only NaN (no negative zero), no Inf.
  for (const Dtype d : {Dtype::kF8_E4M3FNUZ, Dtype::kF8_E5M2FNUZ}) {
    c = ScanOne(d, Bytes<uint8_t>({0x7f, 0xff, 0x80, 0x00, 0x7c}));
    EXPECT_EQ(c.nan, 1u);
    EXPECT_EQ(c.inf, 0u);
    EXPECT_EQ(c.first_nonfinite, 2u);
  }
  // E8M0: 0xff is NaN.
  c = ScanOne(Dtype::kF8_E8M0, Bytes<uint8_t>({0x7f, 0xfe, 0xff, 0x00}));
  EXPECT_EQ(c.nan, 1u);
  EXPECT_EQ(c.inf, 0u);
}

TEST(ScanValues, RuntimeChosenBuildAgreesWithTheBaselineBuild) {
  // ScanValues runs an AVX2 build of the loops on CPUs that have it; the
  // baseline build is the reference. Random bytes hold NaN and Inf
  // encodings of every float format at random places; lengths that are not
  // a multiple of any vector width; a first offender early, late, or none.
  std::mt19937_64 rng(7);
  for (const Dtype dtype : {Dtype::kF32, Dtype::kF16, Dtype::kBF16, Dtype::kF64, Dtype::kC64,
                            Dtype::kF8_E5M2, Dtype::kF8_E4M3, Dtype::kF8_E4M3FNUZ,
                            Dtype::kF8_E5M2FNUZ, Dtype::kF8_E8M0, Dtype::kBOOL}) {
    const uint32_t element = internal::ScannedElementBytes(dtype);
    for (const size_t count : {size_t{1}, size_t{31}, size_t{1000}, size_t{70001}}) {
      std::vector<uint8_t> random(count * element);
      for (uint8_t& b : random) b = static_cast<uint8_t>(rng());
      if (dtype == Dtype::kBOOL) {
        for (uint8_t& b : random) b = rng() % 100 == 0 ? b : (b & 1);
      }
      // Every element an offender (0xff.. is NaN or a bad BOOL, 0x80 the
      // FNUZ formats' NaN): every element counts, the last one too.
      const std::vector<uint8_t> all_ff(count * element, 0xff);
      const std::vector<uint8_t> all_80(count * element, 0x80);
      const std::vector<uint8_t>* const inputs[] = {&random, &all_ff, &all_80};
      for (const std::vector<uint8_t>* bytes : inputs) {
        internal::TensorScan fast;
        internal::TensorScan baseline;
        internal::ScanValues(dtype, bytes->data(), count, 1000, fast);
        internal::ScanValuesBaseline(dtype, bytes->data(), count, 1000, baseline);
        EXPECT_EQ(fast.nan_count, baseline.nan_count) << DtypeName(dtype) << " x" << count;
        EXPECT_EQ(fast.inf_count, baseline.inf_count) << DtypeName(dtype) << " x" << count;
        EXPECT_EQ(fast.invalid_bool_count, baseline.invalid_bool_count) << DtypeName(dtype);
        EXPECT_EQ(fast.first_nonfinite, baseline.first_nonfinite) << DtypeName(dtype);
        EXPECT_EQ(fast.first_invalid_bool, baseline.first_invalid_bool) << DtypeName(dtype);
        if (bytes == &random && count == 70001 && dtype != Dtype::kBOOL) {
          // Random bits hold some NaN in every float format at this length.
          EXPECT_GT(baseline.nan_count, 0u) << DtypeName(dtype);
        }
      }
      // The baseline build counts every offender of the uniform inputs.
      internal::TensorScan ff;
      internal::ScanValuesBaseline(dtype, all_ff.data(), count, 0, ff);
      internal::TensorScan x80;
      internal::ScanValuesBaseline(dtype, all_80.data(), count, 0, x80);
      // (A C64 is scanned as its F32 components: `count` of them here.)
      EXPECT_EQ(ff.nan_count + ff.invalid_bool_count + x80.nan_count, count)
          << DtypeName(dtype) << " x" << count;
    }
  }
}

TEST(ContentScanner, IntegersAndSubByteFormatsHaveNoNonFiniteValues) {
  const std::string all_ones(16, '\xff');
  for (const Dtype d : {Dtype::kU8, Dtype::kI8, Dtype::kI16, Dtype::kU16, Dtype::kI32,
                        Dtype::kU32, Dtype::kI64, Dtype::kU64, Dtype::kF4, Dtype::kF6_E2M3,
                        Dtype::kF6_E3M2}) {
    const Counts c = ScanOne(d, all_ones);
    EXPECT_EQ(c.nan + c.inf + c.bad_bool, 0u) << DtypeName(d);
    EXPECT_EQ(c.first_nonfinite, kNoOffset);
  }
}

TEST(ContentScanner, BoolBytesOtherThanZeroAndOne) {
  const Counts c = ScanOne(Dtype::kBOOL, Bytes<uint8_t>({0, 1, 1, 2, 0, 255, 1}));
  EXPECT_EQ(c.bad_bool, 2u);
  EXPECT_EQ(c.first_bad_bool, 3u);
  EXPECT_EQ(c.nan + c.inf, 0u);
}

TEST(ContentScanner, ElementsSplitAcrossChunksAreCountedOnce) {
  // Three NaN, one Inf among 1,000 F64 values, fed in every chunk size from
  // 1 to 17 bytes (splitting elements everywhere) and in one piece.
  std::vector<uint64_t> values(1000, 0x4000000000000000ull);
  values[0] = 0x7ff8000000000000ull;
  values[499] = 0xfff0000000000000ull;
  values[500] = 0x7ff0000000000001ull;
  values[999] = 0xfff8000000000000ull;
  const std::string bytes(reinterpret_cast<const char*>(values.data()), values.size() * 8);
  for (size_t chunk = 1; chunk <= 17; ++chunk) {
    const Counts c = ScanOne(Dtype::kF64, bytes, chunk);
    EXPECT_EQ(c.nan, 3u) << chunk;
    EXPECT_EQ(c.inf, 1u) << chunk;
    EXPECT_EQ(c.first_nonfinite, 0u) << chunk;
  }
  // A count that spans more than one internal block (65,536 elements).
  std::vector<uint32_t> many(200'000, 0x3f800000);
  many[150'000] = 0x7f800000;
  const std::string big(reinterpret_cast<const char*>(many.data()), many.size() * 4);
  const Counts c = ScanOne(Dtype::kF32, big, 65'537);
  EXPECT_EQ(c.inf, 1u);
  EXPECT_EQ(c.first_nonfinite, 600'000u);
}

TEST(ContentScanner, TensorsTileTheDataAndZeroSizeOnesGetTheEmptyHash) {
  const std::string a = Bytes<uint32_t>({0x7fc00000, 1});
  const std::string b = Bytes<uint8_t>({0, 1, 7});
  const std::string data = a + b;
  std::vector<ScanTensor> tensors = {{"empty0", Dtype::kF32, 0, 0},
                                     {"a", Dtype::kF32, 0, 8},
                                     {"empty8", Dtype::kF16, 8, 8},
                                     {"b", Dtype::kBOOL, 8, 11},
                                     {"empty11", Dtype::kBOOL, 11, 11}};
  for (size_t chunk = 1; chunk <= data.size(); ++chunk) {
    ContentScanner scanner(tensors);
    for (size_t at = 0; at < data.size(); at += chunk) {
      scanner.Consume(U8(data) + at, std::min(chunk, data.size() - at));
    }
    // Bytes past the last tensor are ignored (the layout rules report them).
    scanner.Consume(U8("xyz"), 3);
    scanner.Finish();
    ASSERT_TRUE(scanner.complete()) << chunk;
    const auto& r = scanner.results();
    EXPECT_EQ(r[0].sha256, internal::EmptySha256());
    EXPECT_EQ(r[1].sha256, OneShot(a));
    EXPECT_EQ(r[1].nan_count, 1u);
    EXPECT_EQ(r[2].sha256, internal::EmptySha256());
    EXPECT_EQ(r[3].sha256, OneShot(b));
    EXPECT_EQ(r[3].invalid_bool_count, 1u);
    EXPECT_EQ(r[3].first_invalid_bool, 10u);
    EXPECT_EQ(r[4].sha256, internal::EmptySha256());
  }
}

TEST(ContentScanner, IncompleteWhenTheBytesStopShort) {
  ContentScanner scanner({{"a", Dtype::kU8, 0, 4}, {"b", Dtype::kU8, 4, 8}});
  scanner.Consume(U8("12345"), 5);
  scanner.Finish();
  EXPECT_FALSE(scanner.complete());
}

TEST(CanScan, RequiresExactTilingAndWholeElements) {
  EXPECT_TRUE(CanScan({}));
  EXPECT_TRUE(CanScan({{"a", Dtype::kF32, 0, 8}, {"b", Dtype::kU8, 8, 9}}));
  EXPECT_FALSE(CanScan({{"a", Dtype::kF32, 4, 8}}));                             // gap at 0
  EXPECT_FALSE(CanScan({{"a", Dtype::kF32, 0, 8}, {"b", Dtype::kU8, 9, 10}}));   // gap
  EXPECT_FALSE(CanScan({{"a", Dtype::kF32, 0, 8}, {"b", Dtype::kU8, 7, 10}}));   // overlap
  EXPECT_FALSE(CanScan({{"a", Dtype::kF32, 0, 6}}));                             // 1.5 elements
  EXPECT_FALSE(CanScan({{"a", Dtype::kU8, 5, 3}}));                              // reversed
  // An unusable scanner scans nothing and never reports complete.
  ContentScanner scanner({{"a", Dtype::kF32, 0, 6}});
  scanner.Consume(U8("abcdef"), 6);
  scanner.Finish();
  EXPECT_FALSE(scanner.complete());
  EXPECT_TRUE(scanner.results().empty());
}

// ---------------------------------------------------------------------------
// The deep scan stage through the public API

ValidateOptions Deep(uint32_t chunk = 4 << 20) {
  ValidateOptions options;
  options.deep_scan = true;
  options.read_chunk_bytes = chunk;
  return options;
}

std::string FileText(const std::vector<uint8_t>& bytes) {
  return std::string(bytes.begin(), bytes.end());
}

// Two tensors: F32 with one NaN and one Inf, BOOL with one bad byte.
std::vector<uint8_t> ContentFile() {
  const std::string f32 = Bytes<uint32_t>({0x3f800000, 0x7fc00000, 0xff800000, 0});
  const std::string flags = Bytes<uint8_t>({1, 0, 3, 1});
  const std::string header = testing::PadToEight(
      "{" + Entry("w", "F32", {4}, 0, 16) + "," + Entry("mask", "BOOL", {4}, 16, 20) + "}");
  return MakeFile(header, f32 + flags);
}

TEST(DeepScan, WithoutItNothingIsReadOrReported) {
  const Report r = ValidateBuffer(ContentFile(), P("strict"));
  EXPECT_FALSE(r.content.has_value());
  EXPECT_TRUE(Lacks(r, Code::kNonFiniteValues));
  EXPECT_TRUE(Lacks(r, Code::kBoolInvalidValues));
}

TEST(DeepScan, HashesTheFileAndEveryTensor) {
  const std::vector<uint8_t> file = ContentFile();
  const Report r = ValidateBuffer(file, P("compat"), Deep());
  ASSERT_TRUE(r.content.has_value()) << Dump(r);
  EXPECT_EQ(r.content->file_sha256, OneShot(FileText(file)));
  ASSERT_TRUE(r.content->tensors_scanned);
  ASSERT_EQ(r.content->tensors.size(), 2u);
  const uint64_t data_at = file.size() - 20;
  const TensorContent& w = r.content->tensors[0];
  EXPECT_EQ(w.name, "w");
  EXPECT_EQ(w.dtype, Dtype::kF32);
  EXPECT_EQ(w.data_begin, 0u);
  EXPECT_EQ(w.data_end, 16u);
  EXPECT_EQ(w.sha256, OneShot(FileText(file).substr(data_at, 16)));
  EXPECT_EQ(w.nan_count, 1u);
  EXPECT_EQ(w.inf_count, 1u);
  const TensorContent& mask = r.content->tensors[1];
  EXPECT_EQ(mask.name, "mask");
  EXPECT_EQ(mask.sha256, OneShot(FileText(file).substr(data_at + 16, 4)));
  EXPECT_EQ(mask.invalid_bool_count, 1u);
}

TEST(DeepScan, PolicyKnobsDecideTheSeverity) {
  const std::vector<uint8_t> file = ContentFile();
  const uint64_t data_at = file.size() - 20;
  // The offsets point at the first offending element in the file.
  Report r = ValidateBuffer(file, P("compat"), Deep());
  EXPECT_EQ(r.verdict, Verdict::kAccept) << Dump(r);
  EXPECT_TRUE(Has(r, Code::kNonFiniteValues, Severity::kWarning, data_at + 4));
  EXPECT_TRUE(Has(r, Code::kBoolInvalidValues, Severity::kWarning, data_at + 18));
  r = ValidateBuffer(file, P("default"), Deep());
  EXPECT_EQ(r.verdict, Verdict::kReject);
  EXPECT_TRUE(Has(r, Code::kNonFiniteValues, Severity::kWarning, data_at + 4));
  EXPECT_TRUE(Has(r, Code::kBoolInvalidValues, Severity::kError, data_at + 18));
  r = ValidateBuffer(file, P("strict"), Deep());
  EXPECT_TRUE(Has(r, Code::kNonFiniteValues, Severity::kError, data_at + 4));
  Policy quiet = P("default");
  quiet.nonfinite_values = Action::kIgnore;
  quiet.bool_values = Action::kIgnore;
  r = ValidateBuffer(file, quiet, Deep());
  EXPECT_EQ(r.verdict, Verdict::kAccept) << Dump(r);
  EXPECT_TRUE(Lacks(r, Code::kNonFiniteValues));
  // The counts stay in the report whatever the policy says.
  EXPECT_EQ(r.content->tensors[0].nan_count, 1u);
}

TEST(DeepScan, ChunkSizeDoesNotChangeTheReport) {
  const std::vector<uint8_t> file = ContentFile();
  const Report whole = ValidateBuffer(file, P("default"), Deep());
  for (uint32_t chunk = 1; chunk <= file.size() + 1; ++chunk) {
    const Report r = ValidateBuffer(file, P("default"), Deep(chunk));
    ASSERT_TRUE(r.content.has_value());
    EXPECT_EQ(*r.content, *whole.content) << chunk;
    EXPECT_EQ(r.findings.size(), whole.findings.size()) << chunk;
  }
}

TEST(DeepScan, BrokenLayoutStillHashesTheFileButNotTheTensors) {
  // A gap between the tensors: rejected by the layout rules.
  const std::string header = testing::PadToEight(
      "{" + Entry("a", "U8", {4}, 0, 4) + "," + Entry("b", "U8", {4}, 8, 12) + "}");
  const std::vector<uint8_t> file = MakeFile(header, std::string(12, '\x05'));
  const Report r = ValidateBuffer(file, P("compat"), Deep());
  EXPECT_TRUE(Has(r, Code::kDataGap, Severity::kError));
  ASSERT_TRUE(r.content.has_value());
  EXPECT_EQ(r.content->file_sha256, OneShot(FileText(file)));
  EXPECT_FALSE(r.content->tensors_scanned);
  EXPECT_TRUE(r.content->tensors.empty());
  // Not even a header: the file hash is still there.
  const std::string junk = "not a safetensors file at all";
  const Report j = ValidateBuffer(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(junk.data()), junk.size()),
      P("default"), Deep());
  EXPECT_EQ(j.verdict, Verdict::kReject);
  ASSERT_TRUE(j.content.has_value());
  EXPECT_EQ(j.content->file_sha256, OneShot(junk));
}

TEST(DeepScan, RangesThatDisagreeWithTheirShapesAreNotScanned) {
  // The ranges tile the data, but "a" claims 4 F32 values (16 bytes) in a
  // 12-byte range: the layout rules reject it (602), and the per-tensor pass
  // must not cut the data by ranges the rules found wrong.
  const std::string header = testing::PadToEight(
      "{" + Entry("a", "F32", {4}, 0, 12) + "," + Entry("b", "F32", {1}, 12, 16) + "}");
  const std::vector<uint8_t> file = MakeFile(header, std::string(16, '\0'));
  const Report r = ValidateBuffer(file, P("compat"), Deep());
  EXPECT_TRUE(Has(r, Code::kTensorSizeMismatch, Severity::kError)) << Dump(r);
  ASSERT_TRUE(r.content.has_value());
  EXPECT_FALSE(r.content->tensors_scanned);
  EXPECT_TRUE(r.content->tensors.empty());
  EXPECT_EQ(r.content->file_sha256, OneShot(FileText(file)));
}

TEST(DeepScan, BytesAfterTheLastTensorStopThePerTensorPass) {
  const std::string header = testing::PadToEight("{" + Entry("a", "U8", {4}, 0, 4) + "}");
  const std::vector<uint8_t> file = MakeFile(header, "abcdXY");
  const Report r = ValidateBuffer(file, P("compat"), Deep());
  EXPECT_TRUE(Has(r, Code::kDataTrailingBytes, Severity::kError)) << Dump(r);
  ASSERT_TRUE(r.content.has_value());
  EXPECT_FALSE(r.content->tensors_scanned);
}

TEST(DeepScan, FileAndBufferAgree) {
  const std::vector<uint8_t> file = ContentFile();
  const std::string path = ::testing::TempDir() + "/deep_scan_test.safetensors";
  {
    FILE* f = std::fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    ASSERT_EQ(std::fwrite(file.data(), 1, file.size(), f), file.size());
    std::fclose(f);
  }
  // Chunk sizes that cut elements and tensors at every remainder.
  for (const uint32_t chunk : {1u, 4u, 5u, 6u, 7u, 13u, 4096u}) {
    const FileReport from_file = ValidateFile(path, P("default"), Deep(chunk));
    ASSERT_TRUE(from_file.io_ok) << from_file.io_error;
    const Report from_memory = ValidateBuffer(file, P("default"), Deep(chunk));
    EXPECT_EQ(*from_file.report.content, *from_memory.content);
    EXPECT_EQ(Dump(from_file.report), Dump(from_memory));
  }
  std::remove(path.c_str());
}

TEST(DeepScan, LargeFileHashedOnTwoThreadsAgreesWithMemory) {
  // Chunks of at least FileHasher::kBackgroundMinBytes: the file hash runs
  // on the second thread while this one hashes and scans the tensors in
  // cache-sized pieces, and both read the next chunk in 512 KiB pieces. Three F32 tensors of
  // 1.5 MiB + 4 bytes cross every chunk boundary; values are a counter,
  // with a NaN near the end of each.
  constexpr uint32_t kElements = (3u << 19) / 4 * 3 + 1;
  std::vector<uint32_t> values(kElements * 3);
  for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<uint32_t>(i);
  for (size_t t = 0; t < 3; ++t) values[(t + 1) * kElements - 2] = 0x7fc00000;  // NaN
  std::string data(values.size() * 4, '\0');
  std::memcpy(data.data(), values.data(), data.size());
  std::string header = "{";
  for (uint64_t t = 0; t < 3; ++t) {
    header += (t ? "," : "") + Entry("w" + std::to_string(t), "F32", {kElements},
                                     t * kElements * 4, (t + 1) * kElements * 4);
  }
  const std::vector<uint8_t> file = MakeFile(testing::PadToEight(header + "}"), data);
  const std::string path = ::testing::TempDir() + "/deep_scan_large_test.safetensors";
  {
    FILE* f = std::fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    ASSERT_EQ(std::fwrite(file.data(), 1, file.size(), f), file.size());
    std::fclose(f);
  }
  const Report expected = ValidateBuffer(file, P("default"), Deep());
  ASSERT_TRUE(expected.content.has_value()) << Dump(expected);
  ASSERT_EQ(expected.content->tensors.size(), 3u);
  for (size_t t = 0; t < 3; ++t) {
    const TensorContent& content = expected.content->tensors[t];
    EXPECT_EQ(content.nan_count, 1u) << content.name;
    // Each tensor's hash, computed here in one call over its bytes.
    internal::Sha256 direct;
    direct.Update(reinterpret_cast<const uint8_t*>(data.data()) + t * kElements * 4,
                  kElements * 4);
    EXPECT_EQ(content.sha256, direct.Finish()) << content.name;
  }
  for (const uint32_t chunk : {1u << 20, (1u << 20) + 3, 4u << 20}) {
    const FileReport from_file = ValidateFile(path, P("default"), Deep(chunk));
    ASSERT_TRUE(from_file.io_ok) << from_file.io_error;
    ASSERT_TRUE(from_file.report.content.has_value());
    EXPECT_EQ(*from_file.report.content, *expected.content) << chunk;
    EXPECT_EQ(Dump(from_file.report), Dump(expected)) << chunk;
  }
  std::remove(path.c_str());
}

TEST(DeepScan, ManyFindingsAreCappedPerCode) {
  // 100 BOOL tensors, each with a bad byte: the report keeps 32 per code.
  std::string header = "{";
  std::string data;
  for (int i = 0; i < 100; ++i) {
    header += (i ? "," : "") + Entry("m" + std::to_string(i), "BOOL", {1}, i, i + 1);
    data += '\x02';
  }
  header += "}";
  const Report r = ValidateBuffer(MakeFile(testing::PadToEight(header), data), P("default"),
                                  Deep());
  size_t kept = 0;
  for (const Finding& f : r.findings) kept += f.code == Code::kBoolInvalidValues ? 1 : 0;
  EXPECT_EQ(kept, 32u);
  EXPECT_TRUE(Has(r, Code::kFindingsTruncated, Severity::kInfo));
  EXPECT_EQ(r.content->tensors.size(), 100u);
}

}  // namespace
}  // namespace stguard
