// fuzz_index: the sharded-checkpoint index parser and cross-checks. The
// input is the text of a model.safetensors.index.json, written into a
// private directory that holds fixture shards (written at start-up): two
// good shards, a broken one, and a symlink that leads outside the directory.
// Oracle (abort on any violation):
//   - ValidateCheckpoint is deterministic (same report twice);
//   - every index finding has a known code and an offset inside the index;
//   - the verdict is reject exactly when an index finding is an error or a
//     checked shard is rejected;
//   - a shard that was opened has a plain file name (no separator, not "."
//     or "..", no NUL) and lies in the index's directory;
//   - under compat, a checkpoint is never rejected for a reason default
//     accepts (rejections grow compat -> default).
#include <stdlib.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "fuzz_common.h"
#include "stguard/checkpoint.h"

namespace {

std::string& Dir() {
  static std::string dir;
  return dir;
}

void WriteFile(const std::string& path, std::string_view bytes) {
  if (FILE* f = std::fopen(path.c_str(), "wb")) {
    std::fwrite(bytes.data(), 1, bytes.size(), f);
    std::fclose(f);
  }
}

std::string Shard(std::string_view header, std::string_view data) {
  std::string padded(header);
  while (padded.size() % 8 != 0) padded += ' ';
  const std::vector<uint8_t> framed = stguard_fuzz::Frame(
      padded, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(data.data()), data.size()));
  return std::string(framed.begin(), framed.end());
}

void SetUp() {
  if (!Dir().empty()) return;
  char tmpl[] = "/tmp/stguard-fuzz-index-XXXXXX";
  const char* dir = mkdtemp(tmpl);
  Dir() = dir != nullptr ? dir : "/nonexistent-stguard-fuzz";
  if (dir == nullptr) return;
  WriteFile(Dir() + "/model-00001-of-00002.safetensors",
            Shard(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                  R"("b":{"dtype":"U8","shape":[3],"data_offsets":[8,11]}})",
                  std::string(11, '\0')));
  WriteFile(Dir() + "/model-00002-of-00002.safetensors",
            Shard(R"({"__metadata__":{"format":"pt"},)"
                  R"("c":{"dtype":"BF16","shape":[1],"data_offsets":[0,2]}})",
                  std::string(2, '\0')));
  WriteFile(Dir() + "/broken.safetensors", "this is not safetensors");
  if (symlink("/etc/hostname", (Dir() + "/escape.safetensors").c_str()) != 0) {
    // Without the symlink the target still fuzzes everything else.
  }
}

void CheckReport(const stguard::CheckpointReport& r, const char* what) {
  bool index_error = false, shard_rejected = false;
  for (const stguard::Finding& f : r.findings) {
    if (!stguard_fuzz::IsKnownCode(f.code)) stguard_fuzz::Fail(std::string(what) + ": unknown code");
    const bool offset_ok = r.index_size == 0 ? f.offset == 0 : f.offset < r.index_size;
    if (!offset_ok) stguard_fuzz::Fail(std::string(what) + ": finding offset outside the index");
    index_error |= f.severity == stguard::Severity::kError;
  }
  for (const stguard::ShardReport& shard : r.shards) {
    if (!shard.checked) continue;
    const std::string& name = shard.file_name;
    if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos ||
        name.find('\0') != std::string::npos) {
      stguard_fuzz::Fail(std::string(what) + ": opened a shard with an unsafe name");
    }
    if (shard.path != Dir() + "/" + name) {
      stguard_fuzz::Fail(std::string(what) + ": shard path outside the index directory");
    }
    stguard_fuzz::CheckFindings(shard.report, "shard");
    shard_rejected |= shard.report.verdict == stguard::Verdict::kReject;
  }
  const bool reject = index_error || shard_rejected;
  if (r.index_io_ok && reject != (r.verdict == stguard::Verdict::kReject)) {
    stguard_fuzz::Fail(std::string(what) + ": verdict does not follow the findings");
  }
}

std::string Summary(const stguard::CheckpointReport& r) {
  std::string s = std::to_string(static_cast<int>(r.verdict)) + "/" +
                  std::to_string(r.listed_tensors) + "/" + std::to_string(r.shards.size());
  for (const stguard::Finding& f : r.findings) {
    s += "|" + std::to_string(static_cast<unsigned>(f.code)) + "@" + std::to_string(f.offset) +
         ":" + f.message;
  }
  for (const stguard::ShardReport& shard : r.shards) {
    s += "|" + shard.file_name + (shard.checked ? "+" : "-") +
         std::to_string(shard.report.findings.size());
  }
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  SetUp();
  const std::string index = Dir() + "/model.safetensors.index.json";
  WriteFile(index, std::string_view(reinterpret_cast<const char*>(data), size));
  const stguard::CheckpointReport compat =
      stguard::ValidateCheckpoint(index, stguard_fuzz::BuiltinByIndex(0));
  const stguard::CheckpointReport standard =
      stguard::ValidateCheckpoint(index, stguard_fuzz::BuiltinByIndex(1));
  const stguard::CheckpointReport again =
      stguard::ValidateCheckpoint(index, stguard_fuzz::BuiltinByIndex(1));
  if (!compat.index_io_ok || !standard.index_io_ok) {
    stguard_fuzz::Fail("the index could not be read: " + compat.index_io_error +
                       standard.index_io_error);
  }
  CheckReport(compat, "compat");
  CheckReport(standard, "default");
  if (Summary(standard) != Summary(again)) stguard_fuzz::Fail("ValidateCheckpoint is not deterministic");
  if (compat.verdict == stguard::Verdict::kReject && standard.verdict == stguard::Verdict::kAccept) {
    stguard_fuzz::Fail("compat rejects a checkpoint default accepts");
  }
  return 0;
}
