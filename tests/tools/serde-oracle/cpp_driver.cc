// Prints literal \t kind \t bits for each stdin line, like the Rust oracles.
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include "serde_number.h"
using stguard::internal::ParseSerdeNumber;
using stguard::internal::SerdeNumberKind;
int main() {
  std::ios::sync_with_stdio(false);
  std::string line;
  std::string out;
  char buf[64];
  while (std::getline(std::cin, line)) {
    const auto n = ParseSerdeNumber(line);
    out.append(line);
    uint64_t bits = 0;
    char k = 'R';
    switch (n.kind) {
      case SerdeNumberKind::kU64: k = 'U'; bits = n.u64; break;
      case SerdeNumberKind::kI64: k = 'I'; bits = static_cast<uint64_t>(n.i64); break;
      case SerdeNumberKind::kF64: k = 'F'; std::memcpy(&bits, &n.f64, 8); break;
      case SerdeNumberKind::kOutOfRange: break;
    }
    std::snprintf(buf, sizeof buf, "\t%c\t%016llx\n", k, static_cast<unsigned long long>(bits));
    out.append(buf);
    if (out.size() > (1 << 20)) { std::cout << out; out.clear(); }
  }
  std::cout << out;
}
