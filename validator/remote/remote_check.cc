#include "remote_check.h"

#include <atomic>
#include <cstring>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "checkpoint_internal.h"
#include "finding_sink.h"
#include "hub_listing.h"
#include "model_file.h"
#include "pipeline.h"
#include "remote_source.h"
#include "run_in_order.h"
#include "scan_walk.h"
#include "str_cat.h"

namespace stguard::remote {
namespace {

using internal::NameRole;
using internal::StrCat;

// The run's clients, each one connection (per host) kept open: a file
// takes one for as long as it is read and gives it back, so a run with N
// jobs opens about N connections however many files it checks.
class ClientPool {
 public:
  explicit ClientPool(const HttpOptions& options) : options_(options) {}

  class Lease {
   public:
    Lease(ClientPool& pool, std::unique_ptr<HttpClient> client)
        : pool_(&pool), client_(std::move(client)) {}
    Lease(Lease&& other) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (client_) pool_->Return(std::move(client_));
    }
    HttpClient& operator*() const { return *client_; }

   private:
    ClientPool* pool_;
    std::unique_ptr<HttpClient> client_;
  };

  Lease Take() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (free_.empty()) return Lease(*this, std::make_unique<HttpClient>(options_));
    std::unique_ptr<HttpClient> client = std::move(free_.back());
    free_.pop_back();
    return Lease(*this, std::move(client));
  }

 private:
  void Return(std::unique_ptr<HttpClient> client) {
    std::lock_guard<std::mutex> lock(mutex_);
    free_.push_back(std::move(client));
  }

  const HttpOptions& options_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<HttpClient>> free_;
};

struct Context {
  const Policy& policy;
  const RemoteOptions& options;
  ClientPool& pool;
};

std::string LastSegment(std::string_view url) {
  const size_t query = url.find_first_of("?#");
  if (query != std::string_view::npos) url = url.substr(0, query);
  const size_t slash = url.rfind('/');
  return std::string(slash == std::string_view::npos ? url : url.substr(slash + 1));
}

ScannedFile IoError(std::string path, std::string error, uint64_t fetched) {
  ScannedFile f;
  f.path = std::move(path);
  f.io_ok = false;
  f.io_error = std::move(error);
  f.fetched_bytes = fetched;
  return f;
}

// A whole body, handed to ValidateStream: the transfer runs on a thread of
// its own and queues at most kQueueBytes ahead of the validator.
class BodyStream {
 public:
  static constexpr size_t kQueueBytes = 8u << 20;

  BodyStream(HttpClient& client, std::string url) : client_(client), url_(std::move(url)) {
    thread_ = std::thread([this] { Run(); });
  }
  ~BodyStream() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      cancelled_ = true;
    }
    changed_.notify_all();
    thread_.join();
  }
  int64_t Read(char* out, size_t capacity) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return !chunks_.empty() || done_; });
    if (chunks_.empty()) return error_.empty() ? 0 : -1;
    std::string& front = chunks_.front();
    const size_t n = std::min(capacity, front.size() - front_used_);
    std::memcpy(out, front.data() + front_used_, n);
    front_used_ += n;
    queued_ -= n;
    if (front_used_ == front.size()) {
      chunks_.pop_front();
      front_used_ = 0;
    }
    changed_.notify_all();
    return static_cast<int64_t>(n);
  }
  std::string error() {
    std::lock_guard<std::mutex> lock(mutex_);
    return error_;
  }
  uint64_t fetched() {
    std::lock_guard<std::mutex> lock(mutex_);
    return fetched_;
  }

 private:
  void Run() {
    const HeadCheck check = [](const ResponseHead&) { return true; };
    const BodySink sink = [&](const char* data, size_t size) {
      std::unique_lock<std::mutex> lock(mutex_);
      changed_.wait(lock, [&] { return queued_ < kQueueBytes || cancelled_; });
      if (cancelled_) return false;
      chunks_.emplace_back(data, size);
      queued_ += size;
      fetched_ += size;
      changed_.notify_all();
      return true;
    };
    const HttpResult result = client_.Get(url_, std::nullopt, check, sink);
    std::lock_guard<std::mutex> lock(mutex_);
    if (!cancelled_) {
      if (!result.ok) {
        error_ = result.error;
      } else if (result.head.status != 200) {
        error_ = StrCat("HTTP status ", result.head.status);
      }
    }
    done_ = true;
    changed_.notify_all();
  }

  HttpClient& client_;
  std::string url_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::string> chunks_;
  size_t front_used_ = 0;
  size_t queued_ = 0;
  uint64_t fetched_ = 0;
  bool done_ = false, cancelled_ = false;
  std::string error_;
  std::thread thread_;
};

// The stream validator over the whole body (--deep, or a server that
// ignores ranges and gives no size).
ScannedFile StreamCheck(const Context& ctx, const std::string& url) {
  ScannedFile f;
  f.path = url;
  FileReport file;
  uint64_t fetched = 0;
  std::string error;
  {
    const ClientPool::Lease client = ctx.pool.Take();
    BodyStream body(*client, url);
    file = ValidateStream([&](char* out, size_t capacity) { return body.Read(out, capacity); },
                          ctx.policy, ctx.options.validate);
    error = body.error();
    fetched = body.fetched();
  }
  f.fetched_bytes = fetched;
  if (!file.io_ok || !error.empty()) {
    return IoError(url, error.empty() ? file.io_error : error, fetched);
  }
  f.report = std::move(file.report);
  f.report.tensors.clear();
  return f;
}

// A safetensors file from an open source.
ScannedFile ValidateOpen(const Context& ctx, const std::string& url, RemoteSource& source,
                         const internal::TableVisitor* visitor = nullptr) {
  ScannedFile f;
  f.path = url;
  const bool read = internal::ValidateSource(source, ctx.policy, ctx.options.validate, nullptr,
                                             f.report, visitor);
  f.fetched_bytes = source.fetched();
  if (!read || !source.Unchanged()) return IoError(url, source.error(), source.fetched());
  f.report.tensors.clear();
  return f;
}

ScannedFile JudgeSafetensors(const Context& ctx, const std::string& url) {
  if (ctx.options.validate.deep_scan) return StreamCheck(ctx, url);
  const ClientPool::Lease client = ctx.pool.Take();
  RemoteSource source(*client, url);
  if (!source.Open()) {
    if (source.needs_stream()) return StreamCheck(ctx, url);
    return IoError(url, source.error(), source.fetched());
  }
  return ValidateOpen(ctx, url, source);
}

// Another model file, judged from the bytes a local check reads; nullopt
// when it holds no model.
std::optional<ScannedFile> JudgeModel(const Context& ctx, const std::string& url, bool named) {
  std::optional<ClientPool::Lease> client(ctx.pool.Take());
  RemoteSource source(**client, url);
  if (!source.Open()) return IoError(url, source.error(), source.fetched());
  ScannedFile f;
  f.path = url;
  f.role = FileRole::kModelFile;
  internal::FindingSink sink(ctx.options.validate.max_findings_per_code, source.size());
  internal::ModelFileKind kind = internal::ModelFileKind::kNotModel;
  bool read = false;
  try {
    read = internal::JudgeModelFile(source, ctx.policy, named, sink, kind);
  } catch (const std::bad_alloc&) {
    read = true;
    sink.Error(Code::kResourceExhausted, 0, "out of memory while reading the file");
    kind = internal::ModelFileKind::kPickle;
  }
  if (!read || !source.Unchanged()) return IoError(url, source.error(), source.fetched());
  if (kind == internal::ModelFileKind::kNotModel) return std::nullopt;
  if (kind == internal::ModelFileKind::kSafetensors) {
    if (ctx.options.validate.deep_scan) {
      client.reset();
      return StreamCheck(ctx, url);
    }
    return ValidateOpen(ctx, url, source);
  }
  f.report.file_size = source.size();
  f.report.verdict = sink.has_error() ? Verdict::kReject : Verdict::kAccept;
  f.report.findings = sink.Finish();
  f.fetched_bytes = source.fetched();
  return f;
}

// A source another object owns, lent to the checkpoint checker (which
// destroys what OpenIndex gives it before the index's bytes are counted).
class BorrowedSource final : public internal::ByteSource {
 public:
  explicit BorrowedSource(internal::ByteSource& source) : source_(source) {}
  uint64_t size() const override { return source_.size(); }
  bool ReadAt(uint64_t offset, uint64_t length, char* out) override {
    return source_.ReadAt(offset, length, out);
  }
  std::string error() const override { return source_.error(); }
  bool Unchanged() override { return source_.Unchanged(); }

 private:
  internal::ByteSource& source_;
};

// A checkpoint served over HTTP: shard names resolved against the index's
// URL (plain relative names only), and, for a Hub repository, against its
// listing.
class RemoteCheckpointFiles final : public internal::CheckpointFiles {
 public:
  RemoteCheckpointFiles(const Context& ctx, std::string index_url, std::string base_url,
                        std::string dir_in_repo, const std::set<std::string>* listed)
      : ctx_(ctx), index_url_(std::move(index_url)), base_url_(std::move(base_url)),
        dir_in_repo_(std::move(dir_in_repo)), listed_(listed) {}

  std::unique_ptr<internal::ByteSource> OpenIndex(std::string& error) override {
    index_ = std::make_unique<RemoteSource>(*index_client_, index_url_);
    if (!index_->Open()) {
      error = index_->needs_stream()
                  ? std::string("the server ignored the range request and sent no size")
                  : index_->error();
      return nullptr;
    }
    return std::make_unique<BorrowedSource>(*index_);
  }
  std::string Prepare() override { return {}; }
  internal::ShardTarget Resolve(const std::string& name) override {
    internal::ShardTarget t;
    if (!IsSafeRepoPath(name)) {
      t.why = "shard name is not a plain relative path (empty, absolute, '.', '..', a "
              "backslash or a control character): not fetched";
      return t;
    }
    const std::string in_repo = dir_in_repo_.empty() ? name : StrCat(dir_in_repo_, "/", name);
    if (listed_ != nullptr && listed_->count(in_repo) == 0) {
      t.code = Code::kShardMissing;
      t.why = "shard file is not in the repository's listing";
      return t;
    }
    t.why.clear();
    t.real_path = StrCat(base_url_, PercentEncode(name, true));
    const auto [it, added] = ids_.emplace(in_repo, ids_.size() + 1);
    t.file = internal::FileId{0, it->second};
    return t;
  }
  std::string ShardPath(const std::string& name) override {
    return StrCat(base_url_, PercentEncode(name, true));
  }
  FileReport Validate(const std::string& locator, const Policy& policy,
                      const ValidateOptions& options,
                      const internal::TableVisitor& visitor) override {
    const ClientPool::Lease client = ctx_.pool.Take();
    RemoteSource source(*client, locator);
    FileReport out;
    if (source.Open()) {
      out.io_ok =
          internal::ValidateSource(source, policy, options, nullptr, out.report, &visitor) &&
          source.Unchanged();
    }
    if (!out.io_ok) out.io_error = source.error();
    std::lock_guard<std::mutex> lock(mutex_);
    fetched_[locator] = source.fetched();
    return out;
  }
  uint64_t index_fetched() const { return index_ ? index_->fetched() : 0; }
  uint64_t fetched(const std::string& locator) {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto it = fetched_.find(locator);
    return it == fetched_.end() ? 0 : it->second;
  }

 private:
  const Context& ctx_;
  const ClientPool::Lease index_client_ = ctx_.pool.Take();
  std::string index_url_, base_url_, dir_in_repo_;
  const std::set<std::string>* listed_;
  std::map<std::string, uint64_t> ids_;
  std::unique_ptr<RemoteSource> index_;
  std::mutex mutex_;
  std::map<std::string, uint64_t> fetched_;
};

// One file to judge.
struct Task {
  std::string url;
  NameRole role = NameRole::kOther;
  bool explicit_name = false;  // given as an argument: judged by its name
  // An index: where its shards are, and the listing they must be in.
  std::string base_url, dir_in_repo;
  const std::set<std::string>* listed = nullptr;
  std::string problem;  // set: not judged, reported unreadable
};

// Checks one index and its shards; the files it covered are added to `covered` (repository paths).
void CheckIndex(const Context& ctx, const Task& task, internal::IndexFanIn& fan_in,
                std::set<std::string>& covered_urls,
                const std::function<void(ScannedFile&&)>& out) {
  RemoteCheckpointFiles files(ctx, task.url, task.base_url, task.dir_in_repo, task.listed);
  CheckpointOptions options;
  options.validate = ctx.options.validate;
  options.jobs = ctx.options.jobs;
  CheckpointReport checkpoint = internal::CheckCheckpoint(files, ctx.policy, options, &fan_in);
  ScannedFile index = internal::IndexFile(task.url, checkpoint);
  index.fetched_bytes = files.index_fetched();
  out(std::move(index));
  for (ShardReport& shard : checkpoint.shards) {
    if (!shard.checked) continue;  // the index's findings say why
    ScannedFile f;
    f.path = shard.path;
    f.role = FileRole::kShard;
    f.index = task.url;
    for (const std::string& name : shard.other_names) {
      f.also_at.push_back(StrCat(task.base_url, PercentEncode(name, true)));
    }
    f.report = std::move(shard.report);
    f.report.tensors.clear();
    f.fetched_bytes = files.fetched(shard.path);
    if (covered_urls.insert(shard.path).second) out(std::move(f));
  }
}

}  // namespace

ScanSummary CheckRemote(const std::vector<std::string>& names, const Policy& policy,
                        const RemoteOptions& options,
                        const std::function<void(ScannedFile&&)>& emit) {
  ScanSummary summary;
  HttpOptions http = options.http;
  http.token = options.hf_token;
  http.token_origin = Origin(options.hf_endpoint).value_or("");
  ClientPool pool(http);
  const Context ctx{policy, options, pool};
  const auto out = [&](ScannedFile&& f) {
    ++summary.judged;
    emit(std::move(f));
  };

  // The tasks, in order; Hub listings are read here, one by one.
  std::vector<Task> tasks;
  std::deque<std::set<std::string>> listings;  // stable addresses for the tasks
  for (const std::string& name : names) {
    Task task;
    task.explicit_name = true;
    if (name.substr(0, 5) != "hf://") {
      task.url = name;
      task.role = internal::RoleOfName(LastSegment(name));
      const size_t slash = name.rfind('/');
      task.base_url = name.substr(0, slash + 1);
      tasks.push_back(std::move(task));
      continue;
    }
    std::string error;
    const std::optional<HubName> hub = ParseHubName(name, error);
    if (!hub) {
      task.url = name;
      task.problem = error;
      tasks.push_back(std::move(task));
      continue;
    }
    if (!hub->path.empty()) {
      task.url = HubFileUrl(options.hf_endpoint, *hub, hub->path);
      task.role = internal::RoleOfName(LastSegment(hub->path));
      const size_t slash = hub->path.rfind('/');
      task.dir_in_repo = slash == std::string::npos ? "" : hub->path.substr(0, slash);
      task.base_url = task.url.substr(0, task.url.rfind('/') + 1);
      tasks.push_back(std::move(task));
      continue;
    }
    // The repository's listing.
    const std::string listing_url = HubListingUrl(options.hf_endpoint, *hub);
    std::string body;
    bool too_big = false;
    const HttpResult result = (*pool.Take()).Get(
        listing_url, std::nullopt, nullptr, [&](const char* data, size_t size) {
          if (body.size() + size > kMaxListingBytes) {
            too_big = true;
            return false;
          }
          body.append(data, size);
          return true;
        });
    std::optional<Listing> listing;
    if (!result.ok) {
      error = result.error;
    } else if (too_big) {
      error = StrCat("the listing is larger than ", kMaxListingBytes, " bytes");
    } else if (result.head.status != 200) {
      error = StrCat("HTTP status ", result.head.status,
                     result.head.status == 401 || result.head.status == 404
                         ? " (no such repository or revision, or it needs HF_TOKEN)"
                         : "");
    } else {
      listing = ParseListing(body, error);
    }
    if (!listing) {
      task.url = listing_url;
      task.problem = StrCat("cannot list ", name, ": ", error);
      tasks.push_back(std::move(task));
      continue;
    }
    listings.emplace_back(listing->files.begin(), listing->files.end());
    for (const std::string& file : listing->files) {
      Task t;
      t.url = HubFileUrl(options.hf_endpoint, *hub, file);
      t.role = internal::RoleOfName(LastSegment(file));
      if (t.role == NameRole::kTextOrConfig) {
        ++summary.skipped[static_cast<size_t>(SkipReason::kTextOrConfig)];
        continue;
      }
      const size_t slash = file.rfind('/');
      t.dir_in_repo = slash == std::string::npos ? "" : file.substr(0, slash);
      t.base_url = t.url.substr(0, t.url.rfind('/') + 1);
      t.listed = &listings.back();
      tasks.push_back(std::move(t));
    }
  }

  // Indexes first, each with its shards, as a directory scan does.
  internal::IndexFanIn fan_in;
  std::set<std::string> covered;
  for (const Task& task : tasks) {
    if (task.problem.empty() && task.role == NameRole::kIndex) {
      CheckIndex(ctx, task, fan_in, covered, out);
    }
  }
  std::vector<const Task*> rest;
  for (const Task& task : tasks) {
    if (!task.problem.empty() ||
        (task.role != NameRole::kIndex && covered.count(task.url) == 0)) {
      rest.push_back(&task);
    }
  }
  std::atomic<uint64_t> not_a_model{0};
  ScanOptions scan_options;
  scan_options.jobs = options.jobs;
  const unsigned jobs = EffectiveJobs(scan_options);
  internal::RunInOrder<std::optional<ScannedFile>>(
      rest.size(), jobs,
      [&](size_t k) -> std::optional<ScannedFile> {
        const Task& task = *rest[k];
        if (!task.problem.empty()) return IoError(task.url, task.problem, 0);
        std::optional<ScannedFile> f;
        switch (task.role) {
          case NameRole::kSafetensors: f = JudgeSafetensors(ctx, task.url); break;
          case NameRole::kModelNamed: f = JudgeModel(ctx, task.url, /*named=*/true); break;
          case NameRole::kOther:
          case NameRole::kTextOrConfig:
            f = task.explicit_name ? JudgeSafetensors(ctx, task.url)
                                   : JudgeModel(ctx, task.url, /*named=*/false);
            break;
          case NameRole::kIndex: break;
        }
        if (!f) ++not_a_model;
        return f;
      },
      [&](std::optional<ScannedFile>&& f) {
        if (f) out(std::move(*f));
      });
  summary.skipped[static_cast<size_t>(SkipReason::kNotAModel)] += not_a_model;
  return summary;
}

}  // namespace stguard::remote
