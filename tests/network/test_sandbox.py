"""A sandbox's netns: interfaces, addresses, routes, MTU, MAC, /etc files, network modes,
static addresses, connect/disconnect while a process runs inside."""

import json
import os

from conftest import BUSYBOX, http_get, in_container, ip_of, serve_http, sh, tcp_connects


def cid(name):
    return f"{name}{os.getpid()}"


def link(world, ns, name):
    for l in json.loads(world.run("ip", "-j", "-d", "link", "show", name, ns=ns).stdout):
        return l
    raise AssertionError(f"no {name}")


def test_default_bridge_sandbox(world):
    d = world.daemon("--mtu", "1400")
    sb = d.ok("createSandbox", containerId=cid("c1") + "x" * 20, containerName="c1",
              hostname="web1", domainname="example.org",
              extraHosts=["db:10.1.2.3", "gw:host-gateway", "v6host:2001:db8::1"],
              dnsSearch=["corp.example"], dnsOptions=["timeout:2"])
    ns = sb["SandboxKey"]
    ep = sb["Networks"]["bridge"]
    assert ep["IPAddress"] == "172.17.0.2" and ep["IPPrefixLen"] == 16
    assert ep["Gateway"] == "172.17.0.1"
    assert ep["MacAddress"] == "02:42:ac:11:00:02"
    assert ep["DNSNames"] == []  # no DNS on the default bridge

    eth0 = link(world, ns, "eth0")
    assert eth0["mtu"] == 1400 and eth0["address"] == "02:42:ac:11:00:02"
    assert "UP" in eth0["flags"]
    assert "UP" in link(world, ns, "lo")["flags"]
    assert world.addrs(ns=ns)["eth0"][0] == "172.17.0.2/16"
    assert "default via 172.17.0.1 dev eth0" in world.run("ip", "route", ns=ns).stdout
    # The host side: attached to berth0, same MTU, hairpin on.
    host = [l for l in json.loads(world.run("ip", "-j", "-d", "link").stdout)
            if l["ifname"].startswith("bth")]
    assert len(host) == 1 and host[0]["master"] == "berth0" and host[0]["mtu"] == 1400
    assert host[0]["linkinfo"]["info_slave_data"]["hairpin"] is True
    assert world.addrs()["berth0"][0] == "172.17.0.1/16"

    assert open(sb["HostnamePath"]).read() == "web1\n"
    hosts = open(sb["HostsPath"]).read()
    assert "127.0.0.1\tlocalhost\n" in hosts
    assert "10.1.2.3\tdb\n" in hosts and "172.17.0.1\tgw\n" in hosts
    assert "2001:db8::1\tv6host\n" in hosts
    assert "172.17.0.2\tweb1.example.org web1\n" in hosts
    resolv = open(sb["ResolvConfPath"]).read()
    assert "search corp.example" in resolv and "options timeout:2" in resolv
    assert "127.0.0.11" not in resolv


def test_dns_servers_and_host_resolv_conf(world):
    host_resolv = world.tmp / "host-resolv.conf"
    host_resolv.write_text("nameserver 127.0.0.53\nnameserver 10.0.0.53\nsearch lan\n")
    d = world.daemon("--resolv-conf", str(host_resolv))
    plain = d.ok("createSandbox", containerId=cid("p"))
    resolv = open(plain["ResolvConfPath"]).read()
    # Loopback servers are unreachable from the container's netns: dropped.
    assert "nameserver 10.0.0.53" in resolv and "127.0.0.53" not in resolv
    assert "search lan" in resolv
    custom = d.ok("createSandbox", containerId=cid("c"), dns=["9.9.9.9"], dnsSearch=["x.y"])
    resolv = open(custom["ResolvConfPath"]).read()
    assert "nameserver 9.9.9.9" in resolv and "10.0.0.53" not in resolv and "search x.y" in resolv


def test_none_host_and_container_modes(world):
    d = world.daemon()
    none = d.ok("createSandbox", containerId=cid("none"), mode="none")
    assert none["Networks"] == {}
    links = [l["ifname"] for l in world.links(ns=none["SandboxKey"])]
    assert links == ["lo"]
    assert "UP" in link(world, none["SandboxKey"], "lo")["flags"]

    host = d.ok("createSandbox", containerId=cid("host"), mode="host", extraHosts=["a:1.2.3.4"])
    assert host["SandboxKey"] == "" and host["Networks"] == {}
    assert open(host["HostsPath"]).read().endswith("1.2.3.4\ta\n")
    assert open(host["HostnamePath"]).read().strip() == os.uname().nodename
    err = d.fail("connect", containerId=cid("host"), network="bridge")
    assert "host network mode" in err

    main = d.ok("createSandbox", containerId=cid("main"))
    side = d.ok("createSandbox", containerId=cid("side"), mode=f"container:{cid('main')}")
    assert side["SandboxKey"] == main["SandboxKey"]
    assert side["HostsPath"] == main["HostsPath"]
    assert side["Networks"] == main["Networks"]
    err = d.fail("createSandbox", containerId=cid("bad"), mode="container:nosuch")
    assert "nosuch" in err
    listed = {n["Name"]: n for n in d.ok("listNetworks")}
    assert cid("host") in listed["host"]["Containers"]
    assert cid("none") in listed["none"]["Containers"]
    # Removing the joining one leaves the joined one alone.
    d.ok("removeSandbox", containerId=cid("side"))
    d.ok("settle")
    assert os.path.exists(main["SandboxKey"])


def test_static_ip_range_and_aliases(world):
    d = world.daemon()
    net = d.ok("createNetwork", name="st", subnet="10.60.0.0/24", gateway="10.60.0.254",
               ipRange="10.60.0.128/28")
    assert net["IPAM"]["Config"] == [{"Subnet": "10.60.0.0/24", "Gateway": "10.60.0.254",
                                      "IPRange": "10.60.0.128/28"}]
    assert "10.60.0.254/24" in world.addrs()[net["Bridge"]]
    dyn = d.ok("createSandbox", containerId=cid("dyn"), mode="st")
    assert ip_of(dyn) == "10.60.0.128"  # from the range (offset 0 of the range is fine)
    st = d.ok("createSandbox", containerId=cid("st"), mode="st",
              endpoints=[{"network": "st", "ipv4": "10.60.0.10", "mac": "02:00:00:aa:bb:cc"}])
    ep = st["Networks"]["st"]
    assert ep["IPAddress"] == "10.60.0.10" and ep["IPAMConfig"]["IPv4Address"] == "10.60.0.10"
    assert link(world, st["SandboxKey"], "eth0")["address"] == "02:00:00:aa:bb:cc"
    assert "default via 10.60.0.254" in world.run("ip", "route", ns=st["SandboxKey"]).stdout
    err = d.fail("createSandbox", containerId=cid("dup"), mode="st",
                 endpoints=[{"network": "st", "ipv4": "10.60.0.10"}])
    assert "Address already in use" in err
    err = d.fail("createSandbox", containerId=cid("out"), mode="st",
                 endpoints=[{"network": "st", "ipv4": "10.61.0.10"}])
    assert "no configured subnet or ip-range contain the IP address 10.61.0.10" in err
    err = d.fail("createSandbox", containerId=cid("gw"), mode="st",
                 endpoints=[{"network": "st", "ipv4": "10.60.0.254"}])
    assert "reserved" in err
    err = d.fail("createSandbox", containerId=cid("def"),
                 endpoints=[{"network": "bridge", "ipv4": "172.17.0.50"}])
    assert "user defined networks only" in err


def test_connect_disconnect_while_running(world):
    d = world.daemon()
    d.ok("createNetwork", name="front", subnet="10.70.0.0/24")
    d.ok("createNetwork", name="back", subnet="10.71.0.0/24", internal=True)
    api = d.ok("createSandbox", containerId=cid("api"), containerName="api", mode="back")
    db = d.ok("createSandbox", containerId=cid("db"), containerName="db", mode="back")
    serve_http(world, db, text="db")
    # api runs a server the whole time; its process must survive connect/disconnect.
    server = serve_http(world, api, port=8000, text="api")
    assert "default" not in world.run("ip", "route", ns=api["SandboxKey"]).stdout

    ep = d.ok("connect", containerId=cid("api"), network="front", aliases=["gateway-api"])
    assert ep["Interface"] == "eth1" and ep["IPAddress"].startswith("10.70.0.")
    ns = api["SandboxKey"]
    assert f"{ep['IPAddress']}/24" in world.addrs(ns=ns)["eth1"]
    # The first non-internal network gives the default route.
    assert "default via 10.70.0.1 dev eth1" in world.run("ip", "route", ns=ns).stdout
    hosts = open(api["HostsPath"]).read()
    assert ep["IPAddress"] in hosts
    # Both networks' names resolve for api.
    front = d.ok("createSandbox", containerId=cid("fe"), containerName="fe", mode="front")
    r = http_get(world, "http://db/", argv_prefix=lambda *c: in_container(api, *c))
    assert r.stdout.strip() == "db", r
    r = http_get(world, "http://gateway-api:8000/", argv_prefix=lambda *c: in_container(front, *c))
    assert r.stdout.strip() == "api", r
    err = d.fail("connect", containerId=cid("api"), network="front")
    assert "already exists in network front" in err

    d.ok("disconnect", containerId=cid("api"), network="front")
    d.ok("settle")
    assert "eth1" not in world.addrs(ns=ns)
    assert "default" not in world.run("ip", "route", ns=ns).stdout
    assert ep["IPAddress"] not in open(api["HostsPath"]).read()
    r = world.run(BUSYBOX, "nslookup", "gateway-api", "127.0.0.11", ns=front["SandboxKey"],
                  check=False)
    assert ep["IPAddress"] not in r.stdout
    assert server.poll() is None
    assert tcp_connects(world, ns, "127.0.0.1", 8000)
    err = d.fail("disconnect", containerId=cid("api"), network="front")
    assert "is not connected to network front" in err
    # The old address is free again for others (after settle).
    taken = {ip_of(front)}
    got = set()
    for i in range(3):
        got.add(ip_of(d.ok("createSandbox", containerId=cid(f"n{i}"), mode="front")))
    assert not (got & taken)


def test_hosts_file_keeps_inode_for_bind_mounts(world):
    d = world.daemon()
    d.ok("createNetwork", name="n1")
    sb = d.ok("createSandbox", containerId=cid("c"), mode="n1")
    ino = os.stat(sb["HostsPath"]).st_ino
    d.ok("connect", containerId=cid("c"), network="bridge")
    assert os.stat(sb["HostsPath"]).st_ino == ino
    assert "172.17.0." in open(sb["HostsPath"]).read()
    # A bind mount of the file (as the engine does) sees the update.
    r = sh(*in_container(sb, "cat", "/etc/hosts"))
    assert "172.17.0." in r.stdout
