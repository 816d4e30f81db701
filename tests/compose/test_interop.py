"""Debian's docker-compose 1.29 against berthd: it runs the example app, and it reads what
`berth compose` made (docker compose's names and labels), so `docker-compose ps` and `down` work
on a project brought up by berth."""

import os
import re
import shutil
import subprocess

import pytest

from conftest import REPO


def docker_compose(p, *args, timeout=300):
    exe = shutil.which("docker-compose")
    if not exe:
        pytest.fail("docker-compose is not installed (apt-get install docker-compose)")
    # 1.29 reads image inspect's ContainerConfig, which API 1.45+ leaves out (as dockerd 25+):
    # pin the API version as its users do against a current engine.
    env = dict(os.environ, DOCKER_HOST=p.d.host, COMPOSE_API_VERSION="1.41",
               COMPOSE_DOCKER_CLI_BUILD="0", DOCKER_BUILDKIT="0")
    app = REPO / "examples" / "compose-app"
    r = subprocess.run([exe, "-p", p.name, "-f", str(app / "compose.yaml"), *args], cwd=str(app),
                       env=env, capture_output=True, text=True, timeout=timeout)
    assert r.returncode == 0, (args, r.stdout, r.stderr)
    return r


def replicas_answering(p):
    hosts = set()
    for _ in range(9):
        page = p.in_netns("curl", "-sf", "--max-time", "5", "http://127.0.0.1:8080/")
        m = re.match(r"app (\w+): request \d+", page.stdout)
        assert m, page
        hosts.add(m.group(1))
    return hosts


def test_docker_compose_runs_the_example(project):
    p = project
    docker_compose(p, "up", "-d")
    ps = docker_compose(p, "ps").stdout
    for n in ("kv_1", "app_1", "app_2", "app_3", "front_1", "worker_1"):
        assert f"{p.name}_{n}" in ps, ps
    for _ in range(100):
        if len(replicas_answering(p)) == 3:
            break
    assert len(replicas_answering(p)) == 3
    docker_compose(p, "down", "-v")
    assert p.ids() == {}


def test_docker_compose_reads_a_berth_project(project):
    p = project
    app = REPO / "examples" / "compose-app"
    p.compose("-f", str(app / "compose.yaml"), "up", "-d", "--wait", timeout=600)
    ps = docker_compose(p, "ps").stdout
    for n in ("kv-1", "app-1", "app-2", "app-3", "front-1", "worker-1"):
        assert f"{p.name}-{n}" in ps, ps
    assert ps.count("(healthy)") == 4, ps
    docker_compose(p, "down", "-v")
    assert p.ids() == {}
    names = p.d.berth("network", "ls", "--format", "{{.Name}}").out.split()
    assert not [n for n in names if n.startswith(p.name)]
