// fuzz_index: the sharded-checkpoint index reader and cross-checks. The
// input is the text of a model.safetensors.index.json, written into a
// private directory that holds fixture shards (written at start-up): two
// good shards (their tensors known here), a broken one, a subdirectory with
// a copy of the first, and a symlink that leads outside the directory.
// Oracle (abort on any violation):
//   - ValidateCheckpoint is deterministic (same report twice);
//   - every index finding has a known code and an offset inside the index;
//   - the verdict is reject exactly when an index finding is an error or a
//     checked shard is rejected;
//   - a shard that was opened resolves (symlinks followed) inside the
//     index's directory: the link leading out is never opened;
//   - the index oracle: weight_map read by simdjson's DOM (another parser
//     than the validator's), each name resolved here, tied to what the
//     fixture shards hold: a name that leads outside or to no file, or a
//     broken shard, means rejection under every policy; an index default
//     accepts lists exactly the tensors its shards hold, each for its shard;
//   - a key repeated (as simdjson's DOM decodes keys) at the top level of
//     the index, in its metadata or in weight_map means rejection under
//     default (803); under every policy, the listed tensors that a good
//     fixture shard named for them does not hold (the last entry of a name,
//     as a loader keeps) are exactly the 806 findings;
//   - under compat, a checkpoint is never rejected for a reason default
//     accepts (rejections grow compat -> default);
//   - the work oracle (fuzz_common.h), over the index and the shards read.
// A custom mutator repeats a weight_map entry K times (K up to thousands),
// so that repeated keys, names and shards meet the work oracle.
#include <simdjson.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "fuzz_common.h"
#include "stguard/checkpoint.h"

namespace {

std::string& Dir() {
  static std::string dir;
  return dir;
}

void WriteFile(const std::string& path, std::string_view bytes) {
  if (FILE* f = std::fopen(path.c_str(), "wb")) {
    std::fwrite(bytes.data(), 1, bytes.size(), f);
    std::fclose(f);
  }
}

std::string Shard(std::string_view header, std::string_view data) {
  std::string padded(header);
  while (padded.size() % 8 != 0) padded += ' ';
  const std::vector<uint8_t> framed = stguard_fuzz::Frame(
      padded, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(data.data()), data.size()));
  return std::string(framed.begin(), framed.end());
}

void SetUp() {
  if (!Dir().empty()) return;
  char tmpl[] = "/tmp/stguard-fuzz-index-XXXXXX";
  const char* dir = mkdtemp(tmpl);
  Dir() = dir != nullptr ? dir : "/nonexistent-stguard-fuzz";
  if (dir == nullptr) return;
  WriteFile(Dir() + "/model-00001-of-00002.safetensors",
            Shard(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                  R"("b":{"dtype":"U8","shape":[3],"data_offsets":[8,11]}})",
                  std::string(11, '\0')));
  WriteFile(Dir() + "/model-00002-of-00002.safetensors",
            Shard(R"({"__metadata__":{"format":"pt"},)"
                  R"("c":{"dtype":"BF16","shape":[1],"data_offsets":[0,2]}})",
                  std::string(2, '\0')));
  WriteFile(Dir() + "/broken.safetensors", "this is not safetensors");
  ::mkdir((Dir() + "/sub").c_str(), 0700);
  WriteFile(Dir() + "/sub/copy.safetensors",
            Shard(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                  R"("b":{"dtype":"U8","shape":[3],"data_offsets":[8,11]}})",
                  std::string(11, '\0')));
  if (symlink("/etc/hostname", (Dir() + "/escape.safetensors").c_str()) != 0) {
    // Without the symlink the target still fuzzes everything else.
  }
}

void CheckReport(const stguard::CheckpointReport& r, const char* what) {
  bool index_error = false, shard_rejected = false;
  for (const stguard::Finding& f : r.findings) {
    if (!stguard_fuzz::IsKnownCode(f.code)) stguard_fuzz::Fail(std::string(what) + ": unknown code");
    const bool offset_ok = r.index_size == 0 ? f.offset == 0 : f.offset < r.index_size;
    if (!offset_ok) stguard_fuzz::Fail(std::string(what) + ": finding offset outside the index");
    index_error |= f.severity == stguard::Severity::kError;
  }
  for (const stguard::ShardReport& shard : r.shards) {
    if (!shard.checked) continue;
    char* real = ::realpath(shard.path.c_str(), nullptr);
    const std::string resolved = real != nullptr ? real : "";
    std::free(real);
    char* real_dir = ::realpath(Dir().c_str(), nullptr);
    const std::string inside = std::string(real_dir != nullptr ? real_dir : "") + "/";
    std::free(real_dir);
    if (resolved.rfind(inside, 0) != 0) {
      stguard_fuzz::Fail(std::string(what) + ": opened a shard outside the index directory: " +
                         shard.path);
    }
    stguard_fuzz::CheckFindings(shard.report, "shard");
    shard_rejected |= shard.report.verdict == stguard::Verdict::kReject;
  }
  const bool reject = index_error || shard_rejected;
  if (r.index_io_ok && reject != (r.verdict == stguard::Verdict::kReject)) {
    stguard_fuzz::Fail(std::string(what) + ": verdict does not follow the findings");
  }
}

std::string Summary(const stguard::CheckpointReport& r) {
  std::string s = std::to_string(static_cast<int>(r.verdict)) + "/" +
                  std::to_string(r.listed_tensors) + "/" + std::to_string(r.shards.size());
  for (const stguard::Finding& f : r.findings) {
    s += "|" + std::to_string(static_cast<unsigned>(f.code)) + "@" + std::to_string(f.offset) +
         ":" + f.message;
  }
  for (const stguard::ShardReport& shard : r.shards) {
    s += "|" + shard.file_name + (shard.checked ? "+" : "-") +
         std::to_string(shard.report.findings.size());
  }
  return s;
}

// What each fixture file holds, by its real name under Dir(): the tensors,
// or nullopt for a file that is not a valid shard.
std::optional<std::set<std::string>> FixtureTensors(const std::string& relative) {
  static const std::map<std::string, std::set<std::string>> kGood = {
      {"model-00001-of-00002.safetensors", {"a", "b"}},
      {"model-00002-of-00002.safetensors", {"c"}},
      {"sub/copy.safetensors", {"a", "b"}}};
  const auto it = kGood.find(relative);
  if (it == kGood.end()) return std::nullopt;
  return it->second;
}

// weight_map as simdjson's DOM reads it (the last of a repeated key), or
// nullopt when that parser refuses the text or it has no weight_map object.
std::optional<std::map<std::string, std::string>> DomWeightMap(const uint8_t* data, size_t size) {
  simdjson::dom::parser parser;
  simdjson::dom::object root;
  if (parser.parse(reinterpret_cast<const char*>(data), size).get(root) != simdjson::SUCCESS) {
    return std::nullopt;
  }
  // A repeated weight_map: the last one, as a loader's json.load keeps.
  simdjson::dom::object map;
  bool found = false;
  for (simdjson::dom::key_value_pair member : root) {
    if (member.key != "weight_map") continue;
    found = member.value.get_object().get(map) == simdjson::SUCCESS;
  }
  if (!found) return std::nullopt;
  std::map<std::string, std::string> out;
  for (simdjson::dom::key_value_pair kv : map) {
    std::string_view shard;
    if (kv.value.get_string().get(shard) != simdjson::SUCCESS) return std::nullopt;
    out[std::string(kv.key)] = std::string(shard);
  }
  return out;
}

// True when the top-level object, or a "metadata" or "weight_map" object in
// it, repeats a key (decoded, as the DOM gives keys).
bool DomRepeatsKey(const uint8_t* data, size_t size) {
  simdjson::dom::parser parser;
  simdjson::dom::object root;
  if (parser.parse(reinterpret_cast<const char*>(data), size).get(root) != simdjson::SUCCESS) {
    return false;
  }
  std::set<std::string_view> top;
  for (simdjson::dom::key_value_pair member : root) {
    if (!top.insert(member.key).second) return true;
    if (member.key != "metadata" && member.key != "weight_map") continue;
    simdjson::dom::object inner;
    if (member.value.get_object().get(inner) != simdjson::SUCCESS) continue;
    std::set<std::string_view> keys;
    for (simdjson::dom::key_value_pair kv : inner) {
      if (!keys.insert(kv.key).second) return true;
    }
  }
  return false;
}

// The index oracle (see the top of the file).
void CheckAgainstFixtures(const uint8_t* data, size_t size, const stguard::CheckpointReport& r,
                          const char* what, bool strict_consistency) {
  const std::optional<std::map<std::string, std::string>> map = DomWeightMap(data, size);
  if (!map) return;  // not JSON to simdjson either, or no map: the verdict is the reader's
  char* real_dir_c = ::realpath(Dir().c_str(), nullptr);
  const std::string real_dir = real_dir_c != nullptr ? real_dir_c : "";
  std::free(real_dir_c);
  bool unusable_shard = false;
  std::map<std::string, std::set<std::string>> held;   // fixture file -> its tensors
  std::map<std::string, std::set<std::string>> listed;  // fixture file -> listed tensors
  for (const auto& [tensor, name] : *map) {
    std::string relative;
    if (name.empty() || name.front() == '/' || name.find('\0') != std::string::npos ||
        name.find('\\') != std::string::npos) {
      unusable_shard = true;
      continue;
    }
    char* real = ::realpath((Dir() + "/" + name).c_str(), nullptr);
    const std::string resolved = real != nullptr ? real : "";
    std::free(real);
    if (resolved.rfind(real_dir + "/", 0) != 0) {
      unusable_shard = true;
      continue;
    }
    relative = resolved.substr(real_dir.size() + 1);
    const std::optional<std::set<std::string>> tensors = FixtureTensors(relative);
    if (!tensors) {
      unusable_shard = true;
      continue;
    }
    held[relative] = *tensors;
    listed[relative].insert(tensor);
  }
  if (unusable_shard && r.verdict == stguard::Verdict::kAccept) {
    stguard_fuzz::Fail(std::string(what) +
                       ": accepted an index naming a shard that leads outside, to no file or "
                       "to a broken one");
  }
  // The 806 findings: entries (the last of each name) whose named shard is a
  // good fixture that does not hold the tensor, when the index was read and
  // used (no 801, 802 or 904) and the findings of that code were not cut.
  bool read_and_used = true;
  size_t missing_findings = 0;
  for (const stguard::Finding& f : r.findings) {
    read_and_used &= f.code != stguard::Code::kIndexInvalid &&
                     f.code != stguard::Code::kIndexSchema &&
                     f.code != stguard::Code::kCheckpointFanOut;
    missing_findings += f.code == stguard::Code::kIndexTensorMissing;
  }
  if (read_and_used) {
    size_t expected = 0;
    for (const auto& [tensor, name] : *map) {
      if (name.empty() || name.front() == '/' || name.find('\0') != std::string::npos ||
          name.find('\\') != std::string::npos) {
        continue;
      }
      char* real = ::realpath((Dir() + "/" + name).c_str(), nullptr);
      const std::string resolved = real != nullptr ? real : "";
      std::free(real);
      if (resolved.rfind(real_dir + "/", 0) != 0) continue;
      const std::optional<std::set<std::string>> tensors =
          FixtureTensors(resolved.substr(real_dir.size() + 1));
      if (tensors && tensors->count(tensor) == 0) ++expected;
    }
    const size_t kept = std::min<size_t>(expected, stguard::ValidateOptions{}.max_findings_per_code);
    if (missing_findings != kept) {
      stguard_fuzz::Fail(std::string(what) + ": " + std::to_string(missing_findings) +
                         " findings 806, but weight_map (the last entry of each name) names " +
                         std::to_string(expected) + " tensors a good shard does not hold");
    }
  }
  if (strict_consistency && r.verdict == stguard::Verdict::kAccept && DomRepeatsKey(data, size)) {
    stguard_fuzz::Fail(std::string(what) + ": accepted an index that repeats a key");
  }
  if (!strict_consistency || r.verdict != stguard::Verdict::kAccept) return;
  // default accepts: each named shard's tensors are exactly those listed for
  // it, and no tensor is held by two named shards.
  std::map<std::string, std::string> holder;
  for (const auto& [file, tensors] : held) {
    if (listed[file] != tensors) {
      stguard_fuzz::Fail(std::string(what) + ": accepted, but weight_map does not list " + file +
                         "'s tensors exactly");
    }
    for (const std::string& t : tensors) {
      if (!holder.emplace(t, file).second) {
        stguard_fuzz::Fail(std::string(what) + ": accepted, but tensor " + t +
                           " is held by two shards");
      }
    }
  }
}

}  // namespace

extern "C" size_t LLVMFuzzerMutate(uint8_t* data, size_t size, size_t max_size)
    __attribute__((weak));

// One time in six: a "key": "value" pair of the text repeated K times
// (K up to thousands, within max_size); otherwise libFuzzer's mutations.
extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size,
                                          unsigned int seed) {
  std::minstd_rand rng(seed);
  const std::string text(reinterpret_cast<const char*>(data), size);
  if (rng() % 6 == 0) {
    // Pairs: positions of ':' between two strings.
    std::vector<std::pair<size_t, size_t>> pairs;
    for (size_t colon = text.find(':'); colon != std::string::npos;
         colon = text.find(':', colon + 1)) {
      const size_t key_end = text.rfind('"', colon);
      const size_t key_begin = key_end == std::string::npos || key_end == 0
                                   ? std::string::npos
                                   : text.rfind('"', key_end - 1);
      const size_t value_begin = text.find('"', colon);
      const size_t value_end =
          value_begin == std::string::npos ? std::string::npos : text.find('"', value_begin + 1);
      if (key_begin == std::string::npos || value_end == std::string::npos) continue;
      pairs.emplace_back(key_begin, value_end + 1);
      if (pairs.size() >= 64) break;
    }
    if (!pairs.empty()) {
      const auto [begin, end] = pairs[rng() % pairs.size()];
      const std::string pair = text.substr(begin, end - begin);
      const size_t room = max_size > size ? max_size - size : 0;
      size_t k = size_t{2} << (rng() % 13);
      k = std::min(k, room / (pair.size() + 1));
      if (k > 0) {
        std::string repeated;
        for (size_t i = 0; i < k; ++i) repeated += "," + pair;
        const std::string out = text.substr(0, end) + repeated + text.substr(end);
        std::memcpy(data, out.data(), out.size());
        return out.size();
      }
    }
  }
  return LLVMFuzzerMutate != nullptr ? LLVMFuzzerMutate(data, size, max_size) : size;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  SetUp();
  const std::string index = Dir() + "/model.safetensors.index.json";
  WriteFile(index, std::string_view(reinterpret_cast<const char*>(data), size));
  stguard_fuzz::StartWork();
  const stguard::CheckpointReport compat =
      stguard::ValidateCheckpoint(index, stguard_fuzz::BuiltinByIndex(0));
  // The work: the index, and the fixture shards it may read (a few
  // hundred bytes each).
  stguard_fuzz::CheckWork(size + 1024, "compat");
  const stguard::CheckpointReport standard =
      stguard::ValidateCheckpoint(index, stguard_fuzz::BuiltinByIndex(1));
  const stguard::CheckpointReport again =
      stguard::ValidateCheckpoint(index, stguard_fuzz::BuiltinByIndex(1));
  if (!compat.index_io_ok || !standard.index_io_ok) {
    stguard_fuzz::Fail("the index could not be read: " + compat.index_io_error +
                       standard.index_io_error);
  }
  CheckReport(compat, "compat");
  CheckReport(standard, "default");
  CheckAgainstFixtures(data, size, compat, "compat", false);
  CheckAgainstFixtures(data, size, standard, "default", true);
  if (Summary(standard) != Summary(again)) stguard_fuzz::Fail("ValidateCheckpoint is not deterministic");
  if (compat.verdict == stguard::Verdict::kReject && standard.verdict == stguard::Verdict::kAccept) {
    stguard_fuzz::Fail("compat rejects a checkpoint default accepts");
  }
  return 0;
}
