#!/usr/bin/env python3
"""Compose benchmark (issue 7): `berth compose` against podman-compose and docker-compose.

  run.py [--rounds 5] [--tools berth,podman,docker] [--json out.json]

The app is examples/compose-app (4 services, 6 containers: kv, 3 x app, front, worker; two
networks, one internal; a named volume; a file secret; two health checks; depends_on
service_healthy; port 8080 published). Its images are built once per tool first (not timed).
Each tool then gets one check round (not timed) and N timed rounds:

  up    wall time from launching the up command until every container runs and every
        container with a health check is healthy:
          berth           `berth -H unix://SOCK compose -p benchapp -f compose.yaml up -d --wait`
          docker-compose  `docker-compose -p benchapp -f compose.yaml up -d` (1.29 has no --wait),
                          then poll dockerd's API (inspect, about 2 ms per container) until healthy
          podman-compose  `podman-compose ... up -d`, then poll `podman inspect` until healthy,
                          running `podman healthcheck run` on the containers whose check is due
                          (see PODMAN below)
        The berth figure goes through the same poll (which finds everything healthy at once).
  down  wall time of `down` (containers and networks removed, the named volume kept):
          berth / docker-compose: `... down`;
          podman-compose: `podman-compose down` + `podman network rm` of the project's networks,
          because podman-compose 1.0.3's down leaves the networks behind (see PODMAN).

The check round proves the app works on that tool: 12 requests through the published port are
answered by all 3 replicas of app (by hostname), kv refuses a request without the secret's
token, kv holds the worker's heartbeat and the hit counters, `backend` is internal; and after
the final `down -v` nothing of the project is left (containers, networks, volumes).

Daemons: berthd (BERTHD, default build/src/cmd/berthd/berthd; CLI from BERTH, default
build/src/cmd/berth/berth) and dockerd each with a throwaway root, started by the helpers of
bench/engine/run.py; podman with --root/--runroot/--tmpdir of its own and a throwaway
network_config_dir. Everything runs in a private network + mount namespace (unshare, /run a
fresh tmpfs), one tool after the other; the host's addresses and routes are compared after.

The checks' helpers (image import, exec into kv) use the docker CLI on every Engine API daemon;
only the compose commands are timed. If the berth binary has no `compose` command yet (or
berthd is missing), its row reads "berth compose: not available" and the peers are still
measured; a tool that fails is reported as FAILED, the others still run, and the exit status
is 1.

PODMAN (podman 4.3.1, podman-compose 1.0.3, Debian 12), what it needs here:
  - global flags (--root, --runroot, --cgroup-manager cgroupfs, --runtime runc, ...) through a
    wrapper script given as --podman-path; the ulimits this machine needs through
    --podman-run-args "--ulimit nofile=20000:20000 --ulimit nproc=4096:4096";
  - CONTAINERS_CONF with a throwaway network_config_dir (else networks land in /etc);
  - health checks are run by systemd timers, and there is no systemd here: the poll runs
    `podman healthcheck run` itself, at most once per interval (100 ms, as in compose.yaml) per
    container and not before one interval after the container started, like dockerd's first
    check (one interval after start);
  - depends_on conditions are ignored (start order only) and `up -d` sleeps 1 s after each
    `podman run` (podman-compose's own code): the app copes (clients retry, the worker loops);
  - `down` does not remove networks (removed by the bench, timed as part of down), and
    `down -v` removes the volume;
  - every compose command runs with the app directory as cwd: 1.0.3 hands the secret's
    relative path (./secrets/kv_token.txt) to podman as it is;
  - compose.yaml adapts to it: health-check tests as strings (1.0.3 pops the "CMD-SHELL" off a
    list test in place, so a service with replicas fails from its second container on), and
    front asks each name server of resolv.conf for "app" (aardvark-dns gives a container on two
    networks one server per network, each knowing only its own network's names).
DOCKER-COMPOSE 1.29: builds with the legacy builder (COMPOSE_DOCKER_CLI_BUILD=0,
DOCKER_BUILDKIT=0: no registry here); no `--wait` (hence the poll).
"""

import argparse
import datetime
import importlib.util
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
APP = REPO / "examples" / "compose-app"
COMPOSE_FILE = APP / "compose.yaml"
PROJECT = "benchapp"
PORT = 8080
INNER = "BERTH_BENCH_COMPOSE_INNER"
# The health checks' interval in compose.yaml (podman's manual checks follow it).
HC_INTERVAL = float(re.search(r"interval: (\d+)ms", COMPOSE_FILE.read_text()).group(1)) / 1000
UP_TIMEOUT = 120

_spec = importlib.util.spec_from_file_location("bench_engine", REPO / "bench/engine/run.py")
engine = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(engine)
sh, wait_for, log, UnixConn = engine.sh, engine.wait_for, engine.log, engine.UnixConn

BERTH_CLI = os.environ.get("BERTH") or str(REPO / "build/src/cmd/berth/berth")
BERTHD = os.environ.get("BERTHD") or str(REPO / "build/src/cmd/berthd/berthd")
PODMAN_ULIMITS = "--ulimit nofile=20000:20000 --ulimit nproc=4096:4096"


class NotAvailable(Exception):
    pass


def run_cli(argv, env=None, timeout=600):
    """Runs one CLI process; returns (wall seconds, CompletedProcess); raises if it failed."""
    t0 = time.perf_counter()
    # cwd = the app: podman-compose 1.0.3 passes the secret's relative path on as it is.
    r = subprocess.run([str(a) for a in argv], env=env, capture_output=True, text=True,
                       timeout=timeout, cwd=APP)
    dt = time.perf_counter() - t0
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, argv))}: exit {r.returncode}\n"
                           f"{r.stdout[-1500:]}\n{r.stderr[-1500:]}")
    return dt, r


def started_epoch(ts):
    """podman's State.StartedAt ("2026-01-02T03:04:05.123456789Z" or with an offset) -> epoch."""
    m = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:?\d\d)$", ts or "")
    if not m:
        return 0.0
    tz = "+00:00" if m.group(3) == "Z" else m.group(3)
    base = datetime.datetime.fromisoformat(m.group(1) + tz).timestamp()
    return base + float("0." + (m.group(2) or "0"))


def http_get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.read().decode()


# --- tools ------------------------------------------------------------------------------------

class EngineApi:
    """Container state through a Docker Engine API socket (dockerd or berthd)."""

    def __init__(self, sock):
        self.sock = sock

    def get(self, path):
        c = UnixConn(self.sock)
        try:
            c.request("GET", path)
            r = c.getresponse()
            data = r.read()
            if r.status >= 400:
                raise RuntimeError(f"GET {path}: {r.status} {data[:200]}")
            return json.loads(data)
        finally:
            c.close()

    def _filter(self, kind):
        f = json.dumps({"label": [f"com.docker.compose.project={PROJECT}"]})
        return self.get(f"/{kind}?all=1&filters={urllib.request.quote(f)}")

    def containers(self):
        """[{name, service, running, health (None if no check)}]"""
        out = []
        for c in self._filter("containers/json"):
            i = self.get(f"/containers/{c['Id']}/json")
            st = i["State"]
            out.append({"name": i["Name"].lstrip("/"),
                        "service": (i["Config"].get("Labels") or {}).get(
                            "com.docker.compose.service", ""),
                        "running": st.get("Running", False),
                        "health": (st.get("Health") or {}).get("Status")})
        return out

    def leftovers(self):
        names = [c["Names"][0] for c in self.get("/containers/json?all=1")]
        nets = [n["Name"] for n in self.get("/networks")]
        vols = [v["Name"] for v in (self.get("/volumes").get("Volumes") or [])]
        mine = re.compile(rf"^/?{PROJECT}[_-]")
        return {"containers": [n for n in names if mine.match(n)],
                "networks": [n for n in nets if mine.match(n)],
                "volumes": [v for v in vols if mine.match(v)]}

    def network_internal(self, name):
        return bool(self.get(f"/networks/{name}").get("Internal"))

    def remove_all_containers(self):
        """Safety net after a failure: containers outlive berthd (each has its monitor)."""
        for c in self.get("/containers/json?all=1"):
            conn = UnixConn(self.sock)
            try:
                conn.request("DELETE", f"/containers/{c['Id']}?force=1&v=1")
                conn.getresponse().read()
            finally:
                conn.close()


class Tool:
    name = "?"
    extra = None  # {label: [seconds]}: parts of a figure worth showing apart

    def build(self):
        raise NotImplementedError

    def up(self):
        raise NotImplementedError

    def down(self, volumes=False):
        raise NotImplementedError

    def containers(self):
        raise NotImplementedError

    def leftovers(self):
        raise NotImplementedError

    def exec(self, container, script):
        raise NotImplementedError

    def network_internal(self, name):
        raise NotImplementedError

    def tick(self, cs):
        """Called by the health poll (podman runs its checks here)."""

    def stop(self):
        pass

    def wait_healthy(self, t0, timeout=UP_TIMEOUT):
        """Polls until the 6 containers run and those with a check are healthy; returns the
        time of the poll that saw it, relative to t0."""
        end = time.monotonic() + timeout
        cs = []
        while time.monotonic() < end:
            cs = self.containers()
            self.tick(cs)
            if (len(cs) == 6 and all(c["running"] for c in cs)
                    and all(c["health"] in (None, "healthy") for c in cs)):
                return time.perf_counter() - t0
            bad = [c for c in cs if c["health"] == "unhealthy" or not c["running"]]
            if bad and time.monotonic() > end - timeout + 30:
                raise RuntimeError(f"{self.name}: not healthy: {bad}")
            time.sleep(0.01)
        raise TimeoutError(f"{self.name}: not all healthy after {timeout} s: {cs}")


class DockerCompose(Tool):
    name = "docker-compose"

    def __init__(self, work, tar):
        self.d = engine.Dockerd(work)
        self.api = EngineApi(self.d.sock)
        self.env = dict(self.d.env, COMPOSE_DOCKER_CLI_BUILD="0", DOCKER_BUILDKIT="0")
        try:
            sh([engine.DOCKER_CLI, "import", tar, "busybox:latest"], env=self.d.env)
        except Exception:
            self.d.stop()
            raise
        self.version = (sh(["docker-compose", "version", "--short"]).stdout.strip()
                        + " / " + self.d.version)

    def dc(self, *args):
        return ["docker-compose", "-p", PROJECT, "-f", COMPOSE_FILE, *args]

    def build(self):
        return run_cli(self.dc("build"), self.env)[0]

    def up(self):
        return run_cli(self.dc("up", "-d"), self.env)[0]

    def down(self, volumes=False):
        return run_cli(self.dc("down", *(["-v"] if volumes else [])), self.env)[0]

    def containers(self):
        return self.api.containers()

    def leftovers(self):
        return self.api.leftovers()

    def network_internal(self, name):
        return self.api.network_internal(name)

    def exec(self, container, script):
        return sh([engine.DOCKER_CLI, "exec", container, "sh", "-c", script], env=self.d.env,
                  check=False)

    def stop(self):
        self.d.stop()


class BerthCompose(Tool):
    name = "berth compose"

    def __init__(self, work, tar):
        if not os.access(BERTH_CLI, os.X_OK):
            raise NotAvailable(f"no berth CLI at {BERTH_CLI}")
        r = sh([BERTH_CLI, "compose", "--help"], check=False)
        if r.returncode != 0 and "unknown command" in (r.stderr + r.stdout):
            raise NotAvailable(f"{BERTH_CLI} has no compose command")
        if not os.access(BERTHD, os.X_OK):
            raise NotAvailable(f"no berthd at {BERTHD}")
        self.b = engine.Berthd(work)
        self.api = EngineApi(self.b.sock)
        self.env = dict(os.environ)
        self.env.pop("DOCKER_HOST", None)
        self.env.pop("BERTH_HOST", None)
        try:  # the docker CLI for the helpers (import, exec): only berth compose is measured
            sh([engine.DOCKER_CLI, "import", tar, "busybox:latest"], env=self.b.env)
        except Exception:
            self.b.stop()
            raise
        self.version = self.b.version

    def bc(self, *args):
        return [BERTH_CLI, "-H", f"unix://{self.b.sock}", "compose", "-p", PROJECT, "-f",
                COMPOSE_FILE, *args]

    def build(self):
        return run_cli(self.bc("build"), self.env)[0]

    def up(self):
        return run_cli(self.bc("up", "-d", "--wait"), self.env)[0]

    def down(self, volumes=False):
        return run_cli(self.bc("down", *(["-v"] if volumes else [])), self.env)[0]

    def containers(self):
        return self.api.containers()

    def leftovers(self):
        return self.api.leftovers()

    def network_internal(self, name):
        return self.api.network_internal(name)

    def exec(self, container, script):
        return sh([engine.DOCKER_CLI, "exec", container, "sh", "-c", script], env=self.b.env,
                  check=False)

    def stop(self):
        try:
            self.api.remove_all_containers()
        except Exception as e:  # noqa: BLE001
            log(f"berthd: removing the containers left: {e}")
        self.b.stop()


class PodmanCompose(Tool):
    name = "podman-compose"

    def __init__(self, work, tar):
        d = Path(work) / "podman"
        (d / "networks").mkdir(parents=True)
        (d / "containers.conf").write_text(
            f'[network]\nnetwork_backend = "netavark"\nnetwork_config_dir = "{d}/networks"\n')
        self.env = dict(os.environ, CONTAINERS_CONF=str(d / "containers.conf"))
        self.wrapper = d / "podman"
        self.wrapper.write_text(
            "#!/bin/sh\n"
            f"exec podman --root {d}/root --runroot /run/bpr --tmpdir {d}/tmp --runtime runc"
            " --cgroup-manager cgroupfs --storage-driver overlay \"$@\"\n")
        self.wrapper.chmod(0o755)
        self.last_check = {}
        self.extra = {"of which podman network rm": []}
        sh([self.wrapper, "import", tar, "localhost/busybox:latest"], env=self.env)
        self.version = ("podman-compose " + self._pc_version() + " / "
                        + sh(["podman", "--version"]).stdout.strip())

    def _pc_version(self):
        out = sh(["podman-compose", "version"], check=False).stdout
        m = re.search(r"podman-compose version\s*:?\s*(\S+)", out)
        if m:
            return m.group(1)
        r = sh(["dpkg-query", "-W", "-f", "${Version}", "podman-compose"], check=False)
        return r.stdout.strip() or "?"

    def pc(self, *args):
        return ["podman-compose", "--podman-path", self.wrapper, "--podman-run-args",
                PODMAN_ULIMITS, "-p", PROJECT, "-f", COMPOSE_FILE, *args]

    def podman(self, *args, check=True):
        return sh([self.wrapper, *args], env=self.env, check=check)

    def build(self):
        return run_cli(self.pc("build"), self.env)[0]

    def up(self):
        self.last_check.clear()
        return run_cli(self.pc("up", "-d"), self.env)[0]

    def _project_networks(self):
        nets = json.loads(self.podman("network", "ls", "--format", "json").stdout or "[]")
        return [n["name"] for n in nets if n["name"].startswith(PROJECT + "_")]

    def down(self, volumes=False):
        t0 = time.perf_counter()
        run_cli(self.pc("down", *(["-v"] if volumes else [])), self.env)
        # podman-compose 1.0.3 leaves the project's networks: remove them (part of "down").
        nets = self._project_networks()
        if nets:
            self.extra["of which podman network rm"].append(
                run_cli([self.wrapper, "network", "rm", *nets], self.env)[0])
        return time.perf_counter() - t0

    def containers(self):
        ids = self.podman("ps", "-aq", "--filter",
                          f"label=io.podman.compose.project={PROJECT}").stdout.split()
        if not ids:
            return []
        out = []
        for i in json.loads(self.podman("inspect", *ids).stdout):
            st = i["State"]
            h = st.get("Health") or st.get("Healthcheck") or {}
            has_check = bool((i["Config"].get("Healthcheck") or {}).get("Test"))
            out.append({"name": i["Name"].lstrip("/"),
                        "service": (i["Config"].get("Labels") or {}).get(
                            "com.docker.compose.service", ""),
                        "running": st.get("Running", False),
                        "health": (h.get("Status") or "starting") if has_check else None,
                        "started": st.get("StartedAt")})
        return out

    def tick(self, cs):
        # No systemd here, so podman's health-check timers never fire: run the checks, in
        # parallel, once per interval per container, the first one interval after the container
        # started (dockerd's schedule).
        now = time.time()
        procs = []
        for c in cs:
            if c["health"] in (None, "healthy") or not c["running"]:
                continue
            last = self.last_check.get(c["name"])
            due = (now - started_epoch(c["started"]) >= HC_INTERVAL) if last is None \
                else (now - last >= HC_INTERVAL)
            if due:
                self.last_check[c["name"]] = now
                procs.append(subprocess.Popen([self.wrapper, "healthcheck", "run", c["name"]],
                                              env=self.env, stdout=subprocess.DEVNULL,
                                              stderr=subprocess.DEVNULL))
        for p in procs:
            p.wait()

    def leftovers(self):
        names = self.podman("ps", "-a", "--format", "{{.Names}}").stdout.split()
        vols = self.podman("volume", "ls", "--format", "{{.Name}}").stdout.split()
        return {"containers": [n for n in names if n.startswith(PROJECT + "_")],
                "networks": self._project_networks(),
                "volumes": [v for v in vols if v.startswith(PROJECT + "_")]}

    def network_internal(self, name):
        return bool(json.loads(self.podman("network", "inspect", name).stdout)[0].get("internal"))

    def exec(self, container, script):
        return self.podman("exec", container, "sh", "-c", script, check=False)

    def stop(self):
        self.podman("system", "reset", "-f", check=False)


# --- checks and rounds ------------------------------------------------------------------------

def get_through_port(n=12, timeout=20):
    """n GETs of http://127.0.0.1:8080/ (retrying the first until the port answers)."""
    end = time.monotonic() + timeout
    answers = []
    while len(answers) < n:
        try:
            status, body = http_get(f"http://127.0.0.1:{PORT}/")
            if status == 200 and body.startswith("app "):
                answers.append(body.strip())
                continue
            last = f"{status} {body.strip()}"
        except Exception as e:  # noqa: BLE001 - retried, reported on timeout
            last = str(e)
        if time.monotonic() > end:
            raise RuntimeError(f"no answer through port {PORT}: {last}")
        time.sleep(0.1)
    return answers


def check_app(tool, notes):
    cs = tool.containers()
    by_svc = {}
    for c in cs:
        by_svc.setdefault(c["service"], []).append(c["name"])
    assert sorted(by_svc) == ["app", "front", "kv", "worker"], by_svc
    assert len(by_svc["app"]) == 3, by_svc
    answers = get_through_port()
    hosts = sorted({a.split()[1].rstrip(":") for a in answers})
    notes.append(f"{len(answers)} requests through port {PORT} answered by {len(hosts)} app "
                 f"replicas {hosts}; last: {answers[-1]!r}")
    if len(hosts) != 3:
        raise RuntimeError(f"{tool.name}: answers from {hosts}, not from 3 replicas: {answers}")
    kv = by_svc["kv"][0]
    # Give the worker time for a heartbeat (it may have started before kv was ready).
    dump = ""
    for _ in range(50):
        r = tool.exec(kv, 'wget -q -O- --header "X-Kv-Token: $(cat /run/secrets/kv_token)" '
                      "http://127.0.0.1/cgi-bin/kv")
        dump = r.stdout
        if "heartbeat=" in dump:
            break
        time.sleep(0.2)
    if "heartbeat=" not in dump or "hits=" not in dump:
        raise RuntimeError(f"{tool.name}: kv holds no heartbeat/hits: {dump!r} {r.stderr!r}")
    notes.append("kv: " + ", ".join(dump.splitlines()))
    r = tool.exec(kv, "wget -q -O- http://127.0.0.1/cgi-bin/kv 2>&1")
    if r.returncode == 0 or "403" not in r.stdout + r.stderr:
        raise RuntimeError(f"{tool.name}: kv answered without token: {r.stdout!r}")
    notes.append("kv without token: 403")
    net = f"{PROJECT}_backend"  # compose v1 and v2 both name networks <project>_<key>
    if not tool.network_internal(net):
        raise RuntimeError(f"{tool.name}: {net} is not internal")
    notes.append(f"{net} internal")


def run_tool(tool, rounds, notes):
    log(f"{tool.name}: build")
    t_build = tool.build()
    notes.append(f"build {t_build:.2f} s (not timed in the rounds)")
    log(f"{tool.name}: check round")
    t0 = time.perf_counter()
    tool.up()
    tool.wait_healthy(t0)
    check_app(tool, notes)
    tool.down(volumes=True)
    left = tool.leftovers()
    if any(left.values()):
        raise RuntimeError(f"{tool.name}: left after down -v: {left}")
    notes.append("down -v leaves no container, network or volume of the project")
    res = {"up_cli": [], "up": [], "down": []}
    for v in (tool.extra or {}).values():
        v.clear()
    for i in range(rounds):
        t0 = time.perf_counter()
        res["up_cli"].append(tool.up())
        res["up"].append(tool.wait_healthy(t0))
        get_through_port(n=1)
        res["down"].append(tool.down())
        log(f"{tool.name}: round {i + 1}: up {res['up'][-1]:.3f} s (cli {res['up_cli'][-1]:.3f}),"
            f" down {res['down'][-1]:.3f} s")
        left = tool.leftovers()
        if left["containers"] or left["networks"]:
            raise RuntimeError(f"{tool.name}: left after down: {left}")
    for k, v in (tool.extra or {}).items():
        res[k] = list(v)
    # The rounds' `down` keeps the volume (created in round 1): remove it the same way.
    tool.up()
    tool.wait_healthy(time.perf_counter())
    tool.down(volumes=True)
    left = tool.leftovers()
    if any(left.values()):
        raise RuntimeError(f"{tool.name}: left after the final down -v: {left}")
    return res


def run_inner(args):
    engine.sh(["ip", "link", "set", "lo", "up"])
    sh(["mount", "-t", "tmpfs", "-o", "mode=755,size=256m", "berth-bench-run", "/run"])
    os.makedirs("/run/netns", exist_ok=True)
    work = tempfile.mkdtemp(prefix="berth-bench-compose-", dir="/var/tmp")
    tools = args.tools.split(",")
    results, notes, versions, failed = {}, {}, {}, {}
    try:
        tar = engine.busybox_tar(work)
        print(f"# kernel {os.uname().release}, {os.cpu_count()} cpus, load "
              f"{os.getloadavg()[0]:.1f}, {args.rounds} rounds, app "
              f"{COMPOSE_FILE.relative_to(REPO)}", flush=True)
        classes = {"berth": BerthCompose, "podman": PodmanCompose, "docker": DockerCompose}
        for key in tools:
            cls = classes[key]
            tool = None
            notes[cls.name] = []
            try:
                tool = cls(work, tar)
                versions[cls.name] = tool.version
                results[cls.name] = run_tool(tool, args.rounds, notes[cls.name])
            except NotAvailable as e:
                failed[cls.name] = f"{cls.name}: not available ({e})"
            except Exception as e:  # noqa: BLE001 - reported, the other tools still run
                failed[cls.name] = f"{cls.name}: FAILED: {e}"
                log(failed[cls.name])
                if tool is not None:
                    try:
                        tool.down(volumes=True)
                    except Exception:  # noqa: BLE001
                        pass
            finally:
                if tool is not None:
                    tool.stop()
    finally:
        subprocess.run(["umount", "-R", "-l", work], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)
    report(args, results, notes, versions, failed)
    return 1 if any("FAILED" in f for f in failed.values()) else 0


def report(args, results, notes, versions, failed):
    med = statistics.median
    lines = [f"compose-app up (to all healthy) and down, median of {args.rounds} rounds, seconds:"]
    for name in ("berth compose", "podman-compose", "docker-compose"):
        if name in failed:
            lines.append(f"  {failed[name]}")
        elif name in results:
            r = results[name]
            lines.append(f"  {name:15s} up {med(r['up']):7.3f}  (cli {med(r['up_cli']):.3f}, "
                         f"min {min(r['up']):.3f})   down {med(r['down']):7.3f}  "
                         f"(min {min(r['down']):.3f})   [{versions.get(name, '')}]")
            for k, v in r.items():
                if k not in ("up", "up_cli", "down") and v:
                    lines.append(f"  {'':15s} down: {k} {med(v):.3f}")
    b = results.get("berth compose")
    peers = {p: results[p] for p in ("podman-compose", "docker-compose") if p in results}
    if b and peers:
        for what in ("up", "down"):
            ratios = {p: med(b[what]) / med(r[what]) for p, r in peers.items()}
            fastest = min(peers, key=lambda p: med(peers[p][what]))
            txt = ", ".join(f"berth/{p} {v:.3f}" for p, v in ratios.items())
            lines.append(f"  {what}: {txt}; berth/fastest peer ({fastest}) "
                         f"{ratios[fastest]:.3f} (target <= 0.25)")
    for name, ns in notes.items():
        for n in ns:
            lines.append(f"  # {name}: {n}")
    print("\n".join(lines), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(
            {"results": results, "versions": versions, "failed": failed, "notes": notes},
            indent=1))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--tools", default="berth,podman,docker")
    ap.add_argument("--json")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("needs root")
    if os.environ.get(INNER):
        sys.exit(run_inner(args))
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
