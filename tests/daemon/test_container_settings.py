"""Container settings through berthd with the docker CLI: resources, security, init, read-only
rootfs, tmpfs, health checks, image VOLUME copy-up, volume options, and the content verbs
(diff, export, commit), pause, rename, restart, update, prune."""

import io
import json
import tarfile
import time

import pytest

from conftest import import_busybox


@pytest.fixture
def bb(daemon, busybox_tar):
    import_busybox(daemon, busybox_tar)
    return daemon


def sh_in(d, *args, **kw):
    return d.docker("run", "--rm", *args, **kw)


def test_resources_and_security(bb):
    r = sh_in(bb, "--memory", "64m", "--pids-limit", "50", "--cpus", "0.5", "busybox", "sh", "-c",
              "cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max "
              "/sys/fs/cgroup/cpu/cpu.cfs_quota_us 2>/dev/null || cat /sys/fs/cgroup/memory.max")
    assert r.out.split()[:3] == [str(64 << 20), "50", "50000"], r.out
    r = sh_in(bb, "--ulimit", "nofile=512:1024", "busybox", "sh", "-c", "ulimit -n; ulimit -Hn")
    assert r.out.split() == ["512", "1024"]
    # docker's default capabilities: no NET_ADMIN; --cap-drop removes one; --cap-add adds.
    r = sh_in(bb, "busybox", "sh", "-c", "ip link set lo mtu 1400", check=False)
    assert r.returncode != 0
    r = sh_in(bb, "--cap-add", "NET_ADMIN", "busybox", "sh", "-c", "ip link set lo mtu 1400")
    assert r.returncode == 0
    r = sh_in(bb, "--cap-drop", "CHOWN", "busybox", "sh", "-c", "chown 1 /tmp", check=False)
    assert r.returncode != 0
    # The default seccomp profile is on: keyctl (a syscall docker denies) fails; unconfined
    # lets unshare of a user namespace through where the profile denies it.
    r = sh_in(bb, "busybox", "sh", "-c", "grep Seccomp: /proc/self/status")
    assert r.out.split()[1] == "2"
    r = sh_in(bb, "--security-opt", "seccomp=unconfined", "busybox", "sh", "-c",
              "grep Seccomp: /proc/self/status")
    assert r.out.split()[1] == "0"
    r = sh_in(bb, "--security-opt", "no-new-privileges", "busybox", "sh", "-c",
              "grep NoNewPrivs /proc/self/status")
    assert r.out.split()[1] == "1"
    r = sh_in(bb, "--sysctl", "net.ipv4.ip_forward=1", "busybox", "cat",
              "/proc/sys/net/ipv4/ip_forward")
    assert r.out == "1\n"
    r = sh_in(bb, "--privileged", "busybox", "sh", "-c", "ip link set lo mtu 1400 && echo ok")
    assert r.out == "ok\n"
    r = sh_in(bb, "--user", "65534:65534", "--group-add", "10", "busybox", "id")
    assert r.out.startswith("uid=65534") and "10" in r.out
    r = sh_in(bb, "--hostname", "hx", "-w", "/tmp", "-e", "A=1", "--entrypoint", "sh", "busybox",
              "-c", "echo $(hostname) $(pwd) $A")
    assert r.out == "hx /tmp 1\n"


def test_init_readonly_tmpfs_shm(bb):
    r = sh_in(bb, "--init", "busybox", "sh", "-c", "cat /proc/1/cmdline | tr '\\0' ' '")
    assert r.out.startswith("/sbin/docker-init -- sh"), r.out
    r = sh_in(bb, "--read-only", "--tmpfs", "/scratch:size=1m", "busybox", "sh", "-c",
              "touch /x 2>/dev/null && echo rw || echo ro; touch /scratch/y && echo tmp-ok; "
              "df -k /scratch | tail -1")
    lines = r.out.splitlines()
    assert lines[0] == "ro" and lines[1] == "tmp-ok" and " 1024 " in lines[2], r.out
    r = sh_in(bb, "--shm-size", "8m", "busybox", "sh", "-c", "df -k /dev/shm | tail -1")
    assert " 8192 " in r.out


def test_healthcheck(bb):
    # Failures in the start period do not count: starting -> healthy (once /tmp/ok exists)
    # -> unhealthy (2 failures after it is removed).
    bb.docker("run", "-d", "--name", "hc", "--health-cmd", "test -f /tmp/ok",
              "--health-interval", "300ms", "--health-retries", "2",
              "--health-start-period", "2s", "--health-start-interval", "300ms",
              "busybox", "sh", "-c", "sleep 1; touch /tmp/ok; sleep 3; rm /tmp/ok; sleep 300")

    def status():
        return json.loads(bb.docker("inspect", "hc").out)[0]["State"]["Health"]["Status"]
    end = time.monotonic() + 15
    seen = []
    while time.monotonic() < end and "unhealthy" not in seen:
        s = status()
        if not seen or seen[-1] != s:
            seen.append(s)
        time.sleep(0.2)
    assert seen == ["starting", "healthy", "unhealthy"], seen
    assert "(unhealthy)" in bb.docker("ps", "--format", "{{.Status}}", "--filter", "name=hc").out
    log = json.loads(bb.docker("inspect", "hc").out)[0]["State"]["Health"]["Log"]
    assert log and log[-1]["ExitCode"] != 0
    bb.docker("rm", "-f", "hc")


def test_image_volume_copy_up_and_volume_options(bb, tmp_path):
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text("FROM busybox\nRUN mkdir /data && echo seeded > /data/f\n"
                                    "VOLUME /data\n")
    bb.docker("build", "-q", "-t", "withvol", str(ctx), env={"DOCKER_BUILDKIT": "0"})
    r = bb.docker("run", "--name", "v1", "withvol", "cat", "/data/f")
    assert r.out == "seeded\n"
    mounts = json.loads(bb.docker("inspect", "v1").out)[0]["Mounts"]
    assert mounts[0]["Type"] == "volume" and mounts[0]["Destination"] == "/data"
    anon = mounts[0]["Name"]
    assert anon in bb.docker("volume", "ls", "-q").out
    bb.docker("rm", "-v", "v1")
    assert anon not in bb.docker("volume", "ls", "-q").out
    # A named volume from --opt: a tmpfs of 2 MiB.
    bb.docker("volume", "create", "--opt", "type=tmpfs", "--opt", "device=tmpfs", "--opt",
              "o=size=2m", "tv")
    r = sh_in(bb, "-v", "tv:/t", "busybox", "sh", "-c", "df -k /t | tail -1")
    assert " 2048 " in r.out, r.out
    bb.docker("volume", "rm", "tv")
    # --mount syntax with a read-only bind.
    src = tmp_path / "bind"
    src.mkdir()
    (src / "hello").write_text("from host\n")
    r = sh_in(bb, "--mount", f"type=bind,source={src},target=/b,readonly", "busybox", "sh", "-c",
              "cat /b/hello; touch /b/x 2>/dev/null && echo rw || echo ro")
    assert r.out == "from host\nro\n"


def test_diff_export_commit_pause_rename_restart_update_prune(bb, tmp_path):
    bb.docker("run", "-d", "--name", "c1", "busybox", "sh", "-c",
              "echo x > /tmp/new; rm /etc/group; sleep 300")
    time.sleep(0.5)
    diff = bb.docker("diff", "c1").out.splitlines()
    assert "A /tmp/new" in diff and "D /etc/group" in diff, diff
    exp = bb.docker("export", "c1").stdout
    names = tarfile.open(fileobj=io.BytesIO(exp)).getnames()
    assert "tmp/new" in names and "bin/busybox" in names and "etc/group" not in names
    bb.docker("commit", "-c", "CMD [\"cat\", \"/tmp/new\"]", "c1", "committed:1")
    assert bb.docker("run", "--rm", "committed:1").out == "x\n"
    # -m is the image's Comment too; the history entry is created by the container's Cmd.
    bb.docker("commit", "-m", "my msg", "c1", "committed:m")
    assert bb.docker("image", "inspect", "-f", "{{.Comment}}", "committed:m").out == "my msg\n"
    top = bb.docker("history", "--no-trunc", "--format", "{{.CreatedBy}}|{{.Comment}}",
                    "committed:m").out.splitlines()[0]
    assert top == "sh -c echo x > /tmp/new; rm /etc/group; sleep 300|my msg", top
    bb.docker("rmi", "committed:m")
    # rmi -f of an image a (stopped) container uses only untags it: the container still starts.
    iid = bb.docker("image", "inspect", "-f", "{{.Id}}", "committed:1").out.strip()
    bb.docker("create", "--name", "u1", "committed:1")
    since = str(int(time.time()) - 1)
    r = bb.docker("rmi", "-f", "committed:1")
    assert "Untagged: committed:1" in r.out and "Deleted" not in r.out, r.out
    ev = bb.docker("events", "--since", since, "--until", str(int(time.time()) + 1), "--filter",
                   "event=untag", "--format", "{{.Actor.ID}} {{.Actor.Attributes.name}}").out
    # moby names the image, not the tag (committed:m's untag may fall in the window too).
    assert f"{iid} {iid}" in ev.splitlines(), ev
    assert all(a == b for a, b in (line.split() for line in ev.splitlines())), ev
    assert bb.docker("start", "-a", "u1").out == "x\n"
    r = bb.docker("rmi", "-f", iid)
    assert "Deleted" not in r.out, r.out
    assert bb.docker("start", "-a", "u1").out == "x\n"
    bb.docker("rm", "u1")
    assert "Deleted: " + iid in bb.docker("rmi", iid).out
    bb.docker("pause", "c1")
    assert json.loads(bb.docker("inspect", "c1").out)[0]["State"]["Status"] == "paused"
    r = bb.docker("rm", "c1", check=False)
    assert r.returncode != 0
    bb.docker("unpause", "c1")
    # A kill resumes a paused container (a frozen process gets no signal): a signal its PID 1
    # ignores leaves it running, SIGKILL ends it.
    bb.docker("run", "-d", "--name", "pk", "busybox", "sleep", "300")
    bb.docker("pause", "pk")
    bb.docker("kill", "-s", "USR1", "pk")
    assert json.loads(bb.docker("inspect", "pk").out)[0]["State"]["Status"] == "running"
    bb.docker("pause", "pk")
    bb.docker("kill", "pk")
    assert bb.docker("wait", "pk").out.strip() == "137"
    bb.docker("rm", "pk")
    bb.docker("rename", "c1", "c2")
    pid = json.loads(bb.docker("inspect", "c2").out)[0]["State"]["Pid"]
    bb.docker("restart", "-t", "1", "c2")
    st = json.loads(bb.docker("inspect", "c2").out)[0]["State"]
    assert st["Running"] and st["Pid"] != pid
    bb.docker("update", "--memory", "32m", "--memory-swap", "64m", "c2")
    r = bb.docker("exec", "c2", "cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes")
    assert r.out.strip() == str(32 << 20)
    # Each update changes what it names and nothing else (the CLI sends zeros for the rest).
    bb.docker("update", "--cpus", "0.5", "c2")
    bb.docker("update", "--restart", "on-failure:3", "c2")
    bb.docker("update", "--pids-limit", "50", "c2")
    hc = json.loads(bb.docker("inspect", "c2").out)[0]["HostConfig"]
    assert (hc["Memory"], hc["MemorySwap"], hc["NanoCpus"], hc["PidsLimit"]) == \
        (32 << 20, 64 << 20, 500000000, 50), hc
    assert hc["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 3}
    r = bb.docker("exec", "c2", "cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes")
    assert r.out.strip() == str(32 << 20)
    bb.docker("stop", "-t", "1", "c2")
    bb.docker("create", "--name", "c3", "busybox", "true")
    r = bb.docker("container", "prune", "-f")
    assert "c3" not in bb.docker("ps", "-a", "--format", "{{.Names}}").out
    assert bb.docker("ps", "-aq").out.strip() == ""
    assert "Total reclaimed space" in r.out
