"""Pull, push and login through berthd against Debian's docker-registry in the daemon's netns."""

import json
import subprocess
import time

from conftest import import_busybox, start_registry, stop_registry


def test_push_pull(daemon, busybox_tar, registry):
    iid = import_busybox(daemon, busybox_tar, "busybox:latest")
    ref = f"{registry.host}/test/bb:1"
    daemon.docker("tag", "busybox", ref)
    r = daemon.docker("push", ref)
    assert "Pushed" in r.out or "Layer already exists" in r.out
    assert "digest: sha256:" in r.out
    daemon.docker("rmi", ref, "busybox")
    assert daemon.docker("images", "-q").out.strip() == ""
    r = daemon.docker("pull", ref)
    assert "Pull complete" in r.out or "Already exists" in r.out
    assert f"Status: Downloaded newer image for {ref}" in r.out
    info = json.loads(daemon.docker("image", "inspect", ref).out)[0]
    assert info["Id"] == iid
    assert any(d.startswith(f"{registry.host}/test/bb@sha256:") for d in info["RepoDigests"])
    r = daemon.docker("pull", ref)
    assert "Image is up to date" in r.out
    r = daemon.docker("pull", f"{registry.host}/test/nosuch:1", check=False)
    assert r.returncode != 0
    ev = daemon.docker("events", "--since", "0", "--until", str(int(time.time()) + 1), "--filter",
                       "type=image", "--format", "{{.Action}} {{.Actor.ID}}").out
    assert f"push {ref}" in ev and f"pull {ref}" in ev


def test_login_basic_auth(daemon, busybox_tar, tmp_path):
    htp = subprocess.run(["htpasswd", "-Bbn", "bob", "builder"], capture_output=True, text=True,
                         check=True).stdout
    pw = tmp_path / "htpasswd"
    pw.write_text(htp)
    reg = start_registry(daemon, tmp_path / "breg",
                         f"auth:\n  htpasswd:\n    realm: basic-realm\n    path: {pw}\n")
    try:
        r = daemon.docker("login", "-u", "bob", "--password-stdin", reg.host, check=False,
                          input=b"wrong\n")
        assert r.returncode != 0, r.out
        r = daemon.docker("login", "-u", "bob", "--password-stdin", reg.host, input=b"builder\n")
        assert "Login Succeeded" in r.out
        import_busybox(daemon, busybox_tar, "busybox:latest")
        ref = f"{reg.host}/private/bb:1"
        daemon.docker("tag", "busybox", ref)
        daemon.docker("push", ref)
        daemon.docker("rmi", ref)
        daemon.docker("pull", ref)
    finally:
        stop_registry(reg)
