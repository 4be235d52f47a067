"""Measures one process: wall time, CPU time and peak RSS, as the runner and
the memory test need them.

Why a helper process: Linux counts in a process's peak RSS (ru_maxrss) the
memory of whatever it was before exec. Python starts children with vfork, so
a child of this (large) Python process would report this process's own peak:
300 MB for `stguard --version` after building a 300 MB input. So a small
Python (-S -I, about 6 MB) forks for real and execs stguard: the figure then
counts stguard's own peak, with a floor of that helper's few MB.
"""
import os
import subprocess
import sys
import threading

# argv: result fd, timeout seconds, command... Writes "wall user sys maxrss_kb
# exit timed_out" to the fd. The wall time runs from fork to reaping.
_HELPER = r"""
import os, signal, sys, time
fd = int(sys.argv[1]); timeout = float(sys.argv[2]); argv = sys.argv[3:]
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.close(fd)
        os.execv(argv[0], argv)
    finally:
        os._exit(127)
timed_out = []
def expire(*_):
    timed_out.append(1)
    os.kill(pid, signal.SIGKILL)
signal.signal(signal.SIGALRM, expire)
signal.setitimer(signal.ITIMER_REAL, timeout)
_, status, ru = os.wait4(pid, 0)
wall = time.perf_counter() - start
signal.setitimer(signal.ITIMER_REAL, 0)
os.write(fd, ("%r %r %r %d %d %d" % (wall, ru.ru_utime, ru.ru_stime, ru.ru_maxrss,
              os.waitstatus_to_exitcode(status), 1 if timed_out else 0)).encode())
"""


def measure(cmd, stdin_path=None, timeout=600.0, keep_stdout=0):
    """Runs cmd (feeding stdin_path through a pipe when given) and returns a dict:
    wall_s, user_s, sys_s, cpu_s, peak_rss (bytes), exit, timeout, out_bytes,
    stdout (its first keep_stdout bytes), stderr (its last 300 characters)."""
    read_fd, write_fd = os.pipe()
    try:
        p = subprocess.Popen(
            [sys.executable, "-S", "-I", "-c", _HELPER, str(write_fd), str(timeout), *cmd],
            stdin=subprocess.PIPE if stdin_path else subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, pass_fds=(write_fd,))
    finally:
        os.close(write_fd)
    out = {"bytes": 0, "head": b"", "err": b""}

    def drain_out():
        while True:
            chunk = p.stdout.read(1 << 20)
            if not chunk:
                return
            if len(out["head"]) < keep_stdout:
                out["head"] += chunk[: keep_stdout - len(out["head"])]
            out["bytes"] += len(chunk)

    def drain_err():
        while True:
            chunk = p.stderr.read(1 << 16)
            if not chunk:
                return
            out["err"] = (out["err"] + chunk)[-2000:]

    def feed():
        try:
            with open(stdin_path, "rb") as f:
                size = os.fstat(f.fileno()).st_size
                offset = 0
                while offset < size:
                    sent = os.sendfile(p.stdin.fileno(), f.fileno(), offset, size - offset)
                    if sent == 0:
                        break
                    offset += sent
        except OSError:
            pass  # the reader stopped early (BrokenPipeError): its report says why
        finally:
            try:
                p.stdin.close()
            except OSError:
                pass

    threads = [threading.Thread(target=drain_out), threading.Thread(target=drain_err)]
    if stdin_path:
        threads.append(threading.Thread(target=feed))
    for t in threads:
        t.start()
    with os.fdopen(read_fd, "rb") as f:
        line = f.read().decode()
    p.wait()
    for t in threads:
        t.join()
    if not line:
        raise RuntimeError("measure: the helper failed: %s" % out["err"].decode("utf-8", "replace"))
    wall, user, system, maxrss_kb, exit_code, timed_out = line.split()
    return {
        "wall_s": float(wall),
        "user_s": float(user),
        "sys_s": float(system),
        "cpu_s": float(user) + float(system),
        "peak_rss": int(maxrss_kb) * 1024,
        "exit": int(exit_code),
        "timeout": timed_out == "1",
        "out_bytes": out["bytes"],
        "stdout": out["head"],
        "stderr": out["err"].decode("utf-8", "replace")[-300:],
    }
