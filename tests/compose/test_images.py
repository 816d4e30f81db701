"""compose build, push and pull through a local docker-registry, and compose images/down --rmi."""

from conftest import dc


def test_build_push_pull(project, tmp_path):
    p = project
    reg = dc.start_registry(p.d, tmp_path / "registry")
    try:
        ref = f"{reg.host}/h7/web:1"
        p.write("web/Dockerfile", """
            FROM busybox
            ARG GREETING=hello
            RUN echo "$GREETING from a compose build" > /greeting
            CMD ["cat", "/greeting"]
            """)
        p.write("compose.yaml", f"""
            services:
              web:
                image: {ref}
                build:
                  context: ./web
                  args:
                    GREETING: bonjour
              plain:
                image: busybox
            """)
        r = p.compose("build")
        assert " Service web  Built" in r.err
        out = p.d.berth("run", "--rm", ref).out
        assert out == "bonjour from a compose build\n"
        r = p.compose("push")
        assert " Service web  Pushed" in r.err
        p.d.berth("rmi", ref)
        r = p.compose("pull", "web")
        assert " Service web  Pulled" in r.err
        assert p.d.berth("run", "--rm", ref).out == "bonjour from a compose build\n"
        # up pulls a missing image with layer progress, unless --quiet-pull.
        p.write("compose.yaml", f"services:\n  web:\n    image: {ref}\n    command: sleep 60\n")
        for quiet in (False, True):
            p.d.berth("rmi", ref)
            r = p.compose("up", "-d", *(["--quiet-pull"] if quiet else []))
            assert f" Image {ref}  Pulling" in r.err and f" Image {ref}  Pulled" in r.err, r
            assert ("Pulling from h7/web" in r.err) != quiet, r
            p.compose("down", "-t", "0")
        # A missing tag is an error naming it.
        p.write("compose.yaml", f"services:\n  web:\n    image: {reg.host}/h7/nope:1\n")
        r = p.compose("pull", check=False)
        assert r.rc != 0 and "h7/nope" in r.err, r
    finally:
        dc.stop_registry(reg)
