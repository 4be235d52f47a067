// The name hash decides whether the duplicate-name pass can stop after one
// linear set of hashes or must sort the whole table: names that differ in a
// few bytes (the digits of real checkpoints) must hash apart.
#include "tensor_names.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <unordered_set>

namespace stguard::internal {
namespace {

TEST(ScanName, RealCheckpointNamesHashApart) {
  // The names of a 100,000-tensor checkpoint (scripts/bench-busy's): with a
  // hash whose chunks only multiplied, 23,880 of them collided.
  std::unordered_set<uint64_t> hashes;
  char name[96];
  for (int i = 0; i < 100000; ++i) {
    std::snprintf(name, sizeof name, "model.layers.%d.self_attn.q_proj.w%d", i / 10, i % 10);
    hashes.insert(ScanName(name).hash);
  }
  EXPECT_EQ(hashes.size(), 100000u);
}

TEST(ScanName, TwoDigitsAnywhereHashApart) {
  // Every pair of positions holding two digits, at lengths around the
  // 4-, 8- and 16-byte chunk edges: 100 names a pair, all distinct hashes.
  for (const size_t length : {4u, 7u, 8u, 15u, 16u, 17u, 31u, 32u, 36u, 48u}) {
    const std::string base(length, 'a');
    for (size_t p = 0; p < length; ++p) {
      for (size_t q = p + 1; q < length; ++q) {
        std::unordered_set<uint64_t> hashes;
        std::string name = base;
        for (char x = '0'; x <= '9'; ++x) {
          for (char y = '0'; y <= '9'; ++y) {
            name[p] = x;
            name[q] = y;
            hashes.insert(ScanName(name).hash);
          }
        }
        ASSERT_EQ(hashes.size(), 100u) << "length " << length << ", digits at " << p << " and "
                                       << q;
      }
    }
  }
}

TEST(ScanName, EveryByteValueAtEveryPositionHashesApart) {
  for (const size_t length : {1u, 3u, 5u, 9u, 16u, 23u, 40u}) {
    for (size_t p = 0; p < length; ++p) {
      std::unordered_set<uint64_t> hashes;
      std::string name(length, 'x');
      for (int c = 0; c < 256; ++c) {
        name[p] = static_cast<char>(c);
        hashes.insert(ScanName(name).hash);
      }
      ASSERT_EQ(hashes.size(), 256u) << "length " << length << ", position " << p;
    }
  }
}

}  // namespace
}  // namespace stguard::internal
