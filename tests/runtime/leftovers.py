"""What a runtime operation leaves behind on the host, compared before/after.

A snapshot holds: mounts of this (the host's) mount namespace, cgroup directories naming the
test's container ids in every hierarchy under /sys/fs/cgroup (each v1 controller, name=systemd,
and the unified cgroup2 one), processes that belong to the test (children of pytest, processes
whose root or command line is inside the test's directories or names its ids), and the state
entries under the --root.

Other engineers run their tests on this machine at the same time, so each test uses container ids
carrying its own token, and mounts in scratch areas that are not the test's own (other tests'
/tmp directories, podman's storage) are ignored.
"""

import itertools
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field

import pytest

CGROUP_BASE = "/sys/fs/cgroup"
# Scratch areas shared with other test runs; a new mount there is somebody else's unless it is
# under one of this test's own paths.
FOREIGN_PREFIXES = ("/tmp/", "/run/", "/var/tmp/", "/var/lib/containers/", "/dev/shm/")

_counter = itertools.count()


def _unescape(field_):
    # mountinfo escapes space, tab, newline and backslash as octal.
    return field_.encode().decode("unicode_escape")


def host_mounts():
    """{(mount point, root, fstype, source)} of this process's mount namespace."""
    out = set()
    with open("/proc/self/mountinfo") as f:
        for line in f:
            pre, _, post = line.partition(" - ")
            a, b = pre.split(), post.split()
            out.add((_unescape(a[4]), _unescape(a[3]), b[0], _unescape(b[1])))
    return out


def cgroup_hierarchies():
    """Mount points of every cgroup/cgroup2 hierarchy (hybrid: one per v1 controller + unified)."""
    return sorted({m[0] for m in host_mounts()
                   if m[2] in ("cgroup", "cgroup2") and m[0].startswith(CGROUP_BASE)})


def cgroup_dirs(tokens):
    """Directories under any hierarchy whose path relative to it contains one of `tokens`."""
    found = set()
    for hier in cgroup_hierarchies():
        for dirpath, dirnames, _ in os.walk(hier):
            rel = os.path.relpath(dirpath, hier)
            if rel.count("/") >= 6:
                dirnames[:] = []
            if rel != "." and any(t in rel for t in tokens):
                found.add(os.path.join(hier, rel))
    return found


def _read(path, binary=False):
    try:
        with open(path, "rb" if binary else "r") as f:
            return f.read()
    except OSError:
        return None


def _proc_table():
    """{pid: (ppid, state, cmdline, root link)} of every process (racy entries skipped)."""
    table = {}
    for e in os.scandir("/proc"):
        if not e.name.isdigit():
            continue
        stat = _read(f"/proc/{e.name}/stat")
        if stat is None:
            continue
        rest = stat.rsplit(")", 1)[1].split()
        cmd = (_read(f"/proc/{e.name}/cmdline", binary=True) or b"").replace(b"\0", b" ")
        try:
            root = os.readlink(f"/proc/{e.name}/root")
        except OSError:
            root = ""
        table[int(e.name)] = (int(rest[1]), rest[0], cmd.decode(errors="replace"), root)
    return table


def owned_processes(paths, tokens):
    """{(pid, cmdline)} of live processes that belong to the test: descendants of pytest, and
    anything whose root or command line is inside `paths` or whose command line names a token."""
    table = _proc_table()
    me = os.getpid()
    out = set()
    for pid, (_, state, cmd, root) in table.items():
        if pid == me or state == "Z":
            continue
        mine = any(root == p or root.startswith(p + "/") for p in paths)
        mine = mine or any(p in cmd for p in paths) or any(t in cmd for t in tokens)
        anc, seen = table.get(pid, (0,))[0], 0
        while not mine and anc > 1 and seen < 64:
            mine = anc == me
            anc, seen = table.get(anc, (0,))[0], seen + 1
        if mine:
            out.add((pid, cmd.strip()))
    return out


@dataclass
class Snapshot:
    mounts: set = field(default_factory=set)
    cgroups: set = field(default_factory=set)
    procs: set = field(default_factory=set)
    states: set = field(default_factory=set)


class Leftovers:
    """Snapshots scoped to one test: its --root, its directories and its container-id token."""

    def __init__(self, root, paths):
        self.root = os.path.realpath(root)
        self.paths = sorted({os.path.realpath(p) for p in [root, *paths]})
        self.token = f"lo{os.getpid()}n{next(_counter)}"
        self.tokens = [self.token]
        self._ids = itertools.count(1)

    def cid(self, suffix=""):
        """A fresh container id carrying this test's token."""
        return f"{self.token}c{next(self._ids)}{suffix}"

    def _own(self, path):
        return any(path == p or path.startswith(p + "/") for p in self.paths)

    def snapshot(self):
        # "@..." entries are the runtime's caches (e.g. @seccomp-cache), never container state.
        states = ({e for e in os.listdir(self.root) if not e.startswith("@")}
                  if os.path.isdir(self.root) else set())
        return Snapshot(host_mounts(), cgroup_dirs(self.tokens),
                        owned_processes(self.paths, self.tokens), states)

    def new_since(self, before):
        after = self.snapshot()
        mounts = {m for m in after.mounts - before.mounts
                  if self._own(m[0]) or not m[0].startswith(FOREIGN_PREFIXES)}
        return {k: v for k, v in {
            "mounts": sorted(mounts),
            "cgroup dirs": sorted(after.cgroups - before.cgroups),
            "processes": sorted(after.procs - before.procs),
            "state entries": sorted(after.states - before.states),
        }.items() if v}

    def assert_clean(self, before, settle=3.0):
        """Fails listing whatever is new since `before`; waits up to `settle` seconds first,
        since a killed process may take a moment to be reaped."""
        deadline = time.monotonic() + settle
        while True:
            left = self.new_since(before)
            if not left or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert not left, f"left behind: {left}"


@pytest.fixture
def leftovers(rroot, tmp_path):
    """A Leftovers for this test's --root and tmp_path (import this fixture into a test file)."""
    return Leftovers(rroot, [str(tmp_path)])


# Runs argv under a child-subreaper and reports what it orphaned without reaping: a runtime that
# exits after killing a process it did not wait for leaves a zombie, which the host's init reaps
# whenever it gets to it. Inside a container's pid namespace such a zombie also holds up the
# namespace's teardown (its init cannot finish exiting until the zombie is reaped).
_SUBREAPER = r"""
import ctypes, json, os, subprocess, sys, time
argv = json.loads(sys.argv[1])
assert ctypes.CDLL(None).prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
with open(os.devnull, "rb") as null:
    res = subprocess.run(argv, stdin=null, capture_output=True, text=True, timeout=60)
time.sleep(0.2)  # let orphans finish exiting
left = []
for e in os.listdir("/proc"):
    try:
        with open(f"/proc/{e}/status") as f:
            st = dict(l.split(":", 1) for l in f.read().splitlines() if ":" in l)
    except (OSError, ValueError):
        continue
    if st.get("PPid", "").strip() == str(os.getpid()):
        left.append({"pid": int(e), "name": st["Name"].strip(), "state": st["State"].strip(),
                     "nspid": st.get("NSpid", "").split()})
for c in left:  # reap (or kill and reap) so nothing outlives the check
    if not c["state"].startswith("Z"):
        os.kill(c["pid"], 9)
    os.waitpid(c["pid"], 0)
print(json.dumps({"rc": res.returncode, "stderr": res.stderr, "orphans": left}))
"""


def orphans_of(argv):
    """(CompletedProcess-like dict, [orphaned children]) of running argv under a subreaper."""
    out = subprocess.run([sys.executable, "-c", _SUBREAPER, json.dumps([str(a) for a in argv])],
                         capture_output=True, text=True, timeout=90)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    return data, data["orphans"]
