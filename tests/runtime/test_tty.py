"""process.terminal: the runtime makes a pty in the container and hands its master to the
--console-socket; the container's stdio is the slave, sized by process.consoleSize."""

import array
import errno
import os
import select
import socket
import threading
import time

from conftest import needs_root
from unique_cgroups import bundle  # noqa: F401 - shadows conftest's

pytestmark = needs_root


class ConsoleServer:
    """The caller's end of --console-socket: receives the pty master (SCM_RIGHTS), optionally
    types `send` into it, and reads it until the container side closes (EIO) or `timeout`."""

    def __init__(self, path, send=b"", timeout=15.0):
        self.path = str(path)
        self.send = send
        self.timeout = timeout
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        self.sock.listen(1)
        self.sock.settimeout(timeout)
        self.name, self.fd, self.output, self.error = None, None, b"", None
        self.was_tty = False
        self.received = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        try:
            conn, _ = self.sock.accept()
            with conn:
                fds = array.array("i")
                msg, anc, _, _ = conn.recvmsg(4096, socket.CMSG_SPACE(fds.itemsize))
                for level, typ, data in anc:
                    if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
                        fds.frombytes(data[:len(data) - len(data) % fds.itemsize])
            self.name = msg.decode(errors="replace")
            if len(fds) != 1:
                raise RuntimeError(f"expected one fd, got {len(fds)}")
            self.fd = fds[0]
            self.was_tty = os.isatty(self.fd)
            self.received.set()
            if self.send:
                os.write(self.fd, self.send)
            self._drain()
        except Exception as e:  # reported by the test
            self.error = e
        finally:
            self.received.set()

    def _drain(self):
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.fd], [], [], 0.2)
            if not ready:
                continue
            try:
                chunk = os.read(self.fd, 4096)
            except OSError as e:
                if e.errno == errno.EIO:  # every slave fd is closed: the container is done
                    return
                raise
            if not chunk:
                return
            self.output += chunk

    def close(self):
        if self.thread.is_alive() and self.fd is None:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:  # wake accept()
                try:
                    s.connect(self.path)
                except OSError:
                    pass
        self.thread.join(timeout=self.timeout + 5)
        if self.fd is not None:
            os.close(self.fd)
        self.sock.close()

    def text(self):
        return self.output.decode(errors="replace").replace("\r\n", "\n")


def tty_bundle(bundle, script, size=(40, 120)):
    def edit(cfg):
        cfg["process"]["terminal"] = True
        cfg["process"]["consoleSize"] = {"height": size[0], "width": size[1]}

    return bundle(["sh", "-c", script], edit=edit)


def run_detached_tty(rt, server, b):
    """`run -d --console-socket` (runc refuses a console socket without -d), then the output
    up to the container's exit."""
    try:
        res = rt("run", "--detach", "--console-socket", server.path, "--bundle", b, "c1")
        assert res.returncode == 0, f"run -d: {res.stderr}"
    finally:
        server.close()
    assert server.error is None, server.error
    return server.text()


def test_run_with_console_socket(rt, bundle, tmp_path):
    # Foreground `run` with a console socket (runc refuses it; podman never asks for it) still
    # reports the exit status.
    server = ConsoleServer(tmp_path / "console.sock")
    try:
        b = tty_bundle(bundle, "stty size; tty; [ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo all-tty; "
                       "exit 4")
        res = rt("run", "--console-socket", server.path, "--bundle", b, "c1")
    finally:
        server.close()
    assert server.error is None, server.error
    assert server.was_tty
    assert res.returncode == 4, f"run: rc={res.returncode} {res.stderr}"
    lines = server.text().splitlines()
    assert lines[0] == "40 120", lines
    assert lines[1] in ("/dev/pts/0", "/dev/console"), lines
    assert lines[2] == "all-tty"


def test_create_start_with_console_socket(rt, bundle, tmp_path):
    server = ConsoleServer(tmp_path / "console.sock")
    try:
        b = tty_bundle(bundle, "stty size; tty", size=(25, 81))
        res = rt("create", "--console-socket", server.path, "--bundle", b, "c1")
        assert res.returncode == 0, f"create: {res.stderr}"
        assert server.received.wait(10), "no pty master arrived at the console socket"
        assert server.was_tty
        assert rt("start", "c1").returncode == 0
    finally:
        server.close()
    assert server.error is None, server.error
    lines = server.text().splitlines()
    assert lines[0] == "25 81"
    assert lines[1] in ("/dev/pts/0", "/dev/console"), lines


def test_terminal_input(rt, bundle, tmp_path):
    server = ConsoleServer(tmp_path / "console.sock", send=b"typed-line\n")
    out = run_detached_tty(rt, server, tty_bundle(bundle, "read -r line; echo got:$line"))
    assert "got:typed-line" in out.splitlines(), out


def test_dev_console_is_the_pty(rt, bundle, tmp_path):
    server = ConsoleServer(tmp_path / "console.sock")
    out = run_detached_tty(rt, server, tty_bundle(
        bundle, "echo via-console > /dev/console; stat -c '%t' /dev/console"))
    # /dev/console is the pty slave (major 136 = 0x88), so writing to it reaches the master.
    assert out.splitlines() == ["via-console", "88"], out


def test_terminal_without_console_socket_fails(rt, bundle, rroot):
    b = tty_bundle(bundle, "true")
    res = rt("create", "--bundle", b, "c1")
    assert res.returncode != 0
    assert "console" in res.stderr.lower(), res.stderr
    assert not os.path.exists(os.path.join(rroot, "c1"))
