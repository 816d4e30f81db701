"""Container-escape attempts against the runtime, one per known runc CVE class, each with a host
canary that must stay untouched: the runtime binary (CVE-2019-5736), host directories reachable
through leaked fds (CVE-2024-21626), mount destinations through symlinks (CVE-2021-30465),
/dev/null tricks while masking paths (CVE-2025-31133), and sysctl writes redirected by mounts
(CVE-2025-52881)."""

import fcntl
import hashlib
import os
import subprocess
import tempfile
import time

import pytest

from conftest import needs_root, state_of
from leftovers import leftovers  # noqa: F401 (fixture)

pytestmark = needs_root

SLEEP = ["sleep", "1000"]


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def writable_root(cfg):
    cfg["root"]["readonly"] = False


def fd_names(listing):
    return sorted(int(x) for x in listing.split())


# CVE-2019-5736: a container process overwrites the runtime binary through /proc/<pid>/exe of a
# runtime process it can see. The runtime re-executes itself from a sealed memfd, so the exe a
# container could reach is a copy that cannot be written. Deterministic setup: container B is
# only created, so its init (a runtime process) waits inside the pid namespace it shares with
# container A, as in a pod; A then tries to write the exe of every process it sees.
ATTACK = r"""
for d in /proc/[0-9]*; do
  p=${d#/proc/}
  [ "$p" = "$$" ] && continue
  exe=$(readlink $d/exe 2>/dev/null) || exe=unreadable
  [ "$exe" = /bin/busybox ] && continue
  if echo pwned 2>/dev/null > $d/exe; then r=WROTE; else r=refused; fi
  echo "$p $exe $r"
done
"""


def assert_sealed_runtime(pid):
    assert os.readlink(f"/proc/{pid}/exe") == "/memfd:berth-runtime (deleted)"
    fd = os.open(f"/proc/{pid}/exe", os.O_RDONLY)
    try:
        seals = fcntl.fcntl(fd, fcntl.F_GET_SEALS)
    finally:
        os.close(fd)
    for seal in (fcntl.F_SEAL_WRITE, fcntl.F_SEAL_GROW, fcntl.F_SEAL_SHRINK, fcntl.F_SEAL_SEAL):
        assert seals & seal, f"memfd seals {seals:#x} lack {seal:#x}"
    # Not writable even for host root (a write seal, and the file is being executed).
    with pytest.raises(OSError):
        fd = os.open(f"/proc/{pid}/exe", os.O_WRONLY)
        try:
            os.write(fd, b"pwned")
        finally:
            os.close(fd)


def ns_pid(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(next(line for line in f if line.startswith("NSpid:")).split()[-1])


def test_cve_2019_5736_runtime_binary_not_writable_from_container(rt, runtime, rroot, bundle,
                                                                  leftovers):
    before_hash = sha256(runtime)
    a, b = leftovers.cid(), leftovers.cid()
    assert rt("run", "--detach", "--bundle", bundle(SLEEP), a).returncode == 0
    a_pid = state_of(rt, a)["pid"]

    def join_pidns(c):
        for ns in c["linux"]["namespaces"]:
            if ns["type"] == "pid":
                ns["path"] = f"/proc/{a_pid}/ns/pid"

    res = rt("create", "--bundle", bundle(SLEEP, edit=join_pidns), b)
    assert res.returncode == 0, res.stderr
    b_init = state_of(rt, b)["pid"]
    assert_sealed_runtime(b_init)

    res = rt("exec", a, "sh", "-c", ATTACK)
    assert res.returncode == 0, res.stderr
    seen = {int(line.split()[0]): line for line in res.stdout.splitlines()}
    assert ns_pid(b_init) in seen, f"B's init not visible to A: {res.stdout}"
    assert "WROTE" not in res.stdout, res.stdout

    # The foreground `exec` runtime process (it lives until its process exits) is sealed too.
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen([runtime, "--root", rroot, "exec", a, "sleep", "1"],
                                stdin=subprocess.DEVNULL, stdout=out, stderr=out)
        try:
            deadline = time.monotonic() + 5
            while (not os.readlink(f"/proc/{proc.pid}/exe").startswith("/memfd:")
                   and time.monotonic() < deadline):
                time.sleep(0.01)
            assert_sealed_runtime(proc.pid)
        finally:
            rc = proc.wait(timeout=30)
        out.seek(0)
        assert rc == 0, out.read()
    assert sha256(runtime) == before_hash, "the runtime binary changed"


# CVE-2024-21626: process.cwd "/proc/self/fd/N" where N is a host directory fd the runtime leaked
# into the container's init gives the process a host cwd.
def check_cwd_outcome(res):
    if res.returncode != 0:
        assert "outside of the container root" in res.stderr or "cwd" in res.stderr, res.stderr
        return
    pwd, _, listing = res.stdout.partition("\n")
    assert pwd.startswith("/") and "unreachable" not in pwd, pwd
    # Host directories the runtime holds: the bundle, the state dir, cgroup dirs.
    for marker in ("config.json", "state.json", "cgroup.procs", "rootfs"):
        assert marker not in listing.split(), f"cwd {pwd} is a host dir: {listing}"


@pytest.mark.parametrize("fd", range(3, 11))
def test_cve_2024_21626_cwd_through_leaked_fd(rt, bundle, leftovers, fd):
    b = bundle(["sh", "-c", "pwd; ls -a"],
               edit=lambda c: c["process"].update(cwd=f"/proc/self/fd/{fd}"))
    before = leftovers.snapshot()
    res = rt("run", "--bundle", b, leftovers.cid())
    check_cwd_outcome(res)
    leftovers.assert_clean(before)


def test_cve_2024_21626_exec_cwd_through_leaked_fd(rt, bundle, leftovers):
    cid = leftovers.cid()
    assert rt("run", "--detach", "--bundle", bundle(SLEEP), cid).returncode == 0
    for fd in range(3, 13):
        res = rt("exec", "--cwd", f"/proc/self/fd/{fd}", cid, "sh", "-c", "pwd; ls -a")
        check_cwd_outcome(res)


def test_container_fds_are_only_stdio(rt, bundle, leftovers):
    # `ls /proc/$$/fd; true` makes sh fork ls, so the listing is the shell's fds, not ls's.
    b = bundle(["sh", "-c", "ls /proc/$$/fd; true"])
    res = rt("run", "--bundle", b, leftovers.cid())
    assert res.returncode == 0, res.stderr
    assert fd_names(res.stdout) == [0, 1, 2], res.stdout

    # create + start (the init waited on the exec fifo), then exec: pid 1 and an exec'd
    # process see only stdio, and the host agrees.
    cid = leftovers.cid()
    assert rt("create", "--bundle", bundle(SLEEP), cid).returncode == 0
    assert rt("start", cid).returncode == 0
    pid = state_of(rt, cid)["pid"]
    assert fd_names(" ".join(os.listdir(f"/proc/{pid}/fd"))) == [0, 1, 2]
    res = rt("exec", cid, "ls", "/proc/1/fd")
    assert res.returncode == 0 and fd_names(res.stdout) == [0, 1, 2], res.stdout + res.stderr
    res = rt("exec", cid, "sh", "-c", "ls /proc/$$/fd; true")
    assert res.returncode == 0 and fd_names(res.stdout) == [0, 1, 2], res.stdout + res.stderr


def test_listen_fds_and_preserve_fds_pass_exactly_those(runtime, rroot, bundle, leftovers):
    # Socket activation (LISTEN_FDS=N) and --preserve-fds N hand fds 3..3+N-1 to the container,
    # and nothing past them: an extra open fd of the caller (5 here) must not leak.
    b = bundle(["sh", "-c", "ls /proc/$$/fd; echo LISTEN=$LISTEN_FDS:$LISTEN_PID; true"])
    r, w = os.pipe()
    extra = os.open("/dev/null", os.O_RDONLY)
    try:
        fds = {3: r, 4: w, 5: extra}
        def dup_fds():
            for target, fd in fds.items():
                os.dup2(fd, target)
        for env, flags, want, listen in (
                ({"LISTEN_FDS": "1"}, [], [0, 1, 2, 3], "LISTEN=1:1"),
                ({}, ["--preserve-fds", "2"], [0, 1, 2, 3, 4], "LISTEN=:"),
                ({}, [], [0, 1, 2], "LISTEN=:")):
            res = subprocess.run([runtime, "--root", rroot, "run", *flags, "--bundle", b,
                                  leftovers.cid()], env=dict(os.environ, **env),
                                 preexec_fn=dup_fds, pass_fds=(3, 4, 5), capture_output=True,
                                 text=True, timeout=60)
            assert res.returncode == 0, res.stderr
            assert fd_names(res.stdout.split("LISTEN=")[0]) == want, (env, flags, res.stdout)
            assert listen in res.stdout, res.stdout
    finally:
        for fd in (r, w, extra):
            os.close(fd)


# CVE-2021-30465: a mount destination through a symlink the image controls, absolute or
# climbing with "..", must be resolved inside the rootfs.
@pytest.mark.parametrize("target", ["/", "../../../../../../../..", "/tmp/../../.."])
def test_cve_2021_30465_symlink_mount_destination(rt, bundle, leftovers, tmp_path, target):
    name = f"berth-escape-{leftovers.token}"
    src = tmp_path / "volume"
    src.mkdir()
    (src / "file").write_text("volume")

    def edit(c):
        writable_root(c)
        c["mounts"] += [
            {"destination": f"/link/{name}", "type": "tmpfs", "source": "tmpfs"},
            {"destination": f"/link/{name}-bind", "type": "bind", "source": str(src),
             "options": ["rbind"]},
        ]

    b = bundle(["sh", "-c", f"grep -c ' /{name}' /proc/self/mountinfo; cat /{name}-bind/file"],
               edit=edit)
    os.symlink(target, b / "rootfs" / "link")
    before = leftovers.snapshot()
    try:
        res = rt("run", "--bundle", b, leftovers.cid())
        assert not os.path.lexists(f"/{name}") and not os.path.lexists(f"/{name}-bind")
        if res.returncode == 0:
            assert res.stdout.split() == ["2", "volume"], res.stdout
            assert (b / "rootfs" / name).is_dir() and (b / "rootfs" / f"{name}-bind").is_dir()
        else:
            assert "link" in res.stderr, res.stderr
        leftovers.assert_clean(before)
    finally:
        for p in (f"/{name}", f"/{name}-bind"):
            if os.path.isdir(p):
                os.system(f"umount -l {p} 2>/dev/null; rmdir {p}")


# CVE-2025-31133: masking binds /dev/null over files; if the image (or a mount) makes /dev/null
# something else, masking would hand the container that file instead, e.g. a writable
# /proc/sys/kernel/core_pattern (a host-wide setting).
MASK_PROBE = """
for p in /proc/keys /proc/timer_list /proc/kcore /proc/sched_debug; do
  [ -e $p ] || continue
  echo berth-canary > $p 2>/dev/null
  echo "$p $(wc -c < $p)"
done
echo berth-canary > /proc/sys/kernel/core_pattern 2>/dev/null && echo core-pattern-written
stat -c 'null %t:%T %F' /dev/null
"""


def image_dev_null(kind):
    def prepare(b, tmp_path):
        null = b / "rootfs" / "dev" / "null"
        if kind == "symlink":
            os.symlink("/proc/sys/kernel/core_pattern", null)
        else:
            null.write_text("fake null\n")

    return prepare


def mounted_dev_null(b, tmp_path):
    (tmp_path / "fake-null").write_text("fake null\n")


@pytest.mark.parametrize("case", ["image-symlink", "image-file", "bind-file"])
def test_cve_2025_31133_dev_null_swapped(rt, bundle, leftovers, tmp_path, case):
    core = open("/proc/sys/kernel/core_pattern").read()

    def edit(c):
        if case.startswith("image"):  # the image's own /dev, no tmpfs over it
            c["mounts"] = [m for m in c["mounts"] if m["destination"] != "/dev"]
        else:
            c["mounts"].append({"destination": "/dev/null", "type": "bind",
                                "source": str(tmp_path / "fake-null"), "options": ["bind"]})
        assert "/proc/keys" in c["linux"]["maskedPaths"]

    b = bundle(["sh", "-c", MASK_PROBE], edit=edit)
    if case.startswith("image"):
        image_dev_null(case.split("-")[1])(b, tmp_path)
    else:
        mounted_dev_null(b, tmp_path)
    before = leftovers.snapshot()
    try:
        res = rt("run", "--bundle", b, leftovers.cid())
        assert open("/proc/sys/kernel/core_pattern").read() == core, "host core_pattern changed"
        if res.returncode == 0:
            lines = dict(line.split(" ", 1) for line in res.stdout.splitlines())
            assert "core-pattern-written" not in res.stdout
            assert lines.get("null") == "1:3 character special file", res.stdout
            assert lines.get("/proc/keys") == "0", f"/proc/keys not masked: {res.stdout}"
            for p in ("/proc/timer_list", "/proc/sched_debug"):
                assert lines.get(p, "0") == "0", f"{p} not masked: {res.stdout}"
        else:
            assert "/dev/null" in res.stderr, res.stderr
        if case == "bind-file":
            assert (tmp_path / "fake-null").read_text() == "fake null\n"
        leftovers.assert_clean(before)
    finally:
        if open("/proc/sys/kernel/core_pattern").read() != core:
            with open("/proc/sys/kernel/core_pattern", "w") as f:
                f.write(core)


# CVE-2025-52881: a mount over a /proc/sys file redirects the runtime's sysctl write (here into a
# tmpfs file). The write must be refused, or go to the real procfs of the container's netns;
# never into the fake file, and never to the host's value.
@pytest.mark.parametrize("case", ["bind-file", "tmpfs-over-dir", "no-redirect"])
def test_cve_2025_52881_sysctl_write_redirected(rt, bundle, leftovers, case):
    key = "/proc/sys/net/ipv4/ip_forward"
    host = open(key).read()
    want = "0" if host.strip() == "1" else "1"
    fake = f"/dev/shm/berth-fake-{leftovers.token}"
    with open(fake, "w") as f:
        f.write("fake\n")

    def edit(c):
        assert any(ns["type"] == "network" for ns in c["linux"]["namespaces"])
        c["linux"]["sysctl"] = {"net.ipv4.ip_forward": want}
        if case == "bind-file":
            c["mounts"].append({"destination": key, "type": "bind", "source": fake,
                                "options": ["bind"]})
        elif case == "tmpfs-over-dir":
            c["mounts"].append({"destination": "/proc/sys/net/ipv4", "type": "tmpfs",
                                "source": "tmpfs"})

    b = bundle(["cat", key], edit=edit)
    before = leftovers.snapshot()
    try:
        res = rt("run", "--bundle", b, leftovers.cid())
        assert open(key).read() == host, "host ip_forward changed"
        assert open(fake).read() == "fake\n", "the sysctl went into the fake file"
        if case == "no-redirect":
            assert res.returncode == 0, res.stderr
            assert res.stdout.strip() == want, "sysctl not applied in the container's netns"
        elif res.returncode != 0:
            assert "sysctl" in res.stderr and "ip_forward" in res.stderr, res.stderr
        leftovers.assert_clean(before)
    finally:
        os.unlink(fake)
        if open(key).read() != host:
            with open(key, "w") as f:
                f.write(host)

