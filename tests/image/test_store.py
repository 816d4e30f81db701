"""The local image store through berth-image: listing, tagging, inspect, removal and GC.

Images come from `berth-image import` of a busybox rootfs tarball (no registry needed)."""

import json
import os
from pathlib import Path


def files_under(p):
    p = Path(p)
    return sorted(str(x.relative_to(p)) for x in p.rglob("*") if x.is_file()) if p.exists() else []


def blob_count(root):
    return len(list((Path(root) / "content" / "sha256").iterdir()))


def layer_dirs(root):
    return sorted(x.name for x in (Path(root) / "layers").iterdir()
                  if x.name not in ("empty",))


def test_import_list_tag_inspect(bimg, busybox_tar):
    r = bimg.run("import", busybox_tar, "bb:1")
    image_id = r.stdout_s.strip().splitlines()[-1]
    assert image_id.startswith("sha256:"), r.stdout_s
    bimg.run("tag", "bb:1", "localhost:5000/other/bb:2")
    out = bimg.run("images").stdout_s.splitlines()
    assert out[0].split()[:4] == ["REPOSITORY", "TAG", "IMAGE", "ID"]
    rows = [l.split() for l in out[1:]]
    assert ["bb", "1", image_id[7:19]] == rows[[r[0] for r in rows].index("bb")][:3]
    assert any(r[0] == "localhost:5000/other/bb" and r[1] == "2" for r in rows)
    ids = bimg.run("images", "-q").stdout_s.split()
    assert ids == [image_id[7:19]]  # one image, listed once
    info = json.loads(bimg.run("inspect", "bb:1").stdout_s)[0]
    assert info["Id"] == image_id
    assert sorted(info["RepoTags"]) == ["bb:1", "localhost:5000/other/bb:2"]
    assert info["Os"] == "linux" and info["Architecture"] == "amd64"
    assert len(info["RootFS"]["Layers"]) == 1
    assert info["Size"] > 500_000  # busybox itself
    # Lookups by short ID and full ID name the same image.
    assert json.loads(bimg.run("inspect", image_id[7:15]).stdout_s)[0]["Id"] == image_id
    bad = bimg.run("inspect", "nosuch:tag", check=False)
    assert bad.returncode == 1 and "No such image: nosuch:tag" in bad.stderr_s
    bad = bimg.run("tag", "bb:1", "Upper:Case", check=False)
    assert bad.returncode == 1 and "invalid reference format" in bad.stderr_s


def test_rmi_frees_blobs_and_layers(bimg, busybox_tar):
    before_blobs = blob_count(bimg.root) if (Path(bimg.root) / "content").exists() else 0
    image_id = bimg.run("import", busybox_tar, "bb:1").stdout_s.strip().splitlines()[-1]
    bimg.run("tag", "bb:1", "bb:2")
    assert len(layer_dirs(bimg.root)) == 1
    # Removing one tag untags only.
    out = bimg.run("rmi", "bb:1").stdout_s
    assert out.strip() == "Untagged: bb:1"
    assert blob_count(bimg.root) > before_blobs
    # By ID with one repository: untag all and delete.
    out = bimg.run("rmi", image_id[7:19]).stdout_s.splitlines()
    assert "Untagged: bb:2" in out and f"Deleted: {image_id}" in out
    assert blob_count(bimg.root) == 0
    assert layer_dirs(bimg.root) == []
    assert files_under(Path(bimg.root) / "content" / "ingest") == []
    assert bimg.run("images", "-q").stdout_s.strip() == ""
    bad = bimg.run("rmi", "bb:2", check=False)
    assert bad.returncode == 1 and "No such image" in bad.stderr_s


def test_rmi_two_repositories_needs_force(bimg, busybox_tar):
    image_id = bimg.run("import", busybox_tar, "a:1").stdout_s.strip().splitlines()[-1]
    bimg.run("tag", "a:1", "b:1")
    bad = bimg.run("rmi", image_id, check=False)
    assert bad.returncode == 1 and "must be forced" in bad.stderr_s
    bimg.run("rmi", "-f", image_id)
    assert bimg.run("images", "-q").stdout_s.strip() == ""


def test_shared_layer_kept_until_last_user(bimg, busybox_tar):
    # The same tarball imported twice with different configs: two images, one layer.
    a = bimg.run("import", "-c", "CMD [\"sh\"]", busybox_tar, "a:1").stdout_s.split()[-1]
    b = bimg.run("import", "-c", "ENV X=1", busybox_tar, "b:1").stdout_s.split()[-1]
    assert a != b
    assert len(layer_dirs(bimg.root)) == 1
    bimg.run("rmi", "a:1")
    assert len(layer_dirs(bimg.root)) == 1
    bimg.run("rmi", "b:1")
    assert layer_dirs(bimg.root) == []


def test_prune_dangling(bimg, busybox_tar):
    first = bimg.run("import", "-c", "ENV V=1", busybox_tar, "app:1").stdout_s.split()[-1]
    # Re-tagging app:1 onto another image leaves the first one dangling.
    second = bimg.run("import", "-c", "ENV V=2", busybox_tar, "app:1").stdout_s.split()[-1]
    assert first != second
    out = bimg.run("images").stdout_s
    assert "<none>" in out
    out = bimg.run("prune", "-f").stdout_s
    assert f"deleted: {first}" in out
    assert bimg.run("images", "-q", "--no-trunc").stdout_s.split() == [second]
    info = json.loads(bimg.run("inspect", "app:1").stdout_s)[0]
    assert "V=2" in info["Config"]["Env"]
