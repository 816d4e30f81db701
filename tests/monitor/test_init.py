"""berth-init (`docker run --init`): pid 1 that runs its argv, forwards signals, reaps zombies
and exits with the child's status. Installed in the bundle at docker's path."""

import os
import shutil
import subprocess

from conftest import INIT, RUNTIME, wait_for


def init_bundle(env, *args):
    if not os.access(INIT, os.X_OK):
        raise AssertionError(f"{INIT} is not built")
    b = env.bundle("/sbin/docker-init", "--", *args)
    shutil.copy(INIT, b / "rootfs" / "sbin" / "docker-init")
    return b


def test_static_and_small():
    out = subprocess.run(["file", "-L", INIT], capture_output=True, text=True).stdout
    assert "statically linked" in out, out
    size = os.path.getsize(INIT)
    print(f"\nberth-init: {size} bytes")
    assert size < 1 << 20


def test_exit_code_and_signal_status(env):
    res = env.run("i1", init_bundle(env, "sh", "-c", "echo hi; exit 5"))
    assert res.returncode == 5, res.stderr
    assert res.stdout.decode().startswith("hi\n")
    res = env.run("i2", init_bundle(env, "sh", "-c", "kill -9 $$"))
    assert res.returncode == 137, res.stderr


def test_forwards_signals(env):
    b = init_bundle(env, "sh", "-c",
                    "trap 'echo got TERM; exit 42' TERM; echo ready; "
                    "while true; do sleep 0.05; done")
    env.run_detached("i3", b)
    assert wait_for(lambda: any(e["log"] == "ready\n" for e in env.log_entries("i3")))
    subprocess.run([RUNTIME, "--root", env.runtime_root, "kill", "i3", "TERM"], check=True)
    assert env.tool("wait", "--state-dir", env.state_dir("i3"), timeout=20).returncode == 42
    assert any(e["log"] == "got TERM\n" for e in env.log_entries("i3"))


def test_reaps_orphans(env):
    # The backgrounded subshell's child is orphaned to pid 1; it must not stay a zombie.
    b = init_bundle(env, "sh", "-c",
                    "(sleep 0.1 &) ; sleep 0.6; ps -o pid,stat,comm | grep -c ' Z ' || true")
    res = env.run("i4", b)
    assert res.returncode == 0, res.stderr
    assert res.stdout.decode().splitlines()[0] == "0"
