"""Fixtures for the end-to-end runtime tests.

The runtime under test comes from $BERTH_RUNTIME (ctest sets it to the built berth-runtime), else
<repo>/build/src/cmd/berth-runtime/berth-runtime. Every test gets its own --root state directory;
whatever containers a test leaves there are force-deleted afterwards, pass or fail, so a failing
test cannot leak processes or cgroups into the next one.
"""

import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MKBUNDLE = REPO / "scripts" / "mkbundle.sh"
DEFAULT_RUNTIME = REPO / "build" / "src" / "cmd" / "berth-runtime" / "berth-runtime"

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (namespaces, cgroups)")


def runtime_path():
    return os.path.abspath(os.environ.get("BERTH_RUNTIME") or DEFAULT_RUNTIME)


# A hanging runtime must fail the run, not outlive ctest's TIMEOUT (which kills pytest before any
# cleanup): once this budget is spent every further command gets only MIN_TIMEOUT seconds.
BUDGET_S = float(os.environ.get("BERTH_E2E_BUDGET", "480"))
MIN_TIMEOUT = 5.0
_deadline = time.monotonic() + BUDGET_S


def run_captured(argv, timeout=60, env=None):
    """Run argv with stdout/stderr in temp files, not pipes: a detached container inherits the
    runtime's stdio, so with pipes we would wait for EOF until the container exits."""
    timeout = max(MIN_TIMEOUT, min(timeout, _deadline - time.monotonic()))
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        try:
            rc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                timeout=timeout, env=env).returncode
            note = ""
        except subprocess.TimeoutExpired:  # the child was killed; report it like a failure
            rc, note = 124, f"\n[timed out after {timeout:.0f}s and killed]"
        out.seek(0)
        err.seek(0)
        return subprocess.CompletedProcess(argv, rc, out.read().decode(errors="replace"),
                                           err.read().decode(errors="replace") + note)


def spec_runtime(runtime):
    # Bundles come from runc's `spec` when available so that every runtime under test gets the
    # same reference config.json; `spec` itself is tested on its own.
    return shutil.which("runc") or runtime


@pytest.fixture(scope="session")
def runtime():
    path = runtime_path()
    if not os.access(path, os.X_OK):
        pytest.fail(f"runtime {path} is not an executable (build it or set BERTH_RUNTIME)")
    return path


@pytest.fixture
def rroot(runtime):
    """A private --root state directory, removed after the test with all its containers."""
    if os.geteuid() != 0:
        pytest.skip("needs root (namespaces, cgroups)")
    root = tempfile.mkdtemp(prefix="berth-rt-")
    yield root
    cleanup_root(runtime, root)


def container_ids(runtime, root):
    ids = set()
    res = run_captured([runtime, "--root", root, "list", "-q"], timeout=30)
    if res.returncode == 0:
        ids.update(line.strip() for line in res.stdout.splitlines() if line.strip())
    # A runtime whose `list` is broken still keeps one directory per container.
    if os.path.isdir(root):
        ids.update(e.name for e in os.scandir(root) if e.is_dir())
    return sorted(ids)


def cleanup_root(runtime, root):
    for cid in container_ids(runtime, root):
        res = run_captured([runtime, "--root", root, "delete", "--force", cid], timeout=30)
        if res.returncode != 0:
            print(f"cleanup: delete --force {cid}: rc={res.returncode} {res.stderr.strip()}")
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def rt(runtime, rroot):
    """rt(*args, timeout=60) runs `<runtime> --root <rroot> args...` -> CompletedProcess."""

    def run(*args, timeout=60):
        return run_captured([runtime, "--root", rroot, *map(str, args)], timeout=timeout)

    return run


@pytest.fixture
def bundle(runtime, tmp_path):
    """bundle(args=None, edit=None, name=None) -> Path of a new busybox bundle in tmp_path.

    `edit` is called with the config.json dict (change it in place) before it is written."""
    count = 0

    def make(args=None, edit=None, name=None):
        nonlocal count
        count += 1
        path = tmp_path / (name or f"bundle{count}")
        env = dict(os.environ, BERTH_RUNTIME=spec_runtime(runtime))
        res = run_captured(["bash", str(MKBUNDLE), str(path), *(args or [])], env=env)
        assert res.returncode == 0, f"mkbundle failed: {res.stderr}"
        if edit is not None:
            cfg_path = path / "config.json"
            cfg = json.loads(cfg_path.read_text())
            edit(cfg)
            cfg_path.write_text(json.dumps(cfg, indent=2))
        return path

    return make


def state_of(rt, cid):
    res = rt("state", cid)
    assert res.returncode == 0, f"state {cid}: rc={res.returncode} {res.stderr}"
    return json.loads(res.stdout)


def wait_status(rt, cid, status, timeout=10.0):
    """Poll `state` until it reports `status`; returns the last state."""
    deadline = time.monotonic() + timeout
    while True:
        st = state_of(rt, cid)
        if st["status"] == status or time.monotonic() > deadline:
            return st
        time.sleep(0.05)


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still accepts signal 0; it has exited for our purposes.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
