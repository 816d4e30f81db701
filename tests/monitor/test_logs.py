"""The json-file log through the monitor: rotation by size and count, and the reader (tail,
follow across rotations) as the engine uses it."""

import json
import os
import subprocess

from conftest import TOOL


def read(env, cid, *extra, max_files=3):
    res = env.tool("logs", "--log", env.log_path(cid), "--max-files", max_files, *extra,
                   check=True, timeout=60)
    return [json.loads(l) for l in res.stdout.decode().splitlines()]


def test_rotation_by_size_and_count(env):
    b = env.bundle("sh", "-c", "seq 1 3000")
    res = env.run("r1", b, "--log-max-size", "10000", "--log-max-files", "3")
    assert res.returncode == 0, res.stderr
    log = env.log_path("r1")
    sizes = [os.path.getsize(f"{log}{s}") for s in ("", ".1", ".2")]
    assert not os.path.exists(f"{log}.3")
    line = len('{"log":"3000\\n","stream":"stdout","time":"2026-11-25T14:37:37.090172306Z"}\n')
    assert all(s <= 10000 + line for s in sizes), sizes
    assert sizes[1] >= 10000 and sizes[2] >= 10000
    entries = read(env, "r1")
    nums = [int(e["line"].rstrip("\n")) for e in entries]
    # What is kept is the newest part, contiguous and in order, across the three files.
    assert nums == list(range(nums[0], 3001)) and nums[0] > 1
    assert all(e["stream"] == 1 for e in entries)
    tail = read(env, "r1", "--tail", "5")
    assert [int(e["line"].rstrip("\n")) for e in tail] == [2996, 2997, 2998, 2999, 3000]


def test_follow_across_rotations(env):
    b = env.bundle("sh", "-c", "i=1; while [ $i -le 400 ]; do echo line $i; "
                               "[ $((i % 40)) -eq 0 ] && sleep 0.05; i=$((i+1)); done")
    env.run_detached("r2", b, "--log-max-size", "3000", "--log-max-files", "2")
    f = subprocess.run([TOOL, "logs", "--log", env.log_path("r2"), "--max-files", "2",
                        "--follow", "--follow-until-exit", env.state_dir("r2")],
                       capture_output=True, timeout=60)
    assert f.returncode == 0, f.stderr
    lines = [json.loads(l)["line"] for l in f.stdout.decode().splitlines()]
    assert lines[-1] == "line 400\n"
    # The follower saw every line that still existed when it started, once and in order.
    nums = [int(l.split()[1]) for l in lines]
    assert nums == list(range(nums[0], 401)), nums[:20]
    assert nums[0] < 100
    assert os.path.exists(f"{env.log_path('r2')}.1")
