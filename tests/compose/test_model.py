"""The compose model through `berth compose config` (no daemon needed): interpolation and .env,
several files merged, override discovery, profiles, extends, include, anchors, and broken files
reported with their file and line before anything starts."""

import json
import os
import subprocess
import textwrap
from pathlib import Path

import pytest

from conftest import cc


def write(root, rel, text):
    p = Path(root) / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(textwrap.dedent(text).lstrip("\n"))
    return p


def compose(cwd, *args, env=None, input=None):
    e = {k: v for k, v in os.environ.items() if not k.startswith("COMPOSE_")}
    # No daemon: a verb that needs one fails on the connection, after the model checks.
    e["BERTH_HOST"] = "unix:///nonexistent/berth.sock"
    e.update(env or {})
    p = subprocess.run([cc.berth_path(), "compose", *args], capture_output=True, cwd=str(cwd),
                       env=e, input=input, timeout=60)
    return cc.Run(["berth", "compose", *args], p)


def model(cwd, *args, env=None):
    r = compose(cwd, *args, "config", "--format", "json", env=env)
    assert r.rc == 0, r
    return json.loads(r.out), r.err


def test_interpolation_and_env_files(tmp_path):
    write(tmp_path, "compose.yaml", """
        services:
          web:
            image: "busybox:${TAG}"
            command: echo $$HOME ${GREETING:-hello} ${EMPTY:-was-empty} ${EMPTY-kept-empty}
            environment:
              NESTED: ${MISSING:-${TAG}-nested}
              ALT: ${TAG:+tag-is-set}
              UNSET_ONE: ${NOT_SET_ANYWHERE}
        """)
    write(tmp_path, ".env", """
        # the project's .env
        TAG=from-dotenv
        EMPTY=
        """)
    m, err = model(tmp_path)
    web = m["services"]["web"]
    assert web["image"] == "busybox:from-dotenv"
    assert web["command"] == ["echo", "$HOME", "hello", "was-empty"]
    assert web["environment"]["NESTED"] == "from-dotenv-nested"
    assert web["environment"]["ALT"] == "tag-is-set"
    assert web["environment"]["UNSET_ONE"] == ""
    assert 'The "NOT_SET_ANYWHERE" variable is not set. Defaulting to a blank string.' in err
    # The process environment wins over .env; --env-file replaces .env.
    m, _ = model(tmp_path, env={"TAG": "from-env"})
    assert m["services"]["web"]["image"] == "busybox:from-env"
    write(tmp_path, "other.env", "TAG=from-other\n")
    m, _ = model(tmp_path, "--env-file", "other.env")
    assert m["services"]["web"]["image"] == "busybox:from-other"
    # A required variable names the file, the line and the key.
    write(tmp_path, "req.yaml", """
        services:
          web:
            image: "busybox:${REQUIRED:?set REQUIRED first}"
        """)
    r = compose(tmp_path, "-f", "req.yaml", "config")
    assert r.rc == 1
    assert r.err.strip() == (f"{tmp_path}/req.yaml:3: services.web.image: required variable "
                             "REQUIRED is missing a value: set REQUIRED first")


def test_several_files_merge_and_override_discovery(tmp_path):
    write(tmp_path, "compose.yaml", """
        services:
          web:
            image: busybox
            command: ["httpd", "-f"]
            ports: ["8080:80"]
            environment: {A: "1", B: "1"}
            labels: [x=1]
        """)
    write(tmp_path, "compose.override.yaml", """
        services:
          web:
            environment: {B: "2"}
        """)
    m, _ = model(tmp_path)
    assert m["services"]["web"]["environment"] == {"A": "1", "B": "2"}
    write(tmp_path, "prod.yaml", """
        services:
          web:
            image: busybox:prod
            command: ["sleep", "1"]
            ports: ["8443:443"]
            environment: [C=3]
            labels: {y: "2"}
        """)
    m, _ = model(tmp_path, "-f", "compose.yaml", "-f", "prod.yaml")
    web = m["services"]["web"]
    assert web["image"] == "busybox:prod"
    assert web["command"] == ["sleep", "1"]
    assert sorted(p["target"] for p in web["ports"]) == [80, 443]
    assert web["environment"] == {"A": "1", "B": "1", "C": "3"}
    assert web["labels"] == {"x": "1", "y": "2"}
    # stdin as a file.
    r = compose(tmp_path, "-f", "-", "config", "--services",
                input=b"services:\n  from-stdin:\n    image: busybox\n")
    assert r.rc == 0 and r.out == "from-stdin\n", r


def test_discovery_upwards_and_project_name(tmp_path):
    root = tmp_path / "My_App"
    write(root, "docker-compose.yml", "services:\n  web:\n    image: busybox\n")
    deep = root / "src" / "deeper"
    deep.mkdir(parents=True)
    m, _ = model(deep)
    assert m["name"] == "my_app"
    assert m["networks"]["default"]["name"] == "my_app_default"
    m, _ = model(deep, "-p", "other")
    assert m["name"] == "other"
    m, _ = model(deep, env={"COMPOSE_PROJECT_NAME": "fromenv"})
    assert m["name"] == "fromenv"
    r = compose(tmp_path, "config")
    assert r.rc == 1 and "no configuration file provided: not found" in r.err


def test_profiles(tmp_path):
    write(tmp_path, "compose.yaml", """
        services:
          web:
            image: busybox
          debug:
            image: busybox
            profiles: [debug]
          tools:
            image: busybox
            profiles: [tools]
            depends_on: [web]
        """)
    assert compose(tmp_path, "config", "--services").out.split() == ["web"]
    assert compose(tmp_path, "--profile", "debug", "config", "--services").out.split() == \
        ["debug", "web"]
    assert compose(tmp_path, "config", "--services",
                   env={"COMPOSE_PROFILES": "debug,tools"}).out.split() == ["debug", "tools",
                                                                             "web"]
    assert compose(tmp_path, "--profile", "*", "config", "--services").out.split() == \
        ["debug", "tools", "web"]
    # A service named on the command line runs whatever its profiles.
    assert compose(tmp_path, "config", "--services", "tools").out.split() == ["tools"]


def test_extends_include_anchors_extensions(tmp_path):
    write(tmp_path, "common/base.yaml", """
        services:
          base:
            image: busybox
            environment: {FROM_BASE: "yes"}
            volumes: ["./data:/data"]
        """)
    write(tmp_path, "db/compose.yaml", """
        services:
          db:
            image: busybox
            command: sleep 1000
            env_file: db.env
        """)
    write(tmp_path, "db/db.env", "DB_USER=admin\n")
    write(tmp_path, "compose.yaml", """
        x-defaults: &defaults
          restart: unless-stopped
          labels: {team: core}
        include:
          - db/compose.yaml
        services:
          web:
            <<: *defaults
            extends:
              file: common/base.yaml
              service: base
            environment: {OWN: "1"}
            depends_on: [db]
          worker:
            extends: web
            command: ["sh", "-c", "work"]
        """)
    m, _ = model(tmp_path)
    web = m["services"]["web"]
    assert web["restart"] == "unless-stopped" and web["labels"] == {"team": "core"}
    assert web["environment"] == {"FROM_BASE": "yes", "OWN": "1"}
    # The extended file's relative paths are relative to that file.
    assert web["volumes"][0]["source"] == str(tmp_path / "common" / "data")
    assert "extends" not in web and not any(k.startswith("x-") for k in m)
    worker = m["services"]["worker"]
    assert worker["command"] == ["sh", "-c", "work"]
    assert worker["environment"] == web["environment"]
    assert m["services"]["db"]["environment"] == {"DB_USER": "admin"}


BROKEN = [
    ("bad-indent.yaml", "services:\n  web:\n    image: busybox\n     command: x\n",
     "bad-indent.yaml:4:"),
    ("bad-type.yaml", "services:\n  web:\n    image: busybox\n    ports: true\n",
     "bad-type.yaml:4: services.web.ports must be a list"),
    ("bad-restart.yaml", "services:\n  web:\n    image: busybox\n    restart: [1]\n",
     "bad-restart.yaml:4: services.web.restart must be a string"),
    ("cycle.yaml", "services:\n  a:\n    image: busybox\n    depends_on: [b]\n"
     "  b:\n    image: busybox\n    depends_on: [a]\n",
     "dependency cycle detected: a -> b -> a"),
    ("undefined.yaml", "services:\n  a:\n    image: busybox\n    depends_on: [nope]\n",
     'undefined.yaml:4: service "a" depends on undefined service "nope"'),
    ("dup.yaml", "services:\n  a:\n    image: busybox\n    image: other\n", "dup.yaml:4:"),
]


@pytest.mark.parametrize("name,text,expect", BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_files_are_errors_with_file_and_line(tmp_path, name, text, expect):
    (tmp_path / name).write_text(text)
    r = compose(tmp_path, "-f", name, "config")
    assert r.rc == 1 and expect in r.err, r
    # up fails on the same error before reaching the daemon (which is not there).
    r = compose(tmp_path, "-f", name, "up", "-d")
    assert r.rc == 1 and expect in r.err and "cannot reach berthd" not in r.err, r


def test_unknown_keys_warn_with_file_and_line(tmp_path):
    write(tmp_path, "compose.yaml", """
        services:
          web:
            image: busybox
            imagee: typo
        """)
    r = compose(tmp_path, "config", "--services")
    assert r.rc == 0 and r.out == "web\n"
    assert f"{tmp_path}/compose.yaml:4: services.web additional property imagee is not " \
           "allowed" in r.err, r.err


def test_config_yaml_reloads_to_the_same_model(tmp_path):
    write(tmp_path, "compose.yaml", """
        name: roundtrip
        volumes:
          data:
        services:
          web:
            image: busybox
            command: echo $$HOME costs 5$$
            volumes: ["data:/data"]
            ports: ["8080:80"]
        """)
    r = compose(tmp_path, "config")
    assert r.rc == 0, r
    top = [l.split(":")[0] for l in r.out.splitlines() if l and not l.startswith(" ")]
    assert top == ["name", "services", "networks", "volumes"]
    assert "$$HOME" in r.out
    (tmp_path / "again.yaml").write_text(r.out)
    first, _ = model(tmp_path)
    second, _ = model(tmp_path, "-f", "again.yaml")
    assert first == second
    assert first["services"]["web"]["command"] == ["echo", "$HOME", "costs", "5$"]
