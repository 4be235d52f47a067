#include "safetensors_builder.h"

#include <fstream>
#include <iterator>
#include <stdexcept>

namespace stguard::testing {

std::string Prefix(uint64_t n) {
  std::string prefix(8, '\0');
  for (int i = 0; i < 8; ++i) prefix[i] = static_cast<char>((n >> (8 * i)) & 0xFF);
  return prefix;
}

std::vector<uint8_t> MakeFile(std::string_view header, std::string_view data,
                              std::optional<uint64_t> length_override) {
  const std::string prefix = Prefix(length_override.value_or(header.size()));
  std::vector<uint8_t> bytes(prefix.begin(), prefix.end());
  bytes.insert(bytes.end(), header.begin(), header.end());
  bytes.insert(bytes.end(), data.begin(), data.end());
  return bytes;
}

std::vector<uint8_t> MakeFileWithData(std::string_view header, uint64_t data_size) {
  return MakeFile(header, std::string(data_size, '\0'));
}

std::string PadToEight(std::string header) {
  while (header.size() % 8 != 0) header.push_back(' ');
  return header;
}

std::vector<uint8_t> ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

std::string Entry(std::string_view name, std::string_view dtype,
                  const std::vector<uint64_t>& shape, uint64_t begin, uint64_t end) {
  std::string out = "\"" + std::string(name) + "\":{\"dtype\":\"" + std::string(dtype) +
                    "\",\"shape\":[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) out += ",";
    out += std::to_string(shape[i]);
  }
  out += "],\"data_offsets\":[" + std::to_string(begin) + "," + std::to_string(end) + "]}";
  return out;
}

}  // namespace stguard::testing
