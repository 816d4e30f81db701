"""Fixtures for the end-to-end monitor tests.

The binaries come from the environment ctest sets (BERTH_MONITOR, BERTH_MONITOR_TOOL,
BERTH_RUNTIME, BERTH_INIT), else from <repo>/build-monitor or <repo>/build. Each test gets its
own run root (monitor state dirs and runtime root) under a temp dir; afterwards every monitor
still alive there is SIGKILLed and every runtime container force-deleted, pass or fail.
"""

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MKBUNDLE = REPO / "scripts" / "mkbundle.sh"


def binary(env, *rel):
    if os.environ.get(env):
        return os.path.abspath(os.environ[env])
    for build in ("build-monitor", "build"):
        p = REPO / build / Path(*rel)
        if p.exists():
            return str(p)
    return str(REPO / "build" / Path(*rel))


MONITOR = binary("BERTH_MONITOR", "src", "cmd", "berth-monitor", "berth-monitor")
TOOL = binary("BERTH_MONITOR_TOOL", "tests", "monitor", "berth-monitor-tool")
RUNTIME = binary("BERTH_RUNTIME", "src", "cmd", "berth-runtime", "berth-runtime")
INIT = binary("BERTH_INIT", "src", "cmd", "berth-init", "berth-init")


def pid_alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def wait_for(pred, timeout=10.0, step=0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


class Env:
    """One test's world: a run root with monitors/ and runtime/, bundles, and the tool."""

    def __init__(self, root):
        self.root = Path(root)
        self.runtime_root = self.root / "runtime"
        self.monitors = self.root / "monitors"
        self.monitors.mkdir(parents=True)
        self.count = 0

    def state_dir(self, cid):
        return self.monitors / cid

    def log_path(self, cid):
        d = self.root / "containers" / cid
        d.mkdir(parents=True, exist_ok=True)
        return d / "container.log"

    def bundle(self, *args, tty=False, edit=None):
        self.count += 1
        path = self.root / f"bundle{self.count}"
        env = dict(os.environ, BERTH_RUNTIME=shutil.which("runc") or RUNTIME)
        res = subprocess.run(["bash", str(MKBUNDLE), str(path), *args], env=env,
                             capture_output=True, text=True, timeout=60)
        assert res.returncode == 0, f"mkbundle: {res.stderr}"
        cfg_path = path / "config.json"
        cfg = json.loads(cfg_path.read_text())
        cfg["process"]["terminal"] = tty
        if edit:
            edit(cfg)
        cfg_path.write_text(json.dumps(cfg, indent=2))
        return path

    def tool(self, *args, input=None, timeout=30, check=False):
        res = subprocess.run([TOOL, *map(str, args)], input=input, capture_output=True,
                             timeout=timeout)
        if check:
            assert res.returncode == 0, f"tool {args[0]}: rc={res.returncode} {res.stderr!r}"
        return res

    def run(self, cid, bundle, *extra, input=None, timeout=30, log=True):
        args = ["run", "--monitor", MONITOR, "--id", cid, "--bundle", bundle, "--state-dir",
                self.state_dir(cid), "--runtime-root", self.runtime_root]
        if log:
            args += ["--log", self.log_path(cid)]
        return self.tool(*args, *extra, input=input, timeout=timeout)

    def run_detached(self, cid, bundle, *extra):
        res = self.run(cid, bundle, "--detach", *extra)
        assert res.returncode == 0, f"run {cid}: {res.stderr!r}"
        return json.loads(res.stderr.decode().strip().splitlines()[-1])

    def inspect(self, cid_or_dir):
        d = cid_or_dir if os.path.isabs(str(cid_or_dir)) else self.state_dir(cid_or_dir)
        res = self.tool("inspect", "--state-dir", d, check=True)
        return json.loads(res.stdout)

    def log_entries(self, cid):
        return [json.loads(line) for line in self.log_path(cid).read_text().splitlines()]

    def cleanup(self):
        for state in self.root.glob("monitors/**/state"):
            try:
                mpid = int(state.read_text().split()[0])
            except (ValueError, IndexError, OSError):
                continue
            if pid_alive(mpid):
                try:
                    os.kill(mpid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        if self.runtime_root.is_dir():
            for c in self.runtime_root.iterdir():
                if c.is_dir() and not c.name.startswith("@"):
                    subprocess.run([RUNTIME, "--root", str(self.runtime_root), "delete",
                                    "--force", c.name], capture_output=True, timeout=30)
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture
def env():
    if os.geteuid() != 0:
        pytest.skip("needs root (namespaces, cgroups)")
    for b in (MONITOR, TOOL, RUNTIME):
        if not os.access(b, os.X_OK):
            pytest.fail(f"{b} is not built")
    e = Env(tempfile.mkdtemp(prefix="berth-mon-"))
    yield e
    e.cleanup()


def smaps_rollup(pid):
    out = {}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3 and parts[-1] == "kB":
                out[parts[0].rstrip(":")] = int(parts[1])
    return out
