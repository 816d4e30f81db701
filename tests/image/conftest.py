"""Fixtures for the end-to-end image tests.

berth-image comes from $BERTH_IMAGE (ctest sets it), else <repo>/build/src/cmd/berth-image/
berth-image. Each test gets a throwaway --root; `registry` starts Debian's docker-registry on a
free 127.0.0.1 port with a temp storage dir and stops it afterwards, pass or fail.
"""

import os
import shutil
import socket
import subprocess
import tarfile
import tempfile
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DEFAULT_IMAGE = REPO / "build" / "src" / "cmd" / "berth-image" / "berth-image"
DEFAULT_RUNTIME = REPO / "build" / "src" / "cmd" / "berth-runtime" / "berth-runtime"
BUSYBOX = "/bin/busybox"


def image_tool():
    return os.path.abspath(os.environ.get("BERTH_IMAGE") or DEFAULT_IMAGE)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=15.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port}")


class Bimg:
    """Runs berth-image with a private --root."""

    def __init__(self, root, runtime_root):
        self.root = root
        self.runtime_root = runtime_root
        self.exe = image_tool()

    def argv(self, *args):
        return [self.exe, "--root", self.root, "--runtime-root", self.runtime_root, *args]

    def run(self, *args, check=True, timeout=300, input=None, env=None):
        r = subprocess.run(self.argv(*args), capture_output=True, timeout=timeout, input=input,
                           env=env)
        r.stdout_s = r.stdout.decode(errors="replace")
        r.stderr_s = r.stderr.decode(errors="replace")
        if check and r.returncode != 0:
            raise AssertionError(f"{' '.join(self.argv(*args))} -> {r.returncode}\n"
                                 f"stdout: {r.stdout_s}\nstderr: {r.stderr_s}")
        return r


@pytest.fixture
def bimg(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("needs root (overlay mounts, namespaces)")
    exe = image_tool()
    if not os.access(exe, os.X_OK):
        pytest.fail(f"{exe} is not an executable (build it or set BERTH_IMAGE)")
    root = tmp_path / "root"
    rroot = tmp_path / "rt"
    root.mkdir()
    rroot.mkdir()
    b = Bimg(str(root), str(rroot))
    yield b
    # Unmount anything a failed test left mounted under the root, then remove it.
    with open("/proc/self/mountinfo") as f:
        mounts = [l.split()[4] for l in f]
    for m in sorted((m for m in mounts if m.startswith(str(tmp_path))), reverse=True):
        subprocess.run(["umount", "-l", m], capture_output=True)


def make_busybox_rootfs(dest):
    """A minimal busybox userland (static busybox + applet links + /etc files) in dest."""
    dest = Path(dest)
    for d in ("bin", "etc", "tmp", "root", "proc", "sys", "dev", "var/www"):
        (dest / d).mkdir(parents=True, exist_ok=True)
    shutil.copy2(BUSYBOX, dest / "bin" / "busybox")
    applets = subprocess.run([BUSYBOX, "--list"], capture_output=True, text=True,
                             check=True).stdout.split()
    for a in applets:
        if a != "busybox":
            os.symlink("busybox", dest / "bin" / a)
    (dest / "etc" / "passwd").write_text(
        "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n"
        "app:x:1000:1000:app:/home/app:/bin/sh\n")
    (dest / "etc" / "group").write_text("root:x:0:\nnogroup:x:65534:\napp:x:1000:\n")
    os.chmod(dest / "tmp", 0o1777)
    return dest


@pytest.fixture(scope="session")
def busybox_tar(tmp_path_factory):
    """A gzip rootfs tarball of busybox (for `berth-image import`)."""
    d = tmp_path_factory.mktemp("bbroot")
    make_busybox_rootfs(d / "rootfs")
    out = d / "busybox.tar.gz"
    with tarfile.open(out, "w:gz") as t:
        for p in sorted((d / "rootfs").iterdir()):
            t.add(p, arcname=p.name)
    return str(out)


class Registry:
    def __init__(self, port, storage, proc, log):
        self.port = port
        self.host = f"127.0.0.1:{port}"
        self.storage = storage
        self.proc = proc
        self.log = log


def start_registry(tmp, extra_config=""):
    exe = shutil.which("docker-registry") or "/usr/bin/docker-registry"
    if not os.access(exe, os.X_OK):
        pytest.fail("docker-registry is not installed (apt-get install docker-registry)")
    port = free_port()
    storage = Path(tmp) / "registry-data"
    storage.mkdir(parents=True, exist_ok=True)
    cfg = Path(tmp) / "registry.yml"
    cfg.write_text(f"""version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: {storage}
  delete:
    enabled: true
http:
  addr: 127.0.0.1:{port}
{extra_config}""")
    log = open(Path(tmp) / "registry.log", "wb")
    proc = subprocess.Popen([exe, "serve", str(cfg)], stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_port(port)
    except TimeoutError:
        proc.kill()
        proc.wait()
        log.close()
        raise AssertionError((Path(tmp) / "registry.log").read_text())
    return Registry(port, storage, proc, log)


def stop_registry(r):
    r.proc.terminate()
    try:
        r.proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        r.proc.kill()
        r.proc.wait()
    r.log.close()


@pytest.fixture
def registry(tmp_path):
    r = start_registry(tmp_path / "reg")
    yield r
    stop_registry(r)
