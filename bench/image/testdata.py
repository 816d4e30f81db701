"""Test data for the image benchmark: a busybox rootfs (tarball for import), the pull image as
an OCI layout (gzip layers of real host files, sampled for mixed compressibility), and the build
context with its Dockerfile."""

import gzip
import hashlib
import json
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

BUSYBOX = "/bin/busybox"
MiB = 1 << 20

# Sources of the pull image's layers (the first also holds the busybox userland). Files are
# sampled evenly over each tree (sorted walk), so every layer mixes that tree's file kinds.
LAYER_SOURCES = [
    ["/usr/bin"],
    ["/usr/lib/x86_64-linux-gnu"],
    ["/usr/lib/python3.11", "/usr/lib/python3"],
    ["/usr/share"],
    ["/usr/lib/jvm", "/usr/lib/gcc", "/usr/libexec"],
]
MAX_FILE = 8 * MiB

DOCKERFILE = """\
FROM bbase:1
ENV APP_HOME=/app APP_MODE=bench
WORKDIR /app
COPY src/ /app/src/
RUN mkdir -p /app/data && i=0 && \\
    while [ $i -lt 500 ]; do echo "record $i $APP_MODE" >> data/records.txt; i=$((i+1)); done
RUN cp -a /app/src /app/src.bak && \\
    find /app/src -type f | sort > /app/manifest.txt && wc -l /app/manifest.txt
COPY config.json /etc/app/config.json
RUN dd if=/dev/urandom of=/app/data/blob bs=1M count=8 2>/dev/null && \\
    sha256sum /app/data/blob > /app/data/blob.sha256
LABEL org.example.bench=image-build
CMD ["/bin/sh", "-c", "cat /app/manifest.txt"]
"""
CONTEXT_SOURCES = ["email", "json", "http", "logging", "xml", "asyncio"]  # /usr/lib/python3.11


# ---------------------------------------------------------------------------------------------
# Test data: busybox rootfs, the pull image as an OCI layout, the build context

def make_busybox_rootfs(dest):
    dest = Path(dest)
    for d in ("bin", "etc", "tmp", "root", "proc", "sys", "dev", "var/www"):
        (dest / d).mkdir(parents=True, exist_ok=True)
    shutil.copy2(BUSYBOX, dest / "bin" / "busybox")
    applets = subprocess.run([BUSYBOX, "--list"], capture_output=True, text=True,
                             check=True).stdout.split()
    for a in applets:
        if a != "busybox":
            os.symlink("busybox", dest / "bin" / a)
    (dest / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\n"
                                         "nobody:x:65534:65534:nobody:/:/bin/false\n")
    (dest / "etc" / "group").write_text("root:x:0:\nnogroup:x:65534:\n")
    os.chmod(dest / "tmp", 0o1777)
    return dest


def fixed_mtime(info):
    """The busybox tree is created at run time: a fixed mtime keeps its layer's digest stable."""
    info.mtime = 1700000000
    return info


def busybox_tarball(work):
    root = make_busybox_rootfs(Path(work) / "bbroot")
    out = Path(work) / "busybox.tar.gz"
    with tarfile.open(out, "w:gz", compresslevel=6) as t:
        for p in sorted(root.iterdir()):
            t.add(p, arcname=p.name, filter=fixed_mtime)
    return out


def tar_cost(size):
    return 512 + (size + 511) // 512 * 512  # header + padded data


def sample_files(sources, budget):
    """Files and symlinks of the trees (sorted walk) sampled at an even stride by count, so the
    sample keeps each tree's mix of file kinds, with the stride chosen so that the tar stream
    holds about `budget` bytes."""
    files = []
    for src in sources:
        if not os.path.isdir(src):
            continue
        for dirpath, dirnames, filenames in os.walk(src):
            dirnames.sort()
            for name in sorted(filenames):
                p = os.path.join(dirpath, name)
                try:
                    st = os.lstat(p)
                except OSError:
                    continue
                if os.path.islink(p):
                    files.append((p, tar_cost(0)))
                elif os.path.isfile(p) and st.st_size <= MAX_FILE:
                    files.append((p, tar_cost(st.st_size)))

    def pick(frac):
        return [files[i] for i in range(len(files)) if int((i + 1) * frac) > int(i * frac)]

    lo, hi = 0.0, 1.0
    for _ in range(30):  # bytes picked grow (nearly) monotonically with the fraction
        mid = (lo + hi) / 2
        if sum(c for _, c in pick(mid)) < budget:
            lo = mid
        else:
            hi = mid
    return [p for p, _ in pick(hi)]


class HashWriter:
    """A write-only stream that hashes and counts what passes through it."""

    def __init__(self, out):
        self.out, self.h, self.n = out, hashlib.sha256(), 0

    def write(self, b):
        self.h.update(b)
        self.n += len(b)
        return self.out.write(b)

    def flush(self):
        self.out.flush()


def write_layer(blobs, add_entries):
    """Writes one gzip tar layer blob; add_entries(tar) fills it. Returns descriptor info."""
    tmp = blobs / "layer.tmp"
    with open(tmp, "wb") as f:
        comp = HashWriter(f)
        with gzip.GzipFile(fileobj=comp, mode="wb", compresslevel=6, mtime=0) as gz:
            raw = HashWriter(gz)
            with tarfile.open(fileobj=raw, mode="w|", format=tarfile.PAX_FORMAT) as t:
                add_entries(t)
    digest = comp.h.hexdigest()
    os.rename(tmp, blobs / digest)
    return {"digest": f"sha256:{digest}", "size": comp.n, "diff_id": f"sha256:{raw.h.hexdigest()}",
            "raw": raw.n}


def add_host_files(t, paths, seen_dirs):
    for p in paths:
        rel = p.lstrip("/")
        parts = rel.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            d = "/".join(parts[:i])
            if d not in seen_dirs:
                seen_dirs.add(d)
                t.add("/" + d, arcname=d, recursive=False)
        t.add(p, arcname=rel, recursive=False)


def put_json(blobs, obj):
    data = json.dumps(obj, separators=(",", ":"), sort_keys=True).encode()
    digest = hashlib.sha256(data).hexdigest()
    (blobs / digest).write_bytes(data)
    return f"sha256:{digest}", len(data)


def make_oci_image(work, nlayers, layer_mb):
    """The pull image as an OCI layout in work/oci; returns (dir, info)."""
    layout = Path(work) / "oci"
    blobs = layout / "blobs" / "sha256"
    blobs.mkdir(parents=True)
    bb = make_busybox_rootfs(Path(work) / "pull-bb")
    layers = []
    created = "2026-01-01T00:00:00Z"
    for i in range(nlayers):
        sources = LAYER_SOURCES[i % len(LAYER_SOURCES)]
        budget = layer_mb * MiB
        if i == 0:
            budget -= os.path.getsize(BUSYBOX)
        paths = sample_files(sources, budget)

        def fill(t, i=i, paths=paths):
            seen = set()
            if i == 0:
                for p in sorted(bb.iterdir()):
                    t.add(p, arcname=p.name, filter=fixed_mtime)
            add_host_files(t, paths, seen)

        layers.append(write_layer(blobs, fill))
        layers[-1]["src"] = ",".join(sources)
    config = {
        "created": created, "architecture": "amd64", "os": "linux",
        "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                   "Cmd": ["/bin/sh"]},
        "rootfs": {"type": "layers", "diff_ids": [l["diff_id"] for l in layers]},
        "history": [{"created": created, "created_by": f"bench layer {i}: {l['src']}"}
                    for i, l in enumerate(layers)],
    }
    cdigest, csize = put_json(blobs, config)
    manifest = {
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cdigest,
                   "size": csize},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": l["digest"], "size": l["size"]} for l in layers],
    }
    mdigest, msize = put_json(blobs, manifest)
    (layout / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
    (layout / "index.json").write_text(json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "digest": mdigest, "size": msize,
                       "annotations": {"org.opencontainers.image.ref.name": "bench"}}]}))
    shutil.rmtree(bb)
    return layout, {"config": cdigest, "manifest": mdigest, "layers": layers}


def make_build_context(work):
    ctx = Path(work) / "build-ctx"
    (ctx / "src").mkdir(parents=True)
    for name in CONTEXT_SOURCES:
        src = Path("/usr/lib/python3.11") / name
        if src.is_dir():
            shutil.copytree(src, ctx / "src" / name, symlinks=True)
    (ctx / "config.json").write_text(json.dumps({"name": "bench", "workers": 4,
                                                 "paths": CONTEXT_SOURCES}, indent=2))
    (ctx / "Dockerfile").write_text(DOCKERFILE)
    n = sum(len(f) for _, _, f in os.walk(ctx / "src"))
    size = sum(p.stat().st_size for p in (ctx / "src").rglob("*") if p.is_file())
    return ctx, n, size


