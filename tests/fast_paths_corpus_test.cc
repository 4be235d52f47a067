// The fast paths against the exact readers over the whole corpus: every
// file, under each built-in policy and two JSON batch sizes, gets the same
// report (findings, messages, offsets, tensor table) with the fast paths on
// and off (fast_paths.h). fuzz_check checks the same on every input it runs.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "fast_paths.h"
#include "report_assertions.h"
#include "safetensors_builder.h"
#include "stguard/validate.h"

namespace stguard {
namespace {

namespace fs = std::filesystem;

std::string Text(const Report& r) {
  std::string s = testing::Dump(r) + std::to_string(r.tensor_count);
  for (const TensorRecord& t : r.tensors) {
    s += "\n" + t.name + " " + std::string(DtypeName(t.dtype)) + " " +
         std::to_string(t.data_begin) + "-" + std::to_string(t.data_end) + " rank " +
         std::to_string(t.shape.size());
    for (const uint64_t d : t.shape) s += " " + std::to_string(d);
  }
  return s;
}

TEST(FastPathsCorpus, ExactReadersGiveTheSameReportOnEveryCorpusFile) {
  std::vector<std::string> files;
  for (const char* dir : {"/reference", "/real", "/examples", "/foreign", "/seeds/fuzz_check",
                          "/seeds/fuzz_header", "/seeds/fuzz_structured"}) {
    const fs::path root = std::string(STGUARD_CORPUS_DIR) + dir;
    if (!fs::exists(root)) continue;
    for (const auto& entry : fs::recursive_directory_iterator(root)) {
      if (entry.is_regular_file() && entry.path().extension() != ".md") {
        files.push_back(entry.path().string());
      }
    }
  }
  std::sort(files.begin(), files.end());
  ASSERT_GT(files.size(), 4000u);
  size_t compared = 0;
  for (const std::string& path : files) {
    const std::vector<uint8_t> bytes = testing::ReadFileBytes(path);
    for (const char* policy : {"compat", "default", "strict"}) {
      for (const uint32_t batch : {256u * 1024u, 97u}) {
        ValidateOptions options;
        options.collect_tensors = true;
        options.json_batch_bytes = batch;
        const Report fast = ValidateBuffer(bytes, testing::P(policy), options);
        Report exact;
        {
          const internal::ScopedFastPathsOff off;
          exact = ValidateBuffer(bytes, testing::P(policy), options);
        }
        ASSERT_EQ(Text(fast), Text(exact)) << path << " " << policy << " batch " << batch;
        ++compared;
      }
    }
  }
  EXPECT_EQ(compared, files.size() * 6);
}

}  // namespace
}  // namespace stguard
