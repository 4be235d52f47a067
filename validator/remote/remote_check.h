// stguard check URL: models judged where they are served, from their
// headers, without downloading them (issue #16). The forms:
//   https://host/path/model.safetensors   (http:// for loopback hosts, or --allow-http)
//   hf://ORG/NAME[@REVISION]              every file the Hub lists for the repository
//   hf://ORG/NAME[@REVISION]/PATH         one file of it
// Each file gets the pipeline and verdict a local file gets: a safetensors
// file from its prefix, header and size (ranges), an index with its shards,
// any other model file named and graded from the bytes it would read
// locally (its first 64 KiB, and for an archive its directory and pickles).
// With --deep a single file's whole body streams through the stream
// validator; shards are read by ranges, chunk by chunk.
#ifndef STGUARD_REMOTE_REMOTE_CHECK_H_
#define STGUARD_REMOTE_REMOTE_CHECK_H_

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "http_client.h"
#include "stguard/policy.h"
#include "stguard/scan.h"

namespace stguard::remote {

struct RemoteOptions {
  HttpOptions http;  // token and token_origin are set from hf_token and hf_endpoint
  // The Hub: HF_ENDPOINT, else https://huggingface.co (no trailing '/').
  std::string hf_endpoint = "https://huggingface.co";
  std::string hf_token;  // HF_TOKEN: sent to hf_endpoint's origin only
  ValidateOptions validate;
  unsigned jobs = 1;  // files checked at once, each job with its own connection
};

// Judges every name (in order; a repository's files in path order, each
// index first with its shards) and calls `emit` for each judged file, its
// path the URL fetched and ScannedFile::fetched_bytes the bytes received.
ScanSummary CheckRemote(const std::vector<std::string>& names, const Policy& policy,
                        const RemoteOptions& options,
                        const std::function<void(ScannedFile&&)>& emit);

}  // namespace stguard::remote

#endif  // STGUARD_REMOTE_REMOTE_CHECK_H_
