"""Fixtures for the berthd end-to-end tests.

`daemon` starts berthd (from $BERTHD, else <repo>/build/src/cmd/berthd/berthd) in a fresh
network namespace with a throwaway --root/--run-root and a unix socket under the test's tmp
dir, waits for /_ping, and yields a Daemon: `sock`, `env` (DOCKER_HOST, a private
DOCKER_CONFIG), `docker(*args)` (the real docker CLI), `api(method, path, ...)` (raw HTTP over
the socket), `ns_run(argv)` (a command inside the daemon's netns). Teardown, pass or fail:
SIGTERM (then SIGKILL) to berthd, kill what is left in its netns or under its root, unmount
everything under the tmp dir, delete the netns, remove the dirs.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import tarfile
import time
import uuid
from http.client import HTTPConnection
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DEFAULT_BERTHD = REPO / "build" / "src" / "cmd" / "berthd" / "berthd"
DOCKER = "/usr/local/bin/docker"
BUSYBOX = "/bin/busybox"


def berthd_path():
    return os.path.abspath(os.environ.get("BERTHD") or DEFAULT_BERTHD)


class UnixHTTPConnection(HTTPConnection):
    def __init__(self, path, timeout=60):
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self.path)
        self.sock = s


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)


class Daemon:
    def __init__(self, tmp, netns):
        self.tmp = Path(tmp)
        self.netns = netns
        self.nspath = f"/run/netns/{netns}"
        self.root = self.tmp / "root"
        self.run_root = self.tmp / "run"
        self.sock = str(self.tmp / "berth.sock")
        self.host = f"unix://{self.sock}"
        self.log_path = self.tmp / "berthd.log"
        self.proc = None
        self.extra_args = []
        self.daemon_env = {}  # extra environment of berthd (e.g. BERTH_FAILPOINT)
        cfg = self.tmp / "dockercfg"
        cfg.mkdir(exist_ok=True)
        self.env = dict(os.environ, DOCKER_HOST=self.host, DOCKER_CONFIG=str(cfg))
        self.env.pop("DOCKER_CONTEXT", None)

    # --- process -------------------------------------------------------------------------
    def argv(self):
        return ["nsenter", f"--net={self.nspath}", berthd_path(), "--root", str(self.root),
                "--run-root", str(self.run_root), "-H", self.host,
                "--config-file", str(self.tmp / "daemon.json"), "--log-level", "debug",
                *self.extra_args]

    def start(self, timeout=30):
        if getattr(self, "log", None) and not self.log.closed:
            self.log.close()
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.argv(), stdout=self.log, stderr=subprocess.STDOUT,
                                     env=dict(os.environ, **self.daemon_env))
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise AssertionError(f"berthd exited with {self.proc.returncode}:\n{self.logs()}")
            try:
                if self.api("GET", "/_ping", timeout=2).status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"berthd did not answer /_ping in {timeout}s:\n{self.logs()}")

    def stop(self, timeout=20):
        if not self.proc or self.proc.poll() is not None:
            if getattr(self, "log", None):
                self.log.close()
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()

    def logs(self):
        try:
            return self.log_path.read_text(errors="replace")[-8000:]
        except OSError:
            return ""

    # --- clients -------------------------------------------------------------------------
    def docker(self, *args, check=True, timeout=300, input=None, env=None):
        e = dict(self.env, **(env or {}))
        r = subprocess.run([DOCKER, *args], capture_output=True, timeout=timeout, input=input,
                           env=e)
        r.out = r.stdout.decode(errors="replace")
        r.err = r.stderr.decode(errors="replace")
        if check and r.returncode != 0:
            raise AssertionError(f"docker {' '.join(args)} -> {r.returncode}\n"
                                 f"stdout: {r.out}\nstderr: {r.err}\nberthd log:\n{self.logs()}")
        return r

    def api(self, method, path, body=None, headers=None, timeout=60):
        c = UnixHTTPConnection(self.sock, timeout=timeout)
        try:
            if isinstance(body, (dict, list)):
                body = json.dumps(body).encode()
                headers = dict(headers or {}, **{"Content-Type": "application/json"})
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            data = r.read()
            return Response(r.status, {k.lower(): v for k, v in r.getheaders()}, data)
        finally:
            c.close()

    def ns_run(self, argv, **kw):
        return subprocess.run(["nsenter", f"--net={self.nspath}", *argv], **kw)

    def ns_popen(self, argv, **kw):
        return subprocess.Popen(["nsenter", f"--net={self.nspath}", *argv], **kw)

    def wait_port(self, port, timeout=15):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            r = self.ns_run(["bash", "-c", f"exec 3<>/dev/tcp/127.0.0.1/{port}"],
                            capture_output=True)
            if r.returncode == 0:
                return
            time.sleep(0.1)
        raise TimeoutError(f"nothing listens on 127.0.0.1:{port} in the daemon's netns")


def _netns_inode(path):
    try:
        return os.stat(path).st_ino
    except OSError:
        return None


def _kill_leftovers(d):
    """Processes berthd left: anything in its netns, or whose root is under the tmp dir."""
    ino = _netns_inode(d.nspath)
    me = os.getpid()
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == me:
            continue
        try:
            in_ns = ino is not None and os.stat(f"/proc/{pid}/ns/net").st_ino == ino
            root = os.readlink(f"/proc/{pid}/root")
        except OSError:
            continue
        if in_ns or root.startswith(str(d.tmp)):
            try:
                os.kill(int(pid), signal.SIGKILL)
            except OSError:
                pass


def _unmount_under(prefix):
    for _ in range(3):
        with open("/proc/self/mountinfo") as f:
            mounts = [l.split()[4] for l in f]
        mine = sorted((m for m in mounts if m.startswith(str(prefix))), reverse=True)
        if not mine:
            return
        for m in mine:
            subprocess.run(["umount", "-l", m], capture_output=True)


def make_daemon(tmp_path, extra_args=(), daemon_json=None, start=True):
    if os.geteuid() != 0:
        pytest.skip("needs root (namespaces, mounts)")
    exe = berthd_path()
    if not os.access(exe, os.X_OK):
        pytest.fail(f"{exe} is not an executable (build berthd or set BERTHD)")
    netns = f"berthd-test-{uuid.uuid4().hex[:8]}"
    subprocess.run(["ip", "netns", "add", netns], check=True)
    try:
        d = Daemon(tmp_path, netns)
    except BaseException:
        subprocess.run(["ip", "netns", "del", netns], capture_output=True)
        raise
    try:
        subprocess.run(["nsenter", f"--net={d.nspath}", "ip", "link", "set", "lo", "up"],
                       check=True)
        (d.tmp / "daemon.json").write_text(json.dumps(daemon_json or {}))
        d.extra_args = list(extra_args)
        if start:
            d.start()
    except BaseException:
        destroy_daemon(d)  # the caller never gets it to destroy
        raise
    return d


def _remove_cgroups(d):
    """The cgroups of the containers berthd left (a daemon stopped with containers in place
    keeps them, as it should; the test's are gone with its processes)."""
    try:
        ids = os.listdir(d.root / "containers")
    except OSError:
        return
    base = "/sys/fs/cgroup"
    # Containers the test left running: berthd stopped without touching them (live restore),
    # and neither their netns nor their root says whose they are; their cgroup does.
    for h in os.listdir(base):
        for cid in ids:
            try:
                with open(f"{base}/{h}/berth/{cid}/cgroup.procs") as f:
                    pids = [int(x) for x in f.read().split()]
            except (OSError, ValueError):
                continue
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
    for h in os.listdir(base):
        for cid in ids:
            path = f"{base}/{h}/berth/{cid}"
            for _ in range(20):
                try:
                    os.rmdir(path)
                    break
                except FileNotFoundError:
                    break
                except OSError:  # EBUSY until the killed processes are gone
                    time.sleep(0.05)


def destroy_daemon(d):
    try:
        d.stop()
    finally:
        _kill_leftovers(d)
        time.sleep(0.1)
        _unmount_under(d.tmp)
        _remove_cgroups(d)
        subprocess.run(["ip", "netns", "del", d.netns], capture_output=True)
        for p in (d.root, d.run_root):
            shutil.rmtree(p, ignore_errors=True)


@pytest.fixture
def daemon(tmp_path):
    d = make_daemon(tmp_path)
    try:
        yield d
    finally:
        destroy_daemon(d)


# --- images and registries ---------------------------------------------------------------

def make_busybox_rootfs(dest):
    dest = Path(dest)
    for sub in ("bin", "etc", "tmp", "root", "proc", "sys", "dev"):
        (dest / sub).mkdir(parents=True, exist_ok=True)
    shutil.copy2(BUSYBOX, dest / "bin" / "busybox")
    applets = subprocess.run([BUSYBOX, "--list"], capture_output=True, text=True,
                             check=True).stdout.split()
    for a in applets:
        if a != "busybox":
            os.symlink("busybox", dest / "bin" / a)
    (dest / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\n"
                                         "nobody:x:65534:65534:nobody:/:/bin/false\n")
    (dest / "etc" / "group").write_text("root:x:0:\nnogroup:x:65534:\n")
    os.chmod(dest / "tmp", 0o1777)


@pytest.fixture(scope="session")
def busybox_tar(tmp_path_factory):
    """A gzip rootfs tarball of busybox (for `docker import`)."""
    d = tmp_path_factory.mktemp("bbroot")
    make_busybox_rootfs(d / "rootfs")
    out = d / "busybox.tar.gz"
    with tarfile.open(out, "w:gz") as t:
        for p in sorted((d / "rootfs").iterdir()):
            t.add(p, arcname=p.name)
    return str(out)


def find_docker_py():
    """docker-py may live in another python3 of the same minor version (e.g. a pyenv one):
    add its site-packages to sys.path (docker-py and its dependencies are pure Python)."""
    try:
        import docker  # noqa: F401
        return True
    except ImportError:
        pass
    import sys
    want = f"{sys.version_info.major}.{sys.version_info.minor}"
    for exe in (shutil.which("python3", path=os.environ.get("PATH", "") + ":/root/.pyenv/shims"),
                *sorted(Path("/root/.pyenv/versions").glob("*/bin/python3"))):
        if not exe:
            continue
        r = subprocess.run([str(exe), "-c", "import sys, docker, os; print(sys.version[:4].strip());"
                            "print(os.path.dirname(os.path.dirname(docker.__file__)))"],
                           capture_output=True, text=True)
        if r.returncode != 0:
            continue
        ver, site = r.stdout.split()[:2]
        if ver.rstrip(".") == want:
            sys.path.append(site)
            return True
    return False


def import_busybox(d, tar, ref="busybox:latest"):
    r = d.docker("import", tar, ref)
    return r.out.strip()


def free_port_in(d):
    r = d.ns_run(["python3", "-c", "import socket; s=socket.socket(); s.bind(('127.0.0.1',0));"
                  "print(s.getsockname()[1])"], capture_output=True, text=True, check=True)
    return int(r.stdout.strip())


class Registry:
    def __init__(self, port, proc, log):
        self.port = port
        self.host = f"127.0.0.1:{port}"
        self.proc = proc
        self.log = log


def start_registry(d, tmp, extra_config=""):
    """Debian's docker-registry inside the daemon's netns (where berthd reaches it)."""
    exe = shutil.which("docker-registry") or "/usr/bin/docker-registry"
    if not os.access(exe, os.X_OK):
        pytest.fail("docker-registry is not installed (apt-get install docker-registry)")
    tmp = Path(tmp)
    tmp.mkdir(parents=True, exist_ok=True)
    port = free_port_in(d)
    storage = tmp / "data"
    storage.mkdir(exist_ok=True)
    cfg = tmp / "registry.yml"
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
    log = open(tmp / "registry.log", "wb")
    proc = d.ns_popen([exe, "serve", str(cfg)], stdout=log, stderr=subprocess.STDOUT)
    try:
        d.wait_port(port)
    except TimeoutError:
        proc.kill()
        proc.wait()
        log.close()
        raise AssertionError((tmp / "registry.log").read_text())
    return Registry(port, proc, log)


def stop_registry(r):
    r.proc.terminate()
    try:
        r.proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        r.proc.kill()
        r.proc.wait()
    r.log.close()


@pytest.fixture
def registry(daemon, tmp_path):
    r = start_registry(daemon, tmp_path / "registry")
    try:
        yield r
    finally:
        stop_registry(r)
