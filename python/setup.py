"""Installs the stguard package, carrying libstguard.so.0 when one is found.

Offline, with Debian's setuptools:
    python3 -m venv --system-site-packages V
    STGUARD_BUILD_DIR=build/gcc V/bin/pip install --no-build-isolation ./python

The library copied into stguard/_lib/ is, in order: the file STGUARD_LIBRARY
names, STGUARD_BUILD_DIR/validator/libstguard.so.0, or the first of
../build/{gcc,release,rel}/validator/libstguard.so.0 next to this directory.
With none of them the package is installed without a copy and finds the
system's libstguard.so.0 (the .deb's) at import time. STGUARD_NO_BUNDLE=1
skips the copy on purpose.

The stguard CLI built with that library (the file `stguard` beside it, in a
build tree's validator/) is carried too, as stguard/_lib/stguard: `python
-m stguard` runs it, so it is the CLI, every option and output included.
"""
import os
import shutil
import subprocess

from setuptools import Distribution, setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))
LIBRARY = "libstguard.so.0"


def library_to_carry():
    if os.environ.get("STGUARD_NO_BUNDLE"):
        return None
    env = os.environ.get("STGUARD_LIBRARY")
    if env:
        if not os.path.isfile(env):
            raise SystemExit(f"STGUARD_LIBRARY={env}: no such file")
        return env
    build_dir = os.environ.get("STGUARD_BUILD_DIR")
    candidates = [os.path.join(build_dir, "validator", LIBRARY)] if build_dir else [
        os.path.join(HERE, "..", "build", name, "validator", LIBRARY)
        for name in ("gcc", "release", "rel")]
    for path in candidates:
        if os.path.isfile(path):
            return path
    if build_dir:
        raise SystemExit(f"STGUARD_BUILD_DIR={build_dir}: no validator/{LIBRARY} "
                         f"(ninja -C {build_dir} stguard_shared)")
    return None


def carry(source, target, mode):
    """Copies the file itself (symlinks resolved), without debug info."""
    shutil.copyfile(os.path.realpath(source), target)
    os.chmod(target, mode)
    if shutil.which("strip"):  # a RelWithDebInfo build is mostly debug info
        subprocess.run(["strip", "--strip-debug", target], check=True)
    print(f"stguard: carrying {os.path.realpath(source)}")


class BuildPyCarryingLibrary(build_py):
    def run(self):
        super().run()
        library = library_to_carry()
        if library is None:
            print("stguard: no libstguard.so.0 carried; the system's is used at import")
            return
        target = os.path.join(self.build_lib, "stguard", "_lib")
        os.makedirs(target, exist_ok=True)
        carry(library, os.path.join(target, LIBRARY), 0o644)
        # The CLI of the same build: beside the library as named (a build
        # tree's validator/ holds both).
        cli = os.path.join(os.path.dirname(library), "stguard")
        if os.path.isfile(cli) and os.access(cli, os.X_OK):
            carry(cli, os.path.join(target, "stguard"), 0o755)
        else:
            print(f"stguard: no CLI beside {library}; python -m stguard uses the system's")


class CarryingDistribution(Distribution):
    """With a native library inside, the package goes to platlib (and the
    wheel is a platform wheel), as a package with an extension module does."""

    def has_ext_modules(self):
        return library_to_carry() is not None


cmdclass = {"build_py": BuildPyCarryingLibrary}
try:
    from wheel.bdist_wheel import bdist_wheel

    class BdistWheelAnyPython(bdist_wheel):
        """A wheel for every CPython 3 (ctypes: no extension module), but for
        this platform when it carries the native library."""

        def get_tag(self):
            python, abi, platform = super().get_tag()
            return ("py3", "none", platform)

    cmdclass["bdist_wheel"] = BdistWheelAnyPython
except ImportError:  # no wheel package: pip install still works (setup.py install)
    pass

setup(cmdclass=cmdclass, distclass=CarryingDistribution)
