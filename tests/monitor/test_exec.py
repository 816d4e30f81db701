"""exec: a process in a running container under its own monitor (state dir under
<container>/exec/<id>), with and without a TTY; its output never reaches the container log."""

import json
import subprocess

from conftest import MONITOR, RUNTIME, pid_alive, wait_for


def process_json(tmp, args, tty=False):
    p = {
        "terminal": tty,
        "user": {"uid": 0, "gid": 0},
        "args": args,
        "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "TERM=xterm"],
        "cwd": "/",
    }
    path = tmp / f"process-{abs(hash(tuple(args)))}.json"
    path.write_text(json.dumps(p))
    return path


def run_exec(env, cid, eid, args, *extra, tty=False, input=None):
    state = env.state_dir(cid) / "exec" / eid
    return state, env.tool("exec", "--monitor", MONITOR, "--id", cid, "--exec-id", eid,
                           "--state-dir", state, "--runtime-root", env.runtime_root,
                           "--process", process_json(env.root, args, tty), *extra,
                           *(["--tty"] if tty else []), input=input)


def test_exec_without_tty(env):
    b = env.bundle("sleep", "1000")
    env.run_detached("e1", b)
    state, res = run_exec(env, "e1", "x1", ["sh", "-c", "echo hi; echo oops >&2; exit 7"])
    assert res.returncode == 7, res.stderr
    assert res.stdout.decode().startswith("hi\n")
    assert "oops\n" in res.stderr.decode()
    st = env.inspect(state)
    assert st["exitCode"] == 7 and not st["monitorAlive"]
    # Exec output is not the container's log; the container still runs.
    assert env.log_entries("e1") == []
    assert env.inspect("e1")["monitorAlive"]
    # stdin to an exec is closed when the attacher half-closes (docker exec -i).
    state, res = run_exec(env, "e1", "x2", ["sh", "-c", "cat; echo done"], "--stdin",
                          input=b"abc\n")
    assert res.returncode == 0, res.stderr
    assert res.stdout.decode().startswith("abc\ndone\n")


def test_exec_with_tty(env):
    b = env.bundle("sleep", "1000")
    env.run_detached("e2", b)
    state, res = run_exec(env, "e2", "t1", ["sh", "-c", "stty size; tty"], "--height", "25",
                          "--width", "90", tty=True)
    assert res.returncode == 0, res.stderr
    out = res.stdout.decode()
    assert out.startswith("25 90\r\n/dev/pts/"), out


def test_exec_missing_executable(env):
    b = env.bundle("sleep", "1000")
    env.run_detached("e3", b)
    state, res = run_exec(env, "e3", "bad", ["nosuch"])
    assert res.returncode == 127, res.stderr
    assert b"executable file not found" in res.stderr
    assert not state.exists()


def test_exec_killed_with_its_container(env):
    b = env.bundle("sleep", "1000")
    env.run_detached("e4", b)
    state = env.state_dir("e4") / "exec" / "long"
    res = env.tool("exec", "--monitor", MONITOR, "--id", "e4", "--exec-id", "long",
                   "--state-dir", state, "--runtime-root", env.runtime_root, "--process",
                   process_json(env.root, ["sleep", "1000"]), "--detach")
    assert res.returncode == 0, res.stderr
    started = json.loads(res.stderr.decode().strip().splitlines()[-1])
    assert pid_alive(started["pid"])
    subprocess.run([RUNTIME, "--root", env.runtime_root, "kill", "e4", "KILL"], check=True)
    assert env.tool("wait", "--state-dir", state).returncode == 137
    assert env.tool("wait", "--state-dir", env.state_dir("e4")).returncode == 137
    assert wait_for(lambda: not pid_alive(started["monitorPid"]))
