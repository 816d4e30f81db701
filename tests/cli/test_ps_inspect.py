"""berth ps / inspect against the docker CLI on one berthd: same tables, JSON and errors."""

import json
import re

import pytest


def same(d, *args, mask=None):
    """Runs args through both CLIs and asserts identical rc, stdout and stderr."""
    b, k = d.both(*args)
    bo, ko, be, ke = b.out, k.out, b.err, k.err
    if mask:
        bo, ko = mask(bo), mask(ko)
    assert (b.rc, bo, be) == (k.rc, ko, ke), f"berth: {b!r}\ndocker: {k!r}"
    return b


def ago(s):
    # The clock may tick between the two runs, which also moves the columns after CREATED:
    # times are masked and space runs collapsed (exact alignment is checked by the
    # deterministic table formats).
    return re.sub(r"   +", "   ", _ago(s))


def _ago(s):
    return re.sub(r"(Less than a second|\d+ seconds?|About a minute|\d+ minutes?) ago",
                  "N ago", re.sub(r"Up (Less than a second|\d+ seconds?|About a minute)",
                                  "Up N", s))


@pytest.fixture(scope="module")
def ctrs(shared_daemon):
    d = shared_daemon
    d.dockerc("run", "-d", "--name", "h4-web", "-p", "8080:80", "-p", "9000-9001:9000-9001/udp",
              "-l", "k=v", "-l", "team=core", "busybox", "sleep", "3600")
    d.dockerc("run", "-d", "--name", "h4-plain", "busybox", "sleep", "3600")
    d.dockerc("run", "--name", "h4-done", "busybox", "sh", "-c",
              "echo a long command line that is truncated; exit 3", check=False)
    yield d
    d.dockerc("rm", "-f", "h4-web", "h4-plain", "h4-done", check=False)


@pytest.mark.parametrize("args", [
    ["ps"],
    ["ps", "-a"],
    ["ps", "-q"],
    ["ps", "-aq"],
    ["ps", "-a", "--no-trunc"],
    ["ps", "-a", "-s"],
    ["ps", "--format", "table"],
    ["ps", "-a", "--format", "json"],
    ["ps", "-a", "--format", "{{json .}}"],
    ["ps", "-a", "--format", "{{.Names}}"],
    ["ps", "-a", "--format", "{{.ID}}\t{{.Status}}"],
    ["ps", "-a", "--format", "table {{.Names}}\t{{.Ports}}\t{{.Labels}}"],
    ["ps", "--format", "{{.Label \"k\"}}|{{.Networks}}|{{.State}}|{{.Mounts}}"],
    ["ps", "-a", "--filter", "name=h4-web"],
    ["ps", "-a", "--filter", "status=exited"],
    ["ps", "-a", "--filter", "label=k=v", "-q"],
    ["ps", "-n", "1"],
    ["ps", "-l", "--format", "{{.Names}}"],
    ["ps", "-q", "--format", "{{.Names}}"],
    ["ps", "--format", "{{.Foo}}"],
    ["ps", "--format", "{{.Names"],
])
def test_ps_matches_docker(ctrs, args):
    same(ctrs, *args, mask=ago)


def test_ps_ports_column(ctrs):
    r = ctrs.berth("ps", "--filter", "name=h4-web", "--format", "{{.Ports}}")
    assert r.out == "0.0.0.0:9000-9001->9000-9001/udp, 0.0.0.0:8080->80/tcp\n"
    r = ctrs.berth("ps", "-a", "--filter", "name=h4-done", "--format", "{{.Command}}")
    assert r.out == '"sh -c \'echo a long …"\n'


def test_ps_bad_flag(ctrs):
    b, k = ctrs.both("ps", "--bogus")
    assert b.rc == k.rc == 125


@pytest.mark.parametrize("args", [
    ["inspect", "h4-web"],
    ["inspect", "busybox"],
    ["inspect", "h4-web", "busybox"],
    ["inspect", "-f", "json", "h4-plain"],
    ["inspect", "-f", "{{.State.Status}}", "h4-web"],
    ["inspect", "-f", "{{json .Config.Env}}", "h4-web"],
    ["inspect", "-f", "{{range .Mounts}}{{.Source}} {{end}}", "h4-web"],
    ["inspect", "-f", "{{index .Config.Labels \"k\"}}", "h4-web"],
    ["inspect", "-f", "{{.State.ExitCode}} {{.Name}}", "h4-done"],
    ["inspect", "--type", "image", "-f", "{{.Id}}", "busybox"],
    ["inspect", "--type", "network", "bridge"],
    ["inspect", "bridge"],
    ["inspect", "nope"],
    ["inspect", "h4-web", "nope"],
    ["inspect", "--type", "container", "busybox"],
    ["inspect", "--type", "bogus", "x"],
    ["inspect", "-f", "{{.Foo}}", "h4-web"],
    ["inspect", "-f", "{{.Foo", "h4-web"],
    ["container", "inspect", "nope"],
    ["container", "inspect", "-s", "h4-web"],
    ["image", "inspect", "nope"],
    ["image", "inspect", "-f", "{{.Os}}/{{.Architecture}}", "busybox"],
])
def test_inspect_matches_docker(ctrs, args):
    same(ctrs, *args)


def test_inspect_json_parses_equal(ctrs):
    b, k = ctrs.both("inspect", "h4-web", "busybox")
    assert b.rc == k.rc == 0
    assert json.loads(b.out) == json.loads(k.out)
    assert json.loads(b.out)[0]["Config"]["Labels"] == {"k": "v", "team": "core"}


def test_label_filters_all_must_match(shared_daemon):
    """Several label filters are ANDed (docker's MatchKVList), for containers and volumes alike;
    docker-compose 1.29 lists a project's containers with two of them."""
    d = shared_daemon
    d.berth("create", "--name", "h6-lbl", "--label", "a=1", "--label", "b=3", "busybox", "true")
    d.berth("volume", "create", "--label", "a=1", "--label", "b=3", "h6-lbl-vol")
    try:
        for args, want in (([], "h6-lbl"), (["--filter", "label=b=2"], ""),
                           (["--filter", "label=b=3"], "h6-lbl"), (["--filter", "label=c"], "")):
            b = d.berth("ps", "-a", "--filter", "label=a=1", *args, "--format", "{{.Names}}")
            assert b.out.split() == ([want] if want else []), (args, b.out)
            v = d.berth("volume", "ls", "-q", "--filter", "label=a=1", *args)
            assert v.out.split() == (["h6-lbl-vol"] if want else []), (args, v.out)
    finally:
        d.berth("rm", "-f", "h6-lbl", check=False)
        d.berth("volume", "rm", "h6-lbl-vol", check=False)
