// The corpus files the C API tests run over (tests/capi_v2_test.cc,
// tests/capi_reader_test.cc): accepted and rejected examples, a BOOL and an
// F8 file, and a real model.
#ifndef STGUARD_TESTS_SUPPORT_CAPI_SAMPLES_H_
#define STGUARD_TESTS_SUPPORT_CAPI_SAMPLES_H_

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

namespace stguard::testing {

// Files of several kinds: accepted, rejected, foreign, every real dtype.
inline std::vector<std::string> CapiSampleFiles(const std::string& corpus) {
  std::vector<std::string> files;
  for (const char* dir : {"/examples/accepted", "/examples/rejected"}) {
    for (const auto& e : std::filesystem::directory_iterator(corpus + dir)) {
      files.push_back(e.path());
    }
  }
  for (const char* name : {"/real/dtype_bool.safetensors", "/real/dtype_float8_e4m3fn.safetensors",
                           "/real/gpt2_float32/model.safetensors"}) {
    files.push_back(corpus + name);
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace stguard::testing

#endif  // STGUARD_TESTS_SUPPORT_CAPI_SAMPLES_H_
