// HTTP GETs with libcurl for remote checks: one easy handle per client, so
// a client used by one job reuses its connection across the files it
// checks. Redirects are followed here, not by libcurl, so that each hop is
// checked (https only, unless the host is loopback or --allow-http; at
// most kMaxRedirects) and the token goes only to the origin it is for.
// 408/429/5xx are asked again with exponential backoff (Retry-After
// honoured up to a cap). TLS is verified (libcurl's default, never turned
// off); proxies come from the environment as libcurl reads them.
#ifndef STGUARD_REMOTE_HTTP_CLIENT_H_
#define STGUARD_REMOTE_HTTP_CLIENT_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "content_range.h"

namespace stguard::remote {

struct HttpOptions {
  bool allow_http = false;        // plain http to hosts other than loopback
  long connect_timeout_seconds = 15;
  // A transfer slower than 1 byte/s for this long is abandoned.
  long stall_timeout_seconds = 30;
  unsigned max_retries = 4;
  unsigned max_redirects = 10;
  uint64_t first_backoff_ms = 250;    // doubled at each retry
  uint64_t max_wait_seconds = 20;     // Retry-After and backoff are capped here
  // Sent as "Authorization: Bearer TOKEN" on requests to token_origin
  // ("https://huggingface.co:443", see Origin) and to no other.
  std::string token;
  std::string token_origin;
};

// "scheme://host:port" of an absolute http(s) URL (the port always
// written), or nullopt when it is not one. `loopback` says whether the host
// is localhost, 127.0.0.0/8 or ::1.
std::optional<std::string> Origin(const std::string& url, bool* loopback = nullptr);

struct HttpResult {
  bool ok = false;     // a final response was read (whatever its status), or the sink stopped it
  std::string error;   // when !ok
  ResponseHead head;   // the final response's
  std::string url;     // the final URL, after redirects
  uint64_t body_bytes = 0;  // body bytes given to the sink
  bool stopped = false;     // the sink asked to stop
};

// Called with the final response's head before its first body byte (only
// for 200 and 206: other statuses' bodies are discarded); false stops the
// transfer (HttpResult::stopped).
using HeadCheck = std::function<bool(const ResponseHead& head)>;
// Body bytes of a 200 or 206 final response; false stops the transfer.
using BodySink = std::function<bool(const char* data, size_t size)>;

class HttpClient {
 public:
  explicit HttpClient(HttpOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // GET `url`, bytes [range->first, range->second] (inclusive) when given.
  HttpResult Get(const std::string& url, std::optional<std::pair<uint64_t, uint64_t>> range,
                 const HeadCheck& check, const BodySink& sink);

  // New connections this client opened so far.
  uint64_t connections() const { return connections_; }

 private:
  struct Transfer;
  bool Once(const std::string& url, std::optional<std::pair<uint64_t, uint64_t>> range,
            const HeadCheck& check, const BodySink& sink, HttpResult& out);

  HttpOptions options_;
  void* curl_ = nullptr;
  uint64_t connections_ = 0;
};

}  // namespace stguard::remote

#endif  // STGUARD_REMOTE_HTTP_CLIENT_H_
