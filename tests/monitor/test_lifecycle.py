"""A container's life under its monitor: output to the log and to an attacher, exit codes,
start errors, and the monitor's independence from whoever spawned it."""

import json
import os
import signal
import subprocess
import time

from conftest import MONITOR, RUNTIME, TOOL, pid_alive, wait_for


def exit_json(res):
    return json.loads(res.stdout.decode().strip().splitlines()[-1])


def test_echo_stdout_stderr_log_and_exit_code(env):
    b = env.bundle("sh", "-c", "echo out1; echo err1 >&2; echo out2; exit 3")
    res = env.run("c1", b)
    assert res.returncode == 3, res.stderr
    assert res.stdout.decode().startswith("out1\nout2\n")
    assert "err1\n" in res.stderr.decode()
    assert exit_json(res)["exitCode"] == 3
    entries = env.log_entries("c1")
    by_stream = {"stdout": [], "stderr": []}
    for e in entries:
        by_stream[e["stream"]].append(e["log"])
        assert e["time"].endswith("Z") and "T" in e["time"]
    assert by_stream == {"stdout": ["out1\n", "out2\n"], "stderr": ["err1\n"]}
    st = env.inspect("c1")
    assert st["monitorAlive"] is False and st["exitCode"] == 3
    # The runtime state is gone: the monitor deleted the container.
    assert not (env.runtime_root / "c1").exists()
    # Finished: cleanup removes the state dir.
    env.tool("cleanup", "--state-dir", env.state_dir("c1"), check=True)
    assert not env.state_dir("c1").exists()


def test_attach_before_start_gets_all_output(env):
    # Output starts at once and is large: an attacher that came late would miss the head.
    b = env.bundle("sh", "-c", "seq 1 30000; seq 1 500 >&2")
    res = env.run("c2", b, timeout=60)
    assert res.returncode == 0, res.stderr
    out = res.stdout.decode().splitlines()
    assert out[:30000] == [str(i) for i in range(1, 30001)]
    err = [l for l in res.stderr.decode().splitlines() if not l.startswith("{")]
    assert err == [str(i) for i in range(1, 501)]
    logged = [e["log"] for e in env.log_entries("c2") if e["stream"] == "stdout"]
    assert len(logged) == 30000 and logged[0] == "1\n" and logged[-1] == "30000\n"


def test_partial_and_long_lines(env):
    b = env.bundle("sh", "-c", "printf 'a%.0s' $(seq 1 20000); echo; printf tail")
    res = env.run("c3", b)
    assert res.returncode == 0, res.stderr
    logs = [e["log"] for e in env.log_entries("c3")]
    # 16 KiB partial, then the rest of the line with its newline, then the unterminated tail.
    assert logs == ["a" * 16384, "a" * (20000 - 16384) + "\n", "tail"]


def test_killed_container_exit_137(env):
    b = env.bundle("sleep", "1000")
    started = env.run_detached("c4", b)
    assert pid_alive(started["pid"]) and pid_alive(started["monitorPid"])
    st = env.inspect("c4")
    assert st["monitorAlive"] and st["pid"] == started["pid"] and "exitCode" not in st
    rc = subprocess.run([RUNTIME, "--root", env.runtime_root, "kill", "c4", "KILL"],
                        capture_output=True)
    assert rc.returncode == 0, rc.stderr
    res = env.tool("wait", "--state-dir", env.state_dir("c4"), timeout=20)
    assert res.returncode == 137
    assert exit_json(res) == {**exit_json(res), "exitCode": 137, "oomKilled": False}
    assert wait_for(lambda: not pid_alive(started["monitorPid"]))
    # wait on a finished monitor answers at once from the exit file.
    res = env.tool("wait", "--state-dir", env.state_dir("c4"), timeout=5)
    assert res.returncode == 137


def test_missing_executable_is_a_start_error(env):
    b = env.bundle("nosuch")
    res = env.run("c5", b)
    assert res.returncode == 127, res.stderr
    assert b'exec: "nosuch": executable file not found in $PATH' in res.stderr
    # Nothing is left behind: no state dir, no runtime container, no monitor.
    assert not env.state_dir("c5").exists()
    assert not (env.runtime_root / "c5").exists()


def test_monitor_survives_sigkill_of_its_spawner(env):
    b = env.bundle("sh", "-c", "i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.1; done")
    # The tool spawns the monitor, attaches, and is then killed -9 like a crashing berthd.
    p = subprocess.Popen([TOOL, "run", "--monitor", MONITOR, "--id", "c6", "--bundle", b,
                          "--state-dir", env.state_dir("c6"), "--runtime-root",
                          env.runtime_root, "--log", env.log_path("c6")],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert wait_for(lambda: (env.state_dir("c6") / "state").exists() and
                    env.inspect("c6")["pid"] > 0)
    p.kill()
    p.wait()
    st = env.inspect("c6")
    assert st["monitorAlive"] and pid_alive(st["pid"])
    # The monitor is not the spawner's child, and keeps logging without its attacher.
    with open(f"/proc/{st['monitorPid']}/stat") as f:
        assert f.read().rsplit(")", 1)[1].split()[1] != str(p.pid)
    n = len(env.log_entries("c6"))
    assert wait_for(lambda: len(env.log_entries("c6")) > n + 3)
    # A new client can attach and gets the live output.
    a = subprocess.Popen([TOOL, "attach", "--state-dir", env.state_dir("c6")],
                         stdout=subprocess.PIPE)
    line = a.stdout.readline()
    assert line.startswith(b"tick ")
    subprocess.run([RUNTIME, "--root", env.runtime_root, "kill", "c6", "KILL"], check=True)
    a.wait(timeout=10)  # EOF once the container has exited
    assert env.tool("wait", "--state-dir", env.state_dir("c6")).returncode == 137


def test_caller_gone_before_start_aborts(env):
    # The spawner dies while the container is created but not started: no leftovers.
    b = env.bundle("true")
    p = subprocess.Popen([TOOL, "run", "--monitor", MONITOR, "--id", "c7", "--bundle", b,
                          "--state-dir", env.state_dir("c7"), "--runtime-root",
                          env.runtime_root, "--stdin"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    p.kill()  # may land at any point of the start
    p.wait()
    # Whatever point it hit, the monitor either runs the container to its end or drops it.
    def settled():
        if not env.state_dir("c7").exists():
            return True
        st = env.inspect("c7")
        return not st["monitorAlive"]
    assert wait_for(settled, timeout=15)
    assert wait_for(lambda: not (env.runtime_root / "c7").exists(), timeout=10)
