"""podman driving the runtime under test (`podman --runtime <abs path>`), the way users will.

Everything podman keeps lives under one temp dir (storage, run root, tmpdir, network config);
containers run with `--network none`, so the host's network is never touched. The image is built
locally from the busybox rootfs with `podman import`: no registry is involved.
"""

import glob
import os
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

from conftest import MKBUNDLE, run_captured

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root"),
    pytest.mark.skipif(shutil.which("podman") is None, reason="podman not installed"),
]

IMAGE = "localhost/berth-busybox"
# This machine's RLIMIT_NOFILE hard limit is 20000 and there is no CAP_SYS_RESOURCE, so podman's
# defaults (1048576) cannot be applied.
RUN_FLAGS = ["--network", "none", "--ulimit", "nofile=20000:20000", "--ulimit", "nproc=4096:4096"]


def unmount_under(top):
    """Lazily unmount every mount below `top`, deepest first (overlay and shm leftovers)."""
    with open("/proc/self/mountinfo") as f:
        points = [line.split()[4] for line in f]
    for mp in sorted((p for p in points if p.startswith(top + "/")), key=len, reverse=True):
        subprocess.run(["umount", "-l", mp], stderr=subprocess.DEVNULL)


def kill_leftovers(top):
    """SIGKILL what a broken runtime may leave behind: processes whose command line names our temp
    dir (conmon, hung runtime calls) or whose root or cwd lies inside it (container processes)."""
    me = os.getpid()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == me:
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read().decode(errors="replace")
            paths = [os.readlink(f"/proc/{entry}/{link}") for link in ("root", "cwd")]
        except OSError:
            continue
        if top in cmdline or any(p == top or p.startswith(top + "/") for p in paths):
            try:
                os.kill(int(entry), signal.SIGKILL)
            except ProcessLookupError:
                pass


def remove_cgroups(ids):
    """Remove the (empty) cgroups of our containers in case the runtime did not."""
    for cid in ids:
        for top in glob.glob(f"/sys/fs/cgroup/*/libpod_parent/libpod-{cid}"):
            for dirpath, _, _ in sorted(os.walk(top), key=lambda w: -len(w[0])):
                try:
                    os.rmdir(dirpath)
                except OSError:
                    pass


class Podman:
    def __init__(self, runtime, top):
        self.top = top
        self.base = ["podman", "--root", f"{top}/storage", "--runroot", f"{top}/run",
                     "--tmpdir", f"{top}/tmp", "--network-config-dir", f"{top}/net",
                     "--cgroup-manager", "cgroupfs", "--events-backend", "file",
                     "--runtime", runtime]

    def __call__(self, *args, timeout=60):
        return run_captured([*self.base, *args], timeout=timeout)

    def ok(self, *args, timeout=60):
        res = self(*args, timeout=timeout)
        assert res.returncode == 0, \
            f"podman {' '.join(args)}: rc={res.returncode}\n{res.stdout}\n{res.stderr}"
        return res.stdout.strip()

    def container_ids(self):
        try:
            names = os.listdir(f"{self.top}/storage/overlay-containers")
        except FileNotFoundError:
            return []
        return [n for n in names if len(n) == 64]

    def cleanup(self):
        ids = self.container_ids()
        self("rm", "--all", "--force", "--time", "0")
        self("system", "reset", "--force")
        kill_leftovers(self.top)
        time.sleep(0.2)  # let the killed processes release their mounts and cgroups
        remove_cgroups(ids)
        unmount_under(self.top)
        shutil.rmtree(self.top, ignore_errors=True)


@pytest.fixture(scope="module")
def podman(runtime):
    top = tempfile.mkdtemp(prefix="berth-podman-")
    pm = Podman(runtime, top)
    try:
        bundle = os.path.join(top, "bundle")
        env = dict(os.environ, BERTH_RUNTIME=shutil.which("runc") or runtime)
        res = run_captured(["bash", str(MKBUNDLE), bundle], env=env)
        assert res.returncode == 0, f"mkbundle: {res.stderr}"
        tar = os.path.join(top, "rootfs.tar")
        subprocess.run(["tar", "-C", os.path.join(bundle, "rootfs"), "-cf", tar, "."], check=True)
        pm.ok("import", "--change", "CMD=[\"sh\"]", tar, IMAGE)
        # One smoke run first: if the runtime cannot run anything, every test fails fast with the
        # reason instead of each waiting for its own timeout.
        res = pm("run", "--rm", *RUN_FLAGS, IMAGE, "true")
        if res.returncode != 0:
            pytest.fail(f"podman --runtime {runtime} run true: rc={res.returncode}\n{res.stderr}")
        yield pm
    finally:
        pm.cleanup()


def test_run_rm_echo(podman):
    out = podman.ok("run", "--rm", *RUN_FLAGS, IMAGE, "sh", "-c", "echo ok")
    assert out.splitlines()[-1] == "ok"
    assert podman.ok("ps", "-aq") == ""


def test_run_exit_code(podman):
    res = podman("run", "--rm", *RUN_FLAGS, IMAGE, "sh", "-c", "exit 7")
    assert res.returncode == 7, res.stderr


def test_run_hostname_and_memory_limit(podman):
    out = podman.ok("run", "--rm", *RUN_FLAGS, "--hostname", "berthbox", "--memory", "64m", IMAGE,
                    "sh", "-c", "hostname; cat /sys/fs/cgroup/memory/memory.limit_in_bytes "
                    "/sys/fs/cgroup/memory.max 2>/dev/null; true")
    lines = out.splitlines()
    assert lines[0] == "berthbox"
    assert str(64 * 1024 * 1024) in lines[1:], out


def test_detached_exec_stop_rm(podman):
    # The trap makes SIGTERM end the container at once, so `stop` checks that kill delivers it.
    cid = podman.ok("run", "-d", *RUN_FLAGS, IMAGE, "sh", "-c",
                    "trap 'exit 0' TERM; while true; do sleep 0.1; done")
    assert podman.ok("inspect", "--format", "{{.State.Status}}", cid) == "running"

    assert podman.ok("exec", cid, "echo", "hi") == "hi"
    res = podman("exec", cid, "sh", "-c", "exit 4")
    assert res.returncode == 4, res.stderr

    start = time.monotonic()
    podman.ok("stop", "--time", "20", cid)
    assert time.monotonic() - start < 15, "SIGTERM was not delivered; podman fell back to KILL"
    assert podman.ok("inspect", "--format", "{{.State.Status}}", cid) == "exited"
    assert podman.ok("inspect", "--format", "{{.State.ExitCode}}", cid) == "0"

    podman.ok("rm", cid)
    assert cid not in podman.ok("ps", "-aq", "--no-trunc")
