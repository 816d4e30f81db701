"""`berth run/create/start/attach/exec` against the docker CLI on one berthd: same output, same
exit codes (125 for the CLI's errors, 127 for a missing command, the container's own status),
the create options taking effect, stdin piping, and TTY sessions under `script` with the
terminal's size reaching the container."""

import re
import shlex
import subprocess
import time
import uuid

import pytest

from conftest import berth_path, dc, free_port_in


def uniq(prefix):
    return f"h3-{prefix}-{uuid.uuid4().hex[:6]}"


@pytest.fixture
def d(shared_daemon):
    yield shared_daemon
    # Leave no container behind for the next test (the daemon is shared by the module).
    ids = shared_daemon.dockerc("ps", "-aq", check=False).out.split()
    if ids:
        shared_daemon.dockerc("rm", "-f", *ids, check=False)


def test_run_rm_echo_same_output(d):
    b, k = d.both("run", "--rm", "busybox", "echo", "hello", "world")
    assert (b.rc, b.out) == (k.rc, k.out) == (0, "hello world\n")
    assert d.dockerc("ps", "-aq").out == ""  # --rm removed both


def test_run_exit_code_passthrough(d):
    b, k = d.both("run", "--rm", "busybox", "sh", "-c", "echo out; echo err >&2; exit 3")
    assert b.rc == k.rc == 3, (b, k)
    assert b.out == k.out == "out\n", (b, k)
    assert b.err == k.err == "err\n", (b, k)


def test_run_detached_and_ps(d):
    name = uniq("d")
    b = d.berth("run", "-d", "--name", name, "busybox", "sleep", "300")
    cid = b.out.strip()
    assert re.fullmatch(r"[0-9a-f]{64}", cid)
    ps = d.dockerc("ps", "--no-trunc", "--format", "{{.ID}} {{.Names}} {{.Status}}").out
    assert f"{cid} {name} Up" in ps
    k = d.dockerc("run", "-d", "busybox", "sleep", "300")
    assert re.fullmatch(r"[0-9a-f]{64}\n", k.out)


def test_bad_flag_value_125_same_message(d):
    for args in (["-m", "x"], ["--cpus", "1.5x"], ["--ulimit", "nofile"], ["--bogus"],
                 ["--mount", "type=bind"], ["--health-interval", "5"]):
        b, k = d.both("run", *args, "busybox", "true")
        assert b.rc == k.rc == 125, (b, k)
        assert b.err.splitlines()[0] == k.err.splitlines()[0], (b, k)
        assert b.err.replace("berth", "docker") == k.err, (b, k)


def test_bad_option_after_parse_125(d):
    for args in (["-p", "abc"], ["-p", "x:y:z:w"], ["--pull", "bogus"],
                 ["--rm", "--restart", "always"], ["--device", "/dev/null:/dev/a:q"],
                 ["--network-alias", "x"], ["--env-file", "/nonexistent/env"]):
        b, k = d.both("run", *args, "busybox", "true")
        assert b.rc == k.rc == 125, (b, k)
        assert b.err.replace("berth", "docker") == k.err, (b, k)


def test_daemon_error_on_create_125(d):
    name = uniq("dup")
    d.berth("create", "--name", name, "busybox", "true")
    b, k = d.both("run", "--name", name, "busybox", "true")
    assert b.rc == k.rc == 125
    assert b.err.startswith("berth: Error response from daemon: ")
    assert b.err.replace("berth", "docker") == k.err
    # create reports the daemon's error plainly, status 1 (as docker).
    b, k = d.both("create", "--name", name, "busybox", "true")
    assert b.rc == k.rc == 1
    assert b.err == k.err


def test_missing_image_with_pull_never(d):
    b, k = d.both("run", "--rm", "--pull", "never", "h3-nosuch:1", "true")
    assert b.rc == k.rc == 125
    assert b.err.replace("berth", "docker") == k.err


@pytest.mark.parametrize("cmd,why", [("/etc/passwd", "permission denied"),
                                     ("/etc", "is a directory")])
def test_not_executable_126(d, cmd, why):
    b, k = d.both("run", "--rm", "busybox", cmd)
    assert b.rc == k.rc == 126, (b, k)
    assert f'exec: "{cmd}": {why}' in b.err


def test_missing_command_127(d):
    b, k = d.both("run", "--rm", "busybox", "h3-nonexistent-cmd")
    assert b.rc == k.rc == 127, (b, k)
    assert "executable file not found" in b.err
    mask = lambda s: re.sub(r"[0-9a-f]{64}", "ID", s)
    # docker also logs "Error waiting for container" (logrus) first; the report is the same.
    assert b.err.splitlines()[-1] == k.err.splitlines()[-1].replace("docker", "berth")
    assert mask(b.err.replace("berth", "docker")).splitlines()[0] == \
        mask(k.err.splitlines()[-3])


def test_env_workdir_user(d):
    cmd = ["run", "--rm", "-e", "FOO=bar", "-e", "H3_FROM_ENV", "-w", "/tmp", "-u", "1000:1001",
           "busybox", "sh", "-c", 'echo "$FOO $H3_FROM_ENV"; pwd; id -u; id -g']
    b, k = d.both(*cmd, env={"H3_FROM_ENV": "inherited"})
    assert b.rc == k.rc == 0
    assert b.out == k.out == "bar inherited\n/tmp\n1000\n1001\n"


def test_env_file_and_labels(d, tmp_path):
    env = tmp_path / "env.list"
    env.write_text("# comment\nA=1\nB=two words\n")
    name = uniq("lab")
    b = d.berth("run", "--name", name, "--env-file", str(env), "-l", "k=v", "busybox", "sh",
                "-c", 'echo "$A|$B"')
    assert b.out == "1|two words\n"
    labels = d.dockerc("inspect", "--format", "{{json .Config.Labels}}", name).out.strip()
    assert labels == '{"k":"v"}'


def test_publish_reachable_in_daemon_netns(d):
    port = free_port_in(d)
    name = uniq("web")
    d.berth("run", "-d", "--name", name, "-p", f"127.0.0.1:{port}:80", "busybox", "sh", "-c",
            "echo hello-publish > /tmp/index.html; exec httpd -f -p 80 -h /tmp")
    d.wait_port(port)
    got = ""
    for _ in range(50):
        r = d.ns_run(["python3", "-c", "import urllib.request,sys;"
                      f"sys.stdout.write(urllib.request.urlopen('http://127.0.0.1:{port}/"
                      "index.html', timeout=5).read().decode())"],
                     capture_output=True, text=True)
        got = r.stdout
        if got:
            break
        time.sleep(0.2)
    assert got == "hello-publish\n"
    ports = d.dockerc("port", name).out
    assert f"80/tcp -> 127.0.0.1:{port}" in ports


def test_stdin_piping(d):
    b, k = d.both("run", "-i", "--rm", "busybox", "cat", input=b"hi\nthere\n")
    assert b.rc == k.rc == 0
    assert b.out == k.out == "hi\nthere\n"


def test_create_then_start_attach(d):
    for cli in (d.berth, d.dockerc):
        name = uniq("sa")
        c = cli("create", "--name", name, "busybox", "sh", "-c", "echo started; exit 5")
        assert re.fullmatch(r"[0-9a-f]{64}\n", c.out)
        r = cli("start", "-a", name, check=False)
        assert (r.rc, r.out) == (5, "started\n"), r
        r = cli("start", name)
        assert r.out == f"{name}\n"


def test_start_missing_containers(d):
    b, k = d.both("start", "h3-nosuch1", "h3-nosuch2")
    assert b.rc == k.rc == 1
    assert b.err == k.err


def test_attach_stopped_container(d):
    name = uniq("stopped")
    d.berth("create", "--name", name, "busybox", "true")
    b, k = d.both("attach", name)
    assert b.rc == k.rc == 1
    assert b.err == k.err == "You cannot attach to a stopped container, start it first\n"


def test_cidfile(d, tmp_path):
    cid = tmp_path / "cid"
    b = d.berth("create", "--cidfile", str(cid), "busybox", "true")
    assert cid.read_text() == b.out.strip()


def test_exec(d):
    name = uniq("ex")
    d.berth("run", "-d", "--name", name, "busybox", "sleep", "300")
    b, k = d.both("exec", "-e", "A=1", "-u", "1", "-w", "/tmp", name, "sh", "-c",
                  'echo "$A"; pwd; id -u')
    assert b.rc == k.rc == 0
    assert b.out == k.out == "1\n/tmp\n1\n"
    b, k = d.both("exec", name, "sh", "-c", "exit 4")
    assert b.rc == k.rc == 4
    b, k = d.both("exec", "-i", name, "cat", input=b"piped\n")
    assert b.out == k.out == "piped\n"
    b, k = d.both("exec", "h3-nosuch", "true")
    assert b.rc == k.rc == 1
    assert b.err == k.err
    b, k = d.both("exec", "-d", name, "true")
    assert b.rc == k.rc == 0 and b.out == k.out == ""


def test_exec_missing_command_127(d):
    # berthd records 127 for the exec; berth exits with it. (The docker CLI exits 1 here:
    # berthd writes the failure's text into the stream unframed, which docker's demuxer
    # rejects.)
    name = uniq("ex127")
    d.berth("run", "-d", "--name", name, "busybox", "sleep", "300")
    b = d.berth("exec", name, "h3-nonexistent-cmd", check=False)
    assert b.rc == 127, b


def _script(d, env_cli, cmd):
    """Runs `cmd` on a fresh pseudo-terminal of 33x101 (util-linux script)."""
    full = f"stty rows 33 cols 101; {cmd}"
    env = dict(d.berth_env) if env_cli == "berth" else dict(d.env)
    return subprocess.run(["script", "-qec", full, "/dev/null"], capture_output=True,
                          timeout=60, env=env, stdin=subprocess.DEVNULL)


def _lines(r):
    # script echoes the NUL it sends the terminal when its own stdin ends ("^@"): not output.
    text = r.stdout.decode().replace("^@", "")
    return [ln.strip() for ln in text.splitlines() if ln.strip()]


@pytest.mark.parametrize("cli", ["berth", "docker"])
def test_run_it_tty_size(d, cli):
    exe = berth_path() if cli == "berth" else dc.DOCKER
    r = _script(d, cli, f"{shlex.quote(exe)} run -it --rm busybox stty size")
    assert r.returncode == 0, r
    assert _lines(r) == ["33 101"], r


@pytest.mark.parametrize("cli", ["berth", "docker"])
def test_exec_it_tty_size(d, cli):
    name = uniq("tty" + cli)
    d.berth("run", "-d", "--name", name, "busybox", "sleep", "300")
    exe = berth_path() if cli == "berth" else dc.DOCKER
    r = _script(d, cli, f"{shlex.quote(exe)} exec -it {name} stty size")
    assert r.returncode == 0, r
    assert _lines(r) == ["33 101"], r


@pytest.mark.parametrize("cli", ["berth", "docker"])
def test_run_it_exit_code(d, cli):
    exe = berth_path() if cli == "berth" else dc.DOCKER
    r = _script(d, cli, f"{shlex.quote(exe)} run -it --rm busybox sh -c 'exit 3'")
    assert r.returncode == 3, r


def test_run_it_detach_keys_then_attach(d):
    name = uniq("det")
    cmd = (f"(sleep 2; printf '\\020\\021'; sleep 1) | script -qec "
           f"{shlex.quote(berth_path() + ' run -it --name ' + name + ' busybox sh')} /dev/null")
    r = subprocess.run(["bash", "-c", cmd], capture_output=True, timeout=60, env=d.berth_env)
    assert r.returncode == 0, r
    st = d.dockerc("inspect", "--format", "{{.State.Running}}", name).out.strip()
    assert st == "true"
    cmd = (f"(sleep 2; printf 'exit 6\\r'; sleep 1) | script -qec "
           f"{shlex.quote(berth_path() + ' attach ' + name)} /dev/null")
    r = subprocess.run(["bash", "-c", cmd], capture_output=True, timeout=60, env=d.berth_env)
    assert r.returncode == 6, r


def test_sig_proxy_forwards_term(d):
    name = uniq("sig")
    p = subprocess.Popen([berth_path(), "run", "--rm", "--name", name, "busybox", "sh", "-c",
                          'trap "echo got-term; exit 9" TERM; echo ready; '
                          'while true; do sleep 0.1; done'],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=d.berth_env)
    try:
        assert p.stdout.readline() == b"ready\n"
        p.terminate()
        out, _ = p.communicate(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode == 9
    assert out == b"got-term\n"
