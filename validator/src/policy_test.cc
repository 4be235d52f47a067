// Unit tests for policies (policy.cc): built-ins, ParsePolicy and
// LoadPolicyFile (extends chains, cycles, every knob kind and its errors),
// and the PolicyToJson round trip.
#include "stguard/policy.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "inside_chroot.h"
#include "safetensors_builder.h"
#include "temp_dir.h"

namespace stguard {
namespace {

namespace fs = std::filesystem;

// A fresh directory under the test temp dir, removed at the end.
using testing::TempDir;

Policy Builtin(const char* name) { return *BuiltinPolicy(name); }

PolicyLoadResult Parse(const std::string& json) { return ParsePolicy(json, "."); }

// Expects a failure whose one-line message mentions `needle`.
::testing::AssertionResult FailsWith(const PolicyLoadResult& result, const std::string& needle) {
  if (result.policy) return ::testing::AssertionFailure() << "loaded, expected an error";
  if (result.error.empty()) return ::testing::AssertionFailure() << "no error message";
  if (result.error.find('\n') != std::string::npos) {
    return ::testing::AssertionFailure() << "error is not one line: " << result.error;
  }
  if (result.error.find(needle) == std::string::npos) {
    return ::testing::AssertionFailure() << "error lacks '" << needle << "': " << result.error;
  }
  return ::testing::AssertionSuccess();
}

// ---------------------------------------------------------------------------
// Built-ins

TEST(BuiltinPolicy, NamesAndUnknownNames) {
  ASSERT_EQ(BuiltinPolicyNames().size(), 3u);
  for (const std::string_view name : BuiltinPolicyNames()) {
    const std::optional<Policy> p = BuiltinPolicy(name);
    ASSERT_TRUE(p.has_value()) << name;
    EXPECT_EQ(p->name, name);
    EXPECT_FALSE(p->description.empty());
  }
  EXPECT_EQ(BuiltinPolicyNames()[0], "compat");
  EXPECT_EQ(BuiltinPolicyNames()[2], "strict");
  for (const char* name : {"", "Compat", "DEFAULT", "strict ", "compat.json", "none"}) {
    EXPECT_FALSE(BuiltinPolicy(name).has_value()) << name;
  }
}

TEST(BuiltinPolicy, CompatKnobs) {
  const Policy p = Builtin("compat");
  EXPECT_EQ(p.max_header_bytes, kMaxHeaderBytesCeiling);
  EXPECT_EQ(p.max_json_depth, kMaxJsonDepthCeiling);
  EXPECT_EQ(p.leading_whitespace, Action::kWarn);
  EXPECT_EQ(p.unknown_fields, Action::kWarn);
  EXPECT_EQ(p.path_like_names, Action::kWarn);
  EXPECT_EQ(p.header_length_unaligned, Action::kIgnore);
  EXPECT_EQ(p.tensor_offset_unaligned, Action::kIgnore);
  // The reference never reads the data: content findings only warn.
  EXPECT_EQ(p.nonfinite_values, Action::kWarn);
  EXPECT_EQ(p.bool_values, Action::kWarn);
  EXPECT_EQ(p.max_tensors, kNoLimit);
  EXPECT_EQ(p.max_rank, kNoLimit);
  EXPECT_EQ(p.allowed_dtypes, kAllDtypesMask);
}

TEST(BuiltinPolicy, DefaultAndStrictKnobs) {
  const Policy d = Builtin("default");
  EXPECT_EQ(d.max_json_depth, 32u);
  EXPECT_EQ(d.unknown_fields, Action::kReject);
  EXPECT_EQ(d.padding_not_spaces, Action::kWarn);
  EXPECT_EQ(d.path_like_names, Action::kWarn);
  EXPECT_EQ(d.max_name_bytes, 4096u);
  EXPECT_EQ(d.nonfinite_values, Action::kWarn);
  EXPECT_EQ(d.bool_values, Action::kReject);
  const Policy s = Builtin("strict");
  EXPECT_EQ(s.max_header_bytes, 50'000'000u);
  EXPECT_EQ(s.max_json_depth, 8u);
  EXPECT_EQ(s.padding_not_spaces, Action::kReject);
  EXPECT_EQ(s.path_like_names, Action::kReject);
  EXPECT_EQ(s.tensor_offset_unaligned, Action::kReject);
  EXPECT_EQ(s.max_rank, 16u);
  EXPECT_EQ(s.nonfinite_values, Action::kReject);
  EXPECT_EQ(s.bool_values, Action::kReject);
}

TEST(BuiltinPolicy, DefaultConstructedPolicyIsCompat) {
  // policy.h: "A default-constructed Policy is the built-in compat".
  EXPECT_EQ(Policy{}, Builtin("compat"));
}

TEST(ActionName, AllActions) {
  EXPECT_EQ(ActionName(Action::kIgnore), "ignore");
  EXPECT_EQ(ActionName(Action::kWarn), "warn");
  EXPECT_EQ(ActionName(Action::kReject), "reject");
}

TEST(ResolvePolicy, BuiltinNamesAndFiles) {
  const PolicyLoadResult builtin = ResolvePolicy("strict");
  ASSERT_TRUE(builtin.policy) << builtin.error;
  EXPECT_EQ(*builtin.policy, Builtin("strict"));
  TempDir dir;
  const std::string file = dir.Write("p.json", R"({"extends":"strict","max_rank":3})");
  const PolicyLoadResult loaded = ResolvePolicy(file);
  ASSERT_TRUE(loaded.policy) << loaded.error;
  EXPECT_EQ(loaded.policy->max_rank, 3u);
  EXPECT_TRUE(FailsWith(ResolvePolicy(dir.path() + "/missing.json"), "missing.json"));
}

// Installed policies: --policy NAME outside the source tree.
class InstalledPolicies : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* old = std::getenv("STGUARD_POLICY_PATH");
    had_old_ = old != nullptr;
    if (had_old_) old_ = old;
    first_.Write("hub-f16.json", R"({"extends":"strict","max_rank":2})");
    second_.Write("hub-f16.json", R"({"extends":"strict","max_rank":9})");
    second_.Write("lenient.json", R"({"extends":"compat","max_rank":5})");
    second_.Write("notes.txt", "not a policy");
    ::setenv("STGUARD_POLICY_PATH", (first_.path() + ":" + second_.path() + "/").c_str(), 1);
  }
  void TearDown() override {
    if (had_old_) {
      ::setenv("STGUARD_POLICY_PATH", old_.c_str(), 1);
    } else {
      ::unsetenv("STGUARD_POLICY_PATH");
    }
  }
  TempDir first_, second_;
  bool had_old_ = false;
  std::string old_;
};

TEST_F(InstalledPolicies, FoundByNameInTheFirstDirectoryThatHoldsIt) {
  const PolicyLoadResult found = ResolvePolicy("hub-f16");
  ASSERT_TRUE(found.policy) << found.error;
  EXPECT_EQ(found.policy->max_rank, 2u);
  const PolicyLoadResult later = ResolvePolicy("lenient.json");
  ASSERT_TRUE(later.policy) << later.error;
  EXPECT_EQ(later.policy->max_rank, 5u);
  const std::vector<std::string> dirs = PolicySearchDirs();
  ASSERT_GE(dirs.size(), 2u);
  EXPECT_EQ(dirs[0], first_.path());
  EXPECT_EQ(dirs[1], second_.path());  // the trailing '/' dropped
}

TEST_F(InstalledPolicies, BuiltinsAndFilesComeFirst) {
  first_.Write("strict.json", R"({"extends":"compat"})");
  const PolicyLoadResult builtin = ResolvePolicy("strict");
  ASSERT_TRUE(builtin.policy);
  EXPECT_EQ(*builtin.policy, Builtin("strict"));
  // A path is never looked up among the installed policies.
  EXPECT_TRUE(FailsWith(ResolvePolicy(second_.path() + "/hub-f16-missing.json"),
                        "hub-f16-missing.json"));
  EXPECT_FALSE(ResolvePolicy("./hub-f16").policy);
}

TEST_F(InstalledPolicies, AnUnknownNameListsTheBuiltinAndInstalledNames) {
  const PolicyLoadResult unknown = ResolvePolicy("hub-f8");
  ASSERT_FALSE(unknown.policy);
  for (const char* name : {"compat", "default", "strict", "hub-f16", "lenient"}) {
    EXPECT_NE(unknown.error.find(name), std::string::npos) << name << ": " << unknown.error;
  }
  EXPECT_EQ(unknown.error.find("notes"), std::string::npos) << unknown.error;
  const std::vector<std::string> names = InstalledPolicyNames();
  EXPECT_NE(std::find(names.begin(), names.end(), "hub-f16"), names.end());
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
}

// ---------------------------------------------------------------------------
// ParsePolicy basics

TEST(ParsePolicy, ExtendsBuiltinKeepsItsKnobs) {
  for (const char* name : {"compat", "default", "strict"}) {
    const PolicyLoadResult r = Parse(std::string(R"({"extends":")") + name + "\"}");
    ASSERT_TRUE(r.policy) << r.error;
    Policy expected = Builtin(name);
    expected.name = "policy";  // named after where it came from
    expected.description.clear();
    EXPECT_EQ(*r.policy, expected) << name;
  }
}

TEST(ParsePolicy, NameAndDescription) {
  const PolicyLoadResult r =
      Parse(R"({"extends":"default","name":"hub","description":"for the \"hub\"\n"})");
  ASSERT_TRUE(r.policy) << r.error;
  EXPECT_EQ(r.policy->name, "hub");
  EXPECT_EQ(r.policy->description, "for the \"hub\"\n");
  EXPECT_TRUE(FailsWith(Parse(R"({"extends":"default","name":1})"), "name"));
  EXPECT_TRUE(FailsWith(Parse(R"({"extends":"default","description":null})"), "description"));
}

TEST(ParsePolicy, KnobsOverrideTheBaseInAnyOrder) {
  const PolicyLoadResult r =
      Parse(R"({"max_rank":3,"unknown_fields":"ignore","extends":"strict"})");
  ASSERT_TRUE(r.policy) << r.error;
  EXPECT_EQ(r.policy->max_rank, 3u);
  EXPECT_EQ(r.policy->unknown_fields, Action::kIgnore);
  EXPECT_EQ(r.policy->max_json_depth, 8u);  // from strict
}

TEST(ParsePolicy, MissingExtends) {
  EXPECT_TRUE(FailsWith(Parse(R"({"max_rank":3})"), "extends"));
  EXPECT_TRUE(FailsWith(Parse("{}"), "extends"));
}

TEST(ParsePolicy, ExtendsMustBeAString) {
  EXPECT_TRUE(FailsWith(Parse(R"({"extends":1})"), "extends"));
  EXPECT_TRUE(FailsWith(Parse(R"({"extends":null})"), "extends"));
  EXPECT_TRUE(FailsWith(Parse(R"({"extends":["default"]})"), "extends"));
}

TEST(ParsePolicy, ExtendsAMissingFile) {
  EXPECT_TRUE(FailsWith(Parse(R"({"extends":"no-such-policy.json"})"), "no-such-policy.json"));
  EXPECT_TRUE(FailsWith(Parse(R"({"extends":"Default"})"), "Default"));
  EXPECT_TRUE(FailsWith(Parse(R"({"extends":""})"), "extends"));
}

TEST(ParsePolicy, UnknownKnob) {
  EXPECT_TRUE(FailsWith(Parse(R"({"extends":"default","max_tensor":5})"), "max_tensor"));
  EXPECT_TRUE(FailsWith(Parse(R"({"extends":"default","Max_rank":5})"), "Max_rank"));
  EXPECT_TRUE(FailsWith(Parse(R"({"extends":"default","":5})"), "unknown knob"));
}

TEST(ParsePolicy, DuplicateKeys) {
  EXPECT_TRUE(FailsWith(Parse(R"({"extends":"default","max_rank":3,"max_rank":4})"), "max_rank"));
  EXPECT_TRUE(FailsWith(Parse(R"({"extends":"default","extends":"strict"})"), "extends"));
  EXPECT_TRUE(FailsWith(Parse(R"({"extends":"default","max_rank":3,"max_r\u0061nk":3})"),
                        "twice"));
}

TEST(ParsePolicy, InvalidJson) {
  for (const char* text : {"", "{", "{\"extends\":\"default\",}", "{'extends':'default'}",
                           "{\"extends\":\"default\"} x", "nul"}) {
    EXPECT_TRUE(FailsWith(Parse(text), "policy")) << text;
  }
  EXPECT_TRUE(FailsWith(Parse("[]"), "object"));
  EXPECT_TRUE(FailsWith(Parse("\"default\""), "object"));
}

// ---------------------------------------------------------------------------
// Every knob kind

const char* const kActionKnobs[] = {
    "leading_whitespace",     "padding_not_spaces",      "header_length_unaligned",
    "metadata_null",          "tensor_entry_array",      "dtype_object_form",
    "unknown_fields",         "duplicate_tensor_names",  "duplicate_metadata_keys",
    "empty_tensor_names",     "control_chars_in_names",  "control_chars_in_metadata",
    "path_like_names",        "tensor_offset_unaligned", "nonfinite_values",
    "bool_values",            "index_consistency",       "index_total_size",
    "pickle_checkpoints",     "other_weight_formats"};
const char* const kLimitKnobs[] = {"max_tensors", "max_rank", "max_name_bytes",
                                   "max_metadata_entries", "max_metadata_value_bytes"};

TEST(PolicyKnobs, EveryActionKnobTakesEachAction) {
  for (const char* knob : kActionKnobs) {
    for (const char* action : {"ignore", "warn", "reject"}) {
      const PolicyLoadResult r = Parse(std::string(R"({"extends":"compat",")") + knob + "\":\"" +
                                       action + "\"}");
      ASSERT_TRUE(r.policy) << knob << " " << r.error;
      // The knob shows up in the serialized form with the new action.
      EXPECT_NE(PolicyToJson(*r.policy).find(std::string("\"") + knob + "\": \"" + action + "\""),
                std::string::npos)
          << knob << " " << action;
    }
  }
}

TEST(PolicyKnobs, ActionKnobsSetTheRightField) {
  const PolicyLoadResult r = Parse(R"({"extends":"compat","unknown_fields":"reject",
      "path_like_names":"ignore","tensor_offset_unaligned":"warn","metadata_null":"reject"})");
  ASSERT_TRUE(r.policy) << r.error;
  EXPECT_EQ(r.policy->unknown_fields, Action::kReject);
  EXPECT_EQ(r.policy->path_like_names, Action::kIgnore);
  EXPECT_EQ(r.policy->tensor_offset_unaligned, Action::kWarn);
  EXPECT_EQ(r.policy->metadata_null, Action::kReject);
  EXPECT_EQ(r.policy->leading_whitespace, Action::kWarn);  // untouched
}

TEST(PolicyKnobs, ActionKnobsRejectWrongValues) {
  for (const char* knob : kActionKnobs) {
    for (const char* value : {"1", "true", "null", "\"Reject\"", "\"warning\"", "\"\"", "[]",
                              "{\"warn\":1}"}) {
      EXPECT_TRUE(FailsWith(Parse(std::string(R"({"extends":"compat",")") + knob + "\":" + value + "}"),
                            knob))
          << knob << " = " << value;
    }
  }
}

TEST(PolicyKnobs, LimitKnobsTakeIntegersAndNull) {
  for (const char* knob : kLimitKnobs) {
    for (const char* value : {"0", "1", "18446744073709551614", "null"}) {
      const PolicyLoadResult r =
          Parse(std::string(R"({"extends":"strict",")") + knob + "\":" + value + "}");
      ASSERT_TRUE(r.policy) << knob << " " << value << ": " << r.error;
      const std::string json = PolicyToJson(*r.policy);
      EXPECT_NE(json.find(std::string("\"") + knob + "\": " + value), std::string::npos)
          << knob << " " << value << "\n" << json;
    }
  }
  const PolicyLoadResult r = Parse(R"({"extends":"strict","max_tensors":null,"max_rank":7})");
  ASSERT_TRUE(r.policy) << r.error;
  EXPECT_EQ(r.policy->max_tensors, kNoLimit);
  EXPECT_EQ(r.policy->max_rank, 7u);
}

TEST(PolicyKnobs, LimitKnobsRejectWrongValues) {
  for (const char* knob : kLimitKnobs) {
    for (const char* value : {"\"5\"", "-1", "1.5", "1e3", "true", "[]", "{}",
                              "18446744073709551615"}) {
      EXPECT_TRUE(FailsWith(Parse(std::string(R"({"extends":"compat",")") + knob + "\":" + value + "}"),
                            knob))
          << knob << " = " << value;
    }
    // Beyond 64 bits the policy is not even parsed: still an error.
    EXPECT_TRUE(FailsWith(
        Parse(std::string(R"({"extends":"compat",")") + knob + "\":18446744073709551616}"),
        "policy"));
  }
}

TEST(PolicyKnobs, MaxJsonDepthRange) {
  for (const char* ok : {"1", "8", "127"}) {
    const PolicyLoadResult r = Parse(std::string(R"({"extends":"compat","max_json_depth":)") + ok + "}");
    ASSERT_TRUE(r.policy) << ok << " " << r.error;
    EXPECT_EQ(r.policy->max_json_depth, static_cast<uint32_t>(std::stoul(ok)));
  }
  for (const char* bad : {"0", "128", "4294967297", "-1", "8.0", "null", "\"8\""}) {
    EXPECT_TRUE(FailsWith(Parse(std::string(R"({"extends":"compat","max_json_depth":)") + bad + "}"),
                          "max_json_depth"))
        << bad;
  }
}

TEST(PolicyKnobs, MaxHeaderBytesRange) {
  for (const char* ok : {"2", "100000000", "4096"}) {
    const PolicyLoadResult r = Parse(std::string(R"({"extends":"compat","max_header_bytes":)") + ok + "}");
    ASSERT_TRUE(r.policy) << ok << " " << r.error;
    EXPECT_EQ(r.policy->max_header_bytes, std::stoull(ok));
  }
  for (const char* bad : {"0", "1", "100000001", "18446744073709551615", "null", "-5", "\"9\"",
                          "1e6"}) {
    EXPECT_TRUE(FailsWith(Parse(std::string(R"({"extends":"compat","max_header_bytes":)") + bad + "}"),
                          "max_header_bytes"))
        << bad;
  }
}

TEST(PolicyKnobs, AllowedDtypes) {
  PolicyLoadResult r = Parse(R"({"extends":"compat","allowed_dtypes":["F16","BF16","F16"]})");
  ASSERT_TRUE(r.policy) << r.error;
  EXPECT_EQ(r.policy->allowed_dtypes, (1u << static_cast<unsigned>(Dtype::kF16)) |
                                          (1u << static_cast<unsigned>(Dtype::kBF16)));
  r = Parse(R"({"extends":"compat","allowed_dtypes":[]})");
  ASSERT_TRUE(r.policy) << r.error;
  EXPECT_EQ(r.policy->allowed_dtypes, 0u);
  r = Parse(R"({"extends":"compat","allowed_dtypes":["F16"]})");
  ASSERT_TRUE(r.policy);
  const std::string child = PolicyToJson(*r.policy);
  // "all" resets a restricted base.
  TempDir dir;
  dir.Write("f16.json", R"({"extends":"default","allowed_dtypes":["F16"]})");
  r = ParsePolicy(R"({"extends":"f16.json","allowed_dtypes":"all"})", dir.path());
  ASSERT_TRUE(r.policy) << r.error;
  EXPECT_EQ(r.policy->allowed_dtypes, kAllDtypesMask);
}

TEST(PolicyKnobs, AllowedDtypesEveryName) {
  std::string list = "[";
  for (int i = 0; i < kDtypeCount; ++i) {
    list += (i ? ",\"" : "\"") + std::string(DtypeName(static_cast<Dtype>(i))) + "\"";
  }
  const PolicyLoadResult r = Parse(R"({"extends":"compat","allowed_dtypes":)" + list + "]}");
  ASSERT_TRUE(r.policy) << r.error;
  EXPECT_EQ(r.policy->allowed_dtypes, kAllDtypesMask);
}

TEST(PolicyKnobs, AllowedDtypesRejectsWrongValues) {
  for (const char* bad : {"1", "\"F16\"", "\"ALL\"", "{}", "null", "[1]", "[\"F16\",\"X\"]",
                          "[\"f16\"]", "[\"\"]", "[[\"F16\"]]", "[null]"}) {
    EXPECT_TRUE(FailsWith(Parse(std::string(R"({"extends":"compat","allowed_dtypes":)") + bad + "}"),
                          "allowed_dtypes"))
        << bad;
  }
  EXPECT_TRUE(FailsWith(Parse(R"({"extends":"compat","allowed_dtypes":["F16","F128"]})"), "F128"));
}

// ---------------------------------------------------------------------------
// Files and extends chains

TEST(LoadPolicyFile, ChainOfRelativeAndAbsoluteExtends) {
  TempDir dir;
  fs::create_directory(dir.path() + "/sub");
  dir.Write("base.json", R"({"extends":"strict","name":"base","max_rank":3,"max_tensors":9})");
  dir.Write("sub/mid.json", R"({"extends":"../base.json","max_tensors":5,"unknown_fields":"warn"})");
  const std::string top = dir.Write(
      "top.json", R"({"extends":")" + dir.path() + R"(/sub/mid.json","path_like_names":"warn"})");
  const PolicyLoadResult r = LoadPolicyFile(top);
  ASSERT_TRUE(r.policy) << r.error;
  Policy expected = Builtin("strict");
  expected.max_rank = 3;
  expected.max_tensors = 5;
  expected.unknown_fields = Action::kWarn;
  expected.path_like_names = Action::kWarn;
  expected.name = top;  // no "name" key: named after the file
  expected.description.clear();
  EXPECT_EQ(*r.policy, expected);
}

TEST(LoadPolicyFile, RelativeExtendsResolveAgainstTheFilesDirectory) {
  TempDir dir;
  dir.Write("base.json", R"({"extends":"default","max_rank":2})");
  const PolicyLoadResult r = ParsePolicy(R"({"extends":"base.json"})", dir.path());
  ASSERT_TRUE(r.policy) << r.error;
  EXPECT_EQ(r.policy->max_rank, 2u);
  EXPECT_TRUE(FailsWith(ParsePolicy(R"({"extends":"base.json"})", dir.path() + "/elsewhere"),
                        "base.json"));
}

TEST(LoadPolicyFile, ErrorInABaseFileIsReported) {
  TempDir dir;
  dir.Write("bad.json", R"({"extends":"default","max_rank":"three"})");
  const std::string top = dir.Write("top.json", R"({"extends":"bad.json"})");
  EXPECT_TRUE(FailsWith(LoadPolicyFile(top), "max_rank"));
}

TEST(LoadPolicyFile, CycleIsDetected) {
  TempDir dir;
  const std::string a = dir.Write("a.json", R"({"extends":"b.json"})");
  dir.Write("b.json", R"({"extends":"a.json"})");
  EXPECT_TRUE(FailsWith(LoadPolicyFile(a), "cycle"));
  const std::string self = dir.Write("self.json", R"({"extends":"self.json"})");
  EXPECT_TRUE(FailsWith(LoadPolicyFile(self), "cycle"));
}

TEST(LoadPolicyFile, ReasonableChainLengthLoads) {
  TempDir dir;
  dir.Write("p0.json", R"({"extends":"strict","max_rank":0})");
  for (int i = 1; i < 6; ++i) {
    dir.Write("p" + std::to_string(i) + ".json",
              R"({"extends":"p)" + std::to_string(i - 1) + R"(.json","max_rank":)" +
                  std::to_string(i) + "}");
  }
  const PolicyLoadResult r = LoadPolicyFile(dir.path() + "/p5.json");
  ASSERT_TRUE(r.policy) << r.error;
  EXPECT_EQ(r.policy->max_rank, 5u);
}

TEST(LoadPolicyFile, MissingUnreadableOrDirectory) {
  TempDir dir;
  EXPECT_TRUE(FailsWith(LoadPolicyFile(dir.path() + "/none.json"), "none.json"));
  EXPECT_FALSE(LoadPolicyFile(dir.path()).policy.has_value());
}

TEST(LoadPolicyFile, TooLargeFileIsRejected) {
  TempDir dir;
  std::string text = R"({"extends":"default","description":")";
  text += std::string(1 << 20, 'x');
  text += "\"}";
  EXPECT_TRUE(FailsWith(LoadPolicyFile(dir.Write("big.json", text)), "1 MiB"));
}

TEST(LoadPolicyFile, InvalidJsonNamesTheFile) {
  TempDir dir;
  const std::string file = dir.Write("broken.json", "{\"extends\":");
  EXPECT_TRUE(FailsWith(LoadPolicyFile(file), "broken.json"));
}

TEST(LoadPolicyFile, ShippedExamplePolicy) {
  const PolicyLoadResult r =
      LoadPolicyFile(std::string(STGUARD_POLICIES_DIR) + "/example-hub-f16-only.json");
  ASSERT_TRUE(r.policy) << r.error;
  EXPECT_EQ(r.policy->name, "example-hub-f16-only");
  EXPECT_EQ(r.policy->max_header_bytes, 10'000'000u);
  EXPECT_EQ(r.policy->path_like_names, Action::kReject);
  EXPECT_EQ(r.policy->allowed_dtypes, (1u << static_cast<unsigned>(Dtype::kF16)) |
                                          (1u << static_cast<unsigned>(Dtype::kBF16)));
  EXPECT_EQ(r.policy->unknown_fields, Action::kReject);  // from default
}

// ---------------------------------------------------------------------------
// PolicyToJson

TEST(PolicyToJson, RoundTripsTheBuiltins) {
  for (const char* name : {"compat", "default", "strict"}) {
    const Policy p = Builtin(name);
    const std::string json = PolicyToJson(p);
    const PolicyLoadResult r = Parse(json);
    ASSERT_TRUE(r.policy) << name << ": " << r.error << "\n" << json;
    EXPECT_EQ(*r.policy, p) << name;
    EXPECT_EQ(PolicyToJson(*r.policy), json);
  }
}

TEST(PolicyToJson, RoundTripsACustomPolicy) {
  Policy p = Builtin("default");
  p.name = "my \"hub\" \\ policy\t\x01 caf\xC3\xA9";
  p.description = "line one\nline two \x7f \xF0\x9F\x98\x80";
  p.max_header_bytes = 2;
  p.max_json_depth = 1;
  p.leading_whitespace = Action::kIgnore;
  p.padding_not_spaces = Action::kReject;
  p.path_like_names = Action::kReject;
  p.max_tensors = 0;
  p.max_rank = kNoLimit - 1;
  p.max_name_bytes = kNoLimit;
  p.max_metadata_entries = 1;
  p.allowed_dtypes = (1u << static_cast<unsigned>(Dtype::kF4)) |
                     (1u << static_cast<unsigned>(Dtype::kU64));
  const std::string json = PolicyToJson(p);
  const PolicyLoadResult r = Parse(json);
  ASSERT_TRUE(r.policy) << r.error << "\n" << json;
  EXPECT_EQ(*r.policy, p) << json;
}

TEST(PolicyToJson, RoundTripsAnEmptyDtypeList) {
  Policy p = Builtin("strict");
  p.allowed_dtypes = 0;
  const PolicyLoadResult r = Parse(PolicyToJson(p));
  ASSERT_TRUE(r.policy) << r.error;
  EXPECT_EQ(*r.policy, p);
}

TEST(PolicyToJson, RoundTripsEveryKnobAtEveryAction) {
  for (const char* knob : kActionKnobs) {
    for (const char* action : {"ignore", "warn", "reject"}) {
      const PolicyLoadResult r = Parse(std::string(R"({"extends":"default",")") + knob + "\":\"" +
                                       action + "\"}");
      ASSERT_TRUE(r.policy) << r.error;
      const PolicyLoadResult again = Parse(PolicyToJson(*r.policy));
      ASSERT_TRUE(again.policy) << again.error;
      EXPECT_EQ(*again.policy, *r.policy) << knob << " " << action;
    }
  }
}

TEST(PolicyToJson, WritesEveryKnobOnce) {
  const std::string json = PolicyToJson(Builtin("strict"));
  std::vector<std::string> knobs(std::begin(kActionKnobs), std::end(kActionKnobs));
  knobs.insert(knobs.end(), std::begin(kLimitKnobs), std::end(kLimitKnobs));
  for (const char* k : {"max_header_bytes", "max_json_depth", "allowed_dtypes", "extends",
                        "name", "description"}) {
    knobs.push_back(k);
  }
  for (const std::string& knob : knobs) {
    const std::string key = "\"" + knob + "\":";
    const size_t first = json.find(key);
    EXPECT_NE(first, std::string::npos) << knob;
    EXPECT_EQ(json.find(key, first + 1), std::string::npos) << knob << " twice";
  }
}

TEST(PolicyToJson, ShippedFilesMatchTheSerializedBuiltins) {
  // The shipped compat.json is exactly PolicyToJson(compat).
  const std::vector<uint8_t> bytes =
      testing::ReadFileBytes(std::string(STGUARD_POLICIES_DIR) + "/compat.json");
  EXPECT_EQ(std::string(bytes.begin(), bytes.end()), PolicyToJson(Builtin("compat")));
}

}  // namespace
}  // namespace stguard

namespace stguard {
namespace {

// Paths: an absolute `extends`, and a policy file named without a directory
// (resolved against the working directory, like the CLI's --policy FILE).
TEST(LoadPolicyFile, AbsoluteExtendsAndBareFileNames) {
  TempDir dir;
  const std::string base = dir.Write("base.json", R"({"extends":"default","max_rank":7})");
  const PolicyLoadResult absolute =
      ParsePolicy(R"({"extends":")" + base + R"(","max_tensors":9})", "/nonexistent-dir");
  ASSERT_TRUE(absolute.policy) << absolute.error;
  EXPECT_EQ(absolute.policy->max_rank, 7u);
  EXPECT_EQ(absolute.policy->max_tensors, 9u);

  const fs::path previous = fs::current_path();
  fs::current_path(dir.path());
  dir.Write("child.json", R"({"extends":"base.json","max_rank":5})");
  const PolicyLoadResult bare = LoadPolicyFile("child.json");
  const PolicyLoadResult resolved = ResolvePolicy("child.json");
  fs::current_path(previous);
  ASSERT_TRUE(bare.policy) << bare.error;
  EXPECT_EQ(bare.policy->max_rank, 5u);
  EXPECT_EQ(bare.policy->name, "child.json");
  ASSERT_TRUE(resolved.policy) << resolved.error;
  EXPECT_EQ(*resolved.policy, *bare.policy);
}

TEST(ParsePolicy, AllowedDtypesItemsMustBeKnownNames) {
  EXPECT_TRUE(FailsWith(Parse(R"({"extends":"compat","allowed_dtypes":[7]})"), "non-string"));
  EXPECT_TRUE(FailsWith(Parse(R"({"extends":"compat","allowed_dtypes":["F128"]})"),
                        "unknown dtype 'F128'"));
  // An empty string is a string: named as an unknown dtype, not a non-string.
  EXPECT_TRUE(FailsWith(Parse(R"({"extends":"compat","allowed_dtypes":[""]})"),
                        "unknown dtype ''"));
  EXPECT_TRUE(FailsWith(Parse(R"({"extends":"compat","allowed_dtypes":{"F16":1}})"),
                        "allowed_dtypes"));
}

TEST(PolicyToJson, CustomListsAndLimitsRoundTrip) {
  Policy p = Builtin("strict");
  p.name = "custom \"quoted\"\n";
  p.allowed_dtypes = (1u << static_cast<unsigned>(Dtype::kBF16)) |
                     (1u << static_cast<unsigned>(Dtype::kF4));
  p.max_rank = 0;
  p.max_tensors = kNoLimit;
  const PolicyLoadResult back = Parse(PolicyToJson(p));
  ASSERT_TRUE(back.policy) << back.error;
  EXPECT_EQ(*back.policy, p);
}


TEST(LoadPolicyFile, FileInTheRootDirectoryExtendsRelativeToTheRoot) {
  // "/p.json" (in a chroot to a temp dir) extends "base.json": that is
  // "/base.json", whatever the working directory.
  TempDir dir;
  dir.Write("base.json", R"({"extends":"strict","max_tensors":9})");
  dir.Write("p.json", R"({"extends":"base.json","max_rank":3})");
  fs::create_directory(dir.path() + "/sub");
  dir.Write("sub/base.json", R"({"extends":"compat","max_tensors":1})");  // must not be used
  PolicyLoadResult loaded;
  PolicyLoadResult resolved;
  {
    testing::InsideChroot root(dir.path(), "/sub");
    if (!root.entered()) GTEST_SKIP() << root.why_not();
    loaded = LoadPolicyFile("/p.json");
    resolved = ResolvePolicy("/p.json");
  }
  ASSERT_TRUE(loaded.policy.has_value()) << loaded.error;
  EXPECT_EQ(loaded.policy->name, "/p.json");
  EXPECT_EQ(loaded.policy->max_rank, 3u);
  EXPECT_EQ(loaded.policy->max_tensors, 9u);
  EXPECT_EQ(loaded.policy->path_like_names, Action::kReject);  // from strict
  ASSERT_TRUE(resolved.policy.has_value()) << resolved.error;
  EXPECT_EQ(resolved.policy->max_tensors, 9u);
}

TEST(ActionName, ValueOutsideTheEnumReadsAsReject) {
  // Fail closed: an action no enumerator names is shown as "reject".
  EXPECT_EQ(ActionName(static_cast<Action>(3)), "reject");
  EXPECT_EQ(ActionName(static_cast<Action>(255)), "reject");
}

TEST(PolicyKnobs, SymlinkRootIsAnAbsolutePathOrEmpty) {
  const PolicyLoadResult ok = Parse(R"({"extends":"default","symlink_root":"/data/models"})");
  ASSERT_TRUE(ok.policy) << ok.error;
  EXPECT_EQ(ok.policy->symlink_root, "/data/models");
  EXPECT_NE(PolicyToJson(*ok.policy).find("\"symlink_root\": \"/data/models\""),
            std::string::npos);
  EXPECT_TRUE(Parse(R"({"extends":"default","symlink_root":""})").policy);
  for (const char* bad : {R"("relative/dir")", R"("/a\u0000b")", "1", "null", "[]"}) {
    const PolicyLoadResult r =
        Parse(std::string(R"({"extends":"default","symlink_root":)") + bad + "}");
    EXPECT_FALSE(r.policy) << bad;
    EXPECT_NE(r.error.find("symlink_root"), std::string::npos) << r.error;
  }
}

}  // namespace
}  // namespace stguard
