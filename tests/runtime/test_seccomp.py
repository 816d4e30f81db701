"""linux.seccomp, checked by what syscalls do inside the container: errno actions, argument
conditions, defaultErrnoRet, kill actions, filters for non-root users, and the notify listener."""

import array
import json
import os
import re
import socket
import threading

import pytest

from conftest import needs_root
from unique_cgroups import bundle  # noqa: F401 - shadows conftest's

pytestmark = needs_root

MKDIR = ["mkdir", "mkdirat"]  # busybox may use either


def profile(syscalls, default="SCMP_ACT_ALLOW", **extra):
    return {"defaultAction": default, "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
            "syscalls": syscalls, **extra}


def run_with(rt, bundle, seccomp, args, user=None, nnp=None):
    def edit(cfg):
        cfg["linux"]["seccomp"] = seccomp
        if user is not None:
            cfg["process"]["user"] = user
        if nnp is not None:
            cfg["process"]["noNewPrivileges"] = nnp

    b = bundle(args, edit=edit)
    return rt("run", "--bundle", b, "c1")


def test_errno_eperm(rt, bundle):
    res = run_with(rt, bundle,
                   profile([{"names": MKDIR, "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]),
                   ["sh", "-c", "mkdir /dev/shm/x; echo rc=$?; touch /dev/shm/f && echo ok"])
    assert res.returncode == 0, res.stderr
    assert "Operation not permitted" in res.stderr
    assert res.stdout.split() == ["rc=1", "ok"]


def test_errno_enosys(rt, bundle):
    res = run_with(rt, bundle,
                   profile([{"names": MKDIR, "action": "SCMP_ACT_ERRNO", "errnoRet": 38}]),
                   ["mkdir", "/dev/shm/x"])
    assert res.returncode == 1
    assert "Function not implemented" in res.stderr


def test_errno_default_is_eperm(rt, bundle):
    # A rule without errnoRet returns EPERM (runc's behaviour).
    res = run_with(rt, bundle, profile([{"names": MKDIR, "action": "SCMP_ACT_ERRNO"}]),
                   ["mkdir", "/dev/shm/x"])
    assert res.returncode == 1
    assert "Operation not permitted" in res.stderr


def test_argument_condition(rt, bundle):
    # kill(pid, SIGUSR1) is refused; kill(pid, 0) and other signals are not.
    rule = {"names": ["kill"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13,
            "args": [{"index": 1, "value": 10, "op": "SCMP_CMP_EQ"}]}
    script = ("trap 'echo got-usr2' USR2; kill -USR1 $$ 2>&1; echo usr1=$?; kill -0 $$; "
              "echo zero=$?; kill -USR2 $$; echo usr2=$?")
    res = run_with(rt, bundle, profile([rule]), ["sh", "-c", script])
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert "Permission denied" in lines[0]
    assert lines[1:] == ["usr1=1", "zero=0", "got-usr2", "usr2=0"], res.stdout


def test_masked_argument_condition(rt, bundle):
    # chmod to a world-writable mode (mode & 0o002 == 0o002) is refused, others are not.
    # busybox's chmod uses chmod(path, mode) (arg 1); fchmodat(dirfd, path, mode) has it in arg 2.
    def rule(name, index):
        return {"names": [name], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
                "args": [{"index": index, "value": 0o2, "valueTwo": 0o2,
                          "op": "SCMP_CMP_MASKED_EQ"}]}

    script = ("touch /dev/shm/f; chmod 755 /dev/shm/f; echo a=$?; chmod 757 /dev/shm/f; "
              "echo b=$?; chmod 700 /dev/shm/f; echo c=$?; stat -c %a /dev/shm/f")
    res = run_with(rt, bundle, profile([rule("chmod", 1), rule("fchmodat", 2)]),
                   ["sh", "-c", script])
    assert res.stdout.split() == ["a=0", "b=1", "c=0", "700"], res.stdout + res.stderr
    assert "Operation not permitted" in res.stderr


def all_syscalls():
    with open("/usr/include/x86_64-linux-gnu/asm/unistd_64.h") as f:
        return re.findall(r"#define __NR_(\w+)\s+\d+", f.read())


def test_default_errno_ret(rt, bundle):
    # Everything is allowed but mkdir/mkdirat, which fall through to the default action.
    allowed = [n for n in all_syscalls() if n not in MKDIR]
    res = run_with(rt, bundle,
                   profile([{"names": allowed, "action": "SCMP_ACT_ALLOW"}],
                           default="SCMP_ACT_ERRNO", defaultErrnoRet=95),
                   ["sh", "-c", "mkdir /dev/shm/x; echo rc=$?"])
    assert res.returncode == 0, res.stderr
    assert "Operation not supported" in res.stderr  # EOPNOTSUPP = 95
    assert res.stdout.strip() == "rc=1"


@pytest.mark.parametrize("action", ["SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL"])
def test_kill_action(rt, bundle, action):
    res = run_with(rt, bundle, profile([{"names": MKDIR, "action": action}]),
                   ["mkdir", "/dev/shm/x"])
    assert res.returncode == 128 + 31, f"rc={res.returncode} {res.stderr}"  # SIGSYS


def test_filter_for_non_root_without_no_new_privs(rt, bundle):
    # Loading a filter without no_new_privs needs CAP_SYS_ADMIN, so the runtime must load it
    # before it drops to uid 1000 and its capabilities.
    res = run_with(rt, bundle,
                   profile([{"names": MKDIR, "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]),
                   ["sh", "-c", "id -u; grep NoNewPrivs /proc/self/status; mkdir /dev/shm/x"],
                   user={"uid": 1000, "gid": 1000}, nnp=False)
    assert res.returncode == 1, res.stderr
    assert res.stdout.split() == ["1000", "NoNewPrivs:", "0"]
    assert "Operation not permitted" in res.stderr


def test_unknown_action_fails_create(rt, bundle):
    res = run_with(rt, bundle, profile([{"names": MKDIR, "action": "SCMP_ACT_BOGUS"}]), ["true"])
    assert res.returncode != 0
    assert "SCMP_ACT_BOGUS" in res.stderr


class ListenerServer:
    """A unix socket that receives a seccomp notify fd (SCM_RIGHTS) plus the state JSON, then
    closes the fd: the kernel answers every pending and later notification with ENOSYS."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(1)
        self.sock.settimeout(10)
        self.payload, self.fds, self.error = b"", [], None
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        try:
            conn, _ = self.sock.accept()
            with conn:
                conn.settimeout(10)
                fds = array.array("i")
                while True:  # until the JSON is complete or the sender closes
                    msg, anc, _, _ = conn.recvmsg(65536, socket.CMSG_SPACE(4 * fds.itemsize))
                    for level, typ, data in anc:
                        if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
                            fds.frombytes(data[:len(data) - len(data) % fds.itemsize])
                    self.fds = list(fds)
                    self.payload += msg
                    if not msg or self._complete():
                        break
        except Exception as e:  # reported by the test
            self.error = e
        finally:
            for fd in self.fds:
                os.close(fd)

    def _complete(self):
        try:
            json.loads(self.payload)
            return True
        except ValueError:
            return False

    def close(self):
        if self.thread.is_alive() and not self.fds:
            # Nobody connected (the runtime failed): wake accept() instead of waiting it out.
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                try:
                    s.connect(self.path)
                except OSError:
                    pass
        self.thread.join(timeout=15)
        self.sock.close()


def test_notify_listener_receives_fd(rt, bundle, tmp_path):
    server = ListenerServer(str(tmp_path / "listener.sock"))
    try:
        seccomp = profile([{"names": MKDIR, "action": "SCMP_ACT_NOTIFY"}],
                          listenerPath=server.path, listenerMetadata="berth-meta")
        res = run_with(rt, bundle, seccomp, ["sh", "-c", "mkdir /dev/shm/x; echo rc=$?"])
    finally:
        server.close()
    assert res.returncode == 0, res.stderr
    assert server.error is None, server.error
    assert len(server.fds) == 1
    state = json.loads(server.payload)
    assert state["fds"] == ["seccompFd"]
    assert state["metadata"] == "berth-meta"
    assert state["state"]["id"] == "c1"
    assert state["pid"] > 0
    assert "Function not implemented" in res.stderr
    assert res.stdout.strip() == "rc=1"


def test_unknown_syscall_name_is_ignored(rt, bundle):
    # Profiles list syscalls newer than the local libseccomp; runc skips those with a warning.
    res = run_with(rt, bundle,
                   profile([{"names": ["no_such_syscall_xyz"] + MKDIR, "action": "SCMP_ACT_ERRNO",
                             "errnoRet": 1}]),
                   ["mkdir", "/dev/shm/x"])
    assert res.returncode == 1, res.stderr
    assert "Operation not permitted" in res.stderr


def test_flags_and_log_action(rt, bundle):
    seccomp = profile([{"names": MKDIR, "action": "SCMP_ACT_LOG"},
                       {"names": ["rmdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}],
                      flags=["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"])
    res = run_with(rt, bundle, seccomp,
                   ["sh", "-c", "mkdir /dev/shm/x && echo made; rmdir /dev/shm/x; echo rc=$?"])
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["made", "rc=1"]

