"""IPv6: ULA subnets, addresses and routes in the sandbox, names (AAAA), published ports and
egress over IPv6."""

import os

from conftest import BUSYBOX, serve_http, tcp_connects, wait_tcp


def cid(name):
    return f"{name}{os.getpid()}"


def test_ipv6_network(world):
    outside = world.add_outside()
    world.run("ip", "addr", "add", "fd99::1/64", "dev", "wan0", "nodad")
    world.run("ip", "addr", "add", "fd99::2/64", "dev", "eth0", "nodad", ns=outside)
    world.run("ip", "-6", "route", "add", "default", "via", "fd99::2")
    d = world.daemon()
    net = d.ok("createNetwork", name="v6", ipv6=True)
    assert net["EnableIPv6"] is True
    cfgs = net["IPAM"]["Config"]
    v6 = [c for c in cfgs if ":" in c["Subnet"]]
    assert len(cfgs) == 2 and len(v6) == 1
    subnet = v6[0]["Subnet"]
    assert subnet.startswith("fd") and subnet.endswith("::/64"), subnet
    assert v6[0]["Gateway"] == subnet.replace("::/64", "::1")
    assert f"{v6[0]['Gateway']}/64" in world.addrs()[net["Bridge"]]

    a = d.ok("createSandbox", containerId=cid("a"), containerName="a", mode="v6",
             ports=["8080:80"])
    b = d.ok("createSandbox", containerId=cid("b"), containerName="b", mode="v6")
    ep = a["Networks"]["v6"]
    assert ep["GlobalIPv6Address"].startswith(subnet[:-5]) and ep["GlobalIPv6PrefixLen"] == 64
    assert f"{ep['GlobalIPv6Address']}/64" in world.addrs(ns=a["SandboxKey"])["eth0"]
    routes = world.run("ip", "-6", "route", ns=a["SandboxKey"]).stdout
    assert f"default via {v6[0]['Gateway']} dev eth0" in routes, routes
    # Both addresses published: 0.0.0.0 and ::.
    assert {p["HostIp"] for p in a["Ports"]["80/tcp"]} == {"", "::"}
    assert ep["GlobalIPv6Address"] in open(a["HostsPath"]).read()

    serve_http(world, a, text="six")
    wait_tcp(world, a["SandboxKey"], "::1", 80)
    assert tcp_connects(world, b["SandboxKey"], ep["GlobalIPv6Address"], 80)
    r = world.run(BUSYBOX, "nslookup", "-type=AAAA", "a", "127.0.0.11", ns=b["SandboxKey"])
    assert ep["GlobalIPv6Address"] in r.stdout, r.stdout
    # Published over IPv6 from outside, and egress over IPv6.
    assert tcp_connects(world, outside, "fd99::1", 8080)
    inet = world.tmp / "inet6"
    inet.mkdir()
    (inet / "index.html").write_text("internet6\n")
    world.spawn(BUSYBOX, "httpd", "-f", "-p", "[::]:81", "-h", str(inet), ns=outside)
    wait_tcp(world, outside, "fd99::2", 81)
    assert tcp_connects(world, b["SandboxKey"], "fd99::2", 81)

    d.ok("removeSandbox", containerId=cid("a"))
    d.ok("settle")
    assert not tcp_connects(world, outside, "fd99::1", 8080)


def test_ipv6_explicit_subnet_and_restart(world):
    d = world.daemon()
    net = d.ok("createNetwork", name="v6", ipam=[{"subnet": "10.77.0.0/24"},
                                                  {"subnet": "fd42:1::/64",
                                                   "gateway": "fd42:1::fe"}])
    assert net["EnableIPv6"] is True
    sb = d.ok("createSandbox", containerId=cid("s"), mode="v6",
              endpoints=[{"network": "v6", "ipv6": "fd42:1::10"}])
    assert sb["Networks"]["v6"]["GlobalIPv6Address"] == "fd42:1::10"
    assert sb["Networks"]["v6"]["IPv6Gateway"] == "fd42:1::fe"
    err = d.fail("createNetwork", name="v6b", ipam=[{"subnet": "fd42:1::/48"}])
    assert "Pool overlaps" in err
    d.restart(kill=True)
    again = d.ok("sandbox", containerId=cid("s"))
    assert again["Networks"] == sb["Networks"]
    err = d.fail("createSandbox", containerId=cid("t"), mode="v6",
                 endpoints=[{"network": "v6", "ipv6": "fd42:1::10"}])
    assert "Address already in use" in err
