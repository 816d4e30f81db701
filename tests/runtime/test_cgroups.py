"""Cgroups on this machine's hybrid layout (v1 controllers under /sys/fs/cgroup/<ctrl>, cgroup2
at /sys/fs/cgroup/unified): limits from linux.resources read back from the host, `update`,
pause/resume through the freezer, `ps`, removal on delete, and limits that bite inside."""

import json
import os
import time
from pathlib import Path

import pytest

from conftest import cleanup_root, needs_root, state_of
from unique_cgroups import bundle  # noqa: F401 - shadows conftest's

pytestmark = needs_root

CG = Path("/sys/fs/cgroup")
V1 = ["memory", "pids", "cpu", "cpuacct", "cpuset", "freezer", "devices", "blkio"]


@pytest.fixture
def cgpath(request, runtime, rroot):
    """A unique linux.cgroupsPath. Teardown deletes the test's containers first (rroot's own
    cleanup would run after this one), then removes any directory a failing runtime left."""
    name = request.node.name.replace("[", "-").rstrip("]")
    path = f"/berth-e2e-{name}-{os.getpid()}"
    yield path
    cleanup_root(runtime, rroot)
    for ctrl in V1 + ["systemd", "unified"]:
        d = CG / ctrl / path.lstrip("/")
        if d.is_dir():
            print(f"cleanup: {d} was left behind")
            try:
                d.rmdir()
            except OSError as e:
                print(f"cleanup {d}: {e}")


def cgfile(ctrl, path, name):
    return (CG / ctrl / path.lstrip("/") / name).read_text().strip()


def detached(rt, bundle, cgpath, resources=None, args=("sleep", "30"), cid="c1"):
    def edit(cfg):
        cfg["linux"]["cgroupsPath"] = cgpath
        if resources is not None:
            cfg["linux"]["resources"].update(resources)

    b = bundle(list(args), edit=edit)
    res = rt("run", "--detach", "--bundle", b, cid)
    assert res.returncode == 0, f"run -d: {res.stderr}"
    return state_of(rt, cid)["pid"]


RESOURCES = {
    "memory": {"limit": 64 << 20, "reservation": 32 << 20, "swap": 96 << 20},
    "pids": {"limit": 50},
    "cpu": {"shares": 512, "quota": 50000, "period": 100000, "cpus": "1", "mems": "0"},
}


def test_resources_applied(rt, bundle, cgpath):
    pid = detached(rt, bundle, cgpath, RESOURCES)
    assert cgfile("memory", cgpath, "memory.limit_in_bytes") == str(64 << 20)
    assert cgfile("memory", cgpath, "memory.soft_limit_in_bytes") == str(32 << 20)
    assert cgfile("memory", cgpath, "memory.memsw.limit_in_bytes") == str(96 << 20)
    assert cgfile("pids", cgpath, "pids.max") == "50"
    assert cgfile("cpu", cgpath, "cpu.shares") == "512"
    assert cgfile("cpu", cgpath, "cpu.cfs_quota_us") == "50000"
    assert cgfile("cpu", cgpath, "cpu.cfs_period_us") == "100000"
    assert cgfile("cpuset", cgpath, "cpuset.cpus") == "1"
    assert cgfile("cpuset", cgpath, "cpuset.mems") == "0"
    # The init is in the container's cgroup of every v1 hierarchy.
    for ctrl in V1:
        procs = cgfile(ctrl, cgpath, "cgroup.procs").split()
        assert str(pid) in procs, f"{ctrl}: {procs}"
    with open(f"/proc/{pid}/cgroup") as f:
        lines = f.read().splitlines()
    # Every hierarchy, including name=systemd and the unified one ("0::"), as runc does.
    assert len(lines) >= len(V1) + 2, lines
    assert all(line.endswith(":" + cgpath) for line in lines), lines
    with open(f"/proc/{pid}/status") as f:
        assert "Cpus_allowed_list:\t1\n" in f.read()


def test_update_flags(rt, bundle, cgpath):
    detached(rt, bundle, cgpath, RESOURCES)
    res = rt("update", "--memory", "128m", "--memory-swap", "256m", "--pids-limit", "20",
             "--cpu-quota", "20000", "--cpu-share", "256", "c1")
    assert res.returncode == 0, f"update: {res.stderr}"
    assert cgfile("memory", cgpath, "memory.limit_in_bytes") == str(128 << 20)
    assert cgfile("memory", cgpath, "memory.memsw.limit_in_bytes") == str(256 << 20)
    assert cgfile("pids", cgpath, "pids.max") == "20"
    assert cgfile("cpu", cgpath, "cpu.cfs_quota_us") == "20000"
    assert cgfile("cpu", cgpath, "cpu.cfs_period_us") == "100000"  # untouched
    assert cgfile("cpu", cgpath, "cpu.shares") == "256"


def test_update_resources_file(rt, bundle, cgpath, tmp_path):
    detached(rt, bundle, cgpath, RESOURCES)
    f = tmp_path / "res.json"
    f.write_text(json.dumps({"pids": {"limit": 33}, "cpu": {"cpus": "0-1"}}))
    res = rt("update", "-r", f, "c1")
    assert res.returncode == 0, f"update -r: {res.stderr}"
    assert cgfile("pids", cgpath, "pids.max") == "33"
    assert cgfile("cpuset", cgpath, "cpuset.cpus") == "0-1"
    assert cgfile("memory", cgpath, "memory.limit_in_bytes") == str(64 << 20)  # untouched


def test_update_unlimited_pids(rt, bundle, cgpath):
    detached(rt, bundle, cgpath, RESOURCES)
    assert rt("update", "--pids-limit", "-1", "c1").returncode == 0
    assert cgfile("pids", cgpath, "pids.max") == "max"


def test_pause_resume_freezer(rt, bundle, cgpath):
    pid = detached(rt, bundle, cgpath)
    assert rt("pause", "c1").returncode == 0
    assert state_of(rt, "c1")["status"] == "paused"
    assert cgfile("freezer", cgpath, "freezer.state") == "FROZEN"
    with open(f"/proc/{pid}/stat") as f:
        # A frozen task sleeps in the freezer (state D or S), never R.
        assert f.read().rsplit(")", 1)[1].split()[0] in ("D", "S")
    assert rt("resume", "c1").returncode == 0
    assert state_of(rt, "c1")["status"] == "running"
    assert cgfile("freezer", cgpath, "freezer.state") == "THAWED"


def test_ps_lists_all_processes(rt, bundle, cgpath):
    pid = detached(rt, bundle, cgpath, args=["sh", "-c", "sleep 30 & sleep 30 & wait"])
    deadline = time.monotonic() + 5
    while True:
        res = rt("ps", "--format", "json", "c1")
        assert res.returncode == 0, f"ps: {res.stderr}"
        pids = json.loads(res.stdout)
        if len(pids) >= 3 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert pid in pids
    assert len(pids) == 3, pids
    assert sorted(pids) == sorted(int(p) for p in cgfile("pids", cgpath, "cgroup.procs").split())


def test_delete_removes_cgroups(rt, bundle, cgpath):
    detached(rt, bundle, cgpath, RESOURCES)
    dirs = [CG / ctrl / cgpath.lstrip("/") for ctrl in V1]
    assert all(d.is_dir() for d in dirs)
    res = rt("delete", "--force", "c1")
    assert res.returncode == 0, f"delete: {res.stderr}"
    left = [str(d) for d in dirs + [CG / "systemd" / cgpath.lstrip("/"),
                                    CG / "unified" / cgpath.lstrip("/")] if d.exists()]
    assert left == []


def test_run_removes_cgroups_on_exit(rt, bundle, cgpath):
    b = bundle(["true"], edit=lambda cfg: cfg["linux"].update(cgroupsPath=cgpath))
    res = rt("run", "--bundle", b, "c1")
    assert res.returncode == 0, res.stderr
    assert not (CG / "memory" / cgpath.lstrip("/")).exists()
    assert not (CG / "pids" / cgpath.lstrip("/")).exists()


def test_pids_limit_stops_forks(rt, bundle, cgpath):
    # With pids.max 5: sh, a child sh that forks the sleeps, and 3 sleeps; the 4th fork fails and
    # the child sh exits. Counting (a glob) and reading the error (read) are builtins: no fork.
    script = ("sh -c 'for i in 1 2 3 4 5 6 7 8 9 10; do sleep 5 & done' 2>/dev/shm/err; "
              "echo rc=$?; set -- /proc/[0-9]*; echo tasks=$#; read -r line </dev/shm/err; "
              "echo \"$line\"")
    b = bundle(["sh", "-c", script],
               edit=lambda cfg: cfg["linux"].update(cgroupsPath=cgpath,
                                                    resources={"pids": {"limit": 5}}))
    res = rt("run", "--bundle", b, "c1")
    assert res.returncode == 0, res.stderr
    rc, tasks, err = res.stdout.splitlines()
    assert rc != "rc=0"
    assert tasks == "tasks=4", res.stdout
    assert "fork" in err and "Resource temporarily unavailable" in err, err


def test_memory_limit_oom_kills(rt, bundle, cgpath):
    # dd fills a 256 MiB buffer, four times the limit (there is no swap on this machine).
    b = bundle(["dd", "if=/dev/zero", "of=/dev/null", "bs=256M", "count=1"],
               edit=lambda cfg: cfg["linux"].update(
                   cgroupsPath=cgpath,
                   resources={"memory": {"limit": 64 << 20, "swap": 64 << 20}}))
    res = rt("run", "--bundle", b, "c1")
    assert res.returncode == 128 + 9, f"rc={res.returncode} {res.stderr}"


def test_cpu_quota_throttles(rt, bundle, cgpath):
    # 10% of one CPU: a busy loop for ~0.5 s of wall time gets throttled.
    detached(rt, bundle, cgpath, {"cpu": {"quota": 10000, "period": 100000}},
             args=["sh", "-c", "while :; do :; done"])
    time.sleep(0.5)
    stat = dict(line.split() for line in cgfile("cpu", cgpath, "cpu.stat").splitlines())
    assert int(stat["nr_throttled"]) > 0, stat


@pytest.fixture
def unified_restored():
    """A hugetlb limit makes the runtime enable hugetlb in the unified tree, a host-wide change
    (crun refuses to run on a host whose cgroup2 root delegates controllers). Undo what the test
    enabled once its containers are gone: requested first, so torn down last."""
    root = Path("/sys/fs/cgroup/unified")

    def enabled(d):
        f = d / "cgroup.subtree_control"
        return set(f.read_text().split()) if f.exists() else set()

    before = enabled(root)
    yield
    for f in sorted(root.rglob("cgroup.subtree_control"), key=lambda p: -len(p.parts)):
        for c in enabled(f.parent) - before:
            try:
                f.write_text(f"-{c}")
            except OSError:
                pass
    assert enabled(root) == before


def test_hybrid_extras(unified_restored, rt, bundle, cgpath):
    # hugetlb exists only in the cgroup2 tree on this host; blkio has only the bfq files.
    resources = {"hugepageLimits": [{"pageSize": "2MB", "limit": 4 << 21}],
                 "memory": {"swappiness": 10},
                 "blockIO": {"weight": 300},
                 "devices": [{"allow": False, "access": "rwm"},
                             {"allow": True, "type": "c", "major": 1, "minor": 3,
                              "access": "rwm"}]}
    detached(rt, bundle, cgpath, resources)
    assert cgfile("unified", cgpath, "hugetlb.2MB.max") == str(4 << 21)
    assert cgfile("memory", cgpath, "memory.swappiness") == "10"
    assert cgfile("blkio", cgpath, "blkio.bfq.weight").split()[-1] == "300"
    rules = cgfile("devices", cgpath, "devices.list").splitlines()
    assert "c 1:3 rwm" in rules
    assert "a *:* rwm" not in rules
