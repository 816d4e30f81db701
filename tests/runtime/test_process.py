"""process.* of config.json, checked from inside the container: env, cwd, user and groups, umask,
rlimits, the five capability sets, no_new_privs, oom_score_adj and personality."""

import pytest

from conftest import needs_root
from unique_cgroups import bundle  # noqa: F401 - shadows conftest's

pytestmark = needs_root

# Linux capability numbers (include/uapi/linux/capability.h).
CAPS = {name: i for i, name in enumerate([
    "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID",
    "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW",
    "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT",
    "SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD",
    "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG",
    "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE"])}


def mask(names):
    """The /proc/<pid>/status hex form of a capability list."""
    return f"{sum(1 << CAPS[n.removeprefix('CAP_')] for n in names):016x}"


def run_sh(rt, bundle, script, edit=None, expect_rc=0):
    b = bundle(["sh", "-c", script], edit=edit)
    res = rt("run", "--bundle", b, "c1")
    assert res.returncode == expect_rc, f"run: rc={res.returncode}\n{res.stdout}\n{res.stderr}"
    return res.stdout


def status_fields(text):
    """'Key:\\tvalue' lines of /proc/self/status -> {key: value}."""
    return {k: v.strip() for k, _, v in (line.partition(":") for line in text.splitlines())}


def test_env(rt, bundle):
    def edit(cfg):
        cfg["process"]["env"] = ["PATH=/bin", "FOO=bar baz", "EMPTY=", "HOME=/root"]

    out = run_sh(rt, bundle, "env", edit)
    env = sorted(out.splitlines())
    # sh itself adds PWD (and maybe SHLVL); everything from config.json is there verbatim.
    assert {"PATH=/bin", "FOO=bar baz", "EMPTY=", "HOME=/root"} <= set(env), env
    assert not any(line.startswith("TERM=") for line in env)


def test_args_resolved_through_path(rt, bundle):
    b = bundle(["echo", "via-path"])
    res = rt("run", "--bundle", b, "c1")
    assert res.returncode == 0, res.stderr
    assert res.stdout == "via-path\n"


def test_missing_executable_fails(rt, bundle):
    b = bundle(["/bin/no-such-program"])
    res = rt("run", "--bundle", b, "c1")
    assert res.returncode != 0
    assert "no-such-program" in res.stderr


@pytest.mark.parametrize("cwd", ["/root", "/etc"])
def test_cwd(rt, bundle, cwd):
    assert run_sh(rt, bundle, "pwd", lambda cfg: cfg["process"].update(cwd=cwd)) == cwd + "\n"


def test_cwd_created_when_missing(rt, bundle):
    def edit(cfg):
        cfg["root"]["readonly"] = False
        cfg["process"]["cwd"] = "/work/dir"

    assert run_sh(rt, bundle, "pwd", edit) == "/work/dir\n"


def test_user_uid_gid_additional_gids(rt, bundle):
    def edit(cfg):
        cfg["process"]["user"] = {"uid": 1000, "gid": 1001, "additionalGids": [10, 20, 30]}

    out = run_sh(rt, bundle, "id -u; id -g; grep -E '^(Uid|Gid|Groups):' /proc/self/status",
                 edit)
    lines = out.splitlines()
    assert lines[:2] == ["1000", "1001"]
    st = status_fields("\n".join(lines[2:]))
    assert st["Uid"].split() == ["1000"] * 4
    assert st["Gid"].split() == ["1001"] * 4
    assert st["Groups"].split() == ["10", "20", "30"]


def test_user_root_has_no_supplementary_groups(rt, bundle):
    out = run_sh(rt, bundle, "grep -E '^Groups:' /proc/self/status")
    assert status_fields(out)["Groups"] == ""


@pytest.mark.parametrize("umask,shown", [(0o027, "0027"), (0o077, "0077")])
def test_umask(rt, bundle, umask, shown):
    def edit(cfg):
        cfg["process"]["user"]["umask"] = umask

    out = run_sh(rt, bundle, "umask; touch /dev/shm/f; stat -c %a /dev/shm/f", edit)
    assert out.split() == [shown, f"{0o666 & ~umask:o}"]


def test_rlimits(rt, bundle):
    def edit(cfg):
        cfg["process"]["rlimits"] = [
            {"type": "RLIMIT_NOFILE", "soft": 1234, "hard": 5678},
            {"type": "RLIMIT_CORE", "soft": 0, "hard": 4096},
            {"type": "RLIMIT_MSGQUEUE", "soft": 100000, "hard": 200000},
        ]

    out = run_sh(rt, bundle, "ulimit -n; ulimit -Hn; cat /proc/self/limits", edit)
    lines = out.splitlines()
    assert lines[:2] == ["1234", "5678"]
    limits = {line[:26].strip(): line[26:].split() for line in lines[2:]}
    assert limits["Max open files"][:2] == ["1234", "5678"]
    assert limits["Max core file size"][:2] == ["0", "4096"]
    assert limits["Max msgqueue size"][:2] == ["100000", "200000"]


def test_rlimit_above_hard_limit_fails(rt, bundle):
    # Raising a hard limit needs CAP_SYS_RESOURCE, which this machine's root lacks.
    def edit(cfg):
        cfg["process"]["rlimits"] = [{"type": "RLIMIT_NOFILE", "soft": 1024, "hard": 1 << 30}]

    b = bundle(["true"], edit=edit)
    res = rt("run", "--bundle", b, "c1")
    assert res.returncode != 0
    assert "RLIMIT_NOFILE" in res.stderr or "rlimit" in res.stderr.lower(), res.stderr


CAP_SCRIPT = "grep -E '^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs):' /proc/self/status"


def test_capabilities_root_all_sets(rt, bundle):
    caps = ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_AUDIT_WRITE",
            "CAP_SETFCAP"]

    def edit(cfg):
        cfg["process"]["capabilities"] = {s: caps for s in ("bounding", "effective",
                                                            "permitted", "inheritable",
                                                            "ambient")}
        cfg["process"]["noNewPrivileges"] = True

    st = status_fields(run_sh(rt, bundle, CAP_SCRIPT, edit))
    want = mask(caps)
    assert want == "00000000a0040421"  # guards the mask helper itself
    assert {k: st[k] for k in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")} == {
        "CapInh": want, "CapPrm": want, "CapEff": want, "CapBnd": want, "CapAmb": want}
    assert st["NoNewPrivs"] == "1"


def test_capabilities_distinct_sets_non_root(rt, bundle):
    # For a non-root user, exec of a file without file capabilities leaves permitted = effective
    # = ambient; inheritable, bounding and ambient are what the runtime set.
    bounding = ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SETUID", "CAP_SETGID",
                "CAP_NET_RAW"]
    inheritable = ["CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW"]
    ambient = ["CAP_KILL", "CAP_NET_RAW"]

    def edit(cfg):
        cfg["process"]["user"] = {"uid": 1000, "gid": 1000}
        cfg["process"]["capabilities"] = {
            "bounding": bounding, "permitted": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW"],
            "effective": ["CAP_KILL"], "inheritable": inheritable, "ambient": ambient}
        cfg["process"]["noNewPrivileges"] = False

    st = status_fields(run_sh(rt, bundle, CAP_SCRIPT, edit))
    assert st["CapInh"] == mask(inheritable)
    assert st["CapPrm"] == mask(ambient)
    assert st["CapEff"] == mask(ambient)
    assert st["CapBnd"] == mask(bounding)
    assert st["CapAmb"] == mask(ambient)
    assert st["NoNewPrivs"] == "0"


def test_dropped_capability_is_enforced(rt, bundle):
    def edit(cfg):
        caps = ["CAP_KILL", "CAP_FOWNER"]  # no CAP_CHOWN
        cfg["process"]["capabilities"] = {s: caps for s in ("bounding", "effective", "permitted")}

    out = run_sh(rt, bundle, "touch /dev/shm/f; chown 1000 /dev/shm/f 2>&1; "
                 "chmod 600 /dev/shm/f && echo chmod-ok", edit)
    assert "Operation not permitted" in out
    assert "chmod-ok" in out


def test_unknown_capability_fails(rt, bundle):
    def edit(cfg):
        cfg["process"]["capabilities"]["bounding"].append("CAP_NO_SUCH_THING")

    b = bundle(["true"], edit=edit)
    res = rt("run", "--bundle", b, "c1")
    assert res.returncode != 0
    assert "CAP_NO_SUCH_THING" in res.stderr


def test_oom_score_adj(rt, bundle):
    out = run_sh(rt, bundle, "cat /proc/self/oom_score_adj",
                 lambda cfg: cfg["process"].update(oomScoreAdj=500))
    assert out.strip() == "500"


def test_personality_linux32(rt, bundle):
    out = run_sh(rt, bundle, "uname -m",
                 lambda cfg: cfg["linux"].update(personality={"domain": "LINUX32"}))
    assert out.strip() == "i686"


def test_personality_linux(rt, bundle):
    out = run_sh(rt, bundle, "uname -m",
                 lambda cfg: cfg["linux"].update(personality={"domain": "LINUX"}))
    assert out.strip() == "x86_64"


def test_hostname_visible_to_process(rt, bundle):
    out = run_sh(rt, bundle, "hostname; cat /proc/sys/kernel/hostname",
                 lambda cfg: cfg.update(hostname="proc-host"))
    assert out.split() == ["proc-host", "proc-host"]


def proc_stat_fields(line):
    """/proc/<pid>/stat split after the comm field: index 0 is field 3 (state)."""
    return line.rsplit(")", 1)[1].split()


def test_scheduler_batch_with_nice(rt, bundle):
    out = run_sh(rt, bundle, "cat /proc/self/stat",
                 lambda cfg: cfg["process"].update(scheduler={"policy": "SCHED_BATCH",
                                                              "nice": 7}))
    f = proc_stat_fields(out)
    assert (f[19 - 3], f[41 - 3]) == ("7", "3")  # nice, policy (SCHED_BATCH = 3)


def test_io_priority(rt, bundle):
    out = run_sh(rt, bundle, "ionice -p $$",
                 lambda cfg: cfg["process"].update(ioPriority={"class": "IOPRIO_CLASS_BE",
                                                               "priority": 6}))
    assert out.strip() == "best-effort: prio 6"


def test_exec_cpu_affinity(rt, bundle):
    out = run_sh(rt, bundle, "grep Cpus_allowed_list /proc/self/status",
                 lambda cfg: cfg["process"].update(execCPUAffinity={"initial": "0-1",
                                                                    "final": "1"}))
    assert out.split() == ["Cpus_allowed_list:", "1"]
