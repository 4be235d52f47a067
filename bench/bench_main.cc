// Header-validation benchmarks, each with its baseline in the same run:
//   BM_Validate/<family>/<tensors>  stguard::ValidateBuffer, policy compat
//   BM_SimdjsonDom/<family>/<tensors>  simdjson's bare DOM parse of the same
//                                  header bytes (the practical ceiling)
//   BM_Sha256                      OpenSSL EVP SHA-256 in memory (the future
//                                  --deep scan's floor)
// Families: "zero" is the worst case's entry ("t0000000": zero-size F32 at
// offset 0; 1,666,666 of them fill the 100,000,000-byte header exactly as
// scripts/make-worst-case-header.py does), "real" is a transformer-like entry
// (long names, BF16 [4,4], contiguous offsets).
//
//   stguard_bench [google-benchmark flags]
//   stguard_bench --write-inputs DIR   writes the same files for process runs
#include <simdjson.h>

#include <benchmark/benchmark.h>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "stguard/policy.h"
#include "stguard/validate.h"

#ifdef STGUARD_BENCH_SHA256
#include <openssl/evp.h>
#endif

namespace {

constexpr uint64_t kWorstHeaderBytes = 100'000'000;

std::string Prefix(uint64_t n) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xFF);
  return out;
}

// A whole file: prefix + header (+ zero data bytes are not stored: the
// "real" family's data section is not needed for header validation, so the
// in-memory file is prefix + header + data of the claimed size only when
// `with_data`).
struct Input {
  std::vector<uint8_t> file;  // prefix + header (+ data)
  size_t header_bytes = 0;
  size_t tensors = 0;
};

// Zero-size tensors at offset 0, padded with spaces to `target` bytes when
// target > 0 (the worst case), else to a multiple of 8.
Input MakeZero(size_t tensors, uint64_t target) {
  std::string header = "{";
  char entry[96];
  for (size_t i = 0; i < tensors; ++i) {
    const int n = std::snprintf(entry, sizeof entry,
                                "%s\"t%07zu\":{\"dtype\":\"F32\",\"shape\":[0],"
                                "\"data_offsets\":[0,0]}",
                                i == 0 ? "" : ",", i);
    header.append(entry, static_cast<size_t>(n));
  }
  header += "}";
  const size_t padded = target > 0 ? target : (header.size() + 7) / 8 * 8;
  header.resize(padded, ' ');
  Input in;
  in.header_bytes = header.size();
  in.tensors = tensors;
  const std::string file = Prefix(header.size()) + header;
  in.file.assign(file.begin(), file.end());
  return in;
}

// Transformer-like: "model.layers.L.<part>.weight", BF16 [4, 4], data
// contiguous (32 bytes each). The data section is sparse zeros in memory.
Input MakeReal(size_t tensors) {
  static const char* const kParts[] = {
      "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
      "mlp.gate_proj",    "mlp.up_proj",      "mlp.down_proj",    "input_layernorm",
  };
  constexpr uint64_t kBytes = 4 * 4 * 2;
  std::string header = "{\"__metadata__\":{\"format\":\"pt\"}";
  char entry[192];
  for (size_t i = 0; i < tensors; ++i) {
    const int n = std::snprintf(
        entry, sizeof entry,
        ",\"model.layers.%zu.%s.weight\":{\"dtype\":\"BF16\",\"shape\":[4,4],"
        "\"data_offsets\":[%llu,%llu]}",
        i / 8, kParts[i % 8], static_cast<unsigned long long>(i * kBytes),
        static_cast<unsigned long long>((i + 1) * kBytes));
    header.append(entry, static_cast<size_t>(n));
  }
  header += "}";
  header.resize((header.size() + 7) / 8 * 8, ' ');
  Input in;
  in.header_bytes = header.size();
  in.tensors = tensors;
  const std::string head = Prefix(header.size()) + header;
  in.file.assign(head.begin(), head.end());
  in.file.resize(head.size() + tensors * kBytes, 0);
  return in;
}

const Input& GetInput(int family, size_t tensors) {
  static std::map<std::pair<int, size_t>, Input> cache;
  auto it = cache.find({family, tensors});
  if (it == cache.end()) {
    Input in;
    if (family == 0) {
      in = tensors == 1'666'666 ? MakeZero(tensors, kWorstHeaderBytes) : MakeZero(tensors, 0);
    } else {
      in = MakeReal(tensors);
    }
    it = cache.emplace(std::make_pair(family, tensors), std::move(in)).first;
  }
  return it->second;
}

void SetCounters(benchmark::State& state, const Input& in) {
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * in.header_bytes));
  state.counters["tensors"] = static_cast<double>(in.tensors);
  state.counters["ns_per_tensor"] = benchmark::Counter(
      static_cast<double>(in.tensors) * 1e-9,
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

void BM_Validate(benchmark::State& state) {
  const Input& in = GetInput(static_cast<int>(state.range(0)), static_cast<size_t>(state.range(1)));
  const stguard::Policy policy = *stguard::BuiltinPolicy("compat");
  bool accepted = true;
  for (auto _ : state) {
    stguard::Report r = stguard::ValidateBuffer(in.file, policy);
    accepted &= r.verdict == stguard::Verdict::kAccept;
    benchmark::DoNotOptimize(r);
  }
  if (!accepted) state.SkipWithError("a benchmark input was rejected");
  SetCounters(state, in);
}

void BM_SimdjsonDom(benchmark::State& state) {
  const Input& in = GetInput(static_cast<int>(state.range(0)), static_cast<size_t>(state.range(1)));
  // simdjson wants padding after the text: a padded copy, made once.
  const simdjson::padded_string text(reinterpret_cast<const char*>(in.file.data()) + 8,
                                     in.header_bytes);
  simdjson::dom::parser parser;
  for (auto _ : state) {
    simdjson::dom::element root;
    if (parser.parse(text).get(root) != simdjson::SUCCESS) {
      state.SkipWithError("simdjson rejected the header");
      break;
    }
    benchmark::DoNotOptimize(root);
  }
  SetCounters(state, in);
}

void Families(benchmark::internal::Benchmark* b) {
  b->ArgNames({"family", "tensors"});
  for (int64_t n : {1'000, 10'000, 100'000}) b->Args({1, n});
  for (int64_t n : {1'000, 10'000, 100'000, 1'000'000, 1'666'666}) b->Args({0, n});
  b->Unit(benchmark::kMillisecond);
}

BENCHMARK(BM_Validate)->Apply(Families);
BENCHMARK(BM_SimdjsonDom)->Apply(Families);

#ifdef STGUARD_BENCH_SHA256
void BM_Sha256(benchmark::State& state) {
  std::vector<uint8_t> data(static_cast<size_t>(state.range(0)), 0x5A);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  for (auto _ : state) {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
    EVP_DigestUpdate(ctx, data.data(), data.size());
    EVP_DigestFinal_ex(ctx, digest, &length);
    EVP_MD_CTX_free(ctx);
    benchmark::DoNotOptimize(digest);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * data.size()));
}
BENCHMARK(BM_Sha256)->Arg(64 << 20)->Unit(benchmark::kMillisecond);
#endif

bool WriteFile(const std::string& path, const Input& in, size_t bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(in.file.data()), static_cast<std::streamsize>(bytes));
  return static_cast<bool>(out);
}

// The files the process benchmarks of scripts/bench use.
int WriteInputs(const std::string& dir) {
  bool ok = true;
  for (size_t n : {size_t{1'000}, size_t{100'000}}) {
    const Input& in = GetInput(1, n);
    ok &= WriteFile(dir + "/real-" + std::to_string(n) + ".safetensors", in, in.file.size());
  }
  for (size_t n : {size_t{1'000}, size_t{100'000}, size_t{1'666'666}}) {
    const Input& in = GetInput(0, n);
    ok &= WriteFile(dir + "/zero-" + std::to_string(n) + ".safetensors", in, in.file.size());
  }
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::strcmp(argv[1], "--write-inputs") == 0) return WriteInputs(argv[2]);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
