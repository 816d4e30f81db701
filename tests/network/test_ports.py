"""Published ports: reachable from the daemon netns' loopback and from outside, source address
kept, random and ranged host ports, conflicts with Berth's own and foreign sockets."""

import os
import time

from conftest import http_get, serve_http, tcp_connects, wait_tcp

# Answers each TCP connection with the peer address it saw, then closes.
PEER_SERVER = """
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1]))); s.listen(16)
while True:
    c, a = s.accept(); c.sendall((a[0] + "\\n").encode()); c.close()
"""

PEER_CLIENT = """
import socket, sys
c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3)
print(c.recv(100).decode().strip())
"""


def cid(name):
    return f"{name}{os.getpid()}"


def peer_seen(world, ns, host, port):
    r = world.run("/usr/bin/python3", "-c", PEER_CLIENT, host, str(port), ns=ns, check=False)
    assert r.returncode == 0, r
    return r.stdout.strip()


def test_published_port_from_loopback_and_outside(world):
    outside = world.add_outside()
    d = world.daemon()
    d.ok("createNetwork", name="app")
    web = d.ok("createSandbox", containerId=cid("web"), containerName="web", mode="app",
               ports=["8080:80", "9090:9000"])
    assert web["Ports"]["80/tcp"] == [{"HostIp": "", "HostPort": "8080"}]
    serve_http(world, web, text="published")
    world.spawn("/usr/bin/python3", "-c", PEER_SERVER, "9000", ns=web["SandboxKey"])

    # From the daemon's own netns, over loopback and over its outside address.
    for host in ("127.0.0.1", "10.99.0.1"):
        r = http_get(world, f"http://{host}:8080/", ns=world.ns)
        assert r.stdout.strip() == "published", (host, r)
    # From the outside netns: the container sees the real client address.
    r = http_get(world, "http://10.99.0.1:8080/", ns=outside)
    assert r.stdout.strip() == "published", r
    end = time.monotonic() + 5
    while not tcp_connects(world, web["SandboxKey"], "127.0.0.1", 9000):
        assert time.monotonic() < end
        time.sleep(0.05)
    assert peer_seen(world, outside, "10.99.0.1", 9090) == "10.99.0.2"
    # From another container on the same network through the host port (hairpin).
    other = d.ok("createSandbox", containerId=cid("other"), containerName="o", mode="app")
    r = http_get(world, "http://10.99.0.1:8080/", ns=other["SandboxKey"])
    assert r.stdout.strip() == "published", r
    # And the container reaching its own published port.
    r = http_get(world, "http://10.99.0.1:8080/", ns=web["SandboxKey"])
    assert r.stdout.strip() == "published", r

    # After rm the port is closed and free again.
    d.ok("removeSandbox", containerId=cid("web"))
    assert not tcp_connects(world, outside, "10.99.0.1", 8080)
    assert "8080" not in world.ruleset()
    again = d.ok("createSandbox", containerId=cid("again"), mode="app", ports=["8080:80"])
    assert again["Ports"]["80/tcp"][0]["HostPort"] == "8080"


def test_random_range_udp_and_host_ip(world):
    d = world.daemon()
    world.run("ip", "addr", "add", "10.50.0.1/24", "dev", "lo")
    sb = d.ok("createSandbox", containerId=cid("c"),
              ports=["80", "7000-7010:81", "5353:53/udp", "10.50.0.1:8443:443",
                     "127.0.0.1::444"])
    ports = sb["Ports"]
    lo, hi = map(int, world.run("cat", "/proc/sys/net/ipv4/ip_local_port_range").stdout.split())
    random_port = int(ports["80/tcp"][0]["HostPort"])
    assert lo <= random_port <= hi
    assert 7000 <= int(ports["81/tcp"][0]["HostPort"]) <= 7010
    assert ports["53/udp"] == [{"HostIp": "", "HostPort": "5353"}]
    assert ports["443/tcp"] == [{"HostIp": "10.50.0.1", "HostPort": "8443"}]
    assert ports["444/tcp"][0]["HostIp"] == "127.0.0.1"
    serve_http(world, sb, port=80, text="random")
    serve_http(world, sb, port=443, text="bound")
    r = http_get(world, f"http://127.0.0.1:{random_port}/", ns=world.ns)
    assert r.stdout.strip() == "random", r
    r = http_get(world, "http://10.50.0.1:8443/", ns=world.ns)
    assert r.stdout.strip() == "bound", r
    # Published on 10.50.0.1 only: not on loopback.
    assert not tcp_connects(world, world.ns, "127.0.0.1", 8443)
    rules = world.ruleset()
    assert "5353" in rules and "udp" in rules


def test_port_conflicts_are_clear_errors(world):
    d = world.daemon()
    # A /29 has 5 addresses for containers: failed creations must give theirs back.
    d.ok("createNetwork", name="small", subnet="10.20.0.0/29")
    d.ok("createSandbox", containerId=cid("a"), mode="small", ports=["8080:80"])
    err = d.fail("createSandbox", containerId=cid("b"), mode="small", ports=["8080:80"])
    assert "Bind for 0.0.0.0:8080 failed: port is already allocated" in err, err
    # Nothing of b is left: no record, no sandbox directory.
    assert d.call("sandbox", containerId=cid("b"))["ok"] is False
    assert not (world.tmp / "d" / "state" / "sandboxes" / cid("b")).exists()
    # A port taken by another program in the daemon's netns.
    holder = world.spawn("/usr/bin/python3", "-c",
                         "import socket,time\ns=socket.socket()\n"
                         "s.bind(('0.0.0.0',8181)); s.listen(); print('ready', flush=True)\n"
                         "time.sleep(600)")
    assert holder.stdout.readline().strip() == "ready"
    err = d.fail("createSandbox", containerId=cid("c"), mode="small", ports=["8181:80"])
    assert "Bind for 0.0.0.0:8181 failed: port is already allocated" in err, err
    # A range with every port taken.
    err = d.fail("createSandbox", containerId=cid("r"), mode="small", ports=["8080-8080:81"])
    assert "port is already allocated" in err, err
    # The same host port on udp is another port.
    d.ok("createSandbox", containerId=cid("d"), mode="small", ports=["8080:80/udp"])
    for i in range(3):
        d.ok("createSandbox", containerId=cid(f"f{i}"), mode="small")
    err = d.fail("createSandbox", containerId=cid("full"), mode="small")
    assert "no available IP addresses" in err, err


# What a client sees and what the kernel holds: getpeername(), the socket's real remote end (from
# /proc/net/tcp, which the connect()-time redirect changes and getpeername() hides) and the
# server's answer (the source address it saw).
PEER_INFO = """
import socket, sys
c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3)
lport = c.getsockname()[1]
real = None
for line in open("/proc/net/tcp").read().splitlines()[1:]:
    f = line.split()
    if int(f[1].split(":")[1], 16) == lport:
        a, p = f[2].split(":")
        real = socket.inet_ntoa(bytes.fromhex(a)[::-1]) + ":" + str(int(p, 16))
peer = "%s:%d" % c.getpeername()
print(peer, real, c.recv(100).decode().strip())
"""


def cgroup2_root():
    with open("/proc/self/mounts") as f:
        for line in f:
            dev, path, fstype = line.split()[:3]
            if fstype == "cgroup2":
                return path
    raise AssertionError("no cgroup2 mount: the socket redirect needs one")


def test_local_clients_are_redirected_at_connect(world):
    world.add_outside()
    d = world.daemon("--socket-redirect", cgroup2_root())
    d.ok("createNetwork", name="app", subnet="10.30.0.0/24")
    web = d.ok("createSandbox", containerId=cid("web"), containerName="web", mode="app",
               ports=["9090:9000", "127.0.0.1:9191:9000"])
    ip = web["Networks"]["app"]["IPAddress"]
    world.spawn("/usr/bin/python3", "-c", PEER_SERVER, "9000", ns=web["SandboxKey"])
    wait_tcp(world, web["SandboxKey"], "127.0.0.1", 9000)

    def info(host, port):
        r = world.run("/usr/bin/python3", "-c", PEER_INFO, host, str(port), check=False)
        assert r.returncode == 0, r
        return r.stdout.split()

    # Loopback: the socket goes straight to the container, getpeername() shows the published
    # address, the container sees the gateway (as with DNAT + masquerade).
    assert info("127.0.0.1", 9090) == ["127.0.0.1:9090", f"{ip}:9000", "10.30.0.1"]
    assert info("127.0.0.1", 9191) == ["127.0.0.1:9191", f"{ip}:9000", "10.30.0.1"]
    # A non-loopback local address: the client's own address stays the source (as with DNAT).
    assert info("10.99.0.1", 9090) == ["10.99.0.1:9090", f"{ip}:9000", "10.99.0.1"]
    # Published on loopback only: not redirected (nor DNAT'ed) on another address.
    assert not tcp_connects(world, world.ns, "10.99.0.1", 9191)

    # A killed daemon leaves no program behind: the same connection takes the nftables rules,
    # which stay, so the port keeps answering.
    d.kill9()
    assert info("127.0.0.1", 9090) == ["127.0.0.1:9090", "127.0.0.1:9090", "10.30.0.1"]
    assert info("10.99.0.1", 9090) == ["10.99.0.1:9090", "10.99.0.1:9090", "10.99.0.1"]
    # Restored with the rest on restart.
    d.start()
    assert info("127.0.0.1", 9090) == ["127.0.0.1:9090", f"{ip}:9000", "10.30.0.1"]
    # Gone with the sandbox.
    d.ok("removeSandbox", containerId=cid("web"))
    assert not tcp_connects(world, world.ns, "127.0.0.1", 9090)
