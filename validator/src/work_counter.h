// Work accounting for fuzz builds. Every loop whose trip count an input
// controls adds its steps here (comparisons in sorts, bytes scanned, values
// read, opcodes walked), so that a fuzz target can fail an input whose work
// is not O(n log n) in its size: a quadratic path is then a crash the
// fuzzers find, not a hang nobody notices (fuzz/README.md, "Work oracle").
// Compiled to nothing unless STGUARD_COUNT_WORK is defined (the fuzz
// builds define it).
#ifndef STGUARD_SRC_WORK_COUNTER_H_
#define STGUARD_SRC_WORK_COUNTER_H_

#include <cstdint>

namespace stguard::internal {

#if defined(STGUARD_COUNT_WORK)
inline thread_local uint64_t work_steps = 0;
inline void CountWork(uint64_t steps) { work_steps += steps; }
inline uint64_t WorkSteps() { return work_steps; }
inline void ResetWork() { work_steps = 0; }
inline constexpr bool kCountingWork = true;
#else
inline void CountWork(uint64_t) {}
inline uint64_t WorkSteps() { return 0; }
inline void ResetWork() {}
inline constexpr bool kCountingWork = false;
#endif

}  // namespace stguard::internal

#endif  // STGUARD_SRC_WORK_COUNTER_H_
