#include "model_file_grade.h"

#include <algorithm>
#include <iterator>

#include "str_cat.h"

namespace stguard::internal {
namespace {

// ---------------------------------------------------------------------------
// The tensor-rebuild allowlist: the globals torch.save writes for dense
// tensors, parameters and the OrderedDict state dict they sit in, each of
// which torch.load(weights_only=True) also accepts by default. Nothing else
// (sources and what was left out, and why: docs/pickle-allowlist.md).

struct AllowedGlobal {
  std::string_view module;
  std::string_view name;
};

constexpr AllowedGlobal kTensorRebuildGlobals[] = {
    // The state dict (Module.state_dict() returns one) and the empty
    // backward_hooks argument Tensor.__reduce_ex__ passes to every rebuild.
    {"collections", "OrderedDict"},
    // A dense tensor whose dtype has a legacy storage class.
    {"torch._utils", "_rebuild_tensor_v2"},
    // A dense tensor of a dtype in torch.storage._new_dtypes() (float8,
    // uint16/32/64, ...): UntypedStorage plus an explicit dtype argument.
    {"torch._utils", "_rebuild_tensor_v3"},
    // torch.nn.Parameter (Parameter.__reduce_ex__), without and with Python
    // attributes; the data is a tensor rebuilt by the functions above.
    {"torch._utils", "_rebuild_parameter"},
    {"torch._utils", "_rebuild_parameter_with_state"},
    // Storage type tags inside persistent ids ('storage', torch.FloatStorage,
    // key, location, numel): torch.load's persistent_load maps them to a
    // dtype. One per dtype of torch.storage._dtype_to_storage_type_map(),
    // quantized ones left out (they come only with _rebuild_qtensor).
    {"torch", "DoubleStorage"},
    {"torch", "FloatStorage"},
    {"torch", "HalfStorage"},
    {"torch", "BFloat16Storage"},
    {"torch", "LongStorage"},
    {"torch", "IntStorage"},
    {"torch", "ShortStorage"},
    {"torch", "CharStorage"},
    {"torch", "ByteStorage"},
    {"torch", "BoolStorage"},
    {"torch", "ComplexFloatStorage"},
    {"torch", "ComplexDoubleStorage"},
    // The storage tag of _rebuild_tensor_v3 tensors.
    {"torch", "UntypedStorage"},
    // The dtypes _rebuild_tensor_v3 passes (a torch.dtype pickles as the
    // global torch.<name>): torch.storage._new_dtypes().
    {"torch", "float8_e5m2"},
    {"torch", "float8_e4m3fn"},
    {"torch", "float8_e5m2fnuz"},
    {"torch", "float8_e4m3fnuz"},
    {"torch", "float8_e8m0fnu"},
    {"torch", "float4_e2m1fn_x2"},
    {"torch", "bits8"},
    {"torch", "bits16"},
    {"torch", "bits1x8"},
    {"torch", "bits2x4"},
    {"torch", "bits4x2"},
    {"torch", "complex32"},
    {"torch", "uint16"},
    {"torch", "uint32"},
    {"torch", "uint64"},
};

}  // namespace

bool IsTensorRebuildGlobal(std::string_view module, std::string_view name) {
  return std::any_of(std::begin(kTensorRebuildGlobals), std::end(kTensorRebuildGlobals),
                     [&](const AllowedGlobal& g) { return g.module == module && g.name == name; });
}

std::string CappedMessage(std::string message) {
  if (message.size() > kMaxMessageBytes) {
    message.resize(kMaxMessageBytes - 3);
    message += "...";
  }
  return message;
}

std::string DescribeEnd(const PickleWalk& walk) {
  switch (walk.end) {
    case PickleEnd::kStop:
    case PickleEnd::kCut:
    case PickleEnd::kIoError:
      break;
    case PickleEnd::kTruncated:
      return StrCat("the pickle is truncated at byte ", walk.end_offset, " (", walk.problem, ")");
    case PickleEnd::kMalformed: {
      std::string out = StrCat("the pickle is malformed at byte ", walk.end_offset, " (",
                               walk.problem);
      if (walk.problem == "unknown opcode") {
        constexpr char kHex[] = "0123456789abcdef";
        StrAppend(out, " 0x", kHex[walk.bad_opcode >> 4], kHex[walk.bad_opcode & 0xf]);
      }
      return out + ")";
    }
    case PickleEnd::kLimit:
      return StrCat("the pickle goes past the walker's limits at byte ", walk.end_offset, " (",
                    walk.problem, ")");
  }
  return "the pickle could not be walked";
}

// ---------------------------------------------------------------------------
// The grade.

void PickleGrade::Walked(const PickleWalk& walk, const ImportList& imports,
                         std::string_view where) {
  ++pickles_;
  if (protocol_ < 0) protocol_ = walk.shown_protocol();
  budget_ -= std::min(budget_, walk.end_offset - std::min(walk.end_offset, walk.begin));
  if (imports.any_disallowed() && !first_disallowed_) {
    first_disallowed_ = imports.first_disallowed_offset();
    disallowed_where_ = std::string(where);
  }
  imports_.Merge(imports);
  if (walk.end != PickleEnd::kStop) Unverified(walk.end_offset, DescribeEnd(walk), where);
  if (imports.unresolved()) {
    Unverified(*imports.first_unresolved_offset(),
               StrCat("STACK_GLOBAL at byte ", *imports.first_unresolved_offset(),
                      " takes strings that are not literals the walker can follow"),
               where);
  }
}

void PickleGrade::Unverified(uint64_t offset, std::string reason, std::string_view where) {
  if (!unverified_) {
    unverified_ = offset;
    unverified_reason_ = where.empty() ? std::move(reason) : StrCat(where, ": ", reason);
  }
  ++unverified_count_;
}

void PickleGrade::RunsCodeByDesign(uint64_t offset, std::string reason) {
  if (!by_design_) {
    by_design_ = offset;
    by_design_reason_ = std::move(reason);
  }
}

void PickleGrade::Emit(const Policy& policy, uint64_t file_size, FindingSink& sink) const {
  // Offsets are inside the file (0 for an empty one).
  const auto at = [&](uint64_t offset) {
    return file_size == 0 ? 0 : std::min(offset, file_size - 1);
  };
  const std::string protocol =
      pickles_ == 0 ? std::string() : StrCat("pickle protocol ", protocol_);
  const std::string count = pickles_ > 1 ? StrCat(" (", pickles_, " pickles)") : std::string();
  if (by_design_ || imports_.any_disallowed()) {
    std::string message;
    uint64_t offset = 0;
    if (by_design_) {
      offset = *by_design_;
      message = StrCat(container_, ": ", by_design_reason_);
      if (pickles_ != 0) StrAppend(message, "; ", protocol, count, ", ", imports_.Describe());
    } else {
      offset = *first_disallowed_;
      message = StrCat(container_, disallowed_where_.empty() ? "" : ", ", disallowed_where_,
                       ": ", protocol, count, " imports ", imports_.DescribeDisallowed(),
                       ", outside the tensor-rebuild allowlist: unpickling it runs them");
      if (imports_.extension()) {
        message += " (an EXT opcode imports through copyreg's extension registry by a number "
                   "the file does not resolve; torch.save never writes one)";
      }
    }
    if (unverified_) StrAppend(message, "; also unverified: ", unverified_reason_);
    sink.Error(Code::kPickleUnsafeImport, at(offset), CappedMessage(std::move(message)));
    return;
  }
  if (unverified_) {
    std::string message = StrCat(container_, ": ", unverified_reason_);
    if (unverified_count_ > 1) StrAppend(message, " (and ", unverified_count_ - 1, " more)");
    message += "; what it imports cannot all be checked, so it counts as unsafe";
    if (!imports_.empty()) StrAppend(message, "; the rest ", imports_.Describe());
    sink.Error(Code::kPickleUnverified, at(*unverified_), CappedMessage(std::move(message)));
    return;
  }
  std::string message = StrCat(container_, ": ", protocol, count, ", ");
  message += imports_.empty() ? std::string("no imports")
                              : StrCat("every import a tensor-rebuild global (",
                                       imports_.Describe().substr(8), ")");
  message += "; torch.load(weights_only=True) reads it without running code, other loaders "
             "unpickle it unrestricted; it is not safetensors";
  sink.AddAction(Code::kPickleCheckpoint, policy.pickle_checkpoints, 0, std::nullopt,
                 CappedMessage(std::move(message)));
}

}  // namespace stguard::internal
