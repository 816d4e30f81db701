"""Processes for the image benchmark: timing under GNU time, the registry, and the tools
(berth-image, podman, docker with its own dockerd), each with a fresh store per run."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

TIME = "/usr/bin/time"  # GNU time (Debian package `time`)


def log(msg):
    print(f"# {msg}", file=sys.stderr, flush=True)

# ---------------------------------------------------------------------------------------------
# Helpers

def sh(argv, check=True, env=None, timeout=600, **kw):
    r = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=timeout, **kw)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, argv))} exited {r.returncode}: "
                           f"{(r.stderr or r.stdout).strip()[-800:]}")
    return r


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(pred, timeout, what):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return
        time.sleep(0.05)
    raise TimeoutError(f"timed out waiting for {what}")


def port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def umount_under(path):
    """Lazily unmounts everything mounted at or below path (deepest first)."""
    path = os.path.realpath(path)
    with open("/proc/self/mountinfo") as f:
        mounts = [l.split()[4] for l in f]
    for m in sorted({m for m in mounts if m == path or m.startswith(path + "/")}, reverse=True):
        subprocess.run(["umount", "-l", m], capture_output=True)


def remove_tree(path):
    if os.path.lexists(path):
        umount_under(path)
        shutil.rmtree(path, ignore_errors=True)


def kill_children(pid):
    try:
        kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return
    for k in kids:
        try:
            os.kill(int(k), signal.SIGKILL)
        except ProcessLookupError:
            pass


class Timed:
    """One measured process: wall seconds, peak RSS KiB and CPU seconds (from GNU time)."""

    def __init__(self, wall, rss_kib, cpu):
        self.wall, self.rss_kib, self.cpu = wall, rss_kib, cpu


def run_timed(argv, work, env=None, stdout_path=None):
    """Runs argv under GNU time; returns Timed. Raises with the stderr tail on failure."""
    tfile = os.path.join(work, "time.out")
    efile = os.path.join(work, "stderr.out")
    ofile = stdout_path or os.devnull
    argv = [TIME, "-f", "%M %U %S", "-o", tfile, *map(str, argv)]
    with open(efile, "wb") as err, open(ofile, "wb") as out:
        t0 = time.perf_counter()
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env)
        try:
            _, status, _ = os.wait4(p.pid, 0)
        except BaseException:  # interrupted: do not leave the tool running in our work dir
            kill_children(p.pid)  # the tool, by its pid (GNU time forwards no signal)
            p.kill()
            p.wait()
            raise
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        msg = Path(efile).read_text(errors="replace").strip()
        raise RuntimeError(f"{' '.join(argv[6:])} exited {p.returncode}: {msg[-800:]}")
    fields = Path(tfile).read_text().split()[-3:]
    timed = Timed(wall, int(fields[0]), float(fields[1]) + float(fields[2]))
    timed.user, timed.sys = float(fields[1]), float(fields[2])
    return timed


# ---------------------------------------------------------------------------------------------
# Registry

class Registry:
    def __init__(self, work):
        exe = shutil.which("docker-registry") or "/usr/bin/docker-registry"
        if not os.access(exe, os.X_OK):
            raise RuntimeError("docker-registry is not installed (apt-get install docker-registry)")
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        d = Path(work) / "registry"
        (d / "data").mkdir(parents=True)
        cfg = d / "registry.yml"
        cfg.write_text(f"""version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: {d / 'data'}
http:
  addr: 127.0.0.1:{self.port}
""")
        self.logf = open(d / "registry.log", "wb")
        self.proc = subprocess.Popen([exe, "serve", str(cfg)], stdout=self.logf,
                                     stderr=subprocess.STDOUT)
        try:
            wait_for(lambda: port_open(self.port) or self.proc.poll() is not None, 15,
                     "docker-registry")
            if self.proc.poll() is not None:
                raise RuntimeError("docker-registry exited: " +
                                   (d / "registry.log").read_text()[-800:])
        except Exception:
            self.stop()
            raise

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.logf.close()


# ---------------------------------------------------------------------------------------------
# Tools

class Tool:
    def __init__(self, name):
        self.name = name
        self.dir = None
        self.samples = {}  # metric -> [Timed]
        self.error = None
        self.version = ""

    def add(self, metric, timed):
        self.samples.setdefault(metric, []).append(timed)

    def stop(self):
        pass

    def release(self):
        """Stops what runs (dockerd) and unmounts what is left mounted; keeps the files."""
        self.stop()
        if self.dir:
            umount_under(self.dir)
        self.dir = None

    def cleanup(self):
        d = self.dir
        self.release()
        if d:
            remove_tree(d)


class Berth(Tool):
    def __init__(self, exe, work):
        super().__init__("berth-image")
        self.exe, self.work = exe, work
        self.version = exe

    def fresh(self, label):
        root = Path(self.work) / f"berth-{label}"
        (root / "store").mkdir(parents=True)
        (root / "rt").mkdir()
        self.dir = root
        return root

    def base(self):
        return [self.exe, "--root", self.dir / "store", "--runtime-root", self.dir / "rt"]

    def pull(self, ref, registry_host):
        return [*self.base(), "--insecure-registry", registry_host, "pull", "-q", ref]

    def image_id(self, ref):
        r = sh([*self.base(), "inspect", ref])
        data = json.loads(r.stdout)
        data = data[0] if isinstance(data, list) else data
        return data.get("Id") or data.get("id")

    def import_base(self, tarball, ref):
        sh([*self.base(), "import", tarball, ref])

    def build(self, ctx, tag):
        return [*self.base(), "build", "-q", "-t", tag, ctx]


class Podman(Tool):
    def __init__(self, work):
        super().__init__("podman")
        self.work = work
        self.version = sh(["podman", "--version"]).stdout.strip()

    def fresh(self, label):
        d = Path(self.work) / f"podman-{label}"
        for sub in ("root", "run", "tmp"):
            (d / sub).mkdir(parents=True)
        self.dir = d
        return d

    def base(self):
        d = self.dir
        return ["podman", "--root", d / "root", "--runroot", d / "run", "--tmpdir", d / "tmp",
                "--storage-driver", "overlay", "--cgroup-manager", "cgroupfs",
                "--runtime", "runc", "--events-backend", "file"]

    def pull(self, ref, registry_host):
        return [*self.base(), "pull", "-q", "--tls-verify=false", ref]

    def image_id(self, ref):
        return "sha256:" + sh([*self.base(), "image", "inspect", "--format", "{{.Id}}", ref]
                              ).stdout.strip()

    def import_base(self, tarball, ref):
        sh([*self.base(), "import", "-q", tarball, ref])

    def build(self, ctx, tag):
        return [*self.base(), "build", "-q", "--pull=never", "--network", "none",
                "--ulimit", "nofile=20000:20000", "--ulimit", "nproc=4096:4096",
                "-t", tag, ctx]


class Docker(Tool):
    """docker pull against a dockerd started per pull with fresh data and exec roots."""

    def __init__(self, work):
        super().__init__("docker")
        self.work = work
        self.dockerd = shutil.which("dockerd") or "/usr/sbin/dockerd"
        self.cli = next((c for c in ("/usr/bin/docker", "/usr/local/bin/docker")
                         if os.access(c, os.X_OK)), None)
        if not os.access(self.dockerd, os.X_OK) or not self.cli:
            raise RuntimeError("dockerd or the docker CLI is missing "
                               "(apt-get install --no-install-recommends docker.io)")
        self.version = sh([self.dockerd, "--version"]).stdout.strip()
        self.proc = None

    def fresh(self, label):
        d = Path(self.work) / f"dk-{label}"
        for sub in ("data", "x", "cli"):
            (d / sub).mkdir(parents=True)
        (d / "daemon.json").write_text("{}")
        self.dir = d
        self.sock = d / "s.sock"
        self.env = dict(os.environ, DOCKER_HOST=f"unix://{self.sock}", DOCKER_CONFIG=str(d / "cli"))
        self.logf = open(d / "dockerd.log", "wb")
        self.proc = subprocess.Popen(
            [self.dockerd, "--data-root", d / "data", "--exec-root", d / "x",
             "--pidfile", d / "dockerd.pid", "-H", f"unix://{self.sock}",
             "--config-file", d / "daemon.json", "--storage-driver", "overlay2",
             "--bridge=none", "--iptables=false", "--ip6tables=false", "--ip-forward=false",
             "--ip-masq=false", "--log-level", "warn"],
            stdout=self.logf, stderr=subprocess.STDOUT, start_new_session=True)

        def ready():
            if self.proc.poll() is not None:
                raise RuntimeError("dockerd exited: " +
                                   (d / "dockerd.log").read_text(errors="replace")[-800:])
            return sh([self.cli, "version"], check=False, env=self.env).returncode == 0
        wait_for(ready, 60, "dockerd")
        return d

    def pull(self, ref, registry_host):
        return [self.cli, "pull", "-q", ref]

    def image_id(self, ref):
        return sh([self.cli, "image", "inspect", "--format", "{{.Id}}", ref],
                  env=self.env).stdout.strip()

    def import_base(self, tarball, ref):
        sh([self.cli, "import", tarball, ref], env=self.env)

    def build(self, ctx, tag):
        # The classic builder (docker 20.10's default without DOCKER_BUILDKIT=1).
        self.env["DOCKER_BUILDKIT"] = "0"
        return [self.cli, "build", "-q", "--network", "none", "-t", tag, ctx]

    def daemon_stats(self):
        """(VmHWM KiB, CPU seconds of dockerd and its reaped children)."""
        pid = self.proc.pid
        hwm = 0
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
        f = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        # utime + stime + cutime + cstime: the latter count the reaped children (docker-untar,
        # the chrooted re-exec that extracts each layer).
        cpu = sum(int(x) for x in f[11:15]) / os.sysconf("SC_CLK_TCK")
        return hwm, cpu

    def stop(self):
        if not self.proc:
            return
        containerd_pid = None
        pidfile = self.dir / "x" / "containerd" / "containerd.pid"
        if pidfile.exists():
            try:
                containerd_pid = int(pidfile.read_text().strip())
            except ValueError:
                pass
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        # dockerd stops the containerd it started; make sure (by its own pid, nothing broader).
        if containerd_pid and Path(f"/proc/{containerd_pid}").exists():
            comm = Path(f"/proc/{containerd_pid}/comm").read_text().strip()
            if comm.startswith("containerd"):
                os.kill(containerd_pid, signal.SIGTERM)
                try:
                    wait_for(lambda: not Path(f"/proc/{containerd_pid}").exists(), 10,
                             "containerd to exit")
                except TimeoutError:
                    os.kill(containerd_pid, signal.SIGKILL)
        self.proc = None
        self.logf.close()



def make_tools(names, work, berth_exe):
    tools = []
    for n in names:
        try:
            if n in ("berth", "berth-image"):
                if not os.access(berth_exe, os.X_OK):
                    raise RuntimeError(f"{berth_exe} is not an executable "
                                       "(build it or set $BERTH_IMAGE)")
                tools.append(Berth(berth_exe, work))
            elif n == "podman":
                tools.append(Podman(work))
            elif n == "docker":
                tools.append(Docker(work))
            else:
                raise RuntimeError(f"unknown tool {n}")
        except Exception as e:
            t = Tool(n)
            t.error = str(e)
            tools.append(t)
            log(f"{n}: {e}")
    return tools


