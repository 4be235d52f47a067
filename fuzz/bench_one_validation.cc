// Not a fuzz target: a reference for `fuzz/run-campaign --bench`. It runs
// fuzz_check's per-report checks on one validation per input (the default
// policy), where fuzz_check validates four times (compat, default, strict,
// and one of them again) to compare the reports. Fuzzed from the same seeds
// with the same build, it shows what fuzz_check's cross-policy oracle costs
// in executions per second, and so how fast fuzz_check could be if the
// oracle were spread over other targets.
#include <cstddef>
#include <cstdint>
#include <span>

#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  stguard::ValidateOptions collect;
  collect.collect_tensors = true;
  const stguard::Report report = stguard::ValidateBuffer(
      std::span<const uint8_t>(data, size), stguard_fuzz::BuiltinByIndex(1), collect);
  stguard_fuzz::CheckReport(report, size, "default");
  return 0;
}
