// RapidCheck generators: valid files (GFile) and single-fault mutations of a
// valid file, each carrying the code it must produce and, per policy, what
// the policy does with it.
#ifndef STGUARD_TESTS_PROPERTY_ST_GEN_H_
#define STGUARD_TESTS_PROPERTY_ST_GEN_H_

#include <rapidcheck.h>

#include <functional>
#include <numeric>
#include <string>
#include <vector>

#include "st_model.h"
#include "stguard/policy.h"

namespace stguard::prop {

// ---------------------------------------------------------------------------
// Valid files.

// A uniform choice in [lo, hi), independent of RapidCheck's size parameter
// (which otherwise narrows inRange for small sizes).
inline int Pick(int lo, int hi) { return *rc::gen::resize(100, rc::gen::inRange(lo, hi)); }

// A permutation of `v` (Fisher-Yates; shrinks towards the original order).
template <typename T>
std::vector<T> Shuffle(std::vector<T> v) {
  for (size_t i = v.size(); i > 1; --i) {
    const size_t j = *rc::gen::inRange<size_t>(0, i);
    std::swap(v[i - 1], v[j]);
  }
  return v;
}

inline rc::Gen<std::string> GenName() {
  return rc::gen::exec([] {
    static const std::vector<uint32_t> alphabet = {
        'a', 'b', 'c', 'x', 'y', 'z', 'A', 'Q', '0', '1', '9', '.', '_', '-', '/', ' ',
        '"', ':', ',', '{', '[', 0xE9, 0xDF, 0x3A9, 0x4E2D, 0x6587, 0x1F600, 0x10348, 0xFFFD};
    const size_t length = *rc::gen::inRange<size_t>(1, 9);
    std::string name;
    for (size_t i = 0; i < length; ++i) AppendUtf8(name, *rc::gen::elementOf(alphabet));
    return name;
  });
}

inline rc::Gen<std::string> GenText(bool allow_tab_cr_lf) {
  return rc::gen::exec([allow_tab_cr_lf] {
    std::vector<uint32_t> alphabet = {'k', 'v', '1', ' ', '"', '\\', '/', 0xE9, 0x4E2D, 0x1F600};
    if (allow_tab_cr_lf) alphabet.insert(alphabet.end(), {'\t', '\n', '\r'});
    const size_t length = *rc::gen::inRange<size_t>(0, 7);
    std::string text;
    for (size_t i = 0; i < length; ++i) AppendUtf8(text, *rc::gen::elementOf(alphabet));
    return text;
  });
}

inline rc::Gen<std::vector<std::string>> GenWsPool() {
  return rc::gen::container<std::vector<std::string>>(
      rc::gen::element<std::string>("", "", "", " ", "\n", "\t", "\r\n", "  ", " \t\r\n"));
}

inline uint32_t BitsOf(const std::string& dtype) {
  return ModelDtypes()[ModelDtypeIndex(dtype)].bits;
}

// Lays out the tensors in `data_order`, tiling from 0.
inline void Tile(GFile& f, const std::vector<size_t>& data_order) {
  uint64_t cursor = 0;
  for (size_t i : data_order) {
    GTensor& t = f.tensors[i];
    uint64_t elements = 1;
    for (uint64_t d : t.shape) elements *= d;
    const uint64_t bytes = elements * BitsOf(t.dtype) / 8;
    t.begin = cursor;
    t.end = cursor + bytes;
    cursor = t.end;
  }
  f.data_size = cursor;
}

inline bool UsableName(const std::string& name) {
  return !name.empty() && name != "__metadata__" && !ModelPathLike(name) &&
         !ModelControlChar(name, false);
}

// A valid file. `aligned`: N and every offset aligned (strict accepts).
inline rc::Gen<GFile> GenValidFile(bool force_aligned) {
  return rc::gen::exec([force_aligned] {
    GFile f;
    const size_t n = *rc::gen::inRange<size_t>(0, 7);
    std::set<std::string> used;
    for (size_t i = 0; i < n; ++i) {
      GTensor t;
      t.name = *GenName();
      if (!UsableName(t.name) || used.count(t.name) != 0) t.name = "t" + std::to_string(i);
      used.insert(t.name);
      t.dtype = ModelDtypes()[*rc::gen::inRange<size_t>(0, ModelDtypes().size())].name;
      const size_t rank = *rc::gen::inRange<size_t>(0, 5);
      for (size_t k = 0; k < rank; ++k) {
        const int v = *rc::gen::inRange(0, 12);
        t.shape.push_back(v == 0 ? 0 : static_cast<uint64_t>(v % 4 + 1));
      }
      // Sub-byte dtypes: whole-byte totals.
      const uint32_t bits = BitsOf(t.dtype);
      if (bits % 8 != 0) {
        const uint64_t factor = bits == 4 ? 2 : 4;
        if (t.shape.empty()) {
          t.shape.push_back(factor);
        } else {
          t.shape[0] *= factor;
        }
      }
      t.field_order = *rc::gen::element(std::array<int, 3>{0, 1, 2}, std::array<int, 3>{2, 1, 0},
                                        std::array<int, 3>{1, 0, 2}, std::array<int, 3>{0, 2, 1},
                                        std::array<int, 3>{2, 0, 1}, std::array<int, 3>{1, 2, 0});
      f.tensors.push_back(std::move(t));
    }
    const bool aligned = force_aligned || *rc::gen::arbitrary<bool>();
    std::vector<size_t> data_order(n);
    std::iota(data_order.begin(), data_order.end(), 0);
    data_order = Shuffle(data_order);
    if (aligned) {
      std::stable_sort(data_order.begin(), data_order.end(), [&](size_t a, size_t b) {
        return ModelAlignment(BitsOf(f.tensors[a].dtype)) >
               ModelAlignment(BitsOf(f.tensors[b].dtype));
      });
    }
    Tile(f, data_order);
    std::vector<size_t> header_order(n);
    std::iota(header_order.begin(), header_order.end(), 0);
    header_order = Shuffle(header_order);
    for (size_t i : header_order) f.order.push_back({false, i});
    // Sometimes a bulk of one-byte tensors, so the header spans several of
    // the library's parse batches (256 KiB) with the generated entries (and
    // any fault) before, between or after them.
    if (Pick(0, 10) == 0) {
      const size_t bulk = static_cast<size_t>(Pick(4200, 9000));
      const size_t at = *rc::gen::inRange<size_t>(0, f.order.size() + 1);
      std::vector<GMember> members;
      for (size_t i = 0; i < bulk; ++i) {
        GTensor t;
        t.name = "#" + std::to_string(i);
        t.dtype = "U8";
        t.shape = {1};
        t.begin = f.data_size;
        t.end = ++f.data_size;
        f.tensors.push_back(std::move(t));
        members.push_back({false, f.tensors.size() - 1});
      }
      f.order.insert(f.order.begin() + static_cast<long>(at), members.begin(), members.end());
    }
    if (*rc::gen::arbitrary<bool>()) {
      GMeta meta;
      const size_t entries = *rc::gen::inRange<size_t>(0, 4);
      std::set<std::string> keys;
      for (size_t i = 0; i < entries; ++i) {
        std::string key = *GenText(false);
        if (!keys.insert(key).second) continue;
        meta.entries.emplace_back(key, *GenText(true));
      }
      f.metas.push_back(std::move(meta));
      const size_t at = *rc::gen::inRange<size_t>(0, f.order.size() + 1);
      f.order.insert(f.order.begin() + static_cast<long>(at), GMember{true, 0});
    }
    f.ws = *GenWsPool();
    f.esc = *rc::gen::container<std::vector<uint8_t>>(rc::gen::inRange<uint8_t>(0, 2));
    f.align_header = aligned || *rc::gen::arbitrary<bool>();
    f.extra_pad = *rc::gen::inRange<size_t>(0, 10);
    return f;
  });
}

// Is the rendered file aligned for strict? (N % 8 and every offset.)
inline bool IsAligned(const GFile& f, const std::vector<uint8_t>& bytes) {
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | bytes[i];
  if (n % 8 != 0) return false;
  for (const GTensor& t : f.tensors) {
    if (t.begin % ModelAlignment(BitsOf(t.dtype)) != 0) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------
// Faults.

struct Expect {
  std::vector<Code> codes;  // any of these
  Action action;
};

struct Fault {
  std::string label;
  GFile file;  // the mutated structure
  Edits edits;
  std::function<Expect(const Policy&)> expect;
  std::vector<Policy> policies;  // the three built-ins plus custom ones
  // The fault breaks exactly one rule: a rejecting policy reports no other
  // error (besides header-length-unaligned when the fault changes N).
  bool exact = true;
  std::vector<Code> also;  // other errors the fault necessarily brings
};

inline std::vector<Policy> Builtins() {
  return {*BuiltinPolicy("compat"), *BuiltinPolicy("default"), *BuiltinPolicy("strict")};
}

inline std::function<Expect(const Policy&)> Always(Code code) {
  return [code](const Policy&) { return Expect{{code}, Action::kReject}; };
}
inline std::function<Expect(const Policy&)> AnyOf(std::vector<Code> codes) {
  return [codes](const Policy&) { return Expect{codes, Action::kReject}; };
}
inline std::function<Expect(const Policy&)> ByAction(Code code, Action Policy::*knob) {
  return [code, knob](const Policy& p) { return Expect{{code}, p.*knob}; };
}
inline std::function<Expect(const Policy&)> ByLimit(Code code, uint64_t value,
                                                    uint64_t Policy::*knob) {
  return [code, value, knob](const Policy& p) {
    return Expect{{code}, value > p.*knob ? Action::kReject : Action::kIgnore};
  };
}

// Index of a tensor with a non-zero byte size.
inline size_t PickNonEmpty(const GFile& f) {
  std::vector<size_t> candidates;
  for (size_t i = 0; i < f.tensors.size(); ++i) {
    if (f.tensors[i].end > f.tensors[i].begin) candidates.push_back(i);
  }
  return *rc::gen::elementOf(candidates);
}

inline void AddTensor(GFile& f, GTensor t, bool at_random_position = true) {
  f.tensors.push_back(std::move(t));
  const size_t at = at_random_position ? *rc::gen::inRange<size_t>(0, f.order.size() + 1)
                                       : f.order.size();
  f.order.insert(f.order.begin() + static_cast<long>(at), GMember{false, f.tensors.size() - 1});
}

inline GTensor U8(const std::string& name, uint64_t begin, uint64_t count) {
  GTensor t;
  t.name = name;
  t.dtype = "U8";
  t.shape = {count};
  t.begin = begin;
  t.end = begin + count;
  return t;
}

// Custom policies: one built-in with one knob changed.
template <typename T>
std::vector<Policy> WithKnob(T Policy::*knob, std::vector<T> values) {
  std::vector<Policy> out = Builtins();
  for (const Policy& base : Builtins()) {
    for (T v : values) {
      Policy p = base;
      p.name = base.name + "+custom";
      p.*knob = v;
      out.push_back(p);
    }
  }
  return out;
}

inline size_t HeaderOf(const std::vector<uint8_t>& bytes) {
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | bytes[i];
  return n;
}

constexpr int kFaultKinds = 49;

// A single fault on an aligned valid file.
inline rc::Gen<Fault> GenFault(const GFile& base_file, int only_kind = -1) {
  return rc::gen::exec([base_file, only_kind] {
    GFile base = base_file;
    // Every fault below wants a non-empty tensor to work on.
    bool has_data = false;
    for (const GTensor& t : base.tensors) has_data |= t.end > t.begin;
    if (!has_data) {
      AddTensor(base, U8("~base", base.data_size, 8), false);
      base.data_size += 8;
    }
    Fault fault;
    fault.file = base;
    fault.policies = Builtins();
    GFile& f = fault.file;
    const int kind = only_kind >= 0 ? only_kind : Pick(0, kFaultKinds);
    const size_t ti = PickNonEmpty(f);
    GTensor& t = f.tensors[ti];
    switch (kind) {
      case 0: {  // gap: g bytes inserted before a tensor's range
        fault.label = "gap";
        const uint64_t g = 8 * *rc::gen::inRange<uint64_t>(1, 5);
        const uint64_t at = t.begin;
        for (GTensor& u : f.tensors) {
          if (u.begin >= at && !(u.begin == at && u.end == at && u.name != t.name)) {
            u.begin += g;
            u.end += g;
          }
        }
        f.data_size += g;
        fault.expect = Always(Code::kDataGap);
        break;
      }
      case 1: {  // overlap: a U8 tensor inside another tensor's range
        fault.label = "overlap";
        const uint64_t size = t.end - t.begin;
        const uint64_t b = t.begin + *rc::gen::inRange<uint64_t>(0, size);
        const uint64_t k = *rc::gen::inRange<uint64_t>(1, t.end - b + 1);
        AddTensor(f, U8("~overlap", b, k));
        fault.expect = Always(Code::kDataOverlap);
        break;
      }
      case 2: {  // zero-size tensor strictly inside another tensor's range
        fault.label = "zero-size-inside";
        if (t.end - t.begin < 2) {
          GTensor wide = U8("~wide", f.data_size, 4);
          f.data_size += 4;
          AddTensor(f, wide);
          AddTensor(f, U8("~zero", f.data_size - 2, 0));
        } else {
          AddTensor(f, U8("~zero", t.begin + *rc::gen::inRange<uint64_t>(1, t.end - t.begin), 0));
        }
        fault.expect = Always(Code::kZeroSizeTensorInside);
        break;
      }
      case 3:  // size mismatch: one more dimension of 2
        fault.label = "size-mismatch";
        t.shape.insert(t.shape.begin() + *rc::gen::inRange<long>(0, t.shape.size() + 1), 2);
        fault.expect = Always(Code::kTensorSizeMismatch);
        break;
      case 4: {  // shape overflow
        fault.label = "shape-overflow";
        const uint64_t bits = BitsOf(t.dtype);
        const int form = *rc::gen::inRange(0, 4);
        if (form == 0) {
          t.shape = {1ull << 32, 1ull << 32};
        } else if (form == 1) {
          t.shape = {UINT64_MAX, 2, 0};  // overflow sticks past a later 0
        } else {
          // Elements fit, elements x bits does not: the smallest such count.
          t.shape = {UINT64_MAX / bits + 1};
          if (form == 3) t.shape.push_back(1);
        }
        fault.expect = Always(Code::kShapeOverflow);
        break;
      }
      case 5: {  // sub-byte dtype with a partial byte
        fault.label = "sub-byte-partial";
        const std::string dtype = *rc::gen::element<std::string>("F4", "F6_E2M3", "F6_E3M2");
        const uint64_t count = dtype == "F4" ? *rc::gen::element<uint64_t>(1, 3, 7)
                                             : *rc::gen::element<uint64_t>(1, 2, 3, 5, 6);
        GTensor s;
        s.name = "~subbyte";
        s.dtype = dtype;
        s.shape = {count};
        s.begin = f.data_size;
        s.end = f.data_size + count * BitsOf(dtype) / 8;
        f.data_size = s.end;
        AddTensor(f, s);
        fault.expect = Always(Code::kSubByteNotWholeBytes);
        break;
      }
      case 6:  // reversed offsets
        fault.label = "offsets-reversed";
        std::swap(t.begin, t.end);
        fault.expect = Always(Code::kOffsetsReversed);
        fault.exact = false;  // the range it leaves is also a gap or trailing bytes
        break;
      case 7:  // unknown dtype name
        fault.label = "dtype-unknown";
        t.dtype = *rc::gen::element<std::string>("F33", "f32", "float32", "", "F32 ", "U1",
                                                 "F8_E4M3FN", "Q4", "bool", "C128");
        fault.expect = Always(Code::kDtypeUnknown);
        break;
      case 8:  // dtype of the wrong JSON type
        fault.label = "dtype-wrong-type";
        t.dtype_form = DtypeForm::kRaw;
        t.dtype_raw = *rc::gen::element<std::string>("32", "null", "[\"F32\"]", "true",
                                                     "{\"F32\":1}", "{}", "{\"F32\":{\"a\":null}}",
                                                     "{\"F32\":null,\"F16\":null}",
                                                     // the reference's unit variant takes null only
                                                     "{\"F32\":{}}", "{\"U8\":[]}");
        fault.expect = Always(Code::kFieldWrongType);
        break;
      case 9:  // dtype object form
        fault.label = "dtype-object-form";
        t.dtype_form = DtypeForm::kObjectNull;
        fault.expect = ByAction(Code::kDtypeObjectForm, &Policy::dtype_object_form);
        break;
      case 10:  // duplicate field (maybe with a \u escape)
        fault.label = "duplicate-field";
        t.duplicate_field = *rc::gen::inRange(0, 3);
        t.duplicate_escaped = *rc::gen::arbitrary<bool>();
        fault.expect = Always(Code::kDuplicateField);
        break;
      case 11: {  // duplicate tensor name: an identical copy of an entry
        fault.label = "duplicate-tensor-name";
        GTensor copy = t;
        AddTensor(f, copy);
        fault.expect = ByAction(Code::kDuplicateTensorName, &Policy::duplicate_tensor_names);
        break;
      }
      case 12: {  // duplicate metadata key
        fault.label = "duplicate-metadata-key";
        if (f.metas.empty()) {
          f.metas.push_back({});
          f.order.push_back({true, 0});
        }
        GMeta& m = f.metas[0];
        if (m.entries.empty()) m.entries.emplace_back("k", "v");
        const auto entry = m.entries[*rc::gen::inRange<size_t>(0, m.entries.size())];
        m.entries.emplace_back(entry.first, *GenText(true));
        fault.expect = ByAction(Code::kDuplicateMetadataKey, &Policy::duplicate_metadata_keys);
        break;
      }
      case 13: {  // a second __metadata__ block
        fault.label = "duplicate-metadata-block";
        while (f.metas.size() < 2) {
          f.metas.push_back({});
          f.order.insert(f.order.begin() + *rc::gen::inRange<long>(0, f.order.size() + 1),
                         GMember{true, f.metas.size() - 1});
        }
        fault.expect = Always(Code::kDuplicateMetadataBlock);
        break;
      }
      case 14: {  // unknown field with a value the reference parses
        fault.label = "unknown-field";
        const std::string key =
            *rc::gen::element<std::string>("Dtype", "dtype ", "offsets", "", "__metadata__",
                                           "data_offset", "extra");
        const std::string value = *rc::gen::element<std::string>(
            "1", "\"s\"", "null", "true", "[1,2]", "{\"a\":[]}", "18446744073709551616",
            "-9223372036854775809", "-0", "1.5e300", "1e-400", "0e99999999999999999999",
            "1e-99999999999999999999", "123456789012345678901234567890.5e-10",
            "-18446744073709551616", "1.7976931348623157e308", "1.7976931348623158e308",
            "1.7976931348623159e308", "-1.7976931348623159e308", "1e400", "-1e400",
            "0.00000000000000000000000000000000001e309",
            // 2^1024 - 2^970 - 1 (finite) and 2^1024 - 2^970 (rounds to infinity)
            "179769313486231580793728971405303415079934132710037826936173778980444968292764750"
            "946649017977587207096330286416692887910946555547851940402630657488671505820681908"
            "902000708383676273854845817711531764475730270069855571366959622842914819860834936"
            "475292719074168444365510704342711559699508093042880177904174497791",
            "179769313486231580793728971405303415079934132710037826936173778980444968292764750"
            "946649017977587207096330286416692887910946555547851940402630657488671505820681908"
            "902000708383676273854845817711531764475730270069855571366959622842914819860834936"
            "475292719074168444365510704342711559699508093042880177904174497792",
            "[1e309]", "{\"a\":-2e308}", "-1.5E+308", "1E+309", "2.5e-3", "-0.0e-0",
            "0.0000000000000000000000000000000000001e345", "-12345678901234567890123.5E+285",
            "1" + std::string(450, '3') + ".5e-150", "1" + std::string(450, '3') + ".5e-140",
            "0." + std::string(450, '0') + "1e760", "0." + std::string(450, '0') + "2e759",
            "1" + std::string(420, '0') + "7e-112");
        t.extra_fields.emplace_back(key, value);
        if (RawHasOverflow(value)) {
          fault.label = "number-overflow";
          fault.expect = Always(Code::kJsonNumberOverflow);
        } else {
          fault.expect = ByAction(Code::kFieldUnknown, &Policy::unknown_fields);
        }
        break;
      }
      case 15: {  // bad number forms in a shape dimension or an offset
        fault.label = "number-form";
        std::vector<size_t> keys = {1000, 1001};
        for (size_t i = 0; i < t.shape.size(); ++i) keys.push_back(i);
        const size_t key = *rc::gen::elementOf(keys);
        const uint64_t value = key == 1000 ? t.begin : key == 1001 ? t.end : t.shape[key];
        const int form = *rc::gen::inRange(0, 13);
        std::string token;
        Code code = Code::kIntegerExpected;
        switch (form) {
          case 0: token = std::to_string(value) + ".0"; break;
          case 1: token = std::to_string(value) + "e0"; break;
          case 2: token = value == 0 ? "-0" : "-" + std::to_string(value); break;
          case 3: token = "18446744073709551616", code = Code::kIntegerTooLarge; break;
          case 4: token = std::string(25, '9'), code = Code::kIntegerTooLarge; break;
          case 5: token = "-18446744073709551616"; break;
          case 6: token = "0" + std::to_string(value), code = Code::kJsonSyntax; break;
          case 7: token = "+" + std::to_string(value), code = Code::kJsonSyntax; break;
          case 8: token = std::to_string(value) + ".", code = Code::kJsonSyntax; break;
          case 9: token = "1e400", code = Code::kJsonNumberOverflow; break;
          case 10: token = std::string(400, '7'), code = Code::kJsonNumberOverflow; break;
          case 11: token = "0.0"; break;
          default: token = "-0.0"; break;
        }
        t.number_raw[key] = token;
        fault.expect = Always(code);
        break;
      }
      case 16:  // missing field
        fault.label = "field-missing";
        t.missing_field = *rc::gen::inRange(0, 3);
        fault.expect = Always(Code::kFieldMissing);
        break;
      case 17:  // shape or offsets of the wrong type
        fault.label = "field-wrong-type";
        if (*rc::gen::arbitrary<bool>()) {
          t.shape_raw = *rc::gen::element<std::string>("\"2\"", "2", "{}", "null", "[\"2\"]",
                                                       "[null]", "[[1]]", "[true]");
        } else {
          t.offsets_raw = *rc::gen::element<std::string>("[0]", "[0,8,8]", "[]", "\"0,8\"",
                                                         "{\"0\":8}", "[\"0\",8]", "[0,null]");
        }
        fault.expect = Always(Code::kFieldWrongType);
        break;
      case 18:  // array-form entry, well formed
        fault.label = "entry-array-form";
        t.array_form = true;
        fault.expect = ByAction(Code::kTensorEntryArrayForm, &Policy::tensor_entry_array);
        break;
      case 19:  // array-form entry with the wrong item count
        fault.label = "entry-array-count";
        t.array_form = true;
        t.array_delta = *rc::gen::element(-1, 1);
        fault.expect = Always(Code::kTensorEntryInvalid);
        fault.also = {Code::kTensorEntryArrayForm};
        break;
      case 20:  // entry neither object nor array
        fault.label = "entry-invalid";
        t.entry_raw = *rc::gen::element<std::string>("1", "\"F32\"", "null", "true");
        fault.expect = Always(Code::kTensorEntryInvalid);
        break;
      case 21: {  // empty name (the tensor is renamed)
        fault.label = "name-empty";
        t.name = "";
        fault.expect = ByAction(Code::kTensorNameEmpty, &Policy::empty_tensor_names);
        break;
      }
      case 22: {  // control character in a name
        fault.label = "name-control-char";
        std::string c;
        AppendUtf8(c, *rc::gen::element<uint32_t>(0, 1, 9, 10, 0x1F, 0x7F, 0x80, 0x85, 0x9F));
        t.name = "~c" + c + t.name;
        fault.expect = ByAction(Code::kTensorNameControlChar, &Policy::control_chars_in_names);
        break;
      }
      case 23:  // path-like name
        fault.label = "name-path-like";
        t.name = *rc::gen::element<std::string>("/abs", "a\\b", "..", "../x", "x/..", "x/../y",
                                                "/", "\\");
        fault.expect = ByAction(Code::kTensorNamePathLike, &Policy::path_like_names);
        break;
      case 24: {  // long name: built-in and custom limits around its length
        fault.label = "name-too-long";
        const size_t length = *rc::gen::element<size_t>(1024, 1025, 4096, 4097, 40);
        t.name = "~" + std::string(length - 1, 'n');
        fault.expect = ByLimit(Code::kTensorNameTooLong, length, &Policy::max_name_bytes);
        fault.policies = WithKnob<uint64_t>(&Policy::max_name_bytes, {length - 1, length});
        break;
      }
      case 25:  // metadata null
        fault.label = "metadata-null";
        if (f.metas.empty()) f.order.push_back({true, 0}), f.metas.push_back({});
        f.metas[0] = GMeta{};
        f.metas[0].null = true;
        fault.expect = ByAction(Code::kMetadataNull, &Policy::metadata_null);
        break;
      case 26:  // metadata not an object
        fault.label = "metadata-not-object";
        if (f.metas.empty()) f.order.push_back({true, 0}), f.metas.push_back({});
        f.metas[0].raw = *rc::gen::element<std::string>("[]", "\"x\"", "1", "true", "[{}]");
        fault.expect = Always(Code::kMetadataNotObject);
        break;
      case 27: {  // metadata value not a string
        fault.label = "metadata-value-not-string";
        if (f.metas.empty()) f.order.push_back({true, 0}), f.metas.push_back({});
        GMeta& m = f.metas[0];
        m.entries.emplace_back("~k", "");
        m.value_raw[m.entries.size() - 1] =
            *rc::gen::element<std::string>("1", "null", "[]", "{}", "true", "[\"v\"]");
        fault.expect = Always(Code::kMetadataValueNotString);
        break;
      }
      case 28: {  // control character in metadata
        fault.label = "metadata-control-char";
        if (f.metas.empty()) f.order.push_back({true, 0}), f.metas.push_back({});
        GMeta& m = f.metas[0];
        std::string c;
        if (*rc::gen::arbitrary<bool>()) {
          AppendUtf8(c, *rc::gen::element<uint32_t>(0, 1, 9, 10, 13, 0x7F, 0x85));
          m.entries.emplace_back("~k" + c, "v");
        } else {
          AppendUtf8(c, *rc::gen::element<uint32_t>(0, 1, 0x1B, 0x7F, 0x80, 0x9F));
          m.entries.emplace_back("~k", "v" + c);
        }
        fault.expect = ByAction(Code::kMetadataControlChar, &Policy::control_chars_in_metadata);
        break;
      }
      case 29: {  // misaligned offset: a U8 pad then an F32 at an odd offset
        fault.label = "offset-unaligned";
        const uint64_t pad = f.data_size % 2 == 0 ? 1 : 2;  // the next tensor starts odd
        AddTensor(f, U8("~pad", f.data_size, pad));
        GTensor g;
        g.name = "~mis";
        g.dtype = *rc::gen::element<std::string>("F32", "I16", "F64", "C64", "BF16");
        g.shape = {2};
        g.begin = f.data_size + pad;
        g.end = g.begin + 2 * BitsOf(g.dtype) / 8;
        f.data_size = g.end;
        AddTensor(f, g);
        fault.expect = ByAction(Code::kTensorOffsetUnaligned, &Policy::tensor_offset_unaligned);
        break;
      }
      case 30:  // top level not an object
        fault.label = "top-level-not-object";
        f.header_raw = *rc::gen::element<std::string>("[]", "1", "\"x\"", "null", "[{}]", "true");
        fault.expect = Always(Code::kTopLevelNotObject);
        break;
      case 31: {  // invalid UTF-8 in a name
        fault.label = "bad-utf8";
        const std::string bad = *rc::gen::element<std::string>(
            "\xFF", "\xC0\x80", "\xED\xA0\x80", "\xE4\xB8", "\x80", "\xF5\x80\x80\x80",
            "\xF0\x8F\xBF\xBF", "\xC3");
        t.name = "~u" + bad + "x";
        fault.expect = Always(Code::kHeaderInvalidUtf8);
        break;
      }
      case 32:  // bad string escapes, lone surrogates, raw control characters
        fault.label = "bad-string";
        t.name_raw_tail = *rc::gen::element<std::string>("\\x", "\\ud800", "\\udc00", "\x01",
                                                         "\\u12g4", "\\ud800\\u0041", "\t");
        f.declared_parse_failure = true;
        fault.expect = Always(Code::kJsonInvalidString);
        break;
      case 33: {  // nesting depth around each built-in's limit (in an unknown field)
        fault.label = "depth";
        const size_t depth = *rc::gen::element<size_t>(8, 9, 32, 33, 127, 128, 4);
        const size_t arrays = depth - 2;
        // Innermost container empty: see the DepthLimitIsExact bug test for
        // a non-empty one.
        t.extra_fields.emplace_back("~deep", std::string(arrays, '[') + std::string(arrays, ']'));
        fault.expect = [depth](const Policy& p) {
          if (depth > p.max_json_depth) return Expect{{Code::kJsonTooDeep}, Action::kReject};
          return Expect{{Code::kFieldUnknown}, p.unknown_fields};
        };
        fault.policies = WithKnob<uint32_t>(
            &Policy::max_json_depth,
            {static_cast<uint32_t>(depth - 1),
             static_cast<uint32_t>(std::min<size_t>(depth, kMaxJsonDepthCeiling))});
        break;
      }
      case 34:  // leading whitespace
        fault.label = "leading-whitespace";
        fault.edits.prepend = *rc::gen::element<std::string>(" ", "\n", "\t", "\r\n ");
        fault.expect = ByAction(Code::kHeaderLeadingWhitespace, &Policy::leading_whitespace);
        break;
      case 35:  // byte order mark
        fault.label = "bom";
        fault.edits.prepend = "\xEF\xBB\xBF";
        fault.expect = Always(Code::kHeaderBom);
        break;
      case 36:  // content after the JSON value
        fault.label = "trailing-content";
        fault.edits.append = *rc::gen::element<std::string>("x", " {}", "0", "\n[]", "}", "\"\"");
        f.declared_parse_failure = true;
        fault.expect = AnyOf({Code::kHeaderTrailingContent});
        break;
      case 37:  // padding holding tab, CR or LF
        fault.label = "padding-not-spaces";
        fault.edits.append = *rc::gen::element<std::string>("\n", "\t", "\r", " \n");
        fault.expect = ByAction(Code::kHeaderPaddingNotSpaces, &Policy::padding_not_spaces);
        break;
      case 38:  // N not a multiple of 8
        fault.label = "header-length-unaligned";
        fault.edits.post_pad_spaces = *rc::gen::inRange<size_t>(1, 8);
        fault.expect = ByAction(Code::kHeaderLengthUnaligned, &Policy::header_length_unaligned);
        break;
      case 39: {  // length prefix past the end of the file
        fault.label = "length-past-eof";
        const std::vector<uint8_t> bytes = Render(f);
        fault.edits.length_override =
            bytes.size() - 8 + *rc::gen::element<uint64_t>(1, 2, 8, 1000, 100000000 - 1);
        fault.expect = [n = *fault.edits.length_override](const Policy& p) {
          return Expect{{n > p.max_header_bytes ? Code::kHeaderTooLarge : Code::kHeaderPastEof},
                        Action::kReject};
        };
        break;
      }
      case 40:  // length prefix above every policy's limit
        fault.label = "length-too-large";
        fault.edits.length_override =
            *rc::gen::element<uint64_t>(100000001, UINT64_MAX, 1ull << 63, UINT64_MAX - 7);
        fault.expect = Always(Code::kHeaderTooLarge);
        break;
      case 41: {  // length prefix cutting the JSON text short
        fault.label = "length-short";
        const std::vector<uint8_t> bytes = Render(f);
        const std::string header(bytes.begin() + 8, bytes.begin() + 8 +
                                                        static_cast<long>(HeaderOf(bytes)));
        const size_t close = header.find_last_of('}');
        fault.edits.length_override = *rc::gen::inRange<size_t>(0, close);
        f.declared_parse_failure = true;
        fault.expect = AnyOf({Code::kJsonSyntax, Code::kJsonInvalidString,
                              Code::kHeaderInvalidUtf8});
        break;
      }
      case 47: {  // the file ends inside the JSON text (no data, N consistent)
        fault.label = "header-cut";
        const std::string json = Renderer(f).Json();
        f.header_raw = json.substr(0, *rc::gen::inRange<size_t>(1, json.size() - 1));
        f.declared_parse_failure = true;
        f.align_header = false;
        f.extra_pad = 0;
        f.data_size = 0;
        fault.expect = AnyOf({Code::kJsonSyntax, Code::kJsonInvalidString,
                              Code::kHeaderInvalidUtf8});
        break;
      }
      case 42: {  // truncation at any point
        fault.label = "truncated";
        const std::vector<uint8_t> bytes = Render(f);
        const size_t n = HeaderOf(bytes);
        const size_t at = *rc::gen::inRange<size_t>(0, bytes.size());
        fault.edits.truncate_to = at;
        const Code code = at < 8 ? Code::kFileTooShort
                          : at < 8 + n ? Code::kHeaderPastEof
                                       : Code::kTensorPastEnd;
        fault.expect = Always(code);
        break;
      }
      case 43:  // trailing bytes after the last tensor
        fault.label = "trailing-bytes";
        fault.edits.trailing_bytes = std::string(*rc::gen::inRange<size_t>(1, 17), 'x');
        fault.expect = Always(Code::kDataTrailingBytes);
        break;
      case 44: {  // limits: max_tensors, max_rank (custom policies around the count)
        fault.label = "limit-tensors-rank";
        if (*rc::gen::arbitrary<bool>()) {
          uint64_t count = 0;
          for (const GMember& m : f.order) count += m.is_meta ? 0 : 1;
          fault.expect = ByLimit(Code::kTooManyTensors, count, &Policy::max_tensors);
          fault.policies = WithKnob<uint64_t>(&Policy::max_tensors, {count - 1, count});
        } else {
          // Rank around strict's 16 and default's 64: dims of 1, same byte size.
          const size_t rank = *rc::gen::element<size_t>(16, 17, 64, 65);
          const uint64_t elements = (t.end - t.begin) * 8 / BitsOf(t.dtype);
          t.shape.assign(rank, 1);
          t.shape[0] = elements;
          fault.expect = ByLimit(Code::kRankTooLarge, rank, &Policy::max_rank);
          fault.policies = WithKnob<uint64_t>(&Policy::max_rank, {rank - 1, rank});
        }
        break;
      }
      case 45: {  // limits: metadata entries and value/key bytes
        fault.label = "limit-metadata";
        if (f.metas.empty()) f.order.push_back({true, 0}), f.metas.push_back({});
        GMeta& m = f.metas[0];
        if (*rc::gen::arbitrary<bool>()) {
          m.entries.emplace_back("~m", "v");
          const uint64_t count = m.entries.size();
          fault.expect = ByLimit(Code::kTooManyMetadataEntries, count,
                                 &Policy::max_metadata_entries);
          fault.policies = WithKnob<uint64_t>(&Policy::max_metadata_entries, {count - 1, count});
        } else {
          const size_t length = *rc::gen::element<size_t>(1, 5, 1048576, 1048577);
          if (*rc::gen::arbitrary<bool>()) {
            m.entries.emplace_back("~" + std::string(length - 1, 'k'), "");
          } else {
            m.entries.emplace_back("~v", std::string(length, 'v'));
          }
          uint64_t longest = 0;
          for (const auto& [k, v] : m.entries) longest = std::max({longest, k.size(), v.size()});
          fault.expect = ByLimit(Code::kMetadataValueTooLong, longest,
                                 &Policy::max_metadata_value_bytes);
          fault.policies =
              WithKnob<uint64_t>(&Policy::max_metadata_value_bytes, {longest - 1, longest});
        }
        break;
      }
      case 46: {  // limits: allowed dtypes and max_header_bytes
        fault.label = "limit-dtype-header";
        if (*rc::gen::arbitrary<bool>()) {
          const int index = ModelDtypeIndex(t.dtype);
          uint32_t present = 0;
          for (const GTensor& u : f.tensors) present |= 1u << ModelDtypeIndex(u.dtype);
          fault.expect = [index](const Policy& p) {
            return Expect{{Code::kDtypeNotAllowed},
                          (p.allowed_dtypes >> index & 1u) ? Action::kIgnore : Action::kReject};
          };
          fault.policies = WithKnob<uint32_t>(
              &Policy::allowed_dtypes, {present & ~(1u << index), present});
        } else {
          const uint64_t n = HeaderOf(Render(f));
          fault.expect = ByLimit(Code::kHeaderTooLarge, n, &Policy::max_header_bytes);
          fault.policies = WithKnob<uint64_t>(&Policy::max_header_bytes, {n - 1, n});
        }
        break;
      }
      default: {  // empty or whitespace-only header
        fault.label = "empty-header";
        f.header_raw = *rc::gen::element<std::string>("", " ", "\n\n");
        fault.edits = {};
        f.align_header = *rc::gen::arbitrary<bool>();
        f.extra_pad = 0;
        fault.expect = Always(Code::kJsonSyntax);
        break;
      }
    }
    return fault;
  });
}

// A valid file with several layout-level perturbations at once (offsets,
// shapes, dtypes, duplicate names): for the model comparison.
inline rc::Gen<GFile> GenScrambled() {
  return rc::gen::exec([] {
    GFile f = *GenValidFile(false);
    const size_t changes = *rc::gen::inRange<size_t>(1, 4);
    for (size_t c = 0; c < changes && !f.tensors.empty(); ++c) {
      GTensor& t = f.tensors[*rc::gen::inRange<size_t>(0, f.tensors.size())];
      switch (*rc::gen::inRange(0, 6)) {
        case 0:
          t.begin = *rc::gen::inRange<uint64_t>(0, f.data_size + 4);
          break;
        case 1:
          t.end = *rc::gen::inRange<uint64_t>(0, f.data_size + 4);
          break;
        case 2:
          t.dtype = ModelDtypes()[*rc::gen::inRange<size_t>(0, ModelDtypes().size())].name;
          break;
        case 3:
          if (!t.shape.empty()) t.shape[0] = *rc::gen::inRange<uint64_t>(0, 9);
          break;
        case 4: {
          GTensor copy = t;
          if (*rc::gen::arbitrary<bool>()) copy.begin = copy.end = f.data_size;
          AddTensor(f, copy);
          break;
        }
        default:
          f.data_size += *rc::gen::inRange<uint64_t>(0, 3);
          break;
      }
    }
    return f;
  });
}

}  // namespace stguard::prop

#endif  // STGUARD_TESTS_PROPERTY_ST_GEN_H_
