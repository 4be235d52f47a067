// The repository scanner: walk (scan_walk.cc), then a plan in which each
// distinct file (device and inode) is judged once, then the judging, on up
// to EffectiveJobs threads, emitted in a stable order.
#include "stguard/scan.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "checkpoint_internal.h"
#include "file_source.h"
#include "finding_sink.h"
#include "model_file.h"
#include "run_in_order.h"
#include "scan_walk.h"
#include "str_cat.h"

namespace stguard {
namespace {

using internal::Candidate;
using internal::FileId;
using internal::NameRole;
using internal::StrCat;

// One file to judge: its paths (the first is the one reported) and how.
struct Planned {
  std::vector<const Candidate*> paths;
  NameRole role = NameRole::kOther;
  bool explicit_path = false;
  size_t order = 0;  // where the walk first met the file
};

// Lower is judged first when names disagree about one file.
int Priority(NameRole role) {
  switch (role) {
    case NameRole::kIndex: return 0;
    case NameRole::kSafetensors: return 1;
    case NameRole::kModelNamed: return 2;
    case NameRole::kOther: return 3;
    case NameRole::kTextOrConfig: return 4;
  }
  return 5;
}

ScannedFile Unreadable(const Candidate& c) {
  ScannedFile f;
  f.path = c.path;
  f.io_ok = false;
  f.io_error = c.problem;
  return f;
}

// A symlink leading outside the root: reported, never opened.
ScannedFile OutsideRoot(const Candidate& c) {
  ScannedFile f;
  f.path = c.path;
  f.role = c.role == NameRole::kIndex ? FileRole::kIndex
           : c.role == NameRole::kSafetensors ? FileRole::kSafetensors
                                              : FileRole::kModelFile;
  internal::FindingSink sink(32, 0);
  sink.Error(Code::kSymlinkOutsideRoot, 0,
             StrCat("symlink leads outside the root ", c.outside_root, ": not opened"));
  f.report.verdict = Verdict::kReject;
  f.report.findings = sink.Finish();
  return f;
}

// A file judged by its bytes, or named as a model file. nullopt when it
// holds no model (skipped).
std::optional<ScannedFile> JudgeModel(const std::string& path, bool named, const Policy& policy,
                                      const ValidateOptions& options) {
  ScannedFile f;
  f.path = path;
  f.role = FileRole::kModelFile;
  internal::FileSource source;
  if (!source.Open(path)) {
    f.io_ok = false;
    f.io_error = source.error();
    return f;
  }
  internal::FindingSink sink(options.max_findings_per_code, source.size());
  internal::ModelFileKind kind = internal::ModelFileKind::kNotModel;
  bool read = false;
  try {
    read = internal::JudgeModelFile(source, policy, named, sink, kind);
  } catch (const std::bad_alloc&) {
    read = true;
    sink.Error(Code::kResourceExhausted, 0, "out of memory while reading the file");
    kind = internal::ModelFileKind::kPickle;
  }
  if (!read) {
    f.io_ok = false;
    f.io_error = source.error();
    return f;
  }
  // The judgment is about the bytes as they were read.
  if (!source.Unchanged()) {
    f.io_ok = false;
    f.io_error = source.error();
    return f;
  }
  if (kind == internal::ModelFileKind::kNotModel) return std::nullopt;
  if (kind == internal::ModelFileKind::kSafetensors) {
    FileReport file = ValidateFile(path, policy, options);
    f.role = FileRole::kSafetensors;
    f.io_ok = file.io_ok;
    f.io_error = std::move(file.io_error);
    f.report = std::move(file.report);
    return f;
  }
  f.report.file_size = source.size();
  f.report.verdict = sink.has_error() ? Verdict::kReject : Verdict::kAccept;
  f.report.findings = sink.Finish();
  return f;
}

ScannedFile JudgeSafetensors(const std::string& path, const Policy& policy,
                             const ValidateOptions& options) {
  ScannedFile f;
  f.path = path;
  FileReport file = ValidateFile(path, policy, options);
  f.io_ok = file.io_ok;
  f.io_error = std::move(file.io_error);
  f.report = std::move(file.report);
  f.report.tensors.clear();
  return f;
}

}  // namespace

std::string_view FileRoleName(FileRole role) {
  switch (role) {
    case FileRole::kSafetensors: return "safetensors";
    case FileRole::kIndex: return "index";
    case FileRole::kShard: return "shard";
    case FileRole::kModelFile: return "model-file";
  }
  return "safetensors";
}

std::string_view SkipReasonText(SkipReason reason) {
  switch (reason) {
    case SkipReason::kTextOrConfig: return "config or text";
    case SkipReason::kNotAModel: return "not a model file";
    case SkipReason::kNotARegularFile: return "not a regular file";
    case SkipReason::kDirectorySymlink: return "symlink to a directory";
    case SkipReason::kGitMetadata: return "under .git";
  }
  return "skipped";
}

std::string_view SkipReasonId(SkipReason reason) {
  switch (reason) {
    case SkipReason::kTextOrConfig: return "text-or-config";
    case SkipReason::kNotAModel: return "not-a-model";
    case SkipReason::kNotARegularFile: return "not-a-regular-file";
    case SkipReason::kDirectorySymlink: return "directory-symlink";
    case SkipReason::kGitMetadata: return "git-metadata";
  }
  return "skipped";
}

unsigned EffectiveJobs(const ScanOptions& options) {
  uint64_t budget = options.memory_budget_bytes;
  if (budget == 0) {
    const long pages = ::sysconf(_SC_PHYS_PAGES);
    const long page_size = ::sysconf(_SC_PAGE_SIZE);
    budget = pages > 0 && page_size > 0
                 ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(page_size) / 2
                 : kPerJobMemoryBytes;
  }
  const uint64_t by_memory = std::max<uint64_t>(1, budget / kPerJobMemoryBytes);
  return static_cast<unsigned>(std::max<uint64_t>(1, std::min<uint64_t>(options.jobs, by_memory)));
}

ScanSummary ScanPaths(const std::vector<std::string>& paths, const Policy& policy,
                      const ScanOptions& options,
                      const std::function<void(ScannedFile&&)>& emit) {
  ScanSummary summary;
  const std::string& root = !options.root.empty() ? options.root : policy.symlink_root;
  internal::WalkResult walk;
  internal::WalkPaths(paths, root, options.walk_filter, walk);
  summary.skipped = walk.skipped;
  const unsigned jobs = EffectiveJobs(options);
  const auto out = [&](ScannedFile&& f) {
    ++summary.judged;
    emit(std::move(f));
  };

  // Files grouped by identity, each group's paths in the order met, the
  // group placed where its first path was met; problems stay in place.
  std::vector<Planned> plan;
  std::map<FileId, size_t> group_of;
  std::vector<std::pair<size_t, const Candidate*>> unopened;  // (order, candidate)
  for (size_t order = 0; order < walk.candidates.size(); ++order) {
    const Candidate& c = walk.candidates[order];
    if (!c.problem.empty() || !c.outside_root.empty()) {
      unopened.emplace_back(order, &c);
      continue;
    }
    const auto [it, added] = group_of.emplace(c.id, plan.size());
    if (added) {
      plan.push_back({});
      plan.back().order = order;
    }
    Planned& p = plan[it->second];
    p.paths.push_back(&c);
    p.explicit_path |= c.explicit_path;
    // The path whose name decides goes first.
    if (p.paths.size() == 1 || Priority(c.role) < Priority(p.role)) {
      std::rotate(p.paths.begin(), p.paths.end() - 1, p.paths.end());
      p.role = c.role;
    }
  }
  const auto other_paths = [&](const FileId& id, const std::string& except) {
    std::vector<std::string> others;
    const auto it = group_of.find(id);
    if (it == group_of.end()) return others;
    for (const Candidate* c : plan[it->second].paths) {
      if (c->path != except) others.push_back(c->path);
    }
    return others;
  };

  // Indexes with their shards; a shard file they validated is covered.
  // Every index is covered from the start: one that another index names as
  // a shard is reported as an index (the other's findings say how it fared
  // as a shard), never a second time as a shard.
  std::set<FileId> covered;
  for (const Planned& p : plan) {
    if (p.role == NameRole::kIndex) covered.insert(p.paths.front()->id);
  }
  internal::IndexFanIn fan_in;
  CheckpointOptions checkpoint_options;
  checkpoint_options.validate = options.validate;
  checkpoint_options.root = options.root;
  checkpoint_options.jobs = jobs;
  for (Planned& p : plan) {
    if (p.role != NameRole::kIndex) continue;
    const Candidate& index_path = *p.paths.front();
    CheckpointReport checkpoint =
        internal::CheckCheckpoint(index_path.path, policy, checkpoint_options, &fan_in);
    ScannedFile index = internal::IndexFile(index_path.path, checkpoint);
    index.also_at = other_paths(index_path.id, index_path.path);
    out(std::move(index));
    for (ShardReport& shard : checkpoint.shards) {
      if (!shard.checked) continue;  // the index's findings say why
      const FileId id{shard.device, shard.inode};
      ScannedFile f;
      f.path = shard.path;
      f.role = FileRole::kShard;
      f.index = index_path.path;
      for (std::string& name : shard.other_names) {
        f.also_at.push_back(internal::DirName(index_path.path) + "/" + name);
      }
      for (std::string& other : other_paths(id, shard.path)) f.also_at.push_back(other);
      f.report = std::move(shard.report);
      // A file already reported as another index's shard is not repeated.
      if (covered.insert(id).second) out(std::move(f));
    }
  }

  // Everything else in the order met, one task a file; entries that are
  // not opened (missing, outside the root) among them.
  struct Task {
    const Planned* planned = nullptr;
    const Candidate* unopened = nullptr;
    size_t order = 0;
  };
  std::vector<Task> tasks;
  for (const Planned& p : plan) {
    if (p.role == NameRole::kIndex || covered.count(p.paths.front()->id) != 0) continue;
    tasks.push_back({&p, nullptr, p.order});
  }
  for (const auto& [order, c] : unopened) tasks.push_back({nullptr, c, order});
  std::sort(tasks.begin(), tasks.end(),
            [](const Task& a, const Task& b) { return a.order < b.order; });
  std::atomic<uint64_t> not_a_model{0};
  internal::RunInOrder<std::optional<ScannedFile>>(
      tasks.size(), jobs,
      [&](size_t k) -> std::optional<ScannedFile> {
        const Task& task = tasks[k];
        if (task.unopened != nullptr) {
          return task.unopened->problem.empty() ? OutsideRoot(*task.unopened)
                                                : Unreadable(*task.unopened);
        }
        const Planned& p = *task.planned;
        const Candidate& first = *p.paths.front();
        std::optional<ScannedFile> f;
        switch (p.role) {
          case NameRole::kSafetensors:
            f = JudgeSafetensors(first.path, policy, options.validate);
            break;
          case NameRole::kModelNamed:
            f = JudgeModel(first.path, /*named=*/true, policy, options.validate);
            break;
          case NameRole::kOther:
          case NameRole::kTextOrConfig:
            // Named by the caller: read as the safetensors file it was given as.
            f = p.explicit_path ? JudgeSafetensors(first.path, policy, options.validate)
                                : JudgeModel(first.path, /*named=*/false, policy,
                                             options.validate);
            break;
          case NameRole::kIndex:
            break;
        }
        if (!f) {
          ++not_a_model;
          return f;
        }
        f->also_at = other_paths(first.id, first.path);
        return f;
      },
      [&](std::optional<ScannedFile>&& f) {
        if (f) out(std::move(*f));
      });
  summary.skipped[static_cast<size_t>(SkipReason::kNotAModel)] += not_a_model;
  return summary;
}

}  // namespace stguard
