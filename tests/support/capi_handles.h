// The C API's handles owned by unique_ptrs, for the C API tests
// (tests/capi*_test.cc): freed however a test ends.
#ifndef STGUARD_TESTS_SUPPORT_CAPI_HANDLES_H_
#define STGUARD_TESTS_SUPPORT_CAPI_HANDLES_H_

#include <gtest/gtest.h>

#include <memory>

#include "stguard/stguard.h"

namespace stguard::testing {

struct PolicyDeleter {
  void operator()(stguard_policy* p) const { stguard_policy_free(p); }
};
struct ReportDeleter {
  void operator()(stguard_report* r) const { stguard_report_free(r); }
};
struct CheckpointDeleter {
  void operator()(stguard_checkpoint* c) const { stguard_checkpoint_free(c); }
};
struct StringDeleter {
  void operator()(char* s) const { stguard_string_free(s); }
};
using PolicyPtr = std::unique_ptr<stguard_policy, PolicyDeleter>;
using ReportPtr = std::unique_ptr<stguard_report, ReportDeleter>;
using CheckpointPtr = std::unique_ptr<stguard_checkpoint, CheckpointDeleter>;
using StringPtr = std::unique_ptr<char, StringDeleter>;

// A built-in policy (a test failure, and null, when there is none).
inline PolicyPtr Builtin(const char* name) {
  stguard_policy* p = nullptr;
  EXPECT_EQ(stguard_policy_builtin(name, &p), STGUARD_OK) << stguard_last_error();
  return PolicyPtr(p);
}

}  // namespace stguard::testing

#endif  // STGUARD_TESTS_SUPPORT_CAPI_HANDLES_H_
