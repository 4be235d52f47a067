#!/usr/bin/python3
"""Remote checks (stguard check URL / hf://) against tests/remote/serve.py.

usage: remote_test.py STGUARD CORPUS_DIR GROUP     GROUP: corpus | faults | hub

corpus: every safetensors file and index of corpus/examples and corpus/real,
        and every file of corpus/foreign (pickles, archives, GGUF, ONNX...),
        served over loopback, judged as the local file is under compat,
        default and strict (verdict, sizes, findings); a non-deep check
        fetches at most the header plus 64 KiB (from the server's log, which
        must also agree with the report's fetched_bytes).
faults: ranges ignored (with and without a length), lying Content-Range
        (start, total, missing), a short body, a redirect loop, a stall,
        429 then success, plain http to a non-loopback host.
hub:    hf:// on a sharded checkpoint with a pickle and other formats beside
        it, equal to the local directory check; HF_TOKEN sent to the
        endpoint only (the resolve redirect goes to another host name);
        --deep equal to the local --deep; a 1 TiB sparse file in well under
        a second; connections reused with --jobs.
"""
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time

STGUARD = CORPUS = GROUP = None  # from the command line (scripts/bench-remote imports Server)
HERE = os.path.dirname(os.path.abspath(__file__))
FAILURES = []


def check(condition, what):
    if not condition:
        FAILURES.append(what)
        print("FAIL:", what, flush=True)


class Server:
    def __init__(self, root, tls=None):
        self.dir = tempfile.mkdtemp(prefix="stguard-serve-")
        self.log = os.path.join(self.dir, "log.jsonl")
        port_file = os.path.join(self.dir, "port")
        self.proc = subprocess.Popen([sys.executable, os.path.join(HERE, "serve.py"),
                                      "--root", root, "--log", self.log,
                                      "--port-file", port_file,
                                      *(["--tls", *tls] if tls else [])])
        deadline = time.time() + 20
        while not os.path.exists(port_file):
            if time.time() > deadline or self.proc.poll() is not None:
                raise SystemExit("the test server did not start")
            time.sleep(0.02)
        self.port = int(open(port_file).read())
        self.base = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"

    def entries(self):
        if not os.path.exists(self.log):
            return []
        with open(self.log) as f:
            return [json.loads(line) for line in f]

    def clear(self):
        open(self.log, "w").close()

    def stop(self):
        self.proc.terminate()
        self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def run(args, env=None, timeout=120):
    started = time.time()
    p = subprocess.run([STGUARD, "check", *args], capture_output=True, text=True,
                       env=env, timeout=timeout)
    return p, time.time() - started


def report(args, env=None):
    p, _ = run(["-f", "json", *args], env=env)
    try:
        doc = json.loads(p.stdout)
    except json.JSONDecodeError:
        raise SystemExit(f"no JSON from {args}: rc {p.returncode}\n{p.stdout}\n{p.stderr}")
    return p.returncode, doc


def comparable(f):
    keep = {k: f.get(k) for k in ("role", "verdict", "file_size", "header_bytes",
                                  "tensor_count", "error")}
    keep["findings"] = [(x["code"], x["severity"], x["offset"], x["tensor"], x["message"])
                        for x in f.get("findings", [])]
    if "content" in f:
        keep["content"] = f["content"]
    return keep


def by_relative(doc, prefix):
    out = {}
    for f in doc["files"] + doc.get("errors", []):
        path = f["path"]
        check(path.startswith(prefix), f"{path} does not start with {prefix}")
        out[path[len(prefix):]] = f
    return out


def compare(local_doc, local_prefix, remote_doc, remote_prefix, what):
    local = by_relative(local_doc, local_prefix)
    remote = by_relative(remote_doc, remote_prefix)
    check(sorted(local) == sorted(remote),
          f"{what}: files differ: local {sorted(local)} remote {sorted(remote)}")
    for rel in sorted(set(local) & set(remote)):
        a, b = comparable(local[rel]), comparable(remote[rel])
        check(a == b, f"{what}: {rel}: local {a} != remote {b}")
    check(local_doc["summary"]["skipped"] == remote_doc["summary"]["skipped"]
          if "summary" in local_doc else True, f"{what}: skipped counts differ")


def fetched_by_path(server):
    total = {}
    for e in server.entries():
        path = e["path"].split("?")[0]
        total[path] = total.get(path, 0) + e["bytes"]
    return total


def group_corpus(root, server):
    files = []
    for top in ("examples/accepted", "examples/rejected", "real"):
        for dirpath, _, names in os.walk(os.path.join(root, top)):
            for n in names:
                if n.endswith(".safetensors") or n.endswith(".safetensors.index.json"):
                    files.append(os.path.relpath(os.path.join(dirpath, n), root))
    # Pickles and other formats, judged by their names as a local check does.
    for n in os.listdir(os.path.join(root, "foreign")):
        if os.path.isfile(os.path.join(root, "foreign", n)) and not n.endswith((".md", ".py")):
            files.append(os.path.join("foreign", n))
    files.sort()
    check(len(files) > 70, f"only {len(files)} corpus files found")
    for policy in ("compat", "default", "strict"):
        server.clear()
        _, local = report(["-p", policy] + [os.path.join(root, f) for f in files])
        _, remote = report(["-p", policy] + [f"{server.base}/files/{f}" for f in files])
        compare(local, root + "/", remote, f"{server.base}/files/", f"corpus under {policy}")
        # Bytes fetched: at most the header plus 64 KiB, and as reported.
        logged = fetched_by_path(server)
        for f in remote["files"]:
            if f["role"] != "safetensors" and f["role"] != "shard":
                continue
            path = f["path"][len(server.base):]
            check(f["fetched_bytes"] == logged.get(path),
                  f"{path}: report says {f['fetched_bytes']} bytes fetched, the log "
                  f"{logged.get(path)}")
            check(f["fetched_bytes"] <= f["header_bytes"] + 8 + 65536,
                  f"{path}: fetched {f['fetched_bytes']} bytes for a header of "
                  f"{f['header_bytes']}")
        # One request per file whose header fits the first 64 KiB.
        requests = [e for e in server.entries()]
        check(all(e["range"] is not None for e in requests), "a request without a range")


def many_tensors(path, count):
    """A valid file whose header is long (count one-byte tensors)."""
    entries = {f"t{i:05d}": {"dtype": "U8", "shape": [1], "data_offsets": [i, i + 1]}
               for i in range(count)}
    header = json.dumps(entries, separators=(",", ":"))
    header += " " * ((8 - len(header) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header)) + header.encode() + bytes(count))
    return len(header)


def group_faults(root, server):
    # A header longer than the first 64 KiB: one more request, for exactly
    # the bytes missing; over the policy's limit: never fetched.
    long_header = many_tensors(os.path.join(root, "long.safetensors"), 4000)
    check(long_header > 150000, f"long header only {long_header} bytes")
    server.clear()
    code, doc = report([f"{server.base}/files/long.safetensors"])
    f = doc["files"][0]
    check(code == 0 and f["fetched_bytes"] == 8 + long_header,
          f"long header: exit {code}, fetched {f.get('fetched_bytes')} for {long_header}")
    ranges = [e["range"] for e in server.entries()]
    check(ranges == ["bytes=0-65535", f"bytes=65536-{8 + long_header - 1}"],
          f"long header: ranges {ranges}")
    # The file changes between the first range and the second: an I/O error.
    p, _ = run([f"{server.base}/m/etag/files/long.safetensors"])
    check(p.returncode == 2 and "changed while it was checked" in p.stdout,
          f"etag change: exit {p.returncode} {p.stdout}")
    policy = os.path.join(root, "small-limit.json")
    with open(policy, "w") as p:
        json.dump({"extends": "default", "name": "small-limit", "max_header_bytes": 100000}, p)
    server.clear()
    code, doc = report(["-p", policy, f"{server.base}/files/long.safetensors"])
    _, local = report(["-p", policy, os.path.join(root, "long.safetensors")])
    check(code == 1 and comparable(doc["files"][0]) == comparable(local["files"][0]),
          f"over the limit: exit {code} {doc['files']}")
    check(sum(e["bytes"] for e in server.entries()) == 65536,
          f"over the limit: {[e['range'] for e in server.entries()]}")

    good = "real/gpt2_float32/model.safetensors"
    local_code, local = report([os.path.join(root, good)])

    def expect_io_error(mode, words, extra=()):
        p, took = run([*extra, f"{server.base}/m/{mode}/files/{good}"])
        check(p.returncode == 2, f"{mode}: exit {p.returncode}, not 2\n{p.stdout}{p.stderr}")
        check(any(w in p.stdout for w in words), f"{mode}: no {words} in {p.stdout!r}")
        return took

    def expect_same(mode):
        code, remote = report([f"{server.base}/m/{mode}/files/{good}"])
        check(code == local_code, f"{mode}: exit {code}, local {local_code}")
        compare(local, root + "/", remote, f"{server.base}/m/{mode}/files/", mode)
        return remote

    # Ranges ignored: read as a stream, stopped once the header is in (an
    # 8 MiB file: the client takes the first 64 KiB and one more libcurl
    # write at most, whatever the server pushed into the socket's buffers).
    expect_same("norange")
    big = os.path.join(root, "eight-mib.safetensors")
    header = json.dumps({"w": {"dtype": "U8", "shape": [8 << 20], "data_offsets": [0, 8 << 20]}})
    header += " " * ((8 - len(header) % 8) % 8)
    with open(big, "wb") as f:
        f.write(struct.pack("<Q", len(header)) + header.encode())
    os.truncate(big, 8 + len(header) + (8 << 20))
    code, doc = report([f"{server.base}/m/norange/files/eight-mib.safetensors"])
    _, local_big = report([big])
    check(code == 0 and comparable(doc["files"][0]) == comparable(local_big["files"][0]),
          f"norange 8 MiB: exit {code} {doc['files']}")
    fetched = doc["files"][0].get("fetched_bytes", 1 << 40)
    check(fetched <= 65536 + 16384, f"norange 8 MiB: {fetched} bytes received")
    expect_same("nolength")
    expect_io_error("badstart", ["Content-Range starts at byte"])
    expect_io_error("badtotal", ["unreadable Content-Range"])
    expect_io_error("nocr", ["without Content-Range"])
    expect_io_error("short", ["short body", "ended before"])
    expect_io_error("loop", ["redirects"])
    took = expect_io_error("slow", ["timed out"], ["--timeout", "2"])
    check(took < 15, f"slow: took {took:.1f} s with --timeout 2")
    server.clear()
    expect_same("r429")
    statuses = [e["status"] for e in server.entries()]
    check(statuses[:1] == [429] and 206 in statuses, f"r429: statuses {statuses}")
    # Plain http to a host that is not loopback: refused before connecting.
    p, _ = run(["http://example.invalid/model.safetensors"])
    check(p.returncode == 2 and "--allow-http" in p.stdout, f"http refused: {p.stdout}")
    # A missing file: an I/O error naming the status.
    p, _ = run([f"{server.base}/files/nothing.safetensors"])
    check(p.returncode == 2 and "404" in p.stdout, f"404: {p.returncode} {p.stdout}")
    # TLS is verified: a self-signed certificate is refused (exit 2).
    cert, key = os.path.join(root, "cert.pem"), os.path.join(root, "key.pem")
    made = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                           "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1",
                           "-addext", "subjectAltName=IP:127.0.0.1"],
                          capture_output=True)
    if made.returncode == 0:
        tls = Server(root, (cert, key))
        try:
            p, _ = run([f"{tls.base}/files/{good}"])
            check(p.returncode == 2 and "SSL" in p.stdout.upper(),
                  f"self-signed https: exit {p.returncode} {p.stdout}")
            check(not tls.entries(), "a request was served over an unverified TLS connection")
        finally:
            tls.stop()
    else:
        print("openssl not found: the TLS case is skipped")
    # Redirect to another host name: followed (loopback both).
    server.clear()
    expect_same("other")
    hosts = [e["host"].split(":")[0] for e in server.entries()]
    check(hosts == ["127.0.0.1", "localhost"], f"other: hosts {hosts}")


def sparse_tib(path):
    """A valid safetensors file whose data section ends at 1 TiB (sparse)."""
    total = 1 << 40
    for pad in range(8):
        header = json.dumps({"big": {"dtype": "U8", "shape": [0], "data_offsets": [0, 0]}})
        n = len(header)
        # The data: everything after the header; its size depends on the
        # header's length, which depends on the size's digits.
        for _ in range(3):
            data = total - 8 - n
            header = json.dumps({"big": {"dtype": "U8", "shape": [data],
                                         "data_offsets": [0, data]}}, separators=(",", ":"))
            header += " " * ((8 - len(header) % 8) % 8)
            n = len(header)
        if 8 + n + data == total:
            break
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", n) + header.encode())
    os.truncate(path, total)


def group_hub(root, server):
    repo = os.path.join(root, "hub", "org", "sharded")
    os.makedirs(repo)
    for n in os.listdir(os.path.join(root, "real", "gpt2_float32_sharded")):
        shutil.copy(os.path.join(root, "real", "gpt2_float32_sharded", n), repo)
    os.makedirs(os.path.join(repo, "extra"))
    for n in ("pickle-proto0-exploit.pkl", "torch-zip.pt", "model.gguf", "model.onnx"):
        shutil.copy(os.path.join(CORPUS, "foreign", n), os.path.join(repo, "extra", n))
    shutil.copy(os.path.join(CORPUS, "foreign", "torch-zip-state-dict.pt"),
                os.path.join(repo, "pytorch_model.bin"))
    env = dict(os.environ, HF_ENDPOINT=server.base, HF_TOKEN="hf_secret_token_123")
    for policy in ("compat", "default", "strict"):
        server.clear()
        local_code, local = report(["-p", policy, repo])
        code, remote = report(["-p", policy, "hf://org/sharded"], env=env)
        check(code == local_code, f"hub {policy}: exit {code}, local {local_code}")
        compare(local, repo + "/", remote, f"{server.base}/org/sharded/resolve/main/",
                f"hub under {policy}")
    # --deep: shards by ranges, chunk by chunk; hashes equal to the local ones.
    _, local = report(["--deep", repo])
    _, remote = report(["--deep", "hf://org/sharded"], env=env)
    compare(local, repo + "/", remote, f"{server.base}/org/sharded/resolve/main/", "hub --deep")
    # The remote report (fetched_bytes, URLs as paths) is a valid report.
    try:
        import jsonschema
    except ImportError:
        jsonschema = None
    if jsonschema is not None:
        schema_path = os.path.join(os.path.dirname(os.path.abspath(CORPUS)), "docs",
                                   "report.schema.json")
        with open(schema_path) as f:
            schema = json.load(f)
        try:
            jsonschema.validate(remote, schema)
        except jsonschema.ValidationError as e:
            check(False, f"the remote report does not match the schema: {e.message}")
    entries = server.entries()
    check(any(e["path"].startswith("/api/models/org/sharded/revision/main") and e["auth"]
              for e in entries), "the listing request carried no token")
    leaked = [e for e in entries if e["host"].startswith("localhost") and e["auth"]]
    check(not leaked, f"token sent after a redirect to another host: {leaked[:2]}")
    check(any(e["host"].startswith("localhost") for e in entries), "no redirect was followed")
    p, _ = run(["hf://org/sharded"], env=env)
    check("hf_secret_token_123" not in p.stdout + p.stderr, "the token was printed")
    # A token that would start another header line: refused.
    p, _ = run(["hf://org/sharded"], env=dict(env, HF_TOKEN="abc\r\nX-Evil: 1"))
    check(p.returncode == 2 and "HF_TOKEN" in p.stderr and "X-Evil" not in p.stderr,
          f"token with CRLF: {p.returncode} {p.stderr}")
    # One file of the repository, with a revision.
    code, one = report(["hf://org/sharded@main/extra/pickle-proto0-exploit.pkl"], env=env)
    check(code == 1 and one["files"][0]["role"] == "model-file",
          f"one pickle: exit {code} {one['files']}")
    # A revision that does not exist: an I/O error.
    p, _ = run(["hf://org/sharded@missing"], env=env)
    check(p.returncode == 2 and "404" in p.stdout, f"missing revision: {p.stdout}")
    # --deep: the whole body through the stream validator, as the local --deep.
    single = os.path.join(root, "real", "gpt2_float32", "model.safetensors")
    _, local = report(["--deep", single])
    _, remote = report(["--deep", f"{server.base}/files/real/gpt2_float32/model.safetensors"])
    compare(local, root + "/", remote, f"{server.base}/files/", "--deep")
    check(remote["files"][0]["fetched_bytes"] == os.path.getsize(single), "--deep: bytes")
    # 1 TiB, sparse: the header only.
    big = os.path.join(root, "big.safetensors")
    sparse_tib(big)
    server.clear()
    code, doc = report([f"{server.base}/files/big.safetensors"])
    _, took = run([f"{server.base}/files/big.safetensors"])
    check(code == 0 and doc["files"][0]["file_size"] == 1 << 40,
          f"1 TiB: exit {code} {doc['files']}")
    check(took < 2.0, f"1 TiB: {took:.2f} s")
    check(sum(e["bytes"] for e in server.entries()) <= 2 * 65536, "1 TiB: too many bytes")
    # --jobs 2 over the repository: at most two connections to each host.
    server.clear()
    run(["-j", "2", "hf://org/sharded"], env=env)
    ports = {}
    for e in server.entries():
        ports.setdefault(e["host"].split(":")[0], set()).add(e["port"])
    # The jobs, the index's own while its shards are read, and one spare
    # when a transfer stopped early had to close its connection.
    check(all(len(p) <= 4 for p in ports.values()), f"connections per host: {ports}")


def main():
    root = tempfile.mkdtemp(prefix="stguard-remote-")
    try:
        for top in ("examples", "real", "foreign"):
            shutil.copytree(os.path.join(CORPUS, top), os.path.join(root, top))
        server = Server(root)
        try:
            {"corpus": group_corpus, "faults": group_faults, "hub": group_hub}[GROUP](root, server)
        finally:
            server.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    if FAILURES:
        print(f"{len(FAILURES)} failures")
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    STGUARD, CORPUS, GROUP = sys.argv[1], sys.argv[2], sys.argv[3]
    main()
