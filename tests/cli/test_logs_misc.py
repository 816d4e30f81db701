"""berth logs, top, port, diff, wait, cp, export, commit, events, stats against the docker
CLI on one berthd."""

import io
import json
import os
import re
import subprocess
import tarfile
import threading
import time

import pytest

from conftest import berth_path, dc

DOCKER = dc.DOCKER


def same(d, *args, input=None):
    b, k = d.both(*args, input=input)
    assert (b.rc, b.out, b.err) == (k.rc, k.out, k.err), f"berth: {b!r}\ndocker: {k!r}"
    return b


@pytest.fixture(scope="module")
def ctrs(shared_daemon):
    d = shared_daemon
    d.dockerc("run", "-d", "--name", "h4-log", "busybox", "sh", "-c",
              "for i in 1 2 3 4 5; do echo out$i; echo err$i >&2; done; sleep 3600")
    d.dockerc("run", "-d", "-t", "--name", "h4-tty", "busybox", "sh", "-c",
              "echo ttyout; echo ttyerr >&2; sleep 3600")
    d.dockerc("run", "-d", "--name", "h4-web", "-p", "8080:80", "-p", "8443:443",
              "busybox", "sleep", "3600")
    time.sleep(1)
    yield d
    d.dockerc("rm", "-f", "h4-log", "h4-tty", "h4-web", check=False)


@pytest.mark.parametrize("args", [
    ["logs", "h4-log"],
    ["logs", "--tail", "2", "h4-log"],
    ["logs", "-n", "0", "h4-log"],
    ["logs", "-t", "h4-log"],
    ["logs", "--since", "1h", "h4-log"],
    ["logs", "--until", "1h", "h4-log"],
    ["logs", "--details", "h4-log"],
    ["logs", "h4-tty"],
    ["logs", "nope"],
])
def test_logs_matches_docker(ctrs, args):
    same(ctrs, *args)


def test_logs_streams_apart(ctrs):
    r = ctrs.berth("logs", "h4-log")
    assert r.out == "".join(f"out{i}\n" for i in range(1, 6))
    assert r.err == "".join(f"err{i}\n" for i in range(1, 6))


def test_logs_follow(shared_daemon):
    d = shared_daemon
    d.dockerc("run", "-d", "--name", "h4-follow", "busybox", "sh", "-c",
              "echo one; sleep 2; echo two; sleep 1")
    try:
        r = d.berth("logs", "-f", "h4-follow", timeout=60)
        assert r.out == "one\ntwo\n"
    finally:
        d.dockerc("rm", "-f", "h4-follow", check=False)


@pytest.mark.parametrize("args", [
    ["top", "h4-log"],
    ["top", "h4-log", "-o", "pid,comm"],
    ["top", "nope"],
    ["port", "h4-web"],
    ["port", "h4-web", "80"],
    ["port", "h4-web", "443/tcp"],
    ["port", "h4-web", "81"],
    ["port", "h4-web", "abc"],
    ["port", "h4-log"],
    ["diff", "h4-log"],
    ["diff", "nope"],
])
def test_misc_matches_docker(ctrs, args):
    same(ctrs, *args)


def test_wait(shared_daemon):
    d = shared_daemon
    d.dockerc("run", "--name", "h4-w1", "busybox", "sh", "-c", "exit 7", check=False)
    d.dockerc("run", "--name", "h4-w2", "busybox", "true")
    try:
        same(d, "wait", "h4-w1", "h4-w2")
        same(d, "wait", "h4-w1", "nope")
    finally:
        d.dockerc("rm", "-f", "h4-w1", "h4-w2", check=False)


def tree(root):
    out = []
    for dirpath, dirs, files in os.walk(root):
        for n in dirs + files:
            p = os.path.join(dirpath, n)
            rel = os.path.relpath(p, root)
            out.append((rel, os.path.isdir(p), None if os.path.isdir(p) else open(p, "rb").read()))
    return sorted(out)


@pytest.mark.parametrize("src,dst", [
    ("/etc/passwd", "new"),
    ("/etc/passwd", "exist"),
    ("/etc/passwd", "existf"),
    ("/etc/passwd", "nodir/"),
    ("/etc", "newdir"),
    ("/etc", "exist"),
    ("/etc/.", "exist"),
    ("/etc/.", "newdir"),
    ("/etc/", "existf"),
    ("/nope", "x"),
])
def test_cp_from_container(ctrs, tmp_path, src, dst):
    results = []
    for cli in (ctrs.berth, ctrs.dockerc):
        root = tmp_path / cli.__name__
        (root / "exist").mkdir(parents=True)
        (root / "existf").write_text("x\n")
        r = cli("cp", f"h4-log:{src}", str(root / dst), check=False)
        results.append((r.rc, r.out, r.err.replace(str(root), "ROOT"), tree(root)))
    assert results[0] == results[1]


def test_cp_to_stdout_tar(ctrs):
    def names(argv, env):
        p = subprocess.run(argv, capture_output=True, env=env)
        assert p.returncode == 0, p.stderr
        return sorted(tarfile.open(fileobj=io.BytesIO(p.stdout)).getnames())

    b = names([os.environ.get("BERTH") or "berth", "cp", "h4-log:/etc", "-"], ctrs.berth_env)
    k = names(["/usr/local/bin/docker", "cp", "h4-log:/etc", "-"], ctrs.env)
    assert b == k and "etc/passwd" in b


def container_tree(d, path):
    return d.dockerc("exec", "h4-log", "sh", "-c",
                     f"find {path} | sort; cat $(find {path} -type f | sort)", check=False).out


@pytest.mark.parametrize("src,dst", [
    ("f", "/h4t/new"),
    ("f", "/h4t/exist"),
    ("f", "/h4t/existf"),
    ("f", "/h4t/nodir/"),
    ("d", "/h4t/newd"),
    ("d", "/h4t/exist"),
    ("d/.", "/h4t/exist"),
    ("d/.", "/h4t/newd"),
    ("d", "/h4t/existf"),
    ("nope", "/h4t/exist"),
])
def test_cp_to_container(ctrs, tmp_path, src, dst):
    (tmp_path / "d" / "sub").mkdir(parents=True)
    (tmp_path / "d" / "a").write_text("a\n")
    (tmp_path / "d" / "sub" / "b").write_text("b\n")
    (tmp_path / "f").write_text("hello\n")
    results = []
    for cli in (ctrs.berth, ctrs.dockerc):
        ctrs.dockerc("exec", "h4-log", "sh", "-c",
                     "rm -rf /h4t; mkdir -p /h4t/exist; echo x > /h4t/existf")
        r = cli("cp", str(tmp_path / src), f"h4-log:{dst}", check=False)
        # docker may log its tar goroutine's "closed pipe" race (time="..." level=error).
        err = "".join(l for l in r.err.splitlines(True) if not l.startswith("time="))
        results.append((r.rc, r.out, err, container_tree(ctrs, "/h4t")))
    assert results[0] == results[1]


def test_cp_tar_from_stdin(ctrs, tmp_path):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        data = b"from stdin\n"
        info = tarfile.TarInfo("in/file.txt")
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
    results = []
    for cli in (ctrs.berth, ctrs.dockerc):
        ctrs.dockerc("exec", "h4-log", "sh", "-c",
                     "rm -rf /h4t; mkdir -p /h4t/exist; echo x > /h4t/existf")
        r1 = cli("cp", "-", "h4-log:/h4t/exist", input=buf.getvalue(), check=False)
        r2 = cli("cp", "-", "h4-log:/h4t/existf", input=buf.getvalue(), check=False)
        results.append((r1.rc, r1.err, r2.rc, r2.err, container_tree(ctrs, "/h4t")))
    assert results[0] == results[1]
    assert "from stdin" in results[0][4]


def test_export(ctrs, tmp_path):
    b = subprocess.run([os.environ.get("BERTH") or "berth", "export", "h4-log"],
                       capture_output=True, env=ctrs.berth_env)
    k = subprocess.run(["/usr/local/bin/docker", "export", "h4-log"], capture_output=True,
                       env=ctrs.env)
    assert b.returncode == k.returncode == 0
    names = lambda raw: sorted(tarfile.open(fileobj=io.BytesIO(raw)).getnames())
    assert names(b.stdout) == names(k.stdout)
    assert "bin/busybox" in names(b.stdout)
    out = tmp_path / "x.tar"
    ctrs.berth("export", "-o", str(out), "h4-log")
    assert names(out.read_bytes()) == names(k.stdout)
    same(ctrs, "export", "-o", "/nonexistent-dir/x.tar", "h4-log")
    same(ctrs, "export", "nope")


def test_commit_then_run(ctrs):
    ctrs.dockerc("exec", "h4-log", "sh", "-c", "echo committed > /marker")
    r = ctrs.berth("commit", "-c", "ENV FOO=bar", "-a", "me", "h4-log", "h4-img:v1")
    assert r.out.startswith("sha256:")
    try:
        run = ctrs.dockerc("run", "--rm", "h4-img:v1", "sh", "-c", "cat /marker; echo $FOO")
        assert run.out == "committed\nbar\n"
        assert ctrs.dockerc("inspect", "-f", "{{.Author}}", "h4-img:v1").out == "me\n"
        assert ctrs.dockerc("inspect", "-f", "{{.Id}}", "h4-img:v1").out.strip() == r.out.strip()
    finally:
        ctrs.dockerc("rmi", "h4-img:v1", check=False)
    same(ctrs, "commit", "h4-log", "Bad/Name")
    same(ctrs, "commit", "nope")


def test_events(shared_daemon):
    d = shared_daemon
    start = int(time.time()) - 1
    d.dockerc("run", "--name", "h4-ev", "busybox", "true")
    d.dockerc("rm", "h4-ev")
    end = int(time.time()) + 1
    base = ["events", "--since", str(start), "--until", str(end)]
    r = same(d, *base, "--filter", "container=h4-ev")
    actions = [line.split()[2] for line in r.out.splitlines()]
    assert actions[:2] == ["create", "start"] and "destroy" in actions
    same(d, *base, "--filter", "container=h4-ev", "--format", "json")
    same(d, *base, "--filter", "event=start", "--format",
         "{{.Type}} {{.Action}} {{.Actor.Attributes.name}}")
    same(d, *base, "--filter", "type=container", "--filter", "event=destroy")
    same(d, "events", "--since", "10m", "--until", "0s", "--filter", "event=die")
    same(d, "events", "--format", "{{.Foo")


class Frames:
    """The frames of a live `stats --format 'table {{.Name}}'` (each frame printed whole,
    header first), collected by a thread."""

    def __init__(self, proc):
        self.proc = proc
        self.frames = []
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        cur = None
        for line in self.proc.stdout:
            # docker 28 moves the cursor even when stdout is not a terminal.
            line = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", line).strip()
            if line == "NAME":
                if cur is not None:
                    with self.lock:
                        self.frames.append(cur)
                cur = []
            elif cur is not None and line:
                cur.append(line)

    def wait(self, pred, what, timeout=15):
        """Waits for a frame, newer than any seen before the call, that satisfies pred."""
        with self.lock:
            start = len(self.frames)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self.lock:
                new = self.frames[start:]
            if any(pred(f) for f in new):
                return
            time.sleep(0.1)
        raise AssertionError(f"no stats frame {what}; last: {self.frames[-1:]}")


@pytest.mark.parametrize("client", ["berth", "docker"])
def test_stats_live_follows_started_and_dead_containers(ctrs, client):
    # docker's CLI is the reference: the same test runs against it.
    argv = [berth_path()] if client == "berth" else [DOCKER]
    env = ctrs.berth_env if client == "berth" else ctrs.env
    name = f"h4-live-{client}"
    p = subprocess.Popen([*argv, "stats", "--format", "table {{.Name}}"], env=env, text=True,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        frames = Frames(p)
        frames.wait(lambda f: "h4-log" in f, "with the running containers")
        ctrs.dockerc("run", "-d", "--name", name, "busybox", "sleep", "3600")
        frames.wait(lambda f: name in f, f"with {name} once started")
        ctrs.dockerc("kill", name)
        frames.wait(lambda f: name not in f and "h4-log" in f, f"without {name} once dead")
    finally:
        p.kill()
        p.wait()
        ctrs.dockerc("rm", "-f", name, check=False)


def test_stats_no_stream(ctrs):
    b, k = ctrs.both("stats", "--no-stream", "h4-log", "h4-web")
    assert b.rc == k.rc == 0
    hb, hk = b.out.splitlines()[0], k.out.splitlines()[0]
    # Same columns; their widths follow the figures, which differ between the two runs.
    assert re.split(r" {2,}", hb) == re.split(r" {2,}", hk)
    assert hb.split("   ") == ["CONTAINER ID", "NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %",
                               "NET I/O", "BLOCK I/O", "PIDS"] or hb.split() == hk.split()
    assert [l.split()[:2] for l in b.out.splitlines()[1:]] == \
        [l.split()[:2] for l in k.out.splitlines()[1:]]
    fmt = "{{.Name}} {{.Container}} {{.ID}} {{.PIDs}}"
    same(ctrs, "stats", "--no-stream", "--format", fmt, "h4-log", "h4-web")
    rows = [json.loads(l) for l in ctrs.berth("stats", "--no-stream", "--format", "json",
                                              "h4-log").out.splitlines()]
    assert sorted(rows[0]) == ["BlockIO", "CPUPerc", "Container", "ID", "MemPerc", "MemUsage",
                               "Name", "NetIO", "PIDs"]
    assert rows[0]["CPUPerc"].endswith("%") and " / " in rows[0]["MemUsage"]
    same(ctrs, "stats", "--no-stream", "nope")
