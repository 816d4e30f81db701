"""Registry end to end: push, pull (also of images skopeo pushed, multi-arch indexes), token and
basic auth with login/logout, a corrupt blob, a killed pull that resumes, concurrent pulls.
All against Debian's docker-registry on 127.0.0.1."""

import base64
import json
import os
import re
import signal
import stat
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import Bimg, start_registry, stop_registry
from registry_util import (Layout, ThrottleProxy, TokenServer, busybox_files, sha256,
                           skopeo_push)


def store(b):
    """What a berth-image root holds: blob digests, unpacked layer diffIDs, ingest files, tmp
    layer dirs, image IDs."""
    root = Path(b.root)
    blobs = {"sha256:" + p.name for p in (root / "content" / "sha256").glob("*")}
    layers = {"sha256:" + p.name for p in (root / "layers").glob("*")
              if len(p.name) == 64 and (p / "diff").is_dir()}
    ingest = [p.name for p in (root / "content" / "ingest").glob("*")]
    tmp = [p.name for p in (root / "layers").glob("tmp-*")]
    images = set(b.run("images", "-q", "--no-trunc").stdout_s.split())
    return blobs, layers, ingest, tmp, images


def registry_manifest(host, repo, ref, accept="application/vnd.oci.image.manifest.v1+json"):
    req = urllib.request.Request(f"http://{host}/v2/{repo}/manifests/{ref}",
                                 headers={"Accept": accept})
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.headers.get("Docker-Content-Digest"), r.read()


def inspect(bimg, ref):
    return json.loads(bimg.run("inspect", ref).stdout_s)[0]


def other_root(bimg, tmp_path, name):
    root = tmp_path / name
    rt = tmp_path / (name + "-rt")
    root.mkdir()
    rt.mkdir()
    return Bimg(str(root), str(rt))


# (1) ------------------------------------------------------------------------------------------

def test_push_rmi_pull_run(bimg, registry, busybox_tar):
    ref = f"{registry.host}/bb:1"
    bimg.run("import", busybox_tar, ref)
    r = bimg.run("push", ref)
    assert f"The push refers to repository [{registry.host}/bb]" in r.stdout_s
    assert ": Pushed" in r.stdout_s
    m = re.search(r"^1: digest: (sha256:[0-9a-f]{64}) size: (\d+)$", r.stdout_s, re.M)
    assert m, r.stdout_s
    digest, size = m.group(1), int(m.group(2))
    # The registry serves exactly the manifest we hold.
    reg_digest, body = registry_manifest(registry.host, "bb", "1")
    assert reg_digest == digest and sha256(body) == digest and len(body) == size
    assert f"{registry.host}/bb@{digest}" in inspect(bimg, ref)["RepoDigests"]

    # A second push finds every blob there.
    r = bimg.run("push", ref)
    assert ": Layer already exists" in r.stdout_s and ": Pushed" not in r.stdout_s

    image_id = inspect(bimg, ref)["Id"]
    bimg.run("rmi", ref)
    _, layers, _, _, images = store(bimg)
    assert image_id not in images

    r = bimg.run("pull", ref)
    assert r.stdout_s.strip() == ref
    err = r.stderr_s
    assert "1: Pulling from bb" in err
    assert ": Pull complete" in err
    assert f"Digest: {digest}" in err
    assert f"Status: Downloaded newer image for {ref}" in err
    assert inspect(bimg, ref)["Id"] == image_id
    blobs, layers, ingest, tmp, _ = store(bimg)
    assert not ingest and not tmp

    r = bimg.run("pull", ref)
    assert f"Status: Image is up to date for {ref}" in r.stderr_s
    assert "Pull complete" not in r.stderr_s

    out = bimg.run("run", "--rm", ref, "/bin/sh", "-c", "echo pulled-$((6*7))")
    assert out.stdout_s.strip() == "pulled-42"


def test_push_mounts_from_sibling_repository(bimg, registry, busybox_tar):
    a, b = f"{registry.host}/team/a:1", f"{registry.host}/team/b:1"
    bimg.run("import", busybox_tar, a)
    bimg.run("push", a)
    bimg.run("tag", a, b)
    r = bimg.run("push", b)
    assert ": Mounted from team/a" in r.stdout_s, r.stdout_s
    assert ": Pushed" not in r.stdout_s


def test_pull_errors_are_clear(bimg, registry):
    r = bimg.run("pull", f"{registry.host}/nope:1", check=False)
    assert r.returncode == 1
    assert r.stderr_s.splitlines()[-1] == (f"berth-image: manifest for {registry.host}/nope:1 "
                                           "not found: manifest unknown: manifest unknown")
    r = bimg.run("pull", "Bad_Name", check=False)
    assert r.returncode == 1 and "invalid reference format" in r.stderr_s


# (2) ------------------------------------------------------------------------------------------

def test_pull_skopeo_multilayer_and_multiarch_index(bimg, registry, tmp_path):
    lay = Layout(tmp_path / "oci")
    amd = lay.image([busybox_files(), {"etc/arch": b"amd64\n"},
                     {"data/blob": os.urandom(3 << 20)}], arch="amd64")
    arm = lay.image([{"etc/arch": b"arm64\n"}], arch="arm64")
    idx = lay.index([arm, amd])
    lay.tag(idx, "multi")
    skopeo_push(lay, "multi", f"{registry.host}/multi:1", all_=True)

    r = bimg.run("pull", f"{registry.host}/multi:1")
    assert f"Digest: {idx['digest']}" in r.stderr_s
    assert r.stderr_s.count(": Pull complete") == 3, r.stderr_s
    blobs, layers, ingest, tmp, images = store(bimg)
    # The amd64 image, and nothing of the arm64 one.
    assert amd["digest"] in blobs and amd["_config"]["digest"] in blobs
    assert {d["digest"] for d in amd["_layers"]} <= blobs
    assert arm["digest"] not in blobs and arm["_layers"][0]["digest"] not in blobs
    assert set(amd["_diff_ids"]) <= layers and arm["_diff_ids"][0] not in layers
    arch = Path(bimg.root) / "layers" / amd["_diff_ids"][1][7:] / "diff" / "etc" / "arch"
    assert arch.read_text() == "amd64\n"
    info = inspect(bimg, f"{registry.host}/multi:1")
    assert info["Id"] == amd["_config"]["digest"]
    assert info["Architecture"] == "amd64"
    # The repo digest is the index's (what the tag points to), as docker records it.
    assert f"{registry.host}/multi@{idx['digest']}" in info["RepoDigests"]
    assert not ingest and not tmp

    # By digest, the other platform.
    r = bimg.run("pull", "--platform", "linux/arm64", f"{registry.host}/multi@{idx['digest']}")
    blobs, layers, _, _, _ = store(bimg)
    assert arm["digest"] in blobs and arm["_diff_ids"][0] in layers

    # A platform the index does not have: the error says what there is.
    r = bimg.run("pull", "--platform", "linux/s390x", f"{registry.host}/multi:1", check=False)
    assert r.returncode == 1 and "s390x" in r.stderr_s


def test_pull_skopeo_docker_schema2_shares_layers(bimg, registry, tmp_path):
    lay = Layout(tmp_path / "oci")
    base = busybox_files()
    one = lay.image([base, {"etc/hello": b"one\n"}])
    two = lay.image([base, {"etc/hello": b"two\n"}])
    lay.tag(one, "one")
    lay.tag(two, "two")
    skopeo_push(lay, "one", f"{registry.host}/one:1")
    skopeo_push(lay, "two", f"{registry.host}/staging:1")
    # skopeo converts to Docker schema2 on request.
    argv = ["skopeo", "copy", "-q", "--dest-tls-verify=false", "--src-tls-verify=false",
            "--format", "v2s2", f"docker://{registry.host}/staging:1",
            f"docker://{registry.host}/two:1"]
    subprocess.run(argv, check=True, capture_output=True, timeout=120)
    _, body = registry_manifest(registry.host, "two", "1",
                                "application/vnd.docker.distribution.manifest.v2+json")
    man = json.loads(body)
    assert man["mediaType"] == "application/vnd.docker.distribution.manifest.v2+json"

    bimg.run("pull", f"{registry.host}/one:1")
    r = bimg.run("pull", f"{registry.host}/two:1")
    # The shared base layer is not downloaded again; the other one is.
    assert r.stderr_s.count(": Already exists") == 1, r.stderr_s
    assert r.stderr_s.count(": Pull complete") == 1, r.stderr_s
    info = inspect(bimg, f"{registry.host}/two:1")
    assert info["Id"] == man["config"]["digest"]
    hello = Path(bimg.root) / "layers" / two["_diff_ids"][1][7:] / "diff" / "etc" / "hello"
    assert hello.read_text() == "two\n"
    # Pulling the same image again under a new tag needs no layer work at all.
    subprocess.run(["skopeo", "copy", "-q", "--dest-tls-verify=false", "--src-tls-verify=false",
                    f"docker://{registry.host}/two:1", f"docker://{registry.host}/three:1"],
                   check=True, capture_output=True, timeout=120)
    r = bimg.run("pull", f"{registry.host}/three:1")
    assert "Already exists" not in r.stderr_s and "Pull complete" not in r.stderr_s
    assert inspect(bimg, f"{registry.host}/three:1")["Id"] == info["Id"]


# (3) ------------------------------------------------------------------------------------------

@pytest.fixture
def token_registry(tmp_path):
    ts = TokenServer(tmp_path, {"alice": "wonderland"})
    try:
        reg = start_registry(tmp_path / "treg", ts.registry_config())
    except BaseException:
        ts.stop()
        raise
    yield reg, ts
    stop_registry(reg)
    ts.stop()


def test_token_auth_pull_push_login_logout(bimg, token_registry, tmp_path):
    reg, ts = token_registry
    lay = Layout(tmp_path / "oci")
    img = lay.image([busybox_files(), {"etc/secret": b"42\n"}])
    lay.tag(img, "v")
    skopeo_push(lay, "v", f"{reg.host}/secret/app:1", creds="alice:wonderland")
    ref = f"{reg.host}/secret/app:1"
    auth = tmp_path / "home" / ".berth" / "config.json"
    a = ["--auth-file", str(auth)]

    r = bimg.run(*a, "pull", ref, check=False)
    assert r.returncode == 1
    assert (f"berth-image: pull access denied for {reg.host}/secret/app, repository does not "
            "exist or may require 'berth login'") in r.stderr_s
    r = bimg.run(*a, "push", ref, check=False)
    assert r.returncode == 1 and "No such image" in r.stderr_s

    r = bimg.run(*a, "login", "-u", "alice", "-p", "nope", reg.host, check=False)
    assert r.returncode == 1 and "incorrect username or password" in r.stderr_s
    assert not auth.exists()

    r = bimg.run(*a, "login", "-u", "alice", "--password-stdin", reg.host, input=b"wonderland\n")
    assert r.stdout_s.strip() == "Login Succeeded"
    assert stat.S_IMODE(auth.stat().st_mode) == 0o600
    entry = json.loads(auth.read_text())["auths"][reg.host]
    assert base64.b64decode(entry["auth"]) == b"alice:wonderland"

    ts.requests.clear()
    r = bimg.run(*a, "pull", ref)
    assert "Status: Downloaded newer image" in r.stderr_s
    assert ("alice", [f"repository:secret/app:pull"], True) in ts.requests
    # One token for the whole pull (cached per scope), not one per request.
    assert len(ts.requests) <= 2, ts.requests

    # Push to another repository: pull,push there, blobs mounted from the one pulled from.
    other = f"{reg.host}/mine/app:2"
    bimg.run("tag", ref, other)
    ts.requests.clear()
    r = bimg.run(*a, "push", other)
    assert "Mounted from secret/app" in r.stdout_s, r.stdout_s
    scopes = {s for _, ss, _ in ts.requests for s in ss}
    assert {"repository:mine/app:pull,push", "repository:secret/app:pull"} <= scopes
    d, _ = registry_manifest_auth(reg.host, ts, "mine/app", "2")
    assert re.search(rf"2: digest: {d} size: \d+", r.stdout_s)

    r = bimg.run(*a, "logout", reg.host)
    assert f"Removing login credentials for {reg.host}" in r.stdout_s
    assert reg.host not in json.loads(auth.read_text())["auths"]
    fresh = other_root(bimg, tmp_path, "fresh")
    r = fresh.run(*a, "pull", ref, check=False)
    assert r.returncode == 1 and "pull access denied" in r.stderr_s
    # Logged out, pushes are refused too.
    bimg.run("tag", ref, f"{reg.host}/mine/app:3")
    r = bimg.run(*a, "push", f"{reg.host}/mine/app:3", check=False)
    assert r.returncode == 1
    assert r.stderr_s.splitlines()[-1].startswith(f"berth-image: push {reg.host}/mine/app:3: ")
    assert "unauthorized" in r.stderr_s or "denied" in r.stderr_s


def registry_manifest_auth(host, ts, repo, ref):
    tok = ts.token("alice", [{"type": "repository", "name": repo, "actions": ["pull"]}])
    req = urllib.request.Request(f"http://{host}/v2/{repo}/manifests/{ref}", headers={
        "Accept": "application/vnd.oci.image.manifest.v1+json",
        "Authorization": f"Bearer {tok}"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.headers.get("Docker-Content-Digest"), r.read()


# (4) ------------------------------------------------------------------------------------------

def test_basic_auth_htpasswd_login(bimg, tmp_path):
    htp = subprocess.run(["htpasswd", "-Bbn", "bob", "builder"], capture_output=True, text=True,
                         check=True).stdout
    pw = tmp_path / "htpasswd"
    pw.write_text(htp)
    reg = start_registry(tmp_path / "breg",
                         f"auth:\n  htpasswd:\n    realm: basic-realm\n    path: {pw}\n")
    try:
        lay = Layout(tmp_path / "oci")
        img = lay.image([busybox_files()])
        lay.tag(img, "v")
        skopeo_push(lay, "v", f"{reg.host}/private:1", creds="bob:builder")
        ref = f"{reg.host}/private:1"
        auth = tmp_path / "auth.json"
        a = ["--auth-file", str(auth)]

        r = bimg.run(*a, "pull", ref, check=False)
        assert r.returncode == 1 and "pull access denied" in r.stderr_s
        r = bimg.run(*a, "login", "-u", "bob", "-p", "wrong", reg.host, check=False)
        assert r.returncode == 1 and "unauthorized" in r.stderr_s
        assert not auth.exists()

        r = bimg.run(*a, "login", "-u", "bob", "-p", "builder", reg.host)
        assert "Login Succeeded" in r.stdout_s
        assert stat.S_IMODE(auth.stat().st_mode) == 0o600
        assert base64.b64decode(json.loads(auth.read_text())["auths"][reg.host]["auth"]) == \
            b"bob:builder"
        bimg.run(*a, "pull", ref)
        bimg.run("tag", ref, f"{reg.host}/private:2")
        r = bimg.run(*a, "push", f"{reg.host}/private:2")
        assert "Layer already exists" in r.stdout_s and "2: digest: sha256:" in r.stdout_s
    finally:
        stop_registry(reg)


# (5) ------------------------------------------------------------------------------------------

def test_corrupt_blob_is_rejected_and_nothing_stored(bimg, registry, tmp_path):
    lay = Layout(tmp_path / "oci")
    img = lay.image([busybox_files(), {"data/x": os.urandom(1 << 20)}])
    lay.tag(img, "v")
    skopeo_push(lay, "v", f"{registry.host}/bad:1")
    bad = img["_layers"][1]["digest"]
    data = (registry.storage / "docker" / "registry" / "v2" / "blobs" / "sha256" / bad[7:9] /
            bad[7:] / "data")
    orig = data.read_bytes()
    corrupt = bytearray(orig)
    for i in range(len(corrupt) // 2, len(corrupt) // 2 + 64):
        corrupt[i] ^= 0xFF
    data.write_bytes(bytes(corrupt))

    r = bimg.run("pull", f"{registry.host}/bad:1", check=False)
    assert r.returncode == 1
    assert bad in r.stderr_s, r.stderr_s
    blobs, layers, ingest, tmp, images = store(bimg)
    assert bad not in blobs and img["_diff_ids"][1] not in layers
    assert img["digest"] not in blobs and img["_config"]["digest"] not in blobs
    assert not images and not ingest and not tmp

    # Repaired, the same root pulls fine.
    data.write_bytes(orig)
    bimg.run("pull", f"{registry.host}/bad:1")
    blobs, layers, ingest, tmp, images = store(bimg)
    assert bad in blobs and img["_diff_ids"][1] in layers and len(images) == 1


# (6) ------------------------------------------------------------------------------------------

def big_image(registry, tmp_path, mib=64):
    lay = Layout(tmp_path / "oci")
    img = lay.image([busybox_files(), {"data/big": os.urandom(mib << 20)}])
    lay.tag(img, "v")
    skopeo_push(lay, "v", f"{registry.host}/big:1")
    return img


def wait_for(cond, timeout=60, what="condition"):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = cond()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_killed_pull_resumes_and_leaves_no_garbage(bimg, registry, tmp_path):
    img = big_image(registry, tmp_path)
    big = img["_layers"][1]
    proxy = ThrottleProxy(registry.port, rate=8 << 20)
    try:
        ref = f"{proxy.host}/big:1"
        p = subprocess.Popen(bimg.argv("pull", ref), stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        try:
            ing = Path(bimg.root) / "content" / "ingest" / big["digest"]
            wait_for(lambda: ing.exists() and ing.stat().st_size > (16 << 20), what="16 MiB")
            p.send_signal(signal.SIGKILL)
        finally:
            p.kill()
            p.wait()
        partial = ing.stat().st_size
        assert 0 < partial < big["size"]
        _, layers, _, _, images = store(bimg)
        assert img["_diff_ids"][1] not in layers and not images

        proxy.rate = None
        proxy.ranges.clear()
        r = bimg.run("pull", ref)
        assert "Pull complete" in r.stderr_s
        # The download resumed where the killed one stopped (at least that far).
        assert any(off >= partial for off in proxy.ranges), (partial, proxy.ranges)
        blobs, layers, ingest, tmp, images = store(bimg)
        assert big["digest"] in blobs and img["_diff_ids"][1] in layers
        assert not ingest and not tmp and len(images) == 1
        f = Path(bimg.root) / "layers" / img["_diff_ids"][1][7:] / "diff" / "data" / "big"
        assert f.stat().st_size == 64 << 20
    finally:
        proxy.stop()


def test_resume_when_the_server_ignores_range(bimg, registry, tmp_path):
    img = big_image(registry, tmp_path, mib=32)
    big = img["_layers"][1]
    slow = ThrottleProxy(registry.port, rate=8 << 20)
    try:
        p = subprocess.Popen(bimg.argv("pull", f"{slow.host}/big:1"), stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        try:
            ing = Path(bimg.root) / "content" / "ingest" / big["digest"]
            wait_for(lambda: ing.exists() and ing.stat().st_size > (8 << 20), what="8 MiB")
            p.send_signal(signal.SIGKILL)
        finally:
            p.kill()
            p.wait()
    finally:
        slow.stop()
    # A server that answers a range request with the whole blob (200): start over, cleanly.
    norange = ThrottleProxy(registry.port, strip_range=True)
    try:
        r = bimg.run("pull", f"{norange.host}/big:1")
        assert any(off > 0 for off in norange.ranges)  # we asked for a range
        blobs, layers, ingest, tmp, images = store(bimg)
        assert big["digest"] in blobs and img["_diff_ids"][1] in layers
        assert not ingest and not tmp and len(images) == 1
        f = Path(bimg.root) / "layers" / img["_diff_ids"][1][7:] / "diff" / "data" / "big"
        assert f.stat().st_size == 32 << 20
    finally:
        norange.stop()


def test_push_large_layer_in_chunks_to_another_registry(bimg, registry, tmp_path):
    img = big_image(registry, tmp_path, mib=40)
    bimg.run("pull", f"{registry.host}/big:1")
    reg2 = start_registry(tmp_path / "reg2")
    try:
        dst = f"{reg2.host}/copy/big:7"
        bimg.run("tag", f"{registry.host}/big:1", dst)
        r = bimg.run("push", dst)
        # Nothing to mount from on this registry: every layer is uploaded.
        assert r.stdout_s.count(": Pushed") == 2, r.stdout_s
        d, body = registry_manifest(reg2.host, "copy/big", "7")
        assert d == img["digest"]  # the manifest pushed as it was pulled
        fresh = other_root(bimg, tmp_path, "fresh")
        fresh.run("pull", dst)
        f = Path(fresh.root) / "layers" / img["_diff_ids"][1][7:] / "diff" / "data" / "big"
        assert f.stat().st_size == 40 << 20
    finally:
        stop_registry(reg2)


def test_concurrent_pulls_share_one_download(bimg, registry, tmp_path):
    img = big_image(registry, tmp_path, mib=32)
    proxy = ThrottleProxy(registry.port, rate=32 << 20)
    try:
        ref = f"{proxy.host}/big:1"
        procs = [subprocess.Popen(bimg.argv("pull", ref), stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE) for _ in range(2)]
        outs = [p.communicate(timeout=300) for p in procs]
        for p, (o, e) in zip(procs, outs):
            assert p.returncode == 0, e.decode()
        total = sum(d["size"] for d in img["_layers"])
        # The second process waited for the first's ingest instead of downloading again.
        assert proxy.sent < total * 1.5, (proxy.sent, total)
        blobs, layers, ingest, tmp, images = store(bimg)
        assert set(img["_diff_ids"]) <= layers and not ingest and not tmp and len(images) == 1
    finally:
        proxy.stop()


def test_plain_progress_one_line_per_status(bimg, registry, tmp_path):
    """Without a terminal, one line per status change: no byte counts, no escape codes."""
    img = big_image(registry, tmp_path, mib=8)
    r = bimg.run("pull", f"{registry.host}/big:1")
    lines = r.stderr_s.splitlines()
    short = img["_layers"][1]["digest"][7:19]
    mine = [l for l in lines if l.startswith(short + ": ")]
    assert mine[0] == f"{short}: Pulling fs layer"
    assert mine[-1] == f"{short}: Pull complete"
    assert f"{short}: Download complete" in mine and f"{short}: Verifying Checksum" in mine
    assert len(mine) == len(set(mine))  # one line per status
    assert "\x1b[" not in r.stderr_s
