#!/usr/bin/env python3
"""CLI benchmark (issue 6): `berth version` against `docker version`, one berthd, one run.

  run.py [-n 50] [--hyperfine] [--json out.json]

Both commands talk to the same berthd (GET /version after the client's own start-up), so the
difference is the CLIs' start-up and request path: berth (C++) against the docker CLI (Go).
The two are interleaved run by run, after warm-up runs, so cache and frequency effects hit
both alike. --hyperfine uses hyperfine (apt install hyperfine) for the timing instead.
Target: berth's median under half of docker's.

Isolation: berthd runs in a private network + mount namespace (unshare) on a throwaway root;
the outer process checks the host's addresses and routes are unchanged afterwards.
"""

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
INNER = "BERTH_BENCH_CLI_INNER"
DOCKER_CLI = next((c for c in ("/usr/local/bin/docker", "/usr/bin/docker") if os.access(c, os.X_OK)),
                  "docker")


def log(m):
    print(f"[bench] {m}", file=sys.stderr, flush=True)


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


def timed(argv, env):
    t0 = time.perf_counter()
    r = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    dt = time.perf_counter() - t0
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: {r.returncode} {r.stderr.decode()[-300:]}")
    return dt


def hyperfine(cmds, n, env, work):
    out = Path(work) / "hf.json"
    sh(["hyperfine", "-N", "--warmup", "5", "--runs", str(n), "--export-json", out, *cmds],
       env=env)
    res = json.loads(out.read_text())["results"]
    return [r["times"] for r in res]


def run_inner(args):
    sh(["ip", "link", "set", "lo", "up"])
    work = tempfile.mkdtemp(prefix="berth-bench-cli-", dir="/var/tmp")
    sock = f"{work}/berth.sock"
    exe = os.environ.get("BERTHD") or str(REPO / "build/src/cmd/berthd/berthd")
    berth = os.environ.get("BERTH") or str(REPO / "build/src/cmd/berth/berth")
    (Path(work) / "daemon.json").write_text("{}")
    (Path(work) / "cfg").mkdir()
    env = dict(os.environ, DOCKER_HOST=f"unix://{sock}", BERTH_HOST=f"unix://{sock}",
               DOCKER_CONFIG=f"{work}/cfg", BERTH_CONFIG=f"{work}/cfg")
    logf = open(Path(work) / "berthd.log", "wb")
    proc = subprocess.Popen([exe, "--root", f"{work}/root", "--run-root", f"{work}/run",
                             "-H", f"unix://{sock}", "--config-file", f"{work}/daemon.json"],
                            stdout=logf, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: os.path.exists(sock), 30, "berthd socket")
        wait_for(lambda: sh([berth, "version"], check=False, env=env).returncode == 0, 30,
                 "berth version")
        cmds = {"berth": [berth, "version"], "docker": [DOCKER_CLI, "version"]}
        if args.hyperfine:
            tb, td = hyperfine([" ".join(cmds["berth"]), " ".join(cmds["docker"])], args.n, env,
                               work)
        else:
            for _ in range(5):
                timed(cmds["berth"], env)
                timed(cmds["docker"], env)
            tb, td = [], []
            for _ in range(args.n):
                tb.append(timed(cmds["berth"], env))
                td.append(timed(cmds["docker"], env))
        mb, md = statistics.median(tb), statistics.median(td)
        print(f"# kernel {os.uname().release}, {os.cpu_count()} cpus, n={args.n}, "
              f"timing: {'hyperfine' if args.hyperfine else 'subprocess loop'}")
        print(f"`version` (client + GET /version) against one berthd, wall time (ms):")
        print(f"  berth   median {mb * 1e3:7.2f}  min {min(tb) * 1e3:7.2f}  max {max(tb) * 1e3:7.2f}")
        print(f"  docker  median {md * 1e3:7.2f}  min {min(td) * 1e3:7.2f}  max {max(td) * 1e3:7.2f}")
        ratio = mb / md
        print(f"  ratio berth/docker {ratio:.3f} (target < 0.5: {'met' if ratio < 0.5 else 'MISSED'})")
        if args.json:
            Path(args.json).write_text(json.dumps(
                {"berth_version_median_s": mb, "docker_version_median_s": md, "ratio": ratio,
                 "n": args.n}, indent=1))
        return 0 if ratio < 0.5 else 2
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
        logf.close()
        subprocess.run(["umount", "-R", "-l", work], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=50)
    ap.add_argument("--hyperfine", action="store_true", help="time with hyperfine")
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
