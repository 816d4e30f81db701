"""OCI hooks: every kind runs at its point of the lifecycle, in the right namespaces, with the
container state on stdin; timeouts and failures stop `create` and leave nothing behind."""

import json
import os
import time
from pathlib import Path

from conftest import needs_root, state_of, wait_status
from unique_cgroups import bundle  # noqa: F401 - shadows conftest's

pytestmark = needs_root

HOST_KINDS = ["prestart", "createRuntime", "createContainer", "poststart", "poststop"]
ALL_KINDS = ["prestart", "createRuntime", "createContainer", "startContainer", "poststart",
             "poststop"]


def marker_hook(kind, outdir, extra=""):
    """A hook that saves its stdin as <outdir>/<kind>.json, appends its kind to <outdir>/order
    and records a few facts about where it ran."""
    script = (f"cat > {outdir}/{kind}.json; echo {kind} >> {outdir}/order; "
              f"readlink /proc/self/ns/mnt > {outdir}/{kind}.mnt; "
              f"readlink /proc/self/ns/uts > {outdir}/{kind}.uts; "
              f"echo \"$HOOKVAR|$0|$1\" > {outdir}/{kind}.env{extra}")
    return {"path": "/bin/sh", "args": ["sh", "-c", script, f"{kind}-argv0", f"{kind}-arg1"],
            "env": [f"HOOKVAR=var-{kind}", "PATH=/bin:/usr/bin"]}


def hooked_bundle(bundle, outdir, args, cgpath=None, hooks=None):
    """A bundle with every hook kind writing markers. startContainer runs inside the container,
    so it writes through a bind mount of outdir at /hooks."""

    def edit(cfg):
        cfg["mounts"].append({"destination": "/hooks", "type": "bind", "source": str(outdir),
                              "options": ["rbind", "rw"]})
        cfg["hostname"] = "hooked"
        if cgpath:
            cfg["linux"]["cgroupsPath"] = cgpath
        cfg["hooks"] = hooks if hooks is not None else {
            kind: [marker_hook(kind, "/hooks" if kind == "startContainer" else outdir)]
            for kind in ALL_KINDS}

    return bundle(args, edit=edit)


def outdir_for(tmp_path):
    d = tmp_path / "hooks-out"
    d.mkdir()
    os.chmod(d, 0o777)
    return d


def order(d):
    p = d / "order"
    return p.read_text().split() if p.exists() else []


def wait_for(pred, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not pred() and time.monotonic() < deadline:
        time.sleep(0.05)
    return pred()


def test_hooks_lifecycle_order_and_state(rt, bundle, tmp_path):
    d = outdir_for(tmp_path)
    b = hooked_bundle(bundle, d, ["sleep", "30"])
    res = rt("create", "--bundle", b, "c1")
    assert res.returncode == 0, f"create: {res.stderr}"
    assert order(d) == ["prestart", "createRuntime", "createContainer"]
    pid = state_of(rt, "c1")["pid"]

    res = rt("start", "c1")
    assert res.returncode == 0, f"start: {res.stderr}"
    # The spec runs poststart after the user process is executed: berth's `start` waits for the
    # init's exec (runc and crun race startContainer against poststart here), so by the time
    # `start` returns both have run, in order, and the user process is sleep.
    started = order(d)
    assert started == ALL_KINDS[:5], started
    assert open(f"/proc/{pid}/comm").read().strip() == "sleep"

    assert rt("kill", "c1", "KILL").returncode == 0
    assert wait_status(rt, "c1", "stopped")["status"] == "stopped"
    assert order(d) == started  # poststop waits for delete
    res = rt("delete", "c1")
    assert res.returncode == 0, f"delete: {res.stderr}"
    assert order(d) == started + ["poststop"]

    expected_status = {"prestart": {"creating", "created"}, "createRuntime": {"creating",
                                                                             "created"},
                       "createContainer": {"creating", "created"},
                       "poststart": {"running"}, "poststop": {"stopped"}}
    for kind in ALL_KINDS:
        st = json.loads((d / f"{kind}.json").read_text())
        assert st["id"] == "c1", kind
        assert os.path.realpath(st["bundle"]) == os.path.realpath(b), kind
        if kind != "startContainer":  # see test_start_container_state_is_created
            assert st["status"] in expected_status[kind], (kind, st["status"])
        assert "ociVersion" in st, kind
        if kind != "poststop":
            assert st["pid"] == pid, kind
        assert (d / f"{kind}.env").read_text() == f"var-{kind}|{kind}-argv0|{kind}-arg1\n", kind


def test_start_container_state_is_created(rt, bundle, tmp_path):
    d = outdir_for(tmp_path)
    b = hooked_bundle(bundle, d, ["true"],
                      hooks={"startContainer": [marker_hook("startContainer", "/hooks")]})
    res = rt("run", "--bundle", b, "c1")
    assert res.returncode == 0, f"run: {res.stderr}"
    st = json.loads((d / "startContainer.json").read_text())
    assert st["id"] == "c1"
    assert st["status"] == "created"


def test_hook_namespaces(rt, bundle, tmp_path):
    d = outdir_for(tmp_path)
    b = hooked_bundle(bundle, d, ["sh", "-c", "readlink /proc/self/ns/mnt; "
                                  "readlink /proc/self/ns/uts"])
    res = rt("run", "--bundle", b, "c1")
    assert res.returncode == 0, f"run: {res.stderr}"
    c_mnt, c_uts = res.stdout.split()
    host_mnt, host_uts = os.readlink("/proc/self/ns/mnt"), os.readlink("/proc/self/ns/uts")

    def ns(kind):
        return ((d / f"{kind}.mnt").read_text().strip(), (d / f"{kind}.uts").read_text().strip())

    # The runtime's namespaces: prestart, createRuntime, poststart, poststop.
    for kind in ["prestart", "createRuntime", "poststart", "poststop"]:
        assert ns(kind) == (host_mnt, host_uts), kind
    # The container's: createContainer (path still resolved in the runtime's mount view) and
    # startContainer (path resolved in the container).
    assert ns("createContainer") == (c_mnt, c_uts)
    assert ns("startContainer") == (c_mnt, c_uts)


def test_start_container_path_resolves_in_container(rt, bundle, tmp_path):
    # /bin/hook-only exists in the rootfs, not on the host.
    d = outdir_for(tmp_path)
    hook = {"path": "/bin/hook-only", "args": ["sh", "-c", "hostname > /hooks/where"]}
    b = hooked_bundle(bundle, d, ["true"], hooks={"startContainer": [hook]})
    os.symlink("busybox", b / "rootfs" / "bin" / "hook-only")
    assert not os.path.exists("/bin/hook-only")
    res = rt("run", "--bundle", b, "c1")
    assert res.returncode == 0, f"run: {res.stderr}"
    assert (d / "where").read_text() == "hooked\n"


def test_hook_timeout_fails_create(rt, bundle, tmp_path, rroot):
    d = outdir_for(tmp_path)
    slow = {"path": "/bin/sh", "args": ["sh", "-c", "sleep 10"], "timeout": 1}
    b = hooked_bundle(bundle, d, ["true"], hooks={"createRuntime": [slow]})
    start = time.monotonic()
    res = rt("create", "--bundle", b, "c1")
    took = time.monotonic() - start
    assert res.returncode != 0
    assert took < 8, f"the timeout did not stop the hook ({took:.1f}s)"
    assert "timeout" in res.stderr.lower() or "timed out" in res.stderr.lower(), res.stderr
    assert not os.path.exists(os.path.join(rroot, "c1"))


def test_failing_prestart_leaves_nothing(rt, bundle, tmp_path, rroot):
    d = outdir_for(tmp_path)
    cgpath = f"/berth-e2e-hookfail-{os.getpid()}"
    fail = {"path": "/bin/sh", "args": ["sh", "-c", "echo prestart-broke >&2; exit 3"]}
    hooks = {"prestart": [fail], "createRuntime": [marker_hook("createRuntime", d)],
             "poststop": [marker_hook("poststop", d)]}
    b = hooked_bundle(bundle, d, ["true"], cgpath=cgpath, hooks=hooks)
    res = rt("create", "--bundle", b, "c1")
    assert res.returncode != 0
    assert "prestart" in res.stderr, res.stderr
    assert not os.path.exists(os.path.join(rroot, "c1"))
    assert rt("state", "c1").returncode != 0
    left = [c for c in ("memory", "pids", "cpu", "freezer", "systemd", "unified")
            if (Path("/sys/fs/cgroup") / c / cgpath.lstrip("/")).exists()]
    assert left == []
    # Hooks after the failing one never ran.
    assert "createRuntime" not in order(d)


def test_failing_poststop_does_not_block_delete(rt, bundle, tmp_path, rroot):
    d = outdir_for(tmp_path)
    fail = {"path": "/bin/sh", "args": ["sh", "-c", "exit 1"]}
    hooks = {"poststop": [fail, marker_hook("poststop", d)]}
    b = hooked_bundle(bundle, d, ["true"], hooks=hooks)
    assert rt("create", "--bundle", b, "c1").returncode == 0
    assert rt("start", "c1").returncode == 0
    assert wait_status(rt, "c1", "stopped")["status"] == "stopped"
    res = rt("delete", "c1")
    # The runtime spec: a failing poststop hook is a warning; the remaining hooks still run.
    assert res.returncode == 0, res.stderr
    assert not os.path.exists(os.path.join(rroot, "c1"))
    assert order(d) == ["poststop"]
