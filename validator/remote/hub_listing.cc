#include "hub_listing.h"

#include <simdjson.h>

#include <algorithm>

#include "render.h"
#include "str_cat.h"

namespace stguard::remote {
namespace {

using internal::StrCat;

bool IsIdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '-' || c == '_' || c == '.';
}

bool IsIdSegment(std::string_view s) {
  return !s.empty() && s.size() <= 96 && s != "." && s != ".." &&
         std::all_of(s.begin(), s.end(), IsIdChar);
}

}  // namespace

std::string PercentEncode(std::string_view text, bool keep_slash) {
  // The SARIF writer's encoding (unreserved characters and '/' kept); a '/'
  // in its output is one of the text's.
  const std::string kept = cli::UriEncodePath(text);
  if (keep_slash) return kept;
  std::string out;
  out.reserve(kept.size());
  for (const char c : kept) out += c == '/' ? std::string_view("%2F") : std::string_view(&c, 1);
  return out;
}

bool IsSafeRepoPath(std::string_view path) {
  if (path.empty() || path.size() > 4096 || path.front() == '/' || path.back() == '/') {
    return false;
  }
  for (const char ch : path) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f || c == '\\') return false;
  }
  size_t begin = 0;
  while (begin <= path.size()) {
    size_t end = path.find('/', begin);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view segment = path.substr(begin, end - begin);
    if (segment.empty() || segment == "." || segment == "..") return false;
    begin = end + 1;
  }
  return true;
}

std::optional<HubName> ParseHubName(std::string_view text, std::string& error) {
  constexpr std::string_view kScheme = "hf://";
  if (text.substr(0, kScheme.size()) != kScheme) {
    error = "not an hf:// name";
    return std::nullopt;
  }
  text.remove_prefix(kScheme.size());
  HubName out;
  out.revision = "main";
  const size_t slash = text.find('/');
  if (slash == std::string_view::npos) {
    error = "hf:// names a repository as ORG/NAME (hf://ORG/NAME[@REVISION][/PATH])";
    return std::nullopt;
  }
  const std::string_view org = text.substr(0, slash);
  std::string_view rest = text.substr(slash + 1);
  const size_t name_end = rest.find_first_of("@/");
  const std::string_view name = rest.substr(0, name_end);
  if (!IsIdSegment(org) || !IsIdSegment(name)) {
    error = "the repository id is ORG/NAME, each of letters, digits, '-', '_' and '.'";
    return std::nullopt;
  }
  out.repo_id = StrCat(org, "/", name);
  rest = name_end == std::string_view::npos ? std::string_view() : rest.substr(name_end);
  if (!rest.empty() && rest.front() == '@') {
    rest.remove_prefix(1);
    // A revision with '/' (refs/pr/1) must end the name: no path after it.
    const bool is_ref = rest.substr(0, 5) == "refs/";
    const size_t end = is_ref ? std::string_view::npos : rest.find('/');
    out.revision = std::string(rest.substr(0, end));
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
    if (out.revision.empty() || out.revision.size() > 256 ||
        !std::all_of(out.revision.begin(), out.revision.end(),
                     [](char c) { return IsIdChar(c) || c == '/'; }) ||
        !IsSafeRepoPath(out.revision)) {
      error = "the revision is a branch, tag or commit (letters, digits, '-', '_', '.'; "
              "refs/... last)";
      return std::nullopt;
    }
  }
  if (!rest.empty()) {
    rest.remove_prefix(1);  // '/'
    if (!IsSafeRepoPath(rest)) {
      error = "the path in the repository must be relative, without '.', '..' or empty segments";
      return std::nullopt;
    }
    out.path = std::string(rest);
  }
  return out;
}

std::string HubListingUrl(std::string_view endpoint, const HubName& name) {
  return StrCat(endpoint, "/api/models/", name.repo_id, "/revision/",
                PercentEncode(name.revision, false));
}

std::string HubFileUrl(std::string_view endpoint, const HubName& name, std::string_view path) {
  return StrCat(endpoint, "/", name.repo_id, "/resolve/", PercentEncode(name.revision, false), "/",
                PercentEncode(path, true));
}

std::optional<Listing> ParseListing(std::string_view json, std::string& error) {
  if (json.size() > kMaxListingBytes) {
    error = StrCat("the listing is larger than ", kMaxListingBytes, " bytes");
    return std::nullopt;
  }
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  const simdjson::padded_string padded(json);
  if (parser.parse(padded).get(root) != simdjson::SUCCESS) {
    error = "the listing is not JSON";
    return std::nullopt;
  }
  simdjson::dom::object object;
  if (root.get_object().get(object) != simdjson::SUCCESS) {
    error = "the listing is not a JSON object";
    return std::nullopt;
  }
  Listing out;
  std::string_view sha;
  if (object["sha"].get_string().get(sha) == simdjson::SUCCESS && sha.size() <= 64) {
    out.sha = std::string(sha);
  }
  simdjson::dom::array siblings;
  if (object["siblings"].get_array().get(siblings) != simdjson::SUCCESS) {
    error = "the listing has no \"siblings\" array";
    return std::nullopt;
  }
  for (simdjson::dom::element sibling : siblings) {
    std::string_view name;
    if (sibling["rfilename"].get_string().get(name) != simdjson::SUCCESS) {
      error = "a sibling of the listing has no \"rfilename\" string";
      return std::nullopt;
    }
    if (!IsSafeRepoPath(name)) {
      ++out.refused;
      continue;
    }
    if (out.files.size() >= kMaxListedFiles) {
      error = StrCat("the listing names more than ", kMaxListedFiles, " files");
      return std::nullopt;
    }
    out.files.emplace_back(name);
  }
  std::sort(out.files.begin(), out.files.end());
  out.files.erase(std::unique(out.files.begin(), out.files.end()), out.files.end());
  return out;
}

}  // namespace stguard::remote
