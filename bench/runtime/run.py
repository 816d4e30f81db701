#!/usr/bin/env python3
"""Container start-up benchmark: berth-runtime against runc and crun.

One cycle = `create --pid-file` + `start` + wait for the container's /bin/true to exit + `delete`.
The wait uses a pidfd on the pid from the pid file (no runtime invocation, no polling), so every
runtime is timed by exactly the same method. Runtimes are interleaved round-robin so machine noise
hits them alike. All runtimes get the same config.json (from `runc spec`: no terminal, args
["/bin/true"]); the `on` seccomp pass inlines docker's default profile converted to OCI
(docker-default-seccomp.py). Peak RSS is the max ru_maxrss (os.wait4) over each runtime's
create/start/delete processes, taken in 5 extra cycles that run each command under GNU time:
a child spawned straight from this (large) python process would start with python's RSS as its
high-water mark, while GNU time is ~1 MiB, so the runtime's own peak shows.

crun refuses hybrid cgroups whose cgroup2 mount has controllers (this machine's does: hugetlb).
With --cgroup-view auto (default) and crun selected, the benchmark re-executes itself in a private
mount namespace with /sys/fs/cgroup/unified unmounted, so all runtimes (not only crun) see the same
v1-only view; the host is not changed.

  run.py [--runtimes berth-runtime,runc,crun] [--iterations 100] [--warmup 5] [--seccomp both]
"""

import argparse
import importlib.util
import json
import math
import os
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MKBUNDLE = REPO / "scripts" / "mkbundle.sh"
BERTH_DEFAULT = REPO / "build" / "src" / "cmd" / "berth-runtime" / "berth-runtime"
UNIFIED = "/sys/fs/cgroup/unified"
NS_MARK = "BERTH_BENCH_PRIVATE_MOUNTNS"
TIME = "/usr/bin/time"  # GNU time (Debian package `time`)
RSS_CYCLES = 5


def load_seccomp_converter():
    spec = importlib.util.spec_from_file_location(
        "docker_default_seccomp", Path(__file__).with_name("docker-default-seccomp.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


class Runtime:
    def __init__(self, name, path, root):
        self.name, self.path, self.root = name, path, root
        self.phases = {"create": [], "start": [], "delete": []}
        self.cycles = []
        self.maxrss_kib = {"create": 0, "start": 0, "delete": 0}
        self.error = None

    def invoke(self, phase, args, stderr_file, rss_file=None):
        """Run one runtime command, returns its wall time; with rss_file, under GNU time (see the
        module doc) and records its peak RSS."""
        argv = [self.path, "--root", self.root, *args]
        exe = self.path
        if rss_file:
            exe = TIME
            argv = [TIME, "-f", "%M", "-o", rss_file, *argv]
        stderr_file.seek(0)
        stderr_file.truncate()
        devnull = os.open(os.devnull, os.O_RDWR)
        actions = [(os.POSIX_SPAWN_DUP2, devnull, 0), (os.POSIX_SPAWN_DUP2, devnull, 1),
                   (os.POSIX_SPAWN_DUP2, stderr_file.fileno(), 2)]
        t0 = time.perf_counter()
        pid = os.posix_spawn(exe, argv, os.environ, file_actions=actions)
        _, status, _ = os.wait4(pid, 0)
        dt = time.perf_counter() - t0
        os.close(devnull)
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            stderr_file.seek(0)
            msg = stderr_file.read().decode(errors="replace").strip()
            raise RuntimeError(f"{self.name} {args[0]} exited {code}: {msg}")
        if rss_file:
            with open(rss_file) as f:
                kib = int(f.read().split()[-1])
            self.maxrss_kib[phase] = max(self.maxrss_kib[phase], kib)
        return dt

    def cycle(self, bundle, cid, stderr_file, record, rss_file=None):
        pidfile = os.path.join(self.root, f"{cid}.pid")
        t0 = time.perf_counter()
        tc = self.invoke("create", ["create", "--bundle", bundle, "--pid-file", pidfile, cid],
                         stderr_file, rss_file)
        with open(pidfile) as f:
            pid = int(f.read().strip())
        pidfd = os.pidfd_open(pid)
        try:
            ts = self.invoke("start", ["start", cid], stderr_file, rss_file)
            if not select.select([pidfd], [], [], 10)[0]:
                raise RuntimeError(f"{self.name}: /bin/true did not exit within 10s")
        finally:
            os.close(pidfd)
        td = self.invoke("delete", ["delete", cid], stderr_file, rss_file)
        total = time.perf_counter() - t0
        os.unlink(pidfile)
        if record:
            self.cycles.append(total)
            for phase, dt in (("create", tc), ("start", ts), ("delete", td)):
                self.phases[phase].append(dt)

    def force_cleanup(self, cid):
        subprocess.run([self.path, "--root", self.root, "delete", "--force", cid],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def pct(values, p):
    s = sorted(values)
    return s[max(0, math.ceil(p / 100 * len(s)) - 1)]


def resolve_runtimes(names):
    out = []
    for name in names:
        if name in ("berth", "berth-runtime"):
            path = os.environ.get("BERTH_RUNTIME") or str(BERTH_DEFAULT)
            label = "berth-runtime"
        else:
            path = shutil.which(name) or name
            label = os.path.basename(name)
        if not os.access(path, os.X_OK):
            print(f"# skipping {label}: {path} not found", file=sys.stderr)
            continue
        out.append((label, os.path.abspath(path)))
    return out


def unified_has_controllers():
    try:
        with open(os.path.join(UNIFIED, "cgroup.controllers")) as f:
            return bool(f.read().strip())
    except OSError:
        return False


def enter_legacy_view():
    """Re-exec in a private mount namespace without the cgroup2 mount (see module doc)."""
    if os.environ.get(NS_MARK):
        subprocess.run(["umount", "-l", UNIFIED], check=True)
        return
    os.environ[NS_MARK] = "1"
    os.execvp("unshare", ["unshare", "--mount", "--propagation", "private",
                          sys.executable, os.path.abspath(__file__), *sys.argv[1:]])


def make_bundles(work, seccomp_modes):
    base = os.path.join(work, "base")
    env = dict(os.environ, BERTH_RUNTIME=shutil.which("runc") or "runc")
    subprocess.run(["bash", str(MKBUNDLE), base, "/bin/true"], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    with open(os.path.join(base, "config.json")) as f:
        config = json.load(f)
    config["root"]["path"] = os.path.join(base, "rootfs")
    bundles = {}
    for mode in seccomp_modes:
        cfg = json.loads(json.dumps(config))
        if mode == "on":
            with open("/usr/share/containers/seccomp.json") as f:
                load_seccomp_converter().inline(cfg, json.load(f))
        else:
            cfg.get("linux", {}).pop("seccomp", None)
        path = os.path.join(work, f"seccomp-{mode}")
        os.makedirs(path)
        with open(os.path.join(path, "config.json"), "w") as f:
            json.dump(cfg, f, indent=2)
        bundles[mode] = path
    return bundles


def measure(runtimes, bundle, iterations, warmup, stderr_file, rss_file):
    live = list(runtimes)
    total = warmup + iterations
    for i in range(total + RSS_CYCLES):
        for rt in list(live):
            cid = f"bench-{i}"
            try:
                rt.cycle(bundle, cid, stderr_file, record=warmup <= i < total,
                         rss_file=rss_file if i >= total else None)
            except Exception as e:  # one failing runtime must not stop the others
                rt.error = str(e)
                rt.force_cleanup(cid)
                live.remove(rt)
                print(f"# {rt.name} failed: {e}", file=sys.stderr)


def report(mode, runtimes):
    print(f"\n## seccomp {mode}\n")
    print("| runtime | cycle median ms | cycle p90 ms | create ms | start ms | delete ms "
          "| peak RSS MiB (create/start/delete) |")
    print("|---|---|---|---|---|---|---|")
    medians = {}
    for rt in runtimes:
        if rt.error or not rt.cycles:
            print(f"| {rt.name} | failed: {(rt.error or 'no data')[-160:]} ||||||")
            continue
        medians[rt.name] = statistics.median(rt.cycles)
        ph = {k: statistics.median(v) * 1e3 for k, v in rt.phases.items()}
        rss = "/".join(f"{rt.maxrss_kib[k] / 1024:.1f}" for k in ("create", "start", "delete"))
        print(f"| {rt.name} | {medians[rt.name] * 1e3:.2f} | {pct(rt.cycles, 90) * 1e3:.2f} "
              f"| {ph['create']:.2f} | {ph['start']:.2f} | {ph['delete']:.2f} | {rss} |")
    berth = medians.get("berth-runtime")
    for other in ("runc", "crun"):
        if berth and other in medians:
            print(f"\nberth-runtime/{other} (median cycle): {berth / medians[other]:.2f}")
    return {rt.name: {"error": rt.error, "cycles_s": rt.cycles, "phases_s": rt.phases,
                      "maxrss_kib": rt.maxrss_kib} for rt in runtimes}


def main():
    ap = argparse.ArgumentParser(description="create+start+delete benchmark of OCI runtimes")
    ap.add_argument("--runtimes", default="berth-runtime,runc,crun",
                    help="comma list of names or paths (berth-runtime: $BERTH_RUNTIME or build/)")
    ap.add_argument("--iterations", type=int, default=100)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--seccomp", choices=["both", "off", "on"], default="both")
    ap.add_argument("--cgroup-view", choices=["auto", "host", "legacy"], default="auto")
    ap.add_argument("--json", help="also write raw samples to this file")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("run.py: needs root")

    chosen = resolve_runtimes([r for r in args.runtimes.split(",") if r])
    if not chosen:
        sys.exit("run.py: no runtime found")
    legacy = args.cgroup_view == "legacy" or (
        args.cgroup_view == "auto" and any(n == "crun" for n, _ in chosen)
        and unified_has_controllers())
    if legacy:
        enter_legacy_view()

    modes = ["off", "on"] if args.seccomp == "both" else [args.seccomp]
    print(f"# {args.iterations} cycles per runtime after {args.warmup} warm-ups; "
          f"cgroup view: {'v1 only (private mount ns)' if legacy else 'host'}; "
          f"kernel {os.uname().release}, {os.cpu_count()} cpus")
    for name, path in chosen:
        ver = subprocess.run([path, "--version"], capture_output=True, text=True).stdout
        print(f"# {name}: {path} {ver.splitlines()[0] if ver else ''}")

    results = {}
    work = tempfile.mkdtemp(prefix="berth-bench-")
    states = tempfile.mkdtemp(prefix="berth-bench-", dir="/run")
    try:
        bundles = make_bundles(work, modes)
        with tempfile.TemporaryFile() as stderr_file:
            for mode in modes:
                runtimes = []
                for name, path in chosen:
                    root = os.path.join(states, f"{name}-{mode}")
                    os.makedirs(root)
                    runtimes.append(Runtime(name, path, root))
                measure(runtimes, bundles[mode], args.iterations, args.warmup, stderr_file,
                        os.path.join(work, "rss"))
                results[mode] = report(mode, runtimes)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(states, ignore_errors=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f)


if __name__ == "__main__":
    main()
