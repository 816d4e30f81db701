#!/usr/bin/env python3
"""Network benchmark (issue 4): HTTP requests/s through a published port against the same
server reached directly at its container address, in the same run, and the per-container
network setup and teardown time measured inside berthd.

  run.py [-n 5] [--duration 8] [--connections 64] [--containers 20] [--no-redirect]

The server is bench/network/httpd.c (epoll, keep-alive, a fixed answer), compiled statically
here and built into a FROM-scratch image by berthd's builder, so the server is not what limits
the figure. wrk (Debian's) runs in berthd's network namespace: `published` is
http://127.0.0.1:<hostport>/ (nftables DNAT from loopback), `published-addr` the same port on
a non-loopback address of the namespace (a veth), `direct` http://<container ip>:80/.
The three are interleaved n times (the order rotates each round); medians are compared.
berthd redirects local clients of published TCP ports at connect() (network/sock_redirect.h),
so both published rows normally take the same path as `direct`; `--no-redirect` turns that off
(daemon.json "socket-redirect": false) to measure the nftables DNAT path instead. Setup/teardown: berthd's debug log
lines "sandbox .. set up in X ms" / "removed in X ms" over `--containers` `docker run --rm`.

Everything runs in a private network + mount namespace (unshare), like bench/engine.
"""

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
INNER = "BERTH_BENCH_NETWORK_INNER"
DOCKER = next((c for c in ("/usr/local/bin/docker", "/usr/bin/docker") if os.access(c, os.X_OK)),
              "docker")


def sh(argv, check=True, env=None, timeout=600):
    r = subprocess.run([str(a) for a in argv], capture_output=True, text=True, env=env,
                       timeout=timeout)
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


def wrk(url, duration, conns):
    out = sh(["wrk", "-t2", f"-c{conns}", f"-d{duration}s", url], timeout=duration + 60).stdout
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not m or "Non-2xx" in out or "Socket errors" in out and "timeout" in out:
        raise RuntimeError(f"wrk {url}:\n{out}")
    return float(m.group(1))


def run_inner(args):
    sh(["ip", "link", "set", "lo", "up"])
    # A non-loopback local address (no dummy driver without modules: a veth pair).
    sh(["ip", "link", "add", "bench0", "type", "veth", "peer", "name", "bench1"])
    sh(["ip", "addr", "add", "192.0.2.1/24", "dev", "bench0"])
    sh(["ip", "link", "set", "bench0", "up"])
    sh(["ip", "link", "set", "bench1", "up"])
    sh(["mount", "-t", "tmpfs", "-o", "mode=755,size=64m", "berth-bench-run", "/run"])
    work = Path(tempfile.mkdtemp(prefix="berth-bench-net-", dir="/var/tmp"))
    proc = None
    try:
        ctx = work / "ctx"
        ctx.mkdir()
        sh(["gcc", "-O2", "-static", "-o", ctx / "httpd", HERE / "httpd.c"])
        (ctx / "Dockerfile").write_text('FROM scratch\nCOPY httpd /httpd\nEXPOSE 80\n'
                                        'ENTRYPOINT ["/httpd", "80"]\n')
        (work / "daemon.json").write_text(json.dumps({"socket-redirect": not args.no_redirect}))
        sock = work / "s.sock"
        env = dict(os.environ, DOCKER_HOST=f"unix://{sock}", DOCKER_CONFIG=str(work),
                   DOCKER_BUILDKIT="0")
        exe = os.environ.get("BERTHD") or str(REPO / "build/src/cmd/berthd/berthd")
        logf = open(work / "berthd.log", "wb")
        proc = subprocess.Popen([exe, "--root", work / "root", "--run-root", work / "run",
                                 "-H", f"unix://{sock}", "--config-file", work / "daemon.json",
                                 "--log-level", "debug"], stdout=logf, stderr=subprocess.STDOUT)
        wait_for(lambda: sh([DOCKER, "version"], check=False, env=env).returncode == 0, 30,
                 "berthd")
        sh([DOCKER, "build", "-q", "-t", "benchhttpd", ctx], env=env)
        sh([DOCKER, "run", "-d", "--name", "web", "-p", "8080:80", "benchhttpd"], env=env)
        ip = json.loads(sh([DOCKER, "inspect", "web"], env=env).stdout)[0][
            "NetworkSettings"]["IPAddress"]
        urls = {"published": "http://127.0.0.1:8080/",
                "published-addr": "http://192.0.2.1:8080/",
                "direct": f"http://{ip}:80/"}
        for u in urls.values():
            wait_for(lambda u=u: sh(["wrk", "-t1", "-c1", "-d1s", u], check=False).returncode == 0,
                     15, u)
        logf.flush()
        redirected = "redirected at connect()" in (work / "berthd.log").read_text(errors="replace")
        if redirected == args.no_redirect:
            raise RuntimeError("the socket redirect is not in the state asked for; berthd's log:\n"
                               + (work / "berthd.log").read_text(errors="replace")[-2000:])
        print(f"# kernel {os.uname().release}, {os.cpu_count()} cpus; wrk -t2 "
              f"-c{args.connections} -d{args.duration}s, {args.n} rounds; socket redirect "
              f"{'on' if redirected else 'off (nftables DNAT)'}", flush=True)
        res = {k: [] for k in urls}
        keys = list(urls)
        for i in range(args.n):
            for k in keys[i % len(keys):] + keys[:i % len(keys)]:
                u = urls[k]
                rps = wrk(u, args.duration, args.connections)
                res[k].append(rps)
                print(f"# round {i + 1} {k:15s} {rps:10.0f} req/s", flush=True)
        sh([DOCKER, "rm", "-f", "web"], env=env)

        bb = work / "bb"
        for d in ("bin", "etc", "proc", "sys", "dev"):
            (bb / d).mkdir(parents=True)
        shutil.copy2("/bin/busybox", bb / "bin/busybox")
        os.symlink("busybox", bb / "bin/true")
        sh(["tar", "-C", bb, "-cf", work / "bb.tar", "."])
        sh([DOCKER, "import", work / "bb.tar", "busybox"], env=env)
        logf.flush()
        skip = (work / "berthd.log").read_text(errors="replace").count("\n")
        for _ in range(args.containers):
            sh([DOCKER, "run", "--rm", "busybox", "true"], env=env)
        lines = (work / "berthd.log").read_text(errors="replace").splitlines()[skip:]
        setup = [float(m.group(1)) for l in lines
                 if (m := re.search(r"sandbox \w+ set up in ([\d.]+) ms", l))]
        teardown = [float(m.group(1)) for l in lines
                    if (m := re.search(r"sandbox \w+ removed in ([\d.]+) ms", l))]

        med = {k: statistics.median(v) for k, v in res.items()}
        print()
        print("| path | median req/s | min | max |")
        print("|---|---|---|---|")
        for k, v in res.items():
            print(f"| {k} | {med[k]:.0f} | {min(v):.0f} | {max(v):.0f} |")
        print(f"published / direct: **{med['published'] / med['direct']:.3f}** (loopback), "
              f"**{med['published-addr'] / med['direct']:.3f}** (non-loopback address); "
              "target at least 0.90")
        if setup and teardown:
            print(f"per-container network setup (inside berthd, {len(setup)} containers): "
                  f"median {statistics.median(setup):.2f} ms, max {max(setup):.2f} ms; "
                  f"teardown median {statistics.median(teardown):.2f} ms, "
                  f"max {max(teardown):.2f} ms (target under 5 ms each)")
        else:
            print("no setup/teardown timings in berthd's log")
    finally:
        if proc and proc.poll() is None:
            subprocess.run([DOCKER, "rm", "-f", "web"], capture_output=True,
                           env=dict(os.environ, DOCKER_HOST=f"unix://{work / 's.sock'}"))
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
        subprocess.run(["umount", "-R", "-l", str(work)], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=5)
    ap.add_argument("--duration", type=int, default=8)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--containers", type=int, default=20)
    ap.add_argument("--no-redirect", action="store_true",
                    help="berthd without the connect() redirect: measure the DNAT path")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("needs root")
    if os.environ.get(INNER):
        run_inner(args)
        return
    env = dict(os.environ, **{INNER: "1"})
    sys.exit(subprocess.call(["unshare", "--net", "--mount", "--propagation", "private", "--",
                              sys.executable, os.path.abspath(__file__), *sys.argv[1:]], env=env))


if __name__ == "__main__":
    main()
