// Sharded checkpoints: the index is read in one streaming pass into a
// compact table (index_reader.cc); each shard file it names is resolved as
// a loader resolves it (os.path.join(index directory, name)), refused when
// it leads outside the root, validated once however many names lead to it,
// and cross-checked against the index while its tensor table is alive: the
// table is then released, so memory holds the index's table plus the shards
// being validated, never every shard's table.
#include "stguard/checkpoint.h"

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "checked_math.h"
#include "checkpoint_internal.h"
#include "file_roots.h"
#include "file_source.h"
#include "finding_sink.h"
#include "header_buffer.h"
#include "index_reader.h"
#include "pipeline.h"
#include "str_cat.h"
#include "tensor_names.h"
#include "tensor_table.h"
#include "work_counter.h"

namespace stguard {
namespace {

using internal::FileId;
using internal::FindingSink;
using internal::ListedTensor;
using internal::StrCat;

using Resolved = internal::ShardTarget;

Resolved Resolve(const std::string& dir, const std::string& name, const std::string& root) {
  Resolved r;
  if (name.empty() || name == "." || name == ".." || name.back() == '/') {
    r.why = "shard name does not name a file";
    return r;
  }
  if (name.find('\0') != std::string::npos) {
    r.why = "shard name holds a NUL byte";
    return r;
  }
  if (name.front() == '/') {
    r.why = "shard name is an absolute path (os.path.join would drop the index's directory)";
    return r;
  }
  if (name.find('\\') != std::string::npos) {
    r.why = "shard name holds a backslash, a separator to Windows loaders";
    return r;
  }
  const std::string path = dir == "/" ? StrCat("/", name) : StrCat(dir, "/", name);
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) {
    // Not there: still say so when the name itself climbs out of the root.
    namespace fs = std::filesystem;
    std::error_code ec;
    const std::string lexical = fs::absolute(fs::path(path), ec).lexically_normal().string();
    if (!ec && !internal::IsInside(lexical, root)) {
      r.why = StrCat("shard name leads outside the root ", root);
      return r;
    }
    r.code = Code::kShardMissing;
    r.why = "shard file does not exist";
    return r;
  }
  const std::optional<std::string> real = internal::RealPath(path);
  if (!real) {
    r.code = Code::kShardMissing;
    r.why = "shard is a symlink to a file that does not exist";
    return r;
  }
  if (!internal::IsInside(*real, root)) {
    r.why = StrCat(S_ISLNK(st.st_mode) ? "shard is a symlink leading outside the root "
                                       : "shard name leads outside the root ",
                   root);
    return r;
  }
  if (::stat(real->c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    r.code = Code::kShardMissing;
    r.why = "shard is not a regular file";
    return r;
  }
  r.why.clear();
  r.real_path = *real;
  r.file = FileId{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)};
  return r;
}

// One distinct shard file and what the cross-check learned of it.
struct ShardFile {
  std::string real_path;
  size_t report = 0;  // index in CheckpointReport::shards
  bool has_table = false;
  bool over_fan_in = false;  // not read: too many indexes name it
  std::string io_error;
};

class Checker {
 public:
  Checker(internal::CheckpointFiles& files, const Policy& policy, const CheckpointOptions& options,
          internal::IndexFanIn* fan_in, CheckpointReport& out)
      : files_source_(files), policy_(policy), options_(options), fan_in_(fan_in), out_(out) {}

  void Run() {
    std::string open_error;
    const std::unique_ptr<internal::ByteSource> opened = files_source_.OpenIndex(open_error);
    if (!opened) {
      out_.index_io_error = std::move(open_error);
      return;
    }
    internal::ByteSource& source = *opened;
    out_.index_io_ok = true;
    const uint64_t size = source.size();
    out_.index_size = size;
    FindingSink sink(options_.validate.max_findings_per_code, size);
    sink_ = &sink;
    if (size > kMaxHeaderBytesCeiling) {
      sink.Error(Code::kIndexInvalid, 0, "index larger than 100,000,000 bytes");
    } else {
      internal::HeaderBuffer text;
      if (!text.Allocate(size)) {
        sink.Error(Code::kResourceExhausted, 0, "cannot allocate the index buffer");
      } else if (!source.ReadAt(0, size, text.data())) {
        out_.index_io_ok = false;
        out_.index_io_error = source.error();
        return;
      } else {
        internal::IndexContent index(std::string_view(text.data(), size));
        const bool usable = internal::ReadIndex(index.text(), policy_, sink, index);
        // The index read must be the index that is there.
        if (!source.Unchanged()) {
          out_.index_io_ok = false;
          out_.index_io_error = source.error();
          return;
        }
        out_.listed_tensors = index.tensors.size();
        if (usable) CheckShards(index);
      }
    }
    out_.verdict = sink.has_error() ? Verdict::kReject : Verdict::kAccept;
    out_.findings = sink.Finish();
    for (const ShardReport& shard : out_.shards) {
      if (shard.checked && shard.report.verdict == Verdict::kReject) {
        out_.verdict = Verdict::kReject;
      }
    }
  }

 private:
  void CheckShards(internal::IndexContent& index) {
    if (const std::string why = files_source_.Prepare(); !why.empty()) {
      sink_->Error(Code::kShardMissing, index.weight_map_pos, why);
      return;
    }
    // Shard names sorted, each resolved; names leading to one file share it.
    std::vector<uint16_t> by_name(index.shard_names.size());
    for (size_t i = 0; i < by_name.size(); ++i) by_name[i] = static_cast<uint16_t>(i);
    std::sort(by_name.begin(), by_name.end(), [&](uint16_t a, uint16_t b) {
      return index.shard_names[a] < index.shard_names[b];
    });
    shard_file_.assign(index.shard_names.size(), internal::kNoShardFile);
    std::map<FileId, uint16_t> file_of;
    bool every_name_resolved = true;
    for (const uint16_t id : by_name) {
      const std::string& name = index.shard_names[id];
      const uint32_t pos = index.shard_first_pos[id];
      const Resolved r = files_source_.Resolve(name);
      if (!r.why.empty()) {
        every_name_resolved = false;
        sink_->Error(r.code, pos, r.why);
        ShardReport shard;
        shard.file_name = name;
        shard.path = files_source_.ShardPath(name);
        out_.shards.push_back(std::move(shard));
        continue;
      }
      const auto [it, added] = file_of.emplace(r.file, static_cast<uint16_t>(files_.size()));
      shard_file_[id] = it->second;
      if (!added) {
        out_.shards[files_[it->second].report].other_names.push_back(name);
        continue;
      }
      ShardReport shard;
      shard.file_name = name;
      shard.path = files_source_.ShardPath(name);
      shard.device = r.file.device;
      shard.inode = r.file.inode;
      ShardFile file;
      file.real_path = r.real_path;
      file.report = out_.shards.size();
      files_.push_back(std::move(file));
      first_pos_.push_back(pos);
      out_.shards.push_back(std::move(shard));
    }
    ValidateFiles(index);
    // Listed tensors their shard file does not hold.
    for (ListedTensor& t : index.tensors) {
      if (t.shadowed) continue;
      const uint16_t file = shard_file_[t.shard];
      if (file == internal::kNoShardFile || !files_[file].has_table || t.held_by_named) continue;
      sink_->AddAction(Code::kIndexTensorMissing, policy_.index_consistency, t.key_pos,
                       index.Name(t),
                       sink_->Wants(Code::kIndexTensorMissing)
                           ? StrCat("weight_map puts this tensor in ", index.shard_names[t.shard],
                                    ", which does not hold it")
                           : std::string());
    }
    // Totals, when every shard's table is known.
    if (!every_name_resolved) return;
    for (const ShardFile& f : files_) {
      if (!f.has_table) return;
    }
    const auto held = [](bool overflow, uint64_t total, const char* unit) {
      return overflow ? StrCat("more than 2^64-1 ", unit) : StrCat(total, " ", unit);
    };
    if (index.total_size && (bytes_overflow_ || *index.total_size != bytes_)) {
      sink_->AddAction(Code::kIndexTotalMismatch, policy_.index_total_size, index.total_size_pos,
                       std::nullopt,
                       StrCat("metadata.total_size is ", *index.total_size,
                              ", the shards' tensors hold ", held(bytes_overflow_, bytes_, "bytes")));
    }
    if (index.total_parameters && (elements_overflow_ || *index.total_parameters != elements_)) {
      sink_->AddAction(Code::kIndexTotalMismatch, policy_.index_total_size,
                       index.total_parameters_pos, std::nullopt,
                       StrCat("metadata.total_parameters is ", *index.total_parameters,
                              ", the shards' tensors hold ",
                              held(elements_overflow_, elements_, "elements")));
    }
  }

  // Validates the shard files on up to `jobs` threads; each one's table is
  // cross-checked in file order (so the findings kept do not depend on the
  // threads), while it is alive.
  void ValidateFiles(internal::IndexContent& index) {
    std::atomic<size_t> next{0};
    size_t turn = 0;
    std::mutex mutex;
    std::condition_variable turned;
    const auto wait_turn = [&](size_t i) {
      std::unique_lock<std::mutex> lock(mutex);
      turned.wait(lock, [&] { return turn == i; });
    };
    const auto end_turn = [&] {
      {
        std::lock_guard<std::mutex> lock(mutex);
        ++turn;
      }
      turned.notify_all();
    };
    const auto work = [&] {
      for (size_t i = next++; i < files_.size(); i = next++) {
        ShardFile& file = files_[i];
        ShardReport& shard = out_.shards[file.report];
        if (fan_in_ != nullptr && !fan_in_->Admit(FileId{shard.device, shard.inode})) {
          file.over_fan_in = true;
          wait_turn(i);
          end_turn();
          continue;
        }
        bool visited = false;
        const internal::TableVisitor visit = [&](const internal::TensorTable& table) {
          wait_turn(i);
          visited = true;
          file.has_table = true;
          CrossCheck(index, static_cast<uint16_t>(i), table);
          end_turn();
        };
        FileReport result =
            files_source_.Validate(file.real_path, policy_, options_.validate, visit);
        if (!visited) {
          wait_turn(i);
          end_turn();
        }
        file.io_error = std::move(result.io_error);
        if (result.io_ok) {
          shard.checked = true;
          shard.report = std::move(result.report);
        }
      }
    };
    const unsigned jobs =
        std::max(1u, std::min<unsigned>(options_.jobs, static_cast<unsigned>(files_.size())));
    std::vector<std::thread> threads;
    for (unsigned t = 1; t < jobs; ++t) threads.emplace_back(work);
    work();
    for (std::thread& t : threads) t.join();
    // What each file's own validation says, in file order.
    for (size_t i = 0; i < files_.size(); ++i) {
      const ShardReport& shard = out_.shards[files_[i].report];
      if (files_[i].over_fan_in) {
        sink_->Error(Code::kCheckpointFanOut, first_pos_[i],
                     StrCat("shard file ", shard.file_name, " is named by more than ",
                            internal::kMaxIndexesPerShardFile,
                            " indexes in this scan: not read again"));
      } else if (!shard.checked) {
        sink_->Error(Code::kShardMissing, first_pos_[i],
                     StrCat("shard cannot be read: ", files_[i].io_error));
      } else if (shard.report.verdict == Verdict::kReject) {
        sink_->Error(Code::kShardRejected, first_pos_[i],
                     StrCat("shard ", shard.file_name, " is rejected"));
      }
    }
  }

  // The tensors shard file `file` holds, against the index.
  void CrossCheck(internal::IndexContent& index, uint16_t file,
                  const internal::TensorTable& table) {
    const std::string& file_name = out_.shards[files_[file].report].file_name;
    const uint64_t at = index.weight_map_pos;
    for (const internal::TensorEntry& e : table.tensors) {
      const std::string_view name = table.Name(e);
      internal::CountWork(1);
      // Totals, as the reference would load the tensors.
      const std::optional<uint64_t> b = internal::CheckedAdd(bytes_, e.end - e.begin);
      const std::optional<uint64_t> n = internal::CheckedAdd(elements_, e.elements);
      bytes_overflow_ |= !b;
      elements_overflow_ |= !n || e.size_overflow;
      bytes_ = b.value_or(0);
      elements_ = n.value_or(0);
      ListedTensor* t = index.Find(name, internal::HashName(name));
      if (t == nullptr) {
        sink_->AddAction(Code::kShardTensorUnlisted, policy_.index_consistency, at, name,
                         sink_->Wants(Code::kShardTensorUnlisted)
                             ? StrCat("tensor in ", file_name, " is not listed in weight_map")
                             : std::string());
        continue;
      }
      const bool named_here = shard_file_[t->shard] == file;
      // Held by a second file: which copy a loader gets depends on the order.
      const uint16_t earlier = t->held_by_named != 0 ? shard_file_[t->shard] : t->other_holder;
      if (earlier != internal::kNoShardFile && earlier != file) {
        sink_->AddAction(Code::kTensorInTwoShards, policy_.index_consistency, at, name,
                         sink_->Wants(Code::kTensorInTwoShards)
                             ? StrCat("tensor held by ",
                                      out_.shards[files_[earlier].report].file_name, " and ",
                                      file_name)
                             : std::string());
      }
      if (named_here) {
        t->held_by_named = 1;
      } else {
        if (t->other_holder == internal::kNoShardFile) t->other_holder = file;
        sink_->AddAction(Code::kShardTensorUnlisted, policy_.index_consistency, at, name,
                         sink_->Wants(Code::kShardTensorUnlisted)
                             ? StrCat("tensor in ", file_name,
                                      " is not listed for it in weight_map (listed for ",
                                      index.shard_names[t->shard], ")")
                             : std::string());
      }
    }
  }

  internal::CheckpointFiles& files_source_;
  const Policy& policy_;
  const CheckpointOptions& options_;
  internal::IndexFanIn* fan_in_;
  CheckpointReport& out_;
  FindingSink* sink_ = nullptr;
  std::vector<ShardFile> files_;
  std::vector<uint32_t> first_pos_;      // per file: where its first name is
  std::vector<uint16_t> shard_file_;     // per shard name: its file, or kNoShardFile
  uint64_t bytes_ = 0, elements_ = 0;
  bool bytes_overflow_ = false, elements_overflow_ = false;
};

// The checkpoint's files on the local file system: shard names resolved
// as a loader resolves them, refused outside the root.
class LocalFiles final : public internal::CheckpointFiles {
 public:
  LocalFiles(const std::string& index_path, const Policy& policy, const CheckpointOptions& options)
      : index_path_(index_path), dir_(internal::DirName(index_path)),
        wanted_root_(!options.root.empty() ? options.root : policy.symlink_root) {}

  std::unique_ptr<internal::ByteSource> OpenIndex(std::string& error) override {
    auto source = std::make_unique<internal::FileSource>();
    if (!source->Open(index_path_)) {
      error = source->error();
      return nullptr;
    }
    return source;
  }
  std::string Prepare() override {
    const std::optional<std::string> root = internal::ResolveRoot(wanted_root_, dir_);
    if (!root) {
      return StrCat("the root ", wanted_root_.empty() ? dir_ : wanted_root_,
                    " does not resolve: no shard is opened");
    }
    root_ = *root;
    return {};
  }
  internal::ShardTarget Resolve(const std::string& name) override {
    return ::stguard::Resolve(dir_, name, root_);
  }
  std::string ShardPath(const std::string& name) override {
    return dir_ == "/" ? StrCat("/", name) : StrCat(dir_, "/", name);
  }
  FileReport Validate(const std::string& locator, const Policy& policy,
                      const ValidateOptions& options,
                      const internal::TableVisitor& visitor) override {
    return internal::ValidateFileVisiting(locator, policy, options, visitor);
  }

 private:
  const std::string& index_path_;
  std::string dir_;
  std::string wanted_root_;
  std::string root_;
};

}  // namespace

namespace internal {

ScannedFile IndexFile(std::string path, CheckpointReport& checkpoint) {
  ScannedFile index;
  index.path = std::move(path);
  index.role = FileRole::kIndex;
  index.io_ok = checkpoint.index_io_ok;
  index.io_error = std::move(checkpoint.index_io_error);
  index.report.verdict = checkpoint.verdict;
  index.report.findings = std::move(checkpoint.findings);
  index.report.file_size = checkpoint.index_size;
  index.report.tensor_count = checkpoint.listed_tensors;
  index.index_shards = checkpoint.shards.size();
  return index;
}

bool IndexFanIn::Admit(const FileId& file) {
  std::lock_guard<std::mutex> lock(mutex_);
  return ++counts_[file] <= kMaxIndexesPerShardFile;
}

CheckpointReport CheckCheckpoint(const std::string& index_path, const Policy& policy,
                                 const CheckpointOptions& options, IndexFanIn* fan_in) {
  LocalFiles files(index_path, policy, options);
  return CheckCheckpoint(files, policy, options, fan_in);
}

CheckpointReport CheckCheckpoint(CheckpointFiles& files, const Policy& policy,
                                 const CheckpointOptions& options, IndexFanIn* fan_in) {
  CheckpointReport out;
  try {
    Checker(files, policy, options, fan_in, out).Run();
  } catch (...) {
    out.verdict = Verdict::kReject;
    out.findings.push_back(Finding{Code::kResourceExhausted, Severity::kError, 0, std::nullopt,
                                   "out of memory while checking the checkpoint"});
  }
  return out;
}

}  // namespace internal

CheckpointReport ValidateCheckpoint(const std::string& index_path, const Policy& policy,
                                    const ValidateOptions& options) {
  CheckpointOptions checkpoint;
  checkpoint.validate = options;
  return internal::CheckCheckpoint(index_path, policy, checkpoint, nullptr);
}

CheckpointReport ValidateCheckpoint(const std::string& index_path, const Policy& policy,
                                    const CheckpointOptions& options) {
  return internal::CheckCheckpoint(index_path, policy, options, nullptr);
}

}  // namespace stguard
