"""OOM kills are reported, and the monitor's own memory stays within budget."""

import json
import os
import subprocess
import time

from conftest import RUNTIME, smaps_rollup, wait_for


def test_oom_killed(env):
    def limit(cfg):
        cfg["linux"].setdefault("resources", {})["memory"] = {"limit": 24 << 20}
    b = env.bundle("sh", "-c", "echo start; tail /dev/zero", edit=limit)
    res = env.run("oom", b, timeout=60)
    assert res.returncode == 137, res.stderr
    out = json.loads(res.stdout.decode().strip().splitlines()[-1])
    assert out["oomKilled"] is True
    assert env.inspect("oom")["oomKilled"] is True


def test_not_oom_killed_when_killed(env):
    def limit(cfg):
        cfg["linux"].setdefault("resources", {})["memory"] = {"limit": 64 << 20}
    b = env.bundle("sleep", "1000", edit=limit)
    env.run_detached("nooom", b)
    subprocess.run([RUNTIME, "--root", env.runtime_root, "kill", "nooom", "KILL"], check=True)
    res = env.tool("wait", "--state-dir", env.state_dir("nooom"))
    assert res.returncode == 137
    assert json.loads(res.stdout.decode().splitlines()[-1])["oomKilled"] is False


def test_monitor_memory_budget(env):
    """PSS under 1 MiB per running monitor, with 1 and with 10 running: printed for the report."""
    b = env.bundle("sh", "-c", "while true; do echo tick; sleep 0.2; done")
    ids = [f"m{i}" for i in range(10)]
    pids = {}
    for cid in ids:
        pids[cid] = env.run_detached(cid, b)["monitorPid"]
        if cid == "m0":
            time.sleep(1.0)  # a few log lines and attach-free loop iterations
            one = smaps_rollup(pids["m0"])
    time.sleep(1.0)
    # One attacher, so that the attach path has run as well.
    a = subprocess.Popen([os.environ.get("BERTH_MONITOR_TOOL") or
                          __import__("conftest").TOOL, "attach", "--state-dir",
                          env.state_dir("m1")], stdout=subprocess.DEVNULL)
    time.sleep(0.5)
    rolls = [smaps_rollup(pids[c]) for c in ids]
    a.kill()
    a.wait()
    avg = {k: sum(r[k] for r in rolls) / len(rolls) for k in ("Rss", "Pss", "Pss_Anon",
                                                              "Pss_File", "Private_Dirty")}
    print(f"\nmonitor memory, 1 running:  RSS {one['Rss']} kB, PSS {one['Pss']} kB "
          f"(anon {one['Pss_Anon']} kB, file {one['Pss_File']} kB)")
    print(f"monitor memory, 10 running: RSS {avg['Rss']:.0f} kB, PSS {avg['Pss']:.0f} kB "
          f"(anon {avg['Pss_Anon']:.0f} kB, file {avg['Pss_File']:.0f} kB, private dirty "
          f"{avg['Private_Dirty']:.0f} kB) per monitor")
    assert one["Pss"] < 1024
    assert avg["Pss"] < 1024
    for cid in ids:
        subprocess.run([RUNTIME, "--root", env.runtime_root, "kill", cid, "KILL"])
    for cid in ids:
        assert env.tool("wait", "--state-dir", env.state_dir(cid)).returncode == 137
