// fuzz_policy: the policy-file loader. The input is policy JSON text.
// Oracle: ParsePolicy never crashes; a policy that loads holds each action
// knob the text sets, as the text sets it (read again with simdjson's DOM,
// knobs looked up in fuzz_common's own table); a policy that loads,
// written back with PolicyToJson, loads again equal (and writes the same
// text again); under
// the loaded policy, small well-formed files get the same report with the
// fast paths on and off (fast_paths.h).
//
// 'extends' may name a file relative to the base directory. The target
// writes a few fixture policies (including an extends cycle) into a private
// temporary directory at start-up and passes it as base_dir. Inputs whose
// 'extends' is an absolute path or climbs out with ".." are skipped, so the
// fuzzer cannot make the loader open /dev/stdin or other files that block.
#include <simdjson.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

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
        stguard_fuzz::Frame(R"({"__metadata__":{"format":"pt","a":"tab	here"},)"
                            R"("x.weight":{"dtype":"BF16","shape":[2,2],"data_offsets":[0,8]},)"
                            R"("../b":{"dtype":"U8","shape":[8],"data_offsets":[8,16]},)"
                            R"("c":{"dtype":"F64","shape":[1,1,1,1,1,1,1,1,1],"data_offsets":[16,24]}})",
                            data)};
  }();
  for (const std::vector<uint8_t>& file : kFiles) {
    stguard::ValidateOptions collect;
    collect.collect_tensors = true;
    const stguard::Report report = stguard::ValidateBuffer(file, *loaded.policy, collect);
    stguard_fuzz::CheckFindings(report, "loaded policy");
    const stguard::internal::ScopedFastPathsOff exact_readers_only;
    const stguard::Report exact = stguard::ValidateBuffer(file, *loaded.policy, collect);
    if (std::string diff = stguard_fuzz::DiffReports(report, exact, true); !diff.empty()) {
      stguard_fuzz::Fail("fast paths and exact readers disagree under a loaded policy: " + diff);
    }
  }
  return 0;
}
