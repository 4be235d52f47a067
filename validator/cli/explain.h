// stguard explain CODE and stguard codes: the finding codes, one or all.
#ifndef STGUARD_CLI_EXPLAIN_H_
#define STGUARD_CLI_EXPLAIN_H_

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

#include "stguard/codes.h"

namespace stguard::cli {

// A number ("311"), an id ("duplicate-tensor-name", any case) or a SARIF
// rule id as the reports write it ("ST311", any case).
std::optional<Code> LookupCode(std::string_view text);

// The codes whose id, number or SARIF rule id is close to `text` (an edit
// distance of at most a quarter of its length, at least 1, or starting with
// it), the closest first, at most `limit`.
std::vector<Code> CodesCloseTo(std::string_view text, size_t limit = 5);

// Prints one code's entry; an unknown one, the close ones, on standard
// error (exit status 2).
int RunExplain(std::string_view text);

// Every code as a Markdown table (docs/codes.md is this output).
int RunCodes();

}  // namespace stguard::cli

#endif  // STGUARD_CLI_EXPLAIN_H_
