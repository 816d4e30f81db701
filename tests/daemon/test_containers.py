"""Containers through berthd with the real docker CLI (issue 5's must-show list): run --rm,
run -d with -p and -v, ps, logs -f, exec -it, run -it, inspect, stats, top, cp both ways,
stop, rm, networks with containers, volumes, events."""

import json
import os
import subprocess
import time

import pytest

from conftest import free_port_in, import_busybox


@pytest.fixture
def bb(daemon, busybox_tar):
    import_busybox(daemon, busybox_tar)
    return daemon


def http_get(d, port, path="/", timeout=10):
    r = d.ns_run(["timeout", str(timeout), "/bin/busybox", "wget", "-qO-",
                  f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True)
    return r.returncode, r.stdout


def under_script(d, cmd, timeout=60):
    """Runs a docker command line with a pseudo-terminal (util-linux script)."""
    env = dict(d.env, TERM="xterm")
    return subprocess.run(["script", "-qefc", cmd, "/dev/null"], capture_output=True,
                          timeout=timeout, env=env, stdin=subprocess.DEVNULL)


def test_run_rm_echo_and_exit_codes(bb):
    r = bb.docker("run", "--rm", "busybox", "echo", "hello from berth")
    assert r.out == "hello from berth\n"
    r = bb.docker("run", "--rm", "busybox", "sh", "-c", "echo out; echo err >&2; exit 3",
                  check=False)
    assert r.returncode == 3
    assert r.out == "out\n" and "err" in r.err
    # --rm removed them.
    assert bb.docker("ps", "-aq").out.strip() == ""
    # A missing command: docker's 127, with the runtime's message.
    r = bb.docker("run", "--rm", "busybox", "nosuchcmd", check=False)
    assert r.returncode == 127, r.err
    assert "nosuchcmd" in r.err


def test_detached_with_port_and_volume(bb, tmp_path):
    port = free_port_in(bb)
    bb.docker("volume", "create", "web")
    assert "web" in bb.docker("volume", "ls", "-q").out.split()
    cid = bb.docker("run", "-d", "--name", "web", "-p", f"{port}:80", "-v", "web:/www",
                    "busybox", "httpd", "-f", "-p", "80", "-h", "/www").out.strip()
    assert len(cid) == 64
    page = tmp_path / "index.html"
    page.write_text("served by berth\n")
    bb.docker("cp", str(page), "web:/www/index.html")
    deadline = time.monotonic() + 15
    while True:
        rc, body = http_get(bb, port, "/index.html")
        if rc == 0 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert rc == 0 and body == "served by berth\n"
    ps = bb.docker("ps", "--format", "{{.Names}} {{.Status}} {{.Ports}}").out
    assert ps.startswith("web Up") and f"0.0.0.0:{port}->80/tcp" in ps, ps
    info = json.loads(bb.docker("inspect", "web").out)[0]
    assert info["State"]["Running"] and info["State"]["Pid"] > 0
    assert info["NetworkSettings"]["Ports"]["80/tcp"][0]["HostPort"] == str(port)
    assert info["Mounts"][0]["Name"] == "web" and info["Mounts"][0]["Destination"] == "/www"
    # The volume really holds the file.
    vol = json.loads(bb.docker("volume", "inspect", "web").out)[0]
    assert open(os.path.join(vol["Mountpoint"], "index.html")).read() == "served by berth\n"
    # cp out.
    bb.docker("cp", "web:/www/index.html", str(tmp_path / "back.html"))
    assert (tmp_path / "back.html").read_text() == "served by berth\n"
    # top and stats.
    top = bb.docker("top", "web").out
    assert "httpd" in top
    st = bb.docker("stats", "--no-stream", "--format", "{{.Name}} {{.MemUsage}}", "web").out
    assert st.startswith("web "), st
    # Volume in use cannot go.
    r = bb.docker("volume", "rm", "web", check=False)
    assert r.returncode != 0 and "in use" in r.err
    bb.docker("stop", "-t", "1", "web")
    assert json.loads(bb.docker("inspect", "web").out)[0]["State"]["Status"] == "exited"
    rc, _ = http_get(bb, port, timeout=2)
    assert rc != 0
    bb.docker("rm", "web")
    bb.docker("volume", "rm", "web")
    assert bb.docker("ps", "-aq").out.strip() == ""


def test_logs_follow_and_streams(bb):
    bb.docker("run", "-d", "--name", "talker", "busybox", "sh", "-c",
              "for i in 1 2 3; do echo out$i; echo err$i >&2; sleep 0.3; done")
    p = subprocess.Popen(["docker", "logs", "-f", "talker"], env=bb.env, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    out, err = p.communicate(timeout=30)
    assert p.returncode == 0
    assert out == "out1\nout2\nout3\n" and err == "err1\nerr2\nerr3\n"
    # --tail counts entries of both streams: the last two are out3 and err3.
    r = bb.docker("logs", "--tail", "2", "-t", "talker")
    assert r.out.rstrip().endswith(" out3") and r.out[:4].isdigit(), r.out
    assert r.err.rstrip().endswith(" err3"), r.err
    assert bb.docker("wait", "talker").out.strip() == "0"
    # moby: a --tail that is not a number is every line; --details puts the (empty) attributes
    # and a space before each line.
    assert bb.docker("logs", "--tail", "bogus", "talker").out == "out1\nout2\nout3\n"
    assert bb.docker("logs", "--details", "talker").out == " out1\n out2\n out3\n"


def test_exec_and_run_with_tty(bb):
    bb.docker("run", "-d", "--name", "box", "busybox", "sleep", "300")
    r = bb.docker("exec", "box", "sh", "-c", "echo $((6*7)); exit 4", check=False)
    assert r.returncode == 4 and r.out == "42\n"
    r = bb.docker("exec", "-e", "X=y", "-w", "/tmp", "-u", "nobody", "box", "sh", "-c",
                  "echo $X $(pwd) $(id -u)")
    assert r.out == "y /tmp 65534\n"
    # An exec's supplementary groups are built as the container's (primary gid first).
    assert bb.docker("exec", "-u", "1000:1000", "box", "id").out == \
        "uid=1000 gid=1000 groups=1000\n"
    # A process that cannot start fails with docker's 126 (127: no such binary), and exec_die
    # names its container, so a name filter sees it.
    since = str(int(time.time()) - 1)
    for user in ("nosuchuser", "0:nosuchgroup"):
        r = bb.docker("exec", "-u", user, "box", "true", check=False)
        assert r.returncode == 126 and "unable to find" in r.out + r.err, r
    r = bb.docker("exec", "box", "nosuchcmd", check=False)
    assert r.returncode == 127, r
    bb.docker("exec", "box", "true")
    ev = bb.docker("events", "--since", since, "--until", str(int(time.time()) + 1), "--filter",
                   "container=box", "--filter", "event=exec_die",
                   "--format", "{{.Actor.Attributes.exitCode}} {{.Actor.Attributes.name}}").out
    assert "0 box" in ev.splitlines(), ev
    # script's pty has no size of its own here (no terminal above us): give it one, which the
    # CLI sends as ConsoleSize so the exec's pty has it from the start.
    r = under_script(bb, "stty rows 33 cols 111; docker exec -it box sh -c 'tty; stty size'")
    assert r.returncode == 0, r.stdout + r.stderr
    assert b"/dev/pts/" in r.stdout and b"33 111" in r.stdout, r.stdout
    r = under_script(bb, "stty rows 20 cols 70; docker run --rm -it busybox sh -c "
                         "'tty && stty size && echo tty-ok'")
    assert r.returncode == 0 and b"tty-ok" in r.stdout and b"20 70" in r.stdout, r.stdout
    r = bb.docker("run", "--rm", "-i", "busybox", "sh", "-c", "tr a-z A-Z", input=b"piped\n")
    assert r.out == "PIPED\n"
    bb.docker("rm", "-f", "box")


def test_networks_with_containers(bb):
    bb.docker("network", "create", "appnet")
    bb.docker("run", "-d", "--name", "srv", "--network", "appnet", "busybox",
              "sh", "-c", "echo hi > /tmp/i; httpd -f -p 80 -h /tmp")
    r = bb.docker("run", "--rm", "--network", "appnet", "busybox", "sh", "-c",
                  "for i in 1 2 3 4 5 6 7 8 9 10; do wget -qO- http://srv/i && exit 0; sleep 0.3; done; exit 1")
    assert r.out == "hi\n"
    bb.docker("run", "-d", "--name", "other", "busybox", "sleep", "300")
    bb.docker("network", "connect", "appnet", "other")
    nets = json.loads(bb.docker("inspect", "other").out)[0]["NetworkSettings"]["Networks"]
    assert "appnet" in nets and nets["appnet"]["IPAddress"]
    bb.docker("network", "disconnect", "appnet", "other")
    r = bb.docker("network", "disconnect", "-f", "appnet", "other", check=False)
    assert r.returncode == 1 and "is not connected to network appnet" in r.err, r
    nets = json.loads(bb.docker("inspect", "other").out)[0]["NetworkSettings"]["Networks"]
    assert "appnet" not in nets
    r = bb.docker("network", "rm", "appnet", check=False)
    assert r.returncode != 0  # srv is still attached
    # A renamed container answers to its new name only.
    bb.docker("rename", "srv", "srv2")
    r = bb.docker("run", "--rm", "--network", "appnet", "busybox", "sh", "-c",
                  "nslookup srv2 >/dev/null && echo new-ok; nslookup srv >/dev/null || echo old-gone")
    assert r.out == "new-ok\nold-gone\n", r
    bb.docker("rm", "-f", "srv2", "other")
    bb.docker("network", "rm", "appnet")


def test_events_and_bad_input(bb):
    since = str(int(time.time()) - 1)
    bb.docker("run", "--rm", "--name", "ev", "busybox", "true")
    until = str(int(time.time()) + 1)
    ev = bb.docker("events", "--since", since, "--until", until, "--filter", "container=ev",
                   "--format", "{{.Action}}").out.split()
    for a in ("create", "start", "die", "destroy"):
        assert a in ev, ev
    r = bb.docker("run", "--rm", "-m", "1m", "busybox", "true", check=False)
    assert r.returncode == 125 and "Minimum memory limit allowed is 6MB" in r.err
    r = bb.docker("run", "--rm", "--cap-add", "NOPE", "busybox", "true", check=False)
    assert r.returncode == 125 and "NOPE" in r.err
    r = bb.docker("inspect", "nosuch", check=False)
    assert r.returncode == 1 and "No such" in r.err
    bb.docker("create", "--name", "dup", "busybox", "true")
    r = bb.docker("create", "--name", "dup", "busybox", "true", check=False)
    assert r.returncode != 0 and "already in use" in r.err
    bb.docker("rm", "dup")


def test_filters_and_prune_until(bb):
    """Name filters are regular expressions matched like moby's (a container's name with and
    without its slash); publish/expose filter by port; prune's until takes a duration."""
    bb.docker("run", "-d", "--name", "fa", "-p", "18095:80", "--expose", "90", "busybox",
              "sleep", "300")
    bb.docker("run", "-d", "--name", "fb", "busybox", "sleep", "300")
    bb.docker("volume", "create", "vfa")
    bb.docker("network", "create", "nfa")
    try:
        def names(*filters):
            args = [x for f in filters for x in ("--filter", f)]
            return sorted(bb.docker("ps", *args, "--format", "{{.Names}}").out.split())

        assert names("name=^fa$") == ["fa"] and names("name=^/fa$") == ["fa"]
        assert names("name=f") == ["fa", "fb"]
        assert names("publish=18095") == ["fa"] and names("publish=18095/tcp") == ["fa"]
        assert names("publish=18095/udp") == [] and names("publish=18000-18100") == ["fa"]
        assert names("expose=90") == ["fa"] and names("expose=80") == ["fa"]
        assert names("expose=91") == []
        assert bb.docker("inspect", "-f", "{{.HostConfig.IpcMode}}", "fb").out == "private\n"
        # The Command column as moby builds it: arguments with a space in single quotes.
        bb.docker("create", "--name", "fq", "busybox", "echo", "a b", "c'd", 'e"f')
        cmd = bb.docker("ps", "-a", "--no-trunc", "--filter", "name=fq", "--format",
                        "{{.Command}}").out
        assert cmd == '"echo \'a b\' c\'d e\\"f"\n', cmd
        r = bb.docker("ps", "--filter", "publish=99999", check=False)
        assert r.returncode != 0 and "invalid filter 'publish=99999'" in r.err, r
        vols = bb.docker("volume", "ls", "-q", "--filter", "name=^vf").out.split()
        assert vols == ["vfa"], vols
        assert bb.docker("volume", "ls", "-q", "--filter", "name=^fa").out.split() == []
        nets = bb.docker("network", "ls", "--format", "{{.Name}}", "--filter",
                         "name=^nfa$").out.split()
        assert nets == ["nfa"], nets
        # Created moments ago: not "until 24h ago", so nothing goes.
        bb.docker("create", "--name", "fc", "busybox", "true")
        r = bb.docker("container", "prune", "-f", "--filter", "until=24h")
        assert "fc" in bb.docker("ps", "-a", "--format", "{{.Names}}").out.split(), r
        bb.docker("network", "prune", "-f", "--filter", "until=24h")
        assert "nfa" in bb.docker("network", "ls", "--format", "{{.Name}}").out.split()
        bb.docker("network", "prune", "-f", "--filter", f"until={int(time.time()) + 5}")
        assert "nfa" not in bb.docker("network", "ls", "--format", "{{.Name}}").out.split()
        # A failed `run --rm` reports its error once, without "Error waiting for container".
        r = bb.docker("run", "--rm", "busybox", "nosuchcmd", check=False)
        assert r.returncode == 127 and "nosuchcmd" in r.err, r
        assert "Error waiting for container" not in r.err, r.err
    finally:
        bb.docker("rm", "-f", "fa", "fb", "fc", "fq", check=False)
        bb.docker("volume", "rm", "vfa", check=False)
        bb.docker("network", "rm", "nfa", check=False)
