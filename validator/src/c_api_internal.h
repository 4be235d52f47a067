// What the C API's source files share (c_api.cc, c_api_report.cc,
// c_api_checkpoint.cc): the handles' definitions, the calling thread's last
// error, the guard that keeps exceptions from crossing into C, and the set
// of live handles that lets a function tell a handle it made from a freed
// or foreign pointer.
#ifndef STGUARD_SRC_C_API_INTERNAL_H_
#define STGUARD_SRC_C_API_INTERNAL_H_

#include <cstdint>
#include <exception>
#include <new>
#include <string>
#include <vector>

#include "stguard/policy.h"
#include "stguard/report.h"
#include "stguard/scan.h"
#include "stguard/stguard.h"
#include "str_cat.h"

struct stguard_policy {
  stguard::Policy policy;
};

struct stguard_report {
  // The report with what the JSON rendering adds to it: the path (the file
  // validated, or "-" for bytes that came from memory or a descriptor) and
  // the role (always kSafetensors).
  stguard::ScannedFile file;
  std::string policy_name;
  bool tensors_collected = false;  // made with STGUARD_FLAG_TENSORS
  // Codes' ids as NUL-terminated strings, per finding (ids are string_views
  // into static tables, not guaranteed NUL-terminated).
  std::vector<std::string> ids;
};

struct stguard_checkpoint {
  std::vector<stguard::ScannedFile> files;
  stguard::ScanSummary summary;
  std::string policy_name;
};

namespace stguard::capi {

// The calling thread's last error message (stguard_last_error()).
const char* LastError() noexcept;
void SetError(const char* message) noexcept;
void SetError(const std::string& message) noexcept;
stguard_status Fail(stguard_status status, const char* message) noexcept;
// "<what> is NULL", STGUARD_ERR_INVALID_ARGUMENT.
stguard_status NullArgument(const char* what) noexcept;

// Every handle the library hands out is recorded until it is freed, so a
// function given a freed, foreign or mistyped pointer says so instead of
// reading it. (A pointer freed and then reused by the allocator for a new
// handle of the same kind cannot be told apart: it is that new handle.)
enum class HandleKind : uint8_t { kPolicy, kReport, kCheckpoint };
void RegisterHandle(const void* handle, HandleKind kind);  // throws std::bad_alloc
// Removes the record; false when `handle` is not a live handle of `kind`
// (then it must not be deleted).
bool ReleaseHandle(const void* handle, HandleKind kind) noexcept;
bool IsLiveHandle(const void* handle, HandleKind kind) noexcept;
// STGUARD_OK for a live handle of `kind`; otherwise the error (NULL, or
// "not a live <what>": freed, foreign or of another kind).
stguard_status CheckHandle(const void* handle, HandleKind kind, const char* what) noexcept;

// Runs `body`, turning any exception into a status.
template <typename Body>
stguard_status Guard(Body body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    return Fail(STGUARD_ERR_NO_MEMORY, "out of memory");
  } catch (const std::exception& e) {
    SetError(internal::StrCat("internal error: ", e.what()));
    return STGUARD_ERR_INTERNAL;
  } catch (...) {
    return Fail(STGUARD_ERR_INTERNAL, "internal error");
  }
}

// Unknown bits in `flags` (those outside `known`): sets the error and
// returns true.
bool RejectUnknownFlags(uint32_t flags, uint32_t known) noexcept;

// A report handle over `file` (registered), for `policy`.
stguard_status MakeReport(ScannedFile&& file, const Policy& policy, bool tensors_collected,
                          stguard_report** out);

// `files` as `stguard check --format json` prints them (with the walk's
// `summary`), or with STGUARD_JSON_LINE as `--format jsonl`, returned as
// ReturnString does. Checks out and flags.
stguard_status JsonOfFiles(const std::vector<ScannedFile>& files, const std::string& policy_name,
                           const ScanSummary& summary, uint32_t flags, char** out,
                           size_t* out_length) noexcept;

// `text` as a NUL-terminated malloc'd copy for the caller
// (stguard_string_free), its length in *length.
stguard_status ReturnString(const std::string& text, char** out, size_t* length) noexcept;

// Fills `out` from `f`; `id` is the code's id, NUL-terminated, owned by
// the handle or static.
void FillFinding(const Finding& f, const char* id, stguard_finding* out) noexcept;

// STGUARD_OK when the caller's struct size `size` holds `want` bytes.
stguard_status CheckSize(size_t size, size_t want, const char* what) noexcept;

// "finding index 3 out of range (2 findings)".
stguard_status IndexOutOfRange(const char* what, size_t index, size_t count) noexcept;

}  // namespace stguard::capi

#endif  // STGUARD_SRC_C_API_INTERNAL_H_
