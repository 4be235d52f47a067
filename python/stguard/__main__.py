"""python -m stguard ARGS: the stguard CLI of this package's library.

`python -m stguard check -q -j 2 -f sarif models/` is `stguard check -q -j 2
-f sarif models/`: every command, option, output and exit status, because it
is the same program. The CLI run is, in order: the one carried beside the
library (stguard/_lib/stguard, put there by setup.py from the same build);
with the system's library (the .deb's), the system's `stguard` on PATH when
its version is the library's. No CLI: a message and exit status 2 (usage).
"""
import os
import shutil
import subprocess
import sys

from . import _native


def _cli():
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_lib")
    carried = os.path.join(here, "stguard")
    if os.access(carried, os.X_OK):
        return carried
    if os.path.dirname(os.path.abspath(_native.library_path)) == here:
        return None  # a carried library without its CLI: another build's would differ
    system = shutil.which("stguard")
    if system is None:
        return None
    version = subprocess.run([system, "--version"], capture_output=True, text=True)
    mine = _native.lib.stguard_version().decode("ascii")
    return system if mine in version.stdout.split() else None


def main():
    cli = _cli()
    if cli is None:
        print("python -m stguard: no stguard CLI of this library's version (reinstall the "
              "package from a build tree, or install the stguard .deb)", file=sys.stderr)
        sys.exit(2)
    sys.stdout.flush()
    os.execv(cli, [cli] + sys.argv[1:])


main()
