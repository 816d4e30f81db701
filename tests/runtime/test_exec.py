"""`exec`: a new process inside a running container, in all its namespaces and cgroups, with the
command line's env/cwd/user/caps flags or a --process file, detached or on a pty."""

import json
import os

from conftest import needs_root, pid_alive, state_of, wait_status
from unique_cgroups import bundle  # noqa: F401 - shadows conftest's
from test_tty import ConsoleServer

pytestmark = needs_root

NS = ["pid", "mnt", "net", "uts", "ipc"]


def running(rt, bundle, edit=None, args=("sleep", "30")):
    b = bundle(list(args), edit=edit)
    res = rt("run", "--detach", "--bundle", b, "c1")
    assert res.returncode == 0, f"run -d: {res.stderr}"
    return state_of(rt, "c1")["pid"]


def exec_ok(rt, *args):
    res = rt("exec", *args)
    assert res.returncode == 0, f"exec {args}: rc={res.returncode} {res.stderr}"
    return res.stdout


def test_exec_joins_namespaces(rt, bundle):
    pid = running(rt, bundle, edit=lambda cfg: cfg.update(hostname="exec-host"))
    script = "echo $$; tr '\\0' ' ' < /proc/1/cmdline; echo; hostname; " + "; ".join(
        f"readlink /proc/self/ns/{ns}" for ns in NS)
    lines = exec_ok(rt, "c1", "sh", "-c", script).splitlines()
    assert int(lines[0]) > 1  # not the init, but in its pid namespace
    assert lines[1].split() == ["sleep", "30"]  # pid 1 is the container's init
    assert lines[2] == "exec-host"
    assert lines[3:] == [os.readlink(f"/proc/{pid}/ns/{ns}") for ns in NS]


def test_exec_ps_sees_container_processes_only(rt, bundle):
    running(rt, bundle)
    out = exec_ok(rt, "c1", "ps", "-o", "pid,comm")
    procs = [line.split() for line in out.splitlines()[1:]]
    assert ["1", "sleep"] in procs
    assert {p[1] for p in procs} == {"sleep", "ps"}, procs


def test_exec_exit_code(rt, bundle):
    running(rt, bundle)
    res = rt("exec", "c1", "sh", "-c", "echo out; echo err >&2; exit 42")
    assert res.returncode == 42
    assert res.stdout == "out\n"
    assert "err" in res.stderr


def test_exec_env_cwd_user_flags(rt, bundle):
    running(rt, bundle)
    # Repeatable options come first: see test_exec_repeatable_option_before_id.
    out = exec_ok(rt, "-g", "10", "-g", "20", "-e", "FOO=bar", "-e", "PATH=/bin",
                  "--cwd", "/etc", "--user", "1000:1001", "c1", "sh", "-c",
                  "echo $FOO $PATH; pwd; id -u; id -g; grep Groups /proc/self/status")
    lines = out.splitlines()
    assert lines[0] == "bar /bin"
    assert lines[1] == "/etc"
    assert lines[2:4] == ["1000", "1001"]
    assert lines[4].split() == ["Groups:", "10", "20"]


def test_exec_inherits_config_env(rt, bundle):
    running(rt, bundle, edit=lambda cfg: cfg["process"]["env"].append("FROM_CONFIG=yes"))
    out = exec_ok(rt, "-e", "EXTRA=1", "--cwd", "/", "c1", "sh", "-c", "echo $FROM_CONFIG $EXTRA")
    assert out == "yes 1\n"


def test_exec_repeatable_option_before_id(rt, bundle):
    running(rt, bundle)
    out = exec_ok(rt, "-e", "A=1", "c1", "sh", "-c", "echo $A")
    assert out == "1\n"
    out = exec_ok(rt, "--cap", "CAP_SYS_ADMIN", "c1", "grep", "CapEff", "/proc/self/status")
    assert int(out.split()[1], 16) & (1 << 21)


def test_exec_process_file(rt, bundle, tmp_path):
    running(rt, bundle)
    proc = {"terminal": False, "user": {"uid": 65534, "gid": 65534}, "cwd": "/tmp",
            "args": ["sh", "-c", "echo $MSG; pwd; id -u; ulimit -n; exit 7"],
            "env": ["PATH=/bin", "MSG=from-process-json"],
            "rlimits": [{"type": "RLIMIT_NOFILE", "soft": 321, "hard": 654}]}
    f = tmp_path / "process.json"
    f.write_text(json.dumps(proc))
    res = rt("exec", "--process", f, "c1")
    assert res.returncode == 7, res.stderr
    assert res.stdout.splitlines() == ["from-process-json", "/tmp", "65534", "321"]


def test_exec_detach_pid_file(rt, bundle, tmp_path):
    init = running(rt, bundle)
    pidfile = tmp_path / "exec.pid"
    res = rt("exec", "--detach", "--pid-file", pidfile, "c1", "sleep", "20")
    assert res.returncode == 0, f"exec -d: {res.stderr}"
    pid = int(pidfile.read_text())
    assert pid_alive(pid)
    assert pid != init
    with open(f"/proc/{pid}/cmdline") as f:
        assert f.read().split("\0")[:2] == ["sleep", "20"]
    for ns in NS:
        assert os.readlink(f"/proc/{pid}/ns/{ns}") == os.readlink(f"/proc/{init}/ns/{ns}")
    with open(f"/proc/{pid}/cgroup") as f, open(f"/proc/{init}/cgroup") as g:
        assert f.read() == g.read()
    ps = rt("ps", "--format", "json", "c1")
    assert ps.returncode == 0
    assert sorted(json.loads(ps.stdout)) == sorted([init, pid])


def test_exec_detached_tty_console_socket(rt, bundle, tmp_path):
    # conmon's form: exec --detach --tty --console-socket --pid-file --process.
    running(rt, bundle)
    proc = {"terminal": True, "consoleSize": {"height": 30, "width": 90}, "cwd": "/",
            "user": {"uid": 0, "gid": 0}, "env": ["PATH=/bin"],
            "args": ["sh", "-c", "tty; stty size"]}
    f = tmp_path / "process.json"
    f.write_text(json.dumps(proc))
    server = ConsoleServer(tmp_path / "console.sock")
    try:
        res = rt("exec", "--detach", "--tty", "--console-socket", server.path, "--pid-file",
                 tmp_path / "pid", "--process", f, "c1")
        assert res.returncode == 0, f"exec -d -t: {res.stderr}"
        assert int((tmp_path / "pid").read_text()) > 0
    finally:
        server.close()
    assert server.error is None, server.error
    lines = server.text().splitlines()
    assert lines[0].startswith("/dev/pts/"), lines
    assert lines[1] == "30 90", lines


def test_exec_tty_console_socket(rt, bundle, tmp_path):
    # Foreground exec with a console socket (runc ignores the socket here) returns the status.
    running(rt, bundle)
    server = ConsoleServer(tmp_path / "console.sock")
    try:
        res = rt("exec", "--tty", "--console-socket", server.path, "c1", "sh", "-c",
                 "tty; [ -t 0 ] && echo stdin-tty; exit 3")
    finally:
        server.close()
    assert server.error is None, server.error
    assert res.returncode == 3, f"exec -t: rc={res.returncode} {res.stderr}"
    lines = server.text().splitlines()
    assert lines[0].startswith("/dev/pts/"), lines
    assert lines[1] == "stdin-tty"


def test_exec_caps_and_no_new_privs(rt, bundle):
    def edit(cfg):
        cfg["process"]["noNewPrivileges"] = False

    running(rt, bundle, edit=edit)
    plain = exec_ok(rt, "c1", "grep", "-E", "^(CapEff|NoNewPrivs)", "/proc/self/status")
    extra = exec_ok(rt, "--cap", "CAP_SYS_ADMIN", "--no-new-privs", "c1", "grep", "-E",
                    "^(CapEff|NoNewPrivs)", "/proc/self/status")
    p = dict(line.split(":\t") for line in plain.splitlines())
    e = dict(line.split(":\t") for line in extra.splitlines())
    sys_admin = 1 << 21
    assert int(p["CapEff"], 16) & sys_admin == 0
    assert int(e["CapEff"], 16) == int(p["CapEff"], 16) | sys_admin
    assert (p["NoNewPrivs"], e["NoNewPrivs"]) == ("0", "1")


def test_exec_gets_container_seccomp(rt, bundle):
    def edit(cfg):
        cfg["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
            {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}

    running(rt, bundle, edit=edit)
    res = rt("exec", "c1", "mkdir", "/dev/shm/x")
    assert res.returncode == 1
    assert "Operation not permitted" in res.stderr


def test_exec_in_stopped_container_fails(rt, bundle):
    running(rt, bundle, args=["true"])
    assert wait_status(rt, "c1", "stopped")["status"] == "stopped"
    res = rt("exec", "c1", "true")
    assert res.returncode != 0
    assert "stopped" in res.stderr or "not running" in res.stderr, res.stderr


def test_exec_in_paused_container_fails(rt, bundle):
    running(rt, bundle)
    assert rt("pause", "c1").returncode == 0
    res = rt("exec", "c1", "true")
    assert res.returncode != 0
    assert "paused" in res.stderr, res.stderr
    assert rt("resume", "c1").returncode == 0
    assert exec_ok(rt, "c1", "echo", "after-resume") == "after-resume\n"


def test_exec_unknown_container_fails(rt):
    res = rt("exec", "nope", "true")
    assert res.returncode != 0


def test_exec_missing_binary(rt, bundle):
    running(rt, bundle)
    for argv in (["/bin/no-such"], ["no-such-cmd"]):
        res = rt("exec", "c1", *argv)
        assert res.returncode != 0
        assert "no-such" in res.stderr
    # The container is unaffected.
    assert state_of(rt, "c1")["status"] == "running"
    assert exec_ok(rt, "c1", "echo", "still-fine") == "still-fine\n"


def pids_in_ns_of(pid):
    ns = os.readlink(f"/proc/{pid}/ns/pid")
    found = []
    for e in os.scandir("/proc"):
        if e.name.isdigit():
            try:
                if os.readlink(f"/proc/{e.name}/ns/pid") == ns:
                    found.append(int(e.name))
            except OSError:
                pass  # exited meanwhile
    return sorted(found)


def test_failed_exec_leaves_no_process(rt, bundle):
    init = running(rt, bundle)
    res = rt("exec", "c1", "/bin/no-such")
    assert res.returncode != 0
    assert pids_in_ns_of(init) == [init]
