"""The real docker CLI (28) against berthd: system, images, build, networks, events."""

import json
import subprocess
import time

from conftest import import_busybox


def test_version_and_info(daemon):
    r = daemon.docker("version", "--format", "{{json .}}")
    v = json.loads(r.out)
    assert v["Server"]["ApiVersion"] == "1.50"
    assert v["Server"]["MinAPIVersion"] == "1.41"
    assert v["Server"]["Os"] == "linux" and v["Server"]["Arch"] == "amd64"
    assert v["Server"]["KernelVersion"]
    r = daemon.docker("info", "--format", "{{json .}}")
    i = json.loads(r.out)
    assert i["Driver"] == "overlay2"
    assert i["CgroupDriver"] == "cgroupfs"
    assert i["CgroupVersion"] in ("1", "2")
    assert i["DockerRootDir"] == str(daemon.root)
    assert i["NCPU"] >= 1 and i["MemTotal"] > 0
    assert any("seccomp" in s for s in i["SecurityOptions"])
    assert i["Containers"] == 0 and i["Images"] == 0
    assert "127.0.0.0/8" in i["RegistryConfig"]["InsecureRegistryCIDRs"]
    # the plain `docker info` rendering works too (no template errors)
    r = daemon.docker("info")
    assert "Storage Driver: overlay2" in r.out


def test_import_images_tag_rmi(daemon, busybox_tar):
    out = import_busybox(daemon, busybox_tar, "busybox:latest")
    assert out.startswith("sha256:")
    r = daemon.docker("images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}")
    assert f"busybox:latest {out[7:19]}" in r.out
    daemon.docker("tag", "busybox", "example.com/x/bb:v1")
    r = daemon.docker("image", "inspect", "example.com/x/bb:v1")
    info = json.loads(r.out)[0]
    assert info["Id"] == out
    assert sorted(info["RepoTags"]) == ["busybox:latest", "example.com/x/bb:v1"]
    r = daemon.docker("images", "--filter", "reference=busybox", "-q")
    assert r.out.split() == [out[7:19]]
    r = daemon.docker("rmi", "example.com/x/bb:v1")
    assert "Untagged: example.com/x/bb:v1" in r.out
    r = daemon.docker("history", "busybox")
    assert "IMAGE" in r.out
    r = daemon.docker("rmi", "busybox")
    assert "Untagged: busybox:latest" in r.out and f"Deleted: {out}" in r.out
    assert daemon.docker("images", "-q").out.strip() == ""


def test_import_with_changes_and_message(daemon, busybox_tar):
    daemon.docker("import", "-c", "CMD [\"/bin/echo\", \"hi\"]", "-c", "ENV A=b", "-m", "msg",
                  busybox_tar, "bb:imp")
    info = json.loads(daemon.docker("image", "inspect", "bb:imp").out)[0]
    assert info["Config"]["Cmd"] == ["/bin/echo", "hi"]
    assert "A=b" in info["Config"]["Env"]
    assert info["Comment"] == "msg"


def test_save_load(daemon, busybox_tar, tmp_path):
    iid = import_busybox(daemon, busybox_tar, "busybox:latest")
    daemon.docker("tag", "busybox", "bb2:x")
    out = tmp_path / "saved.tar"
    daemon.docker("save", "-o", str(out), "busybox:latest", "bb2:x")
    assert out.stat().st_size > 100000
    daemon.docker("rmi", "busybox:latest", "bb2:x")
    r = daemon.docker("load", "-i", str(out))
    assert "Loaded image: busybox:latest" in r.out
    assert "Loaded image: bb2:x" in r.out
    info = json.loads(daemon.docker("image", "inspect", "bb2:x").out)[0]
    assert info["Id"] == iid
    r = daemon.docker("load", "-q", "-i", str(out))
    assert "Loaded image" in r.out


def test_classic_build(daemon, busybox_tar, tmp_path):
    import_busybox(daemon, busybox_tar, "busybox:latest")
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "hello.txt").write_text("hello from the context\n")
    (ctx / "Dockerfile").write_text(
        "FROM busybox\n"
        "ARG GREETING=none\n"
        "RUN echo built-$GREETING > /built && mkdir -p /app\n"
        "COPY hello.txt /app/\n"
        "LABEL stage=one\n"
        "CMD [\"cat\", \"/app/hello.txt\"]\n")
    r = daemon.docker("build", "-t", "built:1", "-t", "built:2", "--build-arg",
                      "GREETING=yes", "--label", "extra=1", str(ctx),
                      env={"DOCKER_BUILDKIT": "0"})
    assert "Step 1/" in r.out and " : FROM busybox" in r.out
    assert "Successfully built" in r.out
    assert "Successfully tagged built:1" in r.out
    info = json.loads(daemon.docker("image", "inspect", "built:2").out)[0]
    assert info["Config"]["Cmd"] == ["cat", "/app/hello.txt"]
    assert info["Config"]["Labels"]["stage"] == "one"
    assert info["Config"]["Labels"]["extra"] == "1"
    # the built layers hold the RUN and COPY results: save and look inside
    save = subprocess.run(["/usr/local/bin/docker", "save", "built:1"], env=daemon.env,
                          capture_output=True, check=True).stdout
    assert b"built-yes" in _all_layer_bytes(save)
    assert b"hello from the context" in _all_layer_bytes(save)
    # a failing RUN fails the build with docker's message
    (ctx / "Dockerfile").write_text("FROM busybox\nRUN exit 3\n")
    r = daemon.docker("build", str(ctx), check=False, env={"DOCKER_BUILDKIT": "0"})
    assert r.returncode != 0
    assert "returned a non-zero code: 3" in r.out + r.err
    # -q prints only the ID
    (ctx / "Dockerfile").write_text("FROM busybox\nENV X=1\n")
    r = daemon.docker("build", "-q", str(ctx), env={"DOCKER_BUILDKIT": "0"})
    assert r.out.strip().startswith("sha256:")


def _all_layer_bytes(save_tar):
    import gzip
    import io
    import tarfile
    out = b""
    with tarfile.open(fileobj=io.BytesIO(save_tar)) as t:
        for m in t.getmembers():
            if not m.isfile():
                continue
            data = t.extractfile(m).read()
            if data[:2] == b"\x1f\x8b":
                data = gzip.decompress(data)
            try:
                with tarfile.open(fileobj=io.BytesIO(data)) as lt:
                    for lm in lt.getmembers():
                        if lm.isfile():
                            out += lt.extractfile(lm).read()[:4096]
            except tarfile.TarError:
                pass
    return out


def test_networks(daemon):
    r = daemon.docker("network", "ls", "--format", "{{.Name}} {{.Driver}}")
    assert "bridge bridge" in r.out
    nid = daemon.docker("network", "create", "--subnet", "10.77.0.0/24", "--label", "a=b",
                        "testnet").out.strip()
    assert len(nid) == 64
    info = json.loads(daemon.docker("network", "inspect", "testnet").out)[0]
    assert info["Id"] == nid and info["Driver"] == "bridge"
    assert info["IPAM"]["Config"][0]["Subnet"] == "10.77.0.0/24"
    assert info["Labels"] == {"a": "b"}
    r = daemon.docker("network", "ls", "--filter", "label=a=b", "-q")
    assert r.out.split() == [nid[:12]]
    r = daemon.docker("network", "create", "testnet", check=False)
    assert r.returncode != 0 and "already exists" in r.err
    r = daemon.docker("network", "ls", "--filter", "bogus=1", check=False)
    assert r.returncode != 0 and "invalid filter 'bogus'" in r.err
    daemon.docker("network", "rm", "testnet")
    r = daemon.docker("network", "inspect", "testnet", check=False)
    assert r.returncode != 0
    r = daemon.docker("network", "rm", "bridge", check=False)
    assert r.returncode != 0 and "pre-defined" in r.err


def test_system_df(daemon, busybox_tar):
    import_busybox(daemon, busybox_tar)
    r = daemon.docker("system", "df")
    assert "Images" in r.out and "Local Volumes" in r.out
    r = daemon.docker("system", "df", "--format", "{{json .}}")
    rows = [json.loads(l) for l in r.out.splitlines()]
    images = [x for x in rows if x["Type"] == "Images"][0]
    assert images["TotalCount"] == "1"


def test_system_and_builder_prune(daemon, busybox_tar, tmp_path):
    import_busybox(daemon, busybox_tar)
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text("FROM busybox\nRUN echo one > /one\nRUN echo two > /two\n")
    env = {"DOCKER_BUILDKIT": "0"}
    daemon.docker("build", "-q", "-t", "pr:1", str(ctx), env=env)
    assert "Using cache" in daemon.docker("build", "-t", "pr:1", str(ctx), env=env).out
    daemon.docker("create", "--name", "gone", "busybox", "true")
    # docker system prune also calls POST /build/prune: it must succeed, not 404.
    r = daemon.docker("system", "prune", "-f")
    assert "gone" in r.out or len([l for l in r.out.splitlines() if len(l) == 64]) >= 1
    assert "gone" not in daemon.docker("ps", "-a", "--format", "{{.Names}}").out.split()
    # The build cache went with it: the same build runs its steps again.
    assert "Using cache" not in daemon.docker("build", "-t", "pr:1", str(ctx), env=env).out
    r = daemon.docker("builder", "prune", "-f", env=env)
    assert "Total reclaimed space" in r.out
    r = daemon.api("POST", "/v1.50/build/prune")
    assert r.status == 200 and r.json()["CachesDeleted"] == []


def test_events_since_until(daemon, busybox_tar):
    t0 = time.time() - 1
    iid = import_busybox(daemon, busybox_tar, "evt:1")
    daemon.docker("tag", "evt:1", "evt:2")
    daemon.docker("network", "create", "evnet")
    daemon.docker("network", "rm", "evnet")
    t1 = time.time() + 1
    r = daemon.docker("events", "--since", str(t0), "--until", str(t1), "--format",
                      "{{.Type}} {{.Action}} {{.Actor.ID}} {{index .Actor.Attributes \"name\"}}")
    lines = r.out.splitlines()
    assert f"image import {iid} evt:1" in lines
    assert f"image tag {iid} evt:2" in lines
    assert any(l.startswith("network create ") and l.endswith(" evnet") for l in lines)
    assert any(l.startswith("network destroy ") and l.endswith(" evnet") for l in lines)
    r = daemon.docker("events", "--since", str(t0), "--until", str(t1), "--filter",
                      "type=network", "--format", "{{.Action}}")
    assert r.out.split() == ["create", "destroy"]
    # live: a stream started now sees an event published later
    p = subprocess.Popen(["/usr/local/bin/docker", "events", "--filter", "type=image",
                          "--format", "{{.Action}}"], env=daemon.env, stdout=subprocess.PIPE)
    try:
        time.sleep(0.5)
        daemon.docker("tag", "evt:1", "evt:3")
        line = p.stdout.readline().decode().strip()
        assert line == "tag"
    finally:
        p.kill()
        p.wait()


def test_bad_input(daemon):
    r = daemon.docker("image", "inspect", "nosuchimage", check=False)
    assert r.returncode != 0 and "No such image: nosuchimage" in r.err
    r = daemon.docker("rmi", "nosuchimage", check=False)
    assert r.returncode != 0 and "No such image" in r.err
    r = daemon.docker("search", "busybox", check=False)
    assert r.returncode != 0 and "index.docker.io" in r.err
