// The C API (stguard/stguard.h) over the C++ library. Every entry point
// catches everything: no exception crosses the C boundary.
#include "stguard/stguard.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "stguard/codes.h"
#include "stguard/policy.h"
#include "stguard/report.h"
#include "stguard/validate.h"
#include "byte_source.h"
#include "c_api_internal.h"
#include "checked_math.h"
#include "format_identify.h"
#include "pipeline.h"
#include "str_cat.h"

namespace {

using namespace stguard::capi;  // NOLINT: the C API's own helpers
using stguard::internal::StrCat;

constexpr uint32_t kKnownFlags =
    STGUARD_FLAG_DEEP_SCAN | STGUARD_FLAG_TENSORS | STGUARD_FLAG_VALUE_RULES;

bool OptionsFromFlags(uint32_t flags, stguard::ValidateOptions& options) noexcept {
  if (RejectUnknownFlags(flags, kKnownFlags)) return false;
  options.deep_scan = (flags & (STGUARD_FLAG_DEEP_SCAN | STGUARD_FLAG_VALUE_RULES)) != 0;
  // The value rules alone: no hashes, unless a deep scan asked for them.
  options.hash_content = (flags & STGUARD_FLAG_DEEP_SCAN) != 0;
  options.collect_tensors = (flags & STGUARD_FLAG_TENSORS) != 0;
  return true;
}

// A report of bytes that came from memory or a descriptor: no path of its
// own, named "-" as the CLI names standard input.
stguard_status ReportOfBytes(stguard::Report&& report, const stguard::Policy& policy,
                             const stguard::ValidateOptions& options, stguard_report** out) {
  stguard::ScannedFile file;
  file.path = "-";
  file.report = std::move(report);
  return stguard::capi::MakeReport(std::move(file), policy, options.collect_tensors, out);
}

stguard_status ReportOfFile(stguard::FileReport&& result, std::string path,
                            const stguard::Policy& policy, const stguard::ValidateOptions& options,
                            stguard_report** out) {
  stguard::ScannedFile file;
  file.path = std::move(path);
  file.report = std::move(result.report);
  return stguard::capi::MakeReport(std::move(file), policy, options.collect_tensors, out);
}

// A stream's result (stguard_validate_fd, _reader): a report named "-", or
// STGUARD_ERR_IO with "<what>: <why>" when the stream could not be read.
stguard_status ReportOfStream(stguard::FileReport&& result, const std::string& what,
                              const stguard::Policy& policy,
                              const stguard::ValidateOptions& options, stguard_report** out) {
  if (!result.io_ok) return Fail(STGUARD_ERR_IO, StrCat(what, ": ", result.io_error).c_str());
  return ReportOfFile(std::move(result), "-", policy, options, out);
}

// The first `size` bytes of a file of `file_size` bytes: what a range
// reader fetched (stguard_validate_header). A read past them fails, and the
// furthest byte asked for is kept so that the caller can be told how much
// to fetch. Data() stays null: the pipeline would read its identification
// window in place, past the bytes given.
class HeadSource final : public stguard::internal::ByteSource {
 public:
  HeadSource(const uint8_t* data, size_t size, uint64_t file_size)
      : data_(data), size_(size), file_size_(file_size) {}
  uint64_t size() const override { return file_size_; }
  bool ReadAt(uint64_t offset, uint64_t length, char* out) override {
    const std::optional<uint64_t> end = stguard::internal::CheckedAdd(offset, length);
    if (!end || *end > size_) {
      wanted_ = std::max(wanted_, end.value_or(UINT64_MAX));
      return false;
    }
    if (length > 0) std::memcpy(out, data_ + offset, length);
    return true;
  }
  std::string error() const override {
    return StrCat("the validation reads the file's first ", wanted_, " bytes; ", size_,
                  " were given (stguard_header_bytes_needed)");
  }

 private:
  const uint8_t* data_;
  uint64_t size_;
  uint64_t file_size_;
  uint64_t wanted_ = 0;
};

constexpr uint64_t kPrefixBytes = 8;
static_assert(stguard::internal::kIdentifyWindowBytes == 65536,
              "stguard.h documents the identification window as 65536 bytes");

// The checks stguard_validate_header and stguard_header_bytes_needed share.
stguard_status CheckHead(const stguard_policy* policy, const void* data, size_t size,
                         uint64_t file_size) noexcept {
  if (const stguard_status s = CheckHandle(policy, HandleKind::kPolicy, "policy");
      s != STGUARD_OK) {
    return s;
  }
  if (data == nullptr && size != 0) return NullArgument("data");
  if (size > file_size) {
    return Fail(STGUARD_ERR_INVALID_ARGUMENT,
                "size exceeds file_size: data must be the file's first bytes");
  }
  return STGUARD_OK;
}

stguard_status NewPolicy(stguard::Policy&& policy, stguard_policy** out) {
  auto handle = std::make_unique<stguard_policy>(stguard_policy{std::move(policy)});
  RegisterHandle(handle.get(), HandleKind::kPolicy);
  *out = handle.release();
  SetError("");
  return STGUARD_OK;
}

stguard_status PolicyResult(stguard::PolicyLoadResult&& loaded, stguard_policy** out) {
  if (!loaded.policy) return Fail(STGUARD_ERR_BAD_POLICY, loaded.error.c_str());
  return NewPolicy(std::move(*loaded.policy), out);
}

}  // namespace

extern "C" {

const char* stguard_version(void) {
  // Version() views a string literal: NUL-terminated.
  return stguard::Version().data();
}

int stguard_api_version(void) { return STGUARD_C_API_VERSION; }

const char* stguard_status_string(stguard_status status) {
  // A caller may pass any integer: read the bits as an int before looking at
  // them, since loading an out-of-range value as the enum is undefined.
  int value;
  static_assert(sizeof value == sizeof status);
  std::memcpy(&value, &status, sizeof value);
  switch (value) {
    case STGUARD_OK:
      return "ok";
    case STGUARD_ERR_INVALID_ARGUMENT:
      return "invalid argument";
    case STGUARD_ERR_UNKNOWN_POLICY:
      return "unknown built-in policy";
    case STGUARD_ERR_BAD_POLICY:
      return "bad policy file";
    case STGUARD_ERR_IO:
      return "file cannot be read";
    case STGUARD_ERR_NO_MEMORY:
      return "out of memory";
    case STGUARD_ERR_INTERNAL:
      return "internal error";
    case STGUARD_ERR_NEED_MORE_DATA:
      return "more of the file is needed";
  }
  return "unknown status";
}

const char* stguard_last_error(void) { return LastError(); }

stguard_status stguard_policy_builtin(const char* name, stguard_policy** out) {
  if (out != nullptr) *out = nullptr;
  if (out == nullptr) return NullArgument("out");
  if (name == nullptr) return NullArgument("name");
  return Guard([&]() -> stguard_status {
    std::optional<stguard::Policy> policy = stguard::BuiltinPolicy(name);
    if (!policy) {
      SetError(StrCat("unknown built-in policy \"", name,
                      "\" (built-ins: compat, default, strict)"));
      return STGUARD_ERR_UNKNOWN_POLICY;
    }
    return NewPolicy(std::move(*policy), out);
  });
}

stguard_status stguard_policy_load_file(const char* path, stguard_policy** out) {
  if (out != nullptr) *out = nullptr;
  if (out == nullptr) return NullArgument("out");
  if (path == nullptr) return NullArgument("path");
  return Guard([&] { return PolicyResult(stguard::LoadPolicyFile(path), out); });
}

stguard_status stguard_policy_resolve(const char* name_or_path, stguard_policy** out) {
  if (out != nullptr) *out = nullptr;
  if (out == nullptr) return NullArgument("out");
  if (name_or_path == nullptr) return NullArgument("name_or_path");
  return Guard([&] { return PolicyResult(stguard::ResolvePolicy(name_or_path), out); });
}

stguard_status stguard_policy_name(const stguard_policy* policy, const char** out) {
  if (out == nullptr) return NullArgument("out");
  if (policy == nullptr) return NullArgument("policy");
  *out = policy->policy.name.c_str();
  return STGUARD_OK;
}

void stguard_policy_free(stguard_policy* policy) {
  // A pointer that is not a live policy (freed already, or foreign) is left
  // alone: deleting it would corrupt the heap.
  if (policy != nullptr && ReleaseHandle(policy, HandleKind::kPolicy)) delete policy;
}

stguard_status stguard_validate_file(const stguard_policy* policy, const char* path,
                                     stguard_report** out) {
  return stguard_validate_file_ex(policy, path, 0, out);
}

stguard_status stguard_validate_file_ex(const stguard_policy* policy, const char* path,
                                        uint32_t flags, stguard_report** out) {
  if (out != nullptr) *out = nullptr;
  if (out == nullptr) return NullArgument("out");
  if (policy == nullptr) return NullArgument("policy");
  if (path == nullptr) return NullArgument("path");
  stguard::ValidateOptions options;
  if (!OptionsFromFlags(flags, options)) return STGUARD_ERR_INVALID_ARGUMENT;
  return Guard([&]() -> stguard_status {
    stguard::FileReport file = stguard::ValidateFile(path, policy->policy, options);
    if (!file.io_ok) {
      SetError(StrCat(path, ": ", file.io_error));
      return STGUARD_ERR_IO;
    }
    return ReportOfFile(std::move(file), path, policy->policy, options, out);
  });
}

stguard_status stguard_validate_buffer(const stguard_policy* policy, const void* data,
                                       size_t size, stguard_report** out) {
  return stguard_validate_buffer_ex(policy, data, size, 0, out);
}

stguard_status stguard_validate_buffer_ex(const stguard_policy* policy, const void* data,
                                          size_t size, uint32_t flags, stguard_report** out) {
  if (out != nullptr) *out = nullptr;
  if (out == nullptr) return NullArgument("out");
  if (policy == nullptr) return NullArgument("policy");
  if (data == nullptr && size != 0) return NullArgument("data");
  stguard::ValidateOptions options;
  if (!OptionsFromFlags(flags, options)) return STGUARD_ERR_INVALID_ARGUMENT;
  return Guard([&] {
    static const uint8_t kEmpty[1] = {0};
    const auto* bytes = data != nullptr ? static_cast<const uint8_t*>(data) : kEmpty;
    return ReportOfBytes(stguard::ValidateBuffer(std::span<const uint8_t>(bytes, size),
                                                 policy->policy, options),
                         policy->policy, options, out);
  });
}

stguard_status stguard_validate_fd(const stguard_policy* policy, int fd, uint32_t flags,
                                   stguard_report** out) {
  if (out != nullptr) *out = nullptr;
  if (out == nullptr) return NullArgument("out");
  if (policy == nullptr) return NullArgument("policy");
  if (fd < 0) {
    SetError("fd must be a file descriptor (>= 0)");
    return STGUARD_ERR_INVALID_ARGUMENT;
  }
  stguard::ValidateOptions options;
  if (!OptionsFromFlags(flags, options)) return STGUARD_ERR_INVALID_ARGUMENT;
  return Guard([&]() -> stguard_status {
    return ReportOfStream(stguard::ValidateFd(fd, policy->policy, options), StrCat("fd ", fd),
                          policy->policy, options, out);
  });
}

stguard_status stguard_validate_reader(const stguard_policy* policy, stguard_read_function read,
                                       void* user_data, uint32_t flags, stguard_report** out) {
  if (out != nullptr) *out = nullptr;
  if (out == nullptr) return NullArgument("out");
  if (const stguard_status s = CheckHandle(policy, HandleKind::kPolicy, "policy");
      s != STGUARD_OK) {
    return s;
  }
  if (read == nullptr) return NullArgument("read");
  stguard::ValidateOptions options;
  if (!OptionsFromFlags(flags, options)) return STGUARD_ERR_INVALID_ARGUMENT;
  return Guard([&]() -> stguard_status {
    const stguard::ReadFunction reader = [read, user_data](char* buffer,
                                                           size_t capacity) -> int64_t {
      return read(user_data, buffer, capacity);
    };
    return ReportOfStream(stguard::ValidateStream(reader, policy->policy, options), "stream",
                          policy->policy, options, out);
  });
}

stguard_status stguard_header_bytes_needed(const stguard_policy* policy, const void* data,
                                           size_t size, uint64_t file_size, uint64_t* out) {
  if (out == nullptr) return NullArgument("out");
  if (const stguard_status s = CheckHead(policy, data, size, file_size); s != STGUARD_OK) {
    return s;
  }
  const uint64_t window = std::min<uint64_t>(file_size, stguard::internal::kIdentifyWindowBytes);
  if (file_size < kPrefixBytes) {
    if (size < file_size) return Fail(STGUARD_ERR_NEED_MORE_DATA, "give the whole file");
    *out = file_size;
    return STGUARD_OK;
  }
  if (size < kPrefixBytes) {
    return Fail(STGUARD_ERR_NEED_MORE_DATA, "give at least the 8-byte prefix");
  }
  const auto* bytes = static_cast<const uint8_t*>(data);
  uint64_t header_size = 0;
  for (int i = 7; i >= 0; --i) header_size = (header_size << 8) | bytes[i];
  if (header_size > policy->policy.max_header_bytes || header_size > file_size - kPrefixBytes) {
    *out = window;  // framing fails: only the identification window is read
  } else {
    *out = std::min(file_size, std::max(window, kPrefixBytes + header_size));
  }
  SetError("");
  return STGUARD_OK;
}

stguard_status stguard_validate_header(const stguard_policy* policy, const void* data,
                                       size_t size, uint64_t file_size, uint32_t flags,
                                       stguard_report** out) {
  if (out != nullptr) *out = nullptr;
  if (out == nullptr) return NullArgument("out");
  if (const stguard_status s = CheckHead(policy, data, size, file_size); s != STGUARD_OK) {
    return s;
  }
  if ((flags & (STGUARD_FLAG_DEEP_SCAN | STGUARD_FLAG_VALUE_RULES)) != 0) {
    return Fail(STGUARD_ERR_INVALID_ARGUMENT,
                "STGUARD_FLAG_DEEP_SCAN or STGUARD_FLAG_VALUE_RULES needs the data section: use "
                "stguard_validate_file_ex, _buffer_ex or _fd");
  }
  stguard::ValidateOptions options;
  if (!OptionsFromFlags(flags, options)) return STGUARD_ERR_INVALID_ARGUMENT;
  return Guard([&]() -> stguard_status {
    static const uint8_t kEmpty[1] = {0};
    HeadSource source(data != nullptr ? static_cast<const uint8_t*>(data) : kEmpty, size,
                      file_size);
    stguard::Report report;
    if (!stguard::internal::ValidateSource(source, policy->policy, options, nullptr, report)) {
      SetError(source.error());
      return STGUARD_ERR_NEED_MORE_DATA;
    }
    return ReportOfBytes(std::move(report), policy->policy, options, out);
  });
}

stguard_status stguard_report_sha256(const stguard_report* report, char out[65]) {
  if (out == nullptr) return NullArgument("out");
  if (report == nullptr) return NullArgument("report");
  if (!report->file.report.content) {
    SetError("the report was made without STGUARD_FLAG_DEEP_SCAN");
    return STGUARD_ERR_INVALID_ARGUMENT;
  }
  const std::string hex = stguard::DigestHex(report->file.report.content->file_sha256);
  std::memcpy(out, hex.c_str(), hex.size() + 1);
  return STGUARD_OK;
}

stguard_status stguard_report_verdict(const stguard_report* report, stguard_verdict* out) {
  if (out == nullptr) return NullArgument("out");
  if (report == nullptr) return NullArgument("report");
  *out = report->file.report.verdict == stguard::Verdict::kAccept ? STGUARD_VERDICT_ACCEPT
                                                             : STGUARD_VERDICT_REJECT;
  return STGUARD_OK;
}

stguard_status stguard_report_file_size(const stguard_report* report, uint64_t* out) {
  if (out == nullptr) return NullArgument("out");
  if (report == nullptr) return NullArgument("report");
  *out = report->file.report.file_size;
  return STGUARD_OK;
}

stguard_status stguard_report_header_bytes(const stguard_report* report, uint64_t* out) {
  if (out == nullptr) return NullArgument("out");
  if (report == nullptr) return NullArgument("report");
  *out = report->file.report.header_bytes;
  return STGUARD_OK;
}

stguard_status stguard_report_tensor_count(const stguard_report* report, uint64_t* out) {
  if (out == nullptr) return NullArgument("out");
  if (report == nullptr) return NullArgument("report");
  *out = report->file.report.tensor_count;
  return STGUARD_OK;
}

stguard_status stguard_report_finding_count(const stguard_report* report, size_t* out) {
  if (out == nullptr) return NullArgument("out");
  if (report == nullptr) return NullArgument("report");
  *out = report->file.report.findings.size();
  return STGUARD_OK;
}

stguard_status stguard_report_finding(const stguard_report* report, size_t index,
                                      stguard_finding* out) {
  if (out == nullptr) return NullArgument("out");
  if (report == nullptr) return NullArgument("report");
  const std::vector<stguard::Finding>& findings = report->file.report.findings;
  if (index >= findings.size()) return IndexOutOfRange("finding", index, findings.size());
  FillFinding(findings[index], report->ids[index].c_str(), out);
  return STGUARD_OK;
}

void stguard_report_free(stguard_report* report) {
  if (report != nullptr && ReleaseHandle(report, HandleKind::kReport)) delete report;
}

const char* stguard_code_id(uint32_t code) {
  // Ids are string literals in codes.cc: NUL-terminated.
  for (const stguard::CodeInfo& info : stguard::AllCodes()) {
    if (static_cast<uint32_t>(info.code) == code) return info.id.data();
  }
  return nullptr;
}

}  // extern "C"
