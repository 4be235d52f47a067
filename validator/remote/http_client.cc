#include "http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <thread>

#include "str_cat.h"

namespace stguard::remote {
namespace {

using internal::StrCat;

constexpr uint32_t kMaxHeadLines = 512;
constexpr uint64_t kMaxDiscardedBody = 1u << 20;  // of a response whose body is not used

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

bool IsLoopbackHost(std::string_view host) {
  if (host == "localhost" || host == "::1" || host == "[::1]") return true;
  return host.substr(0, 4) == "127." &&
         std::all_of(host.begin(), host.end(), [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
}

}  // namespace

std::optional<std::string> Origin(const std::string& url, bool* loopback) {
  GlobalInit();
  CURLU* u = curl_url();
  if (u == nullptr) return std::nullopt;
  std::optional<std::string> out;
  char* scheme = nullptr;
  char* host = nullptr;
  char* port = nullptr;
  if (curl_url_set(u, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK) {
    const std::string s = scheme;
    if (s == "http" || s == "https") {
      out = StrCat(s, "://", host, ":", port);
      if (loopback != nullptr) *loopback = IsLoopbackHost(host);
    }
  }
  curl_free(scheme);
  curl_free(host);
  curl_free(port);
  curl_url_cleanup(u);
  return out;
}

struct HttpClient::Transfer {
  const HeadCheck* check;
  const BodySink* sink;
  HttpResult* out;
  bool head_seen = false;  // the final head was judged (first body byte or end)
  bool pass = false;       // the body goes to the sink
  bool bad_head = false;
  uint64_t discarded = 0;

  static size_t OnHeader(char* data, size_t size, size_t count, void* self) {
    auto* t = static_cast<Transfer*>(self);
    const size_t n = size * count;
    if (t->out->head.lines >= kMaxHeadLines ||
        !FeedHeadLine(std::string_view(data, n), t->out->head)) {
      t->bad_head = true;
      return 0;
    }
    return n;
  }

  // Judges the head once, before the body.
  bool StartBody() {
    if (head_seen) return true;
    head_seen = true;
    const int status = out->head.status;
    pass = status == 200 || status == 206;
    if (pass && *check && !(*check)(out->head)) {
      out->stopped = true;
      return false;
    }
    return true;
  }

  static size_t OnBody(char* data, size_t size, size_t count, void* self) {
    auto* t = static_cast<Transfer*>(self);
    const size_t n = size * count;
    if (!t->StartBody()) return 0;
    if (!t->pass) {
      t->discarded += n;
      return t->discarded > kMaxDiscardedBody ? 0 : n;
    }
    t->out->body_bytes += n;
    if (*t->sink && !(*t->sink)(data, n)) {
      t->out->stopped = true;
      return 0;
    }
    return n;
  }
};

HttpClient::HttpClient(HttpOptions options) : options_(std::move(options)) {
  GlobalInit();
  curl_ = curl_easy_init();
}

HttpClient::~HttpClient() {
  if (curl_ != nullptr) curl_easy_cleanup(static_cast<CURL*>(curl_));
}

bool HttpClient::Once(const std::string& url,
                      std::optional<std::pair<uint64_t, uint64_t>> range, const HeadCheck& check,
                      const BodySink& sink, HttpResult& out) {
  CURL* curl = static_cast<CURL*>(curl_);
  curl_easy_reset(curl);
  out.head = ResponseHead{};
  out.body_bytes = 0;
  out.stopped = false;
  Transfer t{&check, &sink, &out};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);  // followed in Get, hop by hop
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, options_.connect_timeout_seconds);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, options_.stall_timeout_seconds);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "stguard/" STGUARD_VERSION);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &Transfer::OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &Transfer::OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);
  std::string range_text;
  if (range) {
    range_text = StrCat(range->first, "-", range->second);
    curl_easy_setopt(curl, CURLOPT_RANGE, range_text.c_str());
  }
  curl_slist* headers = nullptr;
  std::string authorization;
  if (!options_.token.empty() && Origin(url) == options_.token_origin) {
    authorization = StrCat("Authorization: Bearer ", options_.token);
    headers = curl_slist_append(headers, authorization.c_str());
  }
  if (headers != nullptr) curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  const CURLcode code = curl_easy_perform(curl);
  if (headers != nullptr) curl_slist_free_all(headers);
  // The token's copy is not left in freed memory longer than needed.
  std::fill(authorization.begin(), authorization.end(), '\0');
  long connects = 0;
  if (curl_easy_getinfo(curl, CURLINFO_NUM_CONNECTS, &connects) == CURLE_OK && connects > 0) {
    connections_ += static_cast<uint64_t>(connects);
  }
  if (out.stopped) return true;
  if (t.bad_head) {
    out.error = "the server's response head is not HTTP (or has more than 512 lines)";
    return false;
  }
  if (code != CURLE_OK) {
    out.error = code == CURLE_OPERATION_TIMEDOUT
                    ? StrCat("timed out (no byte for ", options_.stall_timeout_seconds,
                             " s, or no connection within ", options_.connect_timeout_seconds,
                             " s)")
                : code == CURLE_PARTIAL_FILE
                    ? std::string("the body ended before the length the server announced")
                    : StrCat("transfer failed: ", curl_easy_strerror(code));
    return false;
  }
  // A response without a body (a 206 of zero bytes cannot happen; a 200 of
  // an empty file can): judge its head now.
  if (!t.StartBody()) return true;
  out.url = url;
  return true;
}

HttpResult HttpClient::Get(const std::string& url,
                           std::optional<std::pair<uint64_t, uint64_t>> range,
                           const HeadCheck& check, const BodySink& sink) {
  HttpResult out;
  if (curl_ == nullptr) {
    out.error = "cannot start libcurl";
    return out;
  }
  std::string current = url;
  unsigned redirects = 0, retries = 0;
  while (true) {
    bool loopback = false;
    if (!Origin(current, &loopback)) {
      out.error = "not an http or https URL";
      return out;
    }
    if (current.compare(0, 8, "https://") != 0 && !loopback && !options_.allow_http) {
      out.error = redirects > 0 ? "redirected to plain http (use --allow-http to allow it)"
                                : "plain http to a host that is not loopback (use --allow-http)";
      return out;
    }
    out.url = current;
    if (!Once(current, range, check, sink, out)) return out;
    if (out.stopped) {
      out.ok = true;
      return out;
    }
    const int status = out.head.status;
    if (IsRedirectStatus(status)) {
      char* next = nullptr;
      curl_easy_getinfo(static_cast<CURL*>(curl_), CURLINFO_REDIRECT_URL, &next);
      if (next == nullptr) {
        out.error = StrCat("HTTP status ", status, " without a usable Location");
        return out;
      }
      if (++redirects > options_.max_redirects) {
        out.error = StrCat("more than ", options_.max_redirects, " redirects");
        return out;
      }
      current = next;
      continue;
    }
    if (IsRetryableStatus(status) && retries < options_.max_retries) {
      uint64_t wait_ms = options_.first_backoff_ms << retries;
      if (out.head.retry_after_seconds) {
        wait_ms = std::max<uint64_t>(wait_ms, std::min<uint64_t>(*out.head.retry_after_seconds,
                                                                 options_.max_wait_seconds) *
                                                  1000);
      }
      wait_ms = std::min<uint64_t>(wait_ms, options_.max_wait_seconds * 1000);
      ++retries;
      std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms));
      continue;
    }
    out.ok = true;
    return out;
  }
}

}  // namespace stguard::remote
