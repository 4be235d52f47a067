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
//   - STGUARD_FLAG_VALUE_RULES gives the deep verdict and no hashes;
//   - the accessors (verdict, sizes, each finding, the tensor table, the
//     file and tensor hashes) say what the C++ Report of the same bytes
//     says; policies come from stguard_policy_resolve by name;
//   - stguard_validate_file_ex and stguard_validate_fd over the same bytes in
//     an in-memory file render the buffer's JSON;
//   - once per process, every entry point refuses NULL, freed and mistyped
//     handles, unknown flags and unknown policy names with the documented
//     status and a message, and returns no handle.
// Every handle is freed (ASan's leak check runs at exit).
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>

#include "fuzz_common.h"
#include "stguard/codes.h"
#include "stguard/policy.h"
#include "stguard/stguard.h"
#include "stguard/validate.h"

namespace {

struct ReportDeleter {
  void operator()(stguard_report* r) const { stguard_report_free(r); }
};
using ReportPtr = std::unique_ptr<stguard_report, ReportDeleter>;

stguard_policy* PolicyFor(size_t index) {
  static stguard_policy* policies[3] = {};
  static const char* const kNames[3] = {"compat", "default", "strict"};
  if (policies[index] == nullptr) {
    if (stguard_policy_resolve(kNames[index], &policies[index]) != STGUARD_OK) {
      stguard_fuzz::Fail(std::string("no built-in policy ") + kNames[index]);
    }
    const char* name = nullptr;
    if (stguard_policy_name(policies[index], &name) != STGUARD_OK ||
        std::string(name) != kNames[index]) {
      stguard_fuzz::Fail(std::string("stguard_policy_name of ") + kNames[index]);
    }
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

// The accessors against the C++ report of the same bytes (ValidateBuffer
// with the same options).
void CheckAccessors(const stguard_report* report, const stguard::Report& expected, bool deep) {
  stguard_verdict verdict = STGUARD_VERDICT_ACCEPT;
  uint64_t file_size = 0, header_bytes = 0, tensor_count = 0;
  size_t findings = 0;
  if (stguard_report_verdict(report, &verdict) != STGUARD_OK ||
      stguard_report_file_size(report, &file_size) != STGUARD_OK ||
      stguard_report_header_bytes(report, &header_bytes) != STGUARD_OK ||
      stguard_report_tensor_count(report, &tensor_count) != STGUARD_OK ||
      stguard_report_finding_count(report, &findings) != STGUARD_OK) {
    stguard_fuzz::Fail(std::string("a report accessor failed: ") + stguard_last_error());
  }
  if ((verdict == STGUARD_VERDICT_REJECT) != (expected.verdict == stguard::Verdict::kReject) ||
      file_size != expected.file_size || header_bytes != expected.header_bytes ||
      tensor_count != expected.tensor_count || findings != expected.findings.size()) {
    stguard_fuzz::Fail("the C API's verdict, sizes or finding count differ from the Report's");
  }
  for (size_t i = 0; i < findings; ++i) {
    stguard_finding f;
    if (stguard_report_finding(report, i, &f) != STGUARD_OK) stguard_fuzz::Fail("a finding");
    const stguard::Finding& e = expected.findings[i];
    const bool same =
        f.code == static_cast<uint32_t>(e.code) && std::string(f.id) == stguard::Info(e.code).id &&
        static_cast<int>(f.severity) == static_cast<int>(e.severity) && f.offset == e.offset &&
        (f.has_tensor != 0) == e.tensor.has_value() &&
        std::string(f.tensor, f.tensor_length) == e.tensor.value_or("") && f.message == e.message;
    if (!same) stguard_fuzz::Fail("C API finding " + std::to_string(i) + " differs");
  }
  size_t table = 0;
  if (stguard_report_tensor_table_size(report, &table) != STGUARD_OK ||
      table != expected.tensors.size()) {
    stguard_fuzz::Fail("the C API's tensor table size differs");
  }
  for (size_t i = 0; i < table; ++i) {
    stguard_tensor t;
    if (stguard_report_tensor(report, i, &t, sizeof t) != STGUARD_OK) stguard_fuzz::Fail("tensor");
    const stguard::TensorRecord& e = expected.tensors[i];
    if (std::string(t.name, t.name_length) != e.name ||
        static_cast<int>(t.dtype) != static_cast<int>(e.dtype) ||
        std::string(t.dtype_name) != stguard::DtypeName(e.dtype) || t.rank != e.shape.size() ||
        !std::equal(e.shape.begin(), e.shape.end(), t.shape) || t.data_begin != e.data_begin ||
        t.data_end != e.data_end) {
      stguard_fuzz::Fail("C API tensor " + std::to_string(i) + " differs");
    }
  }
  if (!deep) return;
  char sha[65];
  if (stguard_report_sha256(report, sha) != STGUARD_OK || !expected.content ||
      sha != stguard::DigestHex(expected.content->file_sha256)) {
    stguard_fuzz::Fail("the C API's file hash differs");
  }
  int scanned = 0;
  size_t hashed = 0;
  if (stguard_report_hashed_tensor_count(report, &scanned, &hashed) != STGUARD_OK ||
      (scanned != 0) != expected.content->tensors_scanned ||
      hashed != expected.content->tensors.size()) {
    stguard_fuzz::Fail("the C API's hashed tensor count differs");
  }
  for (size_t i = 0; i < hashed; ++i) {
    stguard_tensor_hash h;
    if (stguard_report_hashed_tensor(report, i, &h, sizeof h) != STGUARD_OK) {
      stguard_fuzz::Fail("hashed tensor");
    }
    const stguard::TensorContent& e = expected.content->tensors[i];
    if (std::string(h.name, h.name_length) != e.name || h.sha256 != stguard::DigestHex(e.sha256) ||
        h.data_begin != e.data_begin || h.data_end != e.data_end || h.nan_count != e.nan_count ||
        h.inf_count != e.inf_count || h.invalid_bool_count != e.invalid_bool_count) {
      stguard_fuzz::Fail("C API hashed tensor " + std::to_string(i) + " differs");
    }
  }
}

// The same bytes through a file: its path and its descriptor (one in-memory
// file per process, rewritten for each input).
void CheckFileEntryPoints(const stguard_policy* policy, std::span<const uint8_t> bytes,
                          const std::string& expected) {
  static int fd = memfd_create("stguard-fuzz-capi", MFD_CLOEXEC);
  if (fd < 0) return;
  static const std::string path = "/proc/self/fd/" + std::to_string(fd);
  if (ftruncate(fd, 0) != 0) return;
  if (!bytes.empty() && pwrite(fd, bytes.data(), bytes.size(), 0) !=
                            static_cast<ssize_t>(bytes.size())) {
    return;
  }
  stguard_report* raw = nullptr;
  if (stguard_validate_file_ex(policy, path.c_str(), STGUARD_FLAG_TENSORS, &raw) != STGUARD_OK) {
    stguard_fuzz::Fail(std::string("stguard_validate_file_ex: ") + stguard_last_error());
  }
  const ReportPtr from_path(raw);
  if (Json(from_path.get()) != expected) stguard_fuzz::Fail("file path and buffer JSON differ");
  if (lseek(fd, 0, SEEK_SET) != 0) return;
  raw = nullptr;
  if (stguard_validate_fd(policy, fd, STGUARD_FLAG_TENSORS, &raw) != STGUARD_OK) {
    stguard_fuzz::Fail(std::string("stguard_validate_fd: ") + stguard_last_error());
  }
  const ReportPtr from_fd(raw);
  if (Json(from_fd.get()) != expected) stguard_fuzz::Fail("descriptor and buffer JSON differ");
}

// A refused call: the status, a message, and no handle.
void ExpectRefused(stguard_status got, stguard_status want, const void* handle,
                   const char* what) {
  if (got != want || handle != nullptr || std::string(stguard_last_error()).empty()) {
    stguard_fuzz::Fail(std::string("bad argument not refused as documented: ") + what);
  }
}

void CheckBadArgumentsOnce(const stguard_policy* policy, std::span<const uint8_t> bytes) {
  static bool done = false;
  if (done) return;
  done = true;
  const stguard_status bad = STGUARD_ERR_INVALID_ARGUMENT;
  stguard_policy* p = nullptr;
  ExpectRefused(stguard_policy_builtin("no-such-policy-name", &p), STGUARD_ERR_UNKNOWN_POLICY, p,
                "an unknown built-in name");
  // Neither built in, nor installed, nor a file: a policy that cannot be read.
  ExpectRefused(stguard_policy_resolve("no-such-policy-name", &p), STGUARD_ERR_BAD_POLICY, p,
                "an unknown policy name");
  ExpectRefused(stguard_policy_builtin(nullptr, &p), bad, p, "a NULL policy name");
  ExpectRefused(stguard_policy_load_file("/nonexistent/policy.json", &p),
                STGUARD_ERR_BAD_POLICY, p, "a missing policy file");
  stguard_report* r = nullptr;
  ExpectRefused(stguard_validate_buffer_ex(nullptr, bytes.data(), bytes.size(), 0, &r), bad, r,
                "a NULL policy");
  ExpectRefused(stguard_validate_buffer_ex(policy, bytes.data(), bytes.size(), 0x100, &r), bad, r,
                "unknown flags");
  ExpectRefused(stguard_validate_buffer_ex(policy, nullptr, 1, 0, &r), bad, r, "NULL data");
  ExpectRefused(stguard_validate_file_ex(policy, nullptr, 0, &r), bad, r, "a NULL path");
  ExpectRefused(stguard_validate_file_ex(policy, "/nonexistent/x", 0, &r), STGUARD_ERR_IO, r,
                "a missing file");
  ExpectRefused(stguard_validate_fd(policy, -1, 0, &r), bad, r, "a negative descriptor");
  ExpectRefused(stguard_validate_reader(policy, nullptr, nullptr, 0, &r), bad, r,
                "a NULL read function");
  // A freed report and a policy passed as a report are not live reports.
  const ReportPtr live = FromBuffer(policy, bytes, 0);
  stguard_report* freed = FromBuffer(policy, bytes, 0).release();
  stguard_report_free(freed);
  char* text = nullptr;
  size_t count = 0;
  ExpectRefused(stguard_report_json(freed, nullptr, 0, &text, nullptr), bad, text,
                "a freed report");
  ExpectRefused(stguard_report_json(reinterpret_cast<const stguard_report*>(policy), nullptr, 0,
                                    &text, nullptr),
                bad, text, "a policy passed as a report");
  if (stguard_report_tensor_table_size(live.get(), &count) != bad) {
    stguard_fuzz::Fail("a tensor table from a report made without STGUARD_FLAG_TENSORS");
  }
  stguard_tensor t;
  if (stguard_report_tensor(live.get(), 0, &t, 1) != bad) {
    stguard_fuzz::Fail("a tensor into a struct too small");
  }
  stguard_report_free(freed);  // a double free does nothing
  if (std::string(stguard_status_string(STGUARD_ERR_IO)).empty() ||
      stguard_code_id(311) == nullptr || stguard_code_id(0) != nullptr ||
      stguard_api_revision() < 3 || std::string(stguard_version()).empty()) {
    stguard_fuzz::Fail("a static C API answer is wrong");
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
  static const stguard::Policy kPolicies[3] = {*stguard::BuiltinPolicy("compat"),
                                               *stguard::BuiltinPolicy("default"),
                                               *stguard::BuiltinPolicy("strict")};
  const stguard::Policy& same_policy = kPolicies[size % 3];
  stguard::ValidateOptions options;
  options.collect_tensors = true;
  CheckAccessors(shallow.get(), stguard::ValidateBuffer(bytes, same_policy, options), false);
  CheckHeaderEntryPoint(policy, bytes, shallow_json, seed);
  CheckFileEntryPoints(policy, bytes, shallow_json);
  CheckBadArgumentsOnce(policy, bytes);
  CheckReader(policy, bytes, STGUARD_FLAG_TENSORS, shallow_json, seed);

  const ReportPtr deep = FromBuffer(policy, bytes, STGUARD_FLAG_DEEP_SCAN | STGUARD_FLAG_TENSORS);
  options.deep_scan = true;
  CheckAccessors(deep.get(), stguard::ValidateBuffer(bytes, same_policy, options), true);
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
