// How big the machine reports get and what they cost, through the binary:
// a deep report lists every tensor's name, so a header of one huge name is
// the worst case for the report's size. Measured in a child process (peak
// RSS from wait4) on a file generated here (a 32 MiB name), against bounds
// measured on this project's machine, with headroom:
//   - a name of DEL bytes (legal raw in JSON) costs its own size in JSON;
//   - a name of C1 controls (escaped, 2 bytes become 6) costs 3 times;
//   - writing JSON, JSON Lines or SARIF adds no copy of the report to the
//     validation's own peak (the text format's run is the baseline).
#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "run_cli.h"
#include "safetensors_builder.h"
#include "temp_dir.h"

namespace stguard {
namespace {

using testing::CliOptions;
using testing::CliRun;
using testing::RunCli;
using testing::TempDir;

constexpr uint64_t kNameBytes = uint64_t{32} << 20;
constexpr uint64_t kKiB = 1024;
constexpr uint64_t kMiB = 1024 * 1024;

// One tensor named by `unit` repeated to kNameBytes bytes, written in pieces.
// Returns the header's size.
uint64_t WriteHugeNameFile(const std::string& path, const std::string& unit) {
  const std::string head = "{\"";
  const std::string tail = "\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}";
  uint64_t header = head.size() + kNameBytes + tail.size();
  const uint64_t padding = (8 - header % 8) % 8;
  header += padding;
  std::ofstream out(path, std::ios::binary);
  out << testing::Prefix(header) << head;
  std::string piece;
  while (piece.size() < kMiB) piece += unit;
  piece.resize(kMiB - kMiB % unit.size());
  for (uint64_t written = 0; written < kNameBytes;) {
    const uint64_t n = std::min<uint64_t>(piece.size(), kNameBytes - written);
    out.write(piece.data(), static_cast<std::streamsize>(n));
    written += n;
  }
  out << tail << std::string(padding, ' ') << '\0';
  return header;
}

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

struct Runs {
  CliRun text, json, jsonl, sarif;
};

Runs CheckEveryFormat(const std::string& path) {
  CliOptions options;
  options.keep_output = false;
  Runs runs;
  runs.text = RunCli({"check", "--deep", "--format", "text", path}, options);
  runs.json = RunCli({"check", "--deep", "--format", "json", path}, options);
  runs.jsonl = RunCli({"check", "--deep", "--format", "jsonl", path}, options);
  runs.sarif = RunCli({"check", "--deep", "--format", "sarif", path}, options);
  for (const CliRun* run : {&runs.text, &runs.json, &runs.jsonl, &runs.sarif}) {
    EXPECT_EQ(run->exit_code, 1) << run->err;  // control characters in the name
  }
  std::cout << "  peak RSS (MiB) text " << runs.text.peak_rss_kib / kKiB << ", json "
            << runs.json.peak_rss_kib / kKiB << ", jsonl " << runs.jsonl.peak_rss_kib / kKiB
            << ", sarif " << runs.sarif.peak_rss_kib / kKiB << "; output (bytes) json "
            << runs.json.out_bytes << ", jsonl " << runs.jsonl.out_bytes << ", sarif "
            << runs.sarif.out_bytes << "\n";
  return runs;
}

// Writing the report keeps no copy of it: the run's peak is the
// validation's (the text run's) plus a little, far less than the report.
void ExpectNoCopyOfTheReport(const Runs& runs, uint64_t header) {
  const uint64_t slack_kib = header / 8 / kKiB;  // 4 MiB for a 32 MiB name
  for (const CliRun* run : {&runs.json, &runs.jsonl, &runs.sarif}) {
    EXPECT_LE(run->peak_rss_kib, runs.text.peak_rss_kib + slack_kib);
  }
  // The validation itself: measured 4.3x the header (header copy, table,
  // deep-scan names, report) in a release build; 6x + 64 MiB is the bound.
  if (!kSanitized) EXPECT_LE(runs.text.peak_rss_kib * kKiB, 6 * header + 64 * kMiB);
}

TEST(ReportSize, DelNameCostsItsOwnSizeInJson) {
  TempDir dir;
  const std::string path = dir.path() + "/del.safetensors";
  const uint64_t header = WriteHugeNameFile(path, "\x7f");
  const Runs runs = CheckEveryFormat(path);
  // The name appears once in full (the deep scan's tensor list); findings
  // quote at most 256 bytes of it.
  EXPECT_GE(runs.json.out_bytes, kNameBytes);
  EXPECT_LE(runs.json.out_bytes, header + 64 * kKiB);
  EXPECT_LE(runs.jsonl.out_bytes, header + 64 * kKiB);
  EXPECT_LE(runs.sarif.out_bytes, 256 * kKiB);  // no tensor list in SARIF
  ExpectNoCopyOfTheReport(runs, header);
}

TEST(ReportSize, C1NameCostsThreeTimesItsSizeInJson) {
  TempDir dir;
  const std::string path = dir.path() + "/c1.safetensors";
  const uint64_t header = WriteHugeNameFile(path, "\xc2\x85");  // U+0085, written \u0085
  const Runs runs = CheckEveryFormat(path);
  EXPECT_GE(runs.json.out_bytes, 3 * kNameBytes);
  EXPECT_LE(runs.json.out_bytes, 3 * header + 64 * kKiB);
  EXPECT_LE(runs.jsonl.out_bytes, 3 * header + 64 * kKiB);
  EXPECT_LE(runs.sarif.out_bytes, 256 * kKiB);
  ExpectNoCopyOfTheReport(runs, header);
}

}  // namespace
}  // namespace stguard
