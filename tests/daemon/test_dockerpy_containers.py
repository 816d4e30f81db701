"""docker-py 7.1 against berthd: containers.run (detached and not), logs (stream), exec_run,
wait, the attach socket, volumes."""

import socket
import time

import pytest

from conftest import find_docker_py, import_busybox

if not find_docker_py():
    pytest.fail("docker-py 7.1 is not installed (python3-docker or pip)", pytrace=False)
import docker  # noqa: E402


@pytest.fixture
def client(daemon, busybox_tar):
    import_busybox(daemon, busybox_tar)
    c = docker.DockerClient(base_url=daemon.host, version="auto", timeout=120)
    yield c
    c.close()


def test_run_logs_wait_exec(client):
    out = client.containers.run("busybox", ["sh", "-c", "echo hello; echo oops >&2"], remove=True,
                                stderr=True)
    assert b"hello" in out
    with pytest.raises(docker.errors.ContainerError) as ei:
        client.containers.run("busybox", ["sh", "-c", "exit 5"], remove=True)
    assert ei.value.exit_status == 5

    c = client.containers.run("busybox", ["sh", "-c", "for i in 1 2 3; do echo l$i; sleep 0.2; done"],
                              detach=True, name="pyc")
    lines = b"".join(c.logs(stream=True, follow=True))
    assert lines == b"l1\nl2\nl3\n"
    assert c.wait(timeout=30)["StatusCode"] == 0
    c.reload()
    assert c.status == "exited"
    c.remove()

    c = client.containers.run("busybox", ["sleep", "300"], detach=True, labels={"k": "v"})
    r = c.exec_run(["sh", "-c", "echo in-exec; exit 2"])
    assert r.exit_code == 2 and r.output == b"in-exec\n"
    r = c.exec_run(["sh", "-c", "echo $A"], environment={"A": "b"}, user="nobody")
    assert r.output == b"b\n"
    assert [x.id for x in client.containers.list(filters={"label": "k=v"})] == [c.id]
    c.kill()
    assert c.wait(timeout=30)["StatusCode"] == 137
    c.remove()


def test_attach_socket_and_volumes(client):
    v = client.volumes.create("pyvol", labels={"a": "b"})
    assert v.name == "pyvol" and client.volumes.get("pyvol").attrs["Labels"] == {"a": "b"}
    c = client.containers.create("busybox", ["sh", "-c", "read line; echo got:$line > /data/f; cat /data/f"],
                                 stdin_open=True, volumes={"pyvol": {"bind": "/data", "mode": "rw"}})
    s = c.attach_socket(params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1})
    sock = s._sock
    c.start()
    sock.sendall(b"ping\n")
    sock.shutdown(socket.SHUT_WR)
    data = b""
    end = time.monotonic() + 20
    sock.settimeout(5)
    while time.monotonic() < end:
        try:
            chunk = sock.recv(4096)
        except socket.timeout:
            break
        if not chunk:
            break
        data += chunk
    s.close()
    # Multiplexed frames: stream 1, then the payload.
    assert data[:1] == b"\x01" and data.endswith(b"got:ping\n"), data
    assert c.wait(timeout=30)["StatusCode"] == 0
    c.remove()
    assert [x.name for x in client.volumes.list()] == ["pyvol"]
    client.volumes.get("pyvol").remove()
    assert client.volumes.list() == []
