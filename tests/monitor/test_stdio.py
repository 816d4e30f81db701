"""stdin, TTYs and attachers."""

import json
import socket
import struct
import subprocess
import tempfile
import time

from conftest import RUNTIME, TOOL, wait_for


def attach_raw(state_dir, flags):
    """An attach connection by hand: the 8-byte request, the one-byte answer."""
    s = socket.socket(socket.AF_UNIX)
    s.connect(str(state_dir / "attach.sock"))
    s.sendall(bytes([ord("A"), flags, 0, 0, 0, 0, 0, 0]))
    assert s.recv(1) == b"k"
    return s


def read_frame(s):
    """One frame of docker's multiplexed stream: (stream, payload)."""
    hdr = s.recv(8, socket.MSG_WAITALL)
    assert len(hdr) == 8 and hdr[1:4] == b"\0\0\0"
    size = struct.unpack(">I", hdr[4:])[0]
    return hdr[0], s.recv(size, socket.MSG_WAITALL)


def test_stdin_once_closes_stdin(env):
    b = env.bundle("sh", "-c", "cat; echo eof-seen")
    res = env.run("s1", b, "--stdin", "--stdin-once", input=b"hello\nworld\n")
    assert res.returncode == 0, res.stderr
    assert res.stdout.decode().startswith("hello\nworld\neof-seen\n")
    assert [e["log"] for e in env.log_entries("s1")] == ["hello\n", "world\n", "eof-seen\n"]


def test_stdin_without_once_stays_open(env):
    b = env.bundle("sh", "-c", "while read l; do echo got $l; done; echo closed")
    env.run_detached("s2", b, "--stdin")
    d = env.state_dir("s2")
    # Each attacher sends a line and half-closes: stdin stays open for the next one.
    for word in ("one", "two"):
        s = attach_raw(d, 1 | 2 | 4)
        s.sendall(word.encode() + b"\n")
        s.shutdown(socket.SHUT_WR)
        stream, data = read_frame(s)
        assert (stream, data) == (1, f"got {word}\n".encode())
        s.close()
    assert env.inspect("s2")["monitorAlive"]
    subprocess.run([RUNTIME, "--root", env.runtime_root, "kill", "s2", "KILL"], check=True)
    assert env.tool("wait", "--state-dir", d).returncode == 137


def test_tty_size_from_the_first_instant(env):
    b = env.bundle("sh", "-c", "stty size; tty", tty=True)
    res = env.run("t1", b, "--tty", "--height", "33", "--width", "111")
    assert res.returncode == 0, res.stderr
    out = res.stdout.decode()
    assert out.startswith("33 111\r\n/dev/pts/0\r\n"), out
    assert [e["log"] for e in env.log_entries("t1")] == ["33 111\r\n", "/dev/pts/0\r\n"]
    assert all(e["stream"] == "stdout" for e in env.log_entries("t1"))


def test_tty_resize_and_stdin(env):
    # Reads a line from the terminal, then prints the size it has then.
    b = env.bundle("sh", "-c", "read l; echo got $l; stty size", tty=True)
    env.run_detached("t2", b, "--tty", "--stdin", "--height", "10", "--width", "20")
    d = env.state_dir("t2")
    env.tool("resize", "--state-dir", d, "--height", "44", "--width", "132", check=True)
    s = attach_raw(d, 1 | 2 | 4)
    s.sendall(b"hi\r")
    data = b""
    while True:  # raw stream (no frames) until EOF
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    assert b"got hi\r\n" in data and b"44 132\r\n" in data, data
    assert env.tool("wait", "--state-dir", d).returncode == 0


def test_tty_config_mismatch_is_an_error(env):
    b = env.bundle("true", tty=False)
    res = env.run("t3", b, "--tty")
    assert res.returncode != 0
    assert b"process.terminal is false" in res.stderr


def test_several_attachers_and_a_stalled_one(env):
    # A client that never reads is dropped; the container and the others go on.
    b = env.bundle("sh", "-c", "sleep 0.5; seq 1 1000000; echo end")
    env.run_detached("a1", b)
    d = env.state_dir("a1")
    stalled = attach_raw(d, 2 | 4)
    files = [tempfile.TemporaryFile() for _ in range(2)]
    readers = [subprocess.Popen([TOOL, "attach", "--state-dir", d], stdout=f) for f in files]
    for r in readers:
        r.wait(timeout=60)
    for f in files:
        f.seek(0)
        lines = f.read().decode().splitlines()
        assert lines[-1] == "end" and lines[-2] == "1000000" and len(lines) == 1000001
    assert env.tool("wait", "--state-dir", d).returncode == 0
    # The stalled client got a prefix of the stream (its last frame maybe cut), then EOF.
    stalled.settimeout(5)
    got = b""
    while True:
        chunk = stalled.recv(1 << 20)
        if not chunk:
            break
        got += chunk
    off = 0
    while off + 8 <= len(got):
        size = struct.unpack(">I", got[off + 4:off + 8])[0]
        assert got[off] in (1, 2) and got[off + 1:off + 4] == b"\0\0\0"
        off += 8 + size
    total = sum(len(str(i)) + 1 for i in range(1, 1000001)) + 4
    assert 1 << 20 < len(got) < total  # it was dropped, not waited for
    assert len(env.log_entries("a1")) == 1000001
