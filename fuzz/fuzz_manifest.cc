// fuzz_manifest: what `stguard verify` reads (validator/cli/manifest.h):
// the manifest's text, its root, and each entry's file, opened only when it
// is under the root.
//
// Input: the manifest's bytes, with "%R" and "%O" replaced by the absolute
// paths of the private root and outside directories (the only way an input
// can name them: they are made with mkdtemp). The manifest is written as
// root/manifest.json beside fixtures (made once per process):
//   root/a.safetensors, root/sub/b.safetensors   files to verify
//   root/link-in.safetensors -> a.safetensors    a link that stays inside
//   root/link-out.safetensors -> ../outside/secret.safetensors, and
//   root/linkdir -> ../outside                   links that lead out
//   root/fifo, outside/fifo                      FIFOs (never to be opened)
//   outside/secret.safetensors, rootx/m.safetensors (a sibling whose name
//   extends the root's), a.safetensors beside root/ (linkdir/../a.safetensors)
// inotify watches everything outside root/ and both FIFOs.
// STGUARD_FUZZ_VERBOSE=1 prints what each entry came to.
//
// Each entry is verified as `stguard verify` does it: opened with
// EntryFile, hashed with a deep validation, its tensors read when the file
// hash differs. Oracles (abort through Fail):
//   - never crashes; the manifest loads when it fits the cap, is refused at
//     cap - 1 (LoadManifest's size check);
//   - an entry with a NUL, an empty path, a path outside the root by its
//     words (absolute or "..") or leading out through a symlink is refused
//     (an outside FIFO or directory may instead be "cannot read"), and
//     nothing outside root/ is ever opened or read, no FIFO ever opened;
//   - an entry that resolves (an independent realpath) to a regular file
//     inside the root opens, and its deep validation reads it;
//   - the outcome depends on the bytes only: a second reading with a parser
//     that has read other manifests, and with the root given as --root in
//     another spelling, gives the same transcript.
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_common.h"
#include "fuzz_files.h"
#include "manifest.h"
#include "stguard/report.h"
#include "stguard/validate.h"

namespace {

using stguard::cli::EntryFile;
using stguard::cli::ManifestEntry;
using stguard::cli::ManifestRoot;
using stguard_fuzz::Fail;
using stguard_fuzz::IsBelow;

// Entries hashed per reading: the rest are opened and checked, not hashed
// (a 16 KiB manifest may name one file hundreds of times).
constexpr size_t kMaxHashed = 32;

std::string Safetensors(std::string header, std::string_view data) {
  while (header.size() % 8 != 0) header += ' ';
  const std::vector<uint8_t> framed = stguard_fuzz::Frame(
      header, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(data.data()), data.size()));
  return std::string(framed.begin(), framed.end());
}

struct Fixture {
  std::string base;
  std::string root;
  std::string outside;
  std::string manifest;
  stguard_fuzz::OpenWatch watch;
};

Fixture& TheFixture() {
  static Fixture* fixture = [] {
    auto* f = new Fixture;
    f->base = stguard_fuzz::MakePrivateDir("manifest");
    f->root = f->base + "/root";
    f->outside = f->base + "/outside";
    f->manifest = f->root + "/manifest.json";
    std::string data;
    for (char c = 0; c < 11; ++c) data += c;  // the bytes fuzz/make-seeds hashes
    const std::string a =
        Safetensors(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                    R"("b":{"dtype":"U8","shape":[3],"data_offsets":[8,11]}})",
                    data);
    const std::string b =
        Safetensors(R"({"c":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}})", "\x01\x02");
    for (const std::string& d : {f->root, f->root + "/sub", f->outside, f->base + "/rootx"}) {
      if (::mkdir(d.c_str(), 0700) != 0) Fail("cannot make " + d);
    }
    stguard_fuzz::WriteFileOrFail(f->root + "/a.safetensors", a);
    stguard_fuzz::WriteFileOrFail(f->root + "/sub/b.safetensors", b);
    stguard_fuzz::WriteFileOrFail(f->outside + "/secret.safetensors", a);
    stguard_fuzz::WriteFileOrFail(f->base + "/rootx/m.safetensors", a);
    stguard_fuzz::WriteFileOrFail(f->base + "/a.safetensors", a);
    if (::symlink("a.safetensors", (f->root + "/link-in.safetensors").c_str()) != 0 ||
        ::symlink("../outside/secret.safetensors", (f->root + "/link-out.safetensors").c_str()) !=
            0 ||
        ::symlink("../outside", (f->root + "/linkdir").c_str()) != 0 ||
        ::mkfifo((f->root + "/fifo").c_str(), 0600) != 0 ||
        ::mkfifo((f->outside + "/fifo").c_str(), 0600) != 0) {
      Fail("cannot make the fixtures in " + f->base);
    }
    for (const std::string& w : {f->base, f->outside, f->base + "/rootx", f->root + "/fifo",
                                 f->outside + "/fifo"}) {
      f->watch.Add(w);
    }
    return f;
  }();
  return *fixture;
}

std::string Substituted(std::string_view input, const Fixture& f) {
  std::string out;
  for (size_t i = 0; i < input.size(); ++i) {
    if (input[i] == '%' && i + 1 < input.size() && (input[i + 1] == 'R' || input[i + 1] == 'O')) {
      out += input[i + 1] == 'R' ? f.root : f.outside;
      ++i;
    } else {
      out += input[i];
    }
  }
  return out;
}

// "/a/./b/../c" -> "/a/c", by the words alone (as a loader that does not
// resolve symlinks would read it).
std::string Lexical(std::string_view path) {
  std::vector<std::string_view> parts;
  size_t at = 0;
  while (at <= path.size()) {
    size_t slash = path.find('/', at);
    if (slash == std::string_view::npos) slash = path.size();
    const std::string_view part = path.substr(at, slash - at);
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    at = slash + 1;
  }
  std::string out;
  for (const std::string_view part : parts) {
    out += '/';
    out += part;
  }
  return out.empty() ? "/" : out;
}

// What may happen to an entry, decided without the code tested.
enum class Expect {
  kRefused,           // refused: never opened, not even with O_PATH
  kNotOpened,         // refused or "cannot read"
  kRefusedIfRegular,  // outside: refused, or "cannot read" when not a regular file
  kVerified,          // opened: a regular file under the root
  kAnyInside,         // under the root, but longer than open(2) takes: opened or not
};

Expect Expected(const std::string& path, const std::string& root) {
  if (path.empty() || path.find('\0') != std::string::npos) return Expect::kRefused;
  const std::string joined = path.front() == '/' ? path : root + "/" + path;
  if (!IsBelow(Lexical(joined), root)) return Expect::kRefused;
  const std::optional<std::string> real = stguard_fuzz::RealPathOf(joined);
  if (!real) return Expect::kNotOpened;
  struct stat st;
  const bool regular = ::stat(real->c_str(), &st) == 0 && S_ISREG(st.st_mode);
  if (!IsBelow(*real, root)) return regular ? Expect::kRefused : Expect::kRefusedIfRegular;
  // realpath(3) resolves a name of any length; open(2) refuses PATH_MAX and up.
  if (joined.size() >= PATH_MAX) return Expect::kAnyInside;
  return regular ? Expect::kVerified : Expect::kNotOpened;
}

std::string Printable(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (const char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += ch;
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// Reads the manifest as `stguard verify` does, checking each entry;
// returns the transcript.
std::string Verify(simdjson::ondemand::parser& parser, const simdjson::padded_string& text,
                   const ManifestRoot& root, const Fixture& f) {
  std::string transcript;
  size_t hashed = 0;
  const std::string error = stguard::cli::ReadManifest(
      parser, text, f.manifest, [&](ManifestEntry& entry) -> std::string {
        const std::string& path = entry.path();
        transcript += Printable(path) + " " + entry.sha256() + ": ";
        EntryFile opened;
        const bool ok = opened.Open(path, root);
        const Expect expect = Expected(path, f.root);
        const bool refused = !ok && !opened.refusal().empty();
        if ((expect == Expect::kRefused && !refused) ||
            (expect == Expect::kRefusedIfRegular && ok) || (expect == Expect::kNotOpened && ok) ||
            (expect == Expect::kVerified && !ok)) {
          Fail("entry " + Printable(path) + ": opened " + std::to_string(ok) + ", refusal '" +
               opened.refusal() + "', error '" + opened.error() + "', expected " +
               std::to_string(static_cast<int>(expect)));
        }
        if (!ok) {
          transcript +=
              (refused ? "refused " + opened.refusal() : "error " + opened.error()) + "\n";
          return "";
        }
        if (hashed++ >= kMaxHashed) {
          transcript += "opened\n";
          return "";
        }
        stguard::ValidateOptions options;
        options.deep_scan = true;
        const stguard::FileReport checked =
            stguard::ValidateFile(opened.read_path(), stguard_fuzz::BuiltinByIndex(1), options);
        if (!checked.io_ok || !checked.report.content) {
          Fail("entry " + Printable(path) + " opened under the root but not read: " +
               checked.io_error);
        }
        const std::string digest = stguard::DigestHex(checked.report.content->file_sha256);
        transcript += digest + "\n";
        if (digest == entry.sha256()) return "";
        return entry.ForEachTensor([&](const std::string& name, std::string_view sha256) {
          transcript += "  " + Printable(name) + " " + std::string(sha256) + "\n";
        });
      });
  return transcript + "=> " + Printable(error) + "\n";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Fixture& f = TheFixture();
  const std::string manifest =
      Substituted(std::string_view(reinterpret_cast<const char*>(data), size), f);
  stguard_fuzz::WriteFileOrFail(f.manifest, manifest);
  f.watch.Drain();

  ManifestRoot root;
  if (const std::error_code ec =
          stguard::cli::ResolveManifestRoot(std::nullopt, f.manifest, root)) {
    Fail("the manifest's directory is no root: " + ec.message());
  }
  if (root.dir.string() != f.root || root.real.string() != f.root) {
    Fail("the manifest's root is " + root.dir.string() + " (" + root.real.string() + ")");
  }
  simdjson::padded_string text;
  std::string error = stguard::cli::LoadManifest(f.manifest, text);
  if (!error.empty() || text.size() != manifest.size() ||
      std::string_view(text.data(), text.size()) != manifest) {
    Fail("the manifest did not load as written: " + error);
  }
  if (!manifest.empty()) {
    simdjson::padded_string refused;
    error = stguard::cli::LoadManifest(f.manifest, refused, manifest.size() - 1);
    if (error.find("is larger than") == std::string::npos || refused.size() != 0) {
      Fail("a manifest one byte over the cap was not refused: " + error);
    }
  }

  simdjson::ondemand::parser fresh;
  const std::string first = Verify(fresh, text, root, f);
  // A parser that has read other manifests, and the root spelled otherwise.
  static simdjson::ondemand::parser* reused = new simdjson::ondemand::parser;
  ManifestRoot again;
  if (stguard::cli::ResolveManifestRoot(f.root + "/sub/../", f.manifest, again) ||
      again.dir != root.dir || again.real != root.real) {
    Fail("--root " + f.root + "/sub/../ is another root: " + again.dir.string());
  }
  const std::string second = Verify(*reused, text, again, f);
  if (first != second) Fail("two readings differ:\n" + first + "---\n" + second);
  // STGUARD_FUZZ_VERBOSE=1: what each entry came to (what a seed exercises).
  static const bool verbose = std::getenv("STGUARD_FUZZ_VERBOSE") != nullptr;
  if (verbose) std::fprintf(stderr, "%s", first.c_str());
  for (const std::string& opened : f.watch.Drain()) {
    Fail("opened or read outside the root, or a FIFO: " + opened);
  }
  return 0;
}
