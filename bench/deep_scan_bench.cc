// Deep scan benchmarks (Google Benchmark), each with its baseline in the same
// run:
//   - OpenSSL EVP SHA-256 of a 1 GiB buffer in memory (the ceiling), and two
//     such streams on two threads (the hashing a deep scan must do), against
//     ValidateFile with deep_scan on a 1 GiB safetensors file in the page
//     cache (file hash + per-tensor hashes + NaN/Inf scan, all in one read);
//   - the read of the file out of the page cache alone: with the two
//     streams and the value scan, the work that bounds a deep scan;
//   - the NaN/Inf scan alone (ScanValues) per dtype, in GB/s of one core,
//     against memchr over the same bytes (a memory-bandwidth reference).
// The 1 GiB file is written once to $STGUARD_BENCH_DIR (default /tmp).
// Run: scripts/bench-deep (writes reports/performance-deep.md).
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "content_scan.h"
#include "stguard/validate.h"

namespace {

constexpr size_t kGiB = size_t{1} << 30;
constexpr size_t kTensorBytes = 64 << 20;  // 16 F32 tensors of 64 MiB

const std::vector<uint8_t>& RandomFloats(size_t bytes) {
  static std::vector<uint8_t> data;
  if (data.size() != bytes) {
    data.assign(bytes, 0);
    std::mt19937 rng(42);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    for (size_t i = 0; i + 4 <= bytes; i += 4) {
      const float f = dist(rng);
      std::memcpy(data.data() + i, &f, 4);
    }
  }
  return data;
}

std::string BenchFile() {
  const char* dir = std::getenv("STGUARD_BENCH_DIR");
  const std::string path = std::string(dir != nullptr ? dir : "/tmp") + "/stguard-deep-1gib.safetensors";
  if (FILE* existing = std::fopen(path.c_str(), "rb")) {
    std::fclose(existing);
    return path;
  }
  std::string header = "{";
  for (size_t i = 0; i < kGiB / kTensorBytes; ++i) {
    header += (i ? "," : "") + std::string("\"layer.") + std::to_string(i) +
              ".weight\":{\"dtype\":\"F32\",\"shape\":[" + std::to_string(kTensorBytes / 4) +
              "],\"data_offsets\":[" + std::to_string(i * kTensorBytes) + "," +
              std::to_string((i + 1) * kTensorBytes) + "]}";
  }
  header += "}";
  while (header.size() % 8 != 0) header += ' ';
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return path;
  const uint64_t n = header.size();
  std::fwrite(&n, 8, 1, f);
  std::fwrite(header.data(), 1, header.size(), f);
  const std::vector<uint8_t>& tensor = RandomFloats(kTensorBytes);
  for (size_t i = 0; i < kGiB / kTensorBytes; ++i) std::fwrite(tensor.data(), 1, tensor.size(), f);
  std::fclose(f);
  return path;
}

void BM_OpenSslSha256InMemory(benchmark::State& state) {
  std::vector<uint8_t> buffer(kGiB);
  const std::vector<uint8_t>& tensor = RandomFloats(kTensorBytes);
  for (size_t at = 0; at < buffer.size(); at += tensor.size()) {
    std::memcpy(buffer.data() + at, tensor.data(), tensor.size());
  }
  unsigned char digest[32];
  for (auto _ : state) {
    EVP_Digest(buffer.data(), buffer.size(), digest, nullptr, EVP_sha256(), nullptr);
    benchmark::DoNotOptimize(digest);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * buffer.size()));
}
BENCHMARK(BM_OpenSslSha256InMemory)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

// The hashing a deep scan cannot avoid: the file hash and the tensors'
// hashes are two SHA-256 passes over every data byte, run on two threads.
// Two in-memory streams side by side show what that costs on this machine
// before any reading, scanning or hand-over between threads.
void BM_TwoSha256StreamsInMemory(benchmark::State& state) {
  std::vector<uint8_t> buffer(kGiB);
  const std::vector<uint8_t>& tensor = RandomFloats(kTensorBytes);
  for (size_t at = 0; at < buffer.size(); at += tensor.size()) {
    std::memcpy(buffer.data() + at, tensor.data(), tensor.size());
  }
  unsigned char digests[2][32];
  for (auto _ : state) {
    std::thread other([&] {
      EVP_Digest(buffer.data(), buffer.size(), digests[1], nullptr, EVP_sha256(), nullptr);
    });
    EVP_Digest(buffer.data(), buffer.size(), digests[0], nullptr, EVP_sha256(), nullptr);
    other.join();
    benchmark::DoNotOptimize(digests);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * buffer.size()));
}
BENCHMARK(BM_TwoSha256StreamsInMemory)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(3);

void BM_DeepScanFile(benchmark::State& state) {
  const std::string path = BenchFile();
  stguard::ValidateOptions options;
  options.deep_scan = true;
  const stguard::Policy policy = *stguard::BuiltinPolicy("default");
  uint64_t size = 0;
  for (auto _ : state) {
    const stguard::FileReport r = stguard::ValidateFile(path, policy, options);
    if (!r.io_ok || !r.report.content || !r.report.content->tensors_scanned ||
        r.report.verdict != stguard::Verdict::kAccept) {
      state.SkipWithError("deep scan did not scan the file");
      return;
    }
    size = r.report.file_size;
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * size));
}
BENCHMARK(BM_DeepScanFile)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

// The copy out of the page cache alone, one thread: the 1 GiB file read
// with pread in the deep scan's 4 MiB chunks into two buffers in turn. A
// deep scan must pay it because it reads rather than maps (a file truncated
// while mapped raises SIGBUS); with the two SHA-256 streams and the value
// scan it makes up the work that bounds the deep scan from below.
void BM_ReadFileInChunks(benchmark::State& state) {
  const std::string path = BenchFile();
  constexpr size_t kChunk = 4 << 20;
  std::vector<uint8_t> buffers[2] = {std::vector<uint8_t>(kChunk), std::vector<uint8_t>(kChunk)};
  uint64_t size = 0;
  for (auto _ : state) {
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      state.SkipWithError("cannot open the bench file");
      return;
    }
    uint64_t offset = 0;
    for (int current = 0;; current = 1 - current) {
      const ssize_t n = pread(fd, buffers[current].data(), kChunk, static_cast<off_t>(offset));
      if (n <= 0) break;
      offset += static_cast<uint64_t>(n);
    }
    close(fd);
    benchmark::DoNotOptimize(buffers[0].data());
    size = offset;
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * size));
}
BENCHMARK(BM_ReadFileInChunks)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

// The NaN/Inf (or BOOL) scan alone, one core, 64 MiB of values.
void BM_ScanValues(benchmark::State& state) {
  const auto dtype = static_cast<stguard::Dtype>(state.range(0));
  const uint32_t element = stguard::internal::ScannedElementBytes(dtype);
  std::vector<uint8_t> bytes = RandomFloats(kTensorBytes);
  if (dtype == stguard::Dtype::kBOOL) {
    for (uint8_t& b : bytes) b &= 1;
  }
  for (auto _ : state) {
    stguard::internal::TensorScan scan;
    stguard::internal::ScanValues(dtype, bytes.data(), bytes.size() / element, 0, scan);
    benchmark::DoNotOptimize(scan);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes.size()));
  state.SetLabel(std::string(stguard::DtypeName(dtype)));
}
BENCHMARK(BM_ScanValues)
    ->Arg(static_cast<int>(stguard::Dtype::kF32))
    ->Arg(static_cast<int>(stguard::Dtype::kF16))
    ->Arg(static_cast<int>(stguard::Dtype::kBF16))
    ->Arg(static_cast<int>(stguard::Dtype::kF64))
    ->Arg(static_cast<int>(stguard::Dtype::kF8_E4M3))
    ->Arg(static_cast<int>(stguard::Dtype::kBOOL))
    ->Unit(benchmark::kMillisecond);

// Reading the same bytes once (memchr for a byte that is not there): what
// one pass over memory costs on this machine.
void BM_MemchrReference(benchmark::State& state) {
  std::vector<uint8_t> bytes(kTensorBytes, 1);
  for (auto _ : state) {
    benchmark::DoNotOptimize(std::memchr(bytes.data(), 7, bytes.size()));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes.size()));
}
BENCHMARK(BM_MemchrReference)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
