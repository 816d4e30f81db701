#!/usr/bin/env python3
"""Engine benchmark (issue 5): berthd against podman and dockerd, side by side in one run.

  run.py [-n 10] [--tools berth,podman,docker] [--burst 50,100] [--json out.json]

1. `run --rm busybox true`, with the default bridge network and with `--network none`:
   - berth: the berth CLI against berthd (what a user types; its start-up included);
   - docker-berthd: the docker CLI against berthd (the docker CLI's own ~25 ms of Go included);
   - berth-api: the same API calls (create, attach, wait, start, delete) made from this already
     running process over one keep-alive connection, i.e. what berthd itself costs;
   - podman: `podman run --rm` (runc, cgroupfs, the ulimit flags this machine needs);
   - docker: the docker CLI against a fresh Debian dockerd (docker.io) with its default bridge.
   Ratios are berth / the faster of podman and docker.
2. Bursts: 50 and 100 `run -d busybox sleep 600` sent concurrently (one thread per container,
   API calls create+start), total time until all run, and the daemon's RSS then; dockerd for 50.
3. Idle RSS: berthd and dockerd + its containerd, 12 s after start-up and an image import.

Isolation: everything runs in a private network + mount namespace (unshare), /run is a fresh
tmpfs there (dockerd and containerd use fixed paths), so bridges, addresses and firewall rules
of all three tools stay inside it; the outer process checks the host's links, addresses,
routes and rulesets are unchanged afterwards.
"""

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
INNER = "BERTH_BENCH_ENGINE_INNER"
# Idle RSS is read after this long without a request (berthd gives back what start-up and the
# import touched after 10 s idle; dockerd gets the same wait).
IDLE_S = 12
BERTH_CLI = os.environ.get("BERTH") or str(REPO / "build" / "src" / "cmd" / "berth" / "berth")
DOCKER_CLI = next((c for c in ("/usr/local/bin/docker", "/usr/bin/docker") if os.access(c, os.X_OK)),
                  "docker")


def log(m):
    print(f"[bench] {m}", file=sys.stderr, flush=True)


def sh(argv, check=True, env=None, timeout=600, **kw):
    r = subprocess.run([str(a) for a in argv], capture_output=True, text=True, env=env,
                       timeout=timeout, **kw)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, argv))}: {r.returncode}\n{r.stdout}\n{r.stderr}")
    return r


def wait_for(pred, timeout, what):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return
        time.sleep(0.05)
    raise TimeoutError(what)


def rss_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def busybox_tar(work):
    root = Path(work) / "bbroot"
    for d in ("bin", "etc", "tmp", "proc", "sys", "dev", "root"):
        (root / d).mkdir(parents=True, exist_ok=True)
    shutil.copy2("/bin/busybox", root / "bin" / "busybox")
    for a in sh(["/bin/busybox", "--list"]).stdout.split():
        if a != "busybox":
            os.symlink("busybox", root / "bin" / a)
    (root / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\n")
    (root / "etc" / "group").write_text("root:x:0:\n")
    out = Path(work) / "busybox.tar"
    sh(["tar", "-C", root, "-cf", out, "."])
    return out


# --- berthd ----------------------------------------------------------------------------------

class UnixConn(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=120)
        self.path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(self.path)
        self.sock = s


class Berthd:
    def __init__(self, work):
        self.dir = Path(work) / "berth"
        self.dir.mkdir()
        self.sock = str(self.dir / "s.sock")
        (self.dir / "daemon.json").write_text("{}")
        self.env = dict(os.environ, DOCKER_HOST=f"unix://{self.sock}",
                        DOCKER_CONFIG=str(self.dir))
        exe = os.environ.get("BERTHD") or str(REPO / "build/src/cmd/berthd/berthd")
        self.logf = open(self.dir / "berthd.log", "wb")
        self.proc = subprocess.Popen([exe, "--root", self.dir / "root", "--run-root",
                                      self.dir / "run", "-H", f"unix://{self.sock}",
                                      "--config-file", self.dir / "daemon.json"],
                                     stdout=self.logf, stderr=subprocess.STDOUT)
        wait_for(lambda: os.path.exists(self.sock), 30, "berthd socket")
        self.version = "berthd " + sh([exe, "--version"], check=False).stdout.strip()

    def api(self, conn, method, path, body=None):
        hdrs = {"Content-Type": "application/json"} if body is not None else {}
        conn.request(method, path, body=json.dumps(body) if body is not None else None,
                     headers=hdrs)
        r = conn.getresponse()
        data = r.read()
        if r.status >= 400:
            raise RuntimeError(f"{method} {path}: {r.status} {data[:300]}")
        return json.loads(data) if data else None

    def run_rm_api(self, conn, network):
        """docker run --rm's calls: create, attach (stdout/stderr), wait, start, and the wait
        answer once the container is gone."""
        hc = {"AutoRemove": True, "NetworkMode": network}
        c = self.api(conn, "POST", "/v1.50/containers/create",
                     {"Image": "busybox", "Cmd": ["true"], "HostConfig": hc})
        cid = c["Id"]
        att = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        att.connect(self.sock)
        att.sendall(f"POST /v1.50/containers/{cid}/attach?stream=1&stdout=1&stderr=1 HTTP/1.1\r\n"
                    "Host: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n".encode())
        att.recv(4096)
        waiter = UnixConn(self.sock)
        waiter.request("POST", f"/v1.50/containers/{cid}/wait?condition=removed")
        # The wait's headers come at once; its body once the container is removed.
        self.api(conn, "POST", f"/v1.50/containers/{cid}/start")
        r = waiter.getresponse()
        body = json.loads(r.read())
        waiter.close()
        while att.recv(4096):
            pass
        att.close()
        assert body["StatusCode"] == 0, body

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.logf.close()


class Dockerd:
    def __init__(self, work):
        self.dir = Path(work) / "docker"
        for s in ("data", "x", "cli"):
            (self.dir / s).mkdir(parents=True)
        (self.dir / "daemon.json").write_text("{}")
        self.sock = str(self.dir / "s.sock")
        self.env = dict(os.environ, DOCKER_HOST=f"unix://{self.sock}",
                        DOCKER_CONFIG=str(self.dir / "cli"))
        self.logf = open(self.dir / "dockerd.log", "wb")
        self.proc = subprocess.Popen(
            ["dockerd", "--data-root", self.dir / "data", "--exec-root", self.dir / "x",
             "--pidfile", self.dir / "pid", "-H", f"unix://{self.sock}", "--config-file",
             self.dir / "daemon.json", "--storage-driver", "overlay2", "--log-level", "warn"],
            stdout=self.logf, stderr=subprocess.STDOUT, start_new_session=True)
        wait_for(lambda: sh([DOCKER_CLI, "version"], check=False, env=self.env).returncode == 0,
                 60, "dockerd")
        self.version = sh(["dockerd", "--version"]).stdout.strip()

    def containerd_pid(self):
        p = self.dir / "x" / "containerd" / "containerd.pid"
        try:
            return int(p.read_text().strip())
        except (OSError, ValueError):
            return None

    def stop(self):
        cpid = self.containerd_pid()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        if cpid and Path(f"/proc/{cpid}").exists():
            os.kill(cpid, signal.SIGKILL)
        self.logf.close()


def timed(argv, env=None):
    t0 = time.perf_counter()
    r = subprocess.run(argv, env=env, capture_output=True)
    dt = time.perf_counter() - t0
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: {r.returncode} {r.stderr.decode()[-500:]}")
    return dt


def series(fn, n, warm=2):
    for _ in range(warm):
        fn()
    return [fn() for _ in range(n)]


def burst(start_one, count):
    errs = []

    def wrap(i):
        try:
            start_one(i)
        except Exception as e:  # noqa: BLE001 - reported below
            errs.append(str(e))
    threads = [threading.Thread(target=wrap, args=(i,)) for i in range(count)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    dt = time.perf_counter() - t0
    if errs:
        raise RuntimeError(f"{len(errs)} of {count} failed: {errs[0]}")
    return dt


def med(xs):
    return statistics.median(xs)


def run_inner(args):
    sh(["ip", "link", "set", "lo", "up"])
    sh(["mount", "-t", "tmpfs", "-o", "mode=755,size=256m", "berth-bench-run", "/run"])
    os.makedirs("/run/netns", exist_ok=True)
    work = tempfile.mkdtemp(prefix="berth-bench-engine-", dir="/var/tmp")
    tools = args.tools.split(",")
    res, lines = {}, []
    daemons = []
    try:
        tar = busybox_tar(work)
        print(f"# kernel {os.uname().release}, {os.cpu_count()} cpus, n={args.n}", flush=True)
        runs = {}
        if "berth" in tools:
            b = Berthd(work)
            daemons.append(b)
            sh([DOCKER_CLI, "import", tar, "busybox:latest"], env=b.env)
            res["berthd_rss_after_import_kib"] = rss_kib(b.proc.pid)
            time.sleep(IDLE_S)
            res["berthd_idle_rss_kib"] = rss_kib(b.proc.pid)
            conn = UnixConn(b.sock)
            benv = dict(b.env, BERTH_HOST=f"unix://{b.sock}")
            for net in ("bridge", "none"):
                runs[("berth", net)] = series(lambda: timed(
                    [BERTH_CLI, "run", "--rm", f"--network={net}", "busybox", "true"], benv),
                    args.n)
                runs[("docker-berthd", net)] = series(lambda: timed(
                    [DOCKER_CLI, "run", "--rm", f"--network={net}", "busybox", "true"], b.env),
                    args.n)

                def api_once(net=net):
                    t0 = time.perf_counter()
                    b.run_rm_api(conn, net)
                    return time.perf_counter() - t0
                runs[("berth-api", net)] = series(api_once, args.n)
            for count in [int(x) for x in args.burst.split(",") if x]:
                def start_one(i, count=count):
                    c = UnixConn(b.sock)
                    r = b.api(c, "POST", "/v1.50/containers/create",
                              {"Image": "busybox", "Cmd": ["sleep", "600"]})
                    b.api(c, "POST", f"/v1.50/containers/{r['Id']}/start")
                    c.close()
                dt = burst(start_one, count)
                res[f"berth_burst_{count}_s"] = dt
                res[f"berth_burst_{count}_rss_kib"] = rss_kib(b.proc.pid)
                sh([DOCKER_CLI, "rm", "-f", *sh([DOCKER_CLI, "ps", "-aq"], env=b.env).stdout.split()],
                   env=b.env, check=False)
            b.stop()
        if "podman" in tools:
            pdir = Path(work) / "podman"
            base = ["podman", "--root", pdir / "root", "--runroot", "/run/bpr",
                    "--tmpdir", pdir / "tmp", "--runtime", "runc", "--cgroup-manager", "cgroupfs",
                    "--storage-driver", "overlay"]
            base = [str(x) for x in base]
            sh([*base, "import", tar, "localhost/busybox:latest"])
            for net in ("bridge", "none"):
                runs[("podman", net)] = series(lambda: timed(
                    [*base, "run", "--rm", f"--network={net}", "--ulimit", "nofile=20000:20000",
                     "--ulimit", "nproc=4096:4096", "localhost/busybox", "true"]), args.n)
            sh([*base, "system", "reset", "-f"], check=False)
        if "docker" in tools:
            d = Dockerd(work)
            daemons.append(d)
            sh([DOCKER_CLI, "import", tar, "busybox:latest"], env=d.env)
            time.sleep(IDLE_S)
            cp = d.containerd_pid()
            res["dockerd_idle_rss_kib"] = rss_kib(d.proc.pid) + (rss_kib(cp) if cp else 0)
            for net in ("bridge", "none"):
                runs[("docker", net)] = series(lambda: timed(
                    [DOCKER_CLI, "run", "--rm", f"--network={net}", "busybox", "true"], d.env),
                    args.n)
            if args.docker_burst:
                def dstart(i):
                    sh([DOCKER_CLI, "run", "-d", "busybox", "sleep", "600"], env=d.env)
                res["docker_burst_50_s"] = burst(dstart, 50)
                sh([DOCKER_CLI, "rm", "-f", *sh([DOCKER_CLI, "ps", "-aq"], env=d.env).stdout.split()],
                   env=d.env, check=False)
            d.stop()
        for net in ("bridge", "none"):
            lines.append(f"run --rm busybox true, network {net} (median of {args.n}, seconds):")
            peers = [med(runs[(p, net)]) for p in ("podman", "docker") if (p, net) in runs]
            best = min(peers) if peers else None
            for k in ("berth", "docker-berthd", "berth-api", "podman", "docker"):
                if (k, net) not in runs:
                    continue
                m = med(runs[(k, net)])
                ratio = (f"  ratio to the faster peer {m / best:.3f}"
                         if best and k not in ("podman", "docker") else "")
                lines.append(f"  {k:13s} median {m:.4f}  min {min(runs[(k, net)]):.4f}{ratio}")
                res[f"{k}_{net}_median_s"] = m
        for k in sorted(res):
            if "burst" in k or "idle" in k:
                v = res[k]
                lines.append(f"  {k}: {v / 1024:.1f} MiB" if k.endswith("kib") else f"  {k}: {v:.3f} s")
    finally:
        for dmn in daemons:
            try:
                dmn.stop()
            except Exception:  # noqa: BLE001
                pass
        subprocess.run(["umount", "-R", "-l", work], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)
    print("\n".join(lines), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=1))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=10)
    ap.add_argument("--tools", default="berth,podman,docker")
    ap.add_argument("--burst", default="50,100")
    ap.add_argument("--docker-burst", action="store_true", help="also 50 concurrent docker run -d")
    ap.add_argument("--json")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("needs root")
    if os.environ.get(INNER):
        run_inner(args)
        return
    before = sh(["ip", "-o", "addr"]).stdout + sh(["ip", "route"]).stdout
    env = dict(os.environ, **{INNER: "1"})
    rc = subprocess.call(["unshare", "--net", "--mount", "--propagation", "private", "--",
                          sys.executable, os.path.abspath(__file__), *sys.argv[1:]], env=env)
    after = sh(["ip", "-o", "addr"]).stdout + sh(["ip", "route"]).stdout
    if before != after:
        log("WARNING: the host's addresses or routes changed during the benchmark")
        rc = rc or 3
    sys.exit(rc)


if __name__ == "__main__":
    main()
