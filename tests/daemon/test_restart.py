"""Daemon restarts: containers outlive `kill -9 berthd` and a graceful stop, are re-adopted,
and what happened while the daemon was down (output, exit codes, restart policies) is not
lost."""

import json
import os
import re
import signal
import time

import pytest

from conftest import free_port_in, import_busybox


@pytest.fixture
def bb(daemon, busybox_tar):
    import_busybox(daemon, busybox_tar)
    return daemon


def state(d, name):
    return json.loads(d.docker("inspect", name).out)[0]["State"]


def get(d, port):
    for _ in range(50):
        r = d.ns_run(["timeout", "5", "/bin/busybox", "wget", "-qO-",
                      f"http://127.0.0.1:{port}/i"], capture_output=True, text=True)
        if r.returncode == 0:
            return r.stdout
        time.sleep(0.1)
    return None


def wait_for(pred, timeout=20):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.parametrize("how", ["kill9", "sigterm"])
def test_containers_survive_daemon_restart(bb, how):
    bb.docker("run", "-d", "--name", "long", "busybox", "sh", "-c",
              "i=0; while true; do echo tick$i; i=$((i+1)); sleep 0.2; done")
    bb.docker("run", "-d", "--name", "short", "busybox", "sh", "-c",
              "sleep 2; echo finished; exit 7")
    port = free_port_in(bb)
    bb.docker("run", "-d", "--name", "web", "-p", f"{port}:80", "busybox", "sh", "-c",
              "echo page > /tmp/i; httpd -f -p 80 -h /tmp")
    ip = json.loads(bb.docker("inspect", "web").out)[0]["NetworkSettings"]["IPAddress"]
    assert get(bb, port) == "page\n"
    pid = state(bb, "long")["Pid"]
    if how == "kill9":
        bb.proc.send_signal(signal.SIGKILL)
        bb.proc.wait()
    else:
        bb.stop()
    # While the daemon is down: the container keeps running and `short` ends.
    time.sleep(3)
    assert open(f"/proc/{pid}/cmdline", "rb").read().startswith(b"sh")
    bb.start()
    s = state(bb, "long")
    assert s["Running"] and s["Pid"] == pid
    # The published port's rules and the address assignment survived.
    assert json.loads(bb.docker("inspect", "web").out)[0]["NetworkSettings"]["IPAddress"] == ip
    assert get(bb, port) == "page\n"
    s = state(bb, "short")
    assert s["Status"] == "exited" and s["ExitCode"] == 7
    assert "finished" in bb.docker("logs", "short").out
    # The re-adopted container is still managed: logs grow, stop works.
    n = bb.docker("logs", "long").out.count("tick")
    time.sleep(1)
    assert bb.docker("logs", "long").out.count("tick") > n
    bb.docker("stop", "-t", "1", "long")
    assert state(bb, "long")["Status"] == "exited"

    def host_veths():  # the host ends of container veths are named bth<hex>
        out = bb.ns_run(["ip", "-o", "link"], capture_output=True, text=True).stdout
        return re.findall(r"^\d+: (bth\w+)", out, re.M)
    key = json.loads(bb.docker("inspect", "web").out)[0]["NetworkSettings"]["SandboxKey"]
    assert key and os.path.exists(key) and len(host_veths()) == 1  # web (long is stopped)
    bb.docker("rm", "-f", "long", "short", "web")
    # After rm: no veth, no netns file, no rule for the port is left (veths and the netns go
    # in the background, within moments).
    assert wait_for(lambda: not os.path.exists(key), 10), key
    assert wait_for(lambda: host_veths() == [], 10), host_veths()
    rules = bb.ns_run(["nft", "list", "ruleset"], capture_output=True, text=True).stdout
    assert f" {port} " not in rules and f"{ip}" not in rules, rules


def test_restart_policy_restarts_a_dying_container(bb):
    bb.docker("run", "-d", "--name", "flaky", "--restart", "on-failure:3", "busybox", "sh",
              "-c", "echo run; exit 1")
    assert wait_for(lambda: json.loads(bb.docker("inspect", "flaky").out)[0]["RestartCount"] >= 3)
    assert wait_for(lambda: state(bb, "flaky")["Status"] == "exited")
    info = json.loads(bb.docker("inspect", "flaky").out)[0]
    assert info["RestartCount"] == 3 and info["State"]["ExitCode"] == 1
    assert bb.docker("logs", "flaky").out.count("run") == 4
    bb.docker("run", "-d", "--name", "always", "--restart", "always", "busybox", "sleep", "300")
    pid = state(bb, "always")["Pid"]
    # Killed behind the daemon's back (not docker stop): restarted.
    os.kill(pid, signal.SIGKILL)
    assert wait_for(lambda: state(bb, "always")["Running"] and state(bb, "always")["Pid"] != pid)
    # ... also while the daemon is down, once it is back.
    pid = state(bb, "always")["Pid"]
    bb.proc.send_signal(signal.SIGKILL)
    bb.proc.wait()
    os.kill(pid, signal.SIGKILL)
    time.sleep(0.5)
    bb.start()
    assert wait_for(lambda: state(bb, "always")["Running"])
    bb.docker("rm", "-f", "flaky", "always")


def cgroup_dirs(cid):
    """The container's cgroup directories that exist (v1 hierarchies, the cgroup2 tree)."""
    base = "/sys/fs/cgroup"
    found = []
    for h in sorted(os.listdir(base)):
        for d in (f"{base}/{h}/berth/{cid}", f"{base}/berth/{cid}"):
            if os.path.isdir(d):
                found.append(d)
    return sorted(set(found))


def test_cgroups_and_directories_of_removed_containers_go(bb):
    # The cgroup is made at create (ahead of the start, which then only joins it)...
    cid = bb.docker("create", "--name", "made", "busybox", "true").out.strip()
    assert cgroup_dirs(cid), "no cgroup made at create"
    assert (bb.root / "containers" / cid).is_dir()
    # ...and removed with a container that never ran; its directory goes right after.
    bb.docker("rm", "made")
    assert cgroup_dirs(cid) == []
    assert wait_for(lambda: not (bb.root / "containers" / cid).exists(), 5)
    # The same for a --rm container that ran.
    cid = bb.docker("run", "-d", "--rm", "busybox", "true").out.strip()
    assert wait_for(lambda: cid not in bb.docker("ps", "-aq", "--no-trunc").out, 10)
    assert cgroup_dirs(cid) == []
    assert wait_for(lambda: not (bb.root / "containers" / cid).exists(), 5)


def test_orphan_directory_and_cgroup_are_removed_at_start(bb):
    # What a create killed between its cgroup and its row leaves: both go at the next start.
    orphan = "ab" * 32
    bb.docker("rm", bb.docker("create", "busybox", "true").out.strip())  # makes berth/
    bb.stop()
    (bb.root / "containers" / orphan).mkdir(parents=True)
    made = []
    for h in ("memory", "pids", "unified"):
        d = f"/sys/fs/cgroup/{h}/berth/{orphan}"
        if os.path.isdir(f"/sys/fs/cgroup/{h}/berth"):
            os.mkdir(d)
            made.append(d)
    assert made, "no cgroup hierarchy with a berth/ parent to test with"
    try:
        bb.start()
        assert not (bb.root / "containers" / orphan).exists()
        assert [d for d in made if os.path.isdir(d)] == []
    finally:
        for d in made:
            if os.path.isdir(d):
                os.rmdir(d)
