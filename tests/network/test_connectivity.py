"""Reachability: by name on one network, isolation between networks, egress and internal."""

import os

from conftest import (BUSYBOX, http_get, in_container, ip_of, serve_http, tcp_connects,
                      wait_tcp)


def cid(name):
    return f"{name}{os.getpid()}"


def test_two_containers_reach_each_other_by_name(world):
    d = world.daemon()
    d.ok("createNetwork", name="app")
    web = d.ok("createSandbox", containerId=cid("web"), containerName="web", mode="app",
               endpoints=[{"network": "app", "aliases": ["www"]}])
    cli = d.ok("createSandbox", containerId=cid("cli"), containerName="cli", mode="app")
    serve_http(world, web, text="from web")

    resolv = open(cli["ResolvConfPath"]).read()
    assert "nameserver 127.0.0.11" in resolv and "ndots:0" in resolv, resolv
    for name in ("web", "www", "WEB", cid("web")[:12], "web.app"):
        r = http_get(world, f"http://{name}/", argv_prefix=lambda *c: in_container(cli, *c))
        assert r.returncode == 0 and r.stdout.strip() == "from web", (name, r.stdout, r.stderr)
    # Unknown names are not ours (and there is no upstream here): resolution fails.
    r = world.run(BUSYBOX, "nslookup", "nosuchname", "127.0.0.11", ns=cli["SandboxKey"],
                  check=False)
    assert r.returncode != 0
    # Names resolve only on networks the asker is on.
    d.ok("createNetwork", name="other")
    lone = d.ok("createSandbox", containerId=cid("lone"), containerName="lone", mode="other")
    r = world.run(BUSYBOX, "nslookup", "web", "127.0.0.11", ns=lone["SandboxKey"], check=False)
    assert ip_of(web) not in r.stdout


def test_default_bridge_has_no_name_resolution(world):
    d = world.daemon()
    a = d.ok("createSandbox", containerId=cid("a"), containerName="a")
    b = d.ok("createSandbox", containerId=cid("b"), containerName="b")
    serve_http(world, a)
    assert "127.0.0.11" not in open(b["ResolvConfPath"]).read()
    # By address it works (same bridge)...
    r = http_get(world, f"http://{ip_of(a)}/", ns=b["SandboxKey"])
    assert r.stdout.strip() == "hello", r
    # ...and nothing answers DNS inside.
    r = world.run(BUSYBOX, "nslookup", "a", "127.0.0.11", ns=b["SandboxKey"], check=False,
                  timeout=30)
    assert r.returncode != 0


def test_other_network_cannot_reach(world):
    d = world.daemon()
    d.ok("createNetwork", name="neta")
    d.ok("createNetwork", name="netb")
    a = d.ok("createSandbox", containerId=cid("a"), containerName="a", mode="neta")
    a2 = d.ok("createSandbox", containerId=cid("a2"), containerName="a2", mode="neta")
    b = d.ok("createSandbox", containerId=cid("b"), containerName="b", mode="netb")
    serve_http(world, a)
    assert tcp_connects(world, a2["SandboxKey"], ip_of(a), 80)
    assert not tcp_connects(world, b["SandboxKey"], ip_of(a), 80)
    # Connecting b to neta opens the way (through its new interface), disconnecting closes it.
    ep = d.ok("connect", containerId=cid("b"), network="neta")
    assert ep["Interface"] == "eth1"
    assert tcp_connects(world, b["SandboxKey"], ip_of(a), 80)
    d.ok("disconnect", containerId=cid("b"), network="neta")
    assert not tcp_connects(world, b["SandboxKey"], ip_of(a), 80)


def test_internal_network_has_no_egress(world):
    outside = world.add_outside()
    d = world.daemon()
    d.ok("createNetwork", name="pub")
    d.ok("createNetwork", name="priv", internal=True)
    pub = d.ok("createSandbox", containerId=cid("pub"), containerName="pub", mode="pub")
    priv = d.ok("createSandbox", containerId=cid("priv"), containerName="priv", mode="priv")
    peer = d.ok("createSandbox", containerId=cid("peer"), containerName="peer", mode="priv")
    # The "internet": an HTTP server in the outside netns that prints who asked.
    inet = world.tmp / "inet"
    inet.mkdir()
    (inet / "index.html").write_text("internet\n")
    world.spawn(BUSYBOX, "httpd", "-f", "-p", "80", "-h", str(inet), ns=outside)
    wait_tcp(world, outside, "10.99.0.2", 80)

    r = http_get(world, "http://10.99.0.2/", ns=pub["SandboxKey"])
    assert r.stdout.strip() == "internet", r
    assert "default" in world.run("ip", "route", ns=pub["SandboxKey"]).stdout

    routes = world.run("ip", "route", ns=priv["SandboxKey"]).stdout
    assert "default" not in routes, routes
    r = http_get(world, "http://10.99.0.2/", ns=priv["SandboxKey"])
    assert r.returncode != 0
    # Even with a route forced in, the firewall keeps it in.
    gw = priv["Networks"]["priv"]["Gateway"]
    world.run("ip", "route", "add", "default", "via", gw, ns=priv["SandboxKey"])
    r = http_get(world, "http://10.99.0.2/", ns=priv["SandboxKey"])
    assert r.returncode != 0
    # Inside the internal network traffic flows.
    serve_http(world, peer, text="peer")
    r = http_get(world, f"http://{ip_of(peer)}/", ns=priv["SandboxKey"])
    assert r.stdout.strip() == "peer", r


def test_icc_disabled_isolates_containers_on_one_network(world):
    d = world.daemon()
    d.ok("createNetwork", name="noicc",
         options={"com.docker.network.bridge.enable_icc": "false"})
    a = d.ok("createSandbox", containerId=cid("a"), containerName="a", mode="noicc",
             ports=["8080:80"])
    b = d.ok("createSandbox", containerId=cid("b"), containerName="b", mode="noicc")
    serve_http(world, a)
    assert not tcp_connects(world, b["SandboxKey"], ip_of(a), 80)
    # The host still reaches it, directly and through the published port.
    assert tcp_connects(world, world.ns, ip_of(a), 80)
    assert tcp_connects(world, world.ns, "127.0.0.1", 8080)


# A one-trick DNS server: every A question gets 1.2.3.4.
FAKE_DNS = """
import socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.99.0.2", 53))
print("ready", flush=True)
while True:
    q, a = s.recvfrom(512)
    end = 12
    while q[end]:
        end += q[end] + 1
    question = q[12:end + 5]
    hdr = q[:2] + b"\\x81\\x80" + struct.pack(">HHHH", 1, 1, 0, 0)
    ans = b"\\xc0\\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) + bytes([1, 2, 3, 4])
    s.sendto(hdr + question + ans, a)
"""


def test_other_names_are_forwarded_to_host_resolvers(world):
    outside = world.add_outside()
    dns = world.spawn("/usr/bin/python3", "-c", FAKE_DNS, ns=outside)
    assert dns.stdout.readline().strip() == "ready"
    resolv = world.tmp / "host-resolv.conf"
    resolv.write_text("nameserver 10.99.0.2\n")
    d = world.daemon("--resolv-conf", str(resolv))
    d.ok("createNetwork", name="app")
    c = d.ok("createSandbox", containerId=cid("c"), containerName="c", mode="app")
    r = world.run(BUSYBOX, "nslookup", "example.com", "127.0.0.11", ns=c["SandboxKey"])
    assert "1.2.3.4" in r.stdout, r.stdout
    # Container names still win over the upstream.
    r = world.run(BUSYBOX, "nslookup", "c", "127.0.0.11", ns=c["SandboxKey"])
    assert ip_of(c) in r.stdout and "1.2.3.4" not in r.stdout, r.stdout
    # On the default bridge the container asks the host's resolver itself (through NAT).
    b = d.ok("createSandbox", containerId=cid("b"))
    assert "nameserver 10.99.0.2" in open(b["ResolvConfPath"]).read()
    r = world.run(BUSYBOX, "nslookup", "example.com", "10.99.0.2", ns=b["SandboxKey"])
    assert "1.2.3.4" in r.stdout, r.stdout


def test_service_alias_answers_every_replica(world):
    d = world.daemon()
    d.ok("createNetwork", name="app")
    ips = set()
    for i in range(3):
        sb = d.ok("createSandbox", containerId=cid(f"r{i}"), containerName=f"proj-web-{i}",
                  mode="app", endpoints=[{"network": "app", "aliases": ["web"]}])
        ips.add(ip_of(sb))
    cli = d.ok("createSandbox", containerId=cid("cli"), mode="app")
    r = world.run(BUSYBOX, "nslookup", "web", "127.0.0.11", ns=cli["SandboxKey"])
    assert all(ip in r.stdout for ip in ips), r.stdout
    # A removed replica is no longer answered.
    d.ok("removeSandbox", containerId=cid("r0"))
    r = world.run(BUSYBOX, "nslookup", "web", "127.0.0.11", ns=cli["SandboxKey"])
    assert r.stdout.count("Address:") == 1 + 2, r.stdout
