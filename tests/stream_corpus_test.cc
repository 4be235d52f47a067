// Standard input versus file over the whole corpus: every file, streamed in
// pseudo-random chunks through ValidateStream, gets the report ValidateFile
// gives it (findings, tensor table and deep-scan content), under each
// built-in policy.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "report_assertions.h"
#include "safetensors_builder.h"
#include "stguard/validate.h"

namespace stguard {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> CorpusFiles() {
  std::vector<std::string> files;
  for (const char* dir : {"/reference", "/real", "/examples", "/foreign", "/regressions"}) {
    const fs::path root = std::string(STGUARD_CORPUS_DIR) + dir;
    if (!fs::exists(root)) continue;
    for (const auto& entry : fs::recursive_directory_iterator(root)) {
      if (entry.is_regular_file() && entry.path().extension() != ".md" &&
          entry.path().extension() != ".py" && entry.path().extension() != ".tsv") {
        files.push_back(entry.path().string());
      }
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string Text(const Report& r) {
  std::string s = testing::Dump(r) + std::to_string(r.file_size) + "/" +
                  std::to_string(r.header_bytes) + "/" + std::to_string(r.tensor_count);
  for (const TensorRecord& t : r.tensors) s += "\n" + t.name;
  if (r.content) {
    s += "\n" + DigestHex(r.content->file_sha256);
    for (const TensorContent& t : r.content->tensors) {
      s += "\n" + t.name + " " + DigestHex(t.sha256) + " " + std::to_string(t.nan_count) + " " +
           std::to_string(t.inf_count) + " " + std::to_string(t.invalid_bool_count);
    }
  }
  return s;
}

TEST(StreamCorpus, StandardInputAgreesWithTheFileOnEveryCorpusFile) {
  const std::vector<std::string> files = CorpusFiles();
  ASSERT_GT(files.size(), 1650u);
  std::mt19937 rng(2026);
  size_t compared = 0;
  for (const std::string& path : files) {
    const std::vector<uint8_t> bytes = testing::ReadFileBytes(path);
    for (const char* policy : {"compat", "default", "strict"}) {
      ValidateOptions options;
      options.collect_tensors = true;
      options.deep_scan = std::string_view(policy) != "strict";
      const FileReport from_file = ValidateFile(path, testing::P(policy), options);
      ASSERT_TRUE(from_file.io_ok) << path;
      size_t at = 0;
      // Chunks of 1 byte to 64 KiB (stream_validate_test covers every
      // chunking of small files; here the sizes stay large enough for the
      // whole corpus to run quickly under the sanitizers).
      const uint32_t max_chunk = 1u << (6 + rng() % 11);
      const ReadFunction read = [&](char* out, size_t capacity) -> int64_t {
        const size_t n = std::min({capacity, bytes.size() - at, size_t{rng() % max_chunk + 1}});
        if (n > 0) std::memcpy(out, bytes.data() + at, n);
        at += n;
        return static_cast<int64_t>(n);
      };
      const FileReport streamed = ValidateStream(read, testing::P(policy), options);
      ASSERT_TRUE(streamed.io_ok) << path;
      ASSERT_EQ(Text(streamed.report), Text(from_file.report)) << path << " " << policy;
      ++compared;
    }
  }
  EXPECT_EQ(compared, files.size() * 3);
}

}  // namespace
}  // namespace stguard
