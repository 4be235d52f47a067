// A main() for building the fuzz targets without libFuzzer (any compiler,
// gcc included): feeds every file named on the command line, and every
// regular file under a directory named there (recursively, sorted), to
// LLVMFuzzerTestOneInput once. An input that breaks an invariant aborts the
// process, so the replay fails. Ends with "<target>: replayed N inputs".
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

#ifndef STGUARD_FUZZ_TARGET_NAME
#define STGUARD_FUZZ_TARGET_NAME "fuzz_target"
#endif

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) __attribute__((weak));
// libFuzzer's byte mutator, absent here: custom mutators check for null.
extern "C" size_t LLVMFuzzerMutate(uint8_t* data, size_t size, size_t max_size)
    __attribute__((weak));

namespace fs = std::filesystem;

namespace {

bool RunFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "%s: cannot read %s\n", STGUARD_FUZZ_TARGET_NAME, path.c_str());
    return false;
  }
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<uint8_t> copy(bytes.begin(), bytes.end());  // exact-size heap buffer
  std::fprintf(stderr, "Running: %s (%zu bytes)\n", path.c_str(), copy.size());
  LLVMFuzzerTestOneInput(copy.data(), copy.size());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize != nullptr) LLVMFuzzerInitialize(&argc, &argv);
  size_t replayed = 0;
  bool ok = true;
  for (int i = 1; i < argc; ++i) {
    const fs::path arg(argv[i]);
    std::error_code ec;
    if (fs::is_directory(arg, ec)) {
      std::vector<fs::path> files;
      for (fs::recursive_directory_iterator it(arg, ec), end; !ec && it != end; it.increment(ec)) {
        if (it->is_regular_file(ec)) files.push_back(it->path());
      }
      if (ec) {
        std::fprintf(stderr, "%s: cannot list %s: %s\n", STGUARD_FUZZ_TARGET_NAME, argv[i],
                     ec.message().c_str());
        ok = false;
      }
      std::sort(files.begin(), files.end());
      for (const fs::path& file : files) {
        if (file.filename() == "README.md") continue;
        if (RunFile(file)) {
          ++replayed;
        } else {
          ok = false;
        }
      }
    } else if (fs::is_regular_file(arg, ec)) {
      if (RunFile(arg)) {
        ++replayed;
      } else {
        ok = false;
      }
    } else {
      std::fprintf(stderr, "%s: no such file or directory: %s\n", STGUARD_FUZZ_TARGET_NAME,
                   argv[i]);
      ok = false;
    }
  }
  std::printf("%s: replayed %zu inputs\n", STGUARD_FUZZ_TARGET_NAME, replayed);
  return ok ? 0 : 1;
}
