"""Cleanup and recovery: rm leaves nothing; a restart or kill -9 keeps rules and addresses;
orphans and sandboxes whose netns is gone are removed on start; a crash in the middle of work
leaves a consistent state."""

import json
import os
import time

import pytest

from conftest import http_get, serve_http, sh


def cid(name):
    return f"{name}{os.getpid()}"


def berth_links(world):
    return sorted(l["ifname"] for l in world.links() if l["ifname"].startswith("bth"))


def mounted(path):
    with open("/proc/self/mountinfo") as f:
        return any(l.split()[4] == str(path) for l in f)


def berth_table(world):
    r = world.run("nft", "list", "table", "ip", "berth", check=False)
    return r.stdout if r.returncode == 0 else ""


def test_rm_leaves_nothing(world):
    d = world.daemon()
    d.ok("createNetwork", name="one")
    d.ok("createNetwork", name="two")
    sb = d.ok("createSandbox", containerId=cid("c"), containerName="c", mode="one",
              ports=["8088:80"])
    d.ok("connect", containerId=cid("c"), network="two")
    sb = d.ok("sandbox", containerId=cid("c"))
    ips = [ep["IPAddress"] for ep in sb["Networks"].values()]
    assert len(berth_links(world)) == 2
    assert mounted(sb["SandboxKey"])
    assert "8088" in berth_table(world)

    d.ok("removeSandbox", containerId=cid("c"))
    d.ok("settle")
    assert berth_links(world) == []
    assert not os.path.exists(sb["SandboxKey"]) and not mounted(sb["SandboxKey"])
    assert not os.path.exists(os.path.dirname(sb["HostsPath"]))
    table = berth_table(world)
    assert "8088" not in table and all(ip not in table for ip in ips)
    everywhere = json.dumps(world.addrs())
    assert all(ip not in everywhere for ip in ips)
    # Idempotent.
    d.ok("removeSandbox", containerId=cid("c"))

    for n in ("one", "two"):
        bridge = d.ok("getNetwork", network=n)["Bridge"]
        d.ok("removeNetwork", network=n)
        assert bridge not in [l["ifname"] for l in world.links()]
    # A daemon asked to leave nothing behind: no table of ours, no prepared netns.
    d.stop(remove_rules=True)
    assert "berth" not in world.ruleset()
    run_netns = world.tmp / "d" / "run" / "netns"
    assert list(run_netns.iterdir()) == []


@pytest.mark.parametrize("kill", [False, True], ids=["restart", "kill9"])
def test_restart_keeps_rules_and_addresses(world, kill):
    d = world.daemon()
    d.ok("createNetwork", name="app", subnet="10.30.0.0/24")
    web = d.ok("createSandbox", containerId=cid("web"), containerName="web", mode="app",
               ports=["8080:80"])
    db = d.ok("createSandbox", containerId=cid("db"), containerName="db", mode="app")
    d.ok("removeSandbox", containerId=d.ok("createSandbox", containerId=cid("tmp"),
                                           mode="app")["ContainerID"])
    serve_http(world, web, text="still here")
    before_nets = {n["Name"]: n for n in d.ok("listNetworks")}
    before_table = berth_table(world)
    before_links = berth_links(world)

    if kill:
        d.kill9()
        # Nothing depends on the process: the published port answers while it is gone.
        r = http_get(world, "http://127.0.0.1:8080/", ns=world.ns)
        assert r.stdout.strip() == "still here", r
        d.start()
    else:
        d.restart()

    assert berth_table(world) == before_table
    assert berth_links(world) == before_links
    after_nets = {n["Name"]: n for n in d.ok("listNetworks")}
    assert after_nets.keys() == before_nets.keys()
    for name, n in before_nets.items():
        assert after_nets[name]["Id"] == n["Id"]
        assert after_nets[name]["IPAM"] == n["IPAM"]
        assert after_nets[name]["Containers"] == n["Containers"]
    assert d.ok("sandbox", containerId=cid("web"))["Networks"] == web["Networks"]
    r = http_get(world, "http://127.0.0.1:8080/", ns=world.ns)
    assert r.stdout.strip() == "still here", r
    # Names still resolve (the DNS is re-armed).
    r = world.run("/bin/busybox", "nslookup", "web", "127.0.0.11", ns=db["SandboxKey"])
    assert web["Networks"]["app"]["IPAddress"] in r.stdout
    # No address or port handed out twice.
    used = {web["Networks"]["app"]["IPAddress"], db["Networks"]["app"]["IPAddress"]}
    new = d.ok("createSandbox", containerId=cid("new"), mode="app")
    assert new["Networks"]["app"]["IPAddress"] not in used
    err = d.fail("createSandbox", containerId=cid("dup"), mode="app", ports=["8080:80"])
    assert "port is already allocated" in err


def test_orphans_and_dead_sandboxes_removed_on_start(world):
    d = world.daemon()
    d.ok("createNetwork", name="app")
    keep = d.ok("createSandbox", containerId=cid("keep"), mode="app")
    gone = d.ok("createSandbox", containerId=cid("gone"), mode="app", ports=["8090:80"])
    d.kill9()
    run_netns = world.tmp / "d" / "run" / "netns"
    # What a crash (or a reboot) can leave: a veth and a bridge of ours no record explains,
    # a netns file of nobody, a sandbox directory without record, a sandbox whose netns is gone.
    world.run("ip", "link", "add", "bth00deadbeef", "type", "veth", "peer", "name",
              "bth00deadbeee")
    world.run("ip", "link", "add", "berth-deadbeef", "type", "bridge")
    orphan_ns = run_netns / "0123456789ab"
    orphan_ns.touch()
    sh("unshare", f"--net={orphan_ns}", "true")
    (world.tmp / "d" / "state" / "sandboxes" / "halfmade").mkdir()
    gone_links = set(berth_links(world))
    sh("umount", gone["SandboxKey"])

    d.start()
    links = set(berth_links(world))
    assert "bth00deadbeef" not in links and "bth00deadbeee" not in links
    assert "berth-deadbeef" not in [l["ifname"] for l in world.links()]
    assert not orphan_ns.exists()
    assert not (world.tmp / "d" / "state" / "sandboxes" / "halfmade").exists()
    assert d.call("sandbox", containerId=cid("gone"))["ok"] is False
    assert d.ok("sandbox", containerId=cid("keep"))["Networks"] == keep["Networks"]
    assert len(links) == 1 and links < gone_links
    assert "8090" not in berth_table(world)
    # Its port and address are free again.
    d.ok("createSandbox", containerId=cid("port"), mode="app", ports=["8090:80"])


def test_kill9_during_work_leaves_consistent_state(world):
    d = world.daemon()
    d.ok("createNetwork", name="app", subnet="10.40.0.0/24")
    # Queue many requests at once and kill the daemon somewhere in the middle.
    reqs = []
    for i in range(40):
        reqs.append({"op": "createSandbox", "containerId": cid(f"s{i}"), "mode": "app",
                     "ports": [f"{9000 + i}:80"]})
        if i % 3 == 2:
            reqs.append({"op": "removeSandbox", "containerId": cid(f"s{i - 1}")})
    d.proc.stdin.write("".join(json.dumps(r) + "\n" for r in reqs))
    d.proc.stdin.flush()
    for _ in range(15):
        d.proc.stdout.readline()
    d.kill9()
    d.start()

    sbs = d.ok("sandboxes")
    assert 5 <= len(sbs) <= 40
    ips = [sb["Networks"]["app"]["IPAddress"] for sb in sbs]
    assert len(ips) == len(set(ips))
    table = berth_table(world)
    for sb in sbs:
        # Fully configured: the netns exists with the recorded address, the port is published.
        addrs = world.addrs(ns=sb["SandboxKey"])
        assert f"{sb['Networks']['app']['IPAddress']}/24" in addrs["eth0"], (sb, addrs)
        port, ip = sb["Ports"]["80/tcp"][0]["HostPort"], sb["Networks"]["app"]["IPAddress"]
        assert f"{port} : {ip} . 80" in table, (port, ip, table)
    # Nothing else: one veth per sandbox, one netns file per sandbox (+ the prepared ones).
    assert len(berth_links(world)) == len(sbs)
    keys = {sb["SandboxKey"] for sb in sbs}
    d.ok("settle")
    run_netns = world.tmp / "d" / "run" / "netns"
    extra = [p for p in run_netns.iterdir() if str(p) not in keys]
    assert len(extra) <= 2  # the namespaces prepared ahead
    d.stop()
    assert sorted(str(p) for p in run_netns.iterdir()) == sorted(keys)


def test_static_address_reused_at_once(world):
    # compose recreates a container with a fixed address right after removing the old one,
    # while the old veth is still being deleted in the background.
    d = world.daemon()
    d.ok("createNetwork", name="fixed", subnet="10.41.0.0/24")
    for i in range(3):
        sb = d.ok("createSandbox", containerId=cid(f"db{i}"), mode="fixed",
                  endpoints=[{"network": "fixed", "ipv4": "10.41.0.50"}])
        assert sb["Networks"]["fixed"]["IPAddress"] == "10.41.0.50"
        assert "10.41.0.50/24" in world.addrs(ns=sb["SandboxKey"])["eth0"]
        d.ok("removeSandbox", containerId=cid(f"db{i}"))
    d.ok("settle")
    assert berth_links(world) == []


def test_recover_removes_sandboxes_of_dead_containers(world):
    d = world.daemon()
    d.ok("createNetwork", name="app", subnet="10.42.0.0/24")
    alive = d.ok("createSandbox", containerId=cid("alive"), mode="app")
    dead = d.ok("createSandbox", containerId=cid("dead"), mode="app", ports=["8070:80"])
    d.kill9()
    d.start()
    d.ok("recover", live=[cid("alive")])
    d.ok("settle")
    assert [s["ContainerID"] for s in d.ok("sandboxes")] == [cid("alive")]
    assert not os.path.exists(dead["SandboxKey"])
    assert os.path.exists(alive["SandboxKey"])
    assert len(berth_links(world)) == 1
    assert "8070" not in berth_table(world)
    sb = d.ok("createSandbox", containerId=cid("new"), mode="app",
              endpoints=[{"network": "app", "ipv4": dead["Networks"]["app"]["IPAddress"]}],
              ports=["8070:80"])
    assert sb["Ports"]["80/tcp"][0]["HostPort"] == "8070"


def test_deleted_bridge_is_recreated_on_start(world):
    d = world.daemon()
    net = d.ok("createNetwork", name="app", subnet="10.43.0.0/24")
    a = d.ok("createSandbox", containerId=cid("a"), mode="app")
    b = d.ok("createSandbox", containerId=cid("b"), mode="app")
    serve_http(world, a)
    d.stop()
    world.run("ip", "link", "del", net["Bridge"])
    d.start()
    assert "10.43.0.1/24" in world.addrs()[net["Bridge"]]
    ports = [l for l in world.links() if l.get("master") == net["Bridge"]]
    assert len(ports) == 2
    r = http_get(world, f"http://{a['Networks']['app']['IPAddress']}/", ns=b["SandboxKey"])
    assert r.stdout.strip() == "hello", r
