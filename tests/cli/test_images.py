"""Image verbs of `berth` against the docker CLI 28 on one berthd: images, tag, rmi, build,
history, save/load, import, image prune, search, and login/push/pull with a local registry.

IDs and "N seconds ago" are masked where the two runs differ by nature; headers, columns,
wording and exit codes are compared as they are.
"""

import json
import re
import subprocess

import pytest

from conftest import berth_path, start_registry
from daemon_conftest import stop_registry

AGO = re.compile(r"(Less than a second|About a minute|About an hour|\d+ \w+) ago")
HEX12 = re.compile(r"\b[0-9a-f]{12}\b")
SHA = re.compile(r"sha256:[0-9a-f]{64}")
LEGACY = {"DOCKER_BUILDKIT": "0"}


def mask(s):
    s = SHA.sub("sha256:ID", s)
    s = AGO.sub("AGO", s)
    return HEX12.sub("ID", s)


def table(out, ordered=False):
    """Header titles and the masked rows, sorted unless `ordered` (docker prints repos of one
    image in map order). Column widths follow the widest cell, and a CREATED time read a
    second apart ("Less than a second ago" / "2 seconds ago") changes them, so the header is
    compared by titles and each table is checked to be aligned under its own header."""
    lines = out.splitlines()
    cols = columns(lines[0])
    for line in lines[1:]:
        for a, b in zip(cols, cols[1:] + [None]):
            cell = line[a:b] + (" " if b is None else "")
            # A cell starts at its title and ends before the next one (or is empty).
            assert cell.strip() == "" or (cell[0] != " " and cell[-1] == " "), \
                f"row not aligned at {a}: {line!r}"
    rows = [re.sub(r" +", " ", mask(line)) for line in lines[1:]]
    return re.split(r" {2,}", lines[0]), rows if ordered else sorted(rows)


def columns(header):
    return [m.start() for m in re.finditer(r"(?<=  )\S|^\S", header)]


def docker_err(r):
    """docker's stderr without the legacy builder's deprecation notice."""
    return re.sub(r"DEPRECATED: The legacy builder.*?environment-variable\.\n\n?", "", r.err,
                  flags=re.S)


# --- images, tag, rmi ----------------------------------------------------------------------

def test_images_table_quiet_format_filters(shared_daemon):
    d = shared_daemon
    d.berth("tag", "busybox", "h5a:1")
    d.dockerc("tag", "busybox", "h5a/sub:2")
    try:
        b, k = d.both("images")
        assert (b.rc, b.err) == (k.rc, k.err) == (0, "")
        # Same columns; their widths follow the rows, whose CREATED text ("59 seconds ago",
        # "About a minute ago") can change between the two runs.
        assert re.split(r" {2,}", b.out.splitlines()[0]) == \
            re.split(r" {2,}", k.out.splitlines()[0])
        assert b.out.splitlines()[0].split() == ["REPOSITORY", "TAG", "IMAGE", "ID",
                                                  "CREATED", "SIZE"]
        assert table(b.out) == table(k.out)
        for args in (["images", "-q"], ["images", "-a", "-q"], ["images", "--no-trunc", "-q"],
                     ["images", "--format", "{{.Repository}}:{{.Tag}} {{.Size}}"],
                     ["images", "--format", "{{json .}}"],
                     ["images", "-f", "reference=h5a*"], ["images", "h5a"],
                     ["images", "-f", "dangling=true"], ["images", "--digests"],
                     ["images", "--format", "table {{.Repository}}\t{{.Tag}}"],
                     ["images", "-f", "label=nope=1", "-q"]):
            b, k = d.both(*args)
            assert (b.rc, b.err) == (k.rc, k.err), args
            assert b.out.count("\n") == k.out.count("\n"), (args, b.out, k.out)
            if "{{json .}}" in args:
                bj = sorted(json.dumps(json.loads(x), sort_keys=True) for x in b.out.splitlines())
                kj = sorted(json.dumps(json.loads(x), sort_keys=True) for x in k.out.splitlines())
                assert [mask(x) for x in bj] == [mask(x) for x in kj]
            elif args[-1] == "-q":
                assert sorted(b.out.split()) == sorted(k.out.split()), args
            else:
                if "--format" not in args or "table" in args[-1]:
                    # Same columns (widths follow CREATED, which can change in between).
                    assert [re.split(r" {2,}", h) for h in b.out.splitlines()[:1]] == \
                        [re.split(r" {2,}", h) for h in k.out.splitlines()[:1]], args
                # Padding follows the column widths (see above): compare the cells.
                assert sorted(re.sub(r" +", " ", mask(x)) for x in b.out.splitlines()) == \
                    sorted(re.sub(r" +", " ", mask(x)) for x in k.out.splitlines()), args
        b, k = d.both("images", "--no-trunc")
        assert SHA.search(b.out) and table(b.out) == table(k.out)
        b, k = d.both("images", "a", "b")
        assert b.rc == k.rc == 1
    finally:
        d.berth("rmi", "h5a:1", "h5a/sub:2")


def test_tag_and_rmi_output(shared_daemon):
    d = shared_daemon
    b, k = d.both("tag", "h5-nope", "x")
    assert (b.rc, b.out, b.err) == (k.rc, k.out, k.err)
    assert b.err == "Error response from daemon: No such image: h5-nope:latest\n" or \
        "No such image" in b.err
    assert d.berth("tag", "busybox", "h5t:1").out == ""
    assert d.dockerc("tag", "busybox", "h5t:2").out == ""
    b = d.berth("rmi", "h5t:1")
    k = d.dockerc("rmi", "h5t:2")
    assert b.out == "Untagged: h5t:1\n" and k.out == "Untagged: h5t:2\n"
    b, k = d.both("rmi", "h5-nope", "h5-nope2")
    assert (b.rc, b.out, b.err) == (k.rc, k.out, k.err) == (
        1, "", "Error response from daemon: No such image: h5-nope:latest\n"
               "Error response from daemon: No such image: h5-nope2:latest\n") or \
        (b.rc, b.out, b.err) == (k.rc, k.out, k.err)
    # An imported image is deleted with its digest printed.
    tar = d.tmp / "h5-one.tar"
    d.ns_run(["tar", "cf", str(tar), "-C", "/etc", "hostname"], check=True)
    d.berth("import", str(tar), "h5del:1")
    b = d.berth("rmi", "h5del:1")
    assert b.out.startswith("Untagged: h5del:1\nDeleted: sha256:")


# --- build -----------------------------------------------------------------------------------

def make_context(tmp):
    ctx = tmp / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text(
        "FROM busybox\nARG WHO=world\nCOPY . /ctx\n"
        "RUN test ! -e /ctx/secret.txt && test -e /ctx/keep.txt && echo hello $WHO > /hello\n"
        'CMD ["cat", "/hello"]\n')
    (ctx / ".dockerignore").write_text("# comment\nsecret.txt\n")
    (ctx / "secret.txt").write_text("do not send\n")
    (ctx / "keep.txt").write_text("sent\n")
    (ctx / "Stages.dockerfile").write_text(
        "FROM busybox AS first\nRUN echo first > /stage\n"
        "FROM busybox AS second\nRUN echo second > /stage\n")
    return ctx


def test_build_like_docker(shared_daemon, tmp_path):
    d = shared_daemon
    ctx = make_context(tmp_path)
    try:
        b = d.berth("build", "--no-cache", "-t", "h5build:b", "--build-arg", "WHO=berth", str(ctx))
        k = d.dockerc("build", "--no-cache", "-t", "h5build:d", "--build-arg", "WHO=berth", str(ctx),
                      env=LEGACY)
        assert b.err == "" and docker_err(k) == ""
        assert mask(b.out).replace("h5build:b", "T") == mask(k.out).replace("h5build:d", "T")
        assert b.out.startswith("Sending build context to Docker daemon ")
        assert "Step 4/5 : RUN test ! -e /ctx/secret.txt" in b.out
        assert re.search(r"^Successfully built [0-9a-f]{12}$", b.out, re.M)
        assert b.out.endswith("Successfully tagged h5build:b\n")
        assert d.berth("run", "--rm", "h5build:b").out == "hello berth\n"

        # -q: only the image ID; --target of a two-stage file given with -f.
        b = d.berth("build", "-q", "--target", "first", "-f",
                    str(ctx / "Stages.dockerfile"), "-t", "h5build:first", str(ctx))
        assert re.fullmatch(r"sha256:[0-9a-f]{64}\n", b.out), b.out
        assert d.berth("run", "--rm", "h5build:first", "cat", "/stage").out == "first\n"
        iid = tmp_path / "iid"
        b = d.berth("build", "-q", "-f", str(ctx / "Stages.dockerfile"), "--iidfile", str(iid),
                    "-t", "h5build:second", str(ctx))
        assert iid.read_text() == b.out.strip()
        assert d.berth("run", "--rm", "h5build:second", "cat", "/stage").out == "second\n"

        # A Dockerfile on stdin.
        b = d.berth("build", "-t", "h5build:stdin", "-",
                    input=b'FROM busybox\nCMD ["echo", "from stdin"]\n')
        assert "Successfully tagged h5build:stdin:latest" not in b.out
        assert d.berth("run", "--rm", "h5build:stdin").out == "from stdin\n"

        # Errors: a failing step (exit 1, docker's message), no Dockerfile.
        bad = tmp_path / "bad"
        bad.mkdir()
        (bad / "Dockerfile").write_text("FROM busybox\nRUN exit 3\n")
        b, k = d.both("build", str(bad), env=LEGACY)
        assert b.rc == k.rc != 0
        assert b.err == docker_err(k), (b, k)
        empty = tmp_path / "empty"
        empty.mkdir()
        b, k = d.both("build", str(empty), env=LEGACY)
        assert b.rc == k.rc == 1
        assert "Dockerfile" in b.err
        b, k = d.both("build", str(tmp_path / "nope"), env=LEGACY)
        assert b.rc == k.rc == 1
        assert b.err == docker_err(k)
    finally:
        for t in ("b", "d", "first", "second", "stdin"):
            d.berth("rmi", f"h5build:{t}", check=False)


def test_history_columns(shared_daemon, tmp_path):
    d = shared_daemon
    ctx = make_context(tmp_path)
    d.berth("build", "-q", "-t", "h5hist", str(ctx))
    try:
        for args in (["history", "h5hist"], ["history", "--no-trunc", "h5hist"],
                     ["history", "-H=false", "h5hist"], ["history", "-q", "h5hist"],
                     ["history", "--format", "{{.ID}}|{{.CreatedBy}}|{{.Size}}", "h5hist"]):
            b, k = d.both(*args)
            assert (b.rc, b.err) == (k.rc, k.err) == (0, ""), args
            bl, kl = b.out.splitlines(), k.out.splitlines()
            assert len(bl) == len(kl), args
            if args[1] in ("-q", "--format"):
                assert [mask(x) for x in bl] == [mask(x) for x in kl], args
            else:
                # Tables: the CREATED column's width depends on when each client read the
                # time ("Less than a second ago" / "2 seconds ago"), so each table is checked
                # aligned under its own header and the cells are compared in order.
                assert table(b.out, ordered=True) == table(k.out, ordered=True), args
        header = d.berth("history", "h5hist").out.splitlines()[0].split()
        assert header == ["IMAGE", "CREATED", "CREATED", "BY", "SIZE", "COMMENT"]
        b, k = d.both("history", "h5-nope")
        assert (b.rc, b.out, b.err) == (k.rc, k.out, k.err)
    finally:
        d.berth("rmi", "h5hist")


# --- save, load, import, prune, search ---------------------------------------------------------

def test_save_load_round_trip(shared_daemon, tmp_path):
    d = shared_daemon
    d.berth("tag", "busybox", "h5save:1")
    try:
        out = tmp_path / "img.tar"
        r = d.berth("save", "-o", str(out), "h5save:1")
        assert r.out == "" and out.stat().st_size > 100000
        piped = d.berth("save", "h5save:1")
        assert len(piped.out.encode(errors="surrogateescape")) > 100000
        d.berth("rmi", "h5save:1")
        b = d.berth("load", "-i", str(out))
        assert b.out == "Loaded image: h5save:1\n"
        assert d.berth("images", "-q", "h5save").out.strip()
        k = d.dockerc("load", "-q", "-i", str(out))
        b = d.berth("load", "-q", input=out.read_bytes())
        assert b.out == k.out == "Loaded image: h5save:1\n"
        b, k = d.both("save", "h5-nope")
        assert (b.rc, b.out, b.err) == (k.rc, k.out, k.err)
        b, k = d.both("load", "-i", str(tmp_path / "missing.tar"))
        assert b.rc == k.rc == 1
        # stdout on a terminal: refused, as docker does.
        r = subprocess.run(["script", "-qec", f"{berth_path()} save h5save:1", "/dev/null"],
                           capture_output=True, text=True, env=d.berth_env, timeout=60)
        assert r.returncode == 1
        assert "cowardly refusing to save to a terminal. Use the -o flag or redirect" in r.stdout
    finally:
        d.berth("rmi", "h5save:1", check=False)


def test_import(shared_daemon, tmp_path):
    d = shared_daemon
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "h5").write_text("imported\n")
    tar = tmp_path / "root.tar"
    d.ns_run(["tar", "cf", str(tar), "-C", str(root), "."], check=True)
    try:
        b = d.berth("import", "-m", "h5 message", "-c", 'CMD ["/bin/true"]', str(tar),
                    "h5imp:1")
        assert re.fullmatch(r"sha256:[0-9a-f]{64}\n", b.out)
        hist = d.berth("history", "--format", "{{.Comment}}", "h5imp:1").out
        assert hist == "h5 message\n"
        cfg = json.loads(d.berth("image", "inspect", "h5imp:1", check=False).out or "[{}]")
        if cfg and cfg[0].get("Config"):
            assert cfg[0]["Config"]["Cmd"] == ["/bin/true"]
        b = d.berth("import", "-", "h5imp:2", input=tar.read_bytes())
        assert re.fullmatch(r"sha256:[0-9a-f]{64}\n", b.out)
        b, k = d.both("import", "http://127.0.0.1:1/x.tar")
        assert (b.rc, b.out, b.err) == (k.rc, k.out, k.err)
        assert b.rc == 1
        b, k = d.both("import", str(tmp_path / "nope.tar"))
        assert b.rc == k.rc == 1
    finally:
        d.berth("rmi", "h5imp:1", "h5imp:2", check=False)


def test_image_prune(daemon, tmp_path):
    d = daemon
    ctx = tmp_path / "p"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text("FROM scratch\nLABEL h5=1\n")
    # No base image: build from scratch so the daemon needs nothing imported.
    d.berth("build", "-q", "-t", "h5prune:1", str(ctx))
    d.berth("build", "-q", "--no-cache", "--label", "x=y", "-t", "h5prune:1", str(ctx))
    b = d.berth("image", "prune", input=b"n\n")
    k = d.dockerc("image", "prune", input=b"n\n")
    assert b.out == k.out == ("WARNING! This will remove all dangling images.\n"
                              "Are you sure you want to continue? [y/N] ")
    b = d.berth("image", "prune", "-a", input=b"\n")
    assert b.out.startswith("WARNING! This will remove all images without at least one "
                            "container associated to them.\n")
    assert d.berth("images", "-q", "-f", "dangling=true").out.strip()
    b = d.berth("image", "prune", "-f")
    assert b.out.startswith("Deleted Images:\ndeleted: sha256:"), b.out
    assert re.search(r"\n\nTotal reclaimed space: \S+\n$", b.out)
    b, k = d.both("image", "prune", "-f")
    assert b.out == k.out == "Total reclaimed space: 0B\n"


def test_search_offline(shared_daemon):
    b, k = shared_daemon.both("search", "busybox")
    assert (b.rc, b.out, b.err) == (k.rc, k.out, k.err)
    assert b.rc == 1 and b.err.startswith("Error response from daemon: ")


# --- registry: login, push, pull ---------------------------------------------------------------

PLAIN_PUSH = re.compile(r"^The push refers to repository \[(\S+)\]\n(?:[0-9a-f]{12}: .*\n)+"
                        r"\S+: digest: sha256:[0-9a-f]{64} size: \d+\n$")


def test_push_pull_login(shared_daemon, tmp_path):
    d = shared_daemon
    reg = start_registry(d, tmp_path / "registry")
    ref = f"{reg.host}/h5/bb"
    try:
        d.berth("tag", "busybox", f"{ref}:v1")
        b = d.berth("push", f"{ref}:v1")
        assert PLAIN_PUSH.match(b.out), b.out
        assert "\x1b" not in b.out and "[=" not in b.out
        k = d.dockerc("push", f"{ref}:v1")
        assert mask(b.out).replace("Pushed", "X").replace("Layer already exists", "X") == \
            mask(k.out).replace("Pushed", "X").replace("Layer already exists", "X")
        assert d.berth("push", "-q", f"{ref}:v1").out == f"{ref}:v1\n"

        d.berth("rmi", f"{ref}:v1")
        b = d.berth("pull", f"{ref}:v1")
        assert b.out.splitlines()[0] == "v1: Pulling from h5/bb"
        assert re.search(r"^Digest: sha256:[0-9a-f]{64}$", b.out, re.M)
        assert f"Status: Downloaded newer image for {ref}:v1\n" in b.out
        assert b.out.endswith(f"\n{ref}:v1\n")
        assert "\x1b" not in b.out
        k = d.dockerc("pull", f"{ref}:v1")
        assert b.out.replace("Downloaded newer image", "S").replace("Image is up to date", "S") \
            == k.out.replace("Downloaded newer image", "S").replace("Image is up to date", "S")
        b, k = d.both("pull", "-q", f"{ref}:v1")
        assert b.out == k.out == f"{ref}:v1\n"

        b, k = d.both("pull", f"{ref.replace('bb', 'nope')}")
        assert (b.rc, b.out, b.err) == (k.rc, k.out, k.err)
        assert b.rc == 1 and b.out.startswith("Using default tag: latest\n")
        b, k = d.both("push", f"{reg.host}/h5/nope:v1")
        assert (b.rc, b.out, b.err) == (k.rc, k.out, k.err)

        # run and create pull an image that is missing, as docker does; --pull never does not.
        never = []
        for cli in (d.berth, d.dockerc):
            d.berth("rmi", f"{ref}:v1")
            r = cli("run", "--rm", f"{ref}:v1", "echo", "pulled-and-ran")
            assert r.err.startswith(f"Unable to find image '{ref}:v1' locally\n"), r.err
            assert r.out.endswith("pulled-and-ran\n") and "Downloaded newer image" in r.err
            d.berth("rmi", f"{ref}:v1")
            r = cli("create", "--pull", "never", f"{ref}:v1", check=False)
            assert r.rc != 0 and f"No such image: {ref}:v1" in r.err
            never.append((r.rc, r.out, r.err.replace("berth", "docker")))
            r = cli("create", "--name", "h5-pulled", f"{ref}:v1", "true")
            assert re.fullmatch(r"[0-9a-f]{64}\n", r.out) and "Downloaded newer image" in r.err
            d.berth("rm", "h5-pulled")
        assert never[0] == never[1]

        # login stores docker's format; logout removes it.
        b = d.berth("login", "-u", "h5", "--password-stdin", reg.host, input=b"secret\n")
        assert b.out == "Login Succeeded\n"
        assert "WARNING! Your credentials are stored unencrypted" in b.err
        home = d.berth_env["BERTH_CONFIG"]
        with open(f"{home}/config.json") as f:
            cfg = json.load(f)
        assert cfg["auths"][reg.host]["auth"] == "aDU6c2VjcmV0"
        assert d.berth("pull", "-q", f"{ref}:v1").out == f"{ref}:v1\n"
        b, k = d.both("logout", reg.host)
        assert b.out == k.out == f"Removing login credentials for {reg.host}\n"
        with open(f"{home}/config.json") as f:
            assert reg.host not in json.load(f).get("auths", {})
        b, k = d.both("login", "-p", "x", "--password-stdin", reg.host)
        assert (b.rc, b.out, b.err) == (k.rc, k.out, k.err)
        b, k = d.both("login", "--password-stdin", reg.host)
        assert (b.rc, b.out, b.err) == (k.rc, k.out, k.err)
        b, k = d.both("login", reg.host, input=b"")
        assert (b.rc, b.out, b.err) == (k.rc, k.out, k.err)
        b, k = d.both("logout")
        assert b.out == k.out == "Removing login credentials for https://index.docker.io/v1/\n"
    finally:
        d.berth("rmi", f"{ref}:v1", check=False)
        stop_registry(reg)


HTPASSWD_CFG = """auth:
  htpasswd:
    realm: h5
    path: {path}
"""


def test_login_htpasswd_registry(daemon, tmp_path, busybox_tar):
    d = daemon
    htp = tmp_path / "htpasswd"
    r = d.ns_run(["python3", "-c", "import crypt,sys;"
                  "print('h5:' + crypt.crypt('pw', crypt.mksalt(crypt.METHOD_BLOWFISH)))"],
                 capture_output=True, text=True)
    if r.returncode != 0 or not r.stdout.startswith("h5:$2"):
        pytest.fail(f"cannot make a bcrypt htpasswd: {r.stderr}")
    htp.write_text(r.stdout)
    reg = start_registry(d, tmp_path / "registry", HTPASSWD_CFG.format(path=htp))
    ref = f"{reg.host}/h5/auth:v1"
    try:
        d.dockerc("import", str(busybox_tar), ref)
        b, k = d.both("login", "-u", "h5", "--password-stdin", reg.host, input=b"wrong\n")
        assert b.rc == k.rc == 1 and b.err == k.err
        b = d.berth("push", ref, check=False)
        assert b.rc == 1
        b = d.berth("login", "-u", "h5", "--password-stdin", reg.host, input=b"pw\n")
        assert b.out == "Login Succeeded\n"
        b = d.berth("push", ref)
        assert PLAIN_PUSH.match(b.out), b.out
        d.berth("rmi", ref)
        b = d.berth("pull", ref)
        assert b.out.endswith(f"\n{ref}\n")
    finally:
        stop_registry(reg)
