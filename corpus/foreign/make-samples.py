#!/usr/bin/env python3
"""Writes the sample files of corpus/foreign/: small files in the formats
that are NOT safetensors, shaped like what the real tools write, for the
tests of validator/src/format_identify.cc. Python 3 standard library only
(no torch, numpy, keras, onnx, h5py or gguf here): pickles come from
`pickle` with stand-in modules registered under the real module names, so
the GLOBAL / STACK_GLOBAL opcodes name `torch._utils._rebuild_tensor_v2`
and friends exactly as the real writers do; containers and headers are
written from their documented layouts.

The output is deterministic (fixed zip dates, gzip mtime 0, seeded random
bytes): running it again rewrites the same bytes.

    python3 corpus/foreign/make-samples.py            # writes next to this script
    python3 corpus/foreign/make-samples.py OUT_DIR
"""
import collections
import gzip
import hashlib
import io
import json
import os
import pickle
import random
import struct
import sys
import types
import zipfile

FIXED_DATE = (2024, 1, 1, 0, 0, 0)
MAX_SAMPLE_BYTES = 4096


# --- stand-in modules -------------------------------------------------------
# pickle names a function or class by (obj.__module__, obj.__qualname__) and
# checks that importing that name gives the object back; registering these
# stand-ins in sys.modules makes the standard pickler write the same GLOBAL /
# STACK_GLOBAL opcodes torch and numpy produce.

def _module(name):
    module = types.ModuleType(name)
    sys.modules[name] = module
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(sys.modules[parent], child, module)
    return module


def _export(module, obj, name):
    obj.__module__ = module.__name__
    obj.__qualname__ = name
    obj.__name__ = name
    setattr(module, name, obj)
    return obj


torch = _module("torch")
torch_utils = _module("torch._utils")
_export(torch_utils, lambda *args: None, "_rebuild_tensor_v2")
_export(torch, type("FloatStorage", (), {}), "FloatStorage")

numpy = _module("numpy")
numpy_core = _module("numpy.core")
numpy_multiarray = _module("numpy.core.multiarray")
_export(numpy_multiarray, lambda *args: None, "_reconstruct")
_export(numpy, type("ndarray", (), {}), "ndarray")
_export(numpy, type("dtype", (), {}), "dtype")

torchscript = _module("__torch__")

# Globals torch.save writes for parameters, new dtypes and bf16 tensors.
_export(torch_utils, lambda *args: None, "_rebuild_tensor_v3")
_export(torch_utils, lambda *args: None, "_rebuild_parameter")
_export(torch, type("BFloat16Storage", (), {}), "BFloat16Storage")
_export(torch, type("UntypedStorage", (), {}), "UntypedStorage")


class FakeDtype:
    """A torch.dtype: pickles as the global torch.<name>, as torch.dtype.__reduce__ does."""

    def __init__(self, name):
        self.name = name

    def __reduce__(self):
        return self.name


FakeDtype.__module__ = "torch"  # where pickle looks the name up
torch.float8_e4m3fn = FakeDtype("float8_e4m3fn")

# An application class, as a Trainer's training_args.bin imports it.
transformers = _module("transformers")
transformers_args = _module("transformers.training_args")
transformers_utils = _module("transformers.trainer_utils")


class TrainingArguments:
    def __init__(self):
        self.output_dir = "out"
        self.learning_rate = 5e-05
        self.num_train_epochs = 3.0
        self.save_strategy = IntervalStrategy("steps")


class IntervalStrategy:
    def __init__(self, value):
        self.value = value

    def __reduce__(self):
        return (IntervalStrategy, (self.value,))


_export(transformers_args, TrainingArguments, "TrainingArguments")
_export(transformers_utils, IntervalStrategy, "IntervalStrategy")

# joblib's array wrapper and a scikit-learn estimator, for a joblib-like dump.
sklearn = _module("sklearn")
sklearn_linear = _module("sklearn.linear_model")
sklearn_base = _module("sklearn.linear_model._base")
joblib = _module("joblib")
joblib_numpy = _module("joblib.numpy_pickle")


class LinearRegression:
    def __init__(self, coef):
        self.fit_intercept = True
        self.coef_ = coef
        self.intercept_ = 0.5


class NumpyArrayWrapper:
    """joblib pickles this in an array's place and writes the array's bytes right after it."""

    def __init__(self, raw):
        self.subclass, self.shape, self.order = numpy.ndarray, (len(raw) // 8,), "C"
        self.dtype, self.allow_mmap, self.numpy_array_alignment_bytes = "<f8", False, 16
        self._raw = raw

    def __reduce__(self):
        state = {k: v for k, v in vars(self).items() if not k.startswith("_")}
        return (NumpyArrayWrapper, (), state)


_export(sklearn_base, LinearRegression, "LinearRegression")
_export(joblib_numpy, NumpyArrayWrapper, "NumpyArrayWrapper")


class StorageRef:
    """A tensor's storage: pickled as a persistent id, as torch does."""

    def __init__(self, key, numel):
        self.key, self.numel = key, numel


class FakeTensor:
    """Reduces like torch.Tensor: _rebuild_tensor_v2(storage, offset, size, stride, ...)."""

    def __init__(self, key, size):
        self.storage = StorageRef(key, size[0] * size[1])
        self.size = size

    def __reduce_ex__(self, protocol):
        stride = (self.size[1], 1)
        return (torch_utils._rebuild_tensor_v2,
                (self.storage, 0, self.size, stride, False, collections.OrderedDict()))


class TorchPickler(pickle.Pickler):
    """torch.save's pickler: storages become ('storage', type, key, location, numel)."""

    def __init__(self, file, legacy):
        super().__init__(file, protocol=2)
        self.legacy = legacy

    def persistent_id(self, obj):
        if isinstance(obj, StorageRef):
            kind = getattr(obj, "kind", None) or (
                torch.UntypedStorage if getattr(obj, "untyped", False) else torch.FloatStorage)
            pid = ("storage", kind, obj.key, "cpu", obj.numel)
            return pid + (None,) if self.legacy else pid  # legacy adds view_metadata
        return None


class FakeParameter:
    """Reduces like torch.nn.Parameter: _rebuild_parameter(data, requires_grad, hooks)."""

    def __init__(self, tensor):
        self.tensor = tensor

    def __reduce_ex__(self, protocol):
        return (torch_utils._rebuild_parameter, (self.tensor, True, collections.OrderedDict()))


class FakeTensorV3(FakeTensor):
    """A float8 tensor: UntypedStorage and an explicit dtype (_rebuild_tensor_v3)."""

    def __init__(self, key, size):
        super().__init__(key, size)
        self.storage.untyped = True

    def __reduce_ex__(self, protocol):
        stride = (self.size[1], 1)
        return (torch_utils._rebuild_tensor_v3,
                (self.storage, 0, self.size, stride, False, collections.OrderedDict(),
                 torch.float8_e4m3fn))


def torch_state_dict_pickle(legacy=False):
    state = collections.OrderedDict(
        [("linear.weight", FakeTensor("0", (2, 2))), ("linear.bias", FakeTensor("1", (1, 2)))])
    buf = io.BytesIO()
    TorchPickler(buf, legacy).dump(state)
    return buf.getvalue()


class FakeObjectDtype:
    def __reduce__(self):
        return (numpy.dtype, ("O8", False, True), (3, "|", None, None, None, -1, -1, 63))


class FakeObjectArray:
    """Reduces like a numpy object array (what np.save pickles for dtype=object)."""

    def __init__(self, items):
        self.items = items

    def __reduce__(self):
        state = (1, (len(self.items),), FakeObjectDtype(), False, self.items)
        return (numpy_multiarray._reconstruct, (numpy.ndarray, (0,), b"b"), state)


class Checkpoint:
    """A plain class instance, pickled with its state (imports __main__.Checkpoint)."""

    def __init__(self):
        self.step = 1200
        self.state = collections.OrderedDict([("w", [0.5, -1.25]), ("b", [0.0])])
        self.counts = collections.Counter({"tokens": 4096})


# --- little writers -----------------------------------------------------------

def zip_bytes(entries, compression=zipfile.ZIP_STORED, torch_align=False, force_zip64=False):
    """entries: [(name, bytes)]. torch_align pads each local header with a
    'FB' extra field so the data starts on a 64-byte boundary, as torch's
    PyTorchStreamWriter does. force_zip64 writes entries through
    ZipFile.open(..., force_zip64=True), as numpy.savez does."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=FIXED_DATE)
            info.compress_type = compression
            if torch_align:
                data_start = buf.tell() + 30 + len(name.encode()) + 4
                pad = (-data_start) % 64
                info.extra = struct.pack("<HH", 0x4246, pad) + b"Z" * pad
            if force_zip64:
                with zf.open(info, "w", force_zip64=True) as out:
                    out.write(data)
            else:
                zf.writestr(info, data)
    return buf.getvalue()


def npy_bytes(descr, shape, payload, major=1):
    """The .npy layout: magic, version, header length, a Python dict literal
    padded with spaces and ended by a newline to a multiple of 64, data."""
    header = "{'descr': %r, 'fortran_order': False, 'shape': %r, }" % (descr, shape)
    prefix = 6 + 2 + (2 if major == 1 else 4)
    total = prefix + len(header) + 1
    header += " " * ((-total) % 64) + "\n"
    length = struct.pack("<H", len(header)) if major == 1 else struct.pack("<I", len(header))
    return b"\x93NUMPY" + bytes([major, 0]) + length + header.encode("latin1") + payload


def gguf_string(text):
    data = text.encode()
    return struct.pack("<Q", len(data)) + data


def gguf_bytes():
    kGgufTypeUint32, kGgufTypeString = 4, 8
    kv = [("general.architecture", kGgufTypeString, gguf_string("llama")),
          ("general.name", kGgufTypeString, gguf_string("tiny-sample")),
          ("general.alignment", kGgufTypeUint32, struct.pack("<I", 32))]
    out = b"GGUF" + struct.pack("<IQQ", 3, 1, len(kv))
    for key, kind, value in kv:
        out += gguf_string(key) + struct.pack("<I", kind) + value
    # one tensor: name, n_dims, dims, ggml type (0 = F32), offset in the data section
    out += gguf_string("token_embd.weight") + struct.pack("<IQQIQ", 2, 4, 4, 0, 0)
    out += b"\0" * ((-len(out)) % 32)
    return out + struct.pack("<16f", *[i / 16 for i in range(16)])


def ggml_legacy_bytes(magic, version):
    """llama.cpp's pre-GGUF files: magic (u32 LE), [version], hparams, vocab, tensors."""
    out = struct.pack("<I", magic)
    if version is not None:
        out += struct.pack("<I", version)
    n_vocab, n_embd = 4, 4
    out += struct.pack("<7i", n_vocab, n_embd, 256, 2, 1, 2, 0)  # vocab embd mult head layer rot ftype
    for token in [b"<unk>", b"<s>", b"</s>", b"hi"]:
        out += struct.pack("<I", len(token)) + token
        if version is not None:
            out += struct.pack("<f", 0.0)  # GGMF / GGJT store a score per token
    name = b"tok_embeddings.weight"
    out += struct.pack("<iii", 2, len(name), 0) + struct.pack("<ii", n_embd, n_vocab) + name
    if magic == 0x67676A74:
        out += b"\0" * ((-len(out)) % 32)  # GGJT aligns tensor data to 32
    return out + struct.pack("<16f", *[0.25] * 16)


def hdf5_bytes():
    """Signature and a version-0 superblock (HDF5 file format spec, III.A),
    root group symbol table entry included; the rest zero."""
    undefined = 0xFFFFFFFFFFFFFFFF
    size = 800
    out = b"\x89HDF\r\n\x1a\n"
    out += bytes([0, 0, 0, 0, 0, 8, 8, 0])      # versions, offset and length sizes
    out += struct.pack("<HHI", 4, 16, 0)          # group leaf / internal K, flags
    out += struct.pack("<QQQQ", 0, undefined, size, undefined)  # base, free space, EOF, driver
    out += struct.pack("<QQII", 0, 96, 1, 0)      # root: name offset, header address, cache type
    out += struct.pack("<QQ", 136, 680)           # scratch: B-tree and local heap addresses
    out += b"\0" * (96 - len(out))
    out += bytes([1, 0]) + struct.pack("<HII", 1, 1, 24)  # object header v1, one message
    return out + b"\0" * (size - len(out))


def pb_varint(value):
    out = b""
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out += bytes([byte | 0x80])
        else:
            return out + bytes([byte])


def pb_field(number, value):
    """int -> varint field; bytes/str -> length-delimited field."""
    if isinstance(value, int):
        return pb_varint(number << 3 | 0) + pb_varint(value)
    if isinstance(value, str):
        value = value.encode()
    return pb_varint(number << 3 | 2) + pb_varint(len(value)) + value


def onnx_bytes():
    """ModelProto as torch.onnx.export writes it: ir_version, producer_name,
    producer_version, graph (one Relu node), opset_import."""
    def value_info(name):
        dims = pb_field(1, pb_field(1, 1)) + pb_field(1, pb_field(1, 4))  # dim_value 1, 4
        tensor_type = pb_field(1, 1) + pb_field(2, dims)                 # FLOAT, shape
        return pb_field(1, name) + pb_field(2, pb_field(1, tensor_type))
    node = pb_field(1, "x") + pb_field(2, "y") + pb_field(3, "/Relu") + pb_field(4, "Relu")
    graph = (pb_field(1, node) + pb_field(2, "main_graph") +
             pb_field(11, value_info("x")) + pb_field(12, value_info("y")))
    return (pb_field(1, 8) + pb_field(2, "pytorch") + pb_field(3, "2.1.0") +
            pb_field(7, graph) + pb_field(8, pb_field(1, "") + pb_field(2, 17)))


def tflite_bytes():
    """A FlatBuffer with file identifier TFL3 and a Model table holding
    version (field 0) and description (field 3)."""
    vtable = struct.pack("<HHHHHH", 12, 12, 4, 0, 0, 8)  # at 8
    table_at = 8 + len(vtable)                             # 20
    description = b"MLIR Converted."
    string_at = table_at + 12
    table = struct.pack("<iII", table_at - 8, 3, string_at - (table_at + 8))
    string = struct.pack("<I", len(description)) + description + b"\0"
    out = struct.pack("<I", table_at) + b"TFL3" + vtable + table + string
    return out + b"\0" * ((-len(out)) % 16)


def safetensors_bytes():
    header = json.dumps({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}},
                        separators=(",", ":")).encode()
    header += b" " * ((-len(header)) % 8)
    return struct.pack("<Q", len(header)) + header + struct.pack("<2f", 1.0, 2.0)


def full_state_dict_pickle():
    """What torch.save(model.state_dict()) writes for f32, bf16 and float8 weights and a
    parameter: OrderedDict (with _metadata set by BUILD), _rebuild_tensor_v2 / _v3,
    _rebuild_parameter, the FloatStorage / BFloat16Storage / UntypedStorage tags and the
    torch.float8_e4m3fn dtype. Only allowlisted globals."""
    bf16 = FakeTensor("1", (1, 2))
    bf16.storage.kind = torch.BFloat16Storage
    # Module.state_dict(): an OrderedDict with a _metadata attribute (pickled by BUILD).
    state = collections.OrderedDict([
        ("linear.weight", FakeTensor("0", (2, 2))), ("linear.bias", bf16),
        ("proj.weight", FakeTensorV3("2", (2, 2))),
        ("scale", FakeParameter(FakeTensor("3", (1, 1))))])
    state._metadata = collections.OrderedDict([("", {"version": 1}), ("linear", {"version": 1})])
    buf = io.BytesIO()
    TorchPickler(buf, legacy=False).dump(state)
    return buf.getvalue()


def framed(body, protocol=4):
    """PROTO, one FRAME holding `body`, as the protocol-4 pickler frames a small pickle."""
    return bytes([0x80, protocol]) + b"\x95" + struct.pack("<Q", len(body)) + body


def short_unicode(text):
    data = text.encode()
    return b"\x8c" + bytes([len(data)]) + data


def joblib_like():
    """joblib.dump of an estimator holding an array: the pickle stops after the array's
    NumpyArrayWrapper (frame committed), the array's bytes follow raw (after 0xff alignment
    padding), then the pickle goes on in a new frame."""
    raw = struct.pack("<4d", 0.25, -1.5, 2.0, 3.5)

    class JoblibPickler(pickle._Pickler):
        def save(self, obj, save_persistent_id=True):
            super().save(obj, save_persistent_id)
            if isinstance(obj, NumpyArrayWrapper):
                self.framer.commit_frame(force=True)
                self.framer.file_write(b"\xff" * 3 + obj._raw)

    buf = io.BytesIO()
    JoblibPickler(buf, protocol=4).dump(LinearRegression(NumpyArrayWrapper(raw)))
    return buf.getvalue()


def pickled_torch_zip(data_pkl, root="archive"):
    return zip_bytes([
        (root + "/data.pkl", data_pkl),
        (root + "/.format_version", b"1"),
        (root + "/byteorder", b"little"),
        (root + "/version", b"3\n"),
    ], torch_align=True)


# --- the samples ---------------------------------------------------------------

def samples():
    out = {}
    # Raw pickles.
    out["pickle-proto0.pkl"] = pickle.dumps(
        {"step": 3, "state": collections.OrderedDict([("w", [1.5, 2.0]), ("name", "layer")])},
        protocol=0)
    out["pickle-proto1.pkl"] = pickle.dumps(
        [collections.OrderedDict([("a", 1)]), (1, 2.5, "x"), {"k": None}], protocol=1)
    out["pickle-proto2-ordereddict.pkl"] = pickle.dumps(
        collections.OrderedDict([("weight", [0.1, 0.2]), ("bias", [0.0])]), protocol=2)
    out["pickle-proto4-class.pkl"] = pickle.dumps(Checkpoint(), protocol=4)
    out["pickle-proto5.pkl"] = pickle.dumps(
        {"counts": collections.Counter("abracadabra"), "blob": b"\x00" * 16,
         "queue": collections.deque([1, 2, 3])}, protocol=5)

    # torch.save, legacy format (before 1.6): five pickles back to back, then storages.
    legacy = io.BytesIO()
    for value in [0x1950A86A20F9469CFC6C, 1001,
                  {"protocol_version": 1001, "little_endian": True,
                   "type_sizes": {"short": 2, "int": 4, "long": 4}}]:
        pickle.dump(value, legacy, protocol=2)
    legacy.write(torch_state_dict_pickle(legacy=True))
    pickle.dump(["0", "1"], legacy, protocol=2)
    for numel in (4, 2):
        legacy.write(struct.pack("<q", numel) + struct.pack("<%df" % numel, *[0.5] * numel))
    out["torch-legacy.pt"] = legacy.getvalue()

    # torch.save, zip format (1.6 and later).
    out["torch-zip.pt"] = zip_bytes([
        ("archive/data.pkl", torch_state_dict_pickle()),
        ("archive/.format_version", b"1"),
        ("archive/byteorder", b"little"),
        ("archive/data/0", struct.pack("<4f", 1, 2, 3, 4)),
        ("archive/data/1", struct.pack("<2f", 0.5, -0.5)),
        ("archive/version", b"3\n"),
        ("archive/.data/serialization_id", b"1234567890123456789012345678901234567890"),
    ], torch_align=True)

    # torch.jit.save: the tensors first (data/), then the module object in
    # data.pkl, its code under code/, the code's constants.
    model_class = type("Model", (), {"__reduce_ex__": lambda self, proto: (
        model_class, (), {"training": False})})
    _export(torchscript, model_class, "Model")
    out["torchscript.pt"] = zip_bytes([
        ("model/data/0", struct.pack("<4f", 1, 2, 3, 4)),
        ("model/data.pkl", pickle.dumps(model_class(), protocol=2)),
        ("model/code/__torch__.py",
         b"class Model(Module):\n  __parameters__ = []\n  training : bool\n"
         b"  def forward(self: __torch__.Model, x: Tensor) -> Tensor:\n"
         b"    return torch.relu(x)\n"),
        ("model/constants.pkl", pickle.dumps((), protocol=2)),
        ("model/version", b"10\n"),
    ], torch_align=True)

    # Pickles that are not named by a signature: found by walking the grammar.
    # (a) protocol 4, one frame: a global loaded with STACK_GLOBAL, nothing called.
    out["pickle-global-only-proto4.pkl"] = framed(
        short_unicode("posix") + b"\x94" + short_unicode("system") + b"\x94\x93\x94.")
    # (b) a protocol-0 GLOBAL right after a PROTO 4 marker, then called.
    out["pickle-proto4-global-opcode.pkl"] = (
        b"\x80\x04cposix\nsystem\nX\x07\x00\x00\x00echo hi\x85R.")
    # (c) the textbook protocol-0 payload: no PROTO at all.
    out["pickle-proto0-exploit.pkl"] = b"cos\nsystem\n(S'echo hi'\ntR."
    # STACK_GLOBAL whose strings were memoized long before (BINPUT / MEMOIZE),
    # fetched back with BINGET and LONG_BINGET.
    out["pickle-stack-global-memo.pkl"] = framed(
        b"(" + short_unicode("posix") + b"\x94" + short_unicode("system") + b"\x94" +
        short_unicode("unrelated") + b"\x94t\x940" +
        b"h\x00j\x01\x00\x00\x00\x93" + short_unicode("echo hi") + b"\x85R.")
    # An unpickler runs REDUCE as it reads it: junk after it comes too late.
    out["pickle-called-then-junk.pkl"] = b"cos\nsystem\n(S'echo hi'\ntR\xff"
    # Safetensors-shaped and a pickle: bytes 0-7 read as N = 0x454 (a header
    # that starts with '{' at byte 8), and as BINSTRING of 4 bytes covering
    # bytes 5-8, after which the pickle imports and calls os.system.
    glot = b"T" + struct.pack("<I", 4) + b"\0\0\0{" + b"0cos\nsystem\n(S'echo'\ntR."
    out["pickle-safetensors-glot.bin"] = glot + b" " * (8 + 0x454 - len(glot))
    # EXT1: an import through copyreg's extension registry, by number.
    out["pickle-ext.pkl"] = b"\x80\x02\x82\x2a)R."
    # joblib.dump of an estimator: application classes and raw array bytes inline.
    out["model.joblib"] = joblib_like()
    # A Trainer's training_args.bin: torch.save of an application class.
    out["training_args.bin"] = pickled_torch_zip(pickle.dumps(TrainingArguments(), protocol=2),
                                                 root="training_args")
    # torch.save(state_dict) with every kind of tensor a plain state dict holds,
    # only allowlisted globals.
    out["torch-zip-state-dict.pt"] = zip_bytes([
        ("archive/data.pkl", full_state_dict_pickle()),
        ("archive/.format_version", b"1"),
        ("archive/byteorder", b"little"),
        ("archive/data/0", struct.pack("<4f", 1, 2, 3, 4)),
        ("archive/data/1", b"\x80\x3f\x00\x40"),
        ("archive/data/2", bytes([0x38, 0x40, 0x44, 0x48])),
        ("archive/data/3", struct.pack("<f", 0.5)),
        ("archive/version", b"3\n"),
    ], torch_align=True)

    # NumPy.
    out["array.npy"] = npy_bytes("<f4", (2, 3), struct.pack("<6f", *range(6)))
    out["object-array.npy"] = npy_bytes(
        "|O", (2,), pickle.dumps(FakeObjectArray(["a", {"b": 1}]), protocol=3))
    out["arrays.npz"] = zip_bytes([
        ("weights.npy", npy_bytes("<f4", (4,), struct.pack("<4f", 1, 2, 3, 4))),
        ("steps.npy", npy_bytes("<i8", (2,), struct.pack("<2q", 10, 20))),
    ], force_zip64=True)
    # np.savez_compressed: deflated entries, so the dtypes cannot be read here.
    out["arrays-compressed.npz"] = zip_bytes([
        ("weights.npy", npy_bytes("<f4", (8,), struct.pack("<8f", *[0.0] * 8))),
    ], compression=zipfile.ZIP_DEFLATED, force_zip64=True)
    out["object-arrays.npz"] = zip_bytes([
        ("weights.npy", npy_bytes("<f4", (2,), struct.pack("<2f", 1, 2))),
        ("meta.npy", npy_bytes("|O", (1,), pickle.dumps(FakeObjectArray([{"lr": 0.1}]),
                                                           protocol=3))),
    ], force_zip64=True)
    # np.load parses any member by content: an object array under a name without .npy.
    out["object-member-noext.npz"] = zip_bytes([
        ("weights.npy", npy_bytes("<f4", (2,), struct.pack("<2f", 1, 2))),
        ("meta", npy_bytes("|O", (1,), pickle.dumps(FakeObjectArray([{"lr": 0.1}]), protocol=3))),
    ], force_zip64=True)

    # Keras 3 .keras: a zip of metadata, config and the weights as HDF5.
    out["model.keras"] = zip_bytes([
        ("metadata.json", json.dumps({"keras_version": "3.3.3",
                                      "date_saved": "2024-01-01@00:00:00"}).encode()),
        ("config.json", json.dumps({"module": "keras", "class_name": "Sequential",
                                    "config": {"name": "sequential", "layers": []}}).encode()),
        ("model.weights.h5", hdf5_bytes()[:512]),
    ], compression=zipfile.ZIP_DEFLATED)
    out["plain.zip"] = zip_bytes([("README.txt", b"just some text\n" * 20),
                                  ("docs/notes.txt", b"notes\n")],
                                 compression=zipfile.ZIP_DEFLATED)

    # GGUF and the formats before it.
    out["model.gguf"] = gguf_bytes()
    out["model-ggml.bin"] = ggml_legacy_bytes(0x67676D6C, None)
    out["model-ggmf.bin"] = ggml_legacy_bytes(0x67676D66, 1)
    out["model-ggjt.bin"] = ggml_legacy_bytes(0x67676A74, 3)

    out["model.h5"] = hdf5_bytes()
    out["model.onnx"] = onnx_bytes()
    out["model.tflite"] = tflite_bytes()

    gz = io.BytesIO()
    with gzip.GzipFile(filename="model.pkl", mode="wb", fileobj=gz, mtime=0) as f:
        f.write(pickle.dumps(collections.OrderedDict([("w", [1.0])]), protocol=2))
    out["model.pkl.gz"] = gz.getvalue()

    oid = hashlib.sha256(b"stguard foreign sample").hexdigest()
    out["lfs-pointer.safetensors"] = (
        "version https://git-lfs.github.com/spec/v1\noid sha256:%s\nsize 548105171\n" % oid
    ).encode()

    # Negative samples: none of these may be identified.
    out["negative/random.bin"] = random.Random(20240101).randbytes(1024)
    out["negative/config.json"] = json.dumps(
        {"architectures": ["LlamaForCausalLM"], "hidden_size": 4096, "model_type": "llama",
         "torch_dtype": "bfloat16", "vocab_size": 32000}, indent=2).encode() + b"\n"
    out["negative/hello.txt"] = b"hello world\n"
    out["negative/notes.txt"] = (
        b"c is for cookie, that's good enough for me.\n"
        b"I downloaded the weights; load them with safetensors.\n"
        b"(lp0 is not a list here)\n")
    out["negative/numbers.csv"] = b"0,1,2\n3,4,5\n6,7,8\n"
    out["negative/tiny.safetensors"] = safetensors_bytes()
    return out


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    for name, data in sorted(samples().items()):
        assert len(data) < MAX_SAMPLE_BYTES, (name, len(data))
        path = os.path.join(out_dir, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        print("%6d  %s" % (len(data), name))


if __name__ == "__main__":
    main()
