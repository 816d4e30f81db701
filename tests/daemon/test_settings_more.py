"""More container settings through berthd with the docker CLI: --device (with cgroup
permissions), a seccomp profile from a file, container-level event filters, container sizes
(inspect -s, ps -s), diff of berthd's own mount targets, and the connect() redirect of published
ports for local clients (daemon.json "socket-redirect")."""

import io
import json
import tarfile
import time

import pytest

from conftest import destroy_daemon, free_port_in, import_busybox, make_daemon

MB = 1 << 20


@pytest.fixture
def bb(daemon, busybox_tar):
    import_busybox(daemon, busybox_tar)
    return daemon


def run_sh(d, *args, check=True):
    """docker run --rm <args...> busybox sh -c <last arg>."""
    *opts, script = args
    return d.docker("run", "--rm", *opts, "busybox", "sh", "-c", script, check=check)


def inspect(d, name, *flags):
    return json.loads(d.docker("inspect", *flags, name).out)[0]


# --- devices -------------------------------------------------------------------------------

def test_device_node(bb):
    # /dev/null under another name: a character device 1:3 that takes writes and reads empty.
    r = run_sh(bb, "--device", "/dev/null:/dev/mydev",
               "stat -c '%F %t:%T' /dev/mydev; echo data > /dev/mydev && echo wrote; "
               "wc -c < /dev/mydev")
    assert r.out.split("\n")[:3] == ["character special file 1:3", "wrote", "0"], r.out
    # Without --device the name does not exist.
    r = run_sh(bb, "test -e /dev/mydev && echo there || echo absent")
    assert r.out == "absent\n"


# /dev/loop-control (10:237) is outside the default allow list, so the devices cgroup is all
# that decides; opening it has no side effect.
# (`true`, not `:`: a failed redirection of a special built-in ends the shell.)
LOOP_CONTROL_PROBE = ("grep '^c 10:237 ' /sys/fs/cgroup/devices/devices.list; "
                      "true < /dev/lc && echo read-ok || echo read-denied; "
                      "true > /dev/lc && echo write-ok || echo write-denied")


def test_device_cgroup_permissions(bb):
    r = run_sh(bb, "--device", "/dev/loop-control:/dev/lc", LOOP_CONTROL_PROBE)
    assert r.out.split("\n")[:3] == ["c 10:237 rwm", "read-ok", "write-ok"], r.out + r.err
    # Without --device the cgroup does not let it through (mknod is allowed, opening is not).
    r = run_sh(bb, "grep -c '^c 10:237 ' /sys/fs/cgroup/devices/devices.list; "
               "mknod /tmp/lc c 10 237 && (true < /tmp/lc && echo read-ok || echo read-denied)",
               check=False)
    assert r.out == "0\nread-denied\n", r.out + r.err
    # A host device that is not there: berthd's (docker's) error.
    r = bb.docker("run", "--rm", "--device", "/dev/nosuchdev", "busybox", "true", check=False)
    assert r.returncode == 125, r.err
    assert ('error gathering device information while adding custom device "/dev/nosuchdev"'
            in r.err), r.err


def test_device_read_only_permission(bb):
    r = run_sh(bb, "--device", "/dev/loop-control:/dev/lc:r", LOOP_CONTROL_PROBE)
    assert r.out.split("\n")[:3] == ["c 10:237 r", "read-ok", "write-denied"], r.out + r.err
    assert "Operation not permitted" in r.err, r.err


# --- seccomp -------------------------------------------------------------------------------

def test_seccomp_profile_file(bb, tmp_path):
    profile = tmp_path / "nomkdir.json"
    profile.write_text(json.dumps({
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}],
    }))
    script = ("grep Seccomp: /proc/self/status; mkdir /tmp/x && echo mkdir-ok; "
              "touch /tmp/y && echo touch-ok; echo hi > /tmp/z && cat /tmp/z")
    r = run_sh(bb, "--security-opt", f"seccomp={profile}", script)
    lines = r.out.splitlines()
    assert lines[0].split() == ["Seccomp:", "2"], r.out
    assert "mkdir-ok" not in lines and lines[1:] == ["touch-ok", "hi"], r.out
    assert "Operation not permitted" in r.err, r.err
    # The same script without the profile: mkdir works (the denial above is the profile's).
    r = run_sh(bb, script)
    assert r.out.splitlines()[1:] == ["mkdir-ok", "touch-ok", "hi"], r.out + r.err


def test_seccomp_profile_errors(bb, tmp_path):
    # Not JSON: the docker CLI refuses it before asking the daemon.
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    r = bb.docker("run", "--rm", "--security-opt", f"seccomp={bad}", "busybox", "true",
                  check=False)
    assert r.returncode == 125 and "seccomp profile" in r.err, r.err
    r = bb.docker("run", "--rm", "--security-opt", f"seccomp={tmp_path}/missing.json",
                  "busybox", "true", check=False)
    assert r.returncode == 125 and "missing.json" in r.err, r.err
    # JSON that is no profile: berthd's error, naming the field. (As docker, the profile is
    # read when the container's spec is made, at start: create takes it.)
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": {"x": 1}}))
    r = bb.docker("run", "--rm", "--security-opt", f"seccomp={wrong}", "busybox", "true",
                  check=False)
    assert r.returncode == 125, r.err
    assert "Decoding seccomp profile failed: syscalls: expected an array" in r.err, r.err
    # An action nobody knows.
    bogus = tmp_path / "bogus.json"
    bogus.write_text(json.dumps({
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_BOGUS"}],
    }))
    r = bb.docker("run", "--rm", "--security-opt", f"seccomp={bogus}", "busybox", "true",
                  check=False)
    assert r.returncode == 125, r.err
    assert 'unknown action "SCMP_ACT_BOGUS"' in r.err, r.err
    assert bb.docker("ps", "-aq").out.strip() == ""  # --rm cleaned up after the failed starts


# --- events --------------------------------------------------------------------------------

def events(d, since, until, *filters):
    args = ["events", "--since", since, "--until", until, "--format", "{{json .}}"]
    for f in filters:
        args += ["--filter", f]
    return [json.loads(line) for line in d.docker(*args).out.splitlines() if line.strip()]


def key(e):
    return (e["timeNano"], e["Type"], e["Action"], e["Actor"]["ID"])


def test_container_event_filters(bb):
    since = f"{time.time() - 1:.3f}"
    bb.docker("run", "--name", "eva", "--label", "team=a", "busybox", "true")
    bb.docker("run", "--name", "evb", "--label", "team=b", "--label", "tier=web", "busybox",
              "true")
    bb.docker("rm", "eva", "evb")
    bb.docker("tag", "busybox", "bbtag:1")  # an image event in the window
    time.sleep(1.1)
    until = f"{time.time():.3f}"
    everything = events(bb, since, until)
    names = {e["Actor"]["Attributes"].get("name") for e in everything if e["Type"] == "container"}
    assert {"eva", "evb"} <= names, everything
    assert any(e["Type"] == "image" for e in everything), everything

    def expect(pred, *filters):
        want = sorted(key(e) for e in everything if pred(e))
        got = sorted(key(e) for e in events(bb, since, until, *filters))
        assert got == want, (filters, got, want)
        return want

    def attr(e, k):
        return e["Actor"]["Attributes"].get(k)

    cont = lambda e: e["Type"] == "container"  # noqa: E731
    # One container, one action: exactly its start.
    got = expect(lambda e: cont(e) and attr(e, "name") == "eva" and e["Action"] == "start",
                 "container=eva", "event=start")
    assert len(got) == 1
    # Values of one key are ORed, keys ANDed.
    got = expect(lambda e: cont(e) and attr(e, "name") == "evb" and e["Action"] in ("start", "die"),
                 "container=evb", "event=start", "event=die")
    assert [k[2] for k in got] == ["start", "die"]
    # All of evb's life, by its label; the label's key alone matches both.
    got = expect(lambda e: cont(e) and attr(e, "team") == "b", "type=container", "label=team=b")
    assert {"create", "start", "die", "destroy"} <= {k[2] for k in got}
    assert all(k[3] == got[0][3] for k in got)  # one container
    expect(lambda e: cont(e) and attr(e, "team") is not None, "label=team")
    # Every label filter must match.
    expect(lambda e: cont(e) and attr(e, "team") == "b" and attr(e, "tier") == "web",
           "label=team=b", "label=tier=web")
    assert events(bb, since, until, "label=team=a", "label=tier=web") == []
    # type=container leaves the image's tag event out; a container filter by ID prefix works.
    expect(cont, "type=container")
    eva_id = next(e["Actor"]["ID"] for e in everything if cont(e) and attr(e, "name") == "eva")
    expect(lambda e: cont(e) and e["Actor"]["ID"] == eva_id and e["Action"] == "destroy",
           f"container={eva_id[:12]}", "event=destroy")
    assert events(bb, since, until, "container=nosuch") == []


# --- sizes and diff ------------------------------------------------------------------------

def test_sizes_and_diff(bb):
    image_size = json.loads(bb.docker("image", "inspect", "busybox").out)[0]["Size"]
    assert image_size > 0
    # A fresh container: berthd's mount targets are no change, and no bytes.
    bb.docker("run", "-d", "--name", "fresh", "busybox", "sleep", "100")
    assert bb.docker("diff", "fresh").out == ""
    c = inspect(bb, "fresh", "-s")
    assert c["SizeRw"] == 0 and c["SizeRootFs"] == image_size, c
    c = inspect(bb, "fresh")
    assert "SizeRw" not in c and "SizeRootFs" not in c

    # 1 MiB written, a file deleted: both show, nothing else does.
    bb.docker("run", "-d", "--name", "big", "busybox", "sh", "-c",
              "head -c 1048576 /dev/zero > /tmp/big.tmp && mv /tmp/big.tmp /tmp/big; "
              "rm /etc/group; sleep 300")
    end = time.monotonic() + 10
    while bb.docker("exec", "big", "test", "-f", "/tmp/big", check=False).returncode != 0:
        assert time.monotonic() < end, "the container did not write its file"
        time.sleep(0.1)
    assert bb.docker("diff", "big").out.splitlines() == [
        "C /etc", "D /etc/group", "C /tmp", "A /tmp/big"]
    c = inspect(bb, "big", "--size")
    assert MB <= c["SizeRw"] < MB + 64 * 1024, c["SizeRw"]
    assert c["SizeRootFs"] == c["SizeRw"] + image_size

    # docker ps -s: the API's sizes and the CLI's column.
    rows = {c["Names"][0]: c for c in bb.api("GET", "/containers/json?size=1").json()}
    assert MB <= rows["/big"]["SizeRw"] < MB + 64 * 1024
    assert rows["/big"]["SizeRootFs"] == rows["/big"]["SizeRw"] + image_size
    assert "SizeRw" not in rows["/fresh"]  # docker leaves a zero out of the summary
    assert rows["/fresh"]["SizeRootFs"] == image_size
    plain = bb.api("GET", "/containers/json").json()
    assert all("SizeRw" not in c and "SizeRootFs" not in c for c in plain)
    sizes = dict(line.split(" ", 1) for line in bb.docker(
        "ps", "-s", "--format", "{{.Names}} {{.Size}}").out.splitlines())
    assert sizes["big"].startswith("1.05MB (virtual "), sizes
    assert sizes["fresh"].startswith("0B (virtual "), sizes

    # Stopped, the targets stay out of the diff and a real change stays in.
    bb.docker("stop", "-t", "0", "fresh", "big")
    assert bb.docker("diff", "fresh").out == ""
    assert "A /tmp/big" in bb.docker("diff", "big").out.splitlines()
    assert inspect(bb, "big", "-s")["SizeRw"] >= MB
    bb.docker("rm", "fresh", "big")


def last_layer_names(d, ref, tmp_path):
    out = tmp_path / "saved.tar"
    d.docker("save", "-o", str(out), ref)
    with tarfile.open(out) as t:
        manifest = json.load(t.extractfile("manifest.json"))
        layer = t.extractfile(manifest[0]["Layers"][-1]).read()
    return tarfile.open(fileobj=io.BytesIO(layer), mode="r:*").getnames()


def test_export_keeps_mount_targets(bb):
    # docker export shows the (empty) targets, as docker's merged rootfs has them.
    bb.docker("run", "-d", "--name", "fresh", "busybox", "sleep", "100")
    t = tarfile.open(fileobj=io.BytesIO(bb.docker("export", "fresh").stdout))
    hosts = t.getmember("etc/hosts")
    assert hosts.isfile() and hosts.size == 0
    assert "bin/busybox" in t.getnames()
    bb.docker("rm", "-f", "fresh")


def test_commit_leaves_mount_targets_out(bb, tmp_path):
    bb.docker("run", "-d", "--name", "fresh", "busybox", "sh", "-c", "echo x > /tmp/new; sleep 100")
    end = time.monotonic() + 10
    while bb.docker("exec", "fresh", "test", "-f", "/tmp/new", check=False).returncode != 0:
        assert time.monotonic() < end
        time.sleep(0.1)
    bb.docker("commit", "fresh", "committed:1")
    names = {n.rstrip("/").removeprefix("./") for n in last_layer_names(bb, "committed:1", tmp_path)}
    assert "tmp/new" in names, names
    assert not names & {"etc", "etc/hosts", "etc/hostname", "etc/resolv.conf"}, names
    bb.docker("rm", "-f", "fresh")


# --- published ports: connect() redirect ----------------------------------------------------

# getpeername() and the socket's real remote end (/proc/net/tcp) of a connection to 127.0.0.1.
REMOTE_END = """
import socket, sys
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=3)
lport = c.getsockname()[1]
for line in open("/proc/net/tcp").read().splitlines()[1:]:
    f = line.split()
    if int(f[1].split(":")[1], 16) == lport:
        a, p = f[2].split(":")
        print("%s:%d" % c.getpeername(), socket.inet_ntoa(bytes.fromhex(a)[::-1]) + ":" +
              str(int(p, 16)))
"""


def published_connection(d, busybox_tar):
    import_busybox(d, busybox_tar)
    port = free_port_in(d)
    d.docker("run", "-d", "--name", "srv", "-p", f"{port}:7000", "busybox", "nc", "-ll", "-p",
             "7000", "-e", "echo")
    ip = inspect(d, "srv")["NetworkSettings"]["IPAddress"]
    deadline = time.monotonic() + 10
    while True:
        r = d.ns_run(["/usr/bin/python3", "-c", REMOTE_END, str(port)], capture_output=True,
                     text=True)
        if r.returncode == 0 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert r.returncode == 0, r.stderr
    return port, ip, r.stdout.split()


def test_socket_redirect_on_by_default_and_off_by_config(daemon, busybox_tar, tmp_path):
    assert "redirected at connect()" in daemon.logs()
    port, ip, seen = published_connection(daemon, busybox_tar)
    # Straight to the container; the client still sees the published address.
    assert seen == [f"127.0.0.1:{port}", f"{ip}:7000"]
    (tmp_path / "off").mkdir()
    off = make_daemon(tmp_path / "off", daemon_json={"socket-redirect": False})
    try:
        assert "redirected at connect()" not in off.logs()
        port, ip, seen = published_connection(off, busybox_tar)
        # Through nftables' DNAT: the socket itself still points at the published address.
        assert seen == [f"127.0.0.1:{port}", f"127.0.0.1:{port}"]
    finally:
        destroy_daemon(off)
