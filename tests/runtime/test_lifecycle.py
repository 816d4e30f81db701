"""Container lifecycle through the runtime's command line, as podman and the OCI runtime spec use
it: create / start / state / kill / delete, run, exec, pause / resume, list, ps, spec."""

import json
import os
import time

import pytest

from conftest import needs_root, pid_alive, run_captured, state_of, wait_status

pytestmark = needs_root

SLEEP = ["sleep", "1000"]


def created(rt, bundle, cid="c1", args=SLEEP):
    b = bundle(args)
    res = rt("create", "--bundle", b, cid)
    assert res.returncode == 0, f"create: {res.stderr}"
    return b


def running(rt, bundle, cid="c1", args=SLEEP):
    b = created(rt, bundle, cid, args)
    res = rt("start", cid)
    assert res.returncode == 0, f"start: {res.stderr}"
    return b


def assert_gone(rt, cid):
    res = rt("state", cid)
    assert res.returncode != 0, f"state of deleted {cid} succeeded: {res.stdout}"


@pytest.mark.parametrize("signal", ["KILL", "9"])
def test_create_start_kill_delete(rt, bundle, signal):
    b = created(rt, bundle)
    st = state_of(rt, "c1")
    assert st["id"] == "c1"
    assert st["status"] == "created"
    assert st["pid"] > 0
    assert os.path.realpath(st["bundle"]) == os.path.realpath(b)
    assert "ociVersion" in st
    pid = st["pid"]
    assert pid_alive(pid), "init of a created container must exist"

    assert rt("start", "c1").returncode == 0
    st = wait_status(rt, "c1", "running")
    assert st["status"] == "running"
    assert st["pid"] == pid

    res = rt("kill", "c1", signal)
    assert res.returncode == 0, f"kill {signal}: {res.stderr}"
    st = wait_status(rt, "c1", "stopped")
    assert st["status"] == "stopped"
    assert not pid_alive(pid)

    res = rt("delete", "c1")
    assert res.returncode == 0, f"delete: {res.stderr}"
    assert_gone(rt, "c1")


def test_created_process_waits_for_start(rt, bundle, tmp_path):
    # The user program must not run before `start`: it would touch the marker file at once.
    b = bundle(["touch", "/tmp/started"], edit=lambda cfg: cfg["root"].update(readonly=False))
    assert rt("create", "--bundle", b, "c1").returncode == 0
    time.sleep(0.3)
    assert not (b / "rootfs" / "tmp" / "started").exists()
    assert rt("start", "c1").returncode == 0
    deadline = time.monotonic() + 10
    while not (b / "rootfs" / "tmp" / "started").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert (b / "rootfs" / "tmp" / "started").exists()
    assert wait_status(rt, "c1", "stopped")["status"] == "stopped"
    assert rt("delete", "c1").returncode == 0


def test_run_foreground_output_and_exit_code(rt, bundle):
    b = bundle(["sh", "-c", "echo hello-from-$(hostname); exit 3"],
               edit=lambda cfg: cfg.update(hostname="berth-test"))
    res = rt("run", "--bundle", b, "c1")
    assert res.returncode == 3, f"run: rc={res.returncode} {res.stderr}"
    assert "hello-from-berth-test" in res.stdout
    # `run` deletes the container once its process has exited.
    assert_gone(rt, "c1")


def test_run_detach(rt, bundle):
    b = bundle(SLEEP)
    res = rt("run", "--detach", "--bundle", b, "c1")
    assert res.returncode == 0, f"run -d: {res.stderr}"
    st = state_of(rt, "c1")
    assert st["status"] == "running"
    assert pid_alive(st["pid"])


def test_delete_force_running(rt, bundle):
    running(rt, bundle)
    pid = state_of(rt, "c1")["pid"]
    assert rt("delete", "c1").returncode != 0, "plain delete of a running container must fail"
    res = rt("delete", "--force", "c1")
    assert res.returncode == 0, f"delete --force: {res.stderr}"
    assert_gone(rt, "c1")
    deadline = time.monotonic() + 5
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not pid_alive(pid)


def test_list_json(rt, bundle):
    running(rt, bundle, "c1")
    created(rt, bundle, "c2")
    res = rt("list", "--format", "json")
    assert res.returncode == 0, f"list: {res.stderr}"
    by_id = {c["id"]: c for c in json.loads(res.stdout)}
    assert set(by_id) == {"c1", "c2"}
    assert by_id["c1"]["status"] == "running"
    assert by_id["c2"]["status"] == "created"
    res = rt("list", "-q")
    assert sorted(res.stdout.split()) == ["c1", "c2"]


def test_ps_json_has_init_pid(rt, bundle):
    running(rt, bundle)
    pid = state_of(rt, "c1")["pid"]
    res = rt("ps", "--format", "json", "c1")
    assert res.returncode == 0, f"ps: {res.stderr}"
    assert pid in json.loads(res.stdout)


def test_exec(rt, bundle):
    running(rt, bundle)
    res = rt("exec", "c1", "sh", "-c", "echo exec-$((6*7)); exit 5")
    assert res.returncode == 5, f"exec: rc={res.returncode} {res.stderr}"
    assert "exec-42" in res.stdout


def test_pause_resume(rt, bundle):
    running(rt, bundle)
    assert rt("pause", "c1").returncode == 0
    assert state_of(rt, "c1")["status"] == "paused"
    assert rt("resume", "c1").returncode == 0
    assert state_of(rt, "c1")["status"] == "running"


def test_create_duplicate_id_fails(rt, bundle):
    created(rt, bundle)
    b2 = bundle(SLEEP, name="other")
    res = rt("create", "--bundle", b2, "c1")
    assert res.returncode != 0, "second create with the same id must fail"
    # The first container is untouched.
    assert state_of(rt, "c1")["status"] == "created"


def test_id_with_slash_fails(rt, bundle, rroot):
    b = bundle(SLEEP)
    res = rt("create", "--bundle", b, "a/b")
    assert res.returncode != 0, "an id containing '/' must be rejected"
    assert not os.path.exists(os.path.join(rroot, "a"))


def test_start_running_fails(rt, bundle):
    running(rt, bundle)
    res = rt("start", "c1")
    assert res.returncode != 0, "start of a running container must fail (runtime spec)"
    assert state_of(rt, "c1")["status"] == "running"


def test_state_unknown_fails(rt):
    assert rt("state", "nope").returncode != 0


def test_spec_writes_default_config(runtime, tmp_path):
    res = run_captured(["sh", "-c", f"cd '{tmp_path}' && exec '{runtime}' spec"])
    assert res.returncode == 0, f"spec: {res.stderr}"
    cfg = json.loads((tmp_path / "config.json").read_text())
    assert cfg["ociVersion"].startswith("1.")
    assert cfg["process"]["args"] == ["sh"]
    assert cfg["root"]["path"] == "rootfs"
    assert any(ns["type"] == "pid" for ns in cfg["linux"]["namespaces"])
