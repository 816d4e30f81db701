"""berth compose up/down/ps/logs/exec/run against a real berthd: names and labels as docker
compose makes them, idempotent re-up, change detection, scaling, dependency conditions,
foreground up, and a failed up leaving nothing behind."""

import json
import os
import re
import time

BASIC = """
services:
  web:
    image: busybox
    command: ["httpd", "-f", "-p", "80", "-h", "/etc"]
    ports: ["18080:80"]
    environment:
      COLOUR: ${COLOUR:-blue}
  sleeper:
    image: busybox
    command: sleep 300
    init: true
"""


def nets(p):
    out = p.d.berth("network", "ls", "--format", "{{.Name}}").out.split()
    return [n for n in out if n.startswith(p.name + "_")]


def vols(p):
    out = p.d.berth("volume", "ls", "--format", "{{.Name}}").out.split()
    return [v for v in out if v.startswith(p.name + "_")]


def test_up_names_labels_ps_down(project):
    p = project
    p.write("compose.yaml", BASIC)
    r = p.compose("up", "-d")
    assert f" Network {p.name}_default  Created" in r.err
    assert f" Container {p.name}-web-1  Started" in r.err
    ids = p.ids()
    assert set(ids) == {f"{p.name}-web-1", f"{p.name}-sleeper-1"}
    info = p.inspect(f"{p.name}-web-1")
    labels = info["Config"]["Labels"]
    assert labels["com.docker.compose.project"] == p.name
    assert labels["com.docker.compose.service"] == "web"
    assert labels["com.docker.compose.container-number"] == "1"
    assert labels["com.docker.compose.oneoff"] == "False"
    assert re.fullmatch(r"[0-9a-f]{64}", labels["com.docker.compose.config-hash"])
    assert labels["com.docker.compose.project.working_dir"] == str(p.path)
    assert "COLOUR=blue" in info["Config"]["Env"]
    assert f"{p.name}_default" in info["NetworkSettings"]["Networks"]
    aliases = info["NetworkSettings"]["Networks"][f"{p.name}_default"]["Aliases"] or []
    assert "web" in aliases

    # ps: docker compose's columns; the published port; -q; --services; json.
    out = p.compose("ps").out.splitlines()
    assert re.split(r"\s{2,}", out[0]) == ["NAME", "IMAGE", "COMMAND", "SERVICE", "CREATED",
                                           "STATUS", "PORTS"]
    rows = {l.split()[0]: l for l in out[1:]}
    assert set(rows) == set(ids)
    assert "0.0.0.0:18080->80/tcp" in rows[f"{p.name}-web-1"]
    assert sorted(p.compose("ps", "-q").out.split()) == sorted(i[:12] for i in ids.values())
    assert p.compose("ps", "--services").out.split() == ["sleeper", "web"]
    js = [json.loads(l) for l in p.compose("ps", "--format", "json").out.splitlines()]
    assert {j["Service"] for j in js} == {"web", "sleeper"}

    # The published port answers inside berthd's namespace.
    page = p.in_netns("curl", "-sf", "--max-time", "5", "http://127.0.0.1:18080/passwd")
    assert "root:" in page.stdout, page

    # ls lists the project.
    ls = p.compose("ls").out
    assert re.search(rf"^{p.name}\s+running\(2\)\s+{re.escape(str(p.path))}/compose.yaml$", ls,
                     re.M), ls

    r = p.compose("down", "-t", "1")
    assert f" Container {p.name}-web-1  Removed" in r.err
    assert f" Network {p.name}_default  Removed" in r.err
    assert p.ids() == {} and nets(p) == []


def test_reup_is_idempotent_and_recreates_only_changed(project):
    p = project
    p.write("compose.yaml", BASIC)
    p.compose("up", "-d")
    before = p.ids()
    r = p.compose("up", "-d")
    assert p.ids() == before
    assert f" Container {p.name}-web-1  Running" in r.err
    assert "Recreate" not in r.err and "Created" not in r.err
    # A changed variable changes web's config: only web is recreated.
    r = p.compose("up", "-d", env={"COLOUR": "red"})
    after = p.ids()
    assert f" Container {p.name}-web-1  Recreate" in r.err
    assert after[f"{p.name}-sleeper-1"] == before[f"{p.name}-sleeper-1"]
    assert after[f"{p.name}-web-1"] != before[f"{p.name}-web-1"]
    assert "COLOUR=red" in p.inspect(f"{p.name}-web-1")["Config"]["Env"]
    # --force-recreate recreates everything; --no-recreate keeps changed containers.
    p.compose("up", "-d", "--force-recreate", "sleeper")
    assert p.ids()[f"{p.name}-sleeper-1"] != after[f"{p.name}-sleeper-1"]
    now = p.ids()
    p.compose("up", "-d", "--no-recreate", env={"COLOUR": "green"})
    assert p.ids() == now


def test_scale_up_down_and_dns(project):
    p = project
    p.write("compose.yaml", """
        services:
          app:
            image: busybox
            command: sleep 300
            init: true
            deploy:
              replicas: 2
          probe:
            image: busybox
            command: sleep 300
            init: true
        """)
    p.compose("up", "-d")
    names = sorted(n for n in p.ids() if "-app-" in n)
    assert names == [f"{p.name}-app-1", f"{p.name}-app-2"]
    p.compose("up", "-d", "--scale", "app=3")
    names = sorted(n for n in p.ids() if "-app-" in n)
    assert names == [f"{p.name}-app-{i}" for i in (1, 2, 3)]
    # The service name resolves to all replicas, rotating.
    ips = {p.inspect(n)["NetworkSettings"]["Networks"][f"{p.name}_default"]["IPAddress"]
           for n in names}
    firsts = set()
    for _ in range(6):
        out = p.compose("exec", "-T", "probe", "nslookup", "app").out
        found = re.findall(r"Address(?: \d+)?:\s*(\d+\.\d+\.\d+\.\d+)", out)
        found = [a for a in found if a in ips]
        assert set(found) == ips, out
        firsts.add(found[0])
    assert len(firsts) > 1
    # Editing the replica count scales down (highest numbers go) without recreating the rest.
    keep = p.ids()[f"{p.name}-app-1"]
    p.write("compose.yaml", (p.path / "compose.yaml").read_text().replace("replicas: 2",
                                                                          "replicas: 1"))
    r = p.compose("up", "-d")
    assert f" Container {p.name}-app-3  Removed" in r.err
    assert sorted(n for n in p.ids() if "-app-" in n) == [f"{p.name}-app-1"]
    assert p.ids()[f"{p.name}-app-1"] == keep


def test_depends_on_conditions_and_order(project):
    p = project
    p.write("compose.yaml", """
        services:
          db:
            image: busybox
            command: sh -c "sleep 1; touch /tmp/ready; exec sleep 300"
            init: true
            healthcheck:
              test: ["CMD", "test", "-f", "/tmp/ready"]
              interval: 200ms
              retries: 50
          migrate:
            image: busybox
            command: ["true"]
          web:
            image: busybox
            command: sleep 300
            init: true
            depends_on:
              db:
                condition: service_healthy
              migrate:
                condition: service_completed_successfully
        """)
    r = p.compose("up", "-d")
    err = r.err
    assert err.index(f"Container {p.name}-db-1  Healthy") < \
        err.index(f"Container {p.name}-web-1  Starting"), err
    assert err.index(f"Container {p.name}-migrate-1  Exited") < \
        err.index(f"Container {p.name}-web-1  Starting"), err
    db = p.inspect(f"{p.name}-db-1")
    web = p.inspect(f"{p.name}-web-1")
    healthy_at = min(l["End"] for l in db["State"]["Health"]["Log"] if l["ExitCode"] == 0)
    assert web["State"]["StartedAt"] > healthy_at
    # down stops in reverse order: web before db.
    r = p.compose("down", "-t", "1")
    assert r.err.index(f"Container {p.name}-web-1  Stopped") < \
        r.err.index(f"Container {p.name}-db-1  Stopping"), r.err


def test_failed_dependency_leaves_nothing(project):
    p = project
    p.write("compose.yaml", """
        services:
          migrate:
            image: busybox
            command: ["sh", "-c", "exit 3"]
          web:
            image: busybox
            command: sleep 300
            depends_on:
              migrate:
                condition: service_completed_successfully
        networks:
          default:
        volumes:
          data:
        """)
    r = p.compose("up", "-d", check=False)
    assert r.rc != 0
    assert 'service "migrate" didn\'t complete successfully: exit 3' in r.err
    assert p.ids() == {} and nets(p) == [] and vols(p) == []


def test_missing_image_leaves_nothing(project):
    p = project
    p.write("compose.yaml", """
        services:
          ok:
            image: busybox
            command: sleep 300
          bad:
            image: busybox-h7-nosuch:1
            pull_policy: never
            depends_on: [ok]
        """)
    r = p.compose("up", "-d", check=False)
    assert r.rc != 0 and "busybox-h7-nosuch:1" in r.err, r
    assert p.ids() == {} and nets(p) == []


def test_foreground_up_logs_and_exit_code(project):
    p = project
    p.write("compose.yaml", """
        services:
          job:
            image: busybox
            command: ["sh", "-c", "echo job says hi; sleep 0.5; exit 3"]
          side:
            image: busybox
            command: ["sh", "-c", "echo side says hi; exec sleep 300"]
            init: true
        """)
    r = p.compose("up", "--exit-code-from", "job", timeout=120, check=False)
    assert r.rc == 3, r
    assert f"Attaching to {p.name}-job-1, {p.name}-side-1" in r.out
    assert re.search(rf"^{p.name}-job-1\s+\| job says hi$", r.out, re.M), r.out
    assert re.search(rf"^{p.name}-side-1\s+\| side says hi$", r.out, re.M), r.out
    assert "Aborting on container exit..." in r.err
    # Everything was stopped.
    st = p.inspect(f"{p.name}-side-1")["State"]
    assert not st["Running"]


def test_logs_exec_run_port_top(project):
    p = project
    p.write("compose.yaml", """
        services:
          web:
            image: busybox
            command: ["sh", "-c", "echo line one; echo line two; exec httpd -f -p 80"]
            ports: ["127.0.0.1::80"]
            hostname: webhost
        """)
    p.compose("up", "-d")
    time.sleep(0.3)
    out = p.compose("logs", "--no-color").out
    assert re.search(rf"^{p.name}-web-1\s+\| line one$", out, re.M), out
    assert p.compose("logs", "--no-log-prefix", "web").out == "line one\nline two\n"
    assert p.compose("exec", "-T", "web", "hostname").out == "webhost\n"
    r = p.compose("exec", "-T", "web", "sh", "-c", "exit 7", check=False)
    assert r.rc == 7
    port = p.compose("port", "web", "80").out.strip()
    assert re.fullmatch(r"127\.0\.0\.1:\d+", port), port
    top = p.compose("top").out
    assert top.startswith(f"{p.name}-web-1\n") and "httpd" in top
    r = p.compose("run", "--rm", "-T", "web", "sh", "-c", "echo from run; exit 4", check=False)
    assert r.rc == 4 and "from run" in r.out
    assert not [n for n in p.ids() if "-run-" in n]
    # run without --rm leaves a one-off container, labelled so.
    p.compose("run", "-T", "web", "true")
    oneoff = [n for n in p.ids() if n.startswith(f"{p.name}-web-run-")]
    assert len(oneoff) == 1
    assert p.inspect(oneoff[0])["Config"]["Labels"]["com.docker.compose.oneoff"] == "True"


def test_run_publish_volume_caps_aliases(project):
    p = project
    p.write("data/hello.txt", "from the project\n")
    p.write("compose.yaml", """
        services:
          web:
            image: busybox
            command: ["httpd", "-f", "-p", "80", "-h", "/srv"]
            ports: ["127.0.0.1:18091:80"]
            networks:
              back:
                aliases: [webalias]
        networks:
          back: {}
        """)
    # -p replaces the service's ports (docker compose: "--publish ... just as with docker run"),
    # -v takes a relative bind source from the project directory.
    cid = p.compose("run", "-d", "--name", "runpub", "-p", "127.0.0.1:18092:80",
                    "-v", "./data:/srv:ro", "--cap-drop", "NET_RAW", "--cap-add", "SYS_TIME",
                    "--use-aliases", "web").out.strip()
    try:
        c = p.inspect(cid)
        assert c["HostConfig"]["PortBindings"] == {
            "80/tcp": [{"HostIp": "127.0.0.1", "HostPort": "18092"}]}
        assert "NET_RAW" in c["HostConfig"]["CapDrop"] and "SYS_TIME" in c["HostConfig"]["CapAdd"]
        aliases = c["NetworkSettings"]["Networks"][f"{p.name}_back"]["Aliases"]
        assert "web" in aliases and "webalias" in aliases, aliases
        page = ""
        for _ in range(50):
            page = p.in_netns("curl", "-sf", "--max-time", "5",
                              "http://127.0.0.1:18092/hello.txt").stdout
            if page:
                break
            time.sleep(0.1)
        assert page == "from the project\n"
        assert p.in_netns("curl", "-sf", "--max-time", "2", "http://127.0.0.1:18091/").returncode
        # docker's default set (a80425fb) without NET_RAW (bit 13), with SYS_TIME (bit 25).
        status = p.d.berth("exec", "runpub", "cat", "/proc/1/status").out
        assert re.search(r"^CapEff:\s+00000000aa0405fb$", status, re.M), status
    finally:
        p.d.berth("rm", "-f", "runpub", check=False)
    # Without --use-aliases a one-off container answers to no service alias.
    cid = p.compose("run", "-d", "web").out.strip()
    try:
        aliases = p.inspect(cid)["NetworkSettings"]["Networks"][f"{p.name}_back"]["Aliases"]
        assert "web" not in (aliases or []) and "webalias" not in (aliases or []), aliases
        assert p.inspect(cid)["HostConfig"]["PortBindings"] in ({}, None)
    finally:
        p.d.berth("rm", "-f", cid, check=False)
    r = p.compose("run", "--rm", "-T", "--service-ports", "-p", "18093:80", "web", "true",
                  check=False)
    assert (r.rc, r.err.strip()) == (1, "--service-ports and --publish are incompatible"), r
    r = p.compose("run", "--rm", "-T", "-p", "80:80:80", "web", "true", check=False)
    assert r.rc == 1 and "80:80:80" in r.err, r
    assert not [n for n in p.ids() if "-run-" in n]


def test_ctrl_c_stops_foreground_up(project):
    import signal
    import subprocess
    p = project
    p.write("compose.yaml", """
        services:
          a:
            image: busybox
            command: ["sh", "-c", "trap 'echo got TERM; exit 0' TERM; echo a ready; while :; do sleep 0.1; done"]
          b:
            image: busybox
            command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 0.1; done"]
        """)
    proc = subprocess.Popen([cc_berth(), "compose", "-p", p.name, "up"], cwd=p.path,
                            env=p.d.berth_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 30
        while time.time() < deadline:
            st = p.d.berth("ps", "--filter", f"name={p.name}-a-1", "--format", "{{.State}}").out
            if st.strip() == "running":
                break
            time.sleep(0.1)
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    out, err = out.decode(), err.decode()
    assert proc.returncode == 130, (out, err)
    assert "Gracefully stopping... (press Ctrl+C again to force)" in err
    assert re.search(rf"^{p.name}-a-1\s+\| got TERM$", out, re.M), out
    for n in ("a", "b"):
        assert not p.inspect(f"{p.name}-{n}-1")["State"]["Running"]


def cc_berth():
    from conftest import cc
    return cc.berth_path()


def test_other_verbs(project):
    p = project
    p.write("compose.yaml", """
        services:
          web:
            image: busybox
            command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 0.1; done"]
          old:
            image: busybox
            command: sleep 300
            init: true
        """)
    r = p.compose("create")
    assert f" Container {p.name}-web-1  Created" in r.err
    assert p.inspect(f"{p.name}-web-1")["State"]["Status"] == "created"
    p.compose("start")
    assert p.inspect(f"{p.name}-web-1")["State"]["Running"]
    p.compose("pause", "web")
    assert p.inspect(f"{p.name}-web-1")["State"]["Paused"]
    p.compose("unpause", "web")
    started = p.inspect(f"{p.name}-web-1")["State"]["StartedAt"]
    p.compose("restart", "web")
    assert p.inspect(f"{p.name}-web-1")["State"]["StartedAt"] != started
    p.compose("stop", "web")
    assert p.inspect(f"{p.name}-web-1")["State"]["Status"] == "exited"
    assert p.compose("ps", "--status", "exited", "--services").out == "web\n"
    r = p.compose("rm", "-f")
    assert f" Container {p.name}-web-1  Removed" in r.err
    assert f"{p.name}-web-1" not in p.ids()
    p.compose("kill", "old")
    # kill returns once the signal is sent (as docker's); the exit follows.
    for _ in range(100):
        st = p.inspect(f"{p.name}-old-1")["State"]
        if not st["Running"]:
            break
        time.sleep(0.05)
    assert st["ExitCode"] == 137, st
    imgs = p.compose("images").out.splitlines()
    assert imgs[0].split() == ["CONTAINER", "REPOSITORY", "TAG", "IMAGE", "ID", "SIZE"]
    assert imgs[1].split()[:3] == [f"{p.name}-old-1", "busybox", "latest"]
    assert p.compose("version", "--short").out.strip()[0].isdigit()
    # Orphans: a service gone from the file is reported, and removed with --remove-orphans.
    p.write("compose.yaml", """
        services:
          web:
            image: busybox
            command: sleep 300
            init: true
        """)
    r = p.compose("up", "-d")
    assert "Found orphan containers" in r.err and f"{p.name}-old-1" in r.err
    p.compose("up", "-d", "--remove-orphans")
    assert f"{p.name}-old-1" not in p.ids()
    # Coloured prefixes on demand.
    out = p.raw("-p", p.name, "--ansi", "always", "logs").out
    assert "\x1b[36m" in out or out == ""


def test_secrets_configs_networks(project):
    p = project
    p.write("token.txt", "s3cret\n")
    p.d.berth("network", "create", f"{p.name}-ext")
    try:
        p.write("compose.yaml", f"""
            services:
              web:
                image: busybox
                command: sleep 300
                init: true
                secrets:
                  - token
                  - source: fromenv
                    target: renamed
                configs:
                  - app_conf
                networks:
                  front:
                    aliases: [www]
                  back:
                  outside:
                tmpfs: [/scratch]
                extra_hosts: ["myhost:10.9.8.7"]
                ulimits:
                  nofile: {{soft: 1024, hard: 2048}}
                sysctls:
                  net.ipv4.ip_unprivileged_port_start: "80"
                working_dir: /tmp
                user: "65534"
              peer:
                image: busybox
                command: sleep 300
                init: true
                networks: [front]
            networks:
              front:
              back:
                internal: true
              outside:
                external: true
                name: {p.name}-ext
            secrets:
              token:
                file: ./token.txt
              fromenv:
                environment: SECRET_FROM_ENV
            configs:
              app_conf:
                content: "setting=1"
            """)
        p.compose("up", "-d", env={"SECRET_FROM_ENV": "env-secret"})
        ex = lambda *a: p.compose("exec", "-T", "web", *a).out
        assert ex("cat", "/run/secrets/token") == "s3cret\n"
        assert ex("cat", "/run/secrets/renamed") == "env-secret"
        assert ex("cat", "/app_conf") == "setting=1"
        assert ex("pwd") == "/tmp\n" and ex("id", "-u") == "65534\n"
        assert "myhost" in ex("cat", "/etc/hosts")
        assert ex("sh", "-c", "ulimit -n") == "1024\n"
        assert ex("cat", "/proc/sys/net/ipv4/ip_unprivileged_port_start") == "80\n"
        assert "/scratch" in ex("cat", "/proc/mounts")
        nets = p.inspect(f"{p.name}-web-1")["NetworkSettings"]["Networks"]
        assert set(nets) == {f"{p.name}_front", f"{p.name}_back", f"{p.name}-ext"}
        assert "www" in (nets[f"{p.name}_front"]["Aliases"] or [])
        peer = p.compose("exec", "-T", "peer", "nslookup", "www").out
        assert nets[f"{p.name}_front"]["IPAddress"] in peer, peer
        back = json.loads(p.d.berth("network", "inspect", f"{p.name}_back").out)[0]
        assert back["Internal"] is True
        assert back["Labels"]["com.docker.compose.network"] == "back"
        p.compose("down", "-t", "1")
        # The external network stays.
        assert p.d.berth("network", "inspect", f"{p.name}-ext", check=False).rc == 0
        assert nets_of(p) == []
    finally:
        p.compose("down", "-t", "1", check=False)
        p.d.berth("network", "rm", f"{p.name}-ext", check=False)


def nets_of(p):
    out = p.d.berth("network", "ls", "--format", "{{.Name}}").out.split()
    return [n for n in out if n.startswith(p.name + "_")]


def test_restart_true_follows_a_recreated_dependency(project):
    p = project
    p.write("compose.yaml", """
        services:
          db:
            image: busybox
            command: sleep 300
            init: true
            environment: {V: "${V:-1}"}
          web:
            image: busybox
            command: sleep 300
            init: true
            depends_on:
              db:
                condition: service_started
                restart: true
          other:
            image: busybox
            command: sleep 300
            init: true
            depends_on: [db]
        """)
    p.compose("up", "-d")
    before = {n: p.inspect(f"{p.name}-{n}-1")["State"]["StartedAt"] for n in ("web", "other")}
    ids = p.ids()
    r = p.compose("up", "-d", env={"V": "2"})
    assert f" Container {p.name}-db-1  Recreate" in r.err
    assert f" Container {p.name}-web-1  Restarting" in r.err
    after = p.ids()
    # web kept its container but was restarted; other (no restart: true) was left alone.
    assert after[f"{p.name}-web-1"] == ids[f"{p.name}-web-1"]
    assert p.inspect(f"{p.name}-web-1")["State"]["StartedAt"] != before["web"]
    assert p.inspect(f"{p.name}-other-1")["State"]["StartedAt"] == before["other"]


def test_network_mode_service_follows_a_recreated_service(project):
    p = project
    p.write("compose.yaml", """
        services:
          net:
            image: busybox
            command: sleep 300
            init: true
            environment: {V: "${V:-1}"}
          side:
            image: busybox
            command: sleep 300
            init: true
            network_mode: service:net
        """)
    def netns(name):
        return os.readlink(f"/proc/{p.inspect(name)['State']['Pid']}/ns/net")

    p.compose("up", "-d")
    ids = p.ids()
    mode = p.inspect(f"{p.name}-side-1")["HostConfig"]["NetworkMode"]
    assert mode == f"container:{p.name}-net-1"
    assert netns(f"{p.name}-side-1") == netns(f"{p.name}-net-1")
    # Unchanged: both kept.
    p.compose("up", "-d")
    assert p.ids() == ids
    # net recreated: side's namespace went with the old container, so side is recreated and
    # joins the new one.
    r = p.compose("up", "-d", env={"V": "2"})
    assert f" Container {p.name}-net-1  Recreate" in r.err
    assert f" Container {p.name}-side-1  Recreate" in r.err
    after = p.ids()
    assert after[f"{p.name}-side-1"] != ids[f"{p.name}-side-1"]
    assert p.inspect(f"{p.name}-side-1")["State"]["Running"]
    assert netns(f"{p.name}-side-1") == netns(f"{p.name}-net-1")


def test_no_deps_and_wait_timeout(project):
    p = project
    p.write("compose.yaml", """
        services:
          db:
            image: busybox
            command: sleep 300
            init: true
          slow:
            image: busybox
            command: sleep 300
            init: true
            healthcheck:
              test: ["CMD", "false"]
              interval: 5s
          web:
            image: busybox
            command: sleep 300
            init: true
            depends_on: [db]
        """)
    p.compose("up", "-d", "--no-deps", "web")
    assert set(p.ids()) == {f"{p.name}-web-1"}
    start = time.time()
    r = p.compose("up", "-d", "--wait", "--wait-timeout", "1", "slow", check=False)
    assert r.rc == 1 and "timeout waiting" in r.err, r
    assert time.time() - start < 10


def test_parallel_limit_one_goes_one_by_one(project):
    p = project
    p.write("compose.yaml", """
        services:
          w:
            image: busybox
            command: sleep 300
            init: true
            deploy: {replicas: 3}
        """)
    r = p.compose("--parallel", "1", "up", "-d")
    # One worker: each container's lines come together, numbers in order.
    lines = [l.split() for l in r.err.splitlines() if l.split()[:1] == ["Container"]]
    seq = [(l[1], l[2]) for l in lines]
    names = [n for n, _ in seq]
    firsts = [names.index(f"{p.name}-w-{i}") for i in (1, 2, 3)]
    lasts = [len(names) - 1 - names[::-1].index(f"{p.name}-w-{i}") for i in (1, 2, 3)]
    assert firsts == sorted(firsts)
    assert lasts[0] < firsts[1] and lasts[1] < firsts[2], r.err
    assert len(p.ids()) == 3
    # COMPOSE_PARALLEL_LIMIT is read the same way (down stops them one by one).
    r = p.compose("down", env={"COMPOSE_PARALLEL_LIMIT": "1"})
    assert r.returncode == 0
    assert p.ids() == {}
