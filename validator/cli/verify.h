// stguard verify MANIFEST: re-checks the files a `check --deep --format json`
// report recorded and compares every file and tensor hash.
#ifndef STGUARD_CLI_VERIFY_H_
#define STGUARD_CLI_VERIFY_H_

#include <optional>
#include <string>

namespace stguard::cli {

struct VerifyArgs {
  std::string policy = "default";  // --policy NAME|FILE
  std::optional<std::string> root;  // --root DIR
  std::string manifest;
};

// Returns the exit status.
int RunVerify(const VerifyArgs& args);

}  // namespace stguard::cli

#endif  // STGUARD_CLI_VERIFY_H_
