// Not a fuzz target: a reference for `fuzz/run-campaign --bench`. One
// validation per input (default policy) followed by the basic report checks
// only (fuzz_common's CheckReport), where fuzz_check adds the work, severity,
// size, accepted-header and stage oracles. Fuzzed from the same seeds with the
// same build, it shows what those oracles cost in executions per second, and
// so the most fuzz_check could reach with the validator as it is.
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
