#include "fast_paths.h"

namespace stguard::internal {
namespace {

thread_local bool g_fast_paths_enabled = true;

}  // namespace

bool FastPathsEnabled() { return g_fast_paths_enabled; }

ScopedFastPathsOff::ScopedFastPathsOff() : was_enabled_(g_fast_paths_enabled) {
  g_fast_paths_enabled = false;
}

ScopedFastPathsOff::~ScopedFastPathsOff() { g_fast_paths_enabled = was_enabled_; }

}  // namespace stguard::internal
