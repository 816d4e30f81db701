"""Helpers for the registry tests: OCI layouts built by hand (pushed with skopeo), a bearer token
server (RS256 JWTs whose x5c certificate is in the registry's rootcertbundle), and a throttling
TCP proxy that also records what clients asked for (Range headers)."""

import base64
import datetime
import gzip
import hashlib
import io
import json
import os
import re
import socket
import subprocess
import tarfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from conftest import free_port


# ---------------------------------------------------------------------------------------------
# OCI layouts

def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Layout:
    """An OCI image layout directory being written."""

    def __init__(self, path):
        self.path = Path(path)
        (self.path / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
        (self.path / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
        self.refs = []  # index.json entries

    def blob(self, data, media_type):
        d = sha256(data)
        (self.path / "blobs" / "sha256" / d[7:]).write_bytes(data)
        return {"mediaType": media_type, "digest": d, "size": len(data)}

    def layer(self, files, level=1):
        """files: {path: bytes}. Returns (descriptor, diff_id)."""
        raw = io.BytesIO()
        with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
            dirs = set()
            for name in sorted(files):
                parts = name.split("/")[:-1]
                for i in range(1, len(parts) + 1):
                    d = "/".join(parts[:i])
                    if d not in dirs:
                        dirs.add(d)
                        ti = tarfile.TarInfo(d)
                        ti.type = tarfile.DIRTYPE
                        ti.mode = 0o755
                        t.addfile(ti)
                data = files[name]
                ti = tarfile.TarInfo(name)
                ti.size = len(data)
                ti.mode = 0o755 if name.startswith("bin/") else 0o644
                t.addfile(ti, io.BytesIO(data))
        tar = raw.getvalue()
        gz = gzip.compress(tar, compresslevel=level, mtime=0)
        return self.blob(gz, "application/vnd.oci.image.layer.v1.tar+gzip"), sha256(tar)

    def image(self, layers, arch="amd64", os_="linux", cmd=None, labels=None):
        """layers: list of {path: bytes}. Returns the manifest descriptor (with platform)."""
        descs, diff_ids = [], []
        for files in layers:
            d, diff = self.layer(files)
            descs.append(d)
            diff_ids.append(diff)
        cfg = {
            "created": "2024-01-01T00:00:00Z",
            "architecture": arch,
            "os": os_,
            "config": {"Cmd": cmd or ["/bin/sh"], "Labels": labels or {}},
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "history": [{"created": "2024-01-01T00:00:00Z", "created_by": "test"}
                        for _ in layers],
        }
        cdesc = self.blob(json.dumps(cfg).encode(), "application/vnd.oci.image.config.v1+json")
        man = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
               "config": cdesc, "layers": descs}
        mdesc = self.blob(json.dumps(man).encode(), man["mediaType"])
        mdesc["platform"] = {"architecture": arch, "os": os_}
        mdesc["_layers"] = descs
        mdesc["_diff_ids"] = diff_ids
        mdesc["_config"] = cdesc
        return mdesc

    def index(self, manifests):
        clean = [{k: v for k, v in m.items() if not k.startswith("_")} for m in manifests]
        idx = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
               "manifests": clean}
        return self.blob(json.dumps(idx).encode(), idx["mediaType"])

    def tag(self, desc, name):
        entry = {k: v for k, v in desc.items() if not k.startswith("_") and k != "platform"}
        entry["annotations"] = {"org.opencontainers.image.ref.name": name}
        self.refs.append(entry)
        (self.path / "index.json").write_text(json.dumps(
            {"schemaVersion": 2, "manifests": self.refs}))


def skopeo_push(layout, tag, dest, all_=False, creds=None):
    argv = ["skopeo", "copy", "-q", "--preserve-digests", "--dest-tls-verify=false"]
    if all_:
        argv.append("--all")
    if creds:
        argv += ["--dest-creds", creds]
    argv += [f"oci:{layout.path}:{tag}", f"docker://{dest}"]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, f"{' '.join(argv)}: {r.stderr}"


def busybox_files():
    """A runnable busybox userland as layer files: {path: bytes} with applet symlinks left out
    (the shell is called as /bin/busybox sh)."""
    return {"bin/busybox": Path("/bin/busybox").read_bytes(),
            "etc/passwd": b"root:x:0:0:root:/root:/bin/sh\n",
            "etc/group": b"root:x:0:\n"}


# ---------------------------------------------------------------------------------------------
# A bearer token server

def _b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


class TokenServer:
    """The distribution token protocol: GET /token?service=..&scope=.. with Basic credentials.
    Valid users get the access they ask for; anonymous callers a token without access; wrong
    passwords a 401."""

    def __init__(self, tmp, users, service="berth-test", issuer="berth-test-issuer"):
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.x509.oid import NameOID

        self.users = users
        self.service = service
        self.issuer = issuer
        self.requests = []  # (user or None, [scopes])
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "berth-test-token")])
        now = datetime.datetime.now(datetime.timezone.utc)
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(days=1))
                .not_valid_after(now + datetime.timedelta(days=1))
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .sign(self.key, hashes.SHA256()))
        self.cert_der = cert.public_bytes(serialization.Encoding.DER)
        self.cert_path = Path(tmp) / "token-cert.pem"
        self.cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        self.port = free_port()
        self.realm = f"http://127.0.0.1:{self.port}/token"
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                u = urlparse(self.path)
                q = parse_qs(u.query)
                user = None
                h = self.headers.get("Authorization", "")
                if h.startswith("Basic "):
                    user, _, pw = base64.b64decode(h[6:]).decode().partition(":")
                    if server.users.get(user) != pw:
                        server.requests.append((user, q.get("scope", []), False))
                        return self._send(401, {"details": "incorrect username or password"})
                server.requests.append((user, q.get("scope", []), True))
                access = []
                if user:
                    for s in q.get("scope", []):
                        typ, name, actions = s.split(":")
                        access.append({"type": typ, "name": name,
                                       "actions": actions.split(",")})
                tok = server.token(user or "", access)
                self._send(200, {"token": tok, "access_token": tok, "expires_in": 300})

            def _send(self, code, obj):
                body = json.dumps(obj).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def token(self, sub, access):
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256",
                  "x5c": [base64.b64encode(self.cert_der).decode()]}
        claims = {"iss": self.issuer, "sub": sub, "aud": self.service, "exp": now + 300,
                  "nbf": now - 10, "iat": now, "jti": os.urandom(8).hex(), "access": access}
        signing = (_b64url(json.dumps(header).encode()) + "." +
                   _b64url(json.dumps(claims).encode()))
        sig = self.key.sign(signing.encode(), padding.PKCS1v15(), hashes.SHA256())
        return signing + "." + _b64url(sig)

    def registry_config(self):
        return f"""auth:
  token:
    realm: {self.realm}
    service: {self.service}
    issuer: {self.issuer}
    rootcertbundle: {self.cert_path}
"""

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


# ---------------------------------------------------------------------------------------------
# A throttling TCP proxy

class ThrottleProxy:
    """Forwards 127.0.0.1:port to target_port, the server->client direction at most `rate`
    bytes/s (None: unlimited). Counts bytes sent to clients and records Range headers seen."""

    def __init__(self, target_port, rate=None, strip_range=False):
        self.target = target_port
        self.rate = rate
        self.strip_range = strip_range  # drop Range headers: the server answers 200, not 206
        self.sent = 0
        self.ranges = []
        self.lock = threading.Lock()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.host = f"127.0.0.1:{self.port}"
        self.closed = False
        self.conns = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.closed:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            try:
                s = socket.create_connection(("127.0.0.1", self.target))
            except OSError:
                c.close()
                continue
            with self.lock:
                self.conns += [c, s]
            threading.Thread(target=self._up, args=(c, s), daemon=True).start()
            threading.Thread(target=self._down, args=(s, c), daemon=True).start()

    def _up(self, src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                for m in re.finditer(rb"(?im)^range:\s*bytes=(\d+)-", data):
                    with self.lock:
                        self.ranges.append(int(m.group(1)))
                if self.strip_range:
                    data = re.sub(rb"(?im)^range:[^\r\n]*\r\n", b"", data)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            self._close(src, dst)

    def _down(self, src, dst):
        start = time.monotonic()
        n = 0
        try:
            while True:
                data = src.recv(16384)
                if not data:
                    break
                dst.sendall(data)
                n += len(data)
                with self.lock:
                    self.sent += len(data)
                if self.rate:
                    ahead = n / self.rate - (time.monotonic() - start)
                    if ahead > 0:
                        time.sleep(ahead)
        except OSError:
            pass
        finally:
            self._close(src, dst)

    @staticmethod
    def _close(*socks):
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                s.close()
            except OSError:
                pass

    def stop(self):
        self.closed = True
        self.sock.close()
        with self.lock:
            conns = list(self.conns)
        self._close(*conns)
