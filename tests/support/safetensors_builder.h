// Builds safetensors files byte by byte for tests: the header text is given
// verbatim (so tests can write any JSON, broken or not) and the 8-byte
// prefix is computed unless overridden.
#ifndef STGUARD_TESTS_SUPPORT_SAFETENSORS_BUILDER_H_
#define STGUARD_TESTS_SUPPORT_SAFETENSORS_BUILDER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace stguard::testing {

// prefix(N) + header + data. `length_override` replaces N in the prefix.
std::vector<uint8_t> MakeFile(std::string_view header, std::string_view data = {},
                              std::optional<uint64_t> length_override = std::nullopt);

// Same, with `data_size` zero bytes of data.
std::vector<uint8_t> MakeFileWithData(std::string_view header, uint64_t data_size);

// Pads `header` with spaces to a multiple of 8, as the reference writer does.
std::string PadToEight(std::string header);

// The little-endian 8-byte prefix for `n`.
std::string Prefix(uint64_t n);

// Reads a whole file (tests only).
std::vector<uint8_t> ReadFileBytes(const std::string& path);

// One tensor entry in canonical form: "name":{"dtype":..,"shape":[..],"data_offsets":[b,e]}
std::string Entry(std::string_view name, std::string_view dtype,
                  const std::vector<uint64_t>& shape, uint64_t begin, uint64_t end);

}  // namespace stguard::testing

#endif  // STGUARD_TESTS_SUPPORT_SAFETENSORS_BUILDER_H_
