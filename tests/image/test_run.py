"""End-to-end tests of `berth-image run`: a container from an image's layers through the
runtime library, in the foreground, exit codes like docker's, removed afterwards."""

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest


@pytest.fixture
def b(bimg, busybox_tar):
    r = bimg.run("import", "-c", "ENV FROM_IMAGE=yes", "-c", "WORKDIR /tmp",
                 busybox_tar, "busybox:latest")
    assert r.stdout_s.startswith("sha256:")
    yield bimg
    assert_clean(bimg)


def assert_clean(bimg):
    with open("/proc/self/mountinfo") as f:
        mounts = [l.split()[4] for l in f if bimg.root in l.split()[4]]
    assert mounts == [], f"left mounted: {mounts}"
    tmp = Path(bimg.root) / "image" / "buildcache" / "tmp"
    if tmp.is_dir():
        assert os.listdir(tmp) == [], "container dirs left behind"
    left = [n for n in os.listdir(bimg.runtime_root) if not n.startswith("@")]
    assert left == [], f"containers left in the runtime root: {left}"


def test_exit_codes(b):
    assert b.run("run", "--rm", "busybox", "true").returncode == 0
    assert b.run("run", "busybox", "sh", "-c", "exit 7", check=False).returncode == 7
    assert b.run("run", "busybox", "sh", "-c", "exit 255", check=False).returncode == 255
    r = b.run("run", "busybox", "no-such-command", check=False)
    assert r.returncode == 127 and "no-such-command" in r.stderr_s
    r = b.run("run", "no-such-image", "true", check=False)
    assert r.returncode == 125 and "no-such-image" in r.stderr_s


def test_process_settings(b):
    name = f"runtest-{os.getpid()}"
    script = ("id; pwd; echo $FROM_IMAGE $FOO $HOME; hostname; "
              "ls /sys/class/net; ls -d /proc/1")
    r = b.run("run", "--name", name, "-e", "FOO=bar baz", "busybox", "sh", "-c", script)
    lines = r.stdout_s.splitlines()
    assert lines[0].startswith("uid=0(root) gid=0(root)")
    assert lines[1] == "/tmp"  # WorkingDir from the image
    assert lines[2] == "yes bar baz /root"
    assert lines[3] == name[:12]
    assert lines[4] == "lo"  # a fresh network namespace: loopback only
    assert lines[5] == "/proc/1"
    # A missing working directory is created (owned by root, as docker does).
    r = b.run("run", "-u", "app", "-w", "/new/dir", "busybox", "sh", "-c",
              "id -un; id -g; pwd; echo $HOME; stat -c %U .")
    assert r.stdout_s.splitlines() == ["app", "1000", "/new/dir", "/home/app", "root"]
    r = b.run("run", "-u", "1234:5678", "busybox", "id")
    assert r.stdout_s.startswith("uid=1234 gid=5678")
    r = b.run("run", "-u", "nosuchuser", "busybox", "true", check=False)
    assert r.returncode == 125 and "unable to find user nosuchuser" in r.stderr_s


def test_entrypoint_cmd_and_stdin(b):
    r = b.run("run", "--entrypoint", "echo", "busybox", "a", "b")
    assert r.stdout_s == "a b\n"
    r = b.run("run", "busybox", "cat", input=b"from stdin\n")
    assert r.stdout_s == "from stdin\n"
    # Changes are thrown away with the container.
    b.run("run", "busybox", "sh", "-c", "echo x > /marker")
    assert b.run("run", "busybox", "ls", "/marker", check=False).returncode != 0


def test_signal_is_forwarded(b):
    proc = subprocess.Popen(
        b.argv("run", "busybox", "sh", "-c",
               "trap 'echo got-term; exit 42' TERM; echo ready; while :; do sleep 0.1; done"),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert proc.stdout.readline() == b"ready\n"
        time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 42, err
        assert out == b"got-term\n"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
