// stguard check PATH...: validates files and directories and writes the
// report (text, json, jsonl or sarif) to standard output or --output FILE.
#ifndef STGUARD_CLI_CHECK_COMMAND_H_
#define STGUARD_CLI_CHECK_COMMAND_H_

#include <string>
#include <string_view>
#include <vector>

namespace stguard::cli {

struct CheckArgs {
  std::string policy = "default";  // -p, --policy NAME|FILE
  std::string format = "text";     // -f, --format text|json|jsonl|sarif
  unsigned jobs = 1;               // -j, --jobs N
  std::string root;                // --root DIR
  std::string sarif_root;          // --sarif-root DIR ("": the current directory)
  bool deep = false;               // --deep
  bool quiet = false;              // -q, --quiet (text only)
  std::string output;              // -o, --output FILE ("": standard output)
  std::string fail_on = "error";   // --fail-on error|warning
  std::vector<std::string> include, exclude;  // --include / --exclude GLOB
  std::string color = "auto";      // --color auto|always|never
  bool allow_http = false;         // --allow-http: plain http to hosts other than loopback
  unsigned timeout = 30;           // --timeout SECONDS: remote connect and stall timeout
  std::vector<std::string> paths;  // "-" is standard input; http(s):// and hf:// are remote
};

// --include / --exclude for a file met by a directory walk, `relative` to
// the directory walked: kept when no include is given or one matches, and
// no exclude matches. A pattern matches when fnmatch(3) (no flags: '*' and
// '?' match '/' too, a leading '.' is not special) matches the relative
// path or the base name. A directory is entered unless an exclude matches it.
bool WalkKeeps(const std::vector<std::string>& include, const std::vector<std::string>& exclude,
               std::string_view relative, bool is_directory);

// Returns the exit status.
int RunCheck(const CheckArgs& args);

}  // namespace stguard::cli

#endif  // STGUARD_CLI_CHECK_COMMAND_H_
