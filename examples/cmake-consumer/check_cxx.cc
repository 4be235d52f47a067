// check_cxx POLICY FILE: the C++ API (stguard/validate.h, which uses
// std::span) from a project that does not set a C++ standard itself:
// find_package(stguard) brings C++20 with the targets.
// Exit status: 0 accepted, 1 rejected, 2 error (bad policy, unreadable file).
#include <stguard/validate.h>

#include <fstream>
#include <iostream>
#include <iterator>
#include <span>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: " << argv[0] << " POLICY FILE\n";
    return 2;
  }
  stguard::PolicyLoadResult loaded = stguard::ResolvePolicy(argv[1]);
  if (!loaded.policy) {
    std::cerr << "check_cxx: bad policy: " << loaded.error << "\n";
    return 2;
  }
  std::ifstream in(argv[2], std::ios::binary);
  if (!in) {
    std::cerr << "check_cxx: cannot open " << argv[2] << "\n";
    return 2;
  }
  const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                   std::istreambuf_iterator<char>());
  const stguard::Report report =
      stguard::ValidateBuffer(std::span<const uint8_t>(bytes), *loaded.policy);
  std::cout << argv[2] << ": " << stguard::VerdictName(report.verdict) << " (stguard "
            << stguard::Version() << ", " << report.findings.size() << " findings)\n";
  return report.verdict == stguard::Verdict::kAccept ? 0 : 1;
}
