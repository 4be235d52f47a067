// JSON string literals as the reports write them and `verify` reads them
// back. Every string is exact: bytes that are not UTF-8 (file names can hold
// any byte) survive the round trip instead of collapsing into U+FFFD.
#ifndef STGUARD_CLI_JSON_STRING_H_
#define STGUARD_CLI_JSON_STRING_H_

#include <optional>
#include <ostream>
#include <string>
#include <string_view>

namespace stguard::cli {

// Writes `bytes` as a JSON string literal, quotes included. Valid UTF-8 is
// written as it is, except '"' and '\\' (escaped), C0 controls (\b \f \n
// \r \t, or \u00XX), and C1 controls U+0080..U+009F (\u0080..\u009f, so a
// careless viewer cannot act on them). DEL (0x7F) is legal in JSON and
// stays raw. Each byte that is not part of valid UTF-8 is written as the
// lone surrogate \udcXX (PEP 383 "surrogateescape"): no valid UTF-8 string
// can produce one, so different bytes give different literals, and
// Python's os.fsencode(json.loads(literal)) gives the bytes back.
//
// Size: a name decoded from a header is at most 3 times the header bytes
// that spelled it (C1 controls: 2 raw bytes become 6); escaped invalid bytes
// (paths only) take 6 bytes each.
void WriteJsonString(std::ostream& out, std::string_view bytes);
std::string JsonString(std::string_view bytes);

// The bytes a JSON string literal (quotes included) stands for: the inverse
// of WriteJsonString, \udc80..\udcff back to the bytes 0x80..0xff. nullopt
// when `literal` is not a valid JSON string or holds any other unpaired
// surrogate. Raw bytes are taken as they are (the caller's parser has
// checked the document is UTF-8).
std::optional<std::string> DecodeJsonString(std::string_view literal);

}  // namespace stguard::cli

#endif  // STGUARD_CLI_JSON_STRING_H_
