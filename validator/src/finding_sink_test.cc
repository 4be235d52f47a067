// Unit tests for FindingSink and ReportedName (finding_sink.h).
#include "finding_sink.h"

#include <gtest/gtest.h>

#include <string>

#include "stguard/codes.h"

namespace stguard::internal {
namespace {

size_t CountCode(const std::vector<Finding>& findings, Code code) {
  size_t n = 0;
  for (const Finding& f : findings) n += f.code == code;
  return n;
}

const Finding* FindCode(const std::vector<Finding>& findings, Code code) {
  for (const Finding& f : findings) {
    if (f.code == code) return &f;
  }
  return nullptr;
}

TEST(FindingSink, KeepsFindingsUpToTheCapWithoutANote) {
  FindingSink sink(3, 1000);
  for (int i = 0; i < 3; ++i) sink.Error(Code::kDataGap, 10 + i, "gap");
  const std::vector<Finding> findings = sink.Finish();
  EXPECT_EQ(CountCode(findings, Code::kDataGap), 3u);
  EXPECT_EQ(CountCode(findings, Code::kFindingsTruncated), 0u);
}

TEST(FindingSink, PerCodeCapAddsOneTruncationNotePerCode) {
  FindingSink sink(3, 1000);
  for (int i = 0; i < 10; ++i) sink.Error(Code::kDataGap, 100 + i, "gap");
  for (int i = 0; i < 5; ++i) {
    sink.Add(Code::kFieldUnknown, Severity::kWarning, 50 + i, "t", "unknown");
  }
  sink.Error(Code::kDataOverlap, 7, "overlap");
  const std::vector<Finding> findings = sink.Finish();
  EXPECT_EQ(CountCode(findings, Code::kDataGap), 3u);
  EXPECT_EQ(CountCode(findings, Code::kFieldUnknown), 3u);
  EXPECT_EQ(CountCode(findings, Code::kDataOverlap), 1u);
  ASSERT_EQ(CountCode(findings, Code::kFindingsTruncated), 2u);
  bool saw_gap_note = false, saw_unknown_note = false;
  for (const Finding& f : findings) {
    if (f.code != Code::kFindingsTruncated) continue;
    EXPECT_EQ(f.severity, Severity::kInfo);
    EXPECT_FALSE(f.tensor.has_value());
    if (f.message.find("603") != std::string::npos) {
      saw_gap_note = true;
      EXPECT_NE(f.message.find("7 more"), std::string::npos) << f.message;
      EXPECT_NE(f.message.find("data-gap"), std::string::npos) << f.message;
      EXPECT_NE(f.message.find("error"), std::string::npos) << f.message;
    } else if (f.message.find("308") != std::string::npos) {
      saw_unknown_note = true;
      EXPECT_NE(f.message.find("2 more"), std::string::npos) << f.message;
      EXPECT_NE(f.message.find("field-unknown"), std::string::npos) << f.message;
      EXPECT_NE(f.message.find("warning"), std::string::npos) << f.message;
    }
  }
  EXPECT_TRUE(saw_gap_note);
  EXPECT_TRUE(saw_unknown_note);
}

TEST(FindingSink, KeepsTheFirstFindingsOfACode) {
  FindingSink sink(2, 1000);
  for (int i = 0; i < 5; ++i) sink.Error(Code::kDataGap, 900 - i * 100, "gap " + std::to_string(i));
  const std::vector<Finding> findings = sink.Finish();
  ASSERT_EQ(CountCode(findings, Code::kDataGap), 2u);
  EXPECT_EQ(findings[0].message, "gap 1");  // sorted by offset: 800 before 900
  EXPECT_EQ(findings[1].message, "gap 0");
}

TEST(FindingSink, TruncationNoteReportsTheWorstDroppedSeverity) {
  FindingSink sink(1, 1000);
  sink.Add(Code::kFieldUnknown, Severity::kWarning, 1, std::nullopt, "kept");
  sink.Add(Code::kFieldUnknown, Severity::kWarning, 2, std::nullopt, "dropped");
  sink.Add(Code::kFieldUnknown, Severity::kError, 3, std::nullopt, "dropped");
  sink.Add(Code::kFieldUnknown, Severity::kWarning, 4, std::nullopt, "dropped");
  const std::vector<Finding> findings = sink.Finish();
  const Finding* note = FindCode(findings, Code::kFindingsTruncated);
  ASSERT_NE(note, nullptr);
  EXPECT_EQ(note->severity, Severity::kInfo);
  EXPECT_NE(note->message.find("3 more"), std::string::npos) << note->message;
  EXPECT_NE(note->message.find("worst severity error"), std::string::npos) << note->message;
}

TEST(FindingSink, DroppedErrorsStillCountForHasError) {
  FindingSink sink(0, 100);
  EXPECT_FALSE(sink.has_error());
  sink.Add(Code::kFieldUnknown, Severity::kWarning, 1, std::nullopt, "w");
  EXPECT_FALSE(sink.has_error());
  sink.Error(Code::kDataGap, 1, "e");
  EXPECT_TRUE(sink.has_error());
  const std::vector<Finding> findings = sink.Finish();
  EXPECT_EQ(CountCode(findings, Code::kDataGap), 0u);
  EXPECT_EQ(CountCode(findings, Code::kFindingsTruncated), 2u);
}

TEST(FindingSink, WantsFollowsTheCap) {
  FindingSink sink(2, 100);
  EXPECT_TRUE(sink.Wants(Code::kDataGap));
  sink.Error(Code::kDataGap, 1, "e");
  EXPECT_TRUE(sink.Wants(Code::kDataGap));
  sink.Error(Code::kDataGap, 1, "e");
  EXPECT_FALSE(sink.Wants(Code::kDataGap));
  EXPECT_TRUE(sink.Wants(Code::kDataOverlap));
}

TEST(FindingSink, AddActionMapsActionsToSeverities) {
  FindingSink sink(32, 100);
  sink.AddAction(Code::kFieldUnknown, Action::kIgnore, 1, std::nullopt, "ignored");
  EXPECT_FALSE(sink.has_error());
  sink.AddAction(Code::kMetadataNull, Action::kWarn, 2, std::nullopt, "warned");
  EXPECT_FALSE(sink.has_error());
  sink.AddAction(Code::kDuplicateTensorName, Action::kReject, 3, "x", "rejected");
  EXPECT_TRUE(sink.has_error());
  const std::vector<Finding> findings = sink.Finish();
  ASSERT_EQ(findings.size(), 2u);
  EXPECT_EQ(findings[0].code, Code::kMetadataNull);
  EXPECT_EQ(findings[0].severity, Severity::kWarning);
  EXPECT_EQ(findings[1].code, Code::kDuplicateTensorName);
  EXPECT_EQ(findings[1].severity, Severity::kError);
  EXPECT_EQ(findings[1].tensor, std::optional<std::string>("x"));
}

TEST(FindingSink, IgnoredActionsDoNotCountTowardsTheCap) {
  FindingSink sink(1, 100);
  for (int i = 0; i < 5; ++i) sink.AddAction(Code::kFieldUnknown, Action::kIgnore, 1, {}, "");
  sink.AddAction(Code::kFieldUnknown, Action::kWarn, 1, {}, "w");
  const std::vector<Finding> findings = sink.Finish();
  EXPECT_EQ(CountCode(findings, Code::kFieldUnknown), 1u);
  EXPECT_EQ(CountCode(findings, Code::kFindingsTruncated), 0u);
}

TEST(FindingSink, OffsetsAreClampedInsideTheFile) {
  FindingSink sink(32, 10);
  sink.Error(Code::kDataGap, 9, "last byte");
  sink.Error(Code::kDataOverlap, 10, "one past");
  sink.Error(Code::kTensorPastEnd, UINT64_MAX, "far past");
  const std::vector<Finding> findings = sink.Finish();
  ASSERT_EQ(findings.size(), 3u);
  for (const Finding& f : findings) EXPECT_EQ(f.offset, 9u) << Info(f.code).id;
}

TEST(FindingSink, EmptyFileHasOnlyOffsetZero) {
  FindingSink sink(32, 0);
  sink.Error(Code::kFileTooShort, 0, "empty");
  sink.Error(Code::kDataGap, 5, "x");
  for (const Finding& f : sink.Finish()) EXPECT_EQ(f.offset, 0u);
}

TEST(FindingSink, FinishSortsByOffsetThenCode) {
  FindingSink sink(32, 1000);
  sink.Error(Code::kDataOverlap, 50, "c");
  sink.Error(Code::kDataGap, 50, "b");
  sink.Error(Code::kJsonSyntax, 60, "d");
  sink.Error(Code::kTensorPastEnd, 10, "a");
  const std::vector<Finding> findings = sink.Finish();
  ASSERT_EQ(findings.size(), 4u);
  EXPECT_EQ(findings[0].message, "a");
  EXPECT_EQ(findings[1].message, "b");
  EXPECT_EQ(findings[2].message, "c");
  EXPECT_EQ(findings[3].message, "d");
}

TEST(FindingSink, TensorNamesAreShortenedForTheReport) {
  FindingSink sink(32, 1000);
  const std::string long_name(1000, 'n');
  sink.TensorError(Code::kDataGap, 1, long_name, "gap");
  const std::vector<Finding> findings = sink.Finish();
  ASSERT_EQ(findings.size(), 1u);
  ASSERT_TRUE(findings[0].tensor.has_value());
  EXPECT_EQ(*findings[0].tensor, ReportedName(long_name));
}

TEST(ReportedName, ShortNamesAreKeptVerbatim) {
  EXPECT_EQ(ReportedName(""), "");
  EXPECT_EQ(ReportedName("model.layers.0.weight"), "model.layers.0.weight");
  const std::string with_controls("a\0b\x1b", 4);
  EXPECT_EQ(ReportedName(with_controls), with_controls);
  const std::string exactly(kMaxReportedNameBytes, 'x');
  EXPECT_EQ(ReportedName(exactly), exactly);
}

TEST(ReportedName, LongAsciiNameIsCutAndMarked) {
  const std::string name(kMaxReportedNameBytes + 1, 'x');
  EXPECT_EQ(ReportedName(name), std::string(kMaxReportedNameBytes, 'x') + "...");
}

TEST(ReportedName, CutNeverSplitsAUtf8Character) {
  // A 4-byte character (U+1F600) straddling the cut at every possible phase.
  const std::string emoji = "\xF0\x9F\x98\x80";
  for (size_t lead = kMaxReportedNameBytes - 4; lead <= kMaxReportedNameBytes; ++lead) {
    const std::string name = std::string(lead, 'a') + emoji + std::string(20, 'b');
    const std::string reported = ReportedName(name);
    ASSERT_GE(reported.size(), 3u);
    ASSERT_EQ(reported.substr(reported.size() - 3), "...") << lead;
    const std::string kept = reported.substr(0, reported.size() - 3);
    EXPECT_LE(kept.size(), kMaxReportedNameBytes) << lead;
    EXPECT_EQ(name.compare(0, kept.size(), kept), 0) << "not a prefix, lead " << lead;
    // The kept part ends on a character boundary: either before the emoji or after it.
    if (lead + 4 <= kMaxReportedNameBytes) {
      EXPECT_EQ(kept.size(), std::min(kMaxReportedNameBytes, lead + 4 + 20)) << lead;
    } else {
      EXPECT_EQ(kept.size(), lead) << lead;
    }
  }
}

TEST(ReportedName, TwoAndThreeByteCharactersAtTheCut) {
  // 128 x "é" (2 bytes) = 256 bytes, then one more.
  std::string name;
  for (int i = 0; i < 129; ++i) name += "\xC3\xA9";
  std::string reported = ReportedName(name);
  EXPECT_EQ(reported.size(), 256u + 3u);
  // 86 x "€" (3 bytes) = 258 bytes: the cut at 256 falls inside the 86th.
  name.clear();
  for (int i = 0; i < 86; ++i) name += "\xE2\x82\xAC";
  reported = ReportedName(name);
  EXPECT_EQ(reported.size(), 255u + 3u);
  EXPECT_EQ(reported.substr(255), "...");
}


TEST(FindingSink, AbsorbIntoAFullSinkDropsAndKeepsTheWorstSeverity) {
  // The main sink already holds its one allowed finding of the code; the
  // absorbed sink's finding of that code is dropped, counted, and its
  // severity (error, worse than the kept warning) is named in the note.
  FindingSink main(1, 1000);
  main.Add(Code::kFieldUnknown, Severity::kWarning, 5, std::nullopt, "kept");
  FindingSink table(1, 1000);
  table.Error(Code::kFieldUnknown, 7, "dropped");
  table.Error(Code::kDataGap, 9, "gap");
  EXPECT_FALSE(main.has_error());
  main.Absorb(table);
  EXPECT_TRUE(main.has_error());
  EXPECT_FALSE(table.has_error());
  EXPECT_FALSE(main.Wants(Code::kFieldUnknown));
  const std::vector<Finding> findings = main.Finish();
  ASSERT_EQ(CountCode(findings, Code::kFieldUnknown), 1u);
  EXPECT_EQ(FindCode(findings, Code::kFieldUnknown)->message, "kept");
  EXPECT_EQ(CountCode(findings, Code::kDataGap), 1u);
  const Finding* note = FindCode(findings, Code::kFindingsTruncated);
  ASSERT_NE(note, nullptr);
  EXPECT_NE(note->message.find("1 more findings of code 308"), std::string::npos)
      << note->message;
  EXPECT_NE(note->message.find("worst severity error"), std::string::npos) << note->message;
}

TEST(FindingSink, CountsSaturateInsteadOfWrapping) {
  // Doubling a sink's count by absorbing a copy of itself reaches 2^32 in
  // 32 steps: the count must stop at UINT32_MAX (a count that wrapped to 0
  // would lose the truncation note, and with it the dropped error).
  FindingSink sink(1, 1000);
  sink.Error(Code::kDataGap, 1, "first");
  for (int i = 0; i < 40; ++i) {
    FindingSink copy = sink;
    sink.Absorb(copy);
  }
  sink.Error(Code::kDataGap, 2, "one more");  // counted at the ceiling
  EXPECT_FALSE(sink.Wants(Code::kDataGap));
  const std::vector<Finding> findings = sink.Finish();
  ASSERT_EQ(CountCode(findings, Code::kDataGap), 1u);
  EXPECT_EQ(FindCode(findings, Code::kDataGap)->message, "first");
  const Finding* note = FindCode(findings, Code::kFindingsTruncated);
  ASSERT_NE(note, nullptr);
  EXPECT_NE(note->message.find(std::to_string(UINT32_MAX - 1) + " more findings"),
            std::string::npos)
      << note->message;
  EXPECT_NE(note->message.find("worst severity error"), std::string::npos) << note->message;
}

TEST(ReportedName, NameOfOnlyContinuationBytesIsCutToNothing) {
  // Invalid UTF-8 cannot reach a report (headers are validated first), but
  // the cut must still stop at the start of the name rather than run past it.
  const std::string name(kMaxReportedNameBytes + 10, '\x80');
  EXPECT_EQ(ReportedName(name), "...");
}

}  // namespace
}  // namespace stguard::internal

namespace stguard::internal {
namespace {

// Absorb visits only the codes a sink has counted, or every slot once more
// than 32 codes were counted: both give the same counts and notes.
TEST(FindingSink, AbsorbWithManyCodesKeepsEveryCountAndNote) {
  std::vector<Code> codes;
  for (const CodeInfo& info : AllCodes()) {
    if (info.code != Code::kFindingsTruncated) codes.push_back(info.code);
  }
  ASSERT_GT(codes.size(), 40u);
  for (const size_t used : {size_t{3}, size_t{32}, size_t{33}, codes.size()}) {
    FindingSink main(2, 1000);
    FindingSink table(2, 1000);
    for (size_t i = 0; i < used; ++i) {
      main.Error(codes[i], i, "main");
      for (int k = 0; k < 3; ++k) table.Add(codes[i], Severity::kWarning, 500 + i, "t", "table");
    }
    main.Absorb(table);
    const std::vector<Finding> findings = main.Finish();
    // Each code: 1 from main + 3 from table = 4 counted, 2 listed, a note
    // for the 2 dropped (warnings).
    EXPECT_EQ(findings.size(), used * 3) << used;
    EXPECT_EQ(CountCode(findings, Code::kFindingsTruncated), used);
    const Finding* note = FindCode(findings, Code::kFindingsTruncated);
    ASSERT_NE(note, nullptr);
    EXPECT_NE(note->message.find("2 more findings"), std::string::npos) << note->message;
    EXPECT_NE(note->message.find("worst severity warning"), std::string::npos) << note->message;
    // The absorbed sink is left empty.
    EXPECT_TRUE(table.Finish().empty());
  }
}

}  // namespace
}  // namespace stguard::internal
