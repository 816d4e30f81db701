"""End-to-end tests of `berth-image build` (docker's classic builder): multi-stage builds with
RUN in containers, the layer cache, .dockerignore, --target, scratch images, errors that name
the Dockerfile line. The base image is the busybox rootfs imported with `berth-image import`;
built images are checked by running them with `berth-image run`."""

import json
import os
import re
import shutil
from pathlib import Path

import pytest


def import_busybox(bimg, busybox_tar, ref="busybox:latest"):
    r = bimg.run("import", busybox_tar, ref)
    image_id = r.stdout_s.strip()
    assert image_id.startswith("sha256:"), r.stdout_s
    return image_id


@pytest.fixture
def b(bimg, busybox_tar):
    """bimg with busybox:latest imported; checks nothing is left mounted or running."""
    import_busybox(bimg, busybox_tar)
    yield bimg
    assert_clean(bimg)


def assert_clean(bimg):
    with open("/proc/self/mountinfo") as f:
        mounts = [l.split()[4] for l in f if bimg.root in l.split()[4]]
    assert mounts == [], f"left mounted: {mounts}"
    tmp = Path(bimg.root) / "image" / "buildcache" / "tmp"
    if tmp.is_dir():
        assert os.listdir(tmp) == [], "container dirs left behind"
    left = [n for n in os.listdir(bimg.runtime_root) if not n.startswith("@")]
    assert left == [], f"containers left in the runtime root: {left}"


def write_context(path, files):
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        p = path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content)
    return path


def build(bimg, ctx, *args, check=True):
    return bimg.run("build", *args, str(ctx), check=check)


def built_id(out):
    m = re.findall(r"^Successfully built ([0-9a-f]{12})$", out, re.M)
    assert len(m) == 1, out
    return m[0]


def steps(out):
    """[(step text, [lines until the next step])] of a build's output."""
    result = []
    for line in out.splitlines():
        m = re.match(r"^Step (\d+)/(\d+) : (.*)$", line)
        if m:
            result.append((m.group(3), []))
        elif result:
            result[-1][1].append(line)
    return result


def cached_steps(out):
    return [text for text, lines in steps(out) if " ---> Using cache" in lines]


def inspect(bimg, ref):
    return json.loads(bimg.run("inspect", ref).stdout)[0]


def image_config(bimg, ref):
    """The image's config blob (as stored: content/sha256/<image id hex>)."""
    image_id = inspect(bimg, ref)["Id"]
    blob = Path(bimg.root) / "content" / "sha256" / image_id.split(":")[1]
    return json.loads(blob.read_text())


MULTISTAGE = """\
FROM busybox AS builder
ARG GREETING=hello
ENV OUT=/out
WORKDIR /build
COPY src/ ./src/
RUN mkdir -p $OUT && cat src/a.txt src/b.txt > $OUT/all.txt \\
    && echo "$GREETING from $(id -un)" >> $OUT/all.txt

FROM busybox
ENV APP_HOME=/app MODE=prod
WORKDIR $APP_HOME
COPY --from=builder --chown=app:app /out/all.txt ./
USER app
CMD ["sh", "-c", "echo user=$(id -un) dir=$(pwd) mode=$MODE; cat all.txt; stat -c '%U:%G %a' all.txt"]
"""


def test_multistage_build_runs(b, tmp_path):
    ctx = write_context(tmp_path / "ctx", {
        "Dockerfile": MULTISTAGE, "src/a.txt": "line a\n", "src/b.txt": "line b\n"})
    r = build(b, ctx, "-t", "app:1")
    out = r.stdout_s
    assert [s for s, _ in steps(out)][0] == "FROM busybox AS builder"
    assert len(steps(out)) == 12 and "Step 12/12 : CMD" in out
    assert re.search(r"^ ---> Running in [0-9a-f]{12}$", out, re.M)
    assert re.search(r"^Removing intermediate container [0-9a-f]{12}$", out, re.M)
    assert "Successfully tagged app:1" in out
    image = built_id(out)
    assert inspect(b, "app:1")["Id"].startswith("sha256:" + image)

    run = b.run("run", "--rm", "app:1")
    assert run.stdout_s.splitlines() == [
        "user=app dir=/app mode=prod", "line a", "line b", "hello from root", "app:app 644"]

    cfg = image_config(b, "app:1")
    c = cfg["config"]
    assert c["User"] == "app" and c["WorkingDir"] == "/app"
    assert "APP_HOME=/app" in c["Env"] and "MODE=prod" in c["Env"]
    assert any(e.startswith("PATH=") for e in c["Env"])
    assert c["Cmd"][:2] == ["sh", "-c"]
    assert cfg["architecture"] == "amd64" and cfg["os"] == "linux" and cfg["created"]
    # History: docker's created_by forms, empty_layer on metadata steps, one diff per layer.
    hist = cfg["history"]
    by = [h.get("created_by", "") for h in hist]
    assert "/bin/sh -c #(nop)  ENV APP_HOME=/app MODE=prod" in by
    assert "/bin/sh -c #(nop) WORKDIR /app" in by
    assert "/bin/sh -c #(nop)  USER app" in by
    assert any(re.fullmatch(r'/bin/sh -c #\(nop\) COPY --from=builder --chown=app:app '
                            r'file:[0-9a-f]{64} in /app/ ', x) for x in by), by
    assert by[-1].startswith('/bin/sh -c #(nop)  CMD ["sh" "-c" "echo user=')
    layered = [h for h in hist if not h.get("empty_layer")]
    assert len(layered) == len(cfg["rootfs"]["diff_ids"])
    for h in hist:
        if "#(nop)  " in h.get("created_by", ""):
            assert h.get("empty_layer") is True, h


def test_run_step_user_groups_as_docker(b, tmp_path):
    """A RUN step's process has docker's supplementary groups: the primary gid first."""
    ctx = write_context(tmp_path / "ctx", {
        "Dockerfile": "FROM busybox\nUSER 1000:1000\nRUN id > /tmp/id\nCMD cat /tmp/id\n"})
    build(b, ctx, "-t", "groups:1")
    out = b.run("run", "--rm", "groups:1").stdout_s
    assert out == "uid=1000(app) gid=1000(app) groups=1000(app)\n", out


def test_second_build_hits_cache_for_every_step(b, tmp_path):
    ctx = write_context(tmp_path / "ctx", {
        "Dockerfile": MULTISTAGE, "src/a.txt": "a\n", "src/b.txt": "b\n"})
    first = build(b, ctx, "-t", "app:1").stdout_s
    assert cached_steps(first) == []
    second = build(b, ctx, "-t", "app:1").stdout_s
    non_from = [s for s, _ in steps(second) if not s.startswith("FROM")]
    assert len(non_from) == 10
    assert cached_steps(second) == non_from
    assert "Running in" not in second
    assert built_id(second) == built_id(first)
    # Every step's image ID is the same as in the first build.
    ids = lambda out: [l for l in out.splitlines() if re.match(r"^ ---> [0-9a-f]{12}$", l)]
    assert ids(second) == ids(first)
    # --no-cache builds everything again: a new image.
    third = build(b, ctx, "--no-cache", "-t", "app:2").stdout_s
    assert cached_steps(third) == []
    assert built_id(third) != built_id(first)
    assert b.run("run", "app:2").stdout_s == b.run("run", "app:1").stdout_s


def test_changed_file_rebuilds_from_that_step(b, tmp_path):
    dockerfile = """\
FROM busybox
ENV A=1
COPY one.txt /one.txt
RUN cat /one.txt > /derived1
COPY two.txt /two.txt
RUN cat /two.txt > /derived2
CMD ["cat", "/derived1", "/derived2"]
"""
    ctx = write_context(tmp_path / "ctx", {
        "Dockerfile": dockerfile, "one.txt": "one\n", "two.txt": "two\n"})
    first = build(b, ctx, "-t", "x").stdout_s
    assert b.run("run", "x").stdout_s == "one\ntwo\n"
    # Same content, new mtime: still cached (the key hashes content and mode, not times).
    os.utime(ctx / "two.txt", (1, 1))
    again = build(b, ctx, "-t", "x").stdout_s
    assert len(cached_steps(again)) == 6
    (ctx / "two.txt").write_text("TWO\n")
    changed = build(b, ctx, "-t", "x").stdout_s
    assert cached_steps(changed) == ["ENV A=1", "COPY one.txt /one.txt",
                                     "RUN cat /one.txt > /derived1"]
    rebuilt = [s for s, lines in steps(changed) if any(re.match(r"^ ---> [0-9a-f]{12}$", l)
                                                       for l in lines)
               and " ---> Using cache" not in lines and not s.startswith("FROM")]
    assert rebuilt == ["COPY two.txt /two.txt", "RUN cat /two.txt > /derived2",
                       'CMD ["cat", "/derived1", "/derived2"]']
    assert built_id(changed) != built_id(first)
    assert b.run("run", "x").stdout_s == "one\nTWO\n"
    # A mode change is a change too.
    os.chmod(ctx / "two.txt", 0o600)
    assert "COPY two.txt /two.txt" not in cached_steps(build(b, ctx).stdout_s)


@pytest.mark.parametrize("dockerfile,line,message", [
    ("FROM busybox\nRUN true\n\n# comment\nENV A=1\n\nRUNN echo\n", 7,
     "unknown instruction: RUNN"),
    ("FROM busybox\nRUN true\nFROM\n", 3, "FROM requires an image name"),
    ("FROM busybox\nCOPY --bogus=1 a b\n", 2, "unknown flag: bogus"),
    ("FROM busybox\nENV A=1 \\\n  B\n", 2, "can't find = in \"B\""),
    ("RUN true\nFROM busybox\n", 1, "no build stage in current context"),
    ("FROM busybox\nENV X=1\nRUN exit 3\n", 3,
     "The command '/bin/sh -c exit 3' returned a non-zero code: 3"),
    ("FROM busybox\nCOPY missing.txt /x\n", 2, "file not found in build context"),
    ("FROM busybox\nUSER nosuchuser\nRUN true\n", 3, "unable to find user nosuchuser"),
])
def test_errors_name_the_line(b, tmp_path, dockerfile, line, message):
    ctx = write_context(tmp_path / "ctx", {"Dockerfile": dockerfile})
    r = build(b, ctx, "-t", "broken", check=False)
    assert r.returncode != 0
    err = r.stderr_s.strip().splitlines()[-1]
    assert err.startswith(f"berth-image: Dockerfile:{line}: "), r.stderr_s
    assert message in err, r.stderr_s
    # ("bad" would be a hex prefix: it can match an image ID, as in docker)
    assert b.run("inspect", "broken", check=False).returncode != 0


def test_run_failure_output_and_cleanup(b, tmp_path):
    ctx = write_context(tmp_path / "ctx", {
        "Dockerfile": "FROM busybox\nRUN echo to-stdout; echo to-stderr >&2; exit 2\n"})
    r = build(b, ctx, check=False)
    assert r.returncode != 0
    assert "to-stdout\n" in r.stdout_s and "to-stderr\n" in r.stdout_s
    assert "returned a non-zero code: 2" in r.stderr_s


def test_dockerignore_excludes_files(b, tmp_path):
    ctx = write_context(tmp_path / "ctx", {
        "Dockerfile": "FROM busybox\nCOPY . /ctx/\nCMD [\"find\", \"/ctx\"]\n",
        ".dockerignore": "# secrets\nsecret.txt\n*.log\n!keep.log\nbuild/\n!build/out/\n"
                         "**/*.tmp\n",
        "secret.txt": "s", "a.log": "l", "keep.log": "k", "sub/b.log": "nested",
        "build/obj.o": "o", "build/out/bin": "b", "x/y/z.tmp": "t", "x/y/z.txt": "z",
        "app.txt": "app"})
    build(b, ctx, "-t", "ign")
    found = set(b.run("run", "ign").stdout_s.split())
    files = {p[len("/ctx/"):] for p in found if p.startswith("/ctx/")}
    assert {"app.txt", "keep.log", "sub/b.log", "build/out/bin", "x/y/z.txt", "Dockerfile",
            ".dockerignore"} <= files
    for excluded in ("secret.txt", "a.log", "build/obj.o", "x/y/z.tmp"):
        assert excluded not in files
    # An excluded file cannot be named either.
    write_context(ctx, {"Dockerfile": "FROM busybox\nCOPY secret.txt /\n"})
    r = build(b, ctx, check=False)
    assert "excluded by .dockerignore" in r.stderr_s


def test_target_stops_at_stage(b, tmp_path):
    dockerfile = """\
FROM busybox AS base
RUN echo base > /stage
FROM base AS test
RUN echo test >> /stage
FROM busybox AS final
RUN echo never > /stage
"""
    ctx = write_context(tmp_path / "ctx", {"Dockerfile": dockerfile})
    out = build(b, ctx, "--target", "test", "-t", "t").stdout_s
    assert [s for s, _ in steps(out)] == ["FROM busybox AS base", "RUN echo base > /stage",
                                          "FROM base AS test", "RUN echo test >> /stage"]
    assert "Step 4/4" in out
    assert b.run("run", "t", "cat", "/stage").stdout_s == "base\ntest\n"
    r = build(b, ctx, "--target", "nope", check=False)
    assert r.returncode != 0 and "failed to reach build target nope" in r.stderr_s


def test_scratch_base_with_copy(b, tmp_path):
    ctx = write_context(tmp_path / "ctx", {
        "Dockerfile": "FROM scratch\nCOPY busybox /bin/busybox\nCOPY hello.txt /\n"
                      "ENTRYPOINT [\"/bin/busybox\"]\nCMD [\"cat\", \"/hello.txt\"]\n",
        "hello.txt": "hello from scratch\n"})
    shutil.copy2("/bin/busybox", ctx / "busybox")
    out = build(b, ctx, "-t", "scratchy").stdout_s
    assert "Step 1/5 : FROM scratch\n ---> \n" in out
    cfg = image_config(b, "scratchy")
    assert len(cfg["rootfs"]["diff_ids"]) == 2
    assert b.run("run", "scratchy").stdout_s == "hello from scratch\n"
    # Only what was copied is in the layers: no mount points (proc, dev, ...) leaked in.
    layers = [sorted(os.listdir(Path(b.root) / "layers" / d.split(":")[1] / "diff"))
              for d in cfg["rootfs"]["diff_ids"]]
    assert layers == [["bin"], ["hello.txt"]]
    r = b.run("run", "--entrypoint", "/bin/busybox", "scratchy", "ls", "/bin")
    assert r.stdout_s.split() == ["busybox"]


def test_copy_add_forms(b, tmp_path):
    import tarfile
    ctx = write_context(tmp_path / "ctx", {
        "dir/a.txt": "a", "dir/sub/b.txt": "b", "f1.conf": "1", "f2.conf": "2", "other.txt": "o"})
    with tarfile.open(ctx / "arch.tar.gz", "w:gz") as t:
        t.add(ctx / "dir", arcname="top")
    for mode in ("xz", "bz2"):
        with tarfile.open(ctx / f"arch.tar.{mode}", f"w:{mode}") as t:
            t.add(ctx / "dir" / "a.txt", arcname=f"from-{mode}.txt")
    os.symlink("a.txt", ctx / "dir" / "link")
    os.chmod(ctx / "dir" / "a.txt", 0o640)
    (ctx / "Dockerfile").write_text("""\
FROM busybox
COPY dir /copied
COPY *.conf /confs/
COPY --chmod=0700 --chown=1000:1000 other.txt /opt/renamed.txt
COPY ["other.txt", "/spaced dir/"]
ADD arch.tar.gz /extracted/
ADD arch.tar.xz arch.tar.bz2 /extracted/
ADD other.txt /added/
WORKDIR /rel
COPY other.txt here.txt
""")
    build(b, ctx, "-t", "cp")
    script = ("cd /; find copied confs extracted added 'spaced dir' rel | sort; "
              "readlink copied/link; stat -c '%a %u:%g' copied/a.txt opt/renamed.txt; "
              "cat extracted/top/sub/b.txt; echo")
    out = b.run("run", "cp", "sh", "-c", script).stdout_s.splitlines()
    assert out == ["added", "added/other.txt", "confs", "confs/f1.conf", "confs/f2.conf",
                   "copied", "copied/a.txt", "copied/link", "copied/sub", "copied/sub/b.txt",
                   "extracted", "extracted/from-bz2.txt", "extracted/from-xz.txt",
                   "extracted/top", "extracted/top/a.txt", "extracted/top/sub",
                   "extracted/top/sub/b.txt", "rel", "rel/here.txt", "spaced dir",
                   "spaced dir/other.txt", "a.txt", "640 0:0", "700 1000:1000", "b"]
    write_context(ctx, {"Dockerfile": "FROM busybox\nCOPY f1.conf f2.conf /notadir\n"})
    r = build(b, ctx, check=False)
    assert "the destination must be a directory and end with a /" in r.stderr_s
    write_context(ctx, {"Dockerfile": "FROM busybox\nCOPY ../x /\n"})
    assert "outside the build context" in build(b, ctx, check=False).stderr_s


def test_args_onbuild_and_metadata(b, tmp_path):
    base = write_context(tmp_path / "base", {"Dockerfile": """\
ARG BASE=busybox
FROM ${BASE}
ARG BASE
ONBUILD RUN echo triggered > /onbuild.txt
LABEL stage=base from=$BASE
"""})
    build(b, base, "-t", "withtrigger")
    # An ARG redeclared without a value in the stage takes the value from before FROM.
    assert image_config(b, "withtrigger")["config"]["Labels"]["from"] == "busybox"
    assert image_config(b, "withtrigger")["config"]["OnBuild"] == [
        "RUN echo triggered > /onbuild.txt"]
    ctx = write_context(tmp_path / "ctx", {"Dockerfile": """\
FROM withtrigger
ARG V
ARG W=default
RUN echo "V=$V W=$W" > /args.txt
EXPOSE 80 53/udp
VOLUME /data
STOPSIGNAL SIGINT
HEALTHCHECK --interval=5s --timeout=2s --retries=4 CMD true
LABEL version="1.0" description="a test"
ENTRYPOINT ["cat"]
CMD ["/args.txt", "/onbuild.txt"]
"""})
    out = build(b, ctx, "--build-arg", "V=given", "--build-arg", "UNUSED=1",
                "--label", "extra=yes", "-t", "meta").stdout_s
    assert "# Executing 1 build trigger" in out
    assert "[Warning] One or more build-args [UNUSED] were not consumed" in out
    assert b.run("run", "meta").stdout_s == "V=given W=default\ntriggered\n"
    cfg = image_config(b, "meta")
    c = cfg["config"]
    assert c.get("OnBuild") in (None, [])
    assert set(c["ExposedPorts"]) == {"80/tcp", "53/udp"}
    assert c["Volumes"] == {"/data": {}}
    assert c["StopSignal"] == "SIGINT"
    assert c["Healthcheck"]["Test"] == ["CMD-SHELL", "true"]
    assert c["Healthcheck"]["Interval"] == 5_000_000_000
    assert c["Healthcheck"]["Timeout"] == 2_000_000_000
    assert c["Healthcheck"]["Retries"] == 4
    assert c["Labels"] == {"stage": "base", "from": "busybox", "version": "1.0",
                           "description": "a test", "extra": "yes"}
    assert c["Entrypoint"] == ["cat"]
    by = [h.get("created_by", "") for h in cfg["history"]]
    assert '|2 V=given W=default /bin/sh -c echo "V=$V W=$W" > /args.txt' in by
    # A different build arg value misses the cache for the RUN.
    again = build(b, ctx, "--build-arg", "V=other", "--label", "extra=yes").stdout_s
    assert 'RUN echo "V=$V W=$W" > /args.txt' not in cached_steps(again)


def test_quiet_prints_only_the_id(b, tmp_path):
    ctx = write_context(tmp_path / "ctx", {"Dockerfile": "FROM busybox\nRUN echo noisy\n"})
    r = build(b, ctx, "-q")
    assert re.fullmatch(r"sha256:[0-9a-f]{64}\n", r.stdout_s), r.stdout_s
    assert "noisy" not in r.stdout_s + r.stderr_s


def test_add_from_url(b, tmp_path):
    import socket
    import subprocess
    import sys
    www = tmp_path / "www"
    (www / "sub").mkdir(parents=True)
    (www / "sub" / "remote.txt").write_text("remote v1\n")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind",
                               "127.0.0.1", "--directory", str(www)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        from conftest import wait_port
        wait_port(port)
        url = f"http://127.0.0.1:{port}/sub/remote.txt"
        ctx = write_context(tmp_path / "ctx", {"Dockerfile": f"""\
FROM busybox
ADD {url} /r/
ADD {url} /named.txt
CMD ["sh", "-c", "stat -c '%a %u' /r/remote.txt /named.txt; cat /r/remote.txt"]
"""})
        build(b, ctx, "-t", "remote")
        assert b.run("run", "remote").stdout_s == "600 0\n600 0\nremote v1\n"
        assert len(cached_steps(build(b, ctx).stdout_s)) == 3
        (www / "sub" / "remote.txt").write_text("remote v2\n")
        assert cached_steps(build(b, ctx, "-t", "remote").stdout_s) == []
        assert b.run("run", "remote").stdout_s.endswith("remote v2\n")
        write_context(ctx, {"Dockerfile": f"FROM busybox\nADD {url}.missing /x\n"})
        r = build(b, ctx, check=False)
        assert r.returncode != 0 and "404" in r.stderr_s
        write_context(ctx, {"Dockerfile": f"FROM busybox\nCOPY {url} /x\n"})
        assert "source can't be a URL" in build(b, ctx, check=False).stderr_s
    finally:
        server.terminate()
        server.wait()


def test_copy_from_index_and_image_and_containerfile(b, tmp_path):
    # COPY --from an image that is no stage of this Dockerfile.
    base = write_context(tmp_path / "base", {
        "Dockerfile": "FROM busybox\nRUN echo from-image > /img.txt\n"})
    build(b, base, "-t", "source-image")
    ctx = write_context(tmp_path / "ctx", {"Containerfile": """\
FROM busybox
RUN echo from-stage-0 > /s0.txt
FROM busybox
COPY --from=0 /s0.txt /got/
COPY --from=source-image /img.txt /got/
CMD ["cat", "/got/s0.txt", "/got/img.txt"]
"""})
    build(b, ctx, "-t", "fromidx")  # no Dockerfile: Containerfile is used
    assert b.run("run", "fromidx").stdout_s == "from-stage-0\nfrom-image\n"
    # -f names a file anywhere (relative to the current directory, as docker's CLI).
    other = write_context(tmp_path / "elsewhere", {
        "Build.df": "FROM busybox\nCOPY --from=1 /x /\n"})
    r = build(b, ctx, "-f", str(other / "Build.df"), check=False)
    assert "Build.df:2: " in r.stderr_s and "current or future build stage" in r.stderr_s
    r = b.run("build", "-f", "-", str(ctx), input=b"FROM busybox\nRUN echo stdin-df\n")
    assert "\nstdin-df\n" in r.stdout_s
    r = build(b, ctx, "-f", str(tmp_path / "nope"), check=False)
    assert r.returncode != 0 and "Cannot locate specified Dockerfile" in r.stderr_s
