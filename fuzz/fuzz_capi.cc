// fuzz_capi: raw file bytes -> the C API's ways in for readers that do not
// hold the whole file, against stguard_validate_buffer_ex over the same
// bytes. The policy (compat, default or strict) is chosen by the input.
// Oracle (abort on any violation):
//   - stguard_header_bytes_needed, given the first min(size, 8) bytes,
//     asks for at most the file and at most 65536 + the header limit;
//   - stguard_validate_header over that many first bytes and the file's
//     size succeeds and renders the JSON the whole buffer's report does
//     (header only; with the tensor table); over fewer bytes (a cut the
//     input picks) it gives that same JSON or STGUARD_ERR_NEED_MORE_DATA,
//     never another report;
//   - stguard_validate_reader, fed in pseudo-random chunks (1 byte to
//     64 KiB, from the input), renders the buffer's JSON, with and without
//     STGUARD_FLAG_DEEP_SCAN (hashes included);
//   - STGUARD_FLAG_VALUE_RULES gives the deep verdict and no hashes.
// Every handle is freed (ASan's leak check runs at exit).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>

#include "fuzz_common.h"
#include "stguard/policy.h"
#include "stguard/stguard.h"

namespace {

struct ReportDeleter {
  void operator()(stguard_report* r) const { stguard_report_free(r); }
};
using ReportPtr = std::unique_ptr<stguard_report, ReportDeleter>;

stguard_policy* PolicyFor(size_t index) {
  static stguard_policy* policies[3] = {};
  static const char* const kNames[3] = {"compat", "default", "strict"};
  if (policies[index] == nullptr &&
      stguard_policy_builtin(kNames[index], &policies[index]) != STGUARD_OK) {
    stguard_fuzz::Fail(std::string("no built-in policy ") + kNames[index]);
  }
  return policies[index];
}

std::string Json(const stguard_report* report) {
  char* text = nullptr;
  size_t length = 0;
  if (stguard_report_json(report, "f", 0, &text, &length) != STGUARD_OK) {
    stguard_fuzz::Fail(std::string("stguard_report_json failed: ") + stguard_last_error());
  }
  std::string json(text, length);
  stguard_string_free(text);
  return json;
}

ReportPtr FromBuffer(const stguard_policy* policy, std::span<const uint8_t> bytes,
                     uint32_t flags) {
  stguard_report* r = nullptr;
  if (stguard_validate_buffer_ex(policy, bytes.data(), bytes.size(), flags, &r) != STGUARD_OK) {
    stguard_fuzz::Fail(std::string("stguard_validate_buffer_ex failed: ") + stguard_last_error());
  }
  return ReportPtr(r);
}

// The reader's state: the bytes and pseudo-random chunk sizes (xorshift64*).
struct Feed {
  std::span<const uint8_t> bytes;
  size_t at = 0;
  uint64_t state;
};

int64_t ReadChunk(void* user_data, char* buffer, size_t capacity) {
  Feed& feed = *static_cast<Feed*>(user_data);
  feed.state ^= feed.state >> 12;
  feed.state ^= feed.state << 25;
  feed.state ^= feed.state >> 27;
  const uint64_t r = feed.state * 0x2545F4914F6CDD1Dull;
  const size_t chunk = static_cast<size_t>(1 + (r >> 40) % ((r & 1) != 0 ? 16 : 65536));
  const size_t n = std::min({capacity, feed.bytes.size() - feed.at, chunk});
  if (n > 0) std::memcpy(buffer, feed.bytes.data() + feed.at, n);
  feed.at += n;
  return static_cast<int64_t>(n);
}

uint64_t Seed(std::span<const uint8_t> bytes) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (const uint8_t b : bytes) h = (h ^ b) * 0x100000001b3ull;
  return h | 1;
}

void CheckHeaderEntryPoint(const stguard_policy* policy, std::span<const uint8_t> bytes,
                           const std::string& expected, uint64_t seed) {
  const uint64_t file_size = bytes.size();
  uint64_t needed = 0;
  const size_t head = std::min<size_t>(bytes.size(), 8);
  if (stguard_header_bytes_needed(policy, bytes.data(), head, file_size, &needed) != STGUARD_OK) {
    stguard_fuzz::Fail(std::string("stguard_header_bytes_needed failed on the first ") +
                       std::to_string(head) + " bytes: " + stguard_last_error());
  }
  if (needed > file_size) stguard_fuzz::Fail("header_bytes_needed asks for more than the file");
  if (needed > 65536 + stguard::kMaxHeaderBytesCeiling + 8) {
    stguard_fuzz::Fail("header_bytes_needed asks for more than 65536 + the header limit");
  }
  stguard_report* raw = nullptr;
  if (stguard_validate_header(policy, bytes.data(), static_cast<size_t>(needed), file_size,
                              STGUARD_FLAG_TENSORS, &raw) != STGUARD_OK) {
    stguard_fuzz::Fail(std::string("stguard_validate_header failed with the bytes it asked "
                                   "for: ") + stguard_last_error());
  }
  const ReportPtr from_header(raw);
  if (Json(from_header.get()) != expected) {
    stguard_fuzz::Fail("stguard_validate_header and the whole buffer render different JSON");
  }
  // Fewer bytes: the same report or "need more data", nothing else.
  if (needed == 0) return;
  const size_t cut = static_cast<size_t>(seed % needed);
  raw = nullptr;
  const stguard_status s = stguard_validate_header(policy, bytes.data(), cut, file_size,
                                                   STGUARD_FLAG_TENSORS, &raw);
  const ReportPtr from_cut(raw);
  if (s == STGUARD_ERR_NEED_MORE_DATA) {
    if (raw != nullptr) stguard_fuzz::Fail("a report with STGUARD_ERR_NEED_MORE_DATA");
    return;
  }
  if (s != STGUARD_OK) {
    stguard_fuzz::Fail(std::string("stguard_validate_header on a cut: ") + stguard_last_error());
  }
  if (Json(from_cut.get()) != expected) {
    stguard_fuzz::Fail("stguard_validate_header on the first " + std::to_string(cut) +
                       " bytes gave another report instead of asking for more");
  }
}

void CheckReader(const stguard_policy* policy, std::span<const uint8_t> bytes, uint32_t flags,
                 const std::string& expected, uint64_t seed) {
  Feed feed{bytes, 0, seed};
  stguard_report* raw = nullptr;
  if (stguard_validate_reader(policy, ReadChunk, &feed, flags, &raw) != STGUARD_OK) {
    stguard_fuzz::Fail(std::string("stguard_validate_reader failed: ") + stguard_last_error());
  }
  const ReportPtr from_reader(raw);
  if (feed.at != bytes.size()) stguard_fuzz::Fail("the reader did not read the whole stream");
  if (Json(from_reader.get()) != expected) {
    stguard_fuzz::Fail("stguard_validate_reader and the buffer render different JSON (flags " +
                       std::to_string(flags) + ")");
  }
}

stguard_verdict Verdict(const stguard_report* report) {
  stguard_verdict verdict = STGUARD_VERDICT_ACCEPT;
  if (stguard_report_verdict(report, &verdict) != STGUARD_OK) stguard_fuzz::Fail("no verdict");
  return verdict;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> bytes(data, size);
  const stguard_policy* policy = PolicyFor(size % 3);
  const uint64_t seed = Seed(bytes);

  const ReportPtr shallow = FromBuffer(policy, bytes, STGUARD_FLAG_TENSORS);
  const std::string shallow_json = Json(shallow.get());
  CheckHeaderEntryPoint(policy, bytes, shallow_json, seed);
  CheckReader(policy, bytes, STGUARD_FLAG_TENSORS, shallow_json, seed);

  const ReportPtr deep = FromBuffer(policy, bytes, STGUARD_FLAG_DEEP_SCAN);
  CheckReader(policy, bytes, STGUARD_FLAG_DEEP_SCAN, Json(deep.get()), seed * 3);

  const ReportPtr values = FromBuffer(policy, bytes, STGUARD_FLAG_VALUE_RULES);
  if (Verdict(values.get()) != Verdict(deep.get())) {
    stguard_fuzz::Fail("STGUARD_FLAG_VALUE_RULES and the deep scan give different verdicts");
  }
  char sha[65];
  if (stguard_report_sha256(values.get(), sha) != STGUARD_ERR_INVALID_ARGUMENT) {
    stguard_fuzz::Fail("a file hash from STGUARD_FLAG_VALUE_RULES");
  }
  return 0;
}
