// The C API's shared machinery (c_api_internal.h): last error, live
// handles, report handles and returned strings.
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "c_api_internal.h"

namespace stguard::capi {
namespace {

thread_local std::string g_last_error;

struct HandleSet {
  std::mutex mutex;
  std::unordered_map<const void*, HandleKind> live;
};

// Never destroyed: a handle may be freed from another static's destructor.
HandleSet& Handles() {
  static HandleSet* const handles = new HandleSet;
  return *handles;
}

}  // namespace

const char* LastError() noexcept { return g_last_error.c_str(); }

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
    g_last_error = internal::StrCat(what, " is NULL");
  } catch (...) {
    g_last_error.clear();
  }
  return STGUARD_ERR_INVALID_ARGUMENT;
}

stguard_status IndexOutOfRange(const char* what, size_t index, size_t count) noexcept {
  try {
    g_last_error = internal::StrCat(what, " index ", index, " out of range (", count, " ", what,
                                    count == 1 ? ")" : "s)");
  } catch (...) {
    g_last_error.clear();
  }
  return STGUARD_ERR_INVALID_ARGUMENT;
}

void FillFinding(const Finding& f, const char* id, stguard_finding* out) noexcept {
  out->code = static_cast<uint32_t>(f.code);
  out->id = id;
  out->severity = static_cast<stguard_severity>(static_cast<int>(f.severity));
  out->offset = f.offset;
  out->has_tensor = f.tensor.has_value() ? 1 : 0;
  out->tensor = f.tensor ? f.tensor->c_str() : "";
  out->tensor_length = f.tensor ? f.tensor->size() : 0;
  out->message = f.message.c_str();
}

stguard_status CheckSize(size_t size, size_t want, const char* what) noexcept {
  if (size >= want) return STGUARD_OK;
  try {
    g_last_error = internal::StrCat("out_size ", size, " is smaller than sizeof(", what,
                                    ") = ", want);
  } catch (...) {
    g_last_error.clear();
  }
  return STGUARD_ERR_INVALID_ARGUMENT;
}

void RegisterHandle(const void* handle, HandleKind kind) {
  HandleSet& handles = Handles();
  std::lock_guard<std::mutex> lock(handles.mutex);
  handles.live[handle] = kind;
}

bool ReleaseHandle(const void* handle, HandleKind kind) noexcept {
  HandleSet& handles = Handles();
  std::lock_guard<std::mutex> lock(handles.mutex);
  const auto it = handles.live.find(handle);
  if (it == handles.live.end() || it->second != kind) return false;
  handles.live.erase(it);
  return true;
}

bool IsLiveHandle(const void* handle, HandleKind kind) noexcept {
  HandleSet& handles = Handles();
  std::lock_guard<std::mutex> lock(handles.mutex);
  const auto it = handles.live.find(handle);
  return it != handles.live.end() && it->second == kind;
}

stguard_status CheckHandle(const void* handle, HandleKind kind, const char* what) noexcept {
  if (handle == nullptr) return NullArgument(what);
  if (IsLiveHandle(handle, kind)) return STGUARD_OK;
  try {
    g_last_error = internal::StrCat(what, " is not a live stguard_", what,
                                    " (freed already, or not made by this library)");
  } catch (...) {
    g_last_error.clear();
  }
  return STGUARD_ERR_INVALID_ARGUMENT;
}

bool RejectUnknownFlags(uint32_t flags, uint32_t known) noexcept {
  if ((flags & ~known) == 0) return false;
  try {
    g_last_error = internal::StrCat("unknown flag bits (", flags & ~known, ")");
  } catch (...) {
    g_last_error.clear();
  }
  return true;
}

stguard_status MakeReport(ScannedFile&& file, const Policy& policy, bool tensors_collected,
                          stguard_report** out) {
  auto handle = std::make_unique<stguard_report>();
  handle->tensors_collected = tensors_collected;
  handle->file = std::move(file);
  handle->file.role = FileRole::kSafetensors;
  handle->policy_name = policy.name;
  handle->ids.reserve(handle->file.report.findings.size());
  for (const Finding& f : handle->file.report.findings) {
    handle->ids.emplace_back(Info(f.code).id);
  }
  RegisterHandle(handle.get(), HandleKind::kReport);
  *out = handle.release();
  SetError("");
  return STGUARD_OK;
}

stguard_status ReturnString(const std::string& text, char** out, size_t* length) noexcept {
  char* copy = static_cast<char*>(std::malloc(text.size() + 1));
  if (copy == nullptr) return Fail(STGUARD_ERR_NO_MEMORY, "out of memory");
  std::memcpy(copy, text.c_str(), text.size() + 1);
  *out = copy;
  if (length != nullptr) *length = text.size();
  SetError("");
  return STGUARD_OK;
}

}  // namespace stguard::capi
