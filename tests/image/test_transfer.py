"""End-to-end tests of import/export: berth-image import, save, load (docker archives, OCI
archives, OCI layout directories), checked against skopeo and podman as outside readers and
writers."""

import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

import pytest


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def inspect(bimg, name):
    return json.loads(bimg.run("inspect", name).stdout)[0]


def import_busybox(bimg, busybox_tar, ref, *changes):
    args = ["import"]
    for c in changes:
        args += ["-c", c]
    r = bimg.run(*args, busybox_tar, ref)
    image_id = r.stdout_s.strip()
    assert image_id.startswith("sha256:") and len(image_id) == 71, r.stdout_s
    return image_id


def tar_members(path):
    """name -> bytes of every regular file, name -> target of every symlink."""
    files, links = {}, {}
    with tarfile.open(path) as t:
        for m in t.getmembers():
            if m.isfile():
                files[m.name] = t.extractfile(m).read()
            elif m.issym():
                links[m.name] = m.linkname
    return files, links


def store_files(root):
    """Blobs, ingests and unpacked layers (64-hex dirs) left in a berth-image root."""
    out = []
    for sub in ("content/sha256", "content/ingest", "layers"):
        d = Path(root) / sub
        if d.is_dir():
            out += [f"{sub}/{n}" for n in os.listdir(d) if sub != "layers" or len(n) == 64]
    return out


def skopeo(*args, check=True):
    r = subprocess.run(["skopeo", "--insecure-policy", *args], capture_output=True, text=True,
                       timeout=300)
    if check and r.returncode != 0:
        raise AssertionError(f"skopeo {' '.join(args)} -> {r.returncode}\n{r.stderr}")
    return r


def make_oci_layout(dest, busybox_tar, ref_name, cmd):
    """An OCI image layout written by hand: the busybox rootfs as one gzip layer."""
    dest = Path(dest)
    blobs = dest / "blobs" / "sha256"
    blobs.mkdir(parents=True)

    def put(data):
        d = sha256(data)
        (blobs / d[7:]).write_bytes(data)
        return d

    layer = Path(busybox_tar).read_bytes()
    diff_id = sha256(gzip.decompress(layer))
    config = json.dumps({
        "architecture": "amd64", "os": "linux", "created": "2024-01-02T03:04:05Z",
        "config": {"Cmd": cmd, "Env": ["PATH=/bin"]},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        "history": [{"created": "2024-01-02T03:04:05Z", "created_by": "hand-made"}],
    }).encode()
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": put(config), "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": put(layer), "size": len(layer)}],
    }).encode()
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
             "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                            "digest": put(manifest), "size": len(manifest),
                            "annotations": {"org.opencontainers.image.ref.name": ref_name}}]}
    (dest / "index.json").write_text(json.dumps(index))
    (dest / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
    return sha256(config), diff_id


def can_run(bimg):
    r = bimg.run("run", "--help", check=False)
    return r.returncode == 0 and "not implemented" not in r.stderr_s


# --- import --------------------------------------------------------------------------------

def test_import_applies_changes_and_message(bimg, busybox_tar):
    image_id = import_busybox(bimg, busybox_tar, "imp:1",
                              'CMD ["/bin/sh", "-c", "echo $GREETING"]', "ENV GREETING=hello A=1",
                              "WORKDIR /srv", "EXPOSE 8080", "LABEL team=berth")
    info = inspect(bimg, "imp:1")
    assert info["Id"] == image_id
    cfg = info["Config"]
    assert cfg["Cmd"] == ["/bin/sh", "-c", "echo $GREETING"]
    assert "GREETING=hello" in cfg["Env"] and "A=1" in cfg["Env"]
    assert cfg["WorkingDir"] == "/srv"
    assert "8080/tcp" in cfg["ExposedPorts"]
    assert cfg["Labels"] == {"team": "berth"}
    assert info["Comment"] == "Imported from -"
    assert info["Architecture"] == "amd64" and info["Os"] == "linux"
    # The layer is the rootfs: its diffID is the digest of the decompressed tarball.
    diff_id = sha256(gzip.decompress(Path(busybox_tar).read_bytes()))
    assert info["RootFS"]["Layers"] == [diff_id]

    # A message, a shell-form CMD, and stdin as the source.
    r = bimg.run("import", "-m", "my rootfs", "-c", "CMD echo hi", "-", "imp:2",
                 input=Path(busybox_tar).read_bytes())
    info2 = inspect(bimg, "imp:2")
    assert info2["Id"] == r.stdout_s.strip()
    assert info2["Comment"] == "my rootfs"
    assert info2["Config"]["Cmd"] == ["/bin/sh", "-c", "echo hi"]
    assert info2["RootFS"]["Layers"] == [diff_id]


def test_import_rejects_bad_change_and_stores_nothing(bimg, busybox_tar):
    r = bimg.run("import", "-c", "RUN echo no", busybox_tar, "bad:1", check=False)
    assert r.returncode != 0
    assert "RUN is not a valid change command" in r.stderr_s
    r = bimg.run("inspect", "bad:1", check=False)
    assert r.returncode != 0
    assert not [f for f in store_files(bimg.root) if f.startswith("content/sha256")]


def test_import_plain_and_xz_tarballs(bimg, busybox_tar, tmp_path):
    plain = gzip.decompress(Path(busybox_tar).read_bytes())
    diff_id = sha256(plain)
    (tmp_path / "rootfs.tar").write_bytes(plain)
    bimg.run("import", str(tmp_path / "rootfs.tar"), "plain:1")
    assert inspect(bimg, "plain:1")["RootFS"]["Layers"] == [diff_id]
    import lzma
    (tmp_path / "rootfs.tar.xz").write_bytes(lzma.compress(plain))
    bimg.run("import", str(tmp_path / "rootfs.tar.xz"), "xz:1")
    assert inspect(bimg, "xz:1")["RootFS"]["Layers"] == [diff_id]


# --- save / load round trips ---------------------------------------------------------------

def test_save_rmi_load_roundtrip(bimg, busybox_tar, tmp_path):
    image_id = import_busybox(bimg, busybox_tar, "rt:1", "CMD [\"/bin/true\"]")
    bimg.run("tag", "rt:1", "rt:latest")
    out = tmp_path / "rt.tar"
    bimg.run("save", "-o", str(out), "rt")  # a bare name: every tag of the repository
    files, links = tar_members(out)

    # docker's manifest.json, pointing into the OCI layout's blobs.
    manifest = json.loads(files["manifest.json"])
    assert len(manifest) == 1
    item = manifest[0]
    assert sorted(item["RepoTags"]) == ["rt:1", "rt:latest"]
    config = files[item["Config"]]
    assert sha256(config) == image_id
    diff_ids = json.loads(config)["rootfs"]["diff_ids"]
    assert [sha256(files[p]) for p in item["Layers"]] == diff_ids
    # The OCI layout: one index entry per tag, named like docker 25 names them.
    assert json.loads(files["oci-layout"]) == {"imageLayoutVersion": "1.0.0"}
    index = json.loads(files["index.json"])
    names = sorted(m["annotations"]["io.containerd.image.name"] for m in index["manifests"])
    assert names == ["docker.io/library/rt:1", "docker.io/library/rt:latest"]
    for m in index["manifests"]:
        blob = files["blobs/sha256/" + m["digest"][7:]]
        assert sha256(blob) == m["digest"]
        oci = json.loads(blob)
        assert oci["config"]["digest"] == image_id
        assert [l["digest"] for l in oci["layers"]] == diff_ids
    # The legacy files: repositories -> top v1 layer dir whose layer.tar links to the blob.
    repos = json.loads(files["repositories"])
    top = repos["rt"]["1"]
    assert repos["rt"]["latest"] == top
    assert files[f"{top}/VERSION"] == b"1.0"
    assert links[f"{top}/layer.tar"] == "../blobs/sha256/" + diff_ids[-1][7:]

    bimg.run("rmi", "rt:1")
    bimg.run("rmi", "rt:latest")
    assert bimg.run("inspect", "rt:1", check=False).returncode != 0

    r = bimg.run("load", "-i", str(out))
    assert sorted(r.stdout_s.splitlines()) == ["Loaded image: rt:1", "Loaded image: rt:latest"]
    assert inspect(bimg, "rt:1")["Id"] == image_id
    assert inspect(bimg, "rt:latest")["Id"] == image_id
    assert inspect(bimg, "rt:1")["Config"]["Cmd"] == ["/bin/true"]

    # The same archive gzip-compressed, from stdin, into a fresh root.
    bimg2 = type(bimg)(str(tmp_path / "root2"), bimg.runtime_root)
    os.mkdir(bimg2.root)
    r = bimg2.run("load", "-q", input=gzip.compress(out.read_bytes(), 1))
    assert "Loaded image: rt:1" in r.stdout_s
    assert inspect(bimg2, "rt:latest")["Id"] == image_id

    if can_run(bimg2):
        r = bimg2.run("run", "--rm", "rt:1", "/bin/sh", "-c", "echo loaded-ok", check=False)
        assert r.returncode == 0, r.stderr_s
        assert "loaded-ok" in r.stdout_s


def test_save_two_images_sharing_a_layer(bimg, busybox_tar, tmp_path):
    id_a = import_busybox(bimg, busybox_tar, "share/a:1", "CMD [\"a\"]")
    id_b = import_busybox(bimg, busybox_tar, "share/b:1", "CMD [\"b\"]")
    assert id_a != id_b
    out = tmp_path / "two.tar"
    r = subprocess.run(bimg.argv("save", "share/a:1", id_b), capture_output=True, timeout=300)
    assert r.returncode == 0, r.stderr
    out.write_bytes(r.stdout)  # stdout when no -o
    files, _ = tar_members(out)
    manifest = json.loads(files["manifest.json"])
    assert len(manifest) == 2
    by_tags = {tuple(m["RepoTags"] or ()): m for m in manifest}
    assert set(by_tags) == {("share/a:1",), ()}  # an ID saves the image without its tags
    assert by_tags[("share/a:1",)]["Layers"] == by_tags[()]["Layers"]
    layer_blobs = [n for n in files if n.startswith("blobs/sha256/") and
                   n in by_tags[()]["Layers"]]
    assert len(layer_blobs) == 1  # written once

    bimg2 = type(bimg)(str(tmp_path / "root2"), bimg.runtime_root)
    os.mkdir(bimg2.root)
    r = bimg2.run("load", "-i", str(out))
    assert sorted(r.stdout_s.splitlines()) == sorted(
        ["Loaded image: share/a:1", f"Loaded image ID: {id_b}"])
    assert inspect(bimg2, "share/a:1")["Id"] == id_a
    assert inspect(bimg2, id_b)["Config"]["Cmd"] == ["b"]
    layers = [n for n in os.listdir(Path(bimg2.root) / "layers") if len(n) == 64]
    assert len(layers) == 1


def test_save_refuses_terminal_and_unknown_image(bimg, busybox_tar, tmp_path):
    import_busybox(bimg, busybox_tar, "term:1")
    import pty
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(bimg.exe, bimg.argv("save", "term:1"))
    output = b""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    assert os.waitstatus_to_exitcode(status) != 0
    assert b"cowardly refusing to save to a terminal" in output
    r = bimg.run("save", "-o", str(tmp_path / "x.tar"), "nosuch:1", check=False)
    assert r.returncode != 0
    assert not (tmp_path / "x.tar").exists()


# --- corrupt archives ----------------------------------------------------------------------

def rewrite_tar(src, dst, change):
    """Copies a tar, passing each regular file's bytes through change(name, data)."""
    with tarfile.open(src) as tin, tarfile.open(dst, "w") as tout:
        for m in tin.getmembers():
            data = tin.extractfile(m).read() if m.isfile() else None
            if data is not None:
                data = change(m.name, data)
                m.size = len(data)
            tout.addfile(m, io.BytesIO(data) if data is not None else None)


def corrupt_layer(data):
    """The same layer tar with one file's content changed (still a valid tar)."""
    out = io.BytesIO()
    with tarfile.open(fileobj=io.BytesIO(data)) as tin, tarfile.open(fileobj=out,
                                                                     mode="w") as tout:
        for m in tin.getmembers():
            f = tin.extractfile(m) if m.isfile() else None
            body = f.read() if f else None
            if m.name.endswith("etc/passwd"):
                body = body.replace(b"root", b"toor")
            tout.addfile(m, io.BytesIO(body) if body is not None else None)
    return out.getvalue()


def test_load_rejects_corrupt_layer_and_stores_nothing(bimg, busybox_tar, tmp_path):
    import_busybox(bimg, busybox_tar, "good:1")
    good = tmp_path / "good.tar"
    bimg.run("save", "-o", str(good), "good:1")
    files, _ = tar_members(good)
    item = json.loads(files["manifest.json"])[0]
    layer_path = item["Layers"][0]

    # 1. docker 25 layout: the layer's file name is its digest and the content differs.
    bad = tmp_path / "bad.tar"
    rewrite_tar(good, bad, lambda n, d: corrupt_layer(d) if n == layer_path else d)
    fresh = type(bimg)(str(tmp_path / "fresh"), bimg.runtime_root)
    os.mkdir(fresh.root)
    r = fresh.run("load", "-i", str(bad), check=False)
    assert r.returncode != 0
    assert "sha256" in r.stderr_s
    assert store_files(fresh.root) == []
    assert fresh.run("inspect", "good:1", check=False).returncode != 0

    # 2. legacy layout: <id>/layer.tar, checked against the config's diff_ids only.
    config = files[item["Config"]]
    cfg_hex = hashlib.sha256(config).hexdigest()
    legacy = tmp_path / "legacy-bad.tar"
    with tarfile.open(legacy, "w") as t:
        def add(name, data):
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            t.addfile(ti, io.BytesIO(data))
        add("abc/layer.tar", corrupt_layer(files[layer_path]))
        add(f"{cfg_hex}.json", config)
        add("manifest.json", json.dumps([{"Config": f"{cfg_hex}.json", "RepoTags": ["good:1"],
                                          "Layers": ["abc/layer.tar"]}]).encode())
    r = fresh.run("load", "-i", str(legacy), check=False)
    assert r.returncode != 0
    assert "diffID" in r.stderr_s
    assert store_files(fresh.root) == []
    assert fresh.run("inspect", "good:1", check=False).returncode != 0

    # The intact legacy form of the same archive loads.
    with tarfile.open(tmp_path / "legacy-good.tar", "w") as t:
        for name, data in (("abc/layer.tar", files[layer_path]), (f"{cfg_hex}.json", config),
                           ("manifest.json", json.dumps([{"Config": f"{cfg_hex}.json",
                                                          "RepoTags": ["good:1"],
                                                          "Layers": ["abc/layer.tar"]}]).encode())):
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            t.addfile(ti, io.BytesIO(data))
    r = fresh.run("load", "-i", str(tmp_path / "legacy-good.tar"))
    assert r.stdout_s.strip() == "Loaded image: good:1"
    assert inspect(fresh, "good:1")["Id"] == "sha256:" + cfg_hex


def test_load_rejects_garbage(bimg, tmp_path):
    r = bimg.run("load", input=b"this is not a tar archive at all" * 100, check=False)
    assert r.returncode != 0
    (tmp_path / "empty.tar").write_bytes(b"\0" * 1024)
    r = bimg.run("load", "-i", str(tmp_path / "empty.tar"), check=False)
    assert r.returncode != 0
    assert "manifest.json" in r.stderr_s


# --- interoperability with skopeo and podman ------------------------------------------------

def test_load_archives_written_by_skopeo(bimg, busybox_tar, tmp_path):
    layout = tmp_path / "layout"
    config_digest, diff_id = make_oci_layout(layout, busybox_tar, "1.0",
                                             ["/bin/sh", "-c", "echo from-oci"])
    docker_tar = tmp_path / "docker.tar"
    oci_tar = tmp_path / "oci.tar"
    skopeo("copy", f"oci:{layout}:1.0", f"docker-archive:{docker_tar}:skopeo/docker:1.0")
    skopeo("copy", f"oci:{layout}:1.0", f"oci-archive:{oci_tar}:skopeo/oci:2.0")

    r = bimg.run("load", "-i", str(docker_tar))
    assert r.stdout_s.strip() == "Loaded image: skopeo/docker:1.0"
    info = inspect(bimg, "skopeo/docker:1.0")
    assert info["Id"] == config_digest
    assert info["RootFS"]["Layers"] == [diff_id]

    r = bimg.run("load", "-i", str(oci_tar))
    assert r.stdout_s.strip() == "Loaded image: skopeo/oci:2.0"
    assert inspect(bimg, "skopeo/oci:2.0")["Id"] == config_digest
    assert inspect(bimg, "skopeo/oci:2.0")["Config"]["Cmd"] == ["/bin/sh", "-c", "echo from-oci"]

    # Its layer is stored gzip-compressed: save writes it decompressed, as its diffID.
    resaved = tmp_path / "resaved.tar"
    bimg.run("save", "-o", str(resaved), "skopeo/oci:2.0")
    files, _ = tar_members(resaved)
    [item] = json.loads(files["manifest.json"])
    assert sha256(files[item["Config"]]) == config_digest
    assert [sha256(files[p]) for p in item["Layers"]] == [diff_id]

    # The OCI layout directory itself.
    r = bimg.run("load", "-i", str(layout), "-t", "fromdir:3")
    assert r.stdout_s.strip() == "Loaded image: fromdir:3"
    assert inspect(bimg, "fromdir:3")["Id"] == config_digest

    if can_run(bimg):
        r = bimg.run("run", "--rm", "skopeo/oci:2.0", check=False)
        assert r.returncode == 0, r.stderr_s
        assert "from-oci" in r.stdout_s


def test_save_is_readable_by_skopeo(bimg, busybox_tar, tmp_path):
    image_id = import_busybox(bimg, busybox_tar, "sk:1", "CMD [\"/bin/true\"]")
    out = tmp_path / "sk.tar"
    bimg.run("save", "-o", str(out), "sk:1")
    r = skopeo("inspect", "--raw", "--config", f"docker-archive:{out}")
    assert sha256(r.stdout.encode()) == image_id
    assert json.loads(r.stdout)["config"]["Cmd"] == ["/bin/true"]
    r = skopeo("inspect", f"docker-archive:{out}")
    assert json.loads(r.stdout)["Digest"].startswith("sha256:")
    # skopeo reads the OCI half of the same file too.
    r = skopeo("inspect", "--config", f"oci-archive:{out}:1")
    assert json.loads(r.stdout)["config"]["Cmd"] == ["/bin/true"]

    def copied_config(name):
        index = json.loads((tmp_path / name / "index.json").read_text())
        mdigest = index["manifests"][0]["digest"]
        m = json.loads((tmp_path / name / "blobs" / "sha256" / mdigest[7:]).read_text())
        return m["config"]["digest"], json.loads(
            (tmp_path / name / "blobs" / "sha256" / m["config"]["digest"][7:]).read_text())

    # From the docker half skopeo converts the config to OCI itself (it re-marshals it, so the
    # ID changes); the content must survive.
    skopeo("copy", f"docker-archive:{out}", f"oci:{tmp_path / 'from-docker'}:x")
    _, cfg = copied_config("from-docker")
    original = json.loads(bimg.run("inspect", "sk:1").stdout)[0]
    assert cfg["rootfs"]["diff_ids"] == original["RootFS"]["Layers"]
    assert cfg["config"]["Cmd"] == ["/bin/true"]
    # From the OCI half the image is copied as it is: same config bytes, same ID.
    skopeo("copy", f"oci-archive:{out}:1", f"oci:{tmp_path / 'from-oci'}:x")
    digest, _ = copied_config("from-oci")
    assert digest == image_id


def test_save_oci_dir_and_load_it_back(bimg, busybox_tar, tmp_path):
    image_id = import_busybox(bimg, busybox_tar, "ocidir:1.5", "CMD [\"/bin/true\"]")
    out = tmp_path / "layout"
    bimg.run("save", "--format", "oci-dir", "-o", str(out), "ocidir:1.5")
    index = json.loads((out / "index.json").read_text())
    [entry] = index["manifests"]
    assert entry["annotations"]["org.opencontainers.image.ref.name"] == "1.5"
    assert entry["annotations"]["io.containerd.image.name"] == "docker.io/library/ocidir:1.5"
    for f in (out / "blobs" / "sha256").iterdir():
        assert sha256(f.read_bytes()) == "sha256:" + f.name
    r = skopeo("inspect", "--raw", "--config", f"oci:{out}:1.5")
    assert sha256(r.stdout.encode()) == image_id
    skopeo("copy", f"oci:{out}:1.5", f"docker-archive:{tmp_path / 'via-skopeo.tar'}:back:1")

    fresh = type(bimg)(str(tmp_path / "fresh"), bimg.runtime_root)
    os.mkdir(fresh.root)
    r = fresh.run("load", "-i", str(out))
    assert r.stdout_s.strip() == f"Loaded image ID: {image_id}"
    assert inspect(fresh, "ocidir:1.5")["Id"] == image_id  # named by its annotation
    r = fresh.run("load", "-i", str(tmp_path / "via-skopeo.tar"))
    assert r.stdout_s.strip() == "Loaded image: back:1"
    assert inspect(fresh, "back:1")["Id"] == image_id


@pytest.fixture
def podman(tmp_path):
    if not shutil.which("podman"):
        pytest.fail("podman is not installed (apt-get install podman)")
    # Short: podman refuses a runroot longer than 50 characters.
    base = Path(tempfile.mkdtemp(prefix="bpod-", dir="/tmp"))
    argv = ["podman", "--root", str(base / "root"), "--runroot", str(base / "run"),
            "--storage-driver", "vfs", "--cgroup-manager", "cgroupfs", "--events-backend",
            "file", "--tmpdir", str(base / "tmp")]

    def run(*args, check=True):
        r = subprocess.run(argv + list(args), capture_output=True, text=True, timeout=300)
        if check and r.returncode != 0:
            raise AssertionError(f"podman {' '.join(args)} -> {r.returncode}\n{r.stderr}")
        return r
    yield run
    run("rmi", "-a", "-f", check=False)
    shutil.rmtree(base, ignore_errors=True)


def test_save_is_loadable_by_podman(bimg, busybox_tar, tmp_path, podman):
    image_id = import_busybox(bimg, busybox_tar, "pod/test:1", "CMD [\"/bin/true\"]")
    out = tmp_path / "pod.tar"
    bimg.run("save", "-o", str(out), "pod/test:1")
    r = podman("load", "-i", str(out))
    assert "pod/test:1" in r.stdout
    r = podman("images", "--no-trunc", "--format", "{{.ID}} {{.Repository}}:{{.Tag}}")
    ids = {line.split()[1]: line.split()[0] for line in r.stdout.splitlines()}
    assert ids.get("docker.io/pod/test:1", ids.get("localhost/pod/test:1")) in (
        image_id, image_id[7:]), r.stdout

    # And the other way: podman's save loads here with the same ID.
    back = tmp_path / "podman-save.tar"
    podman("save", "-o", str(back), "pod/test:1")
    fresh = type(bimg)(str(tmp_path / "fresh"), bimg.runtime_root)
    os.mkdir(fresh.root)
    r = fresh.run("load", "-i", str(back))
    assert "Loaded image: pod/test:1" in r.stdout_s
    assert inspect(fresh, "pod/test:1")["Id"] == image_id
