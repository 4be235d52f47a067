#include "remote_source.h"

#include <algorithm>
#include <cstring>

#include "checked_math.h"
#include "stguard/policy.h"
#include "str_cat.h"

namespace stguard::remote {
namespace {

using internal::CheckedAdd;
using internal::StrCat;

// The head grows contiguously up to this (a header at the 100,000,000-byte
// ceiling plus the prefix and a block); a read further out is a block.
constexpr uint64_t kMaxHeadBytes = kMaxHeaderBytesCeiling + 8 + kBlockBytes;

}  // namespace

void RemoteSource::SetError(std::string error) {
  if (error_.empty()) error_ = std::move(error);
}

std::string RemoteSource::error() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return error_;
}

uint64_t RemoteSource::fetched() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return fetched_;
}

bool RemoteSource::Unchanged() {
  std::lock_guard<std::mutex> lock(mutex_);
  return !changed_;
}

void RemoteSource::FetchTarget::Append(const char* data, size_t length) {
  if (keep != nullptr) {
    keep->append(data, length);
  } else {
    std::memcpy(buffer + written, data, length);
    written += length;
  }
}

bool RemoteSource::Fetch(uint64_t offset, uint64_t length, FetchTarget into, bool opening) {
  if (length == 0) return true;
  RangeAnswer answer;
  uint64_t skip = 0;        // bytes of a whole body before `offset`
  uint64_t wanted = length;  // bytes to keep
  const size_t kept_before = into.size();
  std::string problem;
  const HeadCheck check = [&](const ResponseHead& head) {
    answer = JudgeRangeResponse(head, offset, length);
    if (answer.kind == RangeAnswer::kError) {
      problem = answer.error;
      return false;
    }
    if (answer.kind == RangeAnswer::kWholeBody) {
      if (!answer.total_known) {
        if (opening) needs_stream_ = true;
        problem = "the server ignored the range request and sent no Content-Length";
        return false;
      }
      skip = offset;
    }
    const uint64_t total = answer.total;
    if (opening) {
      size_ = total;
      etag_ = head.etag;
      ranges_ignored_ = answer.kind == RangeAnswer::kWholeBody;
    } else if (total != size_ || (!etag_.empty() && !head.etag.empty() && head.etag != etag_)) {
      changed_ = true;
      problem = StrCat("the file changed while it was checked (its size was ", size_,
                       " bytes, the server now says ", total,
                       head.etag != etag_ ? " and its ETag changed)" : ")");
      return false;
    }
    // Clip to the file's end.
    wanted = offset >= total ? 0 : std::min(length, total - offset);
    if (answer.kind == RangeAnswer::kRange && answer.body_bytes != wanted) {
      problem = "the server's range does not match the file's size";
      return false;
    }
    into.Reserve(kept_before + wanted);
    return wanted > 0;
  };
  uint64_t seen = 0;  // body bytes received
  const BodySink sink = [&](const char* data, size_t size) {
    const uint64_t at = seen;
    seen += size;
    if (answer.kind == RangeAnswer::kRange && seen > answer.body_bytes) {
      problem = "the server sent more bytes than its Content-Range says";
      return false;
    }
    // The part of [at, seen) that lies in [skip, skip + wanted).
    const uint64_t from = std::max(at, skip);
    const uint64_t to = std::min(seen, skip + wanted);
    if (from < to) into.Append(data + (from - at), static_cast<size_t>(to - from));
    // A whole body is read only as far as needed (stopping a transfer
    // closes its connection: a range's body is read to its end).
    return answer.kind != RangeAnswer::kWholeBody || into.size() - kept_before < wanted;
  };
  const HttpResult result = client_.Get(url_, std::make_pair(offset, offset + length - 1), check, sink);
  fetched_ += seen;
  // The report names the file's URL already; where a redirect led is news,
  // but only its origin: a storage host's URL may carry a signature that
  // grants access to the file for a while.
  const std::string where =
      result.url.empty() || result.url == url_
          ? std::string()
          : StrCat(" (at ", Origin(result.url).value_or("another host"), ", after a redirect)");
  if (!result.ok) {
    SetError(StrCat(result.error, where));
    return false;
  }
  if (!problem.empty()) {
    SetError(StrCat(problem, where));
    return false;
  }
  if (result.head.status != 200 && result.head.status != 206) {
    const RangeAnswer judged = JudgeRangeResponse(result.head, offset, length);
    if (opening && judged.kind == RangeAnswer::kEmptyFile) {
      size_ = 0;
      return true;
    }
    SetError(StrCat(judged.error.empty() ? StrCat("HTTP status ", result.head.status)
                                         : judged.error,
                    where));
    return false;
  }
  if (into.size() - kept_before != wanted) {
    SetError(StrCat("the body ended after ", into.size() - kept_before, " of ", wanted,
                    " bytes (a short body)"));
    return false;
  }
  return true;
}

bool RemoteSource::Open(uint64_t first_bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  return Fetch(0, first_bytes, FetchTarget{&head_}, /*opening=*/true);
}

bool RemoteSource::ReadAt(uint64_t offset, uint64_t length, char* out) {
  std::lock_guard<std::mutex> lock(mutex_);
  const std::optional<uint64_t> end = CheckedAdd(offset, length);
  if (!end || *end > size_) {
    SetError("read past the end of the file");
    return false;
  }
  if (length == 0) return true;
  if (*end > head_.size() && offset <= head_.size() && *end <= kMaxHeadBytes) {
    // The header, past the first fetch: exactly the bytes missing, written
    // straight into the caller's buffer. The pipeline holds the header;
    // keeping a copy here too doubled the peak (392 MB against 300 for a
    // local file at the 100,000,000-byte limit, tests/complexity/memory_test.py).
    const uint64_t held = head_.size() - offset;
    std::memcpy(out, head_.data() + offset, static_cast<size_t>(held));
    return Fetch(head_.size(), *end - head_.size(), FetchTarget{nullptr, out + held}, false);
  }
  if (*end <= head_.size()) {
    std::memcpy(out, head_.data() + offset, length);
    return true;
  }
  if (offset < block_offset_ || *end > block_offset_ + block_.size()) {
    block_.clear();
    block_offset_ = offset;
    const uint64_t want = std::min(std::max(length, kBlockBytes), size_ - offset);
    if (!Fetch(offset, want, FetchTarget{&block_}, false)) {
      block_.clear();
      return false;
    }
  }
  std::memcpy(out, block_.data() + (offset - block_offset_), length);
  return true;
}

}  // namespace stguard::remote
