"""Fixtures for the end-to-end network tests.

Everything happens in network namespaces the test creates under its tmp_path, never in the
host's: `world` is the daemon's netns (berth-net serve runs in it, its bridges and nftables
tables live there), `outside` is another netns joined to the world by a veth (wan0 10.99.0.1 <->
eth0 10.99.0.2) and plays the internet / an external client. "Containers" are processes started
with nsenter in a sandbox's netns; `in_container` also bind-mounts the sandbox's hosts and
resolv.conf over /etc in a private mount namespace, so name resolution is the container's.

berth-net comes from $BERTH_NET (ctest sets it), else <repo>/build/src/cmd/berth-net/berth-net.
Teardown kills every process a test started, unmounts everything under its tmp_path (the netns
files), pass or fail.
"""

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DEFAULT_NET = REPO / "build" / "src" / "cmd" / "berth-net" / "berth-net"
BUSYBOX = "/bin/busybox"


def net_tool():
    return os.path.abspath(os.environ.get("BERTH_NET") or DEFAULT_NET)


def sh(*args, check=True, timeout=30, input=None):
    r = subprocess.run(list(args), capture_output=True, text=True, timeout=timeout, input=input)
    if check and r.returncode != 0:
        raise AssertionError(f"{' '.join(args)} -> {r.returncode}\n{r.stdout}\n{r.stderr}")
    return r


def make_netns(path):
    Path(path).touch()
    sh("unshare", f"--net={path}", "true")
    sh("nsenter", f"--net={path}", "ip", "link", "set", "lo", "up")
    return str(path)


class Daemon:
    """berth-net serve inside the world netns, driven line by line."""

    def __init__(self, world, state, run, extra_args=()):
        self.world = world
        self.state = str(state)
        self.run = str(run)
        self.extra_args = list(extra_args)
        self.proc = None
        self.stderr_path = Path(self.state).parent / "daemon.stderr"

    def argv(self, *args):
        return ["nsenter", f"--net={self.world}", net_tool(), "--state", self.state, "--run",
                self.run, *self.extra_args, *args]

    def start(self):
        self.stderr_path.parent.mkdir(parents=True, exist_ok=True)
        err = open(self.stderr_path, "ab")
        self.proc = subprocess.Popen(self.argv("serve"), stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=err, text=True, bufsize=1)
        err.close()
        ready = json.loads(self.proc.stdout.readline() or "{}")
        if not ready.get("ok"):
            raise AssertionError(f"berth-net did not start: {ready} "
                                 f"{self.stderr_path.read_text(errors='replace')}")
        return self

    def call(self, op, **kw):
        kw["op"] = op
        self.proc.stdin.write(json.dumps(kw) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise AssertionError(f"berth-net exited: "
                                 f"{self.stderr_path.read_text(errors='replace')}")
        return json.loads(line)

    def ok(self, op, **kw):
        r = self.call(op, **kw)
        assert r.get("ok"), f"{op} {kw}: {r}"
        return r.get("result")

    def fail(self, op, **kw):
        r = self.call(op, **kw)
        assert not r.get("ok"), f"{op} {kw} should fail: {r}"
        return r["error"]

    def stop(self, remove_rules=False):
        if self.proc and self.proc.poll() is None:
            try:
                self.call("shutdown", removeRules=remove_rules)
            except (AssertionError, BrokenPipeError):
                pass
            self.proc.wait(timeout=30)
        self.proc = None

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        self.proc = None

    def restart(self, kill=False):
        if kill:
            self.kill9()
        else:
            self.stop()
        return self.start()


class World:
    def __init__(self, tmp):
        self.tmp = Path(tmp)
        self.ns = make_netns(self.tmp / "world")
        self.procs = []
        self.outside = None
        self.daemons = []

    def daemon(self, *extra_args, name="d"):
        d = Daemon(self.ns, self.tmp / name / "state", self.tmp / name / "run", extra_args)
        self.daemons.append(d)
        return d.start()

    def run(self, *cmd, ns=None, check=True, timeout=30):
        return sh("nsenter", f"--net={ns or self.ns}", *cmd, check=check, timeout=timeout)

    def spawn(self, *cmd, ns=None):
        p = subprocess.Popen(["nsenter", f"--net={ns or self.ns}", *cmd],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.procs.append(p)
        return p

    def add_outside(self):
        """An 'internet' netns at 10.99.0.2, the world's default route goes there."""
        if self.outside:
            return self.outside
        self.outside = make_netns(self.tmp / "outside")
        self.run("ip", "link", "add", "wan0", "type", "veth", "peer", "name", "eth0", "netns",
                 self.outside)
        self.run("ip", "addr", "add", "10.99.0.1/24", "dev", "wan0")
        self.run("ip", "link", "set", "wan0", "up")
        self.run("ip", "route", "add", "default", "via", "10.99.0.2")
        self.run("ip", "addr", "add", "10.99.0.2/24", "dev", "eth0", ns=self.outside)
        self.run("ip", "link", "set", "eth0", "up", ns=self.outside)
        return self.outside

    def links(self, ns=None):
        return json.loads(self.run("ip", "-j", "link", ns=ns).stdout)

    def addrs(self, ns=None):
        out = {}
        for l in json.loads(self.run("ip", "-j", "addr", ns=ns).stdout):
            out[l["ifname"]] = [f"{a['local']}/{a['prefixlen']}" for a in l.get("addr_info", [])]
        return out

    def ruleset(self):
        return self.run("nft", "list", "ruleset").stdout

    def cleanup(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        for d in self.daemons:
            if d.proc and d.proc.poll() is None:
                d.proc.kill()
                d.proc.wait(timeout=10)
        with open("/proc/self/mountinfo") as f:
            mounts = [l.split()[4] for l in f]
        for m in sorted((m for m in mounts if m.startswith(str(self.tmp))), reverse=True):
            subprocess.run(["umount", "-l", m], capture_output=True)


@pytest.fixture
def world(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("needs root (network namespaces, nftables)")
    exe = net_tool()
    if not os.access(exe, os.X_OK):
        pytest.fail(f"{exe} is not an executable (build it or set BERTH_NET)")
    w = World(tmp_path)
    try:
        yield w
    finally:
        w.cleanup()


def in_container(sb, *cmd):
    """argv running cmd in the sandbox's netns with its /etc/hosts and /etc/resolv.conf."""
    script = ('mount --bind "$1" /etc/hosts && mount --bind "$2" /etc/resolv.conf && '
              'shift 3 && exec nsenter --net="$NS" "$@"')
    return ["unshare", "-m", "--propagation", "private", "env", f"NS={sb['SandboxKey']}",
            "sh", "-c", script, "sh", sb["HostsPath"], sb["ResolvConfPath"], "--", *cmd]


def ip_of(sb, network=None):
    nets = sb["Networks"]
    ep = nets[network] if network else next(iter(nets.values()))
    return ep["IPAddress"]


def serve_http(world, sb, port=80, text="hello"):
    """busybox httpd in the sandbox; returns the process once the port answers locally."""
    root = world.tmp / f"www-{sb['ContainerID']}-{port}"
    root.mkdir(exist_ok=True)
    (root / "index.html").write_text(text + "\n")
    p = world.spawn(BUSYBOX, "httpd", "-f", "-p", str(port), "-h", str(root),
                    ns=sb["SandboxKey"])
    wait_tcp(world, sb["SandboxKey"], "127.0.0.1", port)
    return p


PY_CONNECT = ("import socket,sys\n"
              "try:\n"
              "    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1).close()\n"
              "except OSError as e:\n"
              "    print(e); sys.exit(1)\n")


def tcp_connects(world, ns, host, port):
    r = world.run("/usr/bin/python3", "-c", PY_CONNECT, host, str(port), ns=ns, check=False)
    return r.returncode == 0


def wait_tcp(world, ns, host, port, timeout=10):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if tcp_connects(world, ns, host, port):
            return
        time.sleep(0.05)
    raise AssertionError(f"nothing listens on {host}:{port} in {ns}")


def http_get(world, url, ns=None, timeout=3, argv_prefix=None):
    """busybox wget of url from netns ns (or through argv_prefix, e.g. in_container)."""
    cmd = ["timeout", str(timeout), BUSYBOX, "wget", "-q", "-O", "-", url]
    if argv_prefix is not None:
        return sh(*argv_prefix(*cmd), check=False, timeout=timeout + 10)
    return world.run(*cmd, ns=ns, check=False, timeout=timeout + 10)
