// The Hugging Face Hub's side of a remote check, as pure functions (no
// I/O, fuzzed by fuzz/fuzz_remote_response.cc): the hf:// names stguard
// accepts, the URLs they lead to, and the file listing the Hub API returns.
#ifndef STGUARD_REMOTE_HUB_LISTING_H_
#define STGUARD_REMOTE_HUB_LISTING_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace stguard::remote {

// hf://ORG/NAME[@REVISION][/PATH/IN/REPO]
// (huggingface_hub's HfFileSystem form: the revision follows the repository
// id). The repository id is two segments of [A-Za-z0-9._-]; the revision
// defaults to "main" and may hold '/' only when it is the last part
// (hf://org/name@refs/pr/1); a path, when given, names one file.
struct HubName {
  std::string repo_id;   // "org/name"
  std::string revision;  // "main"
  std::string path;      // "" (the whole repository) or "sub/model.safetensors"
};
// nullopt with `error` set when `text` is not such a name.
std::optional<HubName> ParseHubName(std::string_view text, std::string& error);

// Percent-encodes everything but RFC 3986 unreserved characters; '/' too
// unless keep_slash.
std::string PercentEncode(std::string_view text, bool keep_slash);

// {endpoint}/api/models/{repo_id}/revision/{revision}
std::string HubListingUrl(std::string_view endpoint, const HubName& name);
// {endpoint}/{repo_id}/resolve/{revision}/{path}
std::string HubFileUrl(std::string_view endpoint, const HubName& name, std::string_view path);

// The largest listing read (bytes of JSON). A repository with 100,000
// files lists in about 6 MB.
inline constexpr size_t kMaxListingBytes = 32u << 20;
// The most files a listing may name.
inline constexpr size_t kMaxListedFiles = 200000;

// The files of `json` (the API's answer: {"siblings":[{"rfilename":...}]}),
// sorted, each a relative path a loader would join to the repository
// (names that are empty, absolute, hold "..", ".", a NUL, a backslash or a
// control character are left out and counted in `refused`). nullopt with
// `error` set when the text is not such an answer.
struct Listing {
  std::vector<std::string> files;
  uint64_t refused = 0;
  std::string sha;  // the commit the revision resolved to, when given
};
std::optional<Listing> ParseListing(std::string_view json, std::string& error);

// True for a repository-relative file name the listing keeps.
bool IsSafeRepoPath(std::string_view path);

}  // namespace stguard::remote

#endif  // STGUARD_REMOTE_HUB_LISTING_H_
