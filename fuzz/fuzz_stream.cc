// fuzz_stream: raw bytes -> ValidateStream, fed in chunks of pseudo-random
// sizes (derived from the input, so a crash reproduces), against
// ValidateBuffer over the same bytes. Oracle (abort on any violation):
//   - the stream's report equals the buffer's, findings, tensors and deep
//     scan content included, with and without a deep scan (the deep stream
//     forced onto the paths of large inputs, large_input_paths.h);
//   - the value rules without the hashes (hash_content = false, the C API's
//     STGUARD_FLAG_VALUE_RULES) give the deep report less its content;
//   - the deep scan's file hash does not depend on the chunking, and a deep
//     scan changes nothing in the report but the content findings;
//   - every finding has a known code and an offset inside the file;
//   - the deep scan's content recomputed here (fuzz_common's CheckContent:
//     file and tensor SHA-256, NaN/Inf/BOOL counts from the formats'
//     definitions, content findings on values of their kind, tensors
//     scanned only when they tile the data section), and scanned whenever
//     the header check accepts the file.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>

#include "fuzz_common.h"
#include "large_input_paths.h"

namespace {

// xorshift64*: chunk sizes from 1 byte to 64 KiB, mostly small.
struct ChunkSizes {
  uint64_t state;
  size_t Next() {
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    const uint64_t r = state * 0x2545F4914F6CDD1Dull;
    return static_cast<size_t>(1 + (r >> 40) % ((r & 1) != 0 ? 16 : 65536));
  }
};

uint64_t Fnv1a(std::span<const uint8_t> bytes) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (const uint8_t b : bytes) h = (h ^ b) * 0x100000001b3ull;
  return h | 1;  // xorshift needs a non-zero state
}

stguard::FileReport Stream(std::span<const uint8_t> bytes, uint64_t seed,
                           const stguard::Policy& policy, const stguard::ValidateOptions& options) {
  size_t at = 0;
  ChunkSizes sizes{seed};
  const stguard::ReadFunction read = [&](char* out, size_t capacity) -> int64_t {
    const size_t n = std::min({capacity, bytes.size() - at, sizes.Next()});
    if (n > 0) std::memcpy(out, bytes.data() + at, n);
    at += n;
    return static_cast<int64_t>(n);
  };
  return stguard::ValidateStream(read, policy, options);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> bytes(data, size);
  const uint64_t seed = Fnv1a(bytes);
  for (int policy_index : {0, 1}) {
    const stguard::Policy& policy = stguard_fuzz::BuiltinByIndex(policy_index);
    stguard::ValidateOptions shallow;
    shallow.collect_tensors = true;
    stguard::ValidateOptions deep = shallow;
    deep.deep_scan = true;
    deep.read_chunk_bytes = 1 + static_cast<uint32_t>(seed % 4096);

    const stguard::Report buffer_shallow = stguard::ValidateBuffer(bytes, policy, shallow);
    const stguard::Report buffer_deep = stguard::ValidateBuffer(bytes, policy, deep);
    stguard_fuzz::CheckFindings(buffer_deep, "deep buffer");
    if (!buffer_deep.content) stguard_fuzz::Fail("deep scan of a buffer left no content");
    stguard_fuzz::CheckContent(buffer_deep, bytes, "deep buffer");
    if (buffer_shallow.verdict == stguard::Verdict::kAccept &&
        !buffer_deep.content->tensors_scanned) {
      stguard_fuzz::Fail("the header check accepts the file but the deep scan scanned no tensor");
    }

    // The value rules without the hashes: the deep report's findings and
    // verdict, and no content.
    stguard::ValidateOptions values_only = deep;
    values_only.hash_content = false;
    const stguard::Report buffer_values = stguard::ValidateBuffer(bytes, policy, values_only);
    if (buffer_values.content) stguard_fuzz::Fail("content (hashes) without hash_content");
    {
      stguard::Report hashed = buffer_deep;
      hashed.content.reset();
      if (std::string d = stguard_fuzz::DiffReports(hashed, buffer_values, true); !d.empty()) {
        stguard_fuzz::Fail("the value rules without hashes disagree with the deep scan: " + d);
      }
    }

    const stguard::FileReport stream_shallow = Stream(bytes, seed, policy, shallow);
    // The deep stream takes the paths large inputs take (file hash on a
    // second thread, in-place duplicate-name grouping, the baseline value
    // scan), the buffer the default ones: the reports must still agree.
    stguard::FileReport stream_deep;
    {
      const stguard::internal::ScopedLargeInputPaths large_input_paths;
      stream_deep = Stream(bytes, seed * 3, policy, deep);
    }
    if (!stream_shallow.io_ok || !stream_deep.io_ok) {
      stguard_fuzz::Fail("stream read failed: " + stream_shallow.io_error + stream_deep.io_error);
    }
    if (std::string d = stguard_fuzz::DiffReports(buffer_shallow, stream_shallow.report, true);
        !d.empty()) {
      stguard_fuzz::Fail("stream and buffer disagree: " + d);
    }
    if (std::string d = stguard_fuzz::DiffReports(buffer_deep, stream_deep.report, true);
        !d.empty()) {
      stguard_fuzz::Fail("deep stream and deep buffer disagree: " + d);
    }
    // Without content findings, a deep report is the shallow one.
    stguard::Report stripped = buffer_deep;
    stripped.content.reset();
    std::erase_if(stripped.findings, [](const stguard::Finding& f) {
      return f.code == stguard::Code::kNonFiniteValues ||
             f.code == stguard::Code::kBoolInvalidValues;
    });
    const bool has_content_findings = stripped.findings.size() != buffer_deep.findings.size();
    if (!has_content_findings) {
      if (std::string d = stguard_fuzz::DiffReports(buffer_shallow, stripped, true); !d.empty()) {
        stguard_fuzz::Fail("a deep scan changed more than the content findings: " + d);
      }
    } else if (buffer_shallow.verdict == stguard::Verdict::kReject &&
               buffer_deep.verdict == stguard::Verdict::kAccept) {
      stguard_fuzz::Fail("a deep scan accepted a file the header check rejects");
    }
  }
  return 0;
}
