#!/usr/bin/python3
"""The HTTP server of the remote-check tests (tests/remote/remote_test.py).

Python's standard library only (http.server.ThreadingHTTPServer, HTTP/1.1
keep-alive), on 127.0.0.1 and a free port (written to --port-file once
bound). One process gives what the tests need in one place: byte ranges
over a directory tree, the two Hub API paths, and fault injection chosen by
a path prefix; nginx would serve the ranges but neither the API nor the
faults. Every request is logged as one JSON line to --log: method, path,
Host, Range, status, body bytes sent, whether an Authorization header came,
and the client's port (one port is one connection).

Paths:
  /files/REL                     REL under --root, with Range (206 + Content-Range)
  /m/MODE/files/REL              the same file, with a fault:
      norange     200 and the whole body, Range ignored (with Content-Length)
      nolength    200, Range ignored, no Content-Length (the body ends at close)
      badstart    206 whose Content-Range starts one byte later than asked
      badtotal    206 whose total is not past its last byte ("bytes 0-99/99")
      nocr        206 without Content-Range
      short       206 whose body stops halfway (Content-Length promises all)
      loop        302 to itself, forever
      r429        429 (Retry-After: 1) to the first request for the path, then normal
      slow        the head, then silence for 30 s
      other       302 to the same path on the other host name (127.0.0.1 <-> localhost)
      etag        a new ETag on every request (the file "changes" between two ranges)
  /api/models/ORG/NAME/revision/REV   {"sha":..., "siblings":[{"rfilename":...}]} of
                                      --root/hub/ORG/NAME (REV "missing": 404)
  --tls CERT KEY: the same over https (a certificate stguard must refuse).
  /ORG/NAME/resolve/REV/PATH          302 to http://localhost:PORT/files/hub/ORG/NAME/PATH
                                      (another host name, as the Hub's CDN is)
"""
import argparse
import json
import os
import re
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOG_LOCK = threading.Lock()
SEEN_429 = set()
ETAG_COUNTER = [0]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "stguard-test"
    # The head and the body are two writes: with Nagle's algorithm the body
    # waits for the client's delayed ACK (40 ms) on a kept-alive connection.
    disable_nagle_algorithm = True

    def log_message(self, *args):  # the JSON log replaces stderr lines
        pass

    def record(self, status, sent):
        entry = {"method": self.command, "path": self.path,
                 "host": self.headers.get("Host", ""),
                 "range": self.headers.get("Range"), "status": status, "bytes": sent,
                 "auth": self.headers.get("Authorization") is not None,
                 "port": self.client_address[1]}
        with LOG_LOCK:
            with open(self.server.log_path, "a") as log:
                log.write(json.dumps(entry) + "\n")

    def simple(self, status, body=b"", headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.record(status, len(body))

    def other_host(self):
        host = self.headers.get("Host", "")
        name = "localhost" if host.startswith("127.0.0.1") else "127.0.0.1"
        return f"http://{name}:{self.server.server_port}"

    def do_GET(self):
        path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
        m = re.fullmatch(r"/api/models/([^/]+)/([^/]+)/revision/(.+)", path)
        if m:
            return self.listing(m.group(1), m.group(2), m.group(3))
        m = re.fullmatch(r"/([^/]+)/([^/]+)/resolve/([^/]+)/(.+)", path)
        if m:
            target = urllib.parse.quote(f"/files/hub/{m.group(1)}/{m.group(2)}/{m.group(4)}")
            return self.simple(302, headers=[("Location", self.other_host() + target)])
        mode = ""
        m = re.fullmatch(r"/m/([a-z0-9]+)(/files/.*)", path)
        if m:
            mode, path = m.group(1), m.group(2)
        if not path.startswith("/files/"):
            return self.simple(404)
        rel = path[len("/files/"):]
        full = os.path.realpath(os.path.join(self.server.root, rel))
        if not full.startswith(self.server.root + "/") or not os.path.isfile(full):
            return self.simple(404)
        if mode == "loop":
            return self.simple(302, headers=[("Location", self.path)])
        if mode == "other":
            return self.simple(302, headers=[("Location", self.other_host() + "/files/" +
                                              urllib.parse.quote(rel))])
        if mode == "r429" and self.path not in SEEN_429:
            SEEN_429.add(self.path)
            return self.simple(429, b"slow down", [("Retry-After", "1")])
        self.serve_file(full, mode)

    def serve_file(self, full, mode):
        size = os.path.getsize(full)
        first, last = 0, size - 1
        ranged = False
        spec = self.headers.get("Range")
        if spec and mode not in ("norange", "nolength"):
            m = re.fullmatch(r"bytes=(\d+)-(\d*)", spec)
            if m:
                first = int(m.group(1))
                last = min(int(m.group(2)) if m.group(2) else size - 1, size - 1)
                if first >= size:
                    return self.simple(416, headers=[("Content-Range", f"bytes */{size}")])
                ranged = True
        length = last - first + 1 if size > 0 else 0
        if mode == "slow":
            self.send_response(206 if ranged else 200)
            self.send_header("Content-Length", str(length))
            self.end_headers()
            self.wfile.flush()
            time.sleep(30)
            self.record(206, 0)
            return
        self.send_response(206 if ranged else 200)
        if ranged:
            shown_first, shown_total = first, size
            if mode == "badstart":
                shown_first = first + 1
            if mode == "badtotal":
                shown_total = last
            if mode != "nocr":
                self.send_header("Content-Range", f"bytes {shown_first}-{last}/{shown_total}")
        if mode == "nolength":
            self.send_header("Connection", "close")
        else:
            self.send_header("Content-Length", str(length))
        etag = f'"{int(os.path.getmtime(full))}-{size}"'
        if mode == "etag":
            with LOG_LOCK:
                ETAG_COUNTER[0] += 1
                etag = f'"v{ETAG_COUNTER[0]}"'
        self.send_header("ETag", etag)
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        to_send = length // 2 if mode == "short" else length
        sent = 0
        try:
            with open(full, "rb") as f:
                f.seek(first)
                while sent < to_send:
                    chunk = f.read(min(65536, to_send - sent))
                    if not chunk:
                        break
                    self.wfile.write(chunk)
                    sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.record(206 if ranged else 200, sent)
        if mode in ("short", "nolength"):
            self.close_connection = True

    def listing(self, org, name, rev):
        base = os.path.join(self.server.root, "hub", org, name)
        if rev == "missing" or not os.path.isdir(base):
            return self.simple(404, b'{"error":"Repository not found"}')
        files = []
        for dirpath, _, names in os.walk(base):
            for n in names:
                files.append(os.path.relpath(os.path.join(dirpath, n), base))
        body = json.dumps({"id": f"{org}/{name}", "sha": "0" * 40,
                           "siblings": [{"rfilename": f} for f in sorted(files)]}).encode()
        self.simple(200, body, [("Content-Type", "application/json")])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"),
                        help="serve https with this certificate (self-signed in the tests)")
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if args.tls:
        import ssl
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.tls[0], args.tls[1])
        server.socket = context.wrap_socket(server.socket, server_side=True)
    server.daemon_threads = True
    server.root = os.path.realpath(args.root)
    server.log_path = args.log
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(server.server_port))
    os.rename(tmp, args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
