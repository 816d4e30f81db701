"""What the runtime refuses, through its command line: bad config.json contents, bad ids, and
operations on containers in the wrong state. Each refusal must exit non-zero, say what is wrong
on stderr, and leave nothing behind: no state entry, no cgroup directory in any hierarchy, no new
mount on the host, no process (see leftovers.py)."""

import json
import os
import resource
import shutil
import tempfile

import pytest

from conftest import needs_root, pid_alive, run_captured, state_of, wait_status
from leftovers import cgroup_hierarchies, leftovers, orphans_of  # noqa: F401 (fixture)

pytestmark = needs_root

SLEEP = ["sleep", "1000"]


def set_path(cfg, path, value):
    *parents, last = path
    for key in parents:
        cfg = cfg[key]
    cfg[last] = value


def broken_json(b):
    # A syntax error on a known line: the message must locate it.
    lines = (b / "config.json").read_text().splitlines()
    lines.insert(3, '  "broken": ,')
    (b / "config.json").write_text("\n".join(lines) + "\n")


def edit_config(b, fn):
    cfg = json.loads((b / "config.json").read_text())
    fn(cfg)
    (b / "config.json").write_text(json.dumps(cfg, indent=2))


def nofile_hard_above_limit():
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    return 1048576 if hard < 1048576 else None


# name -> (change to a fresh bundle, words that stderr must contain)
BAD_CONFIGS = {
    "broken-json": (broken_json, ["config.json", "line 4", "column"]),
    "rlimit-hard-string": (
        lambda b: edit_config(b, lambda c: set_path(c, ["process", "rlimits", 0, "hard"], "x")),
        ["process.rlimits[0].hard", "string"]),
    "missing-rootfs": (lambda b: shutil.rmtree(b / "rootfs"), ["rootfs", "ENOENT"]),
    "unknown-namespace": (
        lambda b: edit_config(b, lambda c: c["linux"]["namespaces"].append({"type": "bogus"})),
        ["namespace", "bogus"]),
    "rlimit-above-hard": (
        lambda b: edit_config(b, lambda c: set_path(c, ["process", "rlimits"], [
            {"type": "RLIMIT_NOFILE", "hard": 1048576, "soft": 1024}])),
        ["RLIMIT_NOFILE", "1048576"]),
    "unknown-capability": (
        lambda b: edit_config(
            b, lambda c: c["process"]["capabilities"]["bounding"].append("CAP_BOGUS")),
        ["capabilit", "CAP_BOGUS"]),
    "unknown-seccomp-action": (
        lambda b: edit_config(b, lambda c: set_path(c, ["linux", "seccomp"], {
            "defaultAction": "SCMP_ACT_ALLOW",
            "syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_BOGUS"}]})),
        ["seccomp", "SCMP_ACT_BOGUS"]),
    "missing-hook": (
        lambda b: edit_config(b, lambda c: set_path(c, ["hooks"], {
            "createRuntime": [{"path": "/nonexistent/berth-hook"}]})),
        ["hook", "/nonexistent/berth-hook"]),
    "args0-not-in-path": (
        lambda b: edit_config(b, lambda c: set_path(c, ["process", "args"], ["no-such-cmd"])),
        ["no-such-cmd", "executable file not found"]),
    "intel-rdt": (
        lambda b: edit_config(b, lambda c: set_path(c, ["linux", "intelRdt"], {"closID": "x"})),
        ["intelRdt", "not supported"]),
    "oci-version-2": (
        lambda b: edit_config(b, lambda c: set_path(c, ["ociVersion"], "2.0.0")),
        ["ociVersion", "2.0.0"]),
}


def refused(rt, leftovers, argv, words):
    """Runs argv (a runtime subcommand) expecting a refusal that leaves nothing behind."""
    before = leftovers.snapshot()
    res = rt(*argv)
    assert res.returncode != 0, f"{argv} succeeded: {res.stdout} {res.stderr}"
    for w in words:
        assert w.lower() in res.stderr.lower(), f"{w!r} not in stderr of {argv}: {res.stderr!r}"
    leftovers.assert_clean(before)
    return res


@pytest.mark.parametrize("cmd", ["create", "run"])
@pytest.mark.parametrize("case", sorted(BAD_CONFIGS))
def test_bad_config_refused_without_leftovers(rt, bundle, leftovers, case, cmd):
    change, words = BAD_CONFIGS[case]
    if case == "rlimit-above-hard" and nofile_hard_above_limit() is None:
        pytest.skip("RLIMIT_NOFILE hard limit is already >= 1048576 here")
    b = bundle(SLEEP if cmd == "create" else ["true"])
    change(b)
    cid = leftovers.cid()
    refused(rt, leftovers, [cmd, "--bundle", b, cid], words)
    assert rt("state", cid).returncode != 0


@pytest.mark.parametrize("version", ["1.0.0", "1.0.1", "1.0.2", "1.1.0", "1.2.0", "1.3.0"])
def test_oci_versions_accepted(rt, bundle, leftovers, version):
    b = bundle(["sh", "-c", "echo ran"],
               edit=lambda c: c.update(ociVersion=version))
    before = leftovers.snapshot()
    res = rt("run", "--bundle", b, leftovers.cid())
    assert res.returncode == 0, f"ociVersion {version}: {res.stderr}"
    assert "ran" in res.stdout
    leftovers.assert_clean(before)


def test_missing_cwd_is_created_like_runc(rt, runtime, bundle, leftovers):
    """runc creates a missing process.cwd (as root, mode 0755, before the rootfs turns read-only)
    and runs the process there; berth does the same. The default config has a
    read-only root, so the directory must be made before the remount."""
    b = bundle(["pwd"], edit=lambda c: c["process"].update(cwd="/does/not/exist"))
    before = leftovers.snapshot()
    res = rt("run", "--bundle", b, leftovers.cid())
    assert res.returncode == 0, f"run: {res.stderr}"
    assert res.stdout.strip() == "/does/not/exist"
    assert (b / "rootfs" / "does" / "not" / "exist").is_dir()
    leftovers.assert_clean(before)

    runc = shutil.which("runc")
    if runc:  # the reference behaviour, checked live rather than only written down
        rb = bundle(["pwd"], edit=lambda c: c["process"].update(cwd="/does/not/exist"))
        root = tempfile.mkdtemp(prefix="runc-root-")
        try:
            ref = run_captured([runc, "--root", root, "run", "--bundle", str(rb),
                                leftovers.cid()])
        finally:
            shutil.rmtree(root, ignore_errors=True)
        assert (ref.returncode, ref.stdout.strip()) == (0, "/does/not/exist"), ref.stderr


def test_mount_on_symlink_escaping_rootfs_stays_inside(rt, bundle, leftovers, tmp_path):
    """rootfs/evil -> / and a tmpfs on /evil/x: whether the runtime refuses or resolves the
    symlink inside the rootfs, the host must not get /x and a host canary must stay intact."""
    assert not os.path.lexists("/x"), "host /x exists already; the check below would be void"
    canary = tmp_path / "canary"
    canary.write_text("untouched")

    def edit(c):
        c["mounts"].append({"destination": "/evil/x", "type": "tmpfs", "source": "tmpfs"})
        c["mounts"].append({"destination": "/evil/canary-dir", "type": "tmpfs",
                            "source": "tmpfs"})
        c["root"]["readonly"] = False

    b = bundle(["sh", "-c", "grep -q ' /x ' /proc/self/mountinfo && echo x-mounted;"
                            " echo pwned > /x/owned; echo done"], edit=edit)
    os.symlink("/", b / "rootfs" / "evil")
    before = leftovers.snapshot()
    res = rt("run", "--bundle", b, leftovers.cid())
    try:
        assert not os.path.lexists("/x"), "the tmpfs (or its mount point) landed on the host"
        assert not os.path.lexists("/canary-dir")
        assert canary.read_text() == "untouched"
        if res.returncode == 0:
            # Contained: the tmpfs is at rootfs/x, seen as /x inside.
            assert "x-mounted" in res.stdout and "done" in res.stdout, res.stdout
            assert (b / "rootfs" / "x").is_dir()
            assert not (b / "rootfs" / "x" / "owned").exists(), "wrote under the tmpfs?"
        else:
            assert "evil" in res.stderr, res.stderr
        leftovers.assert_clean(before)
    finally:
        for p in ("/x", "/canary-dir"):
            if os.path.isdir(p) and not os.path.islink(p):
                os.system(f"umount -l {p} 2>/dev/null; rmdir {p}")


def test_id_in_use_refused_and_first_untouched(rt, bundle, leftovers):
    b = bundle(SLEEP)
    cid = leftovers.cid()
    assert rt("create", "--bundle", b, cid).returncode == 0
    first = state_of(rt, cid)
    for cmd in ("create", "run"):
        refused(rt, leftovers, [cmd, "--bundle", bundle(SLEEP), cid],
                ["already exists", cid])
    st = state_of(rt, cid)
    assert (st["status"], st["pid"], st["bundle"]) == ("created", first["pid"], first["bundle"])
    assert pid_alive(first["pid"])


@pytest.mark.parametrize("suffix", ["/b", "/../../x", "..", " sp"])
def test_bad_id_refused(rt, bundle, leftovers, rroot, suffix):
    cid = leftovers.token + suffix if suffix != ".." else ".."
    refused(rt, leftovers, ["create", "--bundle", bundle(SLEEP), cid], ["id"])
    assert os.listdir(rroot) == []


def test_start_running_refused(rt, bundle, leftovers):
    cid = leftovers.cid()
    assert rt("run", "--detach", "--bundle", bundle(SLEEP), cid).returncode == 0
    pid = state_of(rt, cid)["pid"]
    res = rt("start", cid)
    assert res.returncode != 0
    assert "running" in res.stderr and cid in res.stderr, res.stderr
    assert state_of(rt, cid)["status"] == "running" and pid_alive(pid)


def test_kill_and_pause_stopped_refused_then_delete_cleans(rt, bundle, leftovers):
    before = leftovers.snapshot()
    cid = leftovers.cid()
    assert rt("run", "--detach", "--bundle", bundle(["true"]), cid).returncode == 0
    assert wait_status(rt, cid, "stopped")["status"] == "stopped"
    res = rt("kill", cid, "KILL")
    assert res.returncode != 0 and "not running" in res.stderr, res.stderr
    res = rt("pause", cid)
    assert res.returncode != 0 and "stopped" in res.stderr, res.stderr
    res = rt("resume", cid)
    assert res.returncode != 0 and "not paused" in res.stderr, res.stderr
    assert state_of(rt, cid)["status"] == "stopped"
    assert rt("delete", cid).returncode == 0
    leftovers.assert_clean(before)


def test_delete_running_without_force_refused(rt, bundle, leftovers):
    cid = leftovers.cid()
    assert rt("run", "--detach", "--bundle", bundle(SLEEP), cid).returncode == 0
    pid = state_of(rt, cid)["pid"]
    res = rt("delete", cid)
    assert res.returncode != 0
    assert "not stopped" in res.stderr or "running" in res.stderr, res.stderr
    st = state_of(rt, cid)
    assert st["status"] == "running" and pid_alive(pid)
    # Still fully operational: its cgroup is there and exec works.
    have = {h for h in cgroup_hierarchies() if os.path.isdir(f"{h}/berth/{cid}")}
    assert have == set(cgroup_hierarchies()), have
    res = rt("exec", cid, "echo", "alive")
    assert res.returncode == 0 and "alive" in res.stdout, res.stderr


@pytest.mark.parametrize("verb", ["state", "start", "kill", "delete", "pause", "resume", "ps",
                                  "exec"])
def test_unknown_id_refused(rt, leftovers, verb):
    cid = leftovers.cid()
    argv = [verb, cid] + (["true"] if verb == "exec" else [])
    refused(rt, leftovers, argv, [cid, "does not exist"])


def test_leftovers_sees_a_live_container(rt, bundle, leftovers):
    # The helper every test above relies on must notice a container: state entry, a cgroup
    # directory in every hierarchy (each v1 controller, name=systemd and unified), its process.
    before = leftovers.snapshot()
    cid = leftovers.cid()
    assert rt("create", "--bundle", bundle(SLEEP), cid).returncode == 0
    pid = state_of(rt, cid)["pid"]
    left = leftovers.new_since(before)
    assert left["state entries"] == [cid]
    hierarchies = {os.path.dirname(os.path.dirname(d)) for d in left["cgroup dirs"]}
    assert set(cgroup_hierarchies()) == hierarchies, left
    assert pid in {p for p, _ in left["processes"]}, left
    with pytest.raises(AssertionError, match="left behind"):
        leftovers.assert_clean(before, settle=0)
    assert rt("delete", "--force", cid).returncode == 0
    leftovers.assert_clean(before)


# A failed create/exec must reap what it started: no zombie may be orphaned to the host's init
# (the container process is the runtime's child through CLONE_PARENT).


@pytest.mark.parametrize("cmd", ["create", "run"])
def test_failed_create_reaps_its_init(runtime, rroot, bundle, leftovers, cmd):
    b = bundle(["no-such-cmd"])
    res, orphans = orphans_of([runtime, "--root", rroot, cmd, "--bundle", b, leftovers.cid()])
    assert res["rc"] != 0 and "executable file not found" in res["stderr"], res
    assert orphans == [], f"unreaped processes left by a failed {cmd}: {orphans}"


@pytest.mark.parametrize("detach", [False, True])
def test_failed_exec_leaves_no_zombie_in_container(rt, runtime, rroot, bundle, leftovers,
                                                   detach):
    cid = leftovers.cid()
    assert rt("run", "--detach", "--bundle", bundle(SLEEP), cid).returncode == 0
    argv = [runtime, "--root", rroot, "exec", *(["--detach"] if detach else []),
            "--cwd", "/nonexistent", cid, "true"]
    res, orphans = orphans_of(argv)
    assert res["rc"] != 0 and "/nonexistent" in res["stderr"], res
    # A zombie with a pid inside the container keeps its pid namespace from being torn down.
    assert orphans == [], f"unreaped processes left by a failed exec: {orphans}"
