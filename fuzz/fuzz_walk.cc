// fuzz_walk: the repository scanner (stguard/scan.h: the walk, the roots,
// indexes and their shards, one judgment per file) over a small tree the
// input describes, made in a private directory.
//
// Input (every byte string decodes; see fuzz/README.md "fuzz_walk input"):
//   5 header bytes: flags (bits 0-1 the directory scanned: the tree, a
//   directory of the tree, the tree with a trailing '/', the Hub snapshot;
//   bits 2-3 --root: none, the private directory (outside/ then inside), a
//   directory of the tree; bits 4-5 how many files are also named on the
//   command line; bits 6-7 the policy also scanned with 2 jobs), the
//   scanned directory, the --root directory and two explicit files (each a
//   byte choosing among what was made);
//   then records, until the input ends or 32 entries exist: a kind byte
//   (file, directory, symlink, hard link, FIFO, Hub cache entry), a parent
//   directory byte, a name (one of a few real names, or a short stem from
//   [a-z0-9_] and an extension from a table, so every name's role is known
//   here), and the kind's payload: a file's content (a template, or up to
//   255 raw bytes, or an index whose shard names are built from the input:
//   other entries by relative or absolute path, the outside sentinel, unsafe
//   names, raw text), a symlink's target (an entry, outside/..., dangling,
//   itself, ".", "..", raw text), a hard link's entry.
// Beside the tree, outside/ (named tree-outside/, a name that extends the
// tree's) holds a valid safetensors sentinel, a FIFO, a
// directory, a pickle and a symlink back into the tree; inotify watches it
// and every FIFO made.
//
// The tree is scanned under compat, default and strict with 1 job, and
// under one of them (the input picks) with 2.
// Oracles (abort through Fail):
//   - the walk drops nothing: the skip counts (.git, directory symlinks,
//     FIFOs and dangling links, config/text names) equal what an
//     independent walk of the tree (std::filesystem) counts; every file
//     (by inode) with an index, safetensors or model-file name, named on the
//     command line, or holding a safetensors or pickle template is emitted
//     (its path or also_at, or as a shard); every other file is emitted or
//     counted as not-a-model, the count exact;
//   - every distinct file is emitted at most once;
//   - every symlink leading outside the root is one 811 report and nothing
//     else is; dangling links with model names are I/O errors;
//   - nothing outside the root is opened: no open or read in outside/
//     unless --root widened the root over it, no FIFO ever opened, and
//     every path judged resolves inside the root (shards: the index's root);
//   - an index naming a shard that is missing, unsafe, outside its root or
//     not a regular file is rejected under every policy; a rejected shard
//     rejects its index, and an accepted index's shards are emitted accepted;
//   - 1 and 2 jobs emit the same sequence;
//   - rejections grow compat -> default -> strict for every path.
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fuzz_common.h"
#include "fuzz_files.h"
#include "stguard/codes.h"
#include "stguard/scan.h"

namespace {

using stguard::Code;
using stguard::FileRole;
using stguard::ScannedFile;
using stguard::ScanSummary;
using stguard::SkipReason;
using stguard::Verdict;
using stguard_fuzz::Fail;
using stguard_fuzz::InputReader;
using stguard_fuzz::IsBelow;
using stguard_fuzz::RealPathOf;

constexpr size_t kMaxEntries = 32;
constexpr int kMaxDepth = 4;

// ---------------------------------------------------------------------------
// Names, each with the role its name gives it (RoleOfName's rules, written
// out here per name so the expectations do not come from the code tested).

enum class NameClass : uint8_t { kIndex, kSafetensors, kModel, kText, kOther };

struct NameChoice {
  std::string_view name;
  NameClass cls;
};

constexpr NameChoice kSpecialNames[] = {
    {"model.safetensors", NameClass::kSafetensors},
    {"model-00001-of-00002.safetensors", NameClass::kSafetensors},
    {"model-00002-of-00002.safetensors", NameClass::kSafetensors},
    {"model.safetensors.index.json", NameClass::kIndex},
    {"pytorch_model.bin", NameClass::kModel},
    {"config.json", NameClass::kText},
    {".git", NameClass::kOther},
    {"models--a--b", NameClass::kOther},
    {"snapshots", NameClass::kOther},
    {"blobs", NameClass::kOther},
    {"r", NameClass::kOther},
    {"sub", NameClass::kOther},
    {"README.md", NameClass::kText},
    {".gitattributes", NameClass::kText},
    {"tokenizer.model", NameClass::kOther},
    {"x.PT", NameClass::kModel},
    {"back.safetensors", NameClass::kSafetensors},
    {"pytorch_model.bin.index.json", NameClass::kText},
};

// A stem from kStemAlphabet (no '.') and one of these: the extension alone
// decides the role.
constexpr NameChoice kExtensions[] = {
    {".safetensors", NameClass::kSafetensors},
    {".safetensors.index.json", NameClass::kIndex},
    {".safetensors.index.fp16.json", NameClass::kIndex},
    {".bin", NameClass::kModel},
    {".pt", NameClass::kModel},
    {".PKL", NameClass::kModel},
    {".npy", NameClass::kModel},
    {".gguf", NameClass::kModel},
    {".json", NameClass::kText},
    {".txt", NameClass::kText},
    {".md", NameClass::kText},
    {".py", NameClass::kText},
    {"", NameClass::kOther},
    {".dat", NameClass::kOther},
    {".model", NameClass::kOther},
};
constexpr std::string_view kStemAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789_";

// ---------------------------------------------------------------------------
// Contents.

enum class Content : uint8_t {
  kTensorsAB,      // safetensors: tensors a, b (accepted by every policy)
  kTensorC,        // safetensors: tensor c, with __metadata__
  kUnaligned,      // safetensors: tensor d, header length not a multiple of 8
  kBadSchema,      // safetensors framing, a tensor without data_offsets (rejected)
  kPickleSafe,     // OrderedDict(): 107
  kPickleExploit,  // os.system('echo hi'): 106
  kEmpty,
  kText,
  kRaw,    // bytes from the input
  kIndex,  // a checkpoint index built from the input
};
constexpr size_t kTemplateCount = 8;  // the contents before kRaw

std::string Padded(std::string header) {
  while (header.size() % 8 != 0) header += ' ';
  return header;
}

std::string Safetensors(const std::string& header, size_t data_bytes) {
  const std::vector<uint8_t> data(data_bytes, 0);
  const std::vector<uint8_t> framed = stguard_fuzz::Frame(header, data);
  return std::string(framed.begin(), framed.end());
}

// OrderedDict() as pickle.dumps(protocol=2) writes it (holds a NUL).
constexpr char kPickleSafe[] = "\x80\x02" "ccollections\nOrderedDict\nq\x00)Rq\x01.";

const std::string& TemplateBytes(Content content) {
  static const std::array<std::string, kTemplateCount> bytes = {
      Safetensors(Padded(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                         R"("b":{"dtype":"U8","shape":[3],"data_offsets":[8,11]}})"),
                  11),
      Safetensors(Padded(R"({"__metadata__":{"format":"pt"},)"
                         R"("c":{"dtype":"BF16","shape":[1],"data_offsets":[0,2]}})"),
                  2),
      Safetensors(R"({"d":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}})", 1),
      Safetensors(Padded(R"({"e":{"dtype":"F32","shape":[1]}})"), 4),
      std::string(kPickleSafe, sizeof kPickleSafe - 1),
      std::string("cos\nsystem\n(S'echo hi'\ntR."),
      std::string(),
      std::string("hello, world\n"),
  };
  return bytes[static_cast<size_t>(content)];
}

// The tensors a safetensors template holds (an index lists them).
std::vector<std::string> TemplateTensors(Content content) {
  switch (content) {
    case Content::kTensorsAB: return {"a", "b"};
    case Content::kTensorC: return {"c"};
    case Content::kUnaligned: return {"d"};
    case Content::kBadSchema: return {"e"};
    default: return {};
  }
}

// Safetensors or pickle bytes: judged by their bytes whatever their name.
bool IsModelContent(Content content) {
  return content <= Content::kPickleExploit;
}

// ---------------------------------------------------------------------------
// The private directory: tree/ is emptied for each input, outside/ is made
// once and watched.

constexpr std::string_view kOutsideNames[] = {"sentinel.safetensors", "fifo", "dir", "back",
                                              "pickle.bin", "dir/inner.safetensors"};

struct Private {
  std::string base;     // real path
  std::string tree;     // base/tree
  std::string outside;  // base/tree-outside
  stguard_fuzz::OpenWatch watch;
};

Private& TheDir() {
  static Private* dir = [] {
    auto* d = new Private;
    d->base = stguard_fuzz::MakePrivateDir("walk");
    d->tree = d->base + "/tree";
    // "tree-outside": a sibling whose name extends the tree's, so that a
    // root test by string prefix ("/b/tree-outside" starts with "/b/tree")
    // lets the oracles see it.
    d->outside = d->base + "/tree-outside";
    if (::mkdir(d->tree.c_str(), 0700) != 0 || ::mkdir(d->outside.c_str(), 0700) != 0 ||
        ::mkdir((d->outside + "/dir").c_str(), 0700) != 0 ||
        ::mkfifo((d->outside + "/fifo").c_str(), 0600) != 0 ||
        ::symlink("../tree/back.safetensors", (d->outside + "/back").c_str()) != 0) {
      Fail("cannot make the outside fixtures in " + d->base);
    }
    stguard_fuzz::WriteFileOrFail(d->outside + "/sentinel.safetensors",
                                  TemplateBytes(Content::kTensorsAB));
    stguard_fuzz::WriteFileOrFail(d->outside + "/pickle.bin",
                                  TemplateBytes(Content::kPickleExploit));
    stguard_fuzz::WriteFileOrFail(d->outside + "/dir/inner.safetensors",
                                  TemplateBytes(Content::kTensorsAB));
    d->watch.Add(d->outside);
    d->watch.Add(d->outside + "/dir");
    d->watch.Add(d->outside + "/fifo");
    return d;
  }();
  return *dir;
}

// ---------------------------------------------------------------------------
// Paths.

std::vector<std::string_view> Components(std::string_view path) {
  std::vector<std::string_view> out;
  size_t at = 0;
  while (at < path.size()) {
    size_t slash = path.find('/', at);
    if (slash == std::string_view::npos) slash = path.size();
    if (slash > at) out.push_back(path.substr(at, slash - at));
    at = slash + 1;
  }
  return out;
}

std::string DirOf(const std::string& path) { return path.substr(0, path.rfind('/')); }

// `to` relative to the directory `from` (both absolute, clean).
std::string Relative(const std::string& from, const std::string& to) {
  const std::vector<std::string_view> a = Components(from), b = Components(to);
  size_t common = 0;
  while (common < a.size() && common < b.size() && a[common] == b[common]) ++common;
  std::string out;
  for (size_t i = common; i < a.size(); ++i) out += "../";
  for (size_t i = common; i < b.size(); ++i) {
    out += b[i];
    if (i + 1 < b.size()) out += '/';
  }
  if (out.empty()) return ".";
  if (out.back() == '/') out.pop_back();
  return out;
}

// The Hub cache repository folder holding `dir` (".../models--x/snapshots/..."
// -> ".../models--x"), or "": the outermost one, by the path's words.
std::string HubRepository(const std::string& dir) {
  const std::string path = dir + "/x";  // outlives the views into it
  std::string prefix;
  std::string_view previous;
  for (const std::string_view part : Components(path)) {
    if (part == "snapshots" && (previous.rfind("models--", 0) == 0 ||
                                previous.rfind("datasets--", 0) == 0 ||
                                previous.rfind("spaces--", 0) == 0)) {
      return prefix;
    }
    prefix += "/";
    prefix += part;
    previous = part;
  }
  return "";
}

using FileId = std::pair<uint64_t, uint64_t>;

std::optional<FileId> IdOf(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return FileId{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)};
}

bool IsRegular(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// ---------------------------------------------------------------------------
// The tree an input describes.

enum class Kind : uint8_t { kFile, kDir, kSymlink, kHardlink, kFifo };

// A shard name of a generated index, before it is spelled.
struct ShardSpec {
  uint8_t kind = 0;
  size_t ref = 0;
  uint8_t choice = 0;
  std::string raw;
};

struct Entry {
  Kind kind = Kind::kFile;
  std::string path;
  int depth = 0;  // directories between the tree and this entry
  bool created = false;
  // kFile
  Content content = Content::kEmpty;
  std::string raw;
  std::vector<ShardSpec> shards;  // kIndex content
  std::string index_dir;          // where its shard names are spelled from (a Hub blob: its
                                  // snapshot's directory); "" for its own
  // kSymlink, kHardlink
  uint8_t target_kind = 0;
  size_t ref = 0;
  bool literal = false;  // `target` is the symlink's target (a Hub snapshot link)
  std::string target;    // a raw or literal symlink target
};

constexpr std::string_view kUnsafeShardNames[] = {
    "a\\b.safetensors", std::string_view("x\0y.safetensors", 15), "", ".", "..", "sub/",
    "/etc/hostname", "missing.safetensors"};

class Tree {
 public:
  explicit Tree(Private& dir) : dir_(dir) {}

  void Build(InputReader& in);

  // Where the scan starts, its arguments and --root.
  std::vector<std::string> arguments;
  std::string scan_dir;     // the directory argument without a trailing '/'
  std::string root_option;  // "" or a real path
  std::vector<std::string> explicit_paths;
  std::set<std::string> explicit_fifos;
  int two_jobs_policy = 0;  // the policy also scanned with 2 jobs

  const std::map<std::string, NameClass>& classes() const { return classes_; }
  // What each file made holds (by inode), and each generated index's shard names.
  const std::map<FileId, Content>& contents() const { return contents_; }
  const std::map<FileId, std::vector<std::string>>& index_shards() const { return index_shards_; }

 private:
  std::string Name(InputReader& in);
  int Parent(InputReader& in) const;
  void Content_(InputReader& in, Entry& e);
  size_t Add(Entry e);
  size_t Dir(const std::string& path, int depth);
  void Hub(InputReader& in, int parent);
  void Links();
  void Indexes();
  std::string LinkTarget(const Entry& e) const;
  std::string ShardName(const Entry& index, const ShardSpec& spec) const;
  const Entry* Ref(size_t ref) const {
    return entries_.empty() ? nullptr : &entries_[ref % entries_.size()];
  }

  Private& dir_;
  std::vector<Entry> entries_;
  std::vector<size_t> dirs_;  // entries that are directories made
  std::map<std::string, NameClass> classes_;
  std::map<FileId, Content> contents_;
  std::map<FileId, std::vector<std::string>> index_shards_;
  size_t hubs_ = 0;
};

std::string Tree::Name(InputReader& in) {
  const uint8_t b = in.Byte();
  NameChoice choice;
  std::string name;
  if (b < std::size(kSpecialNames)) {
    choice = kSpecialNames[b];
    name = std::string(choice.name);
  } else {
    const size_t length = 1 + b % 6;
    for (size_t i = 0; i < length; ++i) name += kStemAlphabet[in.Pick(kStemAlphabet.size())];
    choice = kExtensions[in.Pick(std::size(kExtensions))];
    name += choice.name;
  }
  const auto [it, added] = classes_.emplace(name, choice.cls);
  if (!added && it->second != choice.cls) Fail("fuzz_walk: two roles for the name " + name);
  return name;
}

int ParentOf(const std::vector<size_t>& dirs, const std::vector<Entry>& entries, uint8_t b) {
  const size_t pick = b % (dirs.size() + 1);
  if (pick == 0) return -1;
  const size_t entry = dirs[pick - 1];
  return entries[entry].depth + 1 > kMaxDepth ? -1 : static_cast<int>(entry);
}

int Tree::Parent(InputReader& in) const { return ParentOf(dirs_, entries_, in.Byte()); }

void Tree::Content_(InputReader& in, Entry& e) {
  const uint8_t b = in.Byte();
  const size_t pick = b % (kTemplateCount + 2);
  if (pick < kTemplateCount) {
    e.content = static_cast<Content>(pick);
  } else if (pick == kTemplateCount) {
    e.content = Content::kRaw;
    e.raw = std::string(in.Bytes(255));
  } else {
    e.content = Content::kIndex;
    const size_t count = 1 + in.Pick(8);
    for (size_t i = 0; i < count; ++i) {
      ShardSpec s;
      s.kind = in.Byte();
      s.ref = in.Byte();
      s.choice = in.Byte();
      if (s.kind % 8 == 7) s.raw = std::string(in.Bytes(64));
      e.shards.push_back(std::move(s));
    }
  }
}

size_t Tree::Add(Entry e) {
  switch (e.kind) {
    case Kind::kDir:
      e.created = ::mkdir(e.path.c_str(), 0700) == 0;
      if (e.created) dirs_.push_back(entries_.size());
      break;
    case Kind::kFile: {
      const std::string& bytes = e.content == Content::kRaw     ? e.raw
                                 : e.content == Content::kIndex ? TemplateBytes(Content::kEmpty)
                                                                : TemplateBytes(e.content);
      struct stat st;
      e.created = ::lstat(e.path.c_str(), &st) != 0;  // never write through an existing name
      if (e.created) {
        stguard_fuzz::WriteFileOrFail(e.path, bytes);
        const std::optional<FileId> id = IdOf(e.path);
        if (!id) Fail("fuzz_walk: cannot stat " + e.path);
        contents_[*id] = e.content;
      }
      break;
    }
    case Kind::kFifo:
      e.created = ::mkfifo(e.path.c_str(), 0600) == 0;
      if (e.created) dir_.watch.Add(e.path);  // any open of it is a failure
      break;
    case Kind::kSymlink:
    case Kind::kHardlink:
      break;  // made once every entry has a path (Links)
  }
  entries_.push_back(std::move(e));
  return entries_.size() - 1;
}

// A directory the Hub layout needs: the entry already made, or a new one.
size_t Tree::Dir(const std::string& path, int depth) {
  for (const size_t d : dirs_) {
    if (entries_[d].path == path) return d;
  }
  Entry e;
  e.kind = Kind::kDir;
  e.path = path;
  e.depth = depth;
  classes_.emplace(path.substr(path.rfind('/') + 1), NameClass::kOther);
  return Add(std::move(e));
}

// models--a--b/{blobs/h<n>, snapshots/r/<name> -> ../../blobs/h<n>}.
void Tree::Hub(InputReader& in, int parent) {
  const std::string top = parent < 0 ? dir_.tree : entries_[parent].path;
  const int depth = parent < 0 ? 0 : entries_[parent].depth + 1;
  if (depth + 2 > kMaxDepth || entries_.size() + 6 > kMaxEntries) return;
  const std::string repo = top + "/models--a--b";
  Dir(repo, depth);
  const size_t blobs = Dir(repo + "/blobs", depth + 1);
  Dir(repo + "/snapshots", depth + 1);
  const size_t snapshot = Dir(repo + "/snapshots/r", depth + 2);
  const std::string name = Name(in);
  // A name in the way (a file called models--a--b) leaves no layout.
  if (!entries_[blobs].created || !entries_[snapshot].created) return;
  Entry blob;
  blob.kind = Kind::kFile;
  blob.path = entries_[blobs].path + "/h" + std::to_string(hubs_++);
  blob.depth = depth + 2;
  blob.index_dir = entries_[snapshot].path;
  classes_.emplace(blob.path.substr(blob.path.rfind('/') + 1), NameClass::kOther);
  Content_(in, blob);
  const std::string blob_name = blob.path.substr(blob.path.rfind('/') + 1);
  Add(std::move(blob));
  Entry link;
  link.kind = Kind::kSymlink;
  link.path = entries_[snapshot].path + "/" + name;
  link.depth = depth + 3;
  link.literal = true;
  link.target = "../../blobs/" + blob_name;
  Add(std::move(link));
}

void Tree::Build(InputReader& in) {
  const uint8_t flags = in.Byte();
  two_jobs_policy = (flags >> 6) % stguard_fuzz::kBuiltinCount;
  const uint8_t scan_pick = in.Byte();
  const uint8_t root_pick = in.Byte();
  const uint8_t explicit_picks[2] = {in.Byte(), in.Byte()};

  while (!in.empty() && entries_.size() < kMaxEntries) {
    const uint8_t kind = in.Byte();
    const int parent = Parent(in);
    if (kind % 8 == 6) {
      Hub(in, parent);
      continue;
    }
    Entry e;
    e.path = (parent < 0 ? dir_.tree : entries_[parent].path) + "/" + Name(in);
    e.depth = parent < 0 ? 0 : entries_[parent].depth + 1;
    switch (kind % 8) {
      case 0:
      case 1:
        e.kind = Kind::kFile;
        Content_(in, e);
        break;
      case 2:
      case 7:
        e.kind = Kind::kDir;
        break;
      case 3:
        e.kind = Kind::kSymlink;
        e.target_kind = in.Byte();
        e.ref = in.Byte();
        if (e.target_kind % 10 == 9) e.target = std::string(in.Bytes(64));
        break;
      case 4:
        e.kind = Kind::kHardlink;
        e.ref = in.Byte();
        break;
      default:
        e.kind = Kind::kFifo;
        break;
    }
    Add(std::move(e));
  }
  Links();
  Indexes();

  // The arguments.
  scan_dir = dir_.tree;
  std::string argument = dir_.tree;
  const auto pick_dir = [&](uint8_t b) -> const Entry* {
    return dirs_.empty() ? nullptr : &entries_[dirs_[b % dirs_.size()]];
  };
  switch (flags & 3) {
    case 1:
      if (const Entry* d = pick_dir(scan_pick)) scan_dir = argument = d->path;
      break;
    case 2:
      argument = dir_.tree + "/";
      break;
    case 3:
      for (const size_t d : dirs_) {
        const std::string& p = entries_[d].path;
        if (p.size() >= 12 && p.compare(p.size() - 12, 12, "/snapshots/r") == 0) {
          scan_dir = argument = p;
          break;
        }
      }
      break;
  }
  arguments.push_back(argument);
  switch ((flags >> 2) & 3) {
    case 1:
      root_option = dir_.base;
      break;
    case 2:
      if (const Entry* d = pick_dir(root_pick)) root_option = *RealPathOf(d->path);
      break;
  }
  for (size_t i = 0; i < ((flags >> 4) & 3) && i < 2; ++i) {
    const Entry* e = Ref(explicit_picks[i]);
    if (e == nullptr || !e->created || (e->kind != Kind::kFile && e->kind != Kind::kFifo)) continue;
    arguments.push_back(e->path);
    explicit_paths.push_back(e->path);
    if (e->kind == Kind::kFifo) explicit_fifos.insert(e->path);
  }
}

std::string Tree::LinkTarget(const Entry& e) const {
  const std::string here = DirOf(e.path);
  const Entry* ref = Ref(e.ref);
  const std::string outside = dir_.outside + "/" +
                              std::string(kOutsideNames[e.ref % std::size(kOutsideNames)]);
  switch (e.literal ? 9 : e.target_kind % 10) {
    case 0: return ref != nullptr ? Relative(here, ref->path) : ".";
    case 1: return ref != nullptr ? ref->path : "/";
    case 2: return Relative(here, outside);
    case 3: return outside;
    case 4: return "/nonexistent/x.safetensors";
    case 5: return e.path.substr(e.path.rfind('/') + 1);
    case 6: return ".";
    case 7: return "..";
    case 8: return dir_.tree;
    default: return e.target;  // raw or literal
  }
}

void Tree::Links() {
  for (Entry& e : entries_) {
    if (e.kind == Kind::kSymlink) {
      const std::string target = LinkTarget(e);
      e.created = !target.empty() && target.find('\0') == std::string::npos &&
                  ::symlink(target.c_str(), e.path.c_str()) == 0;
    }
  }
  for (Entry& e : entries_) {
    if (e.kind != Kind::kHardlink) continue;
    const Entry* ref = Ref(e.ref);
    if (ref == nullptr || !ref->created || ref->kind == Kind::kDir ||
        ref->kind == Kind::kHardlink) {
      continue;
    }
    e.created = ::link(ref->path.c_str(), e.path.c_str()) == 0;
  }
}

std::string Tree::ShardName(const Entry& index, const ShardSpec& spec) const {
  const std::string here = index.index_dir.empty() ? DirOf(index.path) : index.index_dir;
  const Entry* ref = Ref(spec.ref);
  const std::string ref_path = ref != nullptr ? ref->path : dir_.tree + "/missing";
  switch (spec.kind % 8) {
    case 0: return Relative(here, ref_path);
    case 1: return "./" + Relative(here, ref_path);
    case 2: return ref_path;
    case 3: return Relative(here, dir_.outside + "/sentinel.safetensors");
    case 4: return dir_.outside + "/sentinel.safetensors";
    case 5: return std::string(kUnsafeShardNames[spec.choice % std::size(kUnsafeShardNames)]);
    case 6:
      return Relative(here, dir_.outside + "/" +
                                std::string(kOutsideNames[spec.choice % std::size(kOutsideNames)]));
    default: return spec.raw;
  }
}

// Index contents are written last, so that shard names may name any entry.
void Tree::Indexes() {
  for (const Entry& e : entries_) {
    if (e.kind != Kind::kFile || !e.created || e.content != Content::kIndex) continue;
    const std::string here = e.index_dir.empty() ? DirOf(e.path) : e.index_dir;
    std::vector<std::string> names;
    std::string text = "{\"weight_map\":{";
    bool first = true;
    for (size_t i = 0; i < e.shards.size(); ++i) {
      const std::string name = ShardName(e, e.shards[i]);
      names.push_back(name);
      // The tensors the file holds, when it is a template (a consistent
      // checkpoint), unless the input asks for names no shard holds.
      std::vector<std::string> tensors;
      if ((e.shards[i].choice & 0x80) == 0 && name.find('\0') == std::string::npos) {
        const std::string path = !name.empty() && name.front() == '/' ? name : here + "/" + name;
        if (const std::optional<FileId> id = IdOf(path)) {
          const auto it = contents_.find(*id);
          if (it != contents_.end()) tensors = TemplateTensors(it->second);
        }
      }
      if (tensors.empty()) tensors.push_back("t" + std::to_string(i));
      for (const std::string& tensor : tensors) {
        if (!first) text += ',';
        first = false;
        stguard_fuzz::AppendJsonString(text, tensor);
        text += ':';
        stguard_fuzz::AppendJsonString(text, name);
      }
    }
    text += "}}";
    stguard_fuzz::WriteFileOrFail(e.path, text);
    const std::optional<FileId> id = IdOf(e.path);
    if (id) index_shards_[*id] = std::move(names);
  }
}

// ---------------------------------------------------------------------------
// What the scan must find, from an independent walk of the tree.

int Priority(NameClass c) {
  switch (c) {
    case NameClass::kIndex: return 0;
    case NameClass::kSafetensors: return 1;
    case NameClass::kModel: return 2;
    case NameClass::kOther: return 3;
    case NameClass::kText: return 4;
  }
  return 5;
}

struct Group {
  NameClass role = NameClass::kText;
  bool explicit_path = false;
  bool model_content = false;
  std::string first_path;
};

struct Expected {
  std::string walk_root;  // real
  std::string scan_dir;
  std::string root_option;
  bool widened = false;  // outside/ is inside the root
  std::array<uint64_t, stguard::kSkipReasonCount> skipped{};
  std::map<FileId, Group> groups;
  std::set<std::string> outside_links;  // each one 811 report
  std::set<std::string> unreadable;     // each one I/O error
  std::set<std::string> explicit_paths;
};

class Expectations {
 public:
  Expectations(const Tree& tree, const Private& dir) : tree_(tree), dir_(dir) {}

  Expected Compute() {
    e_.scan_dir = tree_.scan_dir;
    e_.root_option = tree_.root_option;
    e_.walk_root = RootOf(tree_.scan_dir);
    e_.widened = !e_.walk_root.empty() && IsBelow(dir_.outside, e_.walk_root);
    Walk(tree_.scan_dir);
    for (const std::string& path : tree_.explicit_paths) {
      e_.explicit_paths.insert(path);
      if (tree_.explicit_fifos.count(path) != 0) {
        e_.unreadable.insert(path);
        continue;
      }
      Candidate(path, ClassOf(path), /*is_explicit=*/true);
    }
    return std::move(e_);
  }

  // The root links and shard names below `dir` may lead into.
  std::string RootOf(const std::string& dir) const {
    if (!tree_.root_option.empty()) return tree_.root_option;
    const std::string repository = HubRepository(dir);
    return RealPathOf(repository.empty() ? dir : repository).value_or("");
  }

 private:
  NameClass ClassOf(const std::string& path) const {
    const std::string name = path.substr(path.rfind('/') + 1);
    const auto it = tree_.classes().find(name);
    if (it == tree_.classes().end()) Fail("fuzz_walk: a name the input did not make: " + path);
    return it->second;
  }

  void Skip(SkipReason reason) { ++e_.skipped[static_cast<size_t>(reason)]; }

  void Candidate(const std::string& path, NameClass cls, bool is_explicit) {
    const std::optional<FileId> id = IdOf(path);
    if (!id) Fail("fuzz_walk: cannot stat " + path);
    auto [it, added] = e_.groups.emplace(*id, Group{});
    Group& g = it->second;
    if (added || Priority(cls) < Priority(g.role)) g.role = cls;
    if (added) g.first_path = path;
    g.explicit_path |= is_explicit;
    const auto content = tree_.contents().find(*id);
    g.model_content |= content != tree_.contents().end() && IsModelContent(content->second);
  }

  void Walk(const std::string& dir) {
    namespace fs = std::filesystem;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      const std::string name = it->path().filename().string();
      const std::string path = dir + "/" + name;
      const fs::file_status status = it->symlink_status(ec);
      if (ec) Fail("fuzz_walk: cannot lstat " + path);
      if (fs::is_directory(status)) {
        if (name == ".git") {
          Skip(SkipReason::kGitMetadata);
        } else {
          Walk(path);
        }
        continue;
      }
      const NameClass cls = ClassOf(path);
      if (fs::is_symlink(status)) {
        const std::optional<std::string> real = RealPathOf(path);
        if (!real) {
          if (cls == NameClass::kText || cls == NameClass::kOther) {
            Skip(SkipReason::kNotARegularFile);
          } else {
            e_.unreadable.insert(path);
          }
          continue;
        }
        const fs::file_status target = fs::status(*real, ec);
        if (ec) Fail("fuzz_walk: cannot stat " + *real);
        if (fs::is_directory(target)) {
          Skip(SkipReason::kDirectorySymlink);
          continue;
        }
        if (!IsBelow(*real, e_.walk_root)) {
          e_.outside_links.insert(path);
          continue;
        }
        if (!fs::is_regular_file(target)) {
          Skip(SkipReason::kNotARegularFile);
          continue;
        }
      } else if (!fs::is_regular_file(status)) {
        Skip(SkipReason::kNotARegularFile);
        continue;
      }
      if (cls == NameClass::kText) {
        Skip(SkipReason::kTextOrConfig);
        continue;
      }
      Candidate(path, cls, /*is_explicit=*/false);
    }
    if (ec) Fail("fuzz_walk: cannot list " + dir + ": " + ec.message());
  }

  const Tree& tree_;
  const Private& dir_;
  Expected e_;
};

// ---------------------------------------------------------------------------
// The checks on one scan.

struct Scan {
  std::vector<ScannedFile> files;
  ScanSummary summary;
};

bool Is811(const ScannedFile& f) { return f.report.HasCode(Code::kSymlinkOutsideRoot); }

std::string Transcript(const Scan& scan) {
  std::string s;
  for (const ScannedFile& f : scan.files) {
    s += f.path + " [" + std::string(stguard::FileRoleName(f.role)) + "] index=" + f.index;
    for (const std::string& other : f.also_at) s += " also=" + other;
    s += f.io_ok ? " " + std::string(stguard::VerdictName(f.report.verdict))
                 : " io: " + f.io_error;
    s += " size=" + std::to_string(f.report.file_size) +
         " tensors=" + std::to_string(f.report.tensor_count) + "\n";
    for (const stguard::Finding& finding : f.report.findings) {
      s += "  " + std::to_string(static_cast<unsigned>(finding.code)) + "/" +
           std::to_string(static_cast<unsigned>(finding.severity)) + "@" +
           std::to_string(finding.offset) + " " + finding.message + "\n";
    }
  }
  for (const uint64_t n : scan.summary.skipped) s += std::to_string(n) + " ";
  return s + "judged " + std::to_string(scan.summary.judged) + "\n";
}

// One name for what to print when an oracle breaks.
std::string Context(const char* what, const Scan& scan) {
  return std::string(what) + "\n" + Transcript(scan);
}

// Is the bad shard name `name` of an index in `dir` (root `root`) one no
// loader may open: unsafe, missing, outside the root, not a regular file?
bool BadShard(const std::string& dir, const std::string& name, const std::string& root) {
  if (name.empty() || name == "." || name == ".." || name.back() == '/' ||
      name.find('\0') != std::string::npos || name.front() == '/' ||
      name.find('\\') != std::string::npos) {
    return true;
  }
  const std::optional<std::string> real = RealPathOf(dir + "/" + name);
  return !real || !IsBelow(*real, root) || !IsRegular(*real);
}

class ScanCheck {
 public:
  ScanCheck(const Tree& tree, const Expected& e, const Expectations& roots)
      : tree_(tree), e_(e), roots_(roots) {}

  void Run(const Scan& scan, const char* what) {
    const std::string context = Context(what, scan);
    if (scan.summary.judged != scan.files.size()) {
      Fail("judged is not the count emitted: " + context);
    }
    for (size_t r = 0; r < stguard::kSkipReasonCount; ++r) {
      if (r == static_cast<size_t>(SkipReason::kNotAModel)) continue;
      if (scan.summary.skipped[r] != e_.skipped[r]) {
        Fail("skipped " + std::string(stguard::SkipReasonId(static_cast<SkipReason>(r))) + " is " +
             std::to_string(scan.summary.skipped[r]) + ", the tree holds " +
             std::to_string(e_.skipped[r]) + ": " + context);
      }
    }
    std::map<FileId, size_t> owner;  // which emitted file covers each inode
    std::set<std::string> seen_811, seen_unreadable;
    for (size_t i = 0; i < scan.files.size(); ++i) {
      const ScannedFile& f = scan.files[i];
      if (Is811(f)) {
        if (f.report.findings.size() != 1 || f.report.verdict != Verdict::kReject ||
            e_.outside_links.count(f.path) == 0) {
          Fail("811 for what is no symlink leading outside the root (" + f.path + "): " + context);
        }
        seen_811.insert(f.path);
        continue;
      }
      if (!f.io_ok) {
        if (e_.unreadable.count(f.path) == 0) {
          Fail("unexpected I/O error " + f.path + ": " + context);
        }
        seen_unreadable.insert(f.path);
        continue;
      }
      const std::string index_root = f.role == FileRole::kShard ? IndexRoot(f.index) : "";
      std::vector<std::string> paths = f.also_at;
      paths.push_back(f.path);
      for (const std::string& p : paths) {
        if (!Allowed(p, index_root)) Fail("judged a file outside the root: " + p + ": " + context);
        const std::optional<FileId> id = IdOf(p);
        if (!id) Fail("emitted a path that does not exist: " + p + ": " + context);
        const auto [it, added] = owner.emplace(*id, i);
        if (!added && it->second != i) {
          Fail("one file emitted twice: " + p + " and " + scan.files[it->second].path + ": " +
               context);
        }
      }
    }
    for (const std::string& p : e_.outside_links) {
      if (seen_811.count(p) == 0) {
        Fail("a symlink leading outside has no 811: " + p + ": " + context);
      }
    }
    for (const std::string& p : e_.unreadable) {
      if (seen_unreadable.count(p) == 0) Fail("no I/O error for " + p + ": " + context);
    }
    uint64_t not_models = 0;
    for (const auto& [id, g] : e_.groups) {
      const bool covered = owner.count(id) != 0;
      const bool must = g.explicit_path || g.model_content || g.role != NameClass::kOther;
      if (must && !covered) Fail("silently dropped: " + g.first_path + ": " + context);
      if (!covered && !g.explicit_path) ++not_models;
    }
    const uint64_t counted = scan.summary.skipped[static_cast<size_t>(SkipReason::kNotAModel)];
    if (counted != not_models) {
      Fail("not-a-model counts " + std::to_string(counted) + ", the tree has " +
           std::to_string(not_models) + " unjudged files: " + context);
    }
    CheckIndexes(scan, owner, context);
  }

 private:
  std::string IndexRoot(const std::string& index_path) const {
    return roots_.RootOf(DirOf(index_path));
  }

  // Where a judged path may lead: inside the walk's root, a regular file met
  // in the directory walked (only links are held to the root), a file named
  // on the command line, or a shard inside its index's root.
  bool Allowed(const std::string& path, const std::string& index_root) const {
    const std::optional<std::string> real = RealPathOf(path);
    if (!real) return false;
    if (!index_root.empty() && IsBelow(*real, index_root)) return true;
    if (IsBelow(*real, e_.walk_root) || e_.explicit_paths.count(path) != 0) return true;
    struct stat st;
    return ::lstat(path.c_str(), &st) == 0 && !S_ISLNK(st.st_mode) &&
           IsBelow(path, e_.scan_dir) && path.find("/../") == std::string::npos &&
           path.find("/./") == std::string::npos;
  }

  void CheckIndexes(const Scan& scan, const std::map<FileId, size_t>& owner,
                    const std::string& context) const {
    std::map<std::string, const ScannedFile*> indexes;
    for (const ScannedFile& f : scan.files) {
      if (f.role == FileRole::kIndex && f.io_ok && !Is811(f)) indexes[f.path] = &f;
    }
    for (const ScannedFile& f : scan.files) {
      if (f.role != FileRole::kShard || f.report.verdict != Verdict::kReject) continue;
      const auto it = indexes.find(f.index);
      if (it == indexes.end()) Fail("a shard of no index emitted: " + f.path + ": " + context);
      if (it->second->report.verdict != Verdict::kReject) {
        Fail("index " + f.index + " accepted with its shard " + f.path + " rejected: " + context);
      }
    }
    for (const auto& [path, f] : indexes) {
      const std::optional<FileId> id = IdOf(path);
      const auto spec = id ? tree_.index_shards().find(*id) : tree_.index_shards().end();
      if (spec == tree_.index_shards().end()) continue;  // raw bytes under an index name
      const std::string dir = DirOf(path);
      const std::string root = IndexRoot(path);
      for (const std::string& name : spec->second) {
        if (BadShard(dir, name, root)) {
          if (f->report.verdict != Verdict::kReject) {
            Fail("index " + path + " accepted with a shard no loader may open: " + name + ": " +
                 context);
          }
          continue;
        }
        if (f->report.verdict != Verdict::kAccept) continue;
        const std::optional<FileId> shard = IdOf(dir + "/" + name);
        const auto judged = shard ? owner.find(*shard) : owner.end();
        if (judged == owner.end()) {
          Fail("index " + path + " accepted, its shard " + name + " not emitted: " + context);
        }
        // A shard that is an index is reported as an index; how it did as
        // a shard is in this index's findings (810), and there are none.
        const ScannedFile& s = scan.files[judged->second];
        if (s.role != FileRole::kIndex && s.report.verdict != Verdict::kAccept) {
          Fail("index " + path + " accepted, its shard " + name + " rejected: " + context);
        }
      }
    }
  }

  const Tree& tree_;
  const Expected& e_;
  const Expectations& roots_;
};

// STGUARD_FUZZ_VERBOSE=1: print what each policy's scan emitted (to see
// what a seed exercises).
bool Verbose() {
  static const bool verbose = std::getenv("STGUARD_FUZZ_VERBOSE") != nullptr;
  return verbose;
}

void CheckWatch(Private& dir, bool widened) {
  for (const std::string& opened : dir.watch.Drain()) {
    const bool fifo = opened.size() >= 5 && opened.compare(opened.size() - 5, 5, "/fifo") == 0;
    const bool in_tree = IsBelow(opened, dir.tree);
    if (widened && !fifo && !in_tree) continue;
    Fail("opened or read what it must not: " + opened);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Private& dir = TheDir();
  stguard_fuzz::EmptyDir(dir.tree);
  dir.watch.Drain();  // the watches of the last input's FIFOs, gone
  InputReader in(std::span<const uint8_t>(data, size));
  Tree tree(dir);
  tree.Build(in);
  Expectations roots(tree, dir);
  const Expected expected = roots.Compute();
  ScanCheck check(tree, expected, roots);
  dir.watch.Drain();  // making the tree is not the scanner's doing

  std::array<std::map<std::string, Verdict>, stguard_fuzz::kBuiltinCount> verdicts;
  for (int p = 0; p < stguard_fuzz::kBuiltinCount; ++p) {
    const stguard::Policy& policy = stguard_fuzz::BuiltinByIndex(p);
    std::string first;
    for (const unsigned jobs : {1u, 2u}) {
      if (jobs == 2 && p != tree.two_jobs_policy) continue;
      stguard::ScanOptions options;
      options.jobs = jobs;
      options.memory_budget_bytes = 2 * stguard::kPerJobMemoryBytes;
      options.root = tree.root_option;
      Scan scan;
      scan.summary = stguard::ScanPaths(tree.arguments, policy, options, [&](ScannedFile&& f) {
        scan.files.push_back(std::move(f));
      });
      CheckWatch(dir, expected.widened);
      const std::string what = policy.name + " with " + std::to_string(jobs) + " job(s)";
      if (Verbose() && jobs == 1) {
        std::fprintf(stderr, "--- %s, root option '%s', arguments:", what.c_str(),
                     tree.root_option.c_str());
        for (const std::string& a : tree.arguments) std::fprintf(stderr, " %s", a.c_str());
        std::fprintf(stderr, "\n%s", Transcript(scan).c_str());
      }
      check.Run(scan, what.c_str());
      const std::string transcript = Transcript(scan);
      if (jobs == 1) {
        first = transcript;
        for (const ScannedFile& f : scan.files) {
          if (f.io_ok) verdicts[static_cast<size_t>(p)][f.path] = f.report.verdict;
        }
      } else if (transcript != first) {
        Fail("1 and 2 jobs differ under " + policy.name + ":\n" + first + "---\n" + transcript);
      }
    }
  }
  for (size_t p = 0; p + 1 < verdicts.size(); ++p) {
    for (const auto& [path, verdict] : verdicts[p]) {
      const auto stricter = verdicts[p + 1].find(path);
      if (verdict == Verdict::kReject && stricter != verdicts[p + 1].end() &&
          stricter->second == Verdict::kAccept) {
        Fail("rejected by " + stguard_fuzz::BuiltinByIndex(static_cast<int>(p)).name +
             ", accepted by a stricter policy: " + path);
      }
    }
  }
  return 0;
}
