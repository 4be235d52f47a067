// fuzz_policy: the policy-file loader. The input is policy JSON text.
// Oracle: ParsePolicy never crashes; a policy that loads holds each action
// knob the text sets, as the text sets it (read again with simdjson's DOM,
// knobs looked up in fuzz_common's own table); a policy that loads,
// written back with PolicyToJson, loads again equal (and writes the same
// text again); under
// the loaded policy, small well-formed files get the same report with the
// fast paths on and off (fast_paths.h), and a limit finding (317, 319 to
// 322) or 502 exactly when the file (read with simdjson's DOM) is past that
// limit or holds a dtype the policy leaves out.
//
// 'extends' may name a file relative to the base directory. The target
// writes a few fixture policies (including an extends cycle) into a private
// temporary directory at start-up and passes it as base_dir. Inputs whose
// 'extends' is an absolute path or climbs out with ".." are skipped, so the
// fuzzer cannot make the loader open /dev/stdin or other files that block.
#include <simdjson.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fast_paths.h"
#include "fuzz_common.h"

namespace {

std::string& BaseDir() {
  static std::string dir;
  return dir;
}

void WriteFixture(const std::string& dir, const char* name, const char* text) {
  const std::string path = dir + "/" + name;
  if (FILE* f = std::fopen(path.c_str(), "wb")) {
    std::fputs(text, f);
    std::fclose(f);
  }
}

void SetUp() {
  if (!BaseDir().empty()) return;
  char tmpl[] = "/tmp/stguard-fuzz-policy-XXXXXX";
  const char* dir = mkdtemp(tmpl);
  BaseDir() = dir != nullptr ? dir : "/nonexistent-stguard-fuzz";
  if (dir == nullptr) return;
  WriteFixture(BaseDir(), "team.json",
               R"({"extends": "default", "name": "team", "max_tensors": 1000,)"
               R"( "allowed_dtypes": ["F32", "BF16", "F16"]})");
  WriteFixture(BaseDir(), "child.json",
               R"({"extends": "team.json", "path_like_names": "reject", "max_rank": null})");
  WriteFixture(BaseDir(), "loop_a.json", R"({"extends": "loop_b.json"})");
  WriteFixture(BaseDir(), "loop_b.json", R"({"extends": "loop_a.json"})");
  WriteFixture(BaseDir(), "broken.json", R"({"extends": "strict", "max_json_depth": 0})");
  WriteFixture(BaseDir(), "notjson.json", "{\"extends\": ");
}

// True when a top-level 'extends' (any occurrence) could leave the fixture
// directory: absolute, or with a ".." component.
bool ExtendsEscapes(const uint8_t* data, size_t size) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(data, size).get(root) != simdjson::SUCCESS) return false;
  simdjson::dom::object object;
  if (root.get_object().get(object) != simdjson::SUCCESS) return false;
  for (simdjson::dom::key_value_pair kv : object) {
    if (kv.key != "extends") continue;
    std::string_view base;
    if (kv.value.get_string().get(base) != simdjson::SUCCESS) continue;
    if (stguard::BuiltinPolicy(base)) continue;
    if (!base.empty() && base.front() == '/') return true;
    if (base.find("..") != std::string_view::npos) return true;
    if (base.find('\0') != std::string_view::npos) return true;
  }
  return false;
}

// What a fixture file holds that the policy's limits and dtype list judge,
// read with simdjson's DOM (nullopt if it does not parse).
struct FileStats {
  uint64_t tensors = 0, longest_name = 0, largest_rank = 0;
  uint64_t metadata_entries = 0, longest_metadata_text = 0;
  uint32_t dtypes = 0;  // bit per Dtype
};

std::optional<FileStats> StatsOf(const std::vector<uint8_t>& file) {
  const uint64_t n = stguard_fuzz::ReadLe64(file.data());
  simdjson::dom::parser parser;
  simdjson::dom::object top;
  if (parser.parse(file.data() + 8, static_cast<size_t>(n)).get(top) != simdjson::SUCCESS) {
    return std::nullopt;
  }
  FileStats s;
  for (simdjson::dom::key_value_pair member : top) {
    if (member.key == "__metadata__") {
      simdjson::dom::object meta;
      if (member.value.get_object().get(meta) != simdjson::SUCCESS) return std::nullopt;
      for (simdjson::dom::key_value_pair kv : meta) {
        std::string_view value;
        if (kv.value.get_string().get(value) != simdjson::SUCCESS) return std::nullopt;
        ++s.metadata_entries;
        s.longest_metadata_text = std::max<uint64_t>(
            s.longest_metadata_text, std::max(kv.key.size(), value.size()));
      }
      continue;
    }
    ++s.tensors;
    s.longest_name = std::max<uint64_t>(s.longest_name, member.key.size());
    std::string_view dtype;
    simdjson::dom::array shape;
    if (member.value["dtype"].get_string().get(dtype) != simdjson::SUCCESS ||
        member.value["shape"].get_array().get(shape) != simdjson::SUCCESS) {
      return std::nullopt;
    }
    const std::optional<stguard::Dtype> d = stguard::DtypeFromName(dtype);
    if (!d) return std::nullopt;
    s.dtypes |= 1u << static_cast<unsigned>(*d);
    s.largest_rank = std::max<uint64_t>(s.largest_rank, shape.size());
  }
  return s;
}

// A fixture file whose JSON the validator read (no finding below 300):
// each limit finding, and 502, exactly when the file is past the limit.
void CheckLimits(const stguard::Report& report, const FileStats& s, const stguard::Policy& p) {
  for (const stguard::Finding& f : report.findings) {
    if (static_cast<unsigned>(f.code) < 300) return;
  }
  const auto expect = [&](stguard::Code code, bool past, const char* limit) {
    if (report.HasCode(code) != past) {
      stguard_fuzz::Fail(std::string("fixture file ") + (past ? "past" : "within") + " " + limit +
                         (past ? " without" : " but with") + " finding " +
                         std::to_string(static_cast<unsigned>(code)));
    }
  };
  expect(stguard::Code::kTooManyTensors, s.tensors > p.max_tensors, "max_tensors");
  expect(stguard::Code::kTensorNameTooLong, s.longest_name > p.max_name_bytes, "max_name_bytes");
  expect(stguard::Code::kRankTooLarge, s.largest_rank > p.max_rank, "max_rank");
  expect(stguard::Code::kTooManyMetadataEntries, s.metadata_entries > p.max_metadata_entries,
         "max_metadata_entries");
  expect(stguard::Code::kMetadataValueTooLong, s.longest_metadata_text > p.max_metadata_value_bytes,
         "max_metadata_value_bytes");
  expect(stguard::Code::kDtypeNotAllowed, (s.dtypes & ~p.allowed_dtypes) != 0, "allowed_dtypes");
}

// Each action knob the text sets ("ignore", "warn" or "reject") is in the
// loaded policy as written: the text's own keys override its base, and a
// key given twice does not load.
void CheckKnobsAsWritten(const uint8_t* data, size_t size, const stguard::Policy& policy) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(data, size).get(root) != simdjson::SUCCESS) return;
  simdjson::dom::object object;
  if (root.get_object().get(object) != simdjson::SUCCESS) return;
  for (simdjson::dom::key_value_pair kv : object) {
    const std::optional<stguard::Action> action = stguard_fuzz::ActionOfKnob(policy, kv.key);
    std::string_view text;
    if (!action || kv.value.get_string().get(text) != simdjson::SUCCESS) continue;
    if (stguard::ActionName(*action) != text) {
      stguard_fuzz::Fail("knob '" + std::string(kv.key) + "' written as \"" + std::string(text) +
                         "\" loads as \"" + std::string(stguard::ActionName(*action)) + "\"");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  SetUp();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  SetUp();
  if (size > (1u << 20)) return 0;
  if (ExtendsEscapes(data, size)) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const stguard::PolicyLoadResult loaded = stguard::ParsePolicy(text, BaseDir());
  if (!loaded.policy) {
    if (loaded.error.empty()) stguard_fuzz::Fail("policy rejected without an error message");
    return 0;
  }
  if (!loaded.error.empty()) stguard_fuzz::Fail("policy loaded but an error is set");
  CheckKnobsAsWritten(data, size, *loaded.policy);
  const std::string json = stguard::PolicyToJson(*loaded.policy);
  const stguard::PolicyLoadResult again = stguard::ParsePolicy(json, BaseDir());
  if (!again.policy) {
    stguard_fuzz::Fail("PolicyToJson output does not load: " + again.error + "\n" + json);
  }
  if (!(*again.policy == *loaded.policy)) {
    stguard_fuzz::Fail("PolicyToJson round trip changes the policy:\n" + json + "\nvs\n" +
                       stguard::PolicyToJson(*again.policy));
  }
  if (stguard::PolicyToJson(*again.policy) != json) {
    stguard_fuzz::Fail("PolicyToJson is not stable across a round trip");
  }
  // Use the loaded policy on small well-formed files: every limit and knob
  // of the policy meets the fast paths (plain entries and metadata read
  // without a DOM), which must agree with the exact readers.
  static const std::vector<std::vector<uint8_t>> kFiles = [] {
    const std::vector<uint8_t> data(24, 0);
    return std::vector<std::vector<uint8_t>>{
        stguard_fuzz::Frame(
            R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"__metadata__":{"k":"v"}})",
            std::span<const uint8_t>(data.data(), 8)),
        stguard_fuzz::Frame(R"({"__metadata__":{"format":"pt","a":"tab\there"},)"
                            R"("x.weight":{"dtype":"BF16","shape":[2,2],"data_offsets":[0,8]},)"
                            R"("../b":{"dtype":"U8","shape":[8],"data_offsets":[8,16]},)"
                            R"("c":{"dtype":"F64","shape":[1,1,1,1,1,1,1,1,1],"data_offsets":[16,24]}})",
                            data)};
  }();
  static const std::vector<std::optional<FileStats>> kStats = [] {
    std::vector<std::optional<FileStats>> stats;
    for (const std::vector<uint8_t>& file : kFiles) stats.push_back(StatsOf(file));
    return stats;
  }();
  for (size_t f = 0; f < kFiles.size(); ++f) {
    const std::vector<uint8_t>& file = kFiles[f];
    stguard::ValidateOptions collect;
    collect.collect_tensors = true;
    const stguard::Report report = stguard::ValidateBuffer(file, *loaded.policy, collect);
    stguard_fuzz::CheckFindings(report, "loaded policy");
    if (kStats[f]) CheckLimits(report, *kStats[f], *loaded.policy);
    const stguard::internal::ScopedFastPathsOff exact_readers_only;
    const stguard::Report exact = stguard::ValidateBuffer(file, *loaded.policy, collect);
    if (std::string diff = stguard_fuzz::DiffReports(report, exact, true); !diff.empty()) {
      stguard_fuzz::Fail("fast paths and exact readers disagree under a loaded policy: " + diff);
    }
  }
  return 0;
}
