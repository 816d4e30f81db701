"""The example app (examples/compose-app: build, depends_on service_healthy, health checks, a
named volume, two networks one internal, a published port, three replicas, a secret):
`up -d --wait` brings it up, requests through the published port are answered by every
replica, and `down -v` leaves nothing: no container, network, volume or port rule."""

import re
import subprocess

from conftest import REPO


def test_example_app(project):
    p = project
    app = REPO / "examples" / "compose-app"
    r = p.compose("-f", str(app / "compose.yaml"), "up", "-d", "--wait", timeout=600)
    for svc in ("kv", "app", "front", "worker"):
        assert f" Service {svc}  Built" in r.err
    assert f" Container {p.name}-app-3  Healthy" in r.err
    ids = p.ids()
    assert sorted(ids) == sorted([f"{p.name}-kv-1", f"{p.name}-front-1", f"{p.name}-worker-1"] +
                                 [f"{p.name}-app-{i}" for i in (1, 2, 3)])
    hosts = set()
    for _ in range(12):
        page = p.in_netns("curl", "-sf", "--max-time", "5", "http://127.0.0.1:8080/")
        assert page.returncode == 0, page
        m = re.match(r"app (\w+): request \d+", page.stdout)
        assert m, page.stdout
        hosts.add(m.group(1))
    assert hosts == {p.inspect(n)["Config"]["Hostname"] for n in ids if "-app-" in n}
    # The backend network is internal; the volume and the secret are in use.
    back = p.d.berth("network", "inspect", "-f", "{{.Internal}}", f"{p.name}_backend").out
    assert back.strip() == "true"
    assert p.d.berth("volume", "inspect", f"{p.name}_kvdata").rc == 0
    rules = p.in_netns("nft", "list", "ruleset").stdout
    assert "8080" in rules

    r = p.compose("-f", str(app / "compose.yaml"), "down", "-v", "--rmi", "local")
    assert p.ids() == {}
    names = p.d.berth("network", "ls", "--format", "{{.Name}}").out.split()
    assert not [n for n in names if n.startswith(p.name)]
    vols = p.d.berth("volume", "ls", "-q").out.split()
    assert not [v for v in vols if v.startswith(p.name)]
    assert "8080" not in p.in_netns("nft", "list", "ruleset").stdout
    imgs = p.d.berth("images", "--format", "{{.Repository}}").out.split()
    assert not [i for i in imgs if i.startswith(p.name + "-")]
