// fuzz_structured: a structure-aware custom mutator for safetensors files.
//
// LLVMFuzzerCustomMutator parses the input as prefix + JSON header + data
// with a small bounded JSON splitter of its own (top-level members as raw
// key/value text; a tensor entry's fields likewise), applies format-level
// mutations (duplicate or escape a key, move an offset by +-1, overflow a
// shape, swap a dtype, add/remove a field, reorder entries, change N, resize
// the data, add __metadata__, switch to the array form, re-tile all offsets),
// and scaling mutations (repeat a member, a metadata entry or a field K
// times, K up to thousands; fan a shape or a value out to K elements or
// members; nest a value past the depth limit), and re-frames the result so the prefix stays consistent (unless the
// mutation is "change N"). Inputs that do not parse fall back to
// LLVMFuzzerMutate. LLVMFuzzerCustomCrossOver splices the entries of two
// files.
//
// Oracle (LLVMFuzzerTestOneInput): the fuzz_check report invariants under
// compat, the work oracle (fuzz_common.h: the scaling mutations are how it
// meets large repeats), and: a file compat accepts, re-serialized canonically (canonical
// header from the collected tensor table, space-padded to 8, same data
// bytes), is accepted again with the same tensor table; fuzz_common's
// CheckStages on every input (framing, text, nesting, the JSON grammar
// against simdjson's DOM, 402s read again); validated under
// default, when default accepts it too, its header passes fuzz_common's
// CheckAcceptedHeader (simdjson's DOM reads the same schema and tensors).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_common.h"

extern "C" size_t LLVMFuzzerMutate(uint8_t* data, size_t size, size_t max_size)
    __attribute__((weak));

namespace {

constexpr size_t npos = std::string::npos;
constexpr size_t kMaxMembers = 4096;
constexpr size_t kMaxDepth = 256;
constexpr uint64_t kMaxTiledData = 1u << 20;

bool IsWs(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsDelim(char c) { return IsWs(c) || c == ',' || c == '}' || c == ']' || c == ':'; }

size_t SkipWs(const std::string& s, size_t p) {
  while (p < s.size() && IsWs(s[p])) ++p;
  return p;
}

// At '"': position after the closing quote, or npos.
size_t ScanString(const std::string& s, size_t p) {
  for (++p; p < s.size(); ++p) {
    if (s[p] == '\\') {
      ++p;
    } else if (s[p] == '"') {
      return p + 1;
    }
  }
  return npos;
}

// At the first byte of a value: position after it, or npos. Iterative and
// depth-bounded; it only finds the extent, it does not validate.
size_t ScanValue(const std::string& s, size_t p) {
  if (p >= s.size()) return npos;
  const char c = s[p];
  if (c == '"') return ScanString(s, p);
  if (c == '{' || c == '[') {
    std::string stack;
    while (p < s.size()) {
      const char d = s[p];
      if (d == '"') {
        p = ScanString(s, p);
        if (p == npos) return npos;
        continue;
      }
      if (d == '{' || d == '[') {
        if (stack.size() >= kMaxDepth) return npos;
        stack.push_back(d == '{' ? '}' : ']');
      } else if (d == '}' || d == ']') {
        if (stack.empty() || stack.back() != d) return npos;
        stack.pop_back();
        if (stack.empty()) return p + 1;
      }
      ++p;
    }
    return npos;
  }
  const size_t begin = p;
  while (p < s.size() && !IsDelim(s[p]) && s[p] != '"' && s[p] != '{' && s[p] != '[') ++p;
  return p > begin ? p : npos;
}

struct Member {
  std::string key;    // raw JSON string literal, quotes included
  std::string value;  // raw JSON text
};

// Splits "{...}" (text must be exactly the object) into raw members.
bool SplitObject(const std::string& text, std::vector<Member>& out) {
  out.clear();
  size_t p = SkipWs(text, 0);
  if (p >= text.size() || text[p] != '{') return false;
  p = SkipWs(text, p + 1);
  if (p < text.size() && text[p] == '}') return SkipWs(text, p + 1) == text.size();
  while (p < text.size()) {
    if (text[p] != '"' || out.size() >= kMaxMembers) return false;
    const size_t key_end = ScanString(text, p);
    if (key_end == npos) return false;
    Member m;
    m.key = text.substr(p, key_end - p);
    p = SkipWs(text, key_end);
    if (p >= text.size() || text[p] != ':') return false;
    p = SkipWs(text, p + 1);
    const size_t value_end = ScanValue(text, p);
    if (value_end == npos) return false;
    m.value = text.substr(p, value_end - p);
    out.push_back(std::move(m));
    p = SkipWs(text, value_end);
    if (p >= text.size()) return false;
    if (text[p] == '}') return SkipWs(text, p + 1) == text.size();
    if (text[p] != ',') return false;
    p = SkipWs(text, p + 1);
  }
  return false;
}

std::string JoinObject(const std::vector<Member>& members) {
  std::string out = "{";
  for (size_t i = 0; i < members.size(); ++i) {
    if (i > 0) out += ',';
    out += members[i].key;
    out += ':';
    out += members[i].value;
  }
  out += '}';
  return out;
}

// "[1, 2, 3]" -> {1, 2, 3}; nullopt unless plain non-negative u64 integers.
std::optional<std::vector<uint64_t>> ParseIntArray(const std::string& text) {
  size_t p = SkipWs(text, 0);
  if (p >= text.size() || text[p] != '[') return std::nullopt;
  std::vector<uint64_t> values;
  p = SkipWs(text, p + 1);
  if (p < text.size() && text[p] == ']') return values;
  while (p < text.size() && values.size() < 64) {
    if (text[p] < '0' || text[p] > '9') return std::nullopt;
    uint64_t v = 0;
    while (p < text.size() && text[p] >= '0' && text[p] <= '9') {
      if (__builtin_mul_overflow(v, 10, &v) ||
          __builtin_add_overflow(v, static_cast<uint64_t>(text[p] - '0'), &v)) {
        return std::nullopt;
      }
      ++p;
    }
    values.push_back(v);
    p = SkipWs(text, p);
    if (p >= text.size()) return std::nullopt;
    if (text[p] == ']') return values;
    if (text[p] != ',') return std::nullopt;
    p = SkipWs(text, p + 1);
  }
  return std::nullopt;
}

std::string IntArray(const std::vector<uint64_t>& values) {
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    out += std::to_string(values[i]);
  }
  return out + "]";
}

constexpr const char* kDtypes[] = {
    "BOOL", "F4", "F6_E2M3", "F6_E3M2", "U8", "I8", "F8_E5M2", "F8_E4M3",
    "F8_E8M0", "F8_E4M3FNUZ", "F8_E5M2FNUZ", "I16", "U16", "F16", "BF16", "I32",
    "U32", "F32", "C64", "F64", "I64", "U64"};
constexpr size_t kDtypeCount = sizeof(kDtypes) / sizeof(kDtypes[0]);
constexpr uint32_t kDtypeBits[] = {8, 4, 6, 6, 8, 8, 8, 8, 8, 8, 8,
                                   16, 16, 16, 16, 32, 32, 32, 64, 64, 64, 64};

int DtypeIndex(const std::string& raw) {
  for (size_t i = 0; i < kDtypeCount; ++i) {
    if (raw == std::string("\"") + kDtypes[i] + "\"") return static_cast<int>(i);
  }
  return -1;
}

struct Model {
  std::string lead;  // whitespace before '{' inside the header
  std::vector<Member> members;
  std::string pad;  // whitespace after '}'
  std::vector<uint8_t> data;
  int64_t n_delta = 0;  // added to the true header length in the prefix
};

bool ParseModel(const uint8_t* bytes, size_t size, Model& m) {
  if (size < 8) return false;
  const uint64_t n = stguard_fuzz::ReadLe64(bytes);
  if (n > size - 8 || n > (1u << 20)) return false;
  const std::string header(reinterpret_cast<const char*>(bytes + 8), static_cast<size_t>(n));
  const size_t open = SkipWs(header, 0);
  if (open >= header.size() || header[open] != '{') return false;
  const size_t close = ScanValue(header, open);
  if (close == npos) return false;
  for (size_t p = close; p < header.size(); ++p) {
    if (!IsWs(header[p])) return false;
  }
  if (!SplitObject(header.substr(open, close - open), m.members)) return false;
  m.lead = header.substr(0, open);
  m.pad = header.substr(close);
  m.data.assign(bytes + 8 + n, bytes + size);
  return true;
}

std::vector<uint8_t> Serialize(const Model& m) {
  const std::string header = m.lead + JoinObject(m.members) + m.pad;
  std::vector<uint8_t> out = stguard_fuzz::Frame(header, m.data);
  if (m.n_delta != 0) {
    stguard_fuzz::WriteLe64(out.data(), header.size() + static_cast<uint64_t>(m.n_delta));
  }
  return out;
}

class Mutator {
 public:
  explicit Mutator(unsigned seed) : rng_(seed) {}

  size_t Below(size_t n) { return n == 0 ? 0 : std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }
  bool OneIn(size_t n) { return Below(n) == 0; }

  // Index of a random tensor member (not __metadata__), or npos.
  size_t PickTensor(const Model& m) {
    std::vector<size_t> tensors;
    for (size_t i = 0; i < m.members.size(); ++i) {
      if (m.members[i].key != "\"__metadata__\"") tensors.push_back(i);
    }
    return tensors.empty() ? npos : tensors[Below(tensors.size())];
  }

  // Runs one or a few format-level mutations; false when none applied.
  bool Mutate(Model& m, size_t max_size) {
    bool changed = false;
    const size_t rounds = 1 + Below(3);
    for (size_t r = 0; r < rounds; ++r) changed |= MutateOnce(m, max_size);
    if (OneIn(3)) changed |= Retile(m);
    return changed;
  }

  bool Retile(Model& m) {
    uint64_t offset = 0;
    bool any = false;
    for (Member& member : m.members) {
      if (member.key == "\"__metadata__\"") continue;
      std::vector<Member> fields;
      if (!SplitObject(member.value, fields)) continue;
      int dtype = -1;
      std::optional<std::vector<uint64_t>> shape;
      Member* offsets = nullptr;
      for (Member& f : fields) {
        if (f.key == "\"dtype\"") dtype = DtypeIndex(f.value);
        if (f.key == "\"shape\"") shape = ParseIntArray(f.value);
        if (f.key == "\"data_offsets\"") offsets = &f;
      }
      if (dtype < 0 || !shape || offsets == nullptr) continue;
      uint64_t bits = kDtypeBits[dtype];
      bool overflow = false;
      for (uint64_t d : *shape) overflow |= __builtin_mul_overflow(bits, d, &bits);
      if (overflow || bits / 8 > kMaxTiledData - offset) continue;
      const uint64_t bytes = bits / 8;
      offsets->value = IntArray({offset, offset + bytes});
      offset += bytes;
      member.value = JoinObject(fields);
      any = true;
    }
    if (!any) return false;
    m.data.resize(static_cast<size_t>(offset), 0);
    m.n_delta = 0;
    if (OneIn(2)) {
      const size_t header = m.lead.size() + JoinObject(m.members).size();
      m.pad.assign((8 - header % 8) % 8, ' ');
    }
    return true;
  }

 private:
  // Replaces the value of `field` in tensor member `index` (adds the field
  // when missing). Returns false when the entry is not an object.
  bool SetField(Model& m, size_t index, const std::string& field, const std::string& value) {
    std::vector<Member> fields;
    if (!SplitObject(m.members[index].value, fields)) return false;
    const std::string key = "\"" + field + "\"";
    bool found = false;
    for (Member& f : fields) {
      if (f.key == key) {
        f.value = value;
        found = true;
        break;
      }
    }
    if (!found) fields.push_back({key, value});
    m.members[index].value = JoinObject(fields);
    return true;
  }

  std::optional<std::string> GetField(const Model& m, size_t index, const std::string& field) {
    std::vector<Member> fields;
    if (!SplitObject(m.members[index].value, fields)) return std::nullopt;
    for (const Member& f : fields) {
      if (f.key == "\"" + field + "\"") return f.value;
    }
    return std::nullopt;
  }

  std::string RandomEscape() {
    static const char* const kEscapes[] = {
        "\\u0000", "\\u001f", "\\u007f", "\\u0085", "\\u00e9", "\\u2028", "\\ud83d\\ude00",
        "\\ud800", "\\udc00", "\\n",     "\\t",     "\\/",     "\\\\",    "\\\"",
        "\\u0041", "\\u0061", "/",       "..",      "\xc2\x85", "\xe2\x80\xae"};
    return kEscapes[Below(sizeof(kEscapes) / sizeof(kEscapes[0]))];
  }

  // Escapes one plain character of a key as \u00XX, or inserts an escape.
  void EscapeKey(std::string& key) {
    std::vector<size_t> plain;  // positions of unescaped printable ASCII
    for (size_t i = 1; i + 1 < key.size(); ++i) {
      if (key[i] == '\\') {
        ++i;
        continue;
      }
      const auto c = static_cast<unsigned char>(key[i]);
      if (c >= 0x20 && c < 0x7F && c != '"') plain.push_back(i);
    }
    static constexpr char kHexLower[] = "0123456789abcdef";
    static constexpr char kHexUpper[] = "0123456789ABCDEF";
    if (!plain.empty() && !OneIn(3)) {
      const size_t i = plain[Below(plain.size())];
      const auto c = static_cast<unsigned char>(key[i]);
      const char* hex = OneIn(2) ? kHexLower : kHexUpper;
      const std::string escape = std::string("\\u00") + hex[c >> 4] + hex[c & 15];
      key.replace(i, 1, escape);
      return;
    }
    // Insert at a unit boundary (never inside an escape).
    std::vector<size_t> boundaries{1};
    for (size_t i = 1; i + 1 < key.size(); ++i) {
      if (key[i] == '\\') ++i;
      boundaries.push_back(i + 1);
    }
    key.insert(boundaries[Below(boundaries.size())], RandomEscape());
  }

  std::string RandomDtypeValue() {
    switch (Below(6)) {
      case 0: return std::string("{\"") + kDtypes[Below(kDtypeCount)] + "\":null}";
      case 1: return std::string("{\"") + kDtypes[Below(kDtypeCount)] + "\":{}}";
      case 2: {
        static const char* const kOdd[] = {"\"f32\"", "\"F32 \"", "\"\"", "5", "null",
                                           "\"F128\"", "[\"F32\"]", "\"F\\u0033\\u0032\"",
                                           "{\"F32\":null,\"F16\":null}", "{}"};
        return kOdd[Below(sizeof(kOdd) / sizeof(kOdd[0]))];
      }
      default: return std::string("\"") + kDtypes[Below(kDtypeCount)] + "\"";
    }
  }

  std::string BigNumber() {
    static const char* const kBig[] = {
        "18446744073709551615", "18446744073709551616", "9223372036854775807",
        "9223372036854775808",  "4294967296",           "4294967295",
        "4611686018427387904",  "2305843009213693952",  "340282366920938463463374607431768211456",
        "1e3",                  "2.0",                  "-0",
        "-1",                   "0",                    "1",
        "100000000000000000000000000000000000000000000000000"};
    return kBig[Below(sizeof(kBig) / sizeof(kBig[0]))];
  }

  std::string RandomScalar() {
    static const char* const kValues[] = {"null", "true", "false", "0", "\"x\"", "[]", "{}",
                                          "[0,0]", "\"F32\"", "[1,2]", "-1", "1.5"};
    return kValues[Below(sizeof(kValues) / sizeof(kValues[0]))];
  }

  // How many copies fit: K up to thousands (a power of two, so short and
  // long runs are both tried), within the input's size limit.
  size_t Copies(size_t piece_bytes, size_t budget) {
    const size_t wanted = size_t{2} << Below(13);  // 2 .. 8192
    const size_t fit = piece_bytes == 0 ? wanted : budget / (piece_bytes + 1);
    return std::max<size_t>(2, std::min(wanted, fit));
  }

  static size_t ModelBytes(const Model& m) {
    size_t bytes = 16 + m.lead.size() + m.pad.size() + m.data.size();
    for (const Member& member : m.members) bytes += member.key.size() + member.value.size() + 2;
    return bytes;
  }

  // The scaling mutations: repeat a part K times, nest it, fan it out, so
  // that super-linear paths (a pass per repeat, a copy per level) show in
  // minutes, and the work oracle can fail them.
  bool Scale(Model& m, size_t max_size) {
    const size_t used = ModelBytes(m);
    if (used + 64 >= max_size) return false;
    const size_t budget = max_size - used - 64;
    switch (Below(6)) {
      case 0: {  // a member repeated K times (a repeated tensor name)
        if (m.members.empty()) return false;
        const Member copy = m.members[Below(m.members.size())];
        const size_t k = std::min(Copies(copy.key.size() + copy.value.size(), budget),
                                  kMaxMembers - std::min(kMaxMembers, m.members.size()));
        m.members.insert(m.members.begin() + static_cast<long>(Below(m.members.size() + 1)), k,
                         copy);
        return k > 0;
      }
      case 1: {  // a __metadata__ entry repeated K times
        static const char* const kEntries[] = {"\"k\":\"v\"", "\"\\u006b\":\"v\"",
                                               "\"format\":\"pt\"", "\"k\":\"v\\n\""};
        const std::string entry = kEntries[Below(4)];
        const size_t k = Copies(entry.size(), budget);
        std::string value = "{";
        for (size_t i = 0; i < k; ++i) value += (i ? "," : "") + entry;
        value += "}";
        m.members.insert(m.members.begin() + static_cast<long>(Below(m.members.size() + 1)),
                         Member{"\"__metadata__\"", std::move(value)});
        return true;
      }
      case 2: {  // a field of a tensor entry repeated K times (unknown, or known)
        const size_t t = PickTensor(m);
        if (t == npos) return false;
        std::vector<Member> fields;
        if (!SplitObject(m.members[t].value, fields) || fields.empty()) return false;
        const Member field = OneIn(2) ? fields[Below(fields.size())] : Member{"\"x\"", "0"};
        const size_t k = Copies(field.key.size() + field.value.size(), budget);
        fields.insert(fields.begin() + static_cast<long>(Below(fields.size() + 1)), k, field);
        m.members[t].value = JoinObject(fields);
        return true;
      }
      case 3: {  // a shape or an array value fanned out to K elements
        const size_t t = PickTensor(m);
        if (t == npos) return false;
        const std::string element = OneIn(2) ? "1" : RandomScalar();
        const size_t k = Copies(element.size(), budget);
        std::string array = "[";
        for (size_t i = 0; i < k; ++i) array += (i ? "," : "") + element;
        array += "]";
        std::vector<Member> fields;
        if (!SplitObject(m.members[t].value, fields)) return false;
        if (OneIn(2)) {
          for (Member& f : fields) {
            if (f.key == "\"shape\"") f.value = array;
          }
        } else {
          fields.push_back({"\"x\"", array});
        }
        m.members[t].value = JoinObject(fields);
        return true;
      }
      case 4: {  // a value nested D levels deep (up to past the reference's 128)
        if (m.members.empty()) return false;
        const size_t depth = 1 + Below(OneIn(2) ? 140 : 16);
        if (2 * depth > budget) return false;
        std::string& v = m.members[Below(m.members.size())].value;
        const bool objects = OneIn(2);
        std::string open, close;
        for (size_t i = 0; i < depth; ++i) {
          open += objects ? "{\"n\":" : "[";
          close += objects ? "}" : "]";
        }
        v = open + v + close;
        return true;
      }
      default: {  // a member's value repeated as K members of an object (fan-out)
        if (m.members.empty()) return false;
        Member& member = m.members[Below(m.members.size())];
        const std::string inner = member.value.size() < 64 ? member.value : "0";
        const size_t k = Copies(inner.size() + 8, budget);
        std::string object = "{";
        for (size_t i = 0; i < k; ++i) {
          object += (i ? ",\"" : "\"") + std::to_string(OneIn(2) ? i : 0) + "\":" + inner;
        }
        object += "}";
        std::vector<Member> fields;
        if (member.key != "\"__metadata__\"" && SplitObject(member.value, fields)) {
          fields.push_back({"\"fan\"", object});
          member.value = JoinObject(fields);
        } else {
          member.value = object;
        }
        return true;
      }
    }
  }

  bool MutateOnce(Model& m, size_t max_size) {
    const size_t t = PickTensor(m);
    if (OneIn(8)) return Scale(m, max_size);
    switch (Below(16)) {
      case 0: {  // duplicate an entry (maybe with an escaped key)
        if (m.members.empty() || m.members.size() >= kMaxMembers) return false;
        Member copy = m.members[Below(m.members.size())];
        if (OneIn(2)) EscapeKey(copy.key);
        m.members.insert(m.members.begin() + static_cast<long>(Below(m.members.size() + 1)),
                         std::move(copy));
        return true;
      }
      case 1: {  // escape a key
        if (m.members.empty()) return false;
        EscapeKey(m.members[Below(m.members.size())].key);
        return true;
      }
      case 2: {  // move an offset by +-1 (or to a big value)
        if (t == npos) return false;
        const std::optional<std::string> raw = GetField(m, t, "data_offsets");
        std::optional<std::vector<uint64_t>> offsets;
        if (raw) offsets = ParseIntArray(*raw);
        if (!offsets || offsets->size() != 2) return SetField(m, t, "data_offsets", "[0,0]");
        uint64_t& v = (*offsets)[Below(2)];
        if (OneIn(8)) return SetField(m, t, "data_offsets",
                                      "[" + std::to_string((*offsets)[0]) + "," + BigNumber() + "]");
        v = OneIn(2) ? v + 1 : v - 1;
        if (OneIn(3)) (*offsets)[1] = OneIn(2) ? (*offsets)[1] + 1 : (*offsets)[1] - 1;
        return SetField(m, t, "data_offsets", IntArray(*offsets));
      }
      case 3: {  // overflow a shape
        if (t == npos) return false;
        std::string shape;
        switch (Below(5)) {
          case 0: shape = "[4294967296,4294967296]"; break;
          case 1: shape = "[" + BigNumber() + "," + std::to_string(Below(4)) + "]"; break;
          case 2: shape = "[0," + BigNumber() + "," + BigNumber() + "]"; break;
          case 3: {
            shape = "[";
            const size_t rank = Below(80);
            for (size_t i = 0; i < rank; ++i) shape += (i ? ",1" : "1");
            shape += "]";
            break;
          }
          default: {
            const std::optional<std::string> raw = GetField(m, t, "shape");
            std::optional<std::vector<uint64_t>> dims;
            if (raw) dims = ParseIntArray(*raw);
            if (!dims) dims = std::vector<uint64_t>{};
            if (dims->empty() || OneIn(3)) {
              dims->push_back(Below(5));
            } else {
              uint64_t& d = (*dims)[Below(dims->size())];
              d = OneIn(2) ? d + 1 : d * 2 + 1;
            }
            shape = IntArray(*dims);
          }
        }
        return SetField(m, t, "shape", shape);
      }
      case 4: {  // swap a dtype
        if (t == npos) return false;
        return SetField(m, t, "dtype", RandomDtypeValue());
      }
      case 5: {  // add a field: unknown, or a duplicate of a known one
        if (t == npos) return false;
        std::vector<Member> fields;
        if (!SplitObject(m.members[t].value, fields) || fields.size() > 64) return false;
        static const char* const kFields[] = {"\"dtype\"", "\"shape\"", "\"data_offsets\"",
                                              "\"extra\"", "\"\"", "\"__metadata__\"",
                                              "\"Dtype\"", "\"d\\u0074ype\""};
        Member f{kFields[Below(sizeof(kFields) / sizeof(kFields[0]))], RandomScalar()};
        if (!fields.empty() && OneIn(2)) f.value = fields[Below(fields.size())].value;
        fields.insert(fields.begin() + static_cast<long>(Below(fields.size() + 1)), f);
        m.members[t].value = JoinObject(fields);
        return true;
      }
      case 6: {  // remove a field or an entry
        if (m.members.empty()) return false;
        if (t != npos && OneIn(2)) {
          std::vector<Member> fields;
          if (!SplitObject(m.members[t].value, fields) || fields.empty()) return false;
          fields.erase(fields.begin() + static_cast<long>(Below(fields.size())));
          m.members[t].value = JoinObject(fields);
          return true;
        }
        m.members.erase(m.members.begin() + static_cast<long>(Below(m.members.size())));
        return true;
      }
      case 7: {  // reorder entries, or fields of one entry
        if (t != npos && OneIn(3)) {
          std::vector<Member> fields;
          if (!SplitObject(m.members[t].value, fields) || fields.size() < 2) return false;
          std::swap(fields[Below(fields.size())], fields[Below(fields.size())]);
          m.members[t].value = JoinObject(fields);
          return true;
        }
        if (m.members.size() < 2) return false;
        if (OneIn(4)) {
          std::reverse(m.members.begin(), m.members.end());
        } else {
          std::swap(m.members[Below(m.members.size())], m.members[Below(m.members.size())]);
        }
        return true;
      }
      case 8: {  // change N: inconsistent prefix, or whitespace around the JSON
        switch (Below(5)) {
          case 0: m.n_delta = static_cast<int64_t>(Below(17)) - 8; break;
          case 1: m.lead += " \t\n\r"[Below(4)]; break;
          case 2: m.pad += " \t\n\r"[Below(4)]; break;
          case 3: m.pad.assign(Below(9), ' '); break;
          default: m.lead.clear(); m.pad.clear(); m.n_delta = 0;
        }
        return true;
      }
      case 9: {  // resize the data section
        if (OneIn(2) && !m.data.empty()) {
          m.data.resize(m.data.size() - 1 - Below(std::min<size_t>(m.data.size(), 8)));
        } else if (m.data.size() + 64 < max_size) {
          m.data.resize(m.data.size() + 1 + Below(16), 0);
        }
        return true;
      }
      case 10: {  // __metadata__
        static const char* const kMeta[] = {
            "{\"format\":\"pt\"}", "null", "{\"k\":1}", "{}", "[]", "\"x\"",
            "{\"a\":\"b\",\"a\":\"c\"}", "{\"k\\u0000\":\"v\"}", "{\"k\":\"v\\u001b[31m\"}",
            "{\"k\":\"\\u0085\"}", "{\"k\":\"line\\nbreak\"}"};
        Member meta{"\"__metadata__\"", kMeta[Below(sizeof(kMeta) / sizeof(kMeta[0]))]};
        if (OneIn(3)) meta.key = "\"__metad\\u0061ta__\"";
        m.members.insert(m.members.begin() + static_cast<long>(Below(m.members.size() + 1)),
                         meta);
        return true;
      }
      case 11: {  // object form <-> array form
        if (t == npos) return false;
        std::vector<Member> fields;
        if (SplitObject(m.members[t].value, fields)) {
          std::string parts[3] = {"\"F32\"", "[]", "[0,0]"};
          const char* names[3] = {"\"dtype\"", "\"shape\"", "\"data_offsets\""};
          for (const Member& f : fields) {
            for (int k = 0; k < 3; ++k) {
              if (f.key == names[k]) parts[k] = f.value;
            }
          }
          m.members[t].value = "[" + parts[0] + "," + parts[1] + "," + parts[2] +
                               (OneIn(8) ? ",null]" : "]");
          return true;
        }
        return false;
      }
      case 12: {  // a new well-formed tensor at the end of the data
        if (m.members.size() >= kMaxMembers || m.data.size() + 256 > max_size) return false;
        const size_t k = Below(5);
        const size_t dtype = Below(kDtypeCount);
        const uint64_t bits = kDtypeBits[dtype] * k * (kDtypeBits[dtype] % 8 ? 4 : 1);
        const uint64_t count = k * (kDtypeBits[dtype] % 8 ? 4 : 1);
        const uint64_t begin = m.data.size();
        m.data.resize(m.data.size() + bits / 8, 0);
        m.members.push_back({"\"t" + std::to_string(Below(1000)) + "\"",
                             std::string("{\"dtype\":\"") + kDtypes[dtype] + "\",\"shape\":[" +
                                 std::to_string(count) + "],\"data_offsets\":[" +
                                 std::to_string(begin) + "," + std::to_string(begin + bits / 8) +
                                 "]}"});
        return true;
      }
      case 13: {  // byte-level mutation of one value
        if (m.members.empty() || LLVMFuzzerMutate == nullptr) return false;
        std::string& v = m.members[Below(m.members.size())].value;
        if (v.size() > 4096) return false;
        std::string buf = v;
        buf.resize(v.size() + 16);
        const size_t n = LLVMFuzzerMutate(reinterpret_cast<uint8_t*>(buf.data()), v.size(),
                                          buf.size());
        buf.resize(n);
        if (buf.empty()) return false;
        v = buf;
        return true;
      }
      case 14: {  // a key made equal to another one (duplicate name)
        if (m.members.size() < 2) return false;
        m.members[Below(m.members.size())].key = m.members[Below(m.members.size())].key;
        return true;
      }
      default:
        return Retile(m);
    }
  }

  std::minstd_rand rng_;
};

size_t ByteFallback(uint8_t* data, size_t size, size_t max_size) {
  if (LLVMFuzzerMutate != nullptr) return LLVMFuzzerMutate(data, size, max_size);
  return size;
}

}  // namespace

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size,
                                          unsigned int seed) {
  Mutator mutator(seed);
  Model model;
  if (mutator.OneIn(10) || !ParseModel(data, size, model)) {
    return ByteFallback(data, size, max_size);
  }
  if (!mutator.Mutate(model, max_size)) return ByteFallback(data, size, max_size);
  const std::vector<uint8_t> out = Serialize(model);
  if (out.size() > max_size) return ByteFallback(data, size, max_size);
  std::memcpy(data, out.data(), out.size());
  return out.size();
}

extern "C" size_t LLVMFuzzerCustomCrossOver(const uint8_t* data1, size_t size1,
                                            const uint8_t* data2, size_t size2, uint8_t* out,
                                            size_t max_out_size, unsigned int seed) {
  Mutator mutator(seed);
  Model a, b;
  std::vector<uint8_t> result;
  if (ParseModel(data1, size1, a) && ParseModel(data2, size2, b)) {
    const size_t keep = mutator.Below(a.members.size() + 1);
    a.members.resize(keep);
    const size_t from = mutator.Below(b.members.size() + 1);
    for (size_t i = from; i < b.members.size() && a.members.size() < kMaxMembers; ++i) {
      a.members.push_back(b.members[i]);
    }
    if (mutator.OneIn(2)) mutator.Retile(a);
    result = Serialize(a);
  } else {
    // Splice the two byte strings.
    const size_t cut1 = mutator.Below(size1 + 1);
    const size_t cut2 = mutator.Below(size2 + 1);
    result.assign(data1, data1 + cut1);
    result.insert(result.end(), data2 + cut2, data2 + size2);
  }
  if (result.size() > max_out_size) result.resize(max_out_size);
  if (!result.empty()) std::memcpy(out, result.data(), result.size());
  return result.size();
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> bytes(data, size);
  stguard::ValidateOptions collect;
  collect.collect_tensors = true;
  const stguard::Policy& compat = stguard_fuzz::BuiltinByIndex(0);
  stguard_fuzz::StartWork();
  const stguard::Report report = stguard::ValidateBuffer(bytes, compat, collect);
  stguard_fuzz::CheckWork(size, "compat");
  stguard_fuzz::CheckFindings(report, "compat");
  stguard_fuzz::CheckAcceptedLayout(report, "compat");
  stguard_fuzz::CheckTensorSizes(report, "compat");
  // The stages from the bytes, the JSON grammar against simdjson's DOM
  // included: the mutator's repeats, nests and escapes meet it here.
  stguard_fuzz::CheckStages(report, bytes, compat, "compat");
  if (report.verdict != stguard::Verdict::kAccept) return 0;

  // What compat accepts, validated under default too (default accepts
  // nothing compat rejects): a header default accepts is the plain schema
  // another parser reads (fuzz_common's CheckAcceptedHeader). The mutator's
  // repeated fields, escaped keys and metadata variants meet that oracle here.
  const stguard::Policy& standard = stguard_fuzz::BuiltinByIndex(1);
  const stguard::Report under_default = stguard::ValidateBuffer(bytes, standard, collect);
  stguard_fuzz::CheckAcceptedHeader(under_default, bytes, standard, "default");

  const std::string header = stguard_fuzz::CanonicalHeader(report.tensors);
  const size_t data_begin = 8 + static_cast<size_t>(report.header_bytes);
  const std::vector<uint8_t> canonical =
      stguard_fuzz::Frame(header, bytes.subspan(data_begin));
  const stguard::Report again = stguard::ValidateBuffer(canonical, compat, collect);
  stguard_fuzz::CheckFindings(again, "compat, canonical");
  if (again.verdict != stguard::Verdict::kAccept) {
    std::string why;
    for (const stguard::Finding& f : again.findings) {
      why += "\n  " + std::to_string(static_cast<unsigned>(f.code)) + " @" +
             std::to_string(f.offset) + ": " + f.message;
    }
    stguard_fuzz::Fail("accepted file rejected once re-serialized canonically:" + why);
  }
  if (again.tensors != report.tensors) {
    stguard_fuzz::Fail("canonical re-serialization changes the tensor table");
  }
  return 0;
}
