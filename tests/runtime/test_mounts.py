"""The container's filesystem view: config mounts, a read-only root, masked and read-only paths,
root propagation, the standard /dev, extra device nodes and sysctls, all checked from inside."""

import os
import subprocess

import pytest

from conftest import needs_root
from unique_cgroups import bundle  # noqa: F401 - shadows conftest's

pytestmark = needs_root


def run_sh(rt, bundle, script, edit=None, expect_rc=0):
    """Runs `sh -c script` in a new container; returns (stdout, stderr)."""
    b = bundle(["sh", "-c", script], edit=edit)
    res = rt("run", "--bundle", b, "c1")
    assert res.returncode == expect_rc, f"run: rc={res.returncode}\n{res.stdout}\n{res.stderr}"
    return res.stdout, res.stderr


def mounts_at(text, dest):
    """Entries of a /proc/self/mounts dump mounted at dest: [(source, fstype, options set)]."""
    out = []
    for line in text.splitlines():
        f = line.split()
        if len(f) >= 4 and f[1] == dest:
            out.append((f[0], f[2], set(f[3].split(","))))
    return out


def add_mount(cfg, dest, typ, source, options):
    cfg["mounts"].append({"destination": dest, "type": typ, "source": source,
                          "options": options})


def test_tmpfs_with_options(rt, bundle):
    out, _ = run_sh(rt, bundle, "cat /proc/self/mounts; echo --; stat -c %a /data",
                    lambda cfg: add_mount(cfg, "/data", "tmpfs", "tmpfs",
                                          ["nosuid", "nodev", "mode=1750", "size=8m"]))
    mounts, mode = out.split("--\n")
    (entry,) = mounts_at(mounts, "/data")
    assert entry[1] == "tmpfs"
    assert {"rw", "nosuid", "nodev", "size=8192k", "mode=1750"} <= entry[2], entry
    assert mode.strip() == "1750"


def test_bind_mount_readonly(rt, bundle, tmp_path):
    host = tmp_path / "hostdir"
    host.mkdir()
    (host / "hello").write_text("from-host\n")
    script = ("cat /in/hello; touch /in/new 2>&1 && echo WROTE; "
              "grep ' /in ' /proc/self/mounts")
    out, _ = run_sh(rt, bundle, script,
                    lambda cfg: add_mount(cfg, "/in", "bind", str(host), ["rbind", "ro"]))
    assert out.startswith("from-host\n")
    assert "Read-only file system" in out
    assert "WROTE" not in out
    assert not (host / "new").exists()
    (entry,) = mounts_at(out, "/in")
    assert "ro" in entry[2]


def test_bind_mount_writable(rt, bundle, tmp_path):
    host = tmp_path / "hostdir"
    host.mkdir()
    run_sh(rt, bundle, "echo from-container > /out/file",
           lambda cfg: add_mount(cfg, "/out", "none", str(host), ["bind"]))
    assert (host / "file").read_text() == "from-container\n"


def test_bind_mount_file_with_flags(rt, bundle, tmp_path):
    # A single file, bound read-only and noexec: the flags need a remount after the bind.
    host = tmp_path / "tool"
    host.write_bytes(b"#!/bin/sh\necho ran\n")
    host.chmod(0o755)
    script = ("cat /opt-tool | head -1; /opt-tool 2>&1; echo exec=$?; "
              "{ echo x >> /opt-tool; } 2>&1; grep ' /opt-tool ' /proc/self/mounts")
    out, _ = run_sh(rt, bundle, script,
                    lambda cfg: add_mount(cfg, "/opt-tool", "bind", str(host),
                                          ["rbind", "ro", "noexec", "nosuid", "nodev"]))
    lines = out.splitlines()
    assert lines[0] == "#!/bin/sh"
    assert "Permission denied" in lines[1] and lines[2] != "exec=0", out
    assert "Read-only file system" in lines[3]
    (entry,) = mounts_at(out, "/opt-tool")
    assert {"ro", "noexec", "nosuid", "nodev"} <= entry[2]
    assert host.read_bytes() == b"#!/bin/sh\necho ran\n"


def test_mount_destination_symlink_stays_in_rootfs(rt, bundle, tmp_path):
    # rootfs/escape -> /<host dir>: an absolute symlink must resolve inside the rootfs, so the
    # tmpfs lands on rootfs/<host dir>, never on the host's directory.
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep").write_text("host data\n")

    def edit(cfg):
        cfg["root"]["readonly"] = False
        add_mount(cfg, "/escape", "tmpfs", "tmpfs", ["size=1m"])

    b = bundle(["sh", "-c", "echo inside > /escape/file; ls /escape"], edit=edit)
    os.symlink(str(victim), b / "rootfs" / "escape")
    res = rt("run", "--bundle", b, "c1")
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["file"]
    assert sorted(os.listdir(victim)) == ["keep"]
    with open("/proc/self/mounts") as f:
        assert str(victim) not in f.read()


@pytest.fixture
def host_tree(tmp_path):
    """tmp_path/tree with a tmpfs submount at tree/sub (unmounted afterwards)."""
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "berthsub", str(tree / "sub")],
                   check=True)
    yield tree
    subprocess.run(["umount", "-l", str(tree / "sub")], check=True)


@pytest.mark.parametrize("opt,sub_writable", [("ro", True), ("rro", False)])
def test_recursive_readonly_bind(rt, bundle, host_tree, opt, sub_writable):
    # "ro" makes only the top mount read-only (runc's behaviour); "rro" (mount_setattr with
    # AT_RECURSIVE) reaches the submount too.
    script = "{ touch /t/top; } 2>&1; { touch /t/sub/x && echo sub-ok; } 2>&1; true"
    out, _ = run_sh(rt, bundle, script,
                    lambda cfg: add_mount(cfg, "/t", "bind", str(host_tree), ["rbind", opt]))
    assert "Read-only file system" in out.splitlines()[0]
    assert ("sub-ok" in out) == sub_writable, out


def test_bind_source_relative_to_bundle(rt, bundle):
    def edit(cfg):
        add_mount(cfg, "/data", "bind", "data", ["rbind", "ro"])

    b = bundle(["cat", "/data/f"], edit=edit)
    (b / "data").mkdir()
    (b / "data" / "f").write_text("relative-ok\n")
    res = rt("run", "--bundle", b, "c1")
    assert res.returncode == 0, res.stderr
    assert res.stdout == "relative-ok\n"


def test_tmpcopyup(rt, bundle):
    # crun's tmpcopyup: the tmpfs starts with the rootfs directory's content.
    def edit(cfg):
        add_mount(cfg, "/etc", "tmpfs", "tmpfs", ["tmpcopyup", "size=1m"])

    out, _ = run_sh(rt, bundle, "head -1 /etc/passwd; echo new > /etc/new && cat /etc/new; "
                    "grep ' /etc ' /proc/self/mounts | cut -d' ' -f3", edit)
    assert out.split() == ["root:x:0:0:root:/root:/bin/sh", "new", "tmpfs"]


def test_readonly_root_with_writable_tmp(rt, bundle):
    def edit(cfg):
        cfg["root"]["readonly"] = True
        add_mount(cfg, "/tmp", "tmpfs", "tmpfs", ["nosuid", "nodev", "mode=1777"])

    out, _ = run_sh(rt, bundle, "touch /x 2>&1; touch /etc/x 2>&1; "
                    "echo ok > /tmp/x && cat /tmp/x; grep ' / ' /proc/self/mounts", edit)
    assert out.count("Read-only file system") == 2, out
    assert "ok\n" in out
    (entry,) = mounts_at(out, "/")
    assert "ro" in entry[2]


def test_writable_root(rt, bundle):
    b = bundle(["sh", "-c", "echo w > /root/written"],
               edit=lambda cfg: cfg["root"].update(readonly=False))
    res = rt("run", "--bundle", b, "c1")
    assert res.returncode == 0, res.stderr
    assert (b / "rootfs" / "root" / "written").read_text() == "w\n"


def test_masked_paths(rt, bundle):
    # /proc/kcore does not exist on this kernel; /proc/keys and /proc/timer_list do.
    def edit(cfg):
        cfg["linux"]["maskedPaths"] = ["/proc/keys", "/proc/timer_list", "/sys/firmware",
                                       "/proc/does-not-exist"]

    script = ("wc -c < /proc/keys; stat -c '%F %t:%T' /proc/keys; wc -c < /proc/timer_list; "
              "ls -A /sys/firmware | wc -l; { touch /sys/firmware/x; } 2>&1; echo --; "
              "cat /proc/self/mounts")
    out, _ = run_sh(rt, bundle, script, edit)
    facts, mounts = out.split("--\n")
    lines = facts.splitlines()
    assert lines[0].strip() == "0", out  # /dev/null bound over the file
    assert lines[1] == "character special file 1:3"
    assert lines[2].strip() == "0"
    assert lines[3].strip() == "0"  # an empty read-only tmpfs over the directory
    assert "Read-only file system" in lines[4]
    (fw,) = mounts_at(mounts, "/sys/firmware")
    assert fw[1] == "tmpfs" and "ro" in fw[2]
    with open("/proc/timer_list") as f:  # the host's own view is untouched
        assert f.read(10)


def test_readonly_paths(rt, bundle):
    def edit(cfg):
        cfg["linux"]["readonlyPaths"] = ["/proc/sys", "/proc/sysrq-trigger", "/proc/nope"]
        for s in ("bounding", "effective", "permitted"):
            cfg["process"]["capabilities"][s].append("CAP_SYS_ADMIN")

    # The uts namespace is the container's own, so a successful write would be harmless.
    out, _ = run_sh(rt, bundle, "{ echo x > /proc/sys/kernel/hostname; } 2>&1 || echo FAILED; "
                    "cat /proc/sys/kernel/ostype; cat /proc/self/mounts", edit)
    assert "Read-only file system" in out and "FAILED" in out, out
    assert "Linux\n" in out  # still readable
    ro = mounts_at(out, "/proc/sys")
    assert ro and "ro" in ro[-1][2]


@pytest.fixture
def shared_tmp(tmp_path):
    """tmp_path made a shared mount of its own, so that a slave can have a master."""
    subprocess.run(["mount", "--bind", str(tmp_path), str(tmp_path)], check=True)
    subprocess.run(["mount", "--make-shared", str(tmp_path)], check=True)
    yield tmp_path
    subprocess.run(["umount", "-l", str(tmp_path)], check=True)


def root_mount_tags(rt, bundle, prop):
    out, _ = run_sh(rt, bundle, "cat /proc/self/mountinfo",
                    lambda cfg: cfg["linux"].update(rootfsPropagation=prop))
    root = [line for line in out.splitlines() if line.split()[4] == "/"]
    assert root, out
    # Fields 7.. up to "-" are the optional propagation tags of the root mount.
    fields = root[-1].split()
    return [f.split(":")[0] for f in fields[6:fields.index("-")]]


def test_rootfs_propagation_shared(rt, bundle):
    assert root_mount_tags(rt, bundle, "shared") == ["shared"]


def test_rootfs_propagation_private(rt, bundle, shared_tmp):
    assert root_mount_tags(rt, bundle, "private") == []


def test_rootfs_propagation_slave(rt, bundle, shared_tmp):
    assert root_mount_tags(rt, bundle, "rslave") == ["master"]


def test_standard_dev(rt, bundle):
    script = ("cat /proc/self/mounts; echo --; "
              "for d in null zero full random urandom tty; do stat -c '%n %F %t:%T %a' /dev/$d; "
              "done; for l in ptmx fd stdin stdout stderr; do readlink /dev/$l; done; "
              "echo hi > /dev/shm/x && cat /dev/shm/x; head -c 4 /dev/zero | wc -c")
    out, _ = run_sh(rt, bundle, script)
    mounts, facts = out.split("--\n")
    assert mounts_at(mounts, "/dev")[0][1] == "tmpfs"
    assert mounts_at(mounts, "/dev/pts")[0][1] == "devpts"
    assert mounts_at(mounts, "/dev/shm")[0][1] == "tmpfs"
    assert mounts_at(mounts, "/dev/mqueue")[0][1] == "mqueue"
    lines = facts.splitlines()
    assert lines[:6] == ["/dev/null character special file 1:3 666",
                         "/dev/zero character special file 1:5 666",
                         "/dev/full character special file 1:7 666",
                         "/dev/random character special file 1:8 666",
                         "/dev/urandom character special file 1:9 666",
                         "/dev/tty character special file 5:0 666"]
    assert lines[6:11] == ["pts/ptmx", "/proc/self/fd", "/proc/self/fd/0", "/proc/self/fd/1",
                           "/proc/self/fd/2"]
    assert lines[11] == "hi"
    assert lines[12].strip() == "4"


def test_linux_devices(rt, bundle):
    def edit(cfg):
        cfg["linux"]["devices"] = [{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229,
                                    "fileMode": 0o666, "uid": 0, "gid": 0},
                                   {"path": "/dev/berth/blk", "type": "b", "major": 7,
                                    "minor": 200, "fileMode": 0o640, "uid": 65534,
                                    "gid": 65534}]

    out, _ = run_sh(rt, bundle, "stat -c '%F %t:%T %a %u:%g' /dev/fuse /dev/berth/blk", edit)
    assert out.splitlines() == ["character special file a:e5 666 0:0",
                                "block special file 7:c8 640 65534:65534"]


def test_device_cgroup_rules(rt, bundle):
    # An allow rule in linux.resources.devices opens the device; a node the container makes for
    # a device nobody allowed can be created (the default "m" rules) but not opened. Whether
    # linux.devices entries are allowed implicitly differs between runtimes (runc: no), so the
    # test states the rule explicitly.
    def edit(cfg):
        cfg["linux"]["devices"] = [{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229,
                                    "fileMode": 0o666}]
        cfg["linux"]["resources"]["devices"].append(
            {"allow": True, "type": "c", "major": 10, "minor": 229, "access": "rw"})
        for s in ("bounding", "effective", "permitted"):
            cfg["process"]["capabilities"][s].append("CAP_MKNOD")

    out, _ = run_sh(rt, bundle, "head -c1 /dev/fuse 2>&1; mknod /dev/loopx b 7 201 && "
                    "head -c1 /dev/loopx 2>&1; true", edit)
    first, second = out.splitlines()
    # Reading an unmounted fuse device fails with EIO or EPERM from fuse itself, never from the
    # device cgroup at open; "Operation not permitted" alone would be ambiguous, so check EIO.
    assert first == "head: /dev/fuse: Input/output error", out
    assert second == "head: /dev/loopx: Operation not permitted", out


def test_sysctl_in_new_net_namespace(rt, bundle):
    with open("/proc/sys/net/ipv4/ip_forward") as f:
        host = f.read()
    out, _ = run_sh(rt, bundle, "cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmni",
                    lambda cfg: cfg["linux"].update(sysctl={"net.ipv4.ip_forward": "1",
                                                            "kernel.shmmni": "1234"}))
    assert out.split() == ["1", "1234"]
    with open("/proc/sys/net/ipv4/ip_forward") as f:
        assert f.read() == host


def test_sysctl_rejected_without_namespace(rt, bundle):
    # A net.* sysctl would change the host's value when the container shares its net namespace.
    def edit(cfg):
        cfg["linux"]["namespaces"] = [n for n in cfg["linux"]["namespaces"]
                                      if n["type"] != "network"]
        cfg["linux"]["sysctl"] = {"net.ipv4.ip_forward": "1"}

    with open("/proc/sys/net/ipv4/ip_forward") as f:
        before = f.read()
    b = bundle(["true"], edit=edit)
    res = rt("run", "--bundle", b, "c1")
    assert res.returncode != 0
    with open("/proc/sys/net/ipv4/ip_forward") as f:
        assert f.read() == before
