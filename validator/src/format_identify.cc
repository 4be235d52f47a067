#include "format_identify.h"

#include <algorithm>
#include <array>
#include <iterator>
#include <map>
#include <utility>
#include <vector>

#include "checked_math.h"
#include "str_cat.h"

namespace stguard::internal {
namespace {

using Bytes = std::span<const uint8_t>;

// ---------------------------------------------------------------------------
// Reading. Every byte this file looks at goes through Reader: each read checks
// the bounds first, and a failed read returns nullopt and leaves the position
// unchanged. Sizes read from the file are only ever compared and skipped over,
// never used to size an allocation.

class Reader {
 public:
  explicit Reader(Bytes bytes, size_t pos = 0)
      : bytes_(bytes), pos_(std::min(pos, bytes.size())) {}

  size_t pos() const { return pos_; }
  size_t remaining() const { return bytes_.size() - pos_; }
  bool AtEnd() const { return pos_ == bytes_.size(); }

  // Unsigned little-endian integer of `width` bytes (1 to 8).
  std::optional<uint64_t> Le(size_t width) {
    if (width == 0 || width > 8 || remaining() < width) return std::nullopt;
    uint64_t value = 0;
    for (size_t i = 0; i < width; ++i) value |= uint64_t{bytes_[pos_ + i]} << (8 * i);
    pos_ += width;
    return value;
  }

  std::optional<Bytes> Take(uint64_t n) {
    if (n > remaining()) return std::nullopt;
    const Bytes out = bytes_.subspan(pos_, static_cast<size_t>(n));
    pos_ += out.size();
    return out;
  }

  bool Skip(uint64_t n) { return Take(n).has_value(); }

  // Consumes `text` if the bytes at the position are exactly it.
  bool Literal(std::string_view text) {
    if (remaining() < text.size() ||
        !std::equal(text.begin(), text.end(), bytes_.begin() + static_cast<ptrdiff_t>(pos_),
                    [](char a, uint8_t b) { return static_cast<uint8_t>(a) == b; })) {
      return false;
    }
    pos_ += text.size();
    return true;
  }

  // The bytes up to the next '\n' (which is consumed, not returned).
  std::optional<Bytes> Line() {
    const Bytes rest = bytes_.subspan(pos_);
    const auto newline = std::find(rest.begin(), rest.end(), uint8_t{'\n'});
    if (newline == rest.end()) return std::nullopt;
    const auto length = static_cast<size_t>(newline - rest.begin());
    pos_ += length + 1;
    return rest.first(length);
  }

  // Protobuf base-128 varint: at most 10 bytes, value within 64 bits.
  std::optional<uint64_t> Varint() {
    constexpr size_t kMaxVarintBytes = 10;
    uint64_t value = 0;
    for (size_t i = 0; i < kMaxVarintBytes && i < remaining(); ++i) {
      const uint8_t byte = bytes_[pos_ + i];
      if (i == kMaxVarintBytes - 1 && byte > 1) return std::nullopt;  // past 64 bits
      value |= uint64_t{byte & 0x7fu} << (7 * i);
      if ((byte & 0x80) == 0) {
        pos_ += i + 1;
        return value;
      }
    }
    return std::nullopt;
  }

 private:
  Bytes bytes_;
  size_t pos_;
};

std::optional<uint64_t> LeAt(Bytes bytes, uint64_t offset, size_t width) {
  if (offset > bytes.size()) return std::nullopt;
  return Reader(bytes, static_cast<size_t>(offset)).Le(width);
}

bool StartsWith(Bytes bytes, std::string_view prefix) { return Reader(bytes).Literal(prefix); }

std::string_view AsText(Bytes bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// ---------------------------------------------------------------------------
// Detail text. Everything taken from the file is escaped to printable ASCII
// (a hostile name cannot drive a terminal or break a report line) and cut.

constexpr size_t kMaxQuotedChars = 96;  // of one name taken from the file

void AppendEscaped(std::string& out, std::string_view text, size_t max_chars = kMaxQuotedChars) {
  constexpr char kHex[] = "0123456789abcdef";
  for (size_t i = 0; i < text.size(); ++i) {
    if (i == max_chars) {
      out += "...";
      return;
    }
    const auto c = static_cast<uint8_t>(text[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else {
      StrAppend(out, "\\x", kHex[c >> 4], kHex[c & 0xf]);
    }
  }
}

std::string Escaped(std::string_view text, size_t max_chars = kMaxQuotedChars) {
  std::string out;
  // Enough for printable text and the "..." of a cut; only escapes regrow it.
  out.reserve(std::min(text.size(), max_chars) + 3);
  AppendEscaped(out, text, max_chars);
  return out;
}

ForeignFormat Found(std::string_view name, bool runs_code, std::string detail = {}) {
  if (detail.size() > kMaxForeignDetailBytes) {
    detail.resize(kMaxForeignDetailBytes - 3);
    detail += "...";
  }
  return ForeignFormat{name, runs_code, std::move(detail)};
}

// "a, b, c and 2 more" for at most `listed` of `items`.
std::string JoinCapped(const std::vector<std::string>& items, size_t listed) {
  std::string out;
  for (size_t i = 0; i < items.size() && i < listed; ++i) StrAppend(out, i ? ", " : "", items[i]);
  if (items.size() > listed) StrAppend(out, " and ", items.size() - listed, " more");
  return out;
}

// ---------------------------------------------------------------------------
// Pickle. Loading a pickle calls whatever callables it names, so what it
// imports (GLOBAL, INST, STACK_GLOBAL) is the one thing worth reporting. The
// walker knows every opcode's argument format and stack effect (CPython
// Lib/pickletools.py), which is what keeps text and random bytes out: a
// stream is a pickle only if it walks without an unknown opcode, a malformed
// argument or a stack underflow.

// Distinct "module.name" imports in first-seen order. A list that does not
// record (a probe: does the stream walk at all?) keeps nothing.
class ImportList {
 public:
  static constexpr size_t kListed = 8;     // names spelled out in the detail
  static constexpr size_t kTracked = 64;   // names kept for de-duplication
  static_assert(kTracked >= kListed);

  explicit ImportList(bool record = true) : record_(record) {}

  void Add(std::string_view module, std::string_view name) {
    if (!record_) return;
    std::string full = StrCat(Escaped(module), ".", Escaped(name));
    if (std::find(names_.begin(), names_.end(), full) != names_.end()) return;
    if (names_.size() == kTracked) {
      saturated_ = true;
      return;
    }
    names_.push_back(std::move(full));
  }
  // STACK_GLOBAL whose operands were computed, not pushed as strings.
  void AddComputed() { Add("<computed>", "<computed>"); }

  void Merge(const ImportList& other) {
    for (const std::string& full : other.names_) {
      if (std::find(names_.begin(), names_.end(), full) != names_.end()) continue;
      if (names_.size() == kTracked) {
        saturated_ = true;
        break;
      }
      names_.push_back(full);
    }
    saturated_ = saturated_ || other.saturated_;
  }

  std::string Describe() const {
    if (names_.empty()) return "no imports";
    if (!saturated_) return StrCat("imports ", JoinCapped(names_, kListed));
    // Past kTracked names the count is a lower bound.
    const std::vector<std::string> listed(
        names_.begin(), names_.begin() + static_cast<ptrdiff_t>(std::min(kListed, names_.size())));
    return StrCat("imports ", JoinCapped(listed, kListed), " and at least ",
                  names_.size() - listed.size(), " more");
  }

 private:
  bool record_;
  std::vector<std::string> names_;
  bool saturated_ = false;
};

enum class PickleArg : uint8_t {
  kNone,
  kFixed1, kFixed2, kFixed4, kFixed8,  // fixed-size argument
  kLen1, kLen4, kLen4Signed, kLen8,    // little-endian byte count, then that many bytes
  kDecimalLine,                        // INT GET PUT: [-]digits '\n'
  kLongLine,                           // LONG: [-]digits[L] '\n'
  kFloatLine,                          // FLOAT: repr(float) '\n'
  kQuotedLine,                         // STRING: 'quoted' '\n'
  kAnyLine,                            // UNICODE PERSID: anything up to '\n'
  kNamePair,                           // GLOBAL INST: module '\n' name '\n'
};

// What an opcode does besides popping `pops` and pushing `pushes` values.
enum class PickleOp : uint8_t {
  kPlain,
  kString,       // pushes its argument as a str (STACK_GLOBAL operand)
  kMark,         // MARK
  kPopMark,      // pops up to the top mark and the mark, then pops/pushes as listed
  kPop,          // POP: a value, or a mark sitting on top
  kDup,          // DUP
  kPut,          // PUT BINPUT LONG_BINPUT: memo[arg] = top
  kMemoize,      // MEMOIZE: memo[len(memo)] = top
  kGet,          // GET BINGET LONG_BINGET: push memo[arg]
  kGlobal,       // GLOBAL: push module.name
  kInst,         // INST: kPopMark + import module.name
  kStackGlobal,  // STACK_GLOBAL: pops module and name strings
  kProto,        // PROTO: protocol number
  kFrame,        // FRAME: a length, nothing on the stack
  kStop,         // STOP: pops the result
};

struct PickleOpcode {
  uint8_t code;
  PickleArg arg;
  PickleOp op;
  uint8_t pops;
  uint8_t pushes;
  uint8_t protocol;  // protocol that introduced it
};

// Every opcode of protocols 0 to 5, in pickletools order.
constexpr PickleOpcode kPickleOpcodes[] = {
    {'I', PickleArg::kDecimalLine, PickleOp::kPlain, 0, 1, 0},     // INT
    {'J', PickleArg::kFixed4, PickleOp::kPlain, 0, 1, 1},          // BININT
    {'K', PickleArg::kFixed1, PickleOp::kPlain, 0, 1, 1},          // BININT1
    {'M', PickleArg::kFixed2, PickleOp::kPlain, 0, 1, 1},          // BININT2
    {'L', PickleArg::kLongLine, PickleOp::kPlain, 0, 1, 0},        // LONG
    {0x8a, PickleArg::kLen1, PickleOp::kPlain, 0, 1, 2},           // LONG1
    {0x8b, PickleArg::kLen4Signed, PickleOp::kPlain, 0, 1, 2},     // LONG4
    {'S', PickleArg::kQuotedLine, PickleOp::kString, 0, 1, 0},     // STRING
    {'T', PickleArg::kLen4Signed, PickleOp::kString, 0, 1, 1},     // BINSTRING
    {'U', PickleArg::kLen1, PickleOp::kString, 0, 1, 1},           // SHORT_BINSTRING
    {'B', PickleArg::kLen4, PickleOp::kPlain, 0, 1, 3},            // BINBYTES
    {'C', PickleArg::kLen1, PickleOp::kPlain, 0, 1, 3},            // SHORT_BINBYTES
    {0x8e, PickleArg::kLen8, PickleOp::kPlain, 0, 1, 4},           // BINBYTES8
    {0x96, PickleArg::kLen8, PickleOp::kPlain, 0, 1, 5},           // BYTEARRAY8
    {0x97, PickleArg::kNone, PickleOp::kPlain, 0, 1, 5},           // NEXT_BUFFER
    {0x98, PickleArg::kNone, PickleOp::kPlain, 1, 1, 5},           // READONLY_BUFFER
    {'N', PickleArg::kNone, PickleOp::kPlain, 0, 1, 0},            // NONE
    {0x88, PickleArg::kNone, PickleOp::kPlain, 0, 1, 2},           // NEWTRUE
    {0x89, PickleArg::kNone, PickleOp::kPlain, 0, 1, 2},           // NEWFALSE
    {'V', PickleArg::kAnyLine, PickleOp::kString, 0, 1, 0},        // UNICODE
    {0x8c, PickleArg::kLen1, PickleOp::kString, 0, 1, 4},          // SHORT_BINUNICODE
    {'X', PickleArg::kLen4, PickleOp::kString, 0, 1, 1},           // BINUNICODE
    {0x8d, PickleArg::kLen8, PickleOp::kString, 0, 1, 4},          // BINUNICODE8
    {'F', PickleArg::kFloatLine, PickleOp::kPlain, 0, 1, 0},       // FLOAT
    {'G', PickleArg::kFixed8, PickleOp::kPlain, 0, 1, 1},          // BINFLOAT
    {']', PickleArg::kNone, PickleOp::kPlain, 0, 1, 1},            // EMPTY_LIST
    {'a', PickleArg::kNone, PickleOp::kPlain, 2, 1, 0},            // APPEND
    {'e', PickleArg::kNone, PickleOp::kPopMark, 1, 1, 1},          // APPENDS
    {'l', PickleArg::kNone, PickleOp::kPopMark, 0, 1, 0},          // LIST
    {')', PickleArg::kNone, PickleOp::kPlain, 0, 1, 1},            // EMPTY_TUPLE
    {'t', PickleArg::kNone, PickleOp::kPopMark, 0, 1, 0},          // TUPLE
    {0x85, PickleArg::kNone, PickleOp::kPlain, 1, 1, 2},           // TUPLE1
    {0x86, PickleArg::kNone, PickleOp::kPlain, 2, 1, 2},           // TUPLE2
    {0x87, PickleArg::kNone, PickleOp::kPlain, 3, 1, 2},           // TUPLE3
    {'}', PickleArg::kNone, PickleOp::kPlain, 0, 1, 1},            // EMPTY_DICT
    {'d', PickleArg::kNone, PickleOp::kPopMark, 0, 1, 0},          // DICT
    {'s', PickleArg::kNone, PickleOp::kPlain, 3, 1, 0},            // SETITEM
    {'u', PickleArg::kNone, PickleOp::kPopMark, 1, 1, 1},          // SETITEMS
    {0x8f, PickleArg::kNone, PickleOp::kPlain, 0, 1, 4},           // EMPTY_SET
    {0x90, PickleArg::kNone, PickleOp::kPopMark, 1, 1, 4},         // ADDITEMS
    {0x91, PickleArg::kNone, PickleOp::kPopMark, 0, 1, 4},         // FROZENSET
    {'0', PickleArg::kNone, PickleOp::kPop, 0, 0, 0},              // POP
    {'2', PickleArg::kNone, PickleOp::kDup, 0, 0, 0},              // DUP
    {'(', PickleArg::kNone, PickleOp::kMark, 0, 0, 0},             // MARK
    {'1', PickleArg::kNone, PickleOp::kPopMark, 0, 0, 1},          // POP_MARK
    {'g', PickleArg::kDecimalLine, PickleOp::kGet, 0, 0, 0},       // GET
    {'h', PickleArg::kFixed1, PickleOp::kGet, 0, 0, 1},            // BINGET
    {'j', PickleArg::kFixed4, PickleOp::kGet, 0, 0, 1},            // LONG_BINGET
    {'p', PickleArg::kDecimalLine, PickleOp::kPut, 0, 0, 0},       // PUT
    {'q', PickleArg::kFixed1, PickleOp::kPut, 0, 0, 1},            // BINPUT
    {'r', PickleArg::kFixed4, PickleOp::kPut, 0, 0, 1},            // LONG_BINPUT
    {0x94, PickleArg::kNone, PickleOp::kMemoize, 0, 0, 4},         // MEMOIZE
    {0x82, PickleArg::kFixed1, PickleOp::kPlain, 0, 1, 2},         // EXT1
    {0x83, PickleArg::kFixed2, PickleOp::kPlain, 0, 1, 2},         // EXT2
    {0x84, PickleArg::kFixed4, PickleOp::kPlain, 0, 1, 2},         // EXT4
    {'c', PickleArg::kNamePair, PickleOp::kGlobal, 0, 1, 0},       // GLOBAL
    {0x93, PickleArg::kNone, PickleOp::kStackGlobal, 2, 1, 4},     // STACK_GLOBAL
    {'R', PickleArg::kNone, PickleOp::kPlain, 2, 1, 0},            // REDUCE
    {'b', PickleArg::kNone, PickleOp::kPlain, 2, 1, 0},            // BUILD
    {'i', PickleArg::kNamePair, PickleOp::kInst, 0, 1, 0},         // INST
    {'o', PickleArg::kNone, PickleOp::kPopMark, 0, 1, 1},          // OBJ
    {0x81, PickleArg::kNone, PickleOp::kPlain, 2, 1, 2},           // NEWOBJ
    {0x92, PickleArg::kNone, PickleOp::kPlain, 3, 1, 4},           // NEWOBJ_EX
    {0x80, PickleArg::kFixed1, PickleOp::kProto, 0, 0, 2},         // PROTO
    {'.', PickleArg::kNone, PickleOp::kStop, 1, 0, 0},             // STOP
    {0x95, PickleArg::kFixed8, PickleOp::kFrame, 0, 0, 4},         // FRAME
    {'P', PickleArg::kAnyLine, PickleOp::kPlain, 0, 1, 0},         // PERSID
    {'Q', PickleArg::kNone, PickleOp::kPlain, 1, 1, 1},            // BINPERSID
};

// Opcode byte -> row of kPickleOpcodes, or nullptr.
const PickleOpcode* FindPickleOpcode(uint8_t code) {
  static const std::array<const PickleOpcode*, 256> kByCode = [] {
    std::array<const PickleOpcode*, 256> table{};
    for (const PickleOpcode& op : kPickleOpcodes) table[op.code] = &op;
    return table;
  }();
  return kByCode[code];
}

constexpr uint8_t kPickleProto = 0x80;
constexpr uint64_t kHighestPickleProtocol = 5;
constexpr size_t kMaxMemoEntries = 4096;  // more PUTs are walked, not remembered

bool IsDigit(uint8_t c) { return c >= '0' && c <= '9'; }

// [-]digits, with an optional trailing 'L' when `long_suffix`.
bool IsDecimal(Bytes line, bool long_suffix) {
  std::string_view text = AsText(line);
  if (long_suffix && !text.empty() && text.back() == 'L') text.remove_suffix(1);
  if (!text.empty() && text.front() == '-') text.remove_prefix(1);
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return IsDigit(uint8_t(c)); });
}

// What repr(float) writes: digits, sign, point, exponent, inf, nan.
bool IsFloatText(Bytes line) {
  constexpr std::string_view kFloatChars = "0123456789+-.eEinfaINFA";
  return !line.empty() && std::all_of(line.begin(), line.end(), [&](uint8_t c) {
    return kFloatChars.find(char(c)) != std::string_view::npos;
  });
}

// A Python name or dotted module path (ASCII identifier characters; UTF-8
// bytes allowed). Spaces and punctuation are what keep prose out.
bool IsDottedName(Bytes line) {
  return !line.empty() && std::all_of(line.begin(), line.end(), [](uint8_t c) {
    return IsDigit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
           c == '.' || c >= 0x80;
  });
}

// The protocol-0 decimal argument of GET / PUT (digits only, checked).
std::optional<uint64_t> ParseIndex(Bytes line) {
  if (line.empty() || line.size() > 18) return std::nullopt;  // 18 digits fit 64 bits
  uint64_t value = 0;
  for (uint8_t c : line) {
    if (!IsDigit(c)) return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

struct PickleScan {
  enum class End : uint8_t {
    kInvalid,  // not a pickle
    kStop,     // reached STOP
    kCut,      // the window ended inside the stream (the stream goes on past it)
  };
  End end = End::kInvalid;
  size_t length = 0;   // bytes walked, STOP included
  size_t opcodes = 0;  // opcodes walked
  int protocol = -1;   // PROTO's argument, if any
  uint8_t max_opcode_protocol = 0;
  bool clean_stop = false;  // STOP left exactly one value and no open mark
  // A memo write or an import: real pickles memoize their containers, and an
  // exploit imports something. Text that happens to walk has neither.
  bool structured = false;
};

// Walks one pickle from the start of `window`. `stream_size` (>= window
// size) is how many bytes the stream really has from there: an argument that
// runs past the window but not past the stream ends the walk as kCut.
// Imports seen are added to `imports` (also for an invalid stream; callers
// merge only what they accept).
PickleScan ScanPickle(Bytes window, uint64_t stream_size, ImportList& imports) {
  using End = PickleScan::End;
  struct Slot {
    std::string_view text;  // a str's bytes (escaped form for STRING), if is_string
    bool is_string = false;
  };
  PickleScan scan;
  stream_size = std::max<uint64_t>(stream_size, window.size());
  std::vector<Slot> stack;
  std::vector<size_t> marks;  // stack sizes at each open MARK
  std::map<uint64_t, Slot> memo;
  bool memo_complete = true;  // false once a PUT was not remembered
  const bool window_is_cut = stream_size > window.size();
  const End out_of_bytes = window_is_cut ? End::kCut : End::kInvalid;

  Reader in(window);
  const auto available = [&] { return stack.size() - (marks.empty() ? 0 : marks.back()); };
  const auto remember = [&](uint64_t index) {
    scan.structured = true;
    if (memo.size() < kMaxMemoEntries || memo.count(index) != 0) {
      memo[index] = stack.back();
    } else {
      memo_complete = false;
    }
  };
  for (;;) {
    const std::optional<uint64_t> code = in.Le(1);
    if (!code) {
      scan.end = out_of_bytes;
      return scan;
    }
    const PickleOpcode* op = FindPickleOpcode(static_cast<uint8_t>(*code));
    if (op == nullptr) return scan;  // unknown opcode: not a pickle
    scan.max_opcode_protocol = std::max(scan.max_opcode_protocol, op->protocol);

    // 1. The argument.
    std::optional<uint64_t> number;  // fixed-size argument
    Bytes payload;                   // length-prefixed or line argument
    Bytes second_line;               // INST / GLOBAL name
    bool arg_ok = true;
    switch (op->arg) {
      case PickleArg::kNone:
        break;
      case PickleArg::kFixed1: number = in.Le(1); arg_ok = number.has_value(); break;
      case PickleArg::kFixed2: number = in.Le(2); arg_ok = number.has_value(); break;
      case PickleArg::kFixed4: number = in.Le(4); arg_ok = number.has_value(); break;
      case PickleArg::kFixed8: number = in.Le(8); arg_ok = number.has_value(); break;
      case PickleArg::kLen1:
      case PickleArg::kLen4:
      case PickleArg::kLen4Signed:
      case PickleArg::kLen8: {
        const size_t width = op->arg == PickleArg::kLen1 ? 1 : op->arg == PickleArg::kLen8 ? 8 : 4;
        const std::optional<uint64_t> length = in.Le(width);
        if (!length) {
          arg_ok = false;
          break;
        }
        // A negative signed length is an error to the unpickler; a length
        // past the end of the stream means this is not a pickle at all.
        if (op->arg == PickleArg::kLen4Signed && *length >= (uint64_t{1} << 31)) return scan;
        if (*length > stream_size - in.pos()) return scan;
        const std::optional<Bytes> bytes = in.Take(*length);
        if (!bytes) {
          arg_ok = false;
          break;
        }
        payload = *bytes;
        break;
      }
      case PickleArg::kDecimalLine:
      case PickleArg::kLongLine:
      case PickleArg::kFloatLine:
      case PickleArg::kQuotedLine:
      case PickleArg::kAnyLine:
      case PickleArg::kNamePair: {
        const std::optional<Bytes> line = in.Line();
        if (!line) {
          arg_ok = false;
          break;
        }
        payload = *line;
        bool valid = true;
        if (op->arg == PickleArg::kDecimalLine) valid = IsDecimal(payload, false);
        if (op->arg == PickleArg::kLongLine) valid = IsDecimal(payload, true);
        if (op->arg == PickleArg::kFloatLine) valid = IsFloatText(payload);
        if (op->arg == PickleArg::kQuotedLine) {
          valid = payload.size() >= 2 && (payload.front() == '\'' || payload.front() == '"') &&
                  payload.back() == payload.front();
          if (valid) payload = payload.subspan(1, payload.size() - 2);
        }
        if (op->arg == PickleArg::kNamePair) {
          const std::optional<Bytes> name = in.Line();
          if (!name) {
            arg_ok = false;
            break;
          }
          second_line = *name;
          valid = IsDottedName(payload) && IsDottedName(second_line);
        }
        if (!valid) return scan;
        break;
      }
    }
    if (!arg_ok) {
      scan.end = out_of_bytes;
      return scan;
    }
    ++scan.opcodes;

    // 2. The stack effect. Underflow past the top mark is an error to the
    // unpickler, and so is it here.
    switch (op->op) {
      case PickleOp::kMark:
        marks.push_back(stack.size());
        continue;
      case PickleOp::kPop:
        if (!marks.empty() && marks.back() == stack.size()) {
          marks.pop_back();
        } else if (available() == 0) {
          return scan;
        } else {
          stack.pop_back();
        }
        continue;
      case PickleOp::kDup:
        if (available() == 0) return scan;
        stack.push_back(stack.back());
        continue;
      case PickleOp::kPut: {
        const std::optional<uint64_t> index = number ? number : ParseIndex(payload);
        if (!index || available() == 0) return scan;
        remember(*index);
        continue;
      }
      case PickleOp::kMemoize:
        if (available() == 0) return scan;
        remember(memo.size());
        continue;
      case PickleOp::kGet: {
        const std::optional<uint64_t> index = number ? number : ParseIndex(payload);
        if (!index) return scan;
        const auto it = memo.find(*index);
        if (it == memo.end() && memo_complete) return scan;  // unknown memo key
        stack.push_back(it == memo.end() ? Slot{} : it->second);
        continue;
      }
      case PickleOp::kProto:
        if (*number > kHighestPickleProtocol) return scan;
        if (scan.protocol < 0) scan.protocol = static_cast<int>(*number);
        continue;
      case PickleOp::kFrame:
        if (*number > stream_size - in.pos()) return scan;
        continue;
      case PickleOp::kStop:
        if (available() == 0) return scan;
        scan.end = End::kStop;
        scan.length = in.pos();
        scan.clean_stop = stack.size() == 1 && marks.empty();
        return scan;
      case PickleOp::kGlobal:
        imports.Add(AsText(payload), AsText(second_line));
        scan.structured = true;
        break;
      case PickleOp::kInst:
        imports.Add(AsText(payload), AsText(second_line));
        scan.structured = true;
        [[fallthrough]];
      case PickleOp::kPopMark:
        if (marks.empty()) return scan;
        stack.resize(marks.back());
        marks.pop_back();
        break;
      case PickleOp::kStackGlobal:
        if (available() < 2) return scan;
        scan.structured = true;
        if (stack.end()[-2].is_string && stack.end()[-1].is_string) {
          imports.Add(stack.end()[-2].text, stack.end()[-1].text);
        } else {
          imports.AddComputed();
        }
        break;
      case PickleOp::kPlain:
      case PickleOp::kString:
        break;
    }
    if (available() < op->pops) return scan;
    stack.resize(stack.size() - op->pops);
    for (uint8_t i = 0; i < op->pushes; ++i) {
      stack.push_back(op->op == PickleOp::kString ? Slot{AsText(payload), true} : Slot{});
    }
  }
}

constexpr size_t kMaxChainedPickles = 8;
// Without PROTO (protocols 0 and 1) a pickle has no magic: ask for a few
// opcodes and a clean STOP, or many opcodes when the window cuts it.
constexpr size_t kMinOpcodesWithoutMagic = 3;
constexpr size_t kMinOpcodesWithoutMagicCut = 16;

bool HasPickleMagic(Bytes bytes) {
  return bytes.size() >= 2 && bytes[0] == kPickleProto && bytes[1] >= 2 &&
         bytes[1] <= kHighestPickleProtocol;
}

bool AcceptPickle(const PickleScan& scan, bool magic) {
  using End = PickleScan::End;
  if (magic) return scan.end != End::kInvalid && scan.opcodes >= 2;
  if (!scan.structured) return false;
  if (scan.end == End::kStop) return scan.clean_stop && scan.opcodes >= kMinOpcodesWithoutMagic;
  return scan.end == End::kCut && scan.opcodes >= kMinOpcodesWithoutMagicCut;
}

// "pickle protocol 2; imports a, b" for an accepted scan and its imports.
std::string DescribePickle(const PickleScan& scan, const ImportList& imports) {
  const int protocol = scan.protocol >= 0 ? scan.protocol : scan.max_opcode_protocol;
  std::string out = StrCat("pickle protocol ", protocol, "; ", imports.Describe());
  if (scan.end == PickleScan::End::kCut) out += " in the bytes read";
  return out;
}

// One pickle from the start of `bytes`, then any further ones that follow it
// back to back (legacy torch.save writes five), imports merged.
struct PickleStreams {
  PickleScan first;
  ImportList imports;
};
std::optional<PickleStreams> WalkPicklesOnce(Bytes bytes, uint64_t stream_size,
                                             bool record_imports) {
  PickleStreams out{PickleScan{}, ImportList(record_imports)};
  const bool magic = HasPickleMagic(bytes);
  out.first = ScanPickle(bytes, stream_size, out.imports);
  if (!AcceptPickle(out.first, magic)) return std::nullopt;
  size_t pos = out.first.length;
  for (size_t i = 1; i < kMaxChainedPickles && out.first.end == PickleScan::End::kStop; ++i) {
    const Bytes rest = bytes.subspan(std::min(pos, bytes.size()));
    if (!HasPickleMagic(rest)) break;
    ImportList more(record_imports);
    const PickleScan next = ScanPickle(rest, stream_size - pos, more);
    if (next.end == PickleScan::End::kInvalid) break;
    out.imports.Merge(more);
    if (next.end != PickleScan::End::kStop) break;
    pos += next.length;
  }
  return out;
}

// Imports do not steer the walk: whether the bytes are pickles is decided
// first without recording them, and only pickles are walked again to name
// them. Most bytes that start like a pickle are not one (a safetensors
// header whose length byte is 'c' reads as GLOBAL), and escaping their
// "imports" only to drop them was about a third of the time fuzz_check
// spent naming formats (perf, ASan+UBSan).
std::optional<PickleStreams> WalkPickles(Bytes bytes, uint64_t stream_size) {
  if (!WalkPicklesOnce(bytes, stream_size, /*record_imports=*/false)) return std::nullopt;
  return WalkPicklesOnce(bytes, stream_size, /*record_imports=*/true);
}

// torch.save's legacy format starts with pickle.dump(0x1950a86a20f9469cfc6c,
// protocol=2): PROTO 2, LONG1 of 10 bytes (little-endian), STOP.
constexpr std::string_view kTorchLegacyMagic =
    "\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.";

std::optional<ForeignFormat> IdentifyPickle(Bytes head, uint64_t size) {
  const std::optional<PickleStreams> pickles = WalkPickles(head, size);
  if (!pickles) return std::nullopt;
  const std::string detail = DescribePickle(pickles->first, pickles->imports);
  if (StartsWith(head, kTorchLegacyMagic)) {
    return Found("PyTorch legacy pickle (torch.save)", true, detail);
  }
  return Found("Python pickle", true, detail);
}

// ---------------------------------------------------------------------------
// NumPy .npy: "\x93NUMPY", major, minor, header length (u16 in 1.0, u32 in
// 2.0 and 3.0), then a Python dict literal. Object arrays (descr '|O') are
// stored as a pickle, which np.load(allow_pickle=True) runs.

constexpr std::string_view kNpyMagic = "\x93NUMPY";

struct NpyHeader {
  uint64_t major = 0;
  uint64_t minor = 0;
  std::string_view dict;  // as much of it as the window holds
  bool object_dtype = false;
};

bool HasObjectDescr(std::string_view dict) {
  // '|O' (or old numpy's '|O8'), alone or as a field of a structured dtype.
  for (size_t at = dict.find("'|O"); at != std::string_view::npos; at = dict.find("'|O", at + 1)) {
    const size_t next = at + 3;
    if (next < dict.size() && (dict[next] == '\'' || IsDigit(uint8_t(dict[next])))) return true;
  }
  return false;
}

std::optional<NpyHeader> ParseNpy(Bytes bytes) {
  Reader in(bytes);
  if (!in.Literal(kNpyMagic)) return std::nullopt;
  NpyHeader header;
  const std::optional<uint64_t> major = in.Le(1);
  const std::optional<uint64_t> minor = in.Le(1);
  if (!major || !minor || *major < 1 || *major > 3) return std::nullopt;
  header.major = *major;
  header.minor = *minor;
  const std::optional<uint64_t> length = in.Le(*major == 1 ? 2 : 4);
  if (length) {
    // The part of the dict inside the window is enough: 'descr' comes first.
    const Bytes text = in.remaining() >= *length ? *in.Take(*length) : *in.Take(in.remaining());
    header.dict = AsText(text);
    if (!header.dict.empty() && header.dict.front() != '{') return std::nullopt;
    header.object_dtype = HasObjectDescr(header.dict);
  }
  return header;
}

std::optional<ForeignFormat> IdentifyNpy(Bytes head) {
  const std::optional<NpyHeader> npy = ParseNpy(head);
  if (!npy) return std::nullopt;
  std::string_view dict = npy->dict;
  while (!dict.empty() && (dict.back() == ' ' || dict.back() == '\n')) dict.remove_suffix(1);
  std::string detail = StrCat("npy ", npy->major, ".", npy->minor);
  if (!dict.empty()) StrAppend(detail, "; ", Escaped(dict, 200));
  if (npy->object_dtype) detail = StrCat("object dtype (data is a pickle); ", detail);
  return Found("NumPy .npy array", npy->object_dtype, detail);
}

// ---------------------------------------------------------------------------
// ZIP (PyTorch, TorchScript, .npz, .keras). Only the local file headers at
// the start are read, one after the other, as far as the window goes.

constexpr std::string_view kZipLocalMagic = "PK\x03\x04";
constexpr size_t kMaxZipEntries = 64;
constexpr uint16_t kZipFlagEncrypted = 1 << 0;
constexpr uint16_t kZipFlagDataDescriptor = 1 << 3;  // sizes follow the data instead
constexpr uint16_t kZipMethodStored = 0;
constexpr uint64_t kZip32Saturated = 0xFFFFFFFF;     // the real size is in the zip64 field
constexpr uint16_t kZip64ExtraId = 0x0001;
constexpr size_t kListedEntries = 4;

struct ZipEntry {
  std::string_view name;
  uint64_t flags = 0;
  uint64_t method = 0;
  uint64_t data_offset = 0;     // in the file
  std::optional<uint64_t> size;  // compressed size, when the header says
  Bytes data;                    // the part of the data inside the window
};

// The compressed size from a local header's zip64 extra field (which there
// holds the uncompressed then the compressed size, 8 bytes each).
std::optional<uint64_t> Zip64CompressedSize(Bytes extra) {
  Reader in(extra);
  while (in.remaining() >= 4) {
    const uint64_t id = *in.Le(2);
    const uint64_t length = *in.Le(2);
    const std::optional<Bytes> body = in.Take(length);
    if (!body) return std::nullopt;
    if (id == kZip64ExtraId) return LeAt(*body, 8, 8);
  }
  return std::nullopt;
}

std::vector<ZipEntry> ReadZipEntries(Bytes head) {
  std::vector<ZipEntry> entries;
  uint64_t offset = 0;
  while (entries.size() < kMaxZipEntries && offset < head.size()) {
    Reader in(head, static_cast<size_t>(offset));
    // signature, version, flags, method, time, date, crc32, compressed and
    // uncompressed size, name length, extra length (30 bytes), name, extra.
    if (!in.Literal(kZipLocalMagic) || !in.Skip(2)) break;
    const std::optional<uint64_t> flags = in.Le(2);
    const std::optional<uint64_t> method = in.Le(2);
    const bool skipped = in.Skip(8);
    const std::optional<uint64_t> compressed = in.Le(4);
    const bool skipped_size = in.Skip(4);
    const std::optional<uint64_t> name_length = in.Le(2);
    const std::optional<uint64_t> extra_length = in.Le(2);
    if (!flags || !method || !skipped || !compressed || !skipped_size || !name_length ||
        !extra_length) {
      break;
    }
    const std::optional<Bytes> name = in.Take(*name_length);
    if (!name) break;
    ZipEntry entry;
    entry.name = AsText(*name);
    entry.flags = *flags;
    entry.method = *method;
    const std::optional<Bytes> extra = in.Take(*extra_length);
    if (extra) {
      entry.data_offset = in.pos();
      entry.size = *compressed;
      if (*compressed == kZip32Saturated) entry.size = Zip64CompressedSize(*extra);
      if ((*flags & kZipFlagDataDescriptor) != 0 && *compressed == 0) entry.size.reset();
      const Bytes rest = head.subspan(in.pos());
      entry.data = rest.first(static_cast<size_t>(std::min<uint64_t>(
          rest.size(), entry.size.value_or(rest.size()))));
    }
    entries.push_back(entry);
    if (!extra || !entry.size) break;  // where the next header is is unknown
    const std::optional<uint64_t> next = CheckedAdd(entry.data_offset, *entry.size);
    if (!next) break;
    offset = *next;
  }
  return entries;
}

// "<dir>/<leaf>" with one non-empty directory, as torch names its records.
bool IsArchiveRecord(std::string_view name, std::string_view leaf) {
  const size_t slash = name.find('/');
  return slash != 0 && slash != std::string_view::npos && name.substr(slash + 1) == leaf;
}

// "<dir>/<subdir>/..." with one non-empty directory before it.
bool IsArchiveRecordUnder(std::string_view name, std::string_view subdir) {
  const size_t slash = name.find('/');
  return slash != 0 && slash != std::string_view::npos &&
         name.substr(slash + 1).substr(0, subdir.size()) == subdir;
}

std::string EntryName(const ZipEntry& e) { return e.name.empty() ? "\"\"" : Escaped(e.name, 64); }

std::string EntryList(const std::vector<ZipEntry>& entries) {
  std::vector<std::string> names;
  for (const ZipEntry& e : entries) names.push_back(EntryName(e));
  return StrCat("entries ", JoinCapped(names, kListedEntries));
}

bool CanInspect(const ZipEntry& e) {
  return e.method == kZipMethodStored && (e.flags & kZipFlagEncrypted) == 0;
}

// The pickle imports of a stored record, e.g. "archive/data.pkl: pickle protocol 2; imports ...".
std::string DescribeRecordPickle(const ZipEntry& e, uint64_t file_size) {
  const std::string name = EntryName(e);
  if (!CanInspect(e)) return StrCat(name, ": compressed, not inspected");
  if (e.data.empty()) return StrCat(name, ": past the bytes read");
  const uint64_t stream = e.size.value_or(file_size - std::min(file_size, e.data_offset));
  const std::optional<PickleStreams> pickle =
      WalkPickles(e.data, std::max<uint64_t>(stream, e.data.size()));
  if (!pickle) return StrCat(name, ": not a readable pickle");
  return StrCat(name, ": ", DescribePickle(pickle->first, pickle->imports));
}

std::optional<ForeignFormat> IdentifyZip(Bytes head, uint64_t size) {
  if (!StartsWith(head, kZipLocalMagic)) return std::nullopt;
  const std::vector<ZipEntry> entries = ReadZipEntries(head);
  const ZipEntry* torch_data = nullptr;
  bool torchscript = false;
  bool tensor_records = false;
  size_t npy_entries = 0;
  size_t keras_entries = 0;
  for (const ZipEntry& e : entries) {
    if (torch_data == nullptr && IsArchiveRecord(e.name, "data.pkl")) torch_data = &e;
    if (IsArchiveRecord(e.name, "constants.pkl") || IsArchiveRecordUnder(e.name, "code/")) {
      torchscript = true;
    }
    if (IsArchiveRecordUnder(e.name, "data/")) tensor_records = true;
    if (EndsWith(e.name, ".npy")) ++npy_entries;
    if (e.name == "config.json" || e.name == "metadata.json" || e.name == "model.weights.h5") {
      ++keras_entries;
    }
  }
  if (entries.empty()) return Found("ZIP archive", false, "local header past the bytes read");
  // torch.jit.save archives hold a data.pkl too: the code/ records decide.
  if (torchscript) {
    return Found("TorchScript archive (torch.jit.save)", true,
                 torch_data ? DescribeRecordPickle(*torch_data, size) : EntryList(entries));
  }
  if (torch_data != nullptr) {
    return Found("PyTorch zip archive (torch.save)", true, DescribeRecordPickle(*torch_data, size));
  }
  // torch.save writes data.pkl first; torch.jit.save writes the tensors
  // (<dir>/data/0, ...) before its data.pkl and code/, which a window can miss.
  if (tensor_records) {
    return Found("PyTorch zip archive (torch.jit.save or torch.save)", true,
                 StrCat(EntryList(entries), "; data.pkl past the bytes read"));
  }
  if (npy_entries == entries.size()) {
    std::vector<std::string> pickled;
    size_t unchecked = 0;  // compressed, or the header is past the window
    for (const ZipEntry& e : entries) {
      const std::optional<NpyHeader> npy =
          CanInspect(e) ? ParseNpy(e.data) : std::optional<NpyHeader>();
      if (!npy || npy->dict.empty()) ++unchecked;
      if (npy && npy->object_dtype) pickled.push_back(EntryName(e));
    }
    std::string detail = EntryList(entries);
    if (!pickled.empty()) {
      detail = StrCat("object dtype (data is a pickle) in ", JoinCapped(pickled, kListedEntries),
                      "; ", detail);
    }
    if (unchecked != 0) {
      StrAppend(detail, "; dtype of ", unchecked,
                " not checked (compressed or past the bytes read)");
    }
    return Found("NumPy .npz archive", !pickled.empty(), detail);
  }
  // Keras 3 writes metadata.json, config.json and model.weights.h5.
  if (keras_entries >= 2) return Found("Keras v3 archive (.keras)", false, EntryList(entries));
  return Found("ZIP archive", false, EntryList(entries));
}

// ---------------------------------------------------------------------------
// GGUF and its predecessors (llama.cpp).

constexpr std::string_view kGgufMagic = "GGUF";
constexpr uint64_t kGgmlMagic = 0x67676d6c;  // "lmgg" on disk: unversioned
constexpr uint64_t kGgmfMagic = 0x67676d66;  // versioned
constexpr uint64_t kGgjtMagic = 0x67676a74;  // versioned, mmap-able
constexpr uint64_t kMaxPlausibleVersion = 0xFFFF;

std::optional<ForeignFormat> IdentifyGguf(Bytes head) {
  if (!StartsWith(head, kGgufMagic)) return std::nullopt;
  const std::optional<uint64_t> raw_version = LeAt(head, 4, 4);
  if (!raw_version) return std::nullopt;
  // Big-endian GGUF files exist: the version then reads byte-swapped.
  const bool big_endian = *raw_version > kMaxPlausibleVersion;
  const uint64_t version = big_endian ? __builtin_bswap32(uint32_t(*raw_version)) : *raw_version;
  if (version == 0 || version > kMaxPlausibleVersion) return std::nullopt;
  std::string detail = StrCat("GGUF version ", version);
  if (big_endian) detail += ", big-endian";
  // Version 1 counts are u32, later ones u64: tensors, then metadata keys.
  const size_t width = version == 1 ? 4 : 8;
  std::optional<uint64_t> tensors = LeAt(head, 8, width);
  std::optional<uint64_t> keys = LeAt(head, 8 + width, width);
  if (tensors && keys) {
    if (big_endian) {
      tensors = width == 4 ? __builtin_bswap32(uint32_t(*tensors)) : __builtin_bswap64(*tensors);
      keys = width == 4 ? __builtin_bswap32(uint32_t(*keys)) : __builtin_bswap64(*keys);
    }
    StrAppend(detail, "; ", *tensors, " tensors, ", *keys, " metadata keys");
  }
  return Found("GGUF model", false, detail);
}

std::optional<ForeignFormat> IdentifyGgmlLegacy(Bytes head) {
  const std::optional<uint64_t> magic = LeAt(head, 0, 4);
  if (!magic) return std::nullopt;
  if (*magic == kGgmlMagic) return Found("GGML model (legacy, before GGUF)", false);
  if (*magic != kGgmfMagic && *magic != kGgjtMagic) return std::nullopt;
  const std::string_view name = *magic == kGgmfMagic ? "GGMF model (legacy, before GGUF)"
                                                     : "GGJT model (legacy, before GGUF)";
  const std::optional<uint64_t> version = LeAt(head, 4, 4);
  return Found(name, false, version ? StrCat("version ", *version) : "");
}

// ---------------------------------------------------------------------------
// Other signatures.

constexpr std::string_view kHdf5Magic = "\x89HDF\r\n\x1a\n";

std::optional<ForeignFormat> IdentifyHdf5(Bytes head) {
  if (!StartsWith(head, kHdf5Magic)) return std::nullopt;
  const std::optional<uint64_t> version = LeAt(head, kHdf5Magic.size(), 1);
  return Found("HDF5 (Keras .h5, legacy TensorFlow/Keras weights)", false,
               version ? StrCat("superblock version ", *version) : "");
}

// TensorFlow Lite: a FlatBuffer whose file identifier (bytes 4..7) is TFL3;
// bytes 0..3 are the offset of the root table, inside the file.
std::optional<ForeignFormat> IdentifyTflite(Bytes head, uint64_t size) {
  constexpr size_t kIdentifierOffset = 4;
  constexpr size_t kPrefixBytes = 8;
  if (!StartsWith(head.subspan(std::min(head.size(), kIdentifierOffset)), "TFL3")) {
    return std::nullopt;
  }
  const uint64_t root = LeAt(head, 0, 4).value_or(0);
  if (root < kPrefixBytes || root >= size) return std::nullopt;
  return Found("TensorFlow Lite model (FlatBuffer)", false);
}

// gzip (RFC 1952): 1f 8b, method 8 (deflate), flags with the reserved bits
// clear. The original file name, when stored, says what is inside.
std::optional<ForeignFormat> IdentifyGzip(Bytes head) {
  constexpr uint64_t kDeflate = 8;
  constexpr uint64_t kFlagExtra = 1 << 2;
  constexpr uint64_t kFlagName = 1 << 3;
  constexpr uint64_t kReservedFlags = 0xE0;
  constexpr size_t kFixedHeaderBytes = 10;
  Reader in(head);
  if (!in.Literal("\x1f\x8b")) return std::nullopt;
  const std::optional<uint64_t> method = in.Le(1);
  const std::optional<uint64_t> flags = in.Le(1);
  if (!method || !flags || *method != kDeflate || (*flags & kReservedFlags) != 0) {
    return std::nullopt;
  }
  std::string detail = "contents not inspected";
  if ((*flags & kFlagName) != 0 && in.Skip(kFixedHeaderBytes - 4)) {
    const std::optional<uint64_t> extra = (*flags & kFlagExtra) != 0 ? in.Le(2) : uint64_t{0};
    if (extra && in.Skip(*extra)) {
      const Bytes rest = head.subspan(in.pos());
      const auto end = std::find(rest.begin(), rest.end(), uint8_t{0});
      if (end != rest.end()) {
        detail = StrCat("original name ", Escaped(AsText(rest.first(size_t(end - rest.begin())))),
                        "; ", detail);
      }
    }
  }
  return Found("gzip compressed data", false, detail);
}

// What a model hub serves when the weights were never fetched from LFS.
std::optional<ForeignFormat> IdentifyGitLfsPointer(Bytes head) {
  constexpr std::string_view kLfsVersion = "version https://git-lfs.github.com/spec/";
  constexpr size_t kMaxPointerLines = 16;
  Reader in(head);
  if (!in.Literal(kLfsVersion)) return std::nullopt;
  std::string_view oid_line;  // the last of each, escaped once below
  std::string_view size_line;
  for (size_t i = 0; i < kMaxPointerLines; ++i) {
    const std::optional<Bytes> line = in.Line();
    if (!line) break;
    const std::string_view text = AsText(*line);
    if (text.substr(0, 4) == "oid ") oid_line = text.substr(4);
    if (text.substr(0, 5) == "size ") size_line = text.substr(5);
  }
  const std::string oid = Escaped(oid_line, 80);
  const std::string size = Escaped(size_line, 24);
  std::string detail = "pointer";
  if (!size.empty()) StrAppend(detail, " to ", size, " bytes");
  if (!oid.empty()) StrAppend(detail, " (", oid, ")");
  detail += "; the model file itself was never downloaded (git lfs pull)";
  return Found("Git LFS pointer (not the model file)", false, detail);
}

// ONNX: a protobuf ModelProto. Protobuf has no magic, so the top-level fields
// are walked: field 1 (ir_version, a small varint) first, then only known
// ModelProto fields with their wire types, text fields printable, lengths
// inside the file; a whole file must also hold a graph and end exactly.
struct ProtoField {
  uint64_t number;
  uint64_t wire_type;  // 0 varint, 2 length-delimited
};
constexpr ProtoField kModelProtoFields[] = {
    {1, 0},   // ir_version
    {2, 2},   // producer_name
    {3, 2},   // producer_version
    {4, 2},   // domain
    {5, 0},   // model_version
    {6, 2},   // doc_string
    {7, 2},   // graph
    {8, 2},   // opset_import
    {14, 2},  // metadata_props
    {20, 2},  // training_info
    {25, 2},  // functions
    {26, 2},  // configuration
};
constexpr uint64_t kOnnxFieldIrVersion = 1, kOnnxFieldProducerName = 2,
                   kOnnxFieldProducerVersion = 3, kOnnxFieldDomain = 4, kOnnxFieldDocString = 6,
                   kOnnxFieldGraph = 7, kOnnxFieldOpsetImport = 8;
constexpr uint64_t kMaxOnnxIrVersion = 20;  // 11 in 2025

bool IsPrintableUtf8ish(Bytes text) {
  return std::all_of(text.begin(), text.end(),
                     [](uint8_t c) { return c >= 0x80 || (c >= 0x20 && c < 0x7f); });
}

std::optional<ForeignFormat> IdentifyOnnx(Bytes head, uint64_t size) {
  Reader in(head);
  const std::optional<uint64_t> first_tag = in.Le(1);
  const std::optional<uint64_t> ir_version = in.Varint();
  if (first_tag != (kOnnxFieldIrVersion << 3) || !ir_version || *ir_version == 0 ||
      *ir_version > kMaxOnnxIrVersion) {
    return std::nullopt;
  }
  size_t fields = 1;
  bool cut = false;  // the walk stopped at the window, not at the end of the file
  bool graph = false;
  bool producer_or_opset = false;
  std::string_view producer, producer_version;
  while (!in.AtEnd()) {
    // A varint that does not end inside the window: cut by the window, or junk.
    const auto varint_ran_out = [&] { return in.remaining() < 10 && size > head.size(); };
    const std::optional<uint64_t> tag = in.Varint();
    if (!tag) {
      if (!varint_ran_out()) return std::nullopt;
      cut = true;
      break;
    }
    const uint64_t number = *tag >> 3, wire_type = *tag & 7;
    const bool known = std::any_of(std::begin(kModelProtoFields), std::end(kModelProtoFields),
                                   [&](const ProtoField& f) {
                                     return f.number == number && f.wire_type == wire_type;
                                   });
    if (!known || number == kOnnxFieldIrVersion) return std::nullopt;
    const std::optional<uint64_t> value = in.Varint();  // the value, or the payload's length
    if (!value) {
      if (!varint_ran_out()) return std::nullopt;
      cut = true;
      break;
    }
    ++fields;
    graph = graph || number == kOnnxFieldGraph;
    producer_or_opset = producer_or_opset || number == kOnnxFieldProducerName ||
                        number == kOnnxFieldOpsetImport;
    if (wire_type == 0) continue;
    const std::optional<uint64_t> end = CheckedAdd(in.pos(), *value);
    if (!end || *end > size) return std::nullopt;
    const std::optional<Bytes> payload = in.Take(*value);
    if (!payload) {
      cut = true;
      break;
    }
    const bool text_field = number == kOnnxFieldProducerName ||
                            number == kOnnxFieldProducerVersion || number == kOnnxFieldDomain ||
                            number == kOnnxFieldDocString;
    if (text_field && !IsPrintableUtf8ish(*payload)) return std::nullopt;
    if (number == kOnnxFieldProducerName) producer = AsText(*payload);
    if (number == kOnnxFieldProducerVersion) producer_version = AsText(*payload);
  }
  cut = cut || size > head.size();
  const bool plausible = cut ? fields >= 2 && (graph || producer_or_opset) : graph;
  if (!plausible) return std::nullopt;
  std::string detail = StrCat("ir_version ", *ir_version);
  if (!producer.empty()) {
    StrAppend(detail, "; producer ", Escaped(producer, 48));
    if (!producer_version.empty()) StrAppend(detail, " ", Escaped(producer_version, 32));
  }
  return Found("ONNX model (protobuf)", false, detail);
}

}  // namespace

std::optional<ForeignFormat> IdentifyForeignFormat(std::span<const uint8_t> head,
                                                   uint64_t file_size) {
  // A caller passing a size smaller than the bytes it hands over: trust the bytes.
  const uint64_t size = std::max<uint64_t>(file_size, head.size());
  // Signatures first (cheap, unambiguous), then the two heuristics: ONNX
  // (first byte 0x08, which is no pickle opcode) and magic-less pickles.
  if (auto found = IdentifyZip(head, size)) return found;
  if (HasPickleMagic(head)) {
    if (auto found = IdentifyPickle(head, size)) return found;
  }
  if (auto found = IdentifyNpy(head)) return found;
  if (auto found = IdentifyGguf(head)) return found;
  if (auto found = IdentifyGgmlLegacy(head)) return found;
  if (auto found = IdentifyHdf5(head)) return found;
  if (auto found = IdentifyTflite(head, size)) return found;
  if (auto found = IdentifyGzip(head)) return found;
  if (auto found = IdentifyGitLfsPointer(head)) return found;
  if (auto found = IdentifyOnnx(head, size)) return found;
  if (!HasPickleMagic(head)) return IdentifyPickle(head, size);
  return std::nullopt;
}

}  // namespace stguard::internal
