"""berthd on TCP with --tlsverify: the docker CLI with a client certificate works, a client
without one is refused."""

import os
import socket
import ssl
import subprocess

import pytest

from conftest import destroy_daemon, free_port_in, make_daemon


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture
def pki(tmp_path):
    d = tmp_path / "pki"
    d.mkdir()
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=test-ca",
            "-keyout", "ca-key.pem", "-out", "ca.pem", cwd=d)
    (d / "server.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                                  "extendedKeyUsage=serverAuth\n")
    (d / "client.ext").write_text("extendedKeyUsage=clientAuth\n")
    for who in ("server", "client"):
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={who}",
                "-keyout", f"{who}-key.pem", "-out", f"{who}.csr", cwd=d)
        openssl("x509", "-req", "-in", f"{who}.csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem",
                "-CAcreateserial", "-days", "1", "-extfile", f"{who}.ext", "-out",
                f"{who}.pem", cwd=d)
    # the docker CLI's --tlsverify defaults: ca.pem, cert.pem, key.pem in DOCKER_CERT_PATH
    (d / "cert.pem").write_bytes((d / "client.pem").read_bytes())
    (d / "key.pem").write_bytes((d / "client-key.pem").read_bytes())
    return d


def test_tls_client_certificates(tmp_path, pki):
    d = make_daemon(tmp_path, start=False)
    try:
        port = free_port_in(d)
        d.extra_args = ["-H", f"tcp://127.0.0.1:{port}", "--tlsverify",
                        "--tlscacert", str(pki / "ca.pem"), "--tlscert", str(pki / "server.pem"),
                        "--tlskey", str(pki / "server-key.pem")]
        d.start()
        env = dict(d.env, DOCKER_HOST=f"tcp://127.0.0.1:{port}", DOCKER_TLS_VERIFY="1",
                   DOCKER_CERT_PATH=str(pki))
        # the CLI must run where the port is: the daemon's netns
        r = d.ns_run(["/usr/local/bin/docker", "version", "--format", "{{.Server.APIVersion}}"],
                     env=env, capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        assert r.stdout.strip() == "1.50"
        # without a client certificate the handshake fails
        script = (
            "import socket,ssl,sys\n"
            f"ctx=ssl.create_default_context(cafile='{pki / 'ca.pem'}')\n"
            f"s=socket.create_connection(('127.0.0.1',{port}))\n"
            "try:\n"
            "  t=ctx.wrap_socket(s,server_hostname='localhost')\n"
            "  t.sendall(b'GET /_ping HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n')\n"
            "  d=t.recv(100)\n"
            "  print('GOT', d)\n"
            "  sys.exit(0 if d else 3)\n"
            "except (ssl.SSLError, ConnectionResetError, OSError) as e:\n"
            "  print('REFUSED', e); sys.exit(3)\n")
        r = d.ns_run(["python3", "-c", script], capture_output=True, text=True, timeout=30)
        assert r.returncode == 3, r.stdout + r.stderr
        # the unix socket still works
        assert d.api("GET", "/_ping").status == 200
    finally:
        destroy_daemon(d)
