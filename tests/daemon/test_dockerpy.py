"""docker-py 7.1 against berthd: build, pull/push, networks, events."""

import io
import tarfile
import time

import pytest

from conftest import find_docker_py, import_busybox

if not find_docker_py():
    pytest.skip("docker-py is not installed", allow_module_level=True)
import docker  # noqa: E402


@pytest.fixture
def client(daemon):
    c = docker.DockerClient(base_url=daemon.host, version="auto", timeout=120)
    yield c
    c.close()


def test_ping_version(client):
    assert client.ping() is True
    assert client.version()["ApiVersion"] == "1.50"
    assert client.api.api_version == "1.50"


def test_build_pull_push(daemon, client, busybox_tar, registry):
    import_busybox(daemon, busybox_tar)
    dockerfile = b"FROM busybox\nRUN echo pyb > /f\nCMD [\"cat\", \"/f\"]\n"
    ctx = io.BytesIO()
    with tarfile.open(fileobj=ctx, mode="w") as t:
        ti = tarfile.TarInfo("Dockerfile")
        ti.size = len(dockerfile)
        t.addfile(ti, io.BytesIO(dockerfile))
    ctx.seek(0)
    img, logs = client.images.build(fileobj=ctx, custom_context=True, tag="pyb:1", rm=True)
    assert "pyb:1" in img.tags
    assert any("Successfully built" in l.get("stream", "") for l in logs)
    assert img.attrs["Config"]["Cmd"] == ["cat", "/f"]
    with pytest.raises(docker.errors.BuildError):
        bad = io.BytesIO()
        with tarfile.open(fileobj=bad, mode="w") as t:
            df = b"FROM busybox\nRUN false\n"
            ti = tarfile.TarInfo("Dockerfile")
            ti.size = len(df)
            t.addfile(ti, io.BytesIO(df))
        bad.seek(0)
        client.images.build(fileobj=bad, custom_context=True)

    repo = f"{registry.host}/py/pyb"
    assert img.tag(repo, "v1")
    out = client.images.push(repo, tag="v1", stream=True, decode=True)
    lines = list(out)
    assert not any("error" in l for l in lines), lines
    client.images.remove(f"{repo}:v1")
    pulled = client.images.pull(repo, tag="v1")
    assert pulled.id == img.id
    with pytest.raises(docker.errors.ImageNotFound):
        client.images.get("nosuch:image")


def test_networks(client):
    n = client.networks.create("pynet", driver="bridge", labels={"k": "v"})
    try:
        assert n.name == "pynet"
        names = [x.name for x in client.networks.list()]
        assert "pynet" in names and "bridge" in names
        assert [x.name for x in client.networks.list(filters={"label": "k=v"})] == ["pynet"]
        assert client.networks.get(n.id).attrs["Labels"] == {"k": "v"}
    finally:
        n.remove()
    assert "pynet" not in [x.name for x in client.networks.list()]


def test_events(daemon, client, busybox_tar):
    since = int(time.time()) - 1
    import_busybox(daemon, busybox_tar, "ev:1")
    client.images.get("ev:1").tag("ev", "2")
    until = int(time.time()) + 1
    evs = list(client.events(since=since, until=until, decode=True, filters={"type": "image"}))
    actions = [e["Action"] for e in evs]
    assert "import" in actions and "tag" in actions
    assert all(e["Type"] == "image" for e in evs)
