"""Fixtures for the `berth compose` end-to-end tests.

They reuse tests/cli/conftest.py (berthd in a fresh netns on a throwaway root, with busybox
imported; `d.berth(...)` runs the berth CLI against it). `project(d, tmp_path, files)` writes a
project directory and returns a helper that runs `berth compose` in it.
"""

import importlib.util
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

_here = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("cli_conftest", _here.parent / "cli" / "conftest.py")
cc = importlib.util.module_from_spec(_spec)
sys.modules["cli_conftest"] = cc
_spec.loader.exec_module(cc)

dc = cc.dc
daemon = cc.daemon
shared_daemon = cc.shared_daemon
busybox_tar = cc.busybox_tar
REPO = cc.REPO


class Project:
    def __init__(self, d, path, name):
        self.d = d
        self.path = Path(path)
        self.name = name

    def write(self, rel, text):
        p = self.path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text).lstrip("\n"))
        return p

    def compose(self, *args, check=True, timeout=300, input=None, env=None, cwd=None):
        e = dict(self.d.berth_env, **(env or {}))
        argv = [cc.berth_path(), "compose", "-p", self.name, *args]
        p = subprocess.run(argv, capture_output=True, timeout=timeout, input=input, env=e,
                           cwd=str(cwd or self.path))
        r = cc.Run(["berth", "compose", *args], p)
        if check and r.rc != 0:
            raise AssertionError(f"{r!r}\nberthd log tail:\n{self.d.logs()[-3000:]}")
        return r

    def raw(self, *args, check=False, timeout=300, env=None, cwd=None, input=None):
        """berth compose without -p."""
        e = dict(self.d.berth_env, **(env or {}))
        p = subprocess.run([cc.berth_path(), "compose", *args], capture_output=True,
                           timeout=timeout, env=e, cwd=str(cwd or self.path), input=input)
        r = cc.Run(["berth", "compose", *args], p)
        if check and r.rc != 0:
            raise AssertionError(f"{r!r}")
        return r

    def ids(self, all=True):
        """name -> id of the project's containers."""
        out = self.d.berth("ps", "-a" if all else "-q", "--no-trunc", "--filter",
                           f"label=com.docker.compose.project={self.name}",
                           "--format", "{{.Names}} {{.ID}}").out
        return dict(l.split() for l in out.splitlines() if l.strip())

    def inspect(self, name):
        import json
        return json.loads(self.d.berth("inspect", name).out)[0]

    def in_netns(self, *argv, timeout=30):
        return subprocess.run(["nsenter", f"--net={self.d.nspath}", *argv], capture_output=True,
                              text=True, timeout=timeout)


@pytest.fixture
def project(shared_daemon, tmp_path, request):
    name = "t" + request.node.name.replace("test_", "").replace("_", "")[:20].lower()
    p = Project(shared_daemon, tmp_path / "proj", name)
    p.path.mkdir()
    try:
        yield p
    finally:
        p.compose("down", "-v", "--remove-orphans", "-t", "1", check=False, timeout=120)
