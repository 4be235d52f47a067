// The remote checks' pure parsers: Content-Range, response heads, range
// answers, hf:// names and the Hub listing.
#include <gtest/gtest.h>

#include "content_range.h"
#include "hub_listing.h"

namespace stguard::remote {
namespace {

ResponseHead Head(std::initializer_list<const char*> lines) {
  ResponseHead head;
  for (const char* line : lines) EXPECT_TRUE(FeedHeadLine(line, head)) << line;
  return head;
}

TEST(ContentRange, Parses) {
  const auto cr = ParseContentRange("bytes 0-65535/129064");
  ASSERT_TRUE(cr);
  EXPECT_EQ(cr->first, 0u);
  EXPECT_EQ(cr->last, 65535u);
  EXPECT_EQ(cr->total, 129064u);
  EXPECT_TRUE(ParseContentRange("bytes */0")->unsatisfied);
  EXPECT_FALSE(ParseContentRange("bytes 0-99/99"));       // last past the total
  EXPECT_FALSE(ParseContentRange("bytes 5-4/99"));        // backwards
  EXPECT_FALSE(ParseContentRange("bytes */*"));
  EXPECT_FALSE(ParseContentRange("bytes 0-1/18446744073709551616"));  // past 2^64-1
  EXPECT_FALSE(ParseContentRange("bytes -1-2/3"));
  EXPECT_FALSE(ParseContentRange("items 0-1/2"));
  EXPECT_FALSE(ParseContentRange("bytes 0-1/+3"));
  EXPECT_FALSE(ParseContentRange("bytes 0-1/2x"));
  EXPECT_FALSE(ParseContentRange("bytes 0-1/2/3"));
  EXPECT_TRUE(ParseContentRange("bytes 0-1/*"));
  EXPECT_FALSE(ParseContentRange("bytes 0-1/*")->total);
}

TEST(RangeAnswer, ExactRangeOnly) {
  const auto judge = [](std::initializer_list<const char*> lines, uint64_t first, uint64_t n) {
    return JudgeRangeResponse(Head(lines), first, n);
  };
  auto a = judge({"HTTP/1.1 206 Partial", "Content-Range: bytes 0-65535/129064"}, 0, 65536);
  EXPECT_EQ(a.kind, RangeAnswer::kRange);
  EXPECT_EQ(a.total, 129064u);
  EXPECT_EQ(a.body_bytes, 65536u);
  // Clipped at the file's end.
  a = judge({"HTTP/1.1 206 Partial", "Content-Range: bytes 0-99/100"}, 0, 65536);
  EXPECT_EQ(a.kind, RangeAnswer::kRange);
  EXPECT_EQ(a.body_bytes, 100u);
  // Clipped elsewhere, shifted, without a total, missing, disagreeing lengths.
  EXPECT_EQ(judge({"HTTP/1.1 206 P", "Content-Range: bytes 0-99/1000"}, 0, 65536).kind,
            RangeAnswer::kError);
  EXPECT_EQ(judge({"HTTP/1.1 206 P", "Content-Range: bytes 1-65536/129064"}, 0, 65536).kind,
            RangeAnswer::kError);
  EXPECT_EQ(judge({"HTTP/1.1 206 P", "Content-Range: bytes 0-65535/*"}, 0, 65536).kind,
            RangeAnswer::kError);
  EXPECT_EQ(judge({"HTTP/1.1 206 P"}, 0, 65536).kind, RangeAnswer::kError);
  EXPECT_EQ(judge({"HTTP/1.1 206 P", "Content-Range: bytes 0-65535/129064",
                   "Content-Length: 5"}, 0, 65536).kind,
            RangeAnswer::kError);
  EXPECT_EQ(judge({"HTTP/1.1 206 P", "Content-Range: bytes 0-65535/129064",
                   "Content-Range: bytes 0-65535/129065"}, 0, 65536).kind,
            RangeAnswer::kError);
  // Ranges ignored; an empty file; other statuses.
  a = judge({"HTTP/1.1 200 OK", "Content-Length: 77"}, 0, 65536);
  EXPECT_EQ(a.kind, RangeAnswer::kWholeBody);
  EXPECT_TRUE(a.total_known);
  EXPECT_EQ(a.total, 77u);
  EXPECT_FALSE(judge({"HTTP/1.1 200 OK"}, 0, 65536).total_known);
  EXPECT_EQ(judge({"HTTP/1.1 416 R", "Content-Range: bytes */0"}, 0, 65536).kind,
            RangeAnswer::kEmptyFile);
  EXPECT_EQ(judge({"HTTP/1.1 416 R", "Content-Range: bytes */10"}, 0, 65536).kind,
            RangeAnswer::kError);
  EXPECT_EQ(judge({"HTTP/1.1 404 Not Found"}, 0, 65536).kind, RangeAnswer::kError);
}

TEST(ResponseHead, LastHeadCountsAndValuesAreCapped) {
  ResponseHead head = Head({"HTTP/1.1 100 Continue", "", "HTTP/1.1 429 Too Many",
                            "Retry-After: 7", "Location: /x"});
  EXPECT_EQ(head.status, 429);
  EXPECT_EQ(head.retry_after_seconds, 7u);
  EXPECT_EQ(head.location, "/x");
  EXPECT_FALSE(FeedHeadLine("no colon here", head));
  ResponseHead fresh;
  EXPECT_FALSE(FeedHeadLine("Content-Length: 5", fresh));  // no status line first
  EXPECT_FALSE(FeedHeadLine("HTTP/1.1 2000 Big", fresh));
  head = Head({"HTTP/1.1 200 OK", "Content-Length: 5", "Content-Length: 6"});
  EXPECT_TRUE(head.content_length_bad);
  std::string long_value = "ETag: " + std::string(100000, 'e');
  EXPECT_TRUE(FeedHeadLine(long_value, head));
  EXPECT_LE(head.etag.size(), 8192u);
}

TEST(HubName, Forms) {
  std::string error;
  auto n = ParseHubName("hf://org/name", error);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->repo_id, "org/name");
  EXPECT_EQ(n->revision, "main");
  EXPECT_EQ(n->path, "");
  n = ParseHubName("hf://org/name@v1.0/sub/model.safetensors", error);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->revision, "v1.0");
  EXPECT_EQ(n->path, "sub/model.safetensors");
  n = ParseHubName("hf://org/name/model.safetensors", error);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->revision, "main");
  n = ParseHubName("hf://org/name@refs/pr/1", error);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->revision, "refs/pr/1");
  EXPECT_EQ(HubListingUrl("https://h", *n), "https://h/api/models/org/name/revision/refs%2Fpr%2F1");
  EXPECT_EQ(HubFileUrl("https://h", *n, "a b.safetensors"),
            "https://h/org/name/resolve/refs%2Fpr%2F1/a%20b.safetensors");
  for (const char* bad : {"hf://name", "hf://org/na me", "hf://org/name/../x", "hf://org/name@",
                          "hf://../name", "hf://org/name//x", "https://org/name",
                          "hf://org/name@a%2Fb"}) {
    EXPECT_FALSE(ParseHubName(bad, error)) << bad;
  }
}

TEST(Listing, KeepsSafeNamesSorted) {
  std::string error;
  const auto listing = ParseListing(
      R"({"sha":"abc","siblings":[{"rfilename":"b.safetensors"},{"rfilename":"../x"},)"
      R"({"rfilename":"/abs"},{"rfilename":"a/./b"},{"rfilename":"a.bin"},)"
      R"({"rfilename":"b.safetensors"},{"rfilename":"c\\d"}]})",
      error);
  ASSERT_TRUE(listing) << error;
  EXPECT_EQ(listing->files, (std::vector<std::string>{"a.bin", "b.safetensors"}));
  EXPECT_EQ(listing->refused, 4u);
  EXPECT_EQ(listing->sha, "abc");
  EXPECT_FALSE(ParseListing("[]", error));
  EXPECT_FALSE(ParseListing(R"({"siblings":[{"name":"x"}]})", error));
  EXPECT_FALSE(ParseListing("{", error));
}

}  // namespace
}  // namespace stguard::remote
