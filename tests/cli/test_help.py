"""`berth` help, errors of the command line and shell completion: no daemon needed.

Every leaf verb is found by walking `berth --help` and the management commands' helps; each
must answer --help with its usage and reject an unknown flag with docker's one-line error and
exit code 125 (compared with the docker CLI for the verbs docker has).
"""

import os
import re
import subprocess

import pytest

from conftest import berth_path

DOCKER = "/usr/local/bin/docker"


def run(argv, env=None, **kw):
    e = dict(os.environ, BERTH_HOST="unix:///nonexistent/berth-test.sock",
             DOCKER_HOST="unix:///nonexistent/docker-test.sock", **(env or {}))
    return subprocess.run(argv, capture_output=True, text=True, env=e, timeout=60, **kw)


def berth(*args, **kw):
    return run([berth_path(), *args], **kw)


def commands(help_text):
    """Names listed under the '... Commands:' headings of a help text."""
    names, inside = [], False
    for line in help_text.splitlines():
        if line.endswith("Commands:"):
            inside = True
            continue
        if inside:
            m = re.match(r"^  (\S+)\s", line)
            if m:
                names.append(m.group(1))
            else:
                inside = False
    return names


def leaf_paths():
    out, todo = [], [[]]
    while todo:
        path = todo.pop()
        r = berth(*path, "--help")
        assert r.returncode == 0, (path, r.stderr)
        subs = commands(r.stdout)
        if not subs:
            out.append(path)
        for s in subs:
            todo.append(path + [s])
    return sorted(out)


LEAVES = leaf_paths()


def test_tree_has_the_verbs():
    flat = {" ".join(p) for p in LEAVES}
    for v in ("run", "ps", "stop", "network create", "network ls", "volume prune", "system df",
              "system prune", "container prune", "info", "version", "completion bash"):
        assert v in flat, v
    assert len(LEAVES) > 60


def test_root_help():
    r = berth("--help")
    assert r.returncode == 0
    assert r.stdout.startswith("Usage:  berth [OPTIONS] COMMAND\n")
    for h in ("Common Commands:", "Management Commands:", "Commands:", "Global Options:"):
        assert h in r.stdout
    assert "Run 'berth COMMAND --help' for more information on a command." in r.stdout


def test_run_help_matches_docker_layout():
    b = berth("run", "--help")
    d = run([DOCKER, "run", "--help"])
    assert b.returncode == 0
    assert b.stdout.startswith("Usage:  berth run [OPTIONS] IMAGE [COMMAND] [ARG...]\n")
    assert d.stdout.startswith("Usage:  docker run [OPTIONS] IMAGE [COMMAND] [ARG...]\n")
    assert "  -d, --detach " in b.stdout and "      --name string " in b.stdout


def test_network_help_same_as_docker():
    b = berth("network", "--help")
    d = run([DOCKER, "network", "--help"])
    assert b.returncode == d.returncode == 0
    assert b.stdout.replace("berth", "docker") == d.stdout


def test_mistyped_verb_suggests():
    r = berth("rnu")
    assert r.returncode == 1
    assert "unknown command" in r.stderr
    assert "Did you mean this?\n" in r.stderr
    assert "\trun\n" in r.stderr.split("Did you mean this?\n")[1]


@pytest.mark.parametrize("path", LEAVES, ids=lambda p: "-".join(p))
def test_help_on_every_verb(path):
    r = berth(*path, "--help")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("Usage:  berth " + " ".join(path)), r.stdout[:200]


def docker_has(path):
    r = run([DOCKER, *path, "--help"])
    return r.returncode == 0 and r.stdout.startswith("Usage:  docker " + " ".join(path))


@pytest.mark.parametrize("path", LEAVES, ids=lambda p: "-".join(p))
def test_bad_flag_on_every_verb(path):
    r = berth(*path, "--bogus-flag")
    assert r.returncode == 125, r
    first = r.stderr.splitlines()[0]
    assert first == "unknown flag: --bogus-flag"
    assert "Usage:  berth " + " ".join(path) in r.stderr
    # docker's `completion` verbs are cobra's generated ones ("[flags]"): not compared.
    if path[0] != "completion" and docker_has(path):
        d = run([DOCKER, *path, "--bogus-flag"])
        assert d.returncode == 125
        # docker build prints a deprecation notice about its legacy builder first.
        derr = d.stderr[d.stderr.index("unknown flag:"):]
        assert derr.splitlines()[0] == first
        assert r.stderr.replace("berth", "docker") == derr


def test_daemon_not_running():
    r = berth("ps")
    assert r.returncode == 1
    assert r.stderr.startswith(
        "cannot reach berthd at unix:///nonexistent/berth-test.sock: is it running?"), r.stderr
    v = berth("version")
    assert v.returncode == 1
    assert v.stdout.startswith("Client: Berth\n Version:")
    assert "Server" not in v.stdout
    assert v.stderr.startswith("cannot reach berthd at unix:///nonexistent/berth-test.sock")
    i = berth("info")
    assert i.returncode == 1
    assert i.stdout.endswith("\nServer:\n")
    assert i.stderr.startswith("cannot reach berthd")


def complete(tmp_path, line, fake_names=None):
    """Runs the generated bash completion for `line` (cursor at its end)."""
    script = tmp_path / "berth.bash"
    script.write_text(berth("completion", "bash").stdout)
    words = line.split(" ")
    bindir = tmp_path / "bin"
    bindir.mkdir(exist_ok=True)
    # `berth` on PATH answers the name listings the completion asks for.
    fake = bindir / "berth"
    fake.write_text("#!/bin/sh\ncase \"$*\" in\n"
                    "'ps -a --format {{.Names}}') printf 'h6-web\\nh6-db\\nother\\n' ;;\n"
                    "'images --format {{.Repository}}:{{.Tag}}') printf 'busybox:latest\\n' ;;\n"
                    "*) exit 1 ;;\nesac\n")
    fake.chmod(0o755)
    arr = " ".join("'" + w + "'" for w in words)
    prog = (f"source {script}\nCOMP_WORDS=({arr})\nCOMP_CWORD={len(words) - 1}\n"
            "COMP_LINE='" + line + "'\n_berth\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n")
    r = subprocess.run(["bash", "-c", prog], capture_output=True, text=True,
                       env=dict(os.environ, PATH=f"{bindir}:{os.environ['PATH']}"), timeout=30)
    assert r.returncode == 0, r.stderr
    return [x for x in r.stdout.splitlines() if x]


def test_completion_bash(tmp_path):
    assert complete(tmp_path, "berth ru") == ["run"]
    assert complete(tmp_path, "berth run --rm --na") == ["--name"]
    assert set(complete(tmp_path, "berth network ")) == {
        "connect", "create", "disconnect", "inspect", "ls", "list", "prune", "rm", "remove"}
    assert complete(tmp_path, "berth network create --sub") == ["--subnet"]
    assert complete(tmp_path, "berth stop h6-") == ["h6-web", "h6-db"]
    assert complete(tmp_path, "berth container rm -f h6-w") == ["h6-web"]
    assert complete(tmp_path, "berth run --name x busy") == ["busybox:latest"]
    # After the image, run's arguments are the command: nothing to offer.
    assert complete(tmp_path, "berth run busybox ") == []
    assert complete(tmp_path, "berth -H unix:///x ver") == ["version"]


def test_completion_zsh_is_generated():
    r = berth("completion", "zsh")
    assert r.returncode == 0
    assert r.stdout.startswith("#compdef berth\n")
    assert '_berth_subs["berth network"]="connect create disconnect' in r.stdout
    b = berth("completion", "fish")
    assert b.returncode == 1
    assert "unknown command" in b.stderr
