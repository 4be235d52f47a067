// The C API's checkpoints (revision 2, stguard/stguard.h): a directory, an
// index with its shards or any other path, judged by the repository scanner
// as `stguard check PATH` judges it, and read back file by file.
#include <memory>
#include <string>
#include <vector>

#include "c_api_internal.h"
#include "stguard/codes.h"
#include "stguard/scan.h"

namespace {

using namespace stguard::capi;  // NOLINT: the C API's own helpers

static_assert(static_cast<int>(stguard::FileRole::kSafetensors) == STGUARD_ROLE_SAFETENSORS);
static_assert(static_cast<int>(stguard::FileRole::kIndex) == STGUARD_ROLE_INDEX);
static_assert(static_cast<int>(stguard::FileRole::kShard) == STGUARD_ROLE_SHARD);
static_assert(static_cast<int>(stguard::FileRole::kModelFile) == STGUARD_ROLE_MODEL_FILE);
static_assert(stguard::kSkipReasonCount == 5, "stguard.h documents 5 skip counters");

stguard_status CheckCheckpointAndOut(const stguard_checkpoint* checkpoint,
                                     const void* out) noexcept {
  if (out == nullptr) return NullArgument("out");
  return CheckHandle(checkpoint, HandleKind::kCheckpoint, "checkpoint");
}

}  // namespace

extern "C" {

stguard_status stguard_validate_checkpoint(const stguard_policy* policy, const char* path,
                                           uint32_t flags, stguard_checkpoint** out) {
  if (out != nullptr) *out = nullptr;
  if (out == nullptr) return NullArgument("out");
  if (const stguard_status s = CheckHandle(policy, HandleKind::kPolicy, "policy");
      s != STGUARD_OK) {
    return s;
  }
  if (path == nullptr) return NullArgument("path");
  if (RejectUnknownFlags(flags, STGUARD_FLAG_DEEP_SCAN)) return STGUARD_ERR_INVALID_ARGUMENT;
  return Guard([&]() -> stguard_status {
    auto handle = std::make_unique<stguard_checkpoint>();
    stguard::ScanOptions options;
    options.validate.deep_scan = (flags & STGUARD_FLAG_DEEP_SCAN) != 0;
    handle->summary = stguard::ScanPaths(
        {path}, policy->policy, options,
        [&](stguard::ScannedFile&& f) { handle->files.push_back(std::move(f)); });
    handle->policy_name = policy->policy.name;
    RegisterHandle(handle.get(), HandleKind::kCheckpoint);
    *out = handle.release();
    SetError("");
    return STGUARD_OK;
  });
}

stguard_status stguard_checkpoint_verdict(const stguard_checkpoint* checkpoint,
                                          stguard_verdict* out) {
  if (const stguard_status s = CheckCheckpointAndOut(checkpoint, out); s != STGUARD_OK) return s;
  bool accept = !checkpoint->files.empty();
  for (const stguard::ScannedFile& f : checkpoint->files) {
    accept = accept && f.io_ok && f.report.verdict == stguard::Verdict::kAccept;
  }
  *out = accept ? STGUARD_VERDICT_ACCEPT : STGUARD_VERDICT_REJECT;
  return STGUARD_OK;
}

stguard_status stguard_checkpoint_file_count(const stguard_checkpoint* checkpoint,
                                             size_t* out) {
  if (const stguard_status s = CheckCheckpointAndOut(checkpoint, out); s != STGUARD_OK) return s;
  *out = checkpoint->files.size();
  return STGUARD_OK;
}

stguard_status stguard_checkpoint_file(const stguard_checkpoint* checkpoint, size_t index,
                                       stguard_judged_file* out, size_t out_size) {
  if (const stguard_status s = CheckCheckpointAndOut(checkpoint, out); s != STGUARD_OK) return s;
  if (const stguard_status s =
          CheckSize(out_size, sizeof(stguard_judged_file), "stguard_judged_file");
      s != STGUARD_OK) {
    return s;
  }
  const std::vector<stguard::ScannedFile>& files = checkpoint->files;
  if (index >= files.size()) return IndexOutOfRange("file", index, files.size());
  const stguard::ScannedFile& f = files[index];
  out->path = f.path.c_str();
  out->path_length = f.path.size();
  out->role = static_cast<stguard_file_role>(static_cast<int>(f.role));
  out->index = f.index.c_str();
  out->io_ok = f.io_ok ? 1 : 0;
  out->io_error = f.io_error.c_str();
  out->verdict = f.io_ok && f.report.verdict == stguard::Verdict::kAccept
                     ? STGUARD_VERDICT_ACCEPT
                     : STGUARD_VERDICT_REJECT;
  out->finding_count = f.io_ok ? f.report.findings.size() : 0;
  out->file_size = f.report.file_size;
  out->header_bytes = f.report.header_bytes;
  out->tensor_count = f.report.tensor_count;
  return STGUARD_OK;
}

stguard_status stguard_checkpoint_finding(const stguard_checkpoint* checkpoint,
                                          size_t file_index, size_t finding_index,
                                          stguard_finding* out) {
  if (const stguard_status s = CheckCheckpointAndOut(checkpoint, out); s != STGUARD_OK) return s;
  const std::vector<stguard::ScannedFile>& files = checkpoint->files;
  if (file_index >= files.size()) return IndexOutOfRange("file", file_index, files.size());
  const stguard::ScannedFile& file = files[file_index];
  const size_t count = file.io_ok ? file.report.findings.size() : 0;
  if (finding_index >= count) return IndexOutOfRange("finding", finding_index, count);
  // Ids are string literals in codes.cc: NUL-terminated.
  const stguard::Finding& f = file.report.findings[finding_index];
  FillFinding(f, stguard::Info(f.code).id.data(), out);
  return STGUARD_OK;
}

stguard_status stguard_checkpoint_skipped(const stguard_checkpoint* checkpoint, uint64_t* out,
                                          size_t count) {
  if (const stguard_status s = CheckCheckpointAndOut(checkpoint, out); s != STGUARD_OK) return s;
  if (count < stguard::kSkipReasonCount) {
    return Fail(STGUARD_ERR_INVALID_ARGUMENT, "count is smaller than the 5 skip reasons");
  }
  for (size_t i = 0; i < stguard::kSkipReasonCount; ++i) out[i] = checkpoint->summary.skipped[i];
  return STGUARD_OK;
}

stguard_status stguard_checkpoint_json(const stguard_checkpoint* checkpoint, uint32_t flags,
                                       char** out, size_t* out_length) {
  if (out == nullptr) return NullArgument("out");
  *out = nullptr;
  if (const stguard_status s = CheckHandle(checkpoint, HandleKind::kCheckpoint, "checkpoint");
      s != STGUARD_OK) {
    return s;
  }
  return JsonOfFiles(checkpoint->files, checkpoint->policy_name, checkpoint->summary, flags, out,
                     out_length);
}

void stguard_checkpoint_free(stguard_checkpoint* checkpoint) {
  if (checkpoint != nullptr && ReleaseHandle(checkpoint, HandleKind::kCheckpoint)) {
    delete checkpoint;
  }
}

}  // extern "C"
