// fuzz_remote_response: what a remote check reads from a server before any
// validation (validator/remote/content_range.cc, hub_listing.cc): a
// response head line by line, the Content-Range of a range request, the
// Hub API's JSON listing and hf:// names. The input is read three ways:
// as the lines of a response head, as a listing, and each line as an
// hf:// name.
// Oracle (abort on any violation):
//   - a parsed Content-Range has first <= last < total (when the total is
//     known), and printing it back and parsing again gives it unchanged;
//   - a range answer accepted for bytes [first, first + length) delivers
//     1..length bytes starting at `first`, of a file whose size is past
//     `first` and at least first + the bytes delivered; an empty file only
//     for a request from byte 0; never for a status other than 206, 200, 416;
//   - a listing's files are sorted, distinct, each a safe relative path
//     (no '..', '.', empty segment, backslash or control character), at most
//     kMaxListedFiles of them;
//   - a parsed hf:// name has an ORG/NAME id and a safe path, and the URLs
//     built from it hold no byte outside RFC 3986's unreserved, '/', ':'
//     and '%'.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "content_range.h"
#include "fuzz_common.h"
#include "hub_listing.h"

namespace {

using stguard::remote::ContentRange;
using stguard::remote::RangeAnswer;
using stguard::remote::ResponseHead;

void CheckContentRange(std::string_view value) {
  const std::optional<ContentRange> cr = stguard::remote::ParseContentRange(value);
  if (!cr) return;
  if (!cr->unsatisfied && cr->first > cr->last) stguard_fuzz::Fail("Content-Range first > last");
  if (!cr->unsatisfied && cr->total && cr->last >= *cr->total) {
    stguard_fuzz::Fail("Content-Range last >= total");
  }
  if (cr->unsatisfied && !cr->total) stguard_fuzz::Fail("Content-Range */* accepted");
  const std::string total = cr->total ? std::to_string(*cr->total) : "*";
  const std::string printed =
      cr->unsatisfied ? "bytes */" + total
                      : "bytes " + std::to_string(cr->first) + "-" + std::to_string(cr->last) +
                            "/" + total;
  const std::optional<ContentRange> again = stguard::remote::ParseContentRange(printed);
  if (!again || again->unsatisfied != cr->unsatisfied || again->first != cr->first ||
      again->last != cr->last || again->total != cr->total) {
    stguard_fuzz::Fail("Content-Range does not survive printing: " + printed);
  }
}

void CheckAnswer(const ResponseHead& head, uint64_t first, uint64_t length) {
  const RangeAnswer a = stguard::remote::JudgeRangeResponse(head, first, length);
  switch (a.kind) {
    case RangeAnswer::kRange:
      if (head.status != 206) stguard_fuzz::Fail("a range answer without 206");
      if (a.body_bytes == 0 || a.body_bytes > length) stguard_fuzz::Fail("range body size");
      if (!a.total_known || a.total <= first || a.total - first < a.body_bytes) {
        stguard_fuzz::Fail("range past the file's size");
      }
      if (a.body_bytes < length && first + a.body_bytes != a.total) {
        stguard_fuzz::Fail("a range clipped before the file's end");
      }
      break;
    case RangeAnswer::kWholeBody:
      if (head.status != 200) stguard_fuzz::Fail("a whole body without 200");
      if (a.total_known != head.content_length.has_value()) stguard_fuzz::Fail("whole body size");
      break;
    case RangeAnswer::kEmptyFile:
      if (head.status != 416 || first != 0) stguard_fuzz::Fail("an empty file without 416 at 0");
      break;
    case RangeAnswer::kError:
      if (a.error.empty()) stguard_fuzz::Fail("an error without a message");
      break;
  }
}

bool UrlSafe(std::string_view url) {
  for (const char c : url) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.' || c == '~' || c == '/' || c == ':' ||
                    c == '%';
    if (!ok) return false;
  }
  return true;
}

void CheckHubName(std::string_view line) {
  std::string error;
  const std::optional<stguard::remote::HubName> name =
      stguard::remote::ParseHubName("hf://" + std::string(line), error);
  if (!name) {
    if (error.empty()) stguard_fuzz::Fail("hf:// refused without a reason");
    return;
  }
  if (std::count(name->repo_id.begin(), name->repo_id.end(), '/') != 1) {
    stguard_fuzz::Fail("hf:// repository id is not ORG/NAME: " + name->repo_id);
  }
  if (!name->path.empty() && !stguard::remote::IsSafeRepoPath(name->path)) {
    stguard_fuzz::Fail("hf:// path is not safe: " + name->path);
  }
  const std::string endpoint = "https://hub.example";
  const std::string listing = stguard::remote::HubListingUrl(endpoint, *name);
  const std::string file = stguard::remote::HubFileUrl(endpoint, *name, name->path);
  if (!UrlSafe(listing) || !UrlSafe(file)) stguard_fuzz::Fail("unsafe URL: " + file);
}

void CheckListing(std::string_view text) {
  std::string error;
  const std::optional<stguard::remote::Listing> listing =
      stguard::remote::ParseListing(text, error);
  if (!listing) {
    if (error.empty()) stguard_fuzz::Fail("listing refused without a reason");
    return;
  }
  if (listing->files.size() > stguard::remote::kMaxListedFiles) stguard_fuzz::Fail("listing size");
  for (size_t i = 0; i < listing->files.size(); ++i) {
    if (!stguard::remote::IsSafeRepoPath(listing->files[i])) {
      stguard_fuzz::Fail("listing kept an unsafe path: " + listing->files[i]);
    }
    if (i > 0 && !(listing->files[i - 1] < listing->files[i])) {
      stguard_fuzz::Fail("listing not sorted and distinct");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  ResponseHead head;
  bool http = true;
  size_t begin = 0;
  unsigned lines = 0;
  while (begin <= text.size() && lines < 512) {
    size_t end = text.find('\n', begin);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(begin, end - begin);
    if (http) http = stguard::remote::FeedHeadLine(line, head);
    const size_t colon = line.find(':');
    if (colon != std::string_view::npos) CheckContentRange(line.substr(colon + 1));
    CheckHubName(line);
    ++lines;
    begin = end + 1;
  }
  if (head.content_range && !head.content_range->unsatisfied &&
      head.content_range->first > head.content_range->last) {
    stguard_fuzz::Fail("head kept a bad Content-Range");
  }
  // The requests a remote check makes: the first 64 KiB, the rest of a
  // header, a block further out, and ranges the head itself names.
  CheckAnswer(head, 0, 65536);
  CheckAnswer(head, 65536, 1000000);
  CheckAnswer(head, 1u << 30, 65536);
  if (head.content_range && !head.content_range->unsatisfied) {
    const ContentRange& cr = *head.content_range;
    CheckAnswer(head, cr.first, cr.last - cr.first + 1);
    if (cr.last < UINT64_MAX) CheckAnswer(head, cr.first, cr.last - cr.first + 2);
  }
  CheckListing(text);
  return 0;
}
