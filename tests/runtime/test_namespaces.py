"""Namespaces, checked from inside the container: each test runs a busybox container whose program
prints facts about its namespaces and compares them with the host's."""

import os
import shutil
import tempfile

import pytest

from conftest import needs_root, state_of
from unique_cgroups import bundle  # noqa: F401 - shadows conftest's

pytestmark = needs_root


def run_sh(rt, bundle, script, edit=None, cid="c1"):
    """Runs `sh -c script` in a new container; returns its stdout (asserting exit status 0)."""
    b = bundle(["sh", "-c", script], edit=edit)
    res = rt("run", "--bundle", b, cid)
    assert res.returncode == 0, f"run: rc={res.returncode}\n{res.stdout}\n{res.stderr}"
    return res.stdout


def add_ns(cfg, kind, path=None):
    nss = cfg["linux"]["namespaces"]
    nss[:] = [ns for ns in nss if ns["type"] != kind]
    nss.append({"type": kind, **({"path": path} if path else {})})


def drop_ns(cfg, kind):
    cfg["linux"]["namespaces"] = [ns for ns in cfg["linux"]["namespaces"] if ns["type"] != kind]


def test_pid_namespace_init_is_pid_1(rt, bundle):
    out = run_sh(rt, bundle, "echo pid=$$; ls /proc | grep -c '^[0-9]'")
    lines = out.split()
    assert lines[0] == "pid=1"
    # Only the shell and (maybe) `ls`/`grep` are visible, not the host's processes.
    assert int(lines[1]) <= 3


def test_uts_hostname_and_domainname(rt, bundle):
    def edit(cfg):
        cfg["hostname"] = "berth-host"
        cfg["domainname"] = "berth.example"

    out = run_sh(rt, bundle, "hostname; cat /proc/sys/kernel/domainname", edit)
    assert out.split() == ["berth-host", "berth.example"]
    assert os.uname().nodename != "berth-host"


def test_namespaces_differ_from_host(rt, bundle):
    links = ["ipc", "net", "mnt", "uts", "pid"]
    out = run_sh(rt, bundle, "; ".join(f"readlink /proc/self/ns/{link}" for link in links))
    got = out.split()
    assert [g.split(":")[0] for g in got] == links
    for link, value in zip(links, got):
        assert value != os.readlink(f"/proc/self/ns/{link}"), link
    # No cgroup, time or user namespace was asked for: those stay the host's.
    out = run_sh(rt, bundle, "for n in cgroup time user; do readlink /proc/self/ns/$n; done")
    assert out.split() == [os.readlink(f"/proc/self/ns/{n}") for n in ("cgroup", "time", "user")]


def test_without_ipc_namespace_shares_host_ipc(rt, bundle):
    out = run_sh(rt, bundle, "readlink /proc/self/ns/ipc", lambda cfg: drop_ns(cfg, "ipc"))
    assert out.strip() == os.readlink("/proc/self/ns/ipc")


def test_network_namespace_has_only_lo(rt, bundle):
    out = run_sh(rt, bundle, "ls /sys/class/net; cat /proc/net/dev")
    names = out.split("\n")
    ifaces = [line.split(":")[0].strip() for line in out.splitlines() if ":" in line
              and not line.lstrip().startswith(("Inter", "face"))]
    assert ifaces == ["lo"], out
    assert "lo" in names


def test_mount_namespace_is_private(rt, bundle):
    # A tmpfs mounted inside the container must not appear on the host.
    source = f"berthprobe{os.getpid()}"

    def edit(cfg):
        for s in ("bounding", "effective", "permitted"):
            cfg["process"]["capabilities"][s].append("CAP_SYS_ADMIN")

    out = run_sh(rt, bundle, f"mount -t tmpfs {source} /root && grep -c {source} /proc/self/mounts",
                 edit)
    assert out.strip() == "1"
    with open("/proc/self/mounts") as f:
        assert source not in f.read()


def test_cgroup_namespace_shows_root(rt, bundle):
    def edit(cfg):
        add_ns(cfg, "cgroup")
        cfg["linux"]["cgroupsPath"] = f"/berth-e2e-cgns-{os.getpid()}"

    out = run_sh(rt, bundle, "cat /proc/self/cgroup", edit)
    lines = [line for line in out.splitlines() if line]
    assert lines, out
    for line in lines:
        # hierarchy-id:controllers:path ; every path is the namespace root.
        assert line.split(":", 2)[2] == "/", out


def test_without_cgroup_namespace_shows_host_path(rt, bundle):
    path = f"/berth-e2e-nocgns-{os.getpid()}"
    out = run_sh(rt, bundle, "cat /proc/self/cgroup",
                 lambda cfg: cfg["linux"].update(cgroupsPath=path))
    assert any(line.endswith(":" + path) for line in out.splitlines()), out


def test_time_namespace_offsets(rt, bundle):
    offset = 10 * 86400

    def edit(cfg):
        add_ns(cfg, "time")
        cfg["linux"]["timeOffsets"] = {"boottime": {"secs": offset, "nanosecs": 0},
                                       "monotonic": {"secs": offset // 2, "nanosecs": 0}}

    with open("/proc/uptime") as f:
        before = float(f.read().split()[0])
    out = run_sh(rt, bundle, "cat /proc/uptime; readlink /proc/self/ns/time", edit)
    with open("/proc/uptime") as f:
        after = float(f.read().split()[0])
    inside = float(out.split()[0])
    assert before + offset - 1 <= inside <= after + offset + 1, out
    assert out.split()[2] != os.readlink("/proc/self/ns/time")


@pytest.fixture
def open_dir():
    """A directory every uid can traverse: the container's root user is an unprivileged host uid
    in a user namespace and must reach the rootfs (pytest's tmp_path sits under a 0700 dir)."""
    path = tempfile.mkdtemp(prefix="berth-e2e-userns-")
    os.chmod(path, 0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_user_namespace_mappings(rt, bundle, open_dir):
    def edit(cfg):
        add_ns(cfg, "user")
        cfg["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
        cfg["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 200000, "size": 1000},
                                       {"containerID": 1000, "hostID": 300000, "size": 10}]

    b = bundle(["sh", "-c", "cat /proc/self/uid_map; echo --; cat /proc/self/gid_map; "
                "echo --; id -u; readlink /proc/self/ns/user"], edit=edit,
               name=os.path.join(open_dir, "b"))  # an absolute name replaces tmp_path
    res = rt("run", "--bundle", b, "c1")
    assert res.returncode == 0, f"run: rc={res.returncode}\n{res.stdout}\n{res.stderr}"
    out = res.stdout
    uid_map, gid_map, rest = out.split("--\n")
    assert [line.split() for line in uid_map.splitlines()] == [["0", "100000", "65536"]]
    assert [line.split() for line in gid_map.splitlines()] == [["0", "200000", "1000"],
                                                               ["1000", "300000", "10"]]
    uid, userns = rest.split()
    assert uid == "0"
    assert userns != os.readlink("/proc/self/ns/user")


def test_join_network_namespace_by_path(rt, bundle):
    a = bundle(["sleep", "30"], name="a")
    res = rt("run", "--detach", "--bundle", a, "a")
    assert res.returncode == 0, f"run -d a: {res.stderr}"
    pid = state_of(rt, "a")["pid"]
    a_net = os.readlink(f"/proc/{pid}/ns/net")
    assert a_net != os.readlink("/proc/self/ns/net")

    # B joins A's network namespace but gets its own uts namespace.
    out = run_sh(rt, bundle, "readlink /proc/self/ns/net; readlink /proc/self/ns/uts",
                 lambda cfg: add_ns(cfg, "network", f"/proc/{pid}/ns/net"), cid="b")
    b_net, b_uts = out.split()
    assert b_net == a_net
    assert b_uts != os.readlink(f"/proc/{pid}/ns/uts")
