// stguard verify MANIFEST: re-checks the files a `check --deep --format json`
// report recorded and compares every file and tensor hash.
#ifndef STGUARD_CLI_VERIFY_H_
#define STGUARD_CLI_VERIFY_H_

#include <string>
#include <vector>

namespace stguard::cli {

// `args` are the words after "verify". Returns the exit status.
int RunVerify(const std::vector<std::string>& args);

}  // namespace stguard::cli

#endif  // STGUARD_CLI_VERIFY_H_
