// The pickle grammar walker, shared by format identification
// (format_identify.cc: a 64 KiB window in memory) and model-file grading
// (model_file.cc: whole files, read through a ByteSource in bounded pieces).
//
// Loading a pickle calls whatever callables it imports (GLOBAL, INST,
// STACK_GLOBAL, EXT1/2/4), so what it imports is the one thing to find. The
// walker knows every opcode of protocols 0 to 5 (CPython Lib/pickletools.py
// and Modules/_pickle.c): each argument's form and length and each opcode's
// stack effect, with the memo followed, so STACK_GLOBAL's two strings are
// resolved statically or reported as unresolved. It never builds a value:
// a str is remembered by where its bytes are, and read back (at most
// kMaxPickleNameBytes) only when STACK_GLOBAL names it.
//
// It accepts at least what CPython's unpickler accepts up to the point where
// that one stops, so no prefix an unpickler executes is missed; it is
// stricter only where CPython would fail too (a length past the stream, an
// unknown memo key, a stack underflow).
//
// Header-only (with pickle_walk_stream.h and pickle_walk_imports.h): the
// library's source list (validator/CMakeLists.txt) was not this component's
// to edit; moving the definitions into a pickle_walk.cc changes nothing else.
#ifndef STGUARD_SRC_PICKLE_WALK_H_
#define STGUARD_SRC_PICKLE_WALK_H_

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "checked_math.h"
#include "pickle_walk_imports.h"  // ImportList, Escaped
#include "pickle_walk_stream.h"   // StreamReader
#include "work_counter.h"

namespace stguard::internal {


// ---------------------------------------------------------------------------
// Opcodes.

enum class PickleArg : uint8_t {
  kNone,
  kFixed1, kFixed2, kFixed4, kFixed8,  // fixed-size argument
  kLen1, kLen4, kLen4Signed, kLen8,    // little-endian byte count, then that many bytes
  kIntLine,                            // INT LONG: what int(text, 0) reads, '\n'
  kIndexLine,                          // GET PUT: what int(text, 10) reads, '\n'
  kFloatLine,                          // FLOAT: what float() reads, '\n'
  kQuotedLine,                         // STRING: 'quoted' or "quoted", '\n'
  kAnyLine,                            // UNICODE PERSID: anything up to '\n'
  kNamePair,                           // GLOBAL INST: module '\n' name '\n'
};

// What an opcode does besides popping `pops` and pushing `pushes` values.
enum class PickleOp : uint8_t {
  kPlain,
  kString,       // pushes its argument as a str (a STACK_GLOBAL operand)
  kCall,         // calls something on the stack (REDUCE BUILD NEWOBJ NEWOBJ_EX)
  kMark,         // MARK
  kPopMark,      // pops up to the top mark and the mark, then pops/pushes as listed
  kCallMark,     // OBJ: kPopMark that calls the first value after the mark
  kPop,          // POP: a value, or a mark sitting on top
  kDup,          // DUP
  kPut,          // PUT BINPUT LONG_BINPUT: memo[arg] = top
  kMemoize,      // MEMOIZE: memo[len(memo)] = top
  kGet,          // GET BINGET LONG_BINGET: push memo[arg]
  kGlobal,       // GLOBAL: push module.name
  kInst,         // INST: kCallMark + import module.name
  kStackGlobal,  // STACK_GLOBAL: pops module and name strings
  kExtension,    // EXT1 EXT2 EXT4: push the global registered under a number
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
inline constexpr PickleOpcode kPickleOpcodes[] = {
    {'I', PickleArg::kIntLine, PickleOp::kPlain, 0, 1, 0},         // INT
    {'J', PickleArg::kFixed4, PickleOp::kPlain, 0, 1, 1},          // BININT
    {'K', PickleArg::kFixed1, PickleOp::kPlain, 0, 1, 1},          // BININT1
    {'M', PickleArg::kFixed2, PickleOp::kPlain, 0, 1, 1},          // BININT2
    {'L', PickleArg::kIntLine, PickleOp::kPlain, 0, 1, 0},         // LONG
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
    {'g', PickleArg::kIndexLine, PickleOp::kGet, 0, 0, 0},         // GET
    {'h', PickleArg::kFixed1, PickleOp::kGet, 0, 0, 1},            // BINGET
    {'j', PickleArg::kFixed4, PickleOp::kGet, 0, 0, 1},            // LONG_BINGET
    {'p', PickleArg::kIndexLine, PickleOp::kPut, 0, 0, 0},         // PUT
    {'q', PickleArg::kFixed1, PickleOp::kPut, 0, 0, 1},            // BINPUT
    {'r', PickleArg::kFixed4, PickleOp::kPut, 0, 0, 1},            // LONG_BINPUT
    {0x94, PickleArg::kNone, PickleOp::kMemoize, 0, 0, 4},         // MEMOIZE
    {0x82, PickleArg::kFixed1, PickleOp::kExtension, 0, 1, 2},     // EXT1
    {0x83, PickleArg::kFixed2, PickleOp::kExtension, 0, 1, 2},     // EXT2
    {0x84, PickleArg::kFixed4, PickleOp::kExtension, 0, 1, 2},     // EXT4
    {'c', PickleArg::kNamePair, PickleOp::kGlobal, 0, 1, 0},       // GLOBAL
    {0x93, PickleArg::kNone, PickleOp::kStackGlobal, 2, 1, 4},     // STACK_GLOBAL
    {'R', PickleArg::kNone, PickleOp::kCall, 2, 1, 0},             // REDUCE
    {'b', PickleArg::kNone, PickleOp::kCall, 2, 1, 0},             // BUILD
    {'i', PickleArg::kNamePair, PickleOp::kInst, 0, 1, 0},         // INST
    {'o', PickleArg::kNone, PickleOp::kCallMark, 0, 1, 1},         // OBJ
    {0x81, PickleArg::kNone, PickleOp::kCall, 2, 1, 2},            // NEWOBJ
    {0x92, PickleArg::kNone, PickleOp::kCall, 3, 1, 4},            // NEWOBJ_EX
    {0x80, PickleArg::kFixed1, PickleOp::kProto, 0, 0, 2},         // PROTO
    {'.', PickleArg::kNone, PickleOp::kStop, 1, 0, 0},             // STOP
    {0x95, PickleArg::kFixed8, PickleOp::kFrame, 0, 0, 4},         // FRAME
    {'P', PickleArg::kAnyLine, PickleOp::kPlain, 0, 1, 0},         // PERSID
    {'Q', PickleArg::kNone, PickleOp::kPlain, 1, 1, 1},            // BINPERSID
};

// Opcode byte -> row of kPickleOpcodes, or nullptr.
inline const PickleOpcode* FindPickleOpcode(uint8_t code) {
  static const std::array<const PickleOpcode*, 256> kByCode = [] {
    std::array<const PickleOpcode*, 256> table{};
    for (const PickleOpcode& op : kPickleOpcodes) table[op.code] = &op;
    return table;
  }();
  return kByCode[code];
}

inline constexpr uint8_t kPickleProto = 0x80;
inline constexpr uint64_t kHighestPickleProtocol = 5;

// PROTO 2 to 5 as the first two bytes: how every pickle of protocol 2 and
// later starts (protocols 0 and 1 have no marker).
inline bool HasPickleMagic(std::span<const uint8_t> bytes) {
  return bytes.size() >= 2 && bytes[0] == kPickleProto && bytes[1] >= 2 &&
         bytes[1] <= kHighestPickleProtocol;
}

// ---------------------------------------------------------------------------
// Argument text. Each check accepts at least what CPython's unpickler does
// (an unpickler that accepts a line we rejected would run what follows it).

inline bool IsLineSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

// INT / LONG: int(text, 0) after the unpickler's strtol: signs, spaces,
// underscores, 0x/0o/0b prefixes and their digits, LONG's trailing 'L'.
inline bool IsIntLineChar(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
         c == 'x' || c == 'X' || c == 'o' || c == 'O' || c == '_' || c == '+' || c == '-' ||
         c == 'L' || IsLineSpace(c);
}

// FLOAT: what PyOS_string_to_double reads (digits, sign, point, exponent,
// inf, infinity, nan in any case).
inline bool IsFloatLineChar(char c) {
  constexpr std::string_view kChars = "0123456789+-.eEinfatyINFATY";
  return kChars.find(c) != std::string_view::npos;
}

// A Python name or dotted module path: identifier characters (UTF-8 bytes
// allowed) and dots. Anything else cannot be imported, so an unpickler stops
// there; and spaces and punctuation keep prose from walking as GLOBAL.
inline bool IsDottedNameChar(char ch) {
  const auto c = static_cast<uint8_t>(ch);
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         c == '_' || c == '.' || c >= 0x80;
}

// GET / PUT's decimal index as int(text, 10) reads it (spaces, '+', single
// underscores between digits), checked against 64 bits.
class IndexParser {
 public:
  void Feed(std::string_view piece) {
    for (const char c : piece) {
      if (IsLineSpace(c)) {
        if (digits_ != 0) trailing_space_ = true;
        continue;
      }
      if (trailing_space_) ok_ = false;
      if (c == '+' && digits_ == 0 && !sign_) {
        sign_ = true;
      } else if (c == '_' && digits_ != 0 && !underscore_) {
        underscore_ = true;
      } else if (c >= '0' && c <= '9') {
        underscore_ = false;
        ++digits_;
        const std::optional<uint64_t> times_ten = CheckedMul(value_, 10);
        const std::optional<uint64_t> next =
            times_ten ? CheckedAdd(*times_ten, uint64_t(c - '0')) : std::nullopt;
        if (!next) ok_ = false;
        value_ = next.value_or(0);
      } else {
        ok_ = false;
      }
    }
  }
  std::optional<uint64_t> value() const {
    if (!ok_ || digits_ == 0 || underscore_) return std::nullopt;
    return value_;
  }

 private:
  uint64_t value_ = 0;
  size_t digits_ = 0;
  bool sign_ = false;
  bool underscore_ = false;
  bool trailing_space_ = false;
  bool ok_ = true;
};

// The first kMaxPickleNameBytes of a line (GLOBAL / INST names, the ends of a
// STRING), its length, and whether every byte passed a check. The kept bytes
// live in the keeper itself: a walk over a pickle of many GLOBALs allocates
// nothing per name.
template <bool (*kCharOk)(char)>
class LineKeeper {
 public:
  void Reset() {
    kept_size_ = 0;
    length_ = 0;
    last_ = 0;
    ok_ = true;
  }
  void Feed(std::string_view piece) {
    if (kept_size_ < kept_.size()) {
      const size_t take = std::min(piece.size(), kept_.size() - kept_size_);
      std::copy_n(piece.data(), take, kept_.data() + kept_size_);
      kept_size_ += take;
    }
    if (!piece.empty()) last_ = piece.back();
    length_ += piece.size();
    if (ok_) ok_ = std::all_of(piece.begin(), piece.end(), kCharOk);
  }
  std::string_view kept() const { return std::string_view(kept_.data(), kept_size_); }
  uint64_t length() const { return length_; }
  char last() const { return last_; }
  bool ok() const { return ok_; }
  bool cut() const { return length_ > kMaxPickleNameBytes; }
  // The name as kept (at most kMaxPickleNameBytes bytes); valid while the
  // keeper lives.
  std::string_view name() const { return kept().substr(0, kMaxPickleNameBytes); }

 private:
  std::array<char, kMaxPickleNameBytes + 1> kept_{};
  size_t kept_size_ = 0;
  uint64_t length_ = 0;
  char last_ = 0;
  bool ok_ = true;
};

inline bool AnyLineChar(char) { return true; }

// ---------------------------------------------------------------------------
// The walk.

// Caps that keep one walk's memory and time bounded whatever the file says.
// Reaching one ends the walk with PickleEnd::kLimit: the rest is unknown.
struct PickleLimits {
  uint64_t max_bytes = 256ull << 20;  // from the first opcode to STOP
  size_t max_stack = 1 << 16;         // values and open marks on the stack
  size_t max_memo = 1 << 18;          // memo entries kept to resolve STACK_GLOBAL
};

enum class PickleEnd : uint8_t {
  kStop,       // reached STOP
  kCut,        // the readable bytes ended inside the stream (it goes on past them)
  kTruncated,  // the stream ended inside the pickle, or an argument runs past its end
  kMalformed,  // an unpickler stops here with an error (unknown opcode, bad argument, ...)
  kLimit,      // a PickleLimits cap was reached
  kIoError,    // the source failed to read
};

struct PickleWalk {
  PickleEnd end = PickleEnd::kMalformed;
  uint64_t begin = 0;  // offset of the first opcode
  // kStop: just past STOP. Otherwise where the failing opcode starts.
  uint64_t end_offset = 0;
  std::string_view problem;  // fixed text for a walk that did not stop: what went wrong
  uint8_t bad_opcode = 0;    // with problem "unknown opcode"
  size_t opcodes = 0;        // opcodes walked
  int protocol = -1;         // PROTO's argument, if any
  uint8_t max_opcode_protocol = 0;
  bool magic = false;       // the first opcode is PROTO 2..5
  bool clean_stop = false;  // STOP left exactly one value and no open mark
  // A memo write or an import: real pickles memoize their containers, and an
  // exploit imports something. Text that happens to walk has neither.
  bool structured = false;
  bool imported = false;             // some GLOBAL / INST / STACK_GLOBAL / EXT ran
  bool called_after_import = false;  // then REDUCE / BUILD / NEWOBJ / OBJ / INST ran

  // The protocol a description names: PROTO's, else the newest opcode's.
  int shown_protocol() const { return protocol >= 0 ? protocol : max_opcode_protocol; }
};

namespace pickle_detail {

// A value on the walker's stack: only a str's whereabouts are kept.
struct Value {
  uint64_t text_offset = 0;
  uint16_t text_length = 0;  // at most kMaxPickleNameBytes + 1 (longer: cut)
  bool is_string = false;
  bool known = true;  // false: read from a memo the walker could not keep
};

// The memo: index -> value. Picklers number entries 0, 1, 2, ... (MEMOIZE
// is len(memo) by definition, and PUT/BINPUT are written the same way), so
// those live in a vector, one allocation per doubling; any other index (a
// hand-made PUT 4000000000) goes to a map. No index is in both: a key is
// appended only when the map does not hold it. Memory follows the entries
// written, never an index's value.
class Memo {
 public:
  size_t size() const { return dense_.size() + sparse_.size(); }
  const Value* Find(uint64_t index) const {
    if (index < dense_.size()) return &dense_[static_cast<size_t>(index)];
    if (sparse_.empty()) return nullptr;
    const auto it = sparse_.find(index);
    return it == sparse_.end() ? nullptr : &it->second;
  }
  void Put(uint64_t index, const Value& value) {
    if (index < dense_.size()) {
      dense_[static_cast<size_t>(index)] = value;
      return;
    }
    if (!sparse_.empty()) {
      if (const auto it = sparse_.find(index); it != sparse_.end()) {
        it->second = value;
        return;
      }
    }
    if (index == dense_.size()) {
      dense_.push_back(value);
    } else {
      sparse_.emplace(index, value);
    }
  }
  void Clear() {
    dense_.clear();
    sparse_.clear();
  }

 private:
  std::vector<Value> dense_;
  std::unordered_map<uint64_t, Value> sparse_;
};

}  // namespace pickle_detail

// Walks one pickle from in.pos(). Imports go to `imports` as they are met,
// whatever the walk's end (an unpickler has run them by then).
inline PickleWalk WalkPickle(StreamReader& in, ImportList& imports,
                             const PickleLimits& limits = {}) {
  using pickle_detail::Value;
  PickleWalk walk;
  walk.begin = in.pos();
  std::vector<Value> stack;
  std::vector<size_t> marks;  // stack sizes at each open MARK
  pickle_detail::Memo memo;
  bool memo_lost = false;  // past limits.max_memo: nothing in the memo can be trusted
  // GLOBAL / INST's two lines, kept across opcodes so a name is a view.
  LineKeeper<IsDottedNameChar> module_line;
  LineKeeper<IsDottedNameChar> name_line;

  uint64_t at = walk.begin;
  const auto stop = [&](PickleEnd end, std::string_view problem) {
    walk.end = end;
    walk.end_offset = at;
    walk.problem = problem;
    return walk;
  };
  // A read failed: why, from the reader's status.
  const auto ran_out = [&] {
    switch (in.status()) {
      case StreamReader::Status::kCut: return stop(PickleEnd::kCut, "cut by the bytes read");
      case StreamReader::Status::kIoError: return stop(PickleEnd::kIoError, "read error");
      default: return stop(PickleEnd::kTruncated, "ends before STOP");
    }
  };
  const auto available = [&] { return stack.size() - (marks.empty() ? 0 : marks.back()); };
  const auto remember = [&](uint64_t index) {
    walk.structured = true;
    if (memo_lost) return;
    if (memo.size() < limits.max_memo || memo.Find(index) != nullptr) {
      memo.Put(index, stack.back());
    } else {
      // A MEMOIZE index is len(memo), and a later PUT may overwrite any key:
      // once one entry is dropped no entry can be trusted.
      memo.Clear();
      memo_lost = true;
    }
  };

  for (;;) {
    CountWork(1);
    at = in.pos();
    if (at - walk.begin >= limits.max_bytes) {
      return stop(PickleEnd::kLimit, "longer than the walker's limit");
    }
    uint8_t code = 0;
    if (!in.Byte(code)) return ran_out();
    const PickleOpcode* op = FindPickleOpcode(code);
    if (op == nullptr) {
      walk.bad_opcode = code;
      return stop(PickleEnd::kMalformed, "unknown opcode");
    }
    walk.max_opcode_protocol = std::max(walk.max_opcode_protocol, op->protocol);

    // 1. The argument.
    uint64_t number = 0;       // fixed-size argument, or an index
    Value text;                // a str argument's whereabouts
    std::string_view module_name;  // GLOBAL / INST (views into module_line, name_line)
    std::string_view global_name;
    bool name_cut = false;
    switch (op->arg) {
      case PickleArg::kNone:
        break;
      case PickleArg::kFixed1:
      case PickleArg::kFixed2:
      case PickleArg::kFixed4:
      case PickleArg::kFixed8: {
        const size_t width = op->arg == PickleArg::kFixed1   ? 1
                             : op->arg == PickleArg::kFixed2 ? 2
                             : op->arg == PickleArg::kFixed4 ? 4
                                                             : 8;
        if (!in.Le(width, number)) return ran_out();
        break;
      }
      case PickleArg::kLen1:
      case PickleArg::kLen4:
      case PickleArg::kLen4Signed:
      case PickleArg::kLen8: {
        const size_t width = op->arg == PickleArg::kLen1 ? 1 : op->arg == PickleArg::kLen8 ? 8 : 4;
        uint64_t length = 0;
        if (!in.Le(width, length)) return ran_out();
        // A negative count is an error to the unpickler, and so is one past
        // PY_SSIZE_T_MAX; one past the end of the stream ends it.
        if (op->arg == PickleArg::kLen4Signed && length >= (uint64_t{1} << 31)) {
          return stop(PickleEnd::kMalformed, "negative length");
        }
        if (length > uint64_t{INT64_MAX}) return stop(PickleEnd::kMalformed, "length too large");
        if (length > in.remaining_in_stream()) {
          return stop(PickleEnd::kTruncated, "an argument runs past the end");
        }
        const uint64_t walked = in.pos() - walk.begin;
        if (length > limits.max_bytes - std::min(limits.max_bytes, walked)) {
          return stop(PickleEnd::kLimit, "longer than the walker's limit");
        }
        text.text_offset = in.pos();
        text.text_length =
            static_cast<uint16_t>(std::min<uint64_t>(length, kMaxPickleNameBytes + 1));
        if (!in.Skip(length)) return ran_out();
        break;
      }
      case PickleArg::kIntLine:
      case PickleArg::kFloatLine:
      case PickleArg::kAnyLine: {
        bool ok = true;
        const bool is_float = op->arg == PickleArg::kFloatLine;
        const bool is_int = op->arg == PickleArg::kIntLine;
        const uint64_t start = in.pos();
        uint64_t length = 0;
        if (!in.Line([&](std::string_view piece) {
              length += piece.size();
              if (is_int) ok = ok && std::all_of(piece.begin(), piece.end(), IsIntLineChar);
              if (is_float) ok = ok && std::all_of(piece.begin(), piece.end(), IsFloatLineChar);
            })) {
          return ran_out();
        }
        if (!ok || ((is_int || is_float) && length == 0)) {
          return stop(PickleEnd::kMalformed, "bad number");
        }
        text.text_offset = start;
        text.text_length =
            static_cast<uint16_t>(std::min<uint64_t>(length, kMaxPickleNameBytes + 1));
        break;
      }
      case PickleArg::kIndexLine: {
        IndexParser index;
        if (!in.Line([&](std::string_view piece) { index.Feed(piece); })) return ran_out();
        if (!index.value()) return stop(PickleEnd::kMalformed, "bad memo index");
        number = *index.value();
        break;
      }
      case PickleArg::kQuotedLine: {
        const uint64_t start = in.pos();
        LineKeeper<AnyLineChar> line;
        if (!in.Line([&](std::string_view piece) { line.Feed(piece); })) return ran_out();
        const char first = line.kept().empty() ? 0 : line.kept().front();
        if (line.length() < 2 || (first != '\'' && first != '"') || line.last() != first) {
          return stop(PickleEnd::kMalformed, "STRING not quoted");
        }
        text.text_offset = start + 1;
        text.text_length =
            static_cast<uint16_t>(std::min<uint64_t>(line.length() - 2, kMaxPickleNameBytes + 1));
        break;
      }
      case PickleArg::kNamePair: {
        module_line.Reset();
        name_line.Reset();
        if (!in.Line([&](std::string_view piece) { module_line.Feed(piece); })) return ran_out();
        if (!in.Line([&](std::string_view piece) { name_line.Feed(piece); })) return ran_out();
        if (module_line.length() == 0 || name_line.length() == 0 || !module_line.ok() ||
            !name_line.ok()) {
          return stop(PickleEnd::kMalformed, "not an importable name");
        }
        module_name = module_line.name();
        global_name = name_line.name();
        name_cut = module_line.cut() || name_line.cut();
        break;
      }
    }
    ++walk.opcodes;
    if (walk.opcodes == 1 && op->op == PickleOp::kProto && number >= 2 &&
        number <= kHighestPickleProtocol) {
      walk.magic = true;
    }

    // 2. The stack effect. Underflow past the top mark is an error to the
    // unpickler, and so is it here.
    if (stack.size() + marks.size() >= limits.max_stack) {
      return stop(PickleEnd::kLimit, "stack deeper than the walker's limit");
    }
    switch (op->op) {
      case PickleOp::kMark:
        marks.push_back(stack.size());
        continue;
      case PickleOp::kPop:
        if (!marks.empty() && marks.back() == stack.size()) {
          marks.pop_back();
        } else if (available() == 0) {
          return stop(PickleEnd::kMalformed, "stack underflow");
        } else {
          stack.pop_back();
        }
        continue;
      case PickleOp::kDup:
        if (available() == 0) return stop(PickleEnd::kMalformed, "stack underflow");
        stack.push_back(stack.back());
        continue;
      case PickleOp::kPut:
        if (available() == 0) return stop(PickleEnd::kMalformed, "stack underflow");
        remember(number);
        continue;
      case PickleOp::kMemoize:
        if (available() == 0) return stop(PickleEnd::kMalformed, "stack underflow");
        remember(memo.size());
        continue;
      case PickleOp::kGet: {
        if (memo_lost) {
          stack.push_back(Value{0, 0, false, /*known=*/false});
          continue;
        }
        const Value* found = memo.Find(number);
        if (found == nullptr) return stop(PickleEnd::kMalformed, "unknown memo key");
        stack.push_back(*found);
        continue;
      }
      case PickleOp::kProto:
        if (number > kHighestPickleProtocol) {
          return stop(PickleEnd::kMalformed, "unsupported protocol");
        }
        if (walk.protocol < 0) walk.protocol = static_cast<int>(number);
        continue;
      case PickleOp::kFrame:
        // The unpickler reads the whole frame before running any of it.
        if (number > in.remaining_in_stream()) {
          return stop(PickleEnd::kTruncated, "a frame runs past the end");
        }
        continue;
      case PickleOp::kStop:
        if (available() == 0) return stop(PickleEnd::kMalformed, "stack underflow");
        walk.end = PickleEnd::kStop;
        walk.end_offset = in.pos();
        walk.clean_stop = stack.size() == 1 && marks.empty();
        return walk;
      case PickleOp::kGlobal:
        imports.Add(module_name, global_name, at, name_cut);
        walk.structured = walk.imported = true;
        break;
      case PickleOp::kExtension:
        // Not `imported`: with copyreg's registry empty (as it is unless a
        // program fills it) the unpickler fails here.
        imports.AddExtension(number, at);
        walk.structured = true;
        break;
      case PickleOp::kInst:
        imports.Add(module_name, global_name, at, name_cut);
        walk.structured = walk.imported = true;
        [[fallthrough]];
      case PickleOp::kCallMark:
      case PickleOp::kPopMark:
        if (marks.empty()) return stop(PickleEnd::kMalformed, "no MARK");
        // OBJ calls the first value after the mark: there must be one.
        if (op->op == PickleOp::kCallMark && stack.size() == marks.back()) {
          return stop(PickleEnd::kMalformed, "stack underflow");
        }
        stack.resize(marks.back());
        marks.pop_back();
        if (op->op != PickleOp::kPopMark && walk.imported) walk.called_after_import = true;
        break;
      case PickleOp::kStackGlobal: {
        if (available() < 2) return stop(PickleEnd::kMalformed, "stack underflow");
        walk.structured = true;
        const Value& module = stack.end()[-2];
        const Value& name = stack.end()[-1];
        if (!module.is_string || !name.is_string || !module.known || !name.known) {
          imports.AddUnresolved(at);
          // A value the memo lost may be a str; one known not to be makes
          // the unpickler fail here.
          walk.imported = (module.is_string || !module.known) && (name.is_string || !name.known);
          break;
        }
        if (imports.recording()) {
          std::string module_text;
          std::string name_text;
          const auto kept = [](const Value& v) {
            return std::min<size_t>(v.text_length, kMaxPickleNameBytes);
          };
          if (!in.ReadBack(module.text_offset, kept(module), module_text) ||
              !in.ReadBack(name.text_offset, kept(name), name_text)) {
            return stop(PickleEnd::kIoError, "read error");
          }
          const bool cut = module.text_length > kMaxPickleNameBytes ||
                           name.text_length > kMaxPickleNameBytes;
          imports.Add(module_text, name_text, at, cut);
        }
        walk.imported = true;
        break;
      }
      case PickleOp::kCall:
      case PickleOp::kPlain:
      case PickleOp::kString:
        break;
    }
    if (available() < op->pops) return stop(PickleEnd::kMalformed, "stack underflow");
    if (op->op == PickleOp::kCall && walk.imported) walk.called_after_import = true;
    stack.resize(stack.size() - op->pops);
    for (uint8_t i = 0; i < op->pushes; ++i) {
      Value pushed;
      if (op->op == PickleOp::kString) {
        pushed = text;
        pushed.is_string = true;
      }
      stack.push_back(pushed);
    }
  }
}

// ---------------------------------------------------------------------------
// Is it a pickle? For bytes nobody said were one (a guess by content).

// Without PROTO (protocols 0 and 1) a pickle has no magic: ask for an
// import, or a few opcodes and a clean STOP, or many opcodes when the bytes
// run out.
inline constexpr size_t kMinOpcodesWithoutMagic = 3;
inline constexpr size_t kMinOpcodesWithoutMagicCut = 16;

// The walk reached STOP, or the readable window ended while it still walked.
inline bool WalkedLikeAPickle(const PickleWalk& walk) {
  if (walk.magic) {
    return (walk.end == PickleEnd::kStop || walk.end == PickleEnd::kCut) && walk.opcodes >= 2;
  }
  if (!walk.structured) return false;
  if (walk.end == PickleEnd::kStop) {
    // An import that reaches STOP is a pickle however short (GLOBAL then
    // STOP is two opcodes) and whatever it leaves below the result: STOP
    // returns the top, and loading it has imported (and maybe called).
    return walk.imported || (walk.clean_stop && walk.opcodes >= kMinOpcodesWithoutMagic);
  }
  return walk.end == PickleEnd::kCut && walk.opcodes >= kMinOpcodesWithoutMagicCut;
}

// A walk that failed before STOP, judged a pickle anyway: it imported
// something and then called it (REDUCE, BUILD, OBJ, INST, NEWOBJ run as they
// are read; the error after them comes too late), or it started with PROTO
// 2..5 and walked at least one more opcode (or ran into a limit walking it):
// a truncated or corrupt pickle, which is how protocol 2+ pickles start and
// text does not. Without PROTO, it needs many structured opcodes and no
// malformation. A caller that can tell a safetensors file asks that first:
// some safetensors header lengths read as PROTO 2, NONE.
inline bool FailedLikeAPickle(const PickleWalk& walk) {
  if (walk.end == PickleEnd::kStop || walk.end == PickleEnd::kIoError) return false;
  if (walk.called_after_import) return true;
  if (!walk.magic) {
    return walk.structured && walk.end != PickleEnd::kMalformed &&
           walk.opcodes >= kMinOpcodesWithoutMagicCut;
  }
  return walk.opcodes >= 2 || walk.end == PickleEnd::kLimit;
}

}  // namespace stguard::internal

#endif  // STGUARD_SRC_PICKLE_WALK_H_
