// Property-test support: a structured representation of a safetensors file
// (GFile), a renderer that turns it into bytes with chosen formatting, and a
// reference model of the acceptance rules written from the documented format
// and policies/README.md. The model never calls the library.
#ifndef STGUARD_TESTS_PROPERTY_ST_MODEL_H_
#define STGUARD_TESTS_PROPERTY_ST_MODEL_H_

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "stguard/codes.h"
#include "stguard/policy.h"

namespace stguard::prop {

// ---------------------------------------------------------------------------
// The structure.

enum class DtypeForm { kString, kObjectNull, kObjectEmpty, kRaw };

struct GTensor {
  std::string name;          // decoded bytes (invalid UTF-8 only in faults)
  std::string name_raw_tail; // raw JSON text appended inside the key's quotes (faults)
  std::string dtype = "F32";
  DtypeForm dtype_form = DtypeForm::kString;
  std::string dtype_raw;     // kRaw: the value's raw JSON
  std::vector<uint64_t> shape;
  std::string shape_raw;     // when set: raw JSON replacing the shape
  uint64_t begin = 0, end = 0;
  std::string offsets_raw;   // when set: raw JSON replacing data_offsets
  // Raw number tokens replacing a value: key i < 1000 is shape[i], 1000/1001
  // are begin/end.
  std::map<size_t, std::string> number_raw;
  std::vector<std::pair<std::string, std::string>> extra_fields;  // key, raw JSON value
  int duplicate_field = -1;  // 0 dtype, 1 shape, 2 data_offsets: written twice
  bool duplicate_escaped = false;  // the repeated key is written with a \u escape
  int missing_field = -1;
  std::array<int, 3> field_order{0, 1, 2};
  bool array_form = false;
  int array_delta = 0;       // array form with one item more (+1) or less (-1)
  std::string entry_raw;     // when set: the whole entry value, raw JSON
};

struct GMeta {
  bool null = false;
  std::string raw;  // when set: raw JSON replacing the object
  std::vector<std::pair<std::string, std::string>> entries;  // decoded key, value
  std::map<size_t, std::string> value_raw;  // entry index -> raw JSON (not a string)
};

struct GMember {
  bool is_meta;
  size_t index;
};

struct GFile {
  std::vector<GTensor> tensors;
  std::vector<GMeta> metas;
  std::vector<GMember> order;  // header order of the top-level members
  uint64_t data_size = 0;
  // Formatting.
  std::vector<std::string> ws;  // insignificant whitespace, used cyclically
  std::vector<uint8_t> esc;     // per character: write as a \u escape when set
  bool align_header = true;     // pad N to a multiple of 8 with spaces
  size_t extra_pad = 0;         // spaces before alignment padding
  // Set by faults the model does not evaluate itself (JSON the reference
  // cannot parse: bad escapes, trailing content, cut text).
  bool declared_parse_failure = false;
  // Whole-header replacement (top level not an object, empty header).
  std::optional<std::string> header_raw;
};

// ---------------------------------------------------------------------------
// Dtypes (own table, from the format documentation).

struct ModelDtype {
  const char* name;
  uint32_t bits;
};
inline const std::vector<ModelDtype>& ModelDtypes() {
  static const std::vector<ModelDtype> table = {
      {"BOOL", 8},        {"F4", 4},     {"F6_E2M3", 6}, {"F6_E3M2", 6}, {"U8", 8},
      {"I8", 8},          {"F8_E5M2", 8}, {"F8_E4M3", 8}, {"F8_E8M0", 8}, {"F8_E4M3FNUZ", 8},
      {"F8_E5M2FNUZ", 8}, {"I16", 16},   {"U16", 16},    {"F16", 16},    {"BF16", 16},
      {"I32", 32},        {"U32", 32},   {"F32", 32},    {"C64", 64},    {"F64", 64},
      {"I64", 64},        {"U64", 64},
  };
  return table;
}
// Index in ModelDtypes(), or -1.
inline int ModelDtypeIndex(std::string_view name) {
  const auto& t = ModelDtypes();
  for (size_t i = 0; i < t.size(); ++i) {
    if (name == t[i].name) return static_cast<int>(i);
  }
  return -1;
}
inline uint32_t ModelAlignment(uint32_t bits) { return bits % 8 == 0 ? bits / 8 : 1; }

// ---------------------------------------------------------------------------
// UTF-8.

inline void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Decodes the code point at s[i]; returns its length, or 0 when the bytes
// there are not valid UTF-8.
inline size_t DecodeUtf8(std::string_view s, size_t i, uint32_t& cp) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    cp = b0;
    return 1;
  }
  size_t len;
  uint32_t min;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2, min = 0x80, cp = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3, min = 0x800, cp = b0 & 0x0F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4, min = 0x10000, cp = b0 & 0x07;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

inline bool ModelValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    uint32_t cp;
    const size_t n = DecodeUtf8(s, i, cp);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

// ---------------------------------------------------------------------------
// Rendering.

class Renderer {
 public:
  explicit Renderer(const GFile& f) : f_(f) {}

  std::string Ws() {
    if (f_.ws.empty()) return "";
    return f_.ws[ws_i_++ % f_.ws.size()];
  }
  bool Esc() {
    if (f_.esc.empty()) return false;
    return f_.esc[esc_i_++ % f_.esc.size()] != 0;
  }

  static void AppendU(std::string& out, uint32_t unit) {
    static const char* hex = "0123456789abcdef";
    out += "\\u";
    for (int s = 12; s >= 0; s -= 4) out += hex[(unit >> s) & 15];
  }

  std::string Str(std::string_view s, bool force_escape_first = false,
                  std::string_view raw_tail = {}) {
    std::string out = "\"";
    for (size_t i = 0; i < s.size();) {
      uint32_t cp;
      const size_t n = DecodeUtf8(s, i, cp);
      if (n == 0) {  // invalid byte: written raw (a fault)
        out += s[i++];
        continue;
      }
      const bool esc = Esc() || (force_escape_first && i == 0);
      i += n;
      if (cp == '"' || cp == '\\') {
        if (esc) {
          AppendU(out, cp);
        } else {
          out += '\\';
          out += static_cast<char>(cp);
        }
      } else if (cp < 0x20) {
        const char* shortform = cp == '\n' ? "\\n" : cp == '\t' ? "\\t" : cp == '\r' ? "\\r"
                                : cp == '\b' ? "\\b" : cp == '\f' ? "\\f" : nullptr;
        if (shortform != nullptr && !esc) {
          out += shortform;
        } else {
          AppendU(out, cp);
        }
      } else if (esc) {
        if (cp >= 0x10000) {
          const uint32_t v = cp - 0x10000;
          AppendU(out, 0xD800 + (v >> 10));
          AppendU(out, 0xDC00 + (v & 0x3FF));
        } else {
          AppendU(out, cp);
        }
      } else {
        AppendUtf8(out, cp);
      }
    }
    out += raw_tail;
    out += '"';
    return out;
  }

  std::string Number(const GTensor& t, size_t key, uint64_t value) {
    auto it = t.number_raw.find(key);
    return it != t.number_raw.end() ? it->second : std::to_string(value);
  }

  std::string Dtype(const GTensor& t) {
    switch (t.dtype_form) {
      case DtypeForm::kString:
        return Str(t.dtype);
      case DtypeForm::kObjectNull:
        return "{" + Ws() + Str(t.dtype) + Ws() + ":" + Ws() + "null" + Ws() + "}";
      case DtypeForm::kObjectEmpty:
        return "{" + Ws() + Str(t.dtype) + ":" + Ws() + "{" + Ws() + "}" + Ws() + "}";
      case DtypeForm::kRaw:
        return t.dtype_raw;
    }
    return "";
  }

  std::string Shape(const GTensor& t) {
    if (!t.shape_raw.empty()) return t.shape_raw;
    std::string out = "[" + Ws();
    for (size_t i = 0; i < t.shape.size(); ++i) {
      if (i > 0) out += Ws() + "," + Ws();
      out += Number(t, i, t.shape[i]);
    }
    return out + Ws() + "]";
  }

  std::string Offsets(const GTensor& t) {
    if (!t.offsets_raw.empty()) return t.offsets_raw;
    return "[" + Ws() + Number(t, 1000, t.begin) + Ws() + "," + Ws() + Number(t, 1001, t.end) +
           Ws() + "]";
  }

  std::string Field(const GTensor& t, int which, bool force_escape = false) {
    static const char* kNames[] = {"dtype", "shape", "data_offsets"};
    std::string out = Str(kNames[which], force_escape) + Ws() + ":" + Ws();
    if (which == 0) return out + Dtype(t);
    if (which == 1) return out + Shape(t);
    return out + Offsets(t);
  }

  std::string Entry(const GTensor& t) {
    if (!t.entry_raw.empty()) return t.entry_raw;
    if (t.array_form) {
      std::string out = "[" + Ws() + Dtype(t) + Ws() + "," + Ws() + Shape(t);
      if (t.array_delta >= 0) out += Ws() + "," + Ws() + Offsets(t);
      if (t.array_delta > 0) out += "," + Ws() + "0";
      return out + Ws() + "]";
    }
    std::vector<std::string> parts;
    for (int which : t.field_order) {
      if (which == t.missing_field) continue;
      parts.push_back(Field(t, which));
    }
    if (t.duplicate_field >= 0) parts.push_back(Field(t, t.duplicate_field, t.duplicate_escaped));
    for (const auto& [key, raw] : t.extra_fields) {
      parts.push_back(Str(key) + Ws() + ":" + Ws() + raw);
    }
    std::string out = "{" + Ws();
    for (size_t i = 0; i < parts.size(); ++i) {
      if (i > 0) out += Ws() + "," + Ws();
      out += parts[i];
    }
    return out + Ws() + "}";
  }

  std::string Meta(const GMeta& m) {
    if (m.null) return "null";
    if (!m.raw.empty()) return m.raw;
    std::string out = "{" + Ws();
    for (size_t i = 0; i < m.entries.size(); ++i) {
      if (i > 0) out += Ws() + "," + Ws();
      out += Str(m.entries[i].first) + Ws() + ":" + Ws();
      auto it = m.value_raw.find(i);
      out += it != m.value_raw.end() ? it->second : Str(m.entries[i].second);
    }
    return out + Ws() + "}";
  }

  // The JSON text, without padding.
  std::string Json() {
    if (f_.header_raw) return *f_.header_raw;
    std::string out = "{" + Ws();
    for (size_t i = 0; i < f_.order.size(); ++i) {
      if (i > 0) out += Ws() + "," + Ws();
      const GMember& m = f_.order[i];
      if (m.is_meta) {
        out += Str("__metadata__") + Ws() + ":" + Ws() + Meta(f_.metas[m.index]);
      } else {
        const GTensor& t = f_.tensors[m.index];
        out += Str(t.name, false, t.name_raw_tail) + Ws() + ":" + Ws() + Entry(t);
      }
    }
    return out + Ws() + "}";
  }

 private:
  const GFile& f_;
  size_t ws_i_ = 0;
  size_t esc_i_ = 0;
};

inline std::string LittleEndian64(uint64_t n) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xFF);
  return out;
}

// Edits applied while rendering: to the JSON text before padding, to the
// padded header, and to the final bytes.
struct Edits {
  std::string prepend;       // before the JSON (leading whitespace, BOM)
  std::string append;        // after the JSON, before padding
  size_t post_pad_spaces = 0;  // spaces after alignment padding (unaligned N)
  std::optional<uint64_t> length_override;
  std::optional<size_t> truncate_to;
  std::string trailing_bytes;
};

inline std::vector<uint8_t> Render(const GFile& f, const Edits& e = {}) {
  Renderer r(f);
  std::string header = e.prepend + r.Json() + e.append;
  header.append(f.extra_pad, ' ');
  if (f.align_header) {
    while (header.size() % 8 != 0) header += ' ';
  }
  header.append(e.post_pad_spaces, ' ');
  const std::string prefix = LittleEndian64(e.length_override.value_or(header.size()));
  std::vector<uint8_t> bytes(prefix.begin(), prefix.end());
  bytes.insert(bytes.end(), header.begin(), header.end());
  for (uint64_t i = 0; i < f.data_size; ++i) bytes.push_back(static_cast<uint8_t>(i * 7 + 3));
  bytes.insert(bytes.end(), e.trailing_bytes.begin(), e.trailing_bytes.end());
  if (e.truncate_to && *e.truncate_to < bytes.size()) bytes.resize(*e.truncate_to);
  return bytes;
}

// ---------------------------------------------------------------------------
// The reference model.

struct ModelResult {
  bool reject = false;
  std::set<Code> errors;    // codes the library must report as errors
  std::set<Code> warnings;  // codes the library must report as warnings
  std::string why;          // first reason, for messages
};

enum class NumKind { kU64, kNotInteger, kTooLarge, kSyntax, kOverflow };

// A JSON number token as the reference reads it: u64 fields take plain
// non-negative integers up to 2^64-1; anything rounding to infinity is a
// parse error.
inline NumKind ClassifyNumber(const std::string& t, uint64_t* out) {
  size_t i = 0;
  const bool negative = i < t.size() && t[i] == '-';
  if (negative) ++i;
  const size_t int_begin = i;
  if (i < t.size() && t[i] == '0') {
    ++i;
  } else {
    if (i >= t.size() || t[i] < '1' || t[i] > '9') return NumKind::kSyntax;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
  }
  const std::string digits = t.substr(int_begin, i - int_begin);
  bool integer = true;
  if (i < t.size() && t[i] == '.') {
    integer = false;
    ++i;
    const size_t b = i;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
    if (i == b) return NumKind::kSyntax;
  }
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    integer = false;
    ++i;
    if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
    const size_t b = i;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
    if (i == b) return NumKind::kSyntax;
  }
  if (i != t.size()) return NumKind::kSyntax;
  if (std::isinf(std::strtod(t.c_str(), nullptr))) return NumKind::kOverflow;
  if (negative || !integer) return NumKind::kNotInteger;
  // Fits in u64?
  const std::string max = "18446744073709551615";
  if (digits.size() > max.size() || (digits.size() == max.size() && digits > max)) {
    return NumKind::kTooLarge;
  }
  if (out != nullptr) *out = std::strtoull(digits.c_str(), nullptr, 10);
  return NumKind::kU64;
}

// Nesting depth of raw JSON text we generated (no brackets inside strings),
// and whether any of its numbers overflow.
inline size_t RawDepth(std::string_view raw) {
  size_t depth = 0, max = 0;
  for (char c : raw) {
    if (c == '{' || c == '[') max = std::max(max, ++depth);
    if (c == '}' || c == ']') --depth;
  }
  return max;
}
inline bool RawHasOverflow(std::string_view raw) {
  std::string token;
  auto flush = [&]() {
    bool over = !token.empty() && ClassifyNumber(token, nullptr) == NumKind::kOverflow;
    token.clear();
    return over;
  };
  bool in_string = false;
  for (char c : raw) {
    if (c == '"') in_string = !in_string;
    if (in_string) continue;
    if ((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E') {
      token += c;
    } else if (flush()) {
      return true;
    }
  }
  return flush();
}

inline bool ModelControlChar(std::string_view s, bool allow_tab_cr_lf) {
  for (size_t i = 0; i < s.size();) {
    uint32_t cp;
    size_t n = DecodeUtf8(s, i, cp);
    if (n == 0) {
      n = 1;
      cp = 0xFFFD;
    }
    i += n;
    if (allow_tab_cr_lf && (cp == '\t' || cp == '\n' || cp == '\r')) continue;
    if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F)) return true;
  }
  return false;
}

inline bool ModelPathLike(std::string_view name) {
  if (name.empty()) return false;
  if (name[0] == '/' || name.find('\\') != std::string_view::npos) return true;
  std::string component;
  for (size_t i = 0; i <= name.size(); ++i) {
    if (i == name.size() || name[i] == '/') {
      if (component == "..") return true;
      component.clear();
    } else {
      component += name[i];
    }
  }
  return false;
}

class Model {
 public:
  Model(const GFile& f, const std::vector<uint8_t>& bytes, const Policy& p)
      : f_(f), bytes_(bytes), p_(p) {}

  ModelResult Run() {
    Evaluate();
    r_.reject = !r_.errors.empty() || r_.reject;
    return r_;
  }

 private:
  void Error(Code c, const char* why) {
    r_.errors.insert(c);
    if (r_.why.empty()) r_.why = why;
  }
  void ErrorUnspecified(const char* why) {
    r_.reject = true;
    if (r_.why.empty()) r_.why = why;
  }
  void Act(Code c, Action a, const char* why) {
    if (a == Action::kReject) Error(c, why);
    if (a == Action::kWarn) r_.warnings.insert(c);
  }

  void Evaluate() {
    const uint64_t size = bytes_.size();
    if (size < 8) return Error(Code::kFileTooShort, "short file");
    uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | bytes_[i];
    if (n > p_.max_header_bytes) return Error(Code::kHeaderTooLarge, "header too large");
    if (n > size - 8) return Error(Code::kHeaderPastEof, "header past eof");
    if (n % 8 != 0) Act(Code::kHeaderLengthUnaligned, p_.header_length_unaligned, "N % 8");
    const std::string header(bytes_.begin() + 8, bytes_.begin() + 8 + static_cast<long>(n));
    data_size_ = size - 8 - n;
    if (!ModelValidUtf8(header)) return Error(Code::kHeaderInvalidUtf8, "utf8");
    if (header.rfind("\xEF\xBB\xBF", 0) == 0) return Error(Code::kHeaderBom, "bom");
    const size_t first = header.find_first_not_of(" \t\r\n");
    if (first == std::string::npos) return Error(Code::kJsonSyntax, "empty header");
    if (first > 0) Act(Code::kHeaderLeadingWhitespace, p_.leading_whitespace, "leading ws");
    if (f_.declared_parse_failure) return ErrorUnspecified("declared parse failure");
    if (f_.header_raw) return Error(Code::kTopLevelNotObject, "top level not an object");
    if (HasOverflowingNumber()) return Error(Code::kJsonNumberOverflow, "number overflow");
    if (HasSyntaxNumber()) return Error(Code::kJsonSyntax, "bad number");
    if (Depth() > p_.max_json_depth) return Error(Code::kJsonTooDeep, "depth");
    const size_t last = header.find_last_not_of(" \t\r\n");
    if (header.find_first_not_of(' ', last + 1) != std::string::npos) {
      Act(Code::kHeaderPaddingNotSpaces, p_.padding_not_spaces, "padding");
    }
    Schema();
  }

  bool HasOverflowingNumber() const {
    for (const GTensor& t : f_.tensors) {
      for (const auto& [k, tok] : t.number_raw) {
        if (ClassifyNumber(tok, nullptr) == NumKind::kOverflow) return true;
      }
      for (const auto& [k, raw] : t.extra_fields) {
        if (RawHasOverflow(raw)) return true;
      }
    }
    return false;
  }
  bool HasSyntaxNumber() const {
    for (const GTensor& t : f_.tensors) {
      for (const auto& [k, tok] : t.number_raw) {
        if (ClassifyNumber(tok, nullptr) == NumKind::kSyntax) return true;
      }
    }
    return false;
  }

  size_t Depth() const {
    size_t d = 1;
    for (const GTensor& t : f_.tensors) {
      if (!t.entry_raw.empty()) {
        d = std::max(d, 1 + RawDepth(t.entry_raw));
        continue;
      }
      d = std::max<size_t>(d, 2);
      if (t.dtype_form == DtypeForm::kObjectNull) d = std::max<size_t>(d, 3);
      if (t.dtype_form == DtypeForm::kObjectEmpty) d = std::max<size_t>(d, 4);
      if (t.dtype_form == DtypeForm::kRaw) d = std::max(d, 2 + RawDepth(t.dtype_raw));
      d = std::max(d, t.shape_raw.empty() ? 3 : 2 + RawDepth(t.shape_raw));
      d = std::max(d, t.offsets_raw.empty() ? 3 : 2 + RawDepth(t.offsets_raw));
      for (const auto& [k, raw] : t.extra_fields) d = std::max(d, 2 + RawDepth(raw));
    }
    for (const GMeta& m : f_.metas) {
      if (m.null) continue;
      d = std::max(d, m.raw.empty() ? 2 : 1 + RawDepth(m.raw));
      for (const auto& [k, raw] : m.value_raw) d = std::max(d, 2 + RawDepth(raw));
    }
    return d;
  }

  // Reads a u64 field value: the default when not overridden.
  bool ReadNumber(const GTensor& t, size_t key, uint64_t fallback, uint64_t& out) {
    auto it = t.number_raw.find(key);
    if (it == t.number_raw.end()) {
      out = fallback;
      return true;
    }
    switch (ClassifyNumber(it->second, &out)) {
      case NumKind::kU64:
        return true;
      case NumKind::kTooLarge:
        Error(Code::kIntegerTooLarge, "integer too large");
        return false;
      default:
        Error(Code::kIntegerExpected, "integer expected");
        return false;
    }
  }

  struct Parsed {
    std::string name;
    uint32_t bits;
    std::vector<uint64_t> shape;
    uint64_t begin, end;
  };

  void Names(const std::string& name) {
    if (name.empty()) Act(Code::kTensorNameEmpty, p_.empty_tensor_names, "empty name");
    if (ModelControlChar(name, false)) {
      Act(Code::kTensorNameControlChar, p_.control_chars_in_names, "control char in name");
    }
    if (name.size() > p_.max_name_bytes) Error(Code::kTensorNameTooLong, "long name");
    if (ModelPathLike(name)) Act(Code::kTensorNamePathLike, p_.path_like_names, "path-like name");
  }

  std::optional<Parsed> Entry(const GTensor& t) {
    if (!t.entry_raw.empty()) {
      Error(Code::kTensorEntryInvalid, "entry not an object");
      return std::nullopt;
    }
    bool ok = true;
    bool have[3] = {true, true, true};
    if (t.array_form) {
      Act(Code::kTensorEntryArrayForm, p_.tensor_entry_array, "array form");
      if (t.array_delta != 0) {
        Error(Code::kTensorEntryInvalid, "array form with wrong count");
        return std::nullopt;
      }
    } else {
      for (size_t i = 0; i < t.extra_fields.size(); ++i) {
        Act(Code::kFieldUnknown, p_.unknown_fields, "unknown field");
      }
      if (t.duplicate_field >= 0) {
        Error(Code::kDuplicateField, "duplicate field");
        ok = false;
      }
      if (t.missing_field >= 0) {
        Error(Code::kFieldMissing, "missing field");
        have[t.missing_field] = false;
        ok = false;
      }
    }
    Parsed out{t.name, 0, {}, 0, 0};
    if (have[0]) {
      // The reference's enum unit variant takes null only: {"F32": {}} is
      // a dtype of the wrong type.
      if (t.dtype_form == DtypeForm::kRaw || t.dtype_form == DtypeForm::kObjectEmpty) {
        Error(Code::kFieldWrongType, "dtype wrong type");
        ok = false;
      } else {
        if (t.dtype_form != DtypeForm::kString) {
          Act(Code::kDtypeObjectForm, p_.dtype_object_form, "dtype object form");
        }
        const int index = ModelDtypeIndex(t.dtype);
        if (index < 0) {
          Error(Code::kDtypeUnknown, "unknown dtype");
          ok = false;
        } else {
          out.bits = ModelDtypes()[index].bits;
          if (((p_.allowed_dtypes >> index) & 1u) == 0) Error(Code::kDtypeNotAllowed, "dtype");
        }
      }
    }
    if (have[1]) {
      if (!t.shape_raw.empty()) {
        Error(Code::kFieldWrongType, "shape wrong type");
        ok = false;
      } else {
        for (size_t i = 0; i < t.shape.size(); ++i) {
          uint64_t v = 0;
          ok &= ReadNumber(t, i, t.shape[i], v);
          out.shape.push_back(v);
        }
        if (t.shape.size() > p_.max_rank) Error(Code::kRankTooLarge, "rank");
      }
    }
    if (have[2]) {
      if (!t.offsets_raw.empty()) {
        Error(Code::kFieldWrongType, "offsets wrong type");
        ok = false;
      } else {
        ok &= ReadNumber(t, 1000, t.begin, out.begin);
        ok &= ReadNumber(t, 1001, t.end, out.end);
      }
    }
    if (!ok) return std::nullopt;
    return out;
  }

  void Metadata(const GMeta& m) {
    if (m.null) return Act(Code::kMetadataNull, p_.metadata_null, "metadata null");
    if (!m.raw.empty()) return Error(Code::kMetadataNotObject, "metadata not object");
    if (m.entries.size() > p_.max_metadata_entries) {
      Error(Code::kTooManyMetadataEntries, "metadata entries");
    }
    std::set<std::string> seen;
    for (size_t i = 0; i < m.entries.size(); ++i) {
      const auto& [key, value] = m.entries[i];
      if (key.size() > p_.max_metadata_value_bytes) Error(Code::kMetadataValueTooLong, "key");
      if (ModelControlChar(key, false)) {
        Act(Code::kMetadataControlChar, p_.control_chars_in_metadata, "control char in key");
      }
      if (m.value_raw.count(i) != 0) {
        Error(Code::kMetadataValueNotString, "metadata value not string");
      } else {
        if (value.size() > p_.max_metadata_value_bytes) {
          Error(Code::kMetadataValueTooLong, "metadata value");
        }
        if (ModelControlChar(value, true)) {
          Act(Code::kMetadataControlChar, p_.control_chars_in_metadata, "control in value");
        }
      }
      if (!seen.insert(key).second) {
        Act(Code::kDuplicateMetadataKey, p_.duplicate_metadata_keys, "duplicate metadata key");
      }
    }
  }

  void Schema() {
    bool complete = true;
    uint64_t tensor_members = 0;
    size_t metadata_blocks = 0;
    std::vector<Parsed> entries;
    for (const GMember& m : f_.order) {
      if (m.is_meta) {
        if (++metadata_blocks > 1) Error(Code::kDuplicateMetadataBlock, "second metadata");
        Metadata(f_.metas[m.index]);
        continue;
      }
      const GTensor& t = f_.tensors[m.index];
      if (++tensor_members > p_.max_tensors) Error(Code::kTooManyTensors, "tensors");
      Names(t.name);
      std::optional<Parsed> parsed = Entry(t);
      if (parsed) {
        entries.push_back(std::move(*parsed));
      } else {
        complete = false;
      }
    }
    // Last one of each name wins.
    std::map<std::string, size_t> last;
    for (size_t i = 0; i < entries.size(); ++i) {
      if (last.count(entries[i].name) != 0) {
        Act(Code::kDuplicateTensorName, p_.duplicate_tensor_names, "duplicate name");
      }
      last[entries[i].name] = i;
    }
    if (!complete) return;
    std::vector<Parsed> kept;
    for (size_t i = 0; i < entries.size(); ++i) {
      if (last[entries[i].name] == i) kept.push_back(entries[i]);
    }
    Layout(kept);
  }

  void Layout(std::vector<Parsed>& kept) {
    std::stable_sort(kept.begin(), kept.end(), [](const Parsed& a, const Parsed& b) {
      return std::pair(a.begin, a.end) < std::pair(b.begin, b.end);
    });
    uint64_t cursor = 0;  // end of the tiling so far
    bool tiles = true;
    for (const Parsed& t : kept) {
      // Byte size: product of the shape (checked, left to right) x bits / 8.
      bool overflow = false;
      unsigned __int128 elements = 1;
      for (uint64_t d : t.shape) {
        if (overflow) break;
        elements *= d;
        if (elements > UINT64_MAX) overflow = true;
      }
      const unsigned __int128 bits = elements * t.bits;
      if (!overflow && bits > UINT64_MAX) overflow = true;
      if (overflow) {
        Error(Code::kShapeOverflow, "shape overflow");
      } else if (bits % 8 != 0) {
        Error(Code::kSubByteNotWholeBytes, "partial byte");
      } else if (t.end >= t.begin && t.end - t.begin != static_cast<uint64_t>(bits / 8)) {
        Error(Code::kTensorSizeMismatch, "size mismatch");
      }
      if (t.end < t.begin) {
        Error(Code::kOffsetsReversed, "reversed");
        tiles = false;
        continue;
      }
      if (t.begin != cursor) tiles = false;
      cursor = std::max(cursor, t.end);
      if (t.end > data_size_) Error(Code::kTensorPastEnd, "past end");
      if (t.bits != 0 && t.begin % ModelAlignment(t.bits) != 0) {
        Act(Code::kTensorOffsetUnaligned, p_.tensor_offset_unaligned, "unaligned offset");
      }
    }
    if (cursor != data_size_) tiles = false;
    if (!tiles) ErrorUnspecified("data section not tiled exactly");
  }

  const GFile& f_;
  const std::vector<uint8_t>& bytes_;
  const Policy& p_;
  uint64_t data_size_ = 0;
  ModelResult r_;
};

inline ModelResult RunModel(const GFile& f, const std::vector<uint8_t>& bytes, const Policy& p) {
  return Model(f, bytes, p).Run();
}

}  // namespace stguard::prop

#endif  // STGUARD_TESTS_PROPERTY_ST_MODEL_H_
