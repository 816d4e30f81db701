"""Fixtures for the `berth` CLI end-to-end tests.

They reuse tests/daemon/conftest.py (berthd in a fresh netns on a throwaway root, the real
docker CLI as `d.docker(...)`) and add `d.berth(...)`: the berth binary (from $BERTH, else
<repo>/build/src/cmd/berth/berth) against the same daemon, with a private ~/.berth. `both(...)`
runs one command line through both CLIs, so tests compare outputs and exit codes.
"""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

_here = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("daemon_conftest",
                                               _here.parent / "daemon" / "conftest.py")
dc = importlib.util.module_from_spec(_spec)
sys.modules["daemon_conftest"] = dc
_spec.loader.exec_module(dc)

# Re-export the daemon fixtures and helpers.
busybox_tar = dc.busybox_tar
import_busybox = dc.import_busybox
start_registry = dc.start_registry
free_port_in = dc.free_port_in

REPO = _here.parents[1]
DEFAULT_BERTH = REPO / "build" / "src" / "cmd" / "berth" / "berth"


def berth_path():
    return os.path.abspath(os.environ.get("BERTH") or DEFAULT_BERTH)


class Run:
    """A finished command: rc, out, err."""

    def __init__(self, argv, p):
        self.argv = argv
        self.rc = p.returncode
        self.returncode = p.returncode
        self.out = p.stdout.decode(errors="replace")
        self.err = p.stderr.decode(errors="replace")

    def __repr__(self):
        return f"{self.argv} -> {self.rc}\nstdout: {self.out}\nstderr: {self.err}"


def _attach_berth(d, tmp):
    home = Path(tmp) / "berth-home"
    home.mkdir(exist_ok=True)
    d.berth_env = dict(d.env, BERTH_HOST=d.host, BERTH_CONFIG=str(home / ".berth"),
                       HOME=str(home))

    def berth(*args, check=True, timeout=300, input=None, env=None):
        e = dict(d.berth_env, **(env or {}))
        argv = [berth_path(), *args]
        p = subprocess.run(argv, capture_output=True, timeout=timeout, input=input, env=e)
        r = Run(["berth", *args], p)
        if check and r.rc != 0:
            raise AssertionError(f"{r!r}\nberthd log:\n{d.logs()}")
        return r

    def docker(*args, check=True, timeout=300, input=None, env=None):
        p = subprocess.run([dc.DOCKER, *args], capture_output=True, timeout=timeout,
                           input=input, env=dict(d.env, **(env or {})))
        r = Run(["docker", *args], p)
        if check and r.rc != 0:
            raise AssertionError(f"{r!r}\nberthd log:\n{d.logs()}")
        return r

    def both(*args, check=False, **kw):
        return berth(*args, check=check, **kw), docker(*args, check=check, **kw)

    d.berth = berth
    d.dockerc = docker
    d.both = both
    return d


@pytest.fixture
def daemon(tmp_path):
    d = dc.make_daemon(tmp_path)
    try:
        yield _attach_berth(d, tmp_path)
    finally:
        dc.destroy_daemon(d)


@pytest.fixture(scope="module")
def shared_daemon(tmp_path_factory, busybox_tar):
    """One daemon for a whole test file (with busybox imported): for read-mostly tests."""
    tmp = tmp_path_factory.mktemp("shared")
    d = dc.make_daemon(tmp)
    try:
        _attach_berth(d, tmp)
        import_busybox(d, str(busybox_tar))
        yield d
    finally:
        dc.destroy_daemon(d)
