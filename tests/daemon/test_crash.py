"""Crash consistency (issue 5): berthd killed at each step of create, start and remove (a
failpoint makes it _exit(137) there, as kill -9 would), then restarted. Afterwards the container
is either gone or in a state every verb accepts, and once it is removed nothing of it is left:
no directory, monitor, runtime state, mount, cgroup, veth, netns file or firewall rule."""

import json
import os
import re
import time

import pytest

from conftest import free_port_in, import_busybox

POINTS = [
    ("create.dir", "create"), ("create.mounts", "create"), ("create.row", "create"),
    ("start.rootfs", "start"), ("start.network", "start"), ("start.bundle", "start"),
    ("start.monitor", "start"), ("start.row", "start"),
    ("remove.marked", "remove"), ("remove.runtime", "remove"), ("remove.row", "remove"),
]


def wait_for(pred, timeout=10):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.1)
    return pred()


def listing(d):
    out = d.docker("ps", "-a", "--no-trunc", "--format", "{{.ID}} {{.Names}} {{.State}}").out
    return {l.split()[1]: (l.split()[0], l.split()[2]) for l in out.splitlines() if l.strip()}


def cgroup_dirs(cid):
    base = "/sys/fs/cgroup"
    return [f"{base}/{h}/berth/{cid}" for h in os.listdir(base)
            if os.path.isdir(f"{base}/{h}/berth/{cid}")]


def mounts_under(prefix):
    with open("/proc/self/mountinfo") as f:
        return [l.split()[4] for l in f if l.split()[4].startswith(str(prefix))]


def host_veths(d):
    out = d.ns_run(["ip", "-o", "link"], capture_output=True, text=True).stdout
    return re.findall(r"^\d+: (bth\w+)", out, re.M)


@pytest.mark.parametrize("point,op", POINTS, ids=[p for p, _ in POINTS])
def test_killed_at_each_step(daemon, busybox_tar, point, op):
    d = daemon
    import_busybox(d, busybox_tar)
    port = free_port_in(d)
    create = ["create", "--name", "cc", "-p", f"{port}:80", "-v", "cv:/data", "busybox",
              "httpd", "-f", "-p", "80", "-h", "/"]
    if op in ("start", "remove"):
        d.docker(*create)
    if op == "remove":
        d.docker("start", "cc")
    ids = set(os.listdir(d.root / "containers"))

    # The step, with the daemon set to die in the middle of it.
    d.stop()
    d.daemon_env = {"BERTH_FAILPOINT": point}
    d.start()
    argv = {"create": create, "start": ["start", "cc"], "remove": ["rm", "-f", "cc"]}[op]
    r = d.docker(*argv, check=False, timeout=60)
    assert r.returncode != 0, f"{point}: the daemon did not die there"
    assert d.proc.wait(timeout=20) == 137, d.logs()
    assert f"failpoint {point}" in d.logs()
    ids |= set(os.listdir(d.root / "containers"))

    # Restarted: the container is gone or usable.
    d.daemon_env = {}
    d.start()
    seen = listing(d)
    if "cc" in seen:
        cid, st = seen["cc"]
        assert st in ("created", "running", "exited"), (point, st)
        if st != "running":
            d.docker("start", "cc")
        assert json.loads(d.docker("inspect", "cc").out)[0]["State"]["Running"]
        d.docker("exec", "cc", "true")
        d.docker("rm", "-f", "cc")
    assert "cc" not in listing(d)

    # Nothing of it is left.
    assert wait_for(lambda: os.listdir(d.root / "containers") == []), \
        os.listdir(d.root / "containers")
    assert os.listdir(d.run_root / "monitors") == []
    runtime = d.run_root / "runtime"
    assert not runtime.exists() or [x for x in os.listdir(runtime) if x in ids] == []
    assert mounts_under(d.root / "containers") == []
    for cid in ids:
        assert cgroup_dirs(cid) == [], (point, cid)
    assert wait_for(lambda: host_veths(d) == []), host_veths(d)
    rules = d.ns_run(["nft", "list", "ruleset"], capture_output=True, text=True).stdout
    assert f" {port} " not in rules, rules
    # And the daemon works as before: the name is free, a run succeeds.
    d.docker("run", "--rm", "--name", "cc", "busybox", "true")
    # The named volume is there (or was never made, when the create died before it) and goes.
    d.docker("volume", "rm", "cv", check=False)
    assert "cv" not in d.docker("volume", "ls", "-q").out.split()
