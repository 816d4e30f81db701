"""Clear errors, and nothing half-configured after them."""

import os


def cid(name):
    return f"{name}{os.getpid()}"


def bridges(world):
    return sorted(l["ifname"] for l in world.links() if l["ifname"].startswith("berth"))


def records(world, kind):
    return sorted(p.name for p in (world.tmp / "d" / "state" / kind).iterdir())


def test_subnet_overlaps_and_bad_ipam(world):
    d = world.daemon()
    d.ok("createNetwork", name="a", subnet="10.80.0.0/16")
    before = (bridges(world), records(world, "networks"))
    cases = [
        ({"subnet": "10.80.5.0/24"}, "Pool overlaps with other one on this address space"),
        ({"subnet": "10.0.0.0/8"}, "Pool overlaps with other one on this address space"),
        ({"subnet": "172.17.128.0/17"}, "Pool overlaps"),  # the default bridge's
        ({"subnet": "10.81.0.1/16"}, "invalid subnet 10.81.0.1/16: it should be 10.81.0.0/16"),
        ({"subnet": "10.81.0.0/16", "gateway": "10.82.0.1"}, "is not inside subnet"),
        ({"subnet": "10.81.0.0/16", "ipRange": "10.82.0.0/24"}, "is not inside subnet"),
        ({"gateway": "10.81.0.1"}, "need a subnet"),
        ({"subnet": "10.81.0.0/33"}, "invalid prefix length"),
        ({"subnet": "banana/16"}, "invalid IP address"),
    ]
    for i, (kw, msg) in enumerate(cases):
        err = d.fail("createNetwork", name=f"bad{i}", **kw)
        assert msg in err, (kw, err)
    assert (bridges(world), records(world, "networks")) == before
    err = d.fail("createNetwork", name="a")
    assert "network with name a already exists" in err
    err = d.fail("createNetwork", name="h", driver="host")
    assert 'only one instance of "host" network is allowed' in err
    err = d.fail("createNetwork", name="o", driver="overlay")
    assert "not supported" in err
    err = d.fail("createNetwork", name="bad/name")
    assert "invalid network name" in err


def test_pool_exhausted(world):
    d = world.daemon("--pool", "10.90.0.0/23/24")
    n1 = d.ok("createNetwork", name="p1")
    n2 = d.ok("createNetwork", name="p2")
    assert {n1["IPAM"]["Config"][0]["Subnet"], n2["IPAM"]["Config"][0]["Subnet"]} == {
        "10.90.0.0/24", "10.90.1.0/24"}
    err = d.fail("createNetwork", name="p3")
    assert "could not find an available, non-overlapping IPv4 address pool" in err
    # Freed subnets are reused.
    d.ok("removeNetwork", network="p1")
    n3 = d.ok("createNetwork", name="p3")
    assert n3["IPAM"]["Config"][0]["Subnet"] == "10.90.0.0/24"


def test_network_removal_rules(world):
    d = world.daemon()
    net = d.ok("createNetwork", name="busy")
    d.ok("createSandbox", containerId=cid("c"), mode="busy")
    err = d.fail("removeNetwork", network="busy")
    assert "has active endpoints" in err
    for name in ("bridge", "host", "none"):
        err = d.fail("removeNetwork", network=name)
        assert "pre-defined network and cannot be removed" in err
    err = d.fail("removeNetwork", network="nosuch")
    assert "network nosuch not found" in err
    d.ok("removeSandbox", containerId=cid("c"))
    # By id prefix, as docker allows.
    d.ok("removeNetwork", network=net["Id"][:10])
    assert net["Bridge"] not in bridges(world)
    assert d.ok("prune") == []
    d.ok("createNetwork", name="unused")
    assert d.ok("prune") == ["unused"]


def test_sandbox_errors_leave_nothing(world):
    d = world.daemon()
    links_before = sorted(l["ifname"] for l in world.links())
    err = d.fail("createSandbox", containerId=cid("x"), mode="nosuch")
    assert "network nosuch not found" in err
    err = d.fail("createSandbox", containerId=cid("x"), extraHosts=["broken"])
    assert "invalid extra host" in err
    err = d.fail("createSandbox", containerId=cid("x"), ports=["99999:80"])
    assert "invalid port" in err
    err = d.fail("createSandbox", containerId="../evil")
    assert "invalid container id" in err
    err = d.fail("createSandbox", containerId=cid("x"), mode="none",
                 endpoints=[{"network": "bridge"}])
    assert "cannot be connected" in err
    assert sorted(l["ifname"] for l in world.links()) == links_before
    assert records(world, "sandboxes") == []
    d.ok("createSandbox", containerId=cid("y"))
    err = d.fail("createSandbox", containerId=cid("y"))
    assert "exists" in err
