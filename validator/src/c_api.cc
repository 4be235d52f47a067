// The C API (stguard/stguard.h) over the C++ library. Every entry point
// catches everything: no exception crosses the C boundary.
#include "stguard/stguard.h"

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
#include "str_cat.h"

struct stguard_policy {
  stguard::Policy policy;
};

struct stguard_report {
  stguard::Report report;
  // Codes' ids as NUL-terminated strings, per finding (ids are string_views
  // into static tables, not guaranteed NUL-terminated).
  std::vector<std::string> ids;
};

namespace {

using stguard::internal::StrCat;

thread_local std::string g_last_error;

void SetError(const char* message) noexcept {
  try {
    g_last_error = message;
  } catch (...) {
    g_last_error.clear();  // cannot allocate: leave it empty
  }
}

void SetError(const std::string& message) noexcept { SetError(message.c_str()); }

stguard_status Fail(stguard_status status, const char* message) noexcept {
  SetError(message);
  return status;
}

stguard_status NullArgument(const char* what) noexcept {
  try {
    g_last_error = StrCat(what, " is NULL");
  } catch (...) {
    g_last_error.clear();
  }
  return STGUARD_ERR_INVALID_ARGUMENT;
}

constexpr uint32_t kKnownFlags = STGUARD_FLAG_DEEP_SCAN;

bool OptionsFromFlags(uint32_t flags, stguard::ValidateOptions& options) noexcept {
  if ((flags & ~kKnownFlags) != 0) return false;
  options.deep_scan = (flags & STGUARD_FLAG_DEEP_SCAN) != 0;
  return true;
}

stguard_status UnknownFlags(uint32_t flags) noexcept {
  return Fail(STGUARD_ERR_INVALID_ARGUMENT,
              (flags & ~kKnownFlags) != 0 ? "unknown flag bits" : "bad flags");
}

// Runs `body`, turning any exception into a status.
template <typename Body>
stguard_status Guard(Body body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    return Fail(STGUARD_ERR_NO_MEMORY, "out of memory");
  } catch (const std::exception& e) {
    SetError(StrCat("internal error: ", e.what()));
    return STGUARD_ERR_INTERNAL;
  } catch (...) {
    return Fail(STGUARD_ERR_INTERNAL, "internal error");
  }
}

stguard_status MakeReport(stguard::Report&& report, stguard_report** out) {
  auto handle = std::make_unique<stguard_report>();
  handle->report = std::move(report);
  handle->ids.reserve(handle->report.findings.size());
  for (const stguard::Finding& f : handle->report.findings) {
    handle->ids.emplace_back(stguard::Info(f.code).id);
  }
  *out = handle.release();
  SetError("");
  return STGUARD_OK;
}

stguard_status PolicyResult(stguard::PolicyLoadResult&& loaded, stguard_policy** out) {
  if (!loaded.policy) return Fail(STGUARD_ERR_BAD_POLICY, loaded.error.c_str());
  *out = new stguard_policy{std::move(*loaded.policy)};
  SetError("");
  return STGUARD_OK;
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
  }
  return "unknown status";
}

const char* stguard_last_error(void) { return g_last_error.c_str(); }

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
    *out = new stguard_policy{std::move(*policy)};
    SetError("");
    return STGUARD_OK;
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

void stguard_policy_free(stguard_policy* policy) { delete policy; }

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
  if (!OptionsFromFlags(flags, options)) return UnknownFlags(flags);
  return Guard([&]() -> stguard_status {
    stguard::FileReport file = stguard::ValidateFile(path, policy->policy, options);
    if (!file.io_ok) {
      SetError(StrCat(path, ": ", file.io_error));
      return STGUARD_ERR_IO;
    }
    return MakeReport(std::move(file.report), out);
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
  if (!OptionsFromFlags(flags, options)) return UnknownFlags(flags);
  return Guard([&] {
    static const uint8_t kEmpty[1] = {0};
    const auto* bytes = data != nullptr ? static_cast<const uint8_t*>(data) : kEmpty;
    return MakeReport(stguard::ValidateBuffer(std::span<const uint8_t>(bytes, size),
                                              policy->policy, options),
                      out);
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
  if (!OptionsFromFlags(flags, options)) return UnknownFlags(flags);
  return Guard([&]() -> stguard_status {
    stguard::FileReport file = stguard::ValidateFd(fd, policy->policy, options);
    if (!file.io_ok) {
      SetError(StrCat("fd ", fd, ": ", file.io_error));
      return STGUARD_ERR_IO;
    }
    return MakeReport(std::move(file.report), out);
  });
}

stguard_status stguard_report_sha256(const stguard_report* report, char out[65]) {
  if (out == nullptr) return NullArgument("out");
  if (report == nullptr) return NullArgument("report");
  if (!report->report.content) {
    SetError("the report was made without STGUARD_FLAG_DEEP_SCAN");
    return STGUARD_ERR_INVALID_ARGUMENT;
  }
  const std::string hex = stguard::DigestHex(report->report.content->file_sha256);
  std::memcpy(out, hex.c_str(), hex.size() + 1);
  return STGUARD_OK;
}

stguard_status stguard_report_verdict(const stguard_report* report, stguard_verdict* out) {
  if (out == nullptr) return NullArgument("out");
  if (report == nullptr) return NullArgument("report");
  *out = report->report.verdict == stguard::Verdict::kAccept ? STGUARD_VERDICT_ACCEPT
                                                             : STGUARD_VERDICT_REJECT;
  return STGUARD_OK;
}

stguard_status stguard_report_file_size(const stguard_report* report, uint64_t* out) {
  if (out == nullptr) return NullArgument("out");
  if (report == nullptr) return NullArgument("report");
  *out = report->report.file_size;
  return STGUARD_OK;
}

stguard_status stguard_report_header_bytes(const stguard_report* report, uint64_t* out) {
  if (out == nullptr) return NullArgument("out");
  if (report == nullptr) return NullArgument("report");
  *out = report->report.header_bytes;
  return STGUARD_OK;
}

stguard_status stguard_report_tensor_count(const stguard_report* report, uint64_t* out) {
  if (out == nullptr) return NullArgument("out");
  if (report == nullptr) return NullArgument("report");
  *out = report->report.tensor_count;
  return STGUARD_OK;
}

stguard_status stguard_report_finding_count(const stguard_report* report, size_t* out) {
  if (out == nullptr) return NullArgument("out");
  if (report == nullptr) return NullArgument("report");
  *out = report->report.findings.size();
  return STGUARD_OK;
}

stguard_status stguard_report_finding(const stguard_report* report, size_t index,
                                      stguard_finding* out) {
  if (out == nullptr) return NullArgument("out");
  if (report == nullptr) return NullArgument("report");
  const std::vector<stguard::Finding>& findings = report->report.findings;
  if (index >= findings.size()) {
    try {
      g_last_error = StrCat("finding index ", index, " out of range (", findings.size(),
                            " findings)");
    } catch (...) {
      g_last_error.clear();
    }
    return STGUARD_ERR_INVALID_ARGUMENT;
  }
  const stguard::Finding& f = findings[index];
  out->code = static_cast<uint32_t>(f.code);
  out->id = report->ids[index].c_str();
  out->severity = static_cast<stguard_severity>(static_cast<int>(f.severity));
  out->offset = f.offset;
  out->has_tensor = f.tensor.has_value() ? 1 : 0;
  out->tensor = f.tensor ? f.tensor->c_str() : "";
  out->tensor_length = f.tensor ? f.tensor->size() : 0;
  out->message = f.message.c_str();
  return STGUARD_OK;
}

void stguard_report_free(stguard_report* report) { delete report; }

const char* stguard_code_id(uint32_t code) {
  // Ids are string literals in codes.cc: NUL-terminated.
  for (const stguard::CodeInfo& info : stguard::AllCodes()) {
    if (static_cast<uint32_t>(info.code) == code) return info.id.data();
  }
  return nullptr;
}

}  // extern "C"
