"""berth against the docker CLI, one berthd: networks, volumes, system df/info/version and the
container lifecycle verbs (stop, kill, restart, pause, unpause, rm, rename, update, prune)."""

import json
import re

import pytest


def same(b, d):
    assert (b.rc, b.out, b.err.replace("berth", "docker")) == (d.rc, d.out, d.err), (b, d)


def header_and_cols(out):
    lines = out.splitlines()
    return lines[0], [len(l) for l in lines]


def test_network_create_ls_inspect_rm(shared_daemon):
    d = shared_daemon
    nid = d.berth("network", "create", "--subnet", "10.91.0.0/24", "--gateway", "10.91.0.1",
                  "--label", "team=a", "-o", "com.docker.network.driver.mtu=1400",
                  "h6-net1").out.strip()
    assert re.fullmatch(r"[0-9a-f]{64}", nid)
    d.dockerc("network", "create", "--internal", "h6-net2")
    try:
        _network_checks(d)
    finally:
        d.berth("network", "rm", "h6-net1", "h6-net2", check=False)


def _network_checks(d):
    for args in (["network", "ls"], ["network", "ls", "--no-trunc"], ["network", "ls", "-q"],
                 ["network", "list", "--format", "json"],
                 ["network", "ls", "--format", "table {{.Name}}\t{{.Labels}}\t{{.Internal}}"],
                 ["network", "ls", "-f", "name=h6-net", "--format", "{{.Name}} {{.Driver}}"],
                 ["network", "inspect", "h6-net1", "h6-net2"],
                 ["network", "inspect", "-f", "{{.Name}} {{.Internal}} {{.Options}}", "h6-net2",
                  "h6-net1"],
                 ["network", "inspect", "h6-net1", "nope"],
                 ["network", "inspect", "nope"],
                 ["network", "create", "--gateway", "10.1.0.1", "h6-x"],
                 ["network", "create", "--subnet", "10.92.0.0/24", "--gateway", "10.93.0.1",
                  "h6-x"],
                 ["network", "connect", "h6-none", "nope"],
                 ["network", "disconnect", "bridge", "nope"],
                 ["network", "rm", "nope"],
                 ["network", "rm", "-f", "nope"]):
        same(*d.both(*args))
    insp = json.loads(d.berth("network", "inspect", "h6-net1").out)
    assert insp[0]["IPAM"]["Config"] == [{"Gateway": "10.91.0.1", "Subnet": "10.91.0.0/24"}]
    assert insp[0]["Labels"] == {"team": "a"}
    b = d.berth("network", "rm", "h6-net1", "nope", "h6-net2", check=False)
    assert (b.rc, b.out) == (1, "h6-net1\nh6-net2\n")
    assert b.err == "Error response from daemon: network nope not found\nexit status 1\n"


def test_network_connect_disconnect(shared_daemon):
    d = shared_daemon
    d.berth("network", "create", "--subnet", "10.94.0.0/24", "h6-cn")
    d.berth("run", "-d", "--name", "h6-cn-c", "busybox", "sleep", "300")
    try:
        b = d.berth("network", "connect", "--alias", "web", "--ip", "10.94.0.50", "h6-cn",
                    "h6-cn-c")
        assert (b.out, b.err) == ("", "")
        nets = json.loads(d.berth("inspect", "h6-cn-c").out)[0]["NetworkSettings"]["Networks"]
        assert nets["h6-cn"]["IPAddress"] == "10.94.0.50"
        assert "web" in (nets["h6-cn"]["Aliases"] or [])
        same(*d.both("network", "connect", "h6-cn", "h6-cn-c"))
        b = d.berth("network", "disconnect", "h6-cn", "h6-cn-c")
        assert (b.out, b.err) == ("", "")
        nets = json.loads(d.berth("inspect", "h6-cn-c").out)[0]["NetworkSettings"]["Networks"]
        assert "h6-cn" not in nets
        same(*d.both("network", "disconnect", "h6-cn", "h6-cn-c"))
    finally:
        d.berth("rm", "-f", "h6-cn-c", check=False)
        d.berth("network", "rm", "h6-cn", check=False)


def test_network_prune(shared_daemon):
    d = shared_daemon
    d.berth("network", "create", "h6-prune-me")
    b = d.berth("network", "prune", input=b"n\n")
    assert b.out == ("WARNING! This will remove all custom networks not used by at least one "
                     "container.\nAre you sure you want to continue? [y/N] ")
    assert "h6-prune-me" in d.berth("network", "ls").out
    b = d.berth("network", "prune", "-f")
    assert b.out == "Deleted Networks:\nh6-prune-me\n\n"
    same(*d.both("network", "prune", "-f"))


def test_volume_create_ls_inspect_rm(shared_daemon):
    d = shared_daemon
    assert d.berth("volume", "create", "--label", "a=b", "h6-vol1").out == "h6-vol1\n"
    anon = d.berth("volume", "create").out.strip()
    assert re.fullmatch(r"[0-9a-f]{64}", anon)
    d.dockerc("volume", "create", "-d", "local", "-o", "type=tmpfs", "-o", "device=tmpfs",
              "h6-vol2")
    for args in (["volume", "ls"], ["volume", "ls", "-q"], ["volume", "list", "--format", "json"],
                 ["volume", "ls", "--format", "table {{.Name}}\t{{.Labels}}\t{{.Scope}}"],
                 ["volume", "ls", "-f", "label=a=b"],
                 ["volume", "inspect", "h6-vol1", "h6-vol2"],
                 ["volume", "inspect", "-f", "{{.Name}} {{.Driver}} {{.Labels}}", "h6-vol1"],
                 ["volume", "inspect", "h6-vol1", "nope"],
                 ["volume", "rm", "nope"], ["volume", "rm", "-f", "nope"]):
        same(*d.both(*args))
    b = d.berth("volume", "rm", "h6-vol1", "nope", "h6-vol2", anon, check=False)
    assert (b.rc, b.out) == (1, f"h6-vol1\nh6-vol2\n{anon}\n")
    assert b.err == "Error response from daemon: get nope: no such volume\n"


def test_volume_prune(shared_daemon):
    d = shared_daemon
    d.berth("volume", "create", "h6-named")
    b = d.berth("volume", "prune", input=b"\n")
    assert b.out == ("WARNING! This will remove anonymous local volumes not used by at least "
                     "one container.\nAre you sure you want to continue? [y/N] ")
    b = d.berth("volume", "prune", "-f")
    assert b.out == "Total reclaimed space: 0B\n"  # named volumes stay without -a
    b = d.berth("volume", "prune", "-a", "-f")
    assert b.out == "Deleted Volumes:\nh6-named\n\nTotal reclaimed space: 0B\n"


def test_system_df(shared_daemon):
    d = shared_daemon
    d.berth("run", "-d", "--name", "h6-df", "busybox", "sleep", "300")
    try:
        for args in (["system", "df"], ["system", "df", "--format", "json"],
                     ["system", "df", "--format", "{{.Type}}: {{.Reclaimable}}"]):
            same(*d.both(*args))
        b, dk = d.both("system", "df", "-v")
        # CREATED cells read a second apart differ, and with them the column widths.
        mask = lambda s: re.sub(r" {2,}", "  ", re.sub(
            r"\d+ seconds? ago|Less than a second ago|About a minute ago", "T ago", s))
        assert b.rc == dk.rc == 0
        assert mask(b.out) == mask(dk.out)
        lines = b.out.splitlines()
        assert lines[0] == "TYPE            TOTAL     ACTIVE    SIZE      RECLAIMABLE" or \
            lines[0] == "Images space usage:"
        summary = d.berth("system", "df").out.splitlines()
        assert summary[0] == "TYPE            TOTAL     ACTIVE    SIZE      RECLAIMABLE"
        assert summary[1].startswith("Images          1         1 ")
    finally:
        d.berth("rm", "-f", "h6-df", check=False)


def test_info_layout(shared_daemon):
    d = shared_daemon
    b, dk = d.both("info")
    assert b.rc == dk.rc == 0
    bl, dl = b.out.splitlines(), dk.out.splitlines()
    # The client part names berth; the server part is docker's, line for line.
    assert bl[0] == "Client: Berth" and dl[0] == "Client:"
    assert bl[bl.index("Server:"):] == dl[dl.index("Server:"):]
    label = lambda l: l.split(":")[0]
    assert [label(l) for l in bl[1:bl.index("Server:")]] == \
        [label(l) for l in dl[1:dl.index("Server:")]]
    same(*d.both("info", "--format", "{{.Containers}} {{.ServerVersion}} {{.OSType}}"))
    j = json.loads(d.berth("info", "--format", "json").out)
    assert j["ClientInfo"]["Context"] == "default" and "ServerVersion" in j


def test_version_layout(shared_daemon):
    d = shared_daemon
    b, dk = d.both("version")
    assert b.rc == dk.rc == 0
    bl, dl = b.out.splitlines(), dk.out.splitlines()
    assert bl[0] == "Client: Berth"
    # Same field labels at the same value column; the server block is identical.
    assert [l[:20] for l in bl[1:]] == [l[:20] for l in dl[1:]]
    assert bl[bl.index("Server: Berth Engine"):] == dl[dl.index("Server: Berth Engine"):]
    assert " API version:       1.50" in bl
    same(*d.both("version", "--format", "{{.Server.Version}} {{.Client.APIVersion}}"))
    j = json.loads(d.berth("version", "--format", "json").out)
    assert j["Client"]["ApiVersion"] == "1.50" and j["Server"]["Platform"]["Name"] == "Berth Engine"


def state(d, name):
    return json.loads(d.berth("inspect", name).out)[0]["State"]


def test_lifecycle_verbs(shared_daemon):
    d = shared_daemon
    for n in ("h6-a", "h6-b"):
        d.berth("run", "-d", "--name", n, "busybox", "sleep", "300")
    try:
        b = d.berth("pause", "h6-a", "h6-b")
        assert b.out == "h6-a\nh6-b\n"
        assert state(d, "h6-a")["Status"] == "paused"
        same(*d.both("pause", "h6-a"))
        assert d.berth("unpause", "h6-a", "h6-b").out == "h6-a\nh6-b\n"
        assert state(d, "h6-b")["Status"] == "running"
        same(*d.both("unpause", "h6-a"))
        b = d.berth("update", "--memory", "64m", "--pids-limit", "100", "--restart",
                    "on-failure:3", "--cpus", "0.5", "h6-a")
        assert b.out == "h6-a\n"
        hc = json.loads(d.berth("inspect", "h6-a").out)[0]["HostConfig"]
        assert hc["Memory"] == 64 << 20 and hc["PidsLimit"] == 100
        assert hc["NanoCpus"] == 500000000
        assert hc["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 3}
        same(*d.both("update", "h6-a"))  # no flags: docker's error
        b = d.berth("restart", "-t", "1", "h6-a")
        assert b.out == "h6-a\n" and state(d, "h6-a")["Running"]
        assert d.berth("kill", "-s", "KILL", "h6-b").out == "h6-b\n"
        d.berth("wait", "h6-b", check=False)
        assert not state(d, "h6-b")["Running"]
        same(*d.both("kill", "h6-b"))  # not running
        assert d.berth("stop", "-t", "1", "h6-a").out == "h6-a\n"
        same(*d.both("stop", "h6-a"))  # already stopped: docker prints the name again
        same(*d.both("rename", "h6-a", "h6-b"))  # name in use
        assert d.berth("rename", "h6-a", "h6-a2").out == ""
        assert state(d, "h6-a2")["Status"] == "exited"
        for verb in (["stop"], ["kill"], ["restart"], ["pause"], ["unpause"], ["rm"],
                     ["rm", "-f"], ["rename"], ["update", "--cpus", "1"]):
            args = verb + (["nope", "x"] if verb == ["rename"] else ["nope", "nope2"])
            same(*d.both(*args))
        b = d.berth("rm", "h6-a2", "nope", "h6-b", check=False)
        assert (b.rc, b.out) == (1, "h6-a2\nh6-b\n")
        assert b.err == "Error response from daemon: No such container: nope\n"
    finally:
        d.berth("rm", "-f", "h6-a", "h6-a2", "h6-b", check=False)


def test_rm_force_running(shared_daemon):
    d = shared_daemon
    d.berth("run", "-d", "--name", "h6-r", "busybox", "sleep", "300")
    b, dk = d.both("rm", "h6-r")
    assert b.rc == dk.rc == 1 and b.err.startswith("Error response from daemon:")
    assert b.err == dk.err
    assert d.berth("rm", "-f", "-v", "h6-r").out == "h6-r\n"


def test_container_prune(shared_daemon):
    d = shared_daemon
    cid = d.berth("run", "-d", "--name", "h6-p", "busybox", "true").out.strip()
    d.berth("wait", "h6-p")
    b = d.berth("container", "prune", input=b"N\n")
    assert b.out == ("WARNING! This will remove all stopped containers.\n"
                     "Are you sure you want to continue? [y/N] ")
    b = d.berth("container", "prune", input=b"y\n")
    assert b.out.startswith("WARNING! This will remove all stopped containers.\n"
                            "Are you sure you want to continue? [y/N] Deleted Containers:\n")
    assert f"\n{cid}\n" in b.out
    assert re.search(r"\n\nTotal reclaimed space: \S+\n$", b.out)
    same(*d.both("container", "prune", "-f"))


def test_system_prune(shared_daemon):
    d = shared_daemon
    d.berth("network", "create", "h6-sp")
    b = d.berth("system", "prune", "--filter", "until=1h", input=b"n\n")
    assert b.out == ("WARNING! This will remove:\n  - all stopped containers\n"
                     "  - all networks not used by at least one container\n"
                     "  - all dangling images\n  - unused build cache\n\n"
                     "  Items to be pruned will be filtered with:\n  - until=1h\n\n"
                     "Are you sure you want to continue? [y/N] ")
    b = d.berth("system", "prune", "-f")
    assert b.out == "Deleted Networks:\nh6-sp\n\nTotal reclaimed space: 0B\n"
    # The build cache too (POST /build/prune): nothing in it here, for either CLI.
    b, dk = d.both("system", "prune", "-f", "--volumes")
    assert (b.rc, b.out) == (0, "Total reclaimed space: 0B\n")
    assert (dk.rc, dk.out, dk.err) == (0, b.out, "")
