// Unit tests for the pickle walker shared by format identification and
// model-file grading (pickle_walk.h, pickle_walk_stream.h,
// pickle_walk_imports.h): every opcode and argument form, what stops a walk
// and how, the memo, the limits, the content tests for "is it a pickle", the
// bounded reader and the import list.
#include "pickle_walk.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "pickle_walk_testing.h"

namespace stguard::internal {
namespace {

using pickle_testing::B;
using pickle_testing::Framed;
using pickle_testing::Global;
using pickle_testing::Proto;
using pickle_testing::ShortUnicode;
using pickle_testing::U32;
using pickle_testing::U64;
using pickle_testing::Walk;
using pickle_testing::WalkResult;

TEST(PickleWalk, EveryOpcodeAndArgumentForm) {
  // Each entry: a complete pickle exercising one opcode's argument form.
  const std::vector<std::string> pickles = {
      "I42\n.", "I-7\n.", "I01\n.", "I 0x1f\n.", "I1_000\n.", "I+3\n.",  // INT, as int(x, 0)
      B("J\xff\xff\xff\xff."), "K\x07.", B("M\x00\x01."),                  // BININT BININT1 BININT2
      "L123L\n.", "L-5\n.",                                                // LONG
      B("\x8a\x02\x01\x02."), B("\x8a\x00."),                              // LONG1
      B("\x8b\x03\x00\x00\x00" "abc."),                                    // LONG4
      "S'quoted'\n.", "S\"double\"\n.", "S'it''s'\n.",                     // STRING
      B("T\x03\x00\x00\x00" "abc."), B("U\x02hi."),                        // BINSTRING SHORT_
      B("B\x02\x00\x00\x00hi."), B("C\x00."),                              // BINBYTES SHORT_
      B("\x8e\x01\x00\x00\x00\x00\x00\x00\x00x."),                         // BINBYTES8
      B("\x96\x01\x00\x00\x00\x00\x00\x00\x00x."),                         // BYTEARRAY8
      B("\x97."), B("N\x98."),                                             // NEXT_BUFFER READONLY_
      "N.", B("\x88."), B("\x89."),                                        // NONE NEWTRUE NEWFALSE
      "Vany \xc3\xa9 text\n.", B("\x8c\x02hi."),                           // UNICODE, SHORT_

      B("X\x02\x00\x00\x00hi."),                                           // BINUNICODE
      B("\x8d\x02\x00\x00\x00\x00\x00\x00\x00hi."),                        // BINUNICODE8
      "F1.5\n.", "F-inf\n.", "Fnan\n.", "F1e-05\n.", "FInfinity\n.",       // FLOAT
      B("G\x3f\xf0\x00\x00\x00\x00\x00\x00."),                             // BINFLOAT
      "]Na.", "](NNe.", "(NNl.",                                           // lists
      ").", "(NNt.", B("N\x85."), B("NN\x86."), B("NNN\x87."),             // tuples
      "}NNs.", "}(NNu.", "(NNd.",                                          // dicts
      B("\x8f(N\x90."), B("(N\x91."),                                      // sets
      "NN0.", "(N2t.", "(N1N.", "(0N.",                                    // POP DUP POP_MARK
      "Np0\n0g0\n.", "Np 7 \n0g7\n.", "Nq\x05" "0h\x05.",                  // PUT GET, BINPUT BINGET
      B("Nr\x00\x00\x01\x00" "0j\x00\x00\x01\x00."),                       // LONG_BIN{PUT,GET}
      B("N\x94" "0h\x00."),                                                // MEMOIZE
      B("\x80\x05N."),                                                     // PROTO
      B("\x95\x01\x00\x00\x00\x00\x00\x00\x00N."),                         // FRAME
      "Ppid\n.", "NQ.",                                                    // PERSID BINPERSID
      "NNR.", "NNb.", "(N)o.", B("NN\x81."), B("NNN\x92."),                // calls
  };
  for (const std::string& p : pickles) {
    SCOPED_TRACE(::testing::PrintToString(p));
    const WalkResult r = Walk(p);
    EXPECT_EQ(r.walk.end, PickleEnd::kStop) << r.walk.problem;
    EXPECT_EQ(r.walk.end_offset, p.size());
    // Cut anywhere before STOP: truncated, never a stop.
    for (size_t length = 0; length < p.size(); ++length) {
      const WalkResult cut = Walk(p.substr(0, length));
      EXPECT_NE(cut.walk.end, PickleEnd::kStop) << length;
    }
  }
  // Globals, INST, STACK_GLOBAL and EXT as imports.
  EXPECT_EQ(Walk(Global("a.b", "c") + ".").imports, "imports a.b.c");
  EXPECT_EQ(Walk("(ia\nb\n.").imports, "imports a.b");
  EXPECT_EQ(Walk(ShortUnicode("m") + ShortUnicode("n") + "\x93.").imports, "imports m.n");
  EXPECT_EQ(Walk(B("\x82\x01.")).imports, "imports <copyreg extension 1>");
}

TEST(PickleWalk, MalformedFormsStopTheWalk) {
  const std::vector<std::string> malformed = {
      B("\x00"), B("\xff"), "Z",                        // unknown opcodes
      "Iabcxyz\n.", "I\n.", "L\n.", "Fone\n.", "F\n.",  // numbers int()/float() refuse
      "S'unquoted\n.", "Snot\n.", "S'\n.",              // STRING without matching quotes
      "cos system\nx\n.", "c\nx\n.", "cos\n\n.",        // names that cannot be imported
      B("T\xff\xff\xff\xff."), B("\x8b\x00\x00\x00\x80."),  // negative counts
      B("\x80\x06."), B("N\x80\xff."),                  // unsupported protocols
      "g0\n.", B("h\x00."), "p-1\n.", "px\n.",          // unknown memo key, bad index
      ".", "0.", "2.", "a.", "R.", "(R.", "(t0.",       // stack underflow, also past a mark
      "t.", "1.", "N(o.",                               // no MARK, OBJ without a callable
      B("\x93."), B("N\x93."),                          // STACK_GLOBAL underflow
  };
  for (const std::string& p : malformed) {
    SCOPED_TRACE(::testing::PrintToString(p));
    EXPECT_EQ(Walk(p).walk.end, PickleEnd::kMalformed) << Walk(p).walk.problem;
  }
  // Lengths and frames past the stream end are truncation, not malformation.
  EXPECT_EQ(Walk(B("X\x10\x00\x00\x00" "ab.")).walk.end, PickleEnd::kTruncated);
  EXPECT_EQ(Walk(B("\x95\x10\x00\x00\x00\x00\x00\x00\x00N.")).walk.end, PickleEnd::kTruncated);
  // ... and a cut when the stream goes on past the bytes at hand.
  EXPECT_EQ(Walk(B("X\x10\x00\x00\x00" "ab."), 100).walk.end, PickleEnd::kCut);
}

TEST(PickleWalk, MemoFollowsStackGlobalOperands) {
  const std::string posix = ShortUnicode("posix");
  const std::string system = ShortUnicode("system");
  EXPECT_EQ(Walk(posix + "q\x01" + system + "q\x02" + "00h\x01h\x02\x93.").imports,
            "imports posix.system");
  // Memo indexes are int(text, 10): spaces and underscores.
  EXPECT_EQ(Walk("Vposix\np 1_0 \n0Vsystem\np11\n0g10\ng11\n\x93.").imports,
            "imports posix.system");
  // Not strings: unresolved, named as computed.
  EXPECT_EQ(Walk(Proto(4) + "NN\x93.").imports, "imports <computed>.<computed>");
  // An unknown key is an error to the unpickler.
  EXPECT_EQ(Walk(posix + "h\x09\x93.").walk.end, PickleEnd::kMalformed);
}

// The memo keeps indexes 0, 1, 2, ... in a vector and any other in a map
// (pickle_detail::Memo); every order of writes reads back what was written
// last, and MEMOIZE numbers entries by how many distinct keys there are.
TEST(PickleWalk, MemoReadsBackWhateverOrderItWasWrittenIn) {
  const std::string os = ShortUnicode("os");
  const std::string system = ShortUnicode("system");
  const std::string nt = ShortUnicode("nt");
  const auto put = [](int index) { return "q" + std::string(1, static_cast<char>(index)); };
  const auto get = [](int index) { return "h" + std::string(1, static_cast<char>(index)); };
  // PUT 2 before 0 and 1: key 2 is in the map while 0 and 1 fill the
  // vector; a later PUT 2 overwrites the map's entry and adds no key, so
  // the MEMOIZE after it is key 3.
  EXPECT_EQ(Walk(os + put(2) + "0" + system + put(0) + "0" + nt + put(1) + "0" + nt + put(2) +
                 "0" + system + "\x94" + "0" + get(2) + get(3) + "\x93.")
                .imports,
            "imports nt.system");
  // An index far past the entries written costs one map entry, not a
  // vector of that length, and reads back.
  EXPECT_EQ(Walk(os + "r" + U32(0x7fffffff) + "0" + system + put(0) + "0" + "j" +
                 U32(0x7fffffff) + get(0) + "\x93.")
                .imports,
            "imports os.system");
  // MEMOIZE after a sparse PUT: len(memo) counts both, so the next entry
  // is 2 (keys 0 and 5 are taken) and key 1 was never written.
  const std::string memoized = Proto(4) + os + "\x94" + system + put(5) + "\x94" + "00";
  EXPECT_EQ(Walk(memoized + get(0) + get(2) + "\x93.").imports, "imports os.system");
  EXPECT_EQ(Walk(memoized + get(1) + ".").walk.end, PickleEnd::kMalformed);
  // GLOBAL names past the kept length are cut, and say so.
  const std::string long_name(300, 'a');
  const WalkResult cut = Walk(Global(long_name, long_name) + ".");
  EXPECT_EQ(cut.walk.end, PickleEnd::kStop);
  EXPECT_NE(cut.imports.find(std::string(96, 'a') + "..."), std::string::npos);
}

TEST(PickleWalk, LimitsEndTheWalk) {
  PickleLimits limits;
  limits.max_bytes = 16;
  const WalkResult long_walk = Walk(Proto(2) + std::string(20, 'N') + ".", 0, limits);
  EXPECT_EQ(long_walk.walk.end, PickleEnd::kLimit);
  EXPECT_EQ(long_walk.walk.end_offset, 16u);
  // A payload that would cross the cap stops at its opcode, unread.
  EXPECT_EQ(Walk(Proto(4) + "\x8e" + U64(100) + std::string(100, 'x') + ".", 0, limits).walk.end,
            PickleEnd::kLimit);
  // ... unless it runs past the stream first: that is the stream's end.
  EXPECT_EQ(Walk(Proto(4) + "\x8e" + U64(1000) + "x.", 0, limits).walk.end,
            PickleEnd::kTruncated);

  limits = PickleLimits{};
  limits.max_stack = 4;
  EXPECT_EQ(Walk("NNN000N.", 0, limits).walk.end, PickleEnd::kStop);
  EXPECT_EQ(Walk("NNNNN.", 0, limits).walk.end, PickleEnd::kLimit);
  EXPECT_EQ(Walk("((((N.", 0, limits).walk.end, PickleEnd::kLimit);  // marks count too

  // Past the memo cap nothing in the memo is trusted: a GET of any key is
  // an unknown value (not an error), and STACK_GLOBAL on it is unresolved.
  limits = PickleLimits{};
  limits.max_memo = 2;
  const std::string strings = ShortUnicode("os") + "\x94" + ShortUnicode("system") + "\x94";
  EXPECT_EQ(Walk(strings + B("00h\x00h\x01\x93."), 0, limits).imports, "imports os.system");
  const WalkResult lost = Walk(strings + B("N\x94" "000h\x00h\x01\x93."), 0, limits);
  EXPECT_EQ(lost.walk.end, PickleEnd::kStop);
  EXPECT_EQ(lost.imports, "imports <computed>.<computed>");
  EXPECT_EQ(Walk(strings + "N\x94" "000h\x63.", 0, limits).walk.end, PickleEnd::kStop);
}

TEST(PickleWalk, WhatTheWalkNotes) {
  const WalkResult framed = Walk(Framed(ShortUnicode("a") + ShortUnicode("b") + "\x93)R."));
  EXPECT_EQ(framed.walk.protocol, 4);
  EXPECT_TRUE(framed.walk.magic);
  EXPECT_TRUE(framed.walk.clean_stop);
  EXPECT_TRUE(framed.walk.imported);
  EXPECT_TRUE(framed.walk.called_after_import);
  // An import nothing calls; a call with no import before it.
  EXPECT_FALSE(Walk(Proto(2) + Global("a", "b") + ".").walk.called_after_import);
  EXPECT_FALSE(Walk(Proto(2) + "NNR.").walk.called_after_import);
  // A call the unpickler refuses (no MARK for OBJ) is no call.
  EXPECT_FALSE(Walk(Global("a", "b") + "o.").walk.called_after_import);
  // EXT and STACK_GLOBAL on non-strings are not imports an unpickler resolves.
  EXPECT_FALSE(Walk(Proto(2) + B("\x82\x01") + ")R.").walk.imported);
  EXPECT_FALSE(Walk(Proto(4) + "NN\x93)R.").walk.called_after_import);
  // PROTO 0 or 1 is no magic; a later PROTO does not make one.
  EXPECT_FALSE(Walk(Proto(1) + "N.").walk.magic);
  EXPECT_FALSE(Walk("N" + Proto(2) + ".").walk.magic);
  EXPECT_EQ(Walk("N" + Proto(2) + ".").walk.protocol, 2);
  EXPECT_FALSE(Walk("NN.").walk.clean_stop);
  EXPECT_EQ(Walk(B("]q\x00.")).walk.shown_protocol(), 1);  // newest opcode, no PROTO
}

TEST(PickleWalk, IsItAPickle) {
  // Walked to STOP: with PROTO, two opcodes; without, a clean structured stop.
  EXPECT_TRUE(WalkedLikeAPickle(Walk(Proto(2) + "N.").walk));
  EXPECT_FALSE(WalkedLikeAPickle(Walk("N.").walk));
  EXPECT_TRUE(WalkedLikeAPickle(Walk("(Np0\nl.").walk));
  EXPECT_FALSE(WalkedLikeAPickle(Walk("(Np0\n.").walk));  // an open mark
  EXPECT_TRUE(WalkedLikeAPickle(Walk("cos\nsystem\n.").walk));  // an import: two will do
  EXPECT_TRUE(WalkedLikeAPickle(Walk("cos\nsystem\nN.").walk));  // and an untidy stop
  EXPECT_FALSE(WalkedLikeAPickle(Walk("NN.").walk));  // no import, untidy
  // Cut by the window: with PROTO, two opcodes; without, sixteen structured.
  EXPECT_TRUE(WalkedLikeAPickle(Walk(Proto(2) + "N", 100).walk));
  EXPECT_FALSE(WalkedLikeAPickle(Walk(Proto(2), 100).walk));
  std::string list = "(lp0\n";
  for (int i = 0; i < 8; ++i) list += "I1\na";
  EXPECT_TRUE(WalkedLikeAPickle(Walk(list, 1000).walk));
  EXPECT_FALSE(WalkedLikeAPickle(Walk("(lp0\nI1\na", 1000).walk));

  // Failed: something called after an import, or PROTO and one more opcode.
  EXPECT_TRUE(FailedLikeAPickle(Walk("cos\nsystem\n(S'x'\ntR").walk));
  EXPECT_TRUE(FailedLikeAPickle(Walk("cos\nsystem\n(S'x'\ntR" + B("\xff")).walk));
  EXPECT_FALSE(FailedLikeAPickle(Walk("cos\nsystem\n" + B("\xff")).walk));
  EXPECT_TRUE(FailedLikeAPickle(Walk(Proto(2) + "N" + B("\xff")).walk));
  EXPECT_TRUE(FailedLikeAPickle(Walk(Proto(2) + "N").walk));
  EXPECT_FALSE(FailedLikeAPickle(Walk(Proto(2) + B("\x00")).walk));
  EXPECT_FALSE(FailedLikeAPickle(Walk(Proto(2) + "N.").walk));  // it did not fail
  EXPECT_TRUE(FailedLikeAPickle(Walk(list).walk));                // truncated, structured
  EXPECT_FALSE(FailedLikeAPickle(Walk(list + B("\xff")).walk));   // malformed, no PROTO
  for (const std::string text : {"hello world\n", "cat\ndog\nfish\n", "{\"a\": 1}",
                                 "I like pie\n", "(lp0 is not a list\n"}) {
    EXPECT_FALSE(WalkedLikeAPickle(Walk(text).walk)) << text;
    EXPECT_FALSE(FailedLikeAPickle(Walk(text).walk)) << text;
  }
}

// A source read with ReadAt only (no Data()), that records its reads.
class ChunkedSource final : public ByteSource {
 public:
  explicit ChunkedSource(std::string bytes) : bytes_(std::move(bytes)) {}
  uint64_t size() const override { return bytes_.size(); }
  bool ReadAt(uint64_t offset, uint64_t length, char* out) override {
    if (offset > bytes_.size() || length > bytes_.size() - offset) return false;
    bytes_read_ += length;
    largest_read_ = std::max(largest_read_, length);
    std::copy_n(bytes_.data() + offset, length, out);
    return true;
  }
  uint64_t bytes_read() const { return bytes_read_; }
  uint64_t largest_read() const { return largest_read_; }

 private:
  std::string bytes_;
  uint64_t bytes_read_ = 0;
  uint64_t largest_read_ = 0;
};

TEST(StreamReader, ReadsForwardInBoundedPieces) {
  std::string bytes(300 * 1024, 'a');
  bytes[70000] = '\n';
  bytes[200000] = 'z';
  ChunkedSource source(bytes);
  StreamReader in(source, 10, bytes.size(), bytes.size());
  uint64_t line_length = 0;
  ASSERT_TRUE(in.Line([&](std::string_view piece) { line_length += piece.size(); }));
  EXPECT_EQ(line_length, 70000u - 10);  // across a chunk boundary
  std::string read;
  ASSERT_TRUE(in.Read(70000, read));  // across two
  EXPECT_EQ(read, std::string(70000, 'a'));
  ASSERT_TRUE(in.Skip(200000 - in.pos()));  // unread
  uint8_t byte = 0;
  ASSERT_TRUE(in.Byte(byte));
  EXPECT_EQ(byte, 'z');
  EXPECT_LE(source.largest_read(), StreamReader::kChunkBytes);
  EXPECT_LT(source.bytes_read(), 200000u + StreamReader::kChunkBytes);
  // Read back a range behind the window.
  ASSERT_TRUE(in.ReadBack(70000, 3, read));
  EXPECT_EQ(read, "\naa");
}

TEST(StreamReader, CutAndPastTheEnd) {
  ChunkedSource source(std::string(100, 'x'));
  StreamReader window(source, 0, 50, 100);  // a 50-byte window of a 100-byte stream
  EXPECT_FALSE(window.Skip(60));
  EXPECT_EQ(window.status(), StreamReader::Status::kCut);
  EXPECT_FALSE(window.Skip(200));
  EXPECT_EQ(window.status(), StreamReader::Status::kPastEnd);
  EXPECT_TRUE(window.Skip(50));
  uint8_t byte = 0;
  EXPECT_FALSE(window.Byte(byte));
  EXPECT_EQ(window.status(), StreamReader::Status::kCut);
  StreamReader whole(source, 90, 100, 100);
  uint64_t value = 0;
  EXPECT_FALSE(whole.Le(8, value) && whole.Le(8, value));
  EXPECT_EQ(whole.status(), StreamReader::Status::kPastEnd);
  EXPECT_EQ(whole.pos(), 98u);  // a failed Le leaves the position where it started
  EXPECT_FALSE(whole.Line([](std::string_view) {}));
  EXPECT_EQ(whole.status(), StreamReader::Status::kPastEnd);
}

bool OnlyTorch(std::string_view module, std::string_view) { return module == "torch"; }

TEST(ImportList, GradesDedupsAndCaps) {
  ImportList imports(true, OnlyTorch);
  imports.Add("torch", "FloatStorage", 5);
  imports.Add("torch", "FloatStorage", 9);
  EXPECT_FALSE(imports.any_disallowed());
  imports.Add("os", "system", 20);
  imports.Add("os", "system", 30);
  EXPECT_TRUE(imports.any_disallowed());
  EXPECT_EQ(imports.first_disallowed_offset(), 20u);
  EXPECT_EQ(imports.Describe(), "imports torch.FloatStorage, os.system");
  EXPECT_EQ(imports.DescribeDisallowed(), "os.system");
  // Cut names are never allowed.
  ImportList cut(true, OnlyTorch);
  cut.Add("torch", "x", 0, /*cut=*/true);
  EXPECT_TRUE(cut.any_disallowed());
  // Unresolved is not disallowed (108, not 106); an extension is (106).
  ImportList other(true, OnlyTorch);
  other.AddUnresolved(40);
  EXPECT_FALSE(other.any_disallowed());
  EXPECT_TRUE(other.unresolved());
  other.AddExtension(7, 50);
  EXPECT_TRUE(other.any_disallowed());
  EXPECT_TRUE(other.extension());
  imports.Merge(other);
  EXPECT_EQ(imports.Describe(),
            "imports torch.FloatStorage, os.system, <computed>.<computed>, "
            "<copyreg extension 7>");
  EXPECT_EQ(imports.DescribeDisallowed(), "os.system, <copyreg extension 7>");
  EXPECT_EQ(imports.first_unresolved_offset(), 40u);
  EXPECT_EQ(imports.first_disallowed_offset(), 20u);
  // A probe records nothing.
  ImportList probe(false, OnlyTorch);
  probe.Add("os", "system", 1);
  EXPECT_TRUE(probe.empty());
  EXPECT_FALSE(probe.any_disallowed());
  // Past kTracked names the counts are lower bounds.
  ImportList many(true, OnlyTorch);
  for (int i = 0; i < 100; ++i) many.Add("m" + std::to_string(i), "f", 0);
  EXPECT_NE(many.Describe().find("m7.f and at least 56 more"), std::string::npos);
  EXPECT_NE(many.DescribeDisallowed().find("and at least 56 more"), std::string::npos);
}

}  // namespace
}  // namespace stguard::internal
