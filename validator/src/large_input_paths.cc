#include "large_input_paths.h"

namespace stguard::internal {
namespace {

thread_local bool g_large_input_paths_forced = false;

}  // namespace

bool LargeInputPathsForced() { return g_large_input_paths_forced; }

ScopedLargeInputPaths::ScopedLargeInputPaths() : was_forced_(g_large_input_paths_forced) {
  g_large_input_paths_forced = true;
}

ScopedLargeInputPaths::~ScopedLargeInputPaths() { g_large_input_paths_forced = was_forced_; }

}  // namespace stguard::internal
