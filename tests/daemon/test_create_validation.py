"""Container create checks as dockerd makes them, through the real docker CLI: the entrypoint
reset (`--entrypoint ''`), "No command specified", StopSignal and WorkingDir validated at
create (400), and a missing network or container:<x> that fails the start, not the create (a
404 from create makes the CLI pull the image)."""

import json

import pytest

from conftest import import_busybox

PULL = "Unable to find image"


@pytest.fixture
def bb(daemon, busybox_tar):
    import_busybox(daemon, busybox_tar)
    return daemon


def inspect(d, ref):
    return json.loads(d.docker("inspect", ref).out)[0]


def no_containers(d):
    return d.docker("ps", "-aq").out.strip() == ""


def test_entrypoint_reset(bb, busybox_tar):
    r = bb.docker("run", "--rm", "--entrypoint", "", "busybox", "echo", "x", check=False)
    assert (r.returncode, r.out) == (0, "x\n"), r.err
    cid = bb.docker("create", "--entrypoint", "", "busybox", "echo", "x").out.strip()
    c = inspect(bb, cid)
    assert c["Config"]["Entrypoint"] is None
    assert c["Config"]["Cmd"] == ["echo", "x"]
    assert (c["Path"], c["Args"]) == ("echo", ["x"])
    bb.docker("rm", cid)

    # An image with an ENTRYPOINT and a CMD: '' drops the entrypoint, and the image's CMD is
    # not taken either (docker merges before the reset): no command at all -> 400 at create.
    bb.docker("import", "--change", 'ENTRYPOINT ["echo", "ep"]', "--change",
              'CMD ["fromimage"]', busybox_tar, "epimg")
    assert bb.docker("run", "--rm", "epimg").out == "ep fromimage\n"
    assert bb.docker("run", "--rm", "epimg", "a").out == "ep a\n"
    assert bb.docker("run", "--rm", "--entrypoint", "", "epimg", "echo", "x").out == "x\n"
    r = bb.docker("run", "--rm", "--entrypoint", "", "epimg", check=False)
    assert r.returncode == 125, (r.out, r.err)
    assert "No command specified" in r.err and PULL not in r.err, r.err
    r = bb.docker("create", "--entrypoint", "", "busybox", check=False)
    assert r.returncode != 0 and "No command specified" in r.err and PULL not in r.err, r.err
    assert no_containers(bb)

    # The raw API: [""] resets, a missing command is a 400 with docker's message.
    r = bb.api("POST", "/containers/create", {"Image": "busybox", "Entrypoint": [""]})
    assert r.status == 400 and r.json()["message"] == "No command specified", r.body
    r = bb.api("POST", "/containers/create", {"Image": "epimg", "Entrypoint": ""})
    assert r.status == 400, r.body
    # An empty (not null) Entrypoint keeps the image's CMD but not its ENTRYPOINT.
    r = bb.api("POST", "/containers/create", {"Image": "epimg", "Entrypoint": []})
    assert r.status == 201, r.body
    c = inspect(bb, r.json()["Id"])
    assert (c["Path"], c["Args"], c["Config"]["Cmd"]) == ("fromimage", [], ["fromimage"])
    bb.docker("rm", c["Id"])


def test_stop_signal_validated_at_create(bb):
    for bad in ("BOGUS", "SIGBOGUS", "0"):
        r = bb.docker("create", "--stop-signal", bad, "busybox", "true", check=False)
        assert r.returncode != 0, r.out
        assert f"Invalid signal: {bad}" in r.err and PULL not in r.err, r.err
        r = bb.docker("run", "--rm", "--stop-signal", bad, "busybox", "true", check=False)
        assert r.returncode == 125 and f"Invalid signal: {bad}" in r.err, r.err
    r = bb.api("POST", "/containers/create",
               {"Image": "busybox", "Cmd": ["true"], "StopSignal": "BOGUS"})
    assert r.status == 400 and r.json()["message"] == "Invalid signal: BOGUS", r.body
    assert no_containers(bb)
    for ok in ("SIGUSR1", "usr1", "TERM", "9", "SIGRTMIN+3"):
        cid = bb.docker("create", "--stop-signal", ok, "busybox", "true").out.strip()
        assert inspect(bb, cid)["Config"]["StopSignal"] == ok
        bb.docker("rm", cid)


def test_relative_workdir_rejected_at_create(bb):
    msg = "the working directory 'relative' is invalid, it needs to be an absolute path"
    r = bb.docker("create", "-w", "relative", "busybox", "pwd", check=False)
    assert r.returncode != 0 and msg in r.err and PULL not in r.err, r.err
    r = bb.docker("run", "--rm", "-w", "relative", "busybox", "pwd", check=False)
    assert r.returncode == 125 and msg in r.err, r.err
    r = bb.api("POST", "/containers/create",
               {"Image": "busybox", "Cmd": ["pwd"], "WorkingDir": "relative"})
    assert r.status == 400 and r.json()["message"] == msg, r.body
    assert no_containers(bb)
    assert bb.docker("run", "--rm", "-w", "/tmp/sub", "busybox", "pwd").out == "/tmp/sub\n"


def test_missing_network_fails_the_start_not_the_create(bb):
    r = bb.docker("run", "--network", "nosuchnet", "busybox", "true", check=False)
    assert r.returncode == 125, (r.out, r.err)
    assert "Error response from daemon: network nosuchnet not found" in r.err, r.err
    assert PULL not in r.err
    bb.docker("container", "prune", "-f")

    # create is accepted (as dockerd's); start answers 404 and the container stays created.
    cid = bb.docker("create", "--network", "nosuchnet", "busybox", "true").out.strip()
    r = bb.docker("start", cid, check=False)
    assert r.returncode != 0 and "network nosuchnet not found" in r.err, r.err
    assert inspect(bb, cid)["State"]["Status"] == "created"
    r = bb.api("POST", f"/containers/{cid}/start")
    assert r.status == 404 and r.json()["message"] == "network nosuchnet not found", r.body
    # Once the network exists, the same container starts on it.
    bb.docker("network", "create", "nosuchnet")
    bb.docker("start", cid)
    assert bb.docker("wait", cid).out.strip() == "0"
    bb.docker("rm", cid)

    # --rm: the container that cannot start is removed.
    r = bb.docker("run", "--rm", "--network", "othernet", "busybox", "true", check=False)
    assert r.returncode == 125 and "network othernet not found" in r.err, r.err
    assert PULL not in r.err
    assert no_containers(bb)


def test_missing_network_container_fails_the_start(bb):
    r = bb.docker("run", "--rm", "--network", "container:nosuch", "busybox", "true", check=False)
    assert r.returncode == 125, (r.out, r.err)
    assert "No such container: nosuch" in r.err and PULL not in r.err, r.err
    assert no_containers(bb)
    cid = bb.docker("create", "--network", "container:nosuch", "busybox", "true").out.strip()
    r = bb.api("POST", f"/containers/{cid}/start")
    assert r.status == 404 and r.json()["message"] == "No such container: nosuch", r.body
    bb.docker("rm", cid)
    # A container that exists: joined as before.
    bb.docker("run", "-d", "--name", "host1", "busybox", "sleep", "60")
    r = bb.docker("run", "--rm", "--network", "container:host1", "busybox", "readlink",
                  "/proc/self/ns/net")
    assert r.out == bb.docker("exec", "host1", "readlink", "/proc/self/ns/net").out
    bb.docker("rm", "-f", "host1")
