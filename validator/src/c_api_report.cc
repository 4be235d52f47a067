// The C API's report readers of revision 2 (stguard/stguard.h): the report
// as the CLI's JSON, the tensor table and the deep scan's per-tensor hashes.
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "c_api_internal.h"
#include "render.h"
#include "stguard/dtype.h"
#include "stguard/policy.h"
#include "stguard/report.h"

namespace {

using namespace stguard::capi;  // NOLINT: the C API's own helpers

static_assert(stguard::kDtypeCount == STGUARD_DTYPE_U64 + 1);
static_assert(static_cast<int>(stguard::Dtype::kBF16) == STGUARD_DTYPE_BF16);
static_assert(static_cast<int>(stguard::Dtype::kF8_E5M2FNUZ) == STGUARD_DTYPE_F8_E5M2FNUZ);
static_assert(static_cast<int>(stguard::Dtype::kU64) == STGUARD_DTYPE_U64);

constexpr uint32_t kKnownJsonFlags = STGUARD_JSON_LINE;

// The policy as the renderer needs it: only its name is written.
stguard::Policy NamedPolicy(const std::string& name) {
  stguard::Policy policy;
  policy.name = name;
  return policy;
}

// Shared by stguard_report_json and stguard_checkpoint_json: `files`
// rendered as `check --format json` (with the walk's `summary`) or, with
// STGUARD_JSON_LINE, as `--format jsonl`.
stguard_status RenderFiles(const std::vector<stguard::ScannedFile>& files,
                           const std::string& policy_name, const stguard::ScanSummary& summary,
                           uint32_t flags, char** out, size_t* out_length) {
  std::string text;
  if ((flags & STGUARD_JSON_LINE) != 0) {
    for (const stguard::ScannedFile& f : files) text += stguard::cli::RenderJsonLine(f).str();
  } else {
    text = stguard::cli::RenderJson(files, NamedPolicy(policy_name), &summary).str();
  }
  return ReturnString(text, out, out_length);
}

// The first checks of every reader below: out, then a live report.
stguard_status CheckReportAndOut(const stguard_report* report, const void* out) noexcept {
  if (out == nullptr) return NullArgument("out");
  return CheckHandle(report, HandleKind::kReport, "report");
}

}  // namespace

namespace stguard::capi {

stguard_status JsonOfFiles(const std::vector<ScannedFile>& files, const std::string& policy_name,
                           const ScanSummary& summary, uint32_t flags, char** out,
                           size_t* out_length) noexcept {
  if (out == nullptr) return NullArgument("out");
  *out = nullptr;
  if (RejectUnknownFlags(flags, kKnownJsonFlags)) return STGUARD_ERR_INVALID_ARGUMENT;
  return Guard([&] { return RenderFiles(files, policy_name, summary, flags, out, out_length); });
}

}  // namespace stguard::capi

extern "C" {

int stguard_api_revision(void) { return STGUARD_C_API_REVISION; }

stguard_status stguard_report_json(const stguard_report* report, const char* path,
                                   uint32_t flags, char** out, size_t* out_length) {
  if (out == nullptr) return NullArgument("out");
  *out = nullptr;
  if (const stguard_status s = CheckHandle(report, HandleKind::kReport, "report");
      s != STGUARD_OK) {
    return s;
  }
  return Guard([&] {
    // A copy of the report (the renderer takes a list of files); the
    // handle itself is only read.
    std::vector<stguard::ScannedFile> files(1, report->file);
    if (path != nullptr) files[0].path = path;
    return JsonOfFiles(files, report->policy_name, stguard::ScanSummary{}, flags, out,
                       out_length);
  });
}

void stguard_string_free(char* text) { std::free(text); }

stguard_status stguard_report_tensor_table_size(const stguard_report* report, size_t* out) {
  if (const stguard_status s = CheckReportAndOut(report, out); s != STGUARD_OK) return s;
  if (!report->tensors_collected) {
    return Fail(STGUARD_ERR_INVALID_ARGUMENT,
                "the report was made without STGUARD_FLAG_TENSORS");
  }
  *out = report->file.report.tensors.size();
  return STGUARD_OK;
}

stguard_status stguard_report_tensor(const stguard_report* report, size_t index,
                                     stguard_tensor* out, size_t out_size) {
  size_t count = 0;
  if (const stguard_status s = stguard_report_tensor_table_size(report, &count);
      s != STGUARD_OK) {
    return s;
  }
  if (out == nullptr) return NullArgument("out");
  if (const stguard_status s = CheckSize(out_size, sizeof(stguard_tensor), "stguard_tensor");
      s != STGUARD_OK) {
    return s;
  }
  if (index >= count) return IndexOutOfRange("tensor", index, count);
  static const uint64_t kNoDimensions[1] = {0};
  const stguard::TensorRecord& t = report->file.report.tensors[index];
  out->name = t.name.c_str();
  out->name_length = t.name.size();
  out->dtype = static_cast<stguard_dtype>(static_cast<int>(t.dtype));
  // DtypeName views a string literal: NUL-terminated.
  out->dtype_name = stguard::DtypeName(t.dtype).data();
  out->rank = t.shape.size();
  out->shape = t.shape.empty() ? kNoDimensions : t.shape.data();
  out->data_begin = t.data_begin;
  out->data_end = t.data_end;
  return STGUARD_OK;
}

stguard_status stguard_report_hashed_tensor_count(const stguard_report* report,
                                                  int* tensors_scanned, size_t* count) {
  if (const stguard_status s = CheckReportAndOut(report, count); s != STGUARD_OK) return s;
  const std::optional<stguard::ContentScan>& content = report->file.report.content;
  if (!content) {
    return Fail(STGUARD_ERR_INVALID_ARGUMENT,
                "the report was made without STGUARD_FLAG_DEEP_SCAN");
  }
  if (tensors_scanned != nullptr) *tensors_scanned = content->tensors_scanned ? 1 : 0;
  *count = content->tensors.size();
  return STGUARD_OK;
}

stguard_status stguard_report_hashed_tensor(const stguard_report* report, size_t index,
                                            stguard_tensor_hash* out, size_t out_size) {
  size_t count = 0;
  if (const stguard_status s = stguard_report_hashed_tensor_count(report, nullptr, &count);
      s != STGUARD_OK) {
    return s;
  }
  if (out == nullptr) return NullArgument("out");
  if (const stguard_status s =
          CheckSize(out_size, sizeof(stguard_tensor_hash), "stguard_tensor_hash");
      s != STGUARD_OK) {
    return s;
  }
  if (index >= count) return IndexOutOfRange("hashed tensor", index, count);
  return Guard([&] {
    const stguard::TensorContent& t = report->file.report.content->tensors[index];
    out->name = t.name.c_str();
    out->name_length = t.name.size();
    out->dtype = static_cast<stguard_dtype>(static_cast<int>(t.dtype));
    out->data_begin = t.data_begin;
    out->data_end = t.data_end;
    const std::string hex = stguard::DigestHex(t.sha256);
    std::memcpy(out->sha256, hex.c_str(), hex.size() + 1);
    out->nan_count = t.nan_count;
    out->inf_count = t.inf_count;
    out->invalid_bool_count = t.invalid_bool_count;
    return STGUARD_OK;
  });
}

}  // extern "C"
