"""HostConfig.PidMode / IpcMode / UTSMode (host, container:<x>, private/shareable/none), the
supplementary groups of the container's user, and the files docker's init layer adds
(/.dockerenv, /etc/mtab), through berthd with the docker CLI and the raw API."""

import os
import socket
import uuid

import pytest

from conftest import import_busybox


@pytest.fixture
def bb(daemon, busybox_tar):
    import_busybox(daemon, busybox_tar)
    return daemon


def run(d, *args, **kw):
    return d.docker("run", "--rm", *args, **kw)


def ns_of(d, kind, *args):
    """The container's /proc/self/ns/<kind> link (e.g. "pid:[4026531836]")."""
    return run(d, *args, "busybox", "readlink", f"/proc/self/ns/{kind}").out.strip()


def host_ns(kind):
    return os.readlink(f"/proc/self/ns/{kind}")


def api_run(d, host_config, cmd):
    """Create + start + wait through the API (for values the docker CLI refuses itself)."""
    r = d.api("POST", "/containers/create",
              {"Image": "busybox", "Cmd": cmd, "HostConfig": host_config})
    assert r.status == 201, r.body
    cid = r.json()["Id"]
    r = d.api("POST", f"/containers/{cid}/start")
    assert r.status == 204, r.body
    r = d.api("POST", f"/containers/{cid}/wait", timeout=60)
    assert r.status == 200 and r.json()["StatusCode"] == 0, r.body
    out = d.docker("logs", cid).out
    d.docker("rm", cid)
    return out


def test_pid_modes(bb):
    assert ns_of(bb, "pid") != host_ns("pid")
    assert ns_of(bb, "pid", "--pid", "host") == host_ns("pid")
    # The host's processes are visible: this test's own process among them.
    r = run(bb, "--pid", "host", "busybox", "ps", "-o", "pid,args")
    pids = {line.split()[0] for line in r.out.splitlines()[1:] if line.split()}
    assert str(os.getpid()) in pids, r.out

    cid = bb.docker("run", "-d", "--name", "donor", "busybox", "sleep", "1234").out.strip()
    donor_ns = bb.docker("exec", "donor", "readlink", "/proc/self/ns/pid").out.strip()
    for ref in ("donor", cid, cid[:12]):
        assert ns_of(bb, "pid", "--pid", f"container:{ref}") == donor_ns
    r = run(bb, "--pid", "container:donor", "busybox", "ps", "-o", "pid,args")
    assert "sleep 1234" in r.out, r.out
    assert run(bb, "--pid", "container:donor", "busybox", "cat",
               "/proc/1/cmdline").out.split("\0")[:2] == ["sleep", "1234"]
    # The donor's init is pid 1 of the namespace: the joiner is not.
    assert run(bb, "--pid", "container:donor", "busybox", "sh", "-c",
               "echo $$").out.strip() != "1"
    insp = bb.docker("inspect", "-f", "{{.HostConfig.PidMode}}",
                     bb.docker("create", "--pid", "container:donor", "busybox", "true").out.strip())
    assert insp.out.strip() == "container:donor"

    # A donor that is not running: docker's error, at start.
    bb.docker("create", "--name", "idle", "busybox", "sleep", "1")
    r = run(bb, "--pid", "container:idle", "busybox", "true", check=False)
    assert r.returncode != 0
    assert "cannot join PID of a non running container: idle" in r.err, r.err
    r = run(bb, "--pid", "container:nosuch", "busybox", "true", check=False)
    assert r.returncode != 0 and "nosuch" in r.err, r.err


def test_invalid_modes_fail_at_create(bb):
    for key, value, msg in (("PidMode", "bogus", "invalid PID mode: bogus"),
                            ("PidMode", "container:", "invalid PID mode: container:"),
                            ("IpcMode", "bogus", "invalid IPC mode: bogus"),
                            ("UTSMode", "bogus", "invalid UTS mode: bogus")):
        r = bb.api("POST", "/containers/create",
                   {"Image": "busybox", "Cmd": ["true"], "HostConfig": {key: value}})
        assert r.status == 400, (key, value, r.body)
        assert r.json()["message"] == msg, r.body
    assert bb.docker("ps", "-aq").out.strip() == ""


def test_ipc_modes(bb):
    assert ns_of(bb, "ipc") != host_ns("ipc")
    assert ns_of(bb, "ipc", "--ipc", "private") != host_ns("ipc")
    assert ns_of(bb, "ipc", "--ipc", "host") == host_ns("ipc")
    # --ipc host shares the host's /dev/shm too.
    marker = f"berth-test-{uuid.uuid4().hex[:8]}"
    path = f"/dev/shm/{marker}"
    with open(path, "w") as f:
        f.write("from-host")
    try:
        assert run(bb, "--ipc", "host", "busybox", "cat", path).out == "from-host"
    finally:
        os.unlink(path)
    # none: an ipc namespace of its own and no /dev/shm mount.
    assert ns_of(bb, "ipc", "--ipc", "none") != host_ns("ipc")
    r = run(bb, "--ipc", "none", "busybox", "grep", " /dev/shm ", "/proc/mounts", check=False)
    assert r.returncode == 1, r.out

    bb.docker("run", "-d", "--name", "shr", "--ipc", "shareable", "busybox", "sleep", "300")
    donor_ns = bb.docker("exec", "shr", "readlink", "/proc/self/ns/ipc").out.strip()
    assert donor_ns != host_ns("ipc")
    assert ns_of(bb, "ipc", "--ipc", "container:shr") == donor_ns
    # A private donor (the default) cannot be joined, as with docker.
    bb.docker("run", "-d", "--name", "priv", "busybox", "sleep", "300")
    r = run(bb, "--ipc", "container:priv", "busybox", "true", check=False)
    assert r.returncode != 0 and "non-shareable IPC" in r.err, r.err


def test_uts_modes(bb):
    hostname = socket.gethostname()
    assert ns_of(bb, "uts") != host_ns("uts")
    assert ns_of(bb, "uts", "--uts", "host") == host_ns("uts")
    assert run(bb, "--uts", "host", "busybox", "hostname").out.strip() == hostname
    # berth did not rename the host.
    assert socket.gethostname() == hostname
    assert run(bb, "busybox", "hostname").out.strip() != hostname

    # container:<x> (the docker CLI refuses it, the API takes it): x's name and namespace.
    bb.docker("run", "-d", "--name", "named", "--hostname", "donorhost", "busybox", "sleep",
              "300")
    donor_ns = bb.docker("exec", "named", "readlink", "/proc/self/ns/uts").out.strip()
    out = api_run(bb, {"UTSMode": "container:named"},
                  ["sh", "-c", "hostname; readlink /proc/self/ns/uts"])
    assert out.split() == ["donorhost", donor_ns], out


def test_supplementary_groups(bb):
    r = run(bb, "--user", "1000:1000", "busybox", "id")
    assert r.out.strip() == "uid=1000 gid=1000 groups=1000", r.out
    r = run(bb, "busybox", "grep", "^Groups:", "/proc/self/status")
    assert r.out.split() == ["Groups:", "0"], r.out
    r = run(bb, "--user", "1000:1000", "--group-add", "65534", "busybox", "id", "-G")
    assert r.out.split() == ["1000", "65534"], r.out
    r = run(bb, "--user", "nobody", "--group-add", "nogroup", "--group-add", "4242", "busybox",
            "grep", "^Groups:", "/proc/self/status")
    # docker's list: the primary gid, then --group-add's (the kernel sorts it).
    assert sorted(r.out.split()[1:]) == ["4242", "65534", "65534"], r.out
    r = run(bb, "--group-add", "nosuchgroup", "busybox", "true", check=False)
    assert r.returncode != 0 and "Unable to find group nosuchgroup" in r.err, r.err


def test_dockerenv_and_mtab(bb):
    r = run(bb, "busybox", "stat", "-c", "%a %s %F %u:%g", "/.dockerenv")
    assert r.out.strip() == "755 0 regular empty file 0:0", r.out
    assert run(bb, "busybox", "readlink", "/etc/mtab").out.strip() == "/proc/mounts"
    assert " / " in run(bb, "busybox", "cat", "/etc/mtab").out
    # Part of docker's init layer: neither in diff nor in a commit.
    bb.docker("run", "--name", "writer", "busybox", "sh", "-c",
              "rm /etc/mtab && echo mine > /etc/mtab")
    diff = bb.docker("diff", "writer").out
    assert ".dockerenv" not in diff, diff
    assert "A /etc/mtab" in diff or "C /etc/mtab" in diff, diff
    bb.docker("commit", "writer", "withmtab")
    # An image with its own /etc/mtab keeps it.
    assert run(bb, "withmtab", "cat", "/etc/mtab").out == "mine\n"
    assert run(bb, "withmtab", "test", "-f", "/.dockerenv").returncode == 0
