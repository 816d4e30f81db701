"""Raw HTTP against berthd: versions, errors, headers, the socket, config handling."""

import os
import stat
import subprocess

import pytest

from conftest import berthd_path, destroy_daemon, make_daemon


def test_ping_get_and_head(daemon):
    r = daemon.api("GET", "/_ping")
    assert r.status == 200 and r.body == b"OK"
    for h in ("api-version", "docker-experimental", "ostype", "builder-version",
              "cache-control", "pragma", "server"):
        assert h in r.headers, h
    assert r.headers["api-version"] == "1.50"
    assert r.headers["cache-control"] == "no-cache, no-store, must-revalidate"
    r = daemon.api("HEAD", "/_ping")
    assert r.status == 200 and r.body == b""
    assert r.headers["api-version"] == "1.50"
    r = daemon.api("GET", "/v1.41/_ping")
    assert r.status == 200


def test_versions(daemon):
    assert daemon.api("GET", "/v1.50/version").json()["ApiVersion"] == "1.50"
    assert daemon.api("GET", "/v1.44/info").status == 200
    r = daemon.api("GET", "/v1.99/version")
    assert r.status == 400
    assert r.json()["message"] == ("client version 1.99 is too new. Maximum supported API "
                                   "version is 1.50")
    r = daemon.api("GET", "/v1.12/version")
    assert r.status == 400 and "is too old" in r.json()["message"]
    r = daemon.api("GET", "/nosuchpath")
    assert r.status == 404 and r.json()["message"] == "page not found"
    # every response carries the server headers
    assert "api-version" in r.headers and "server" in r.headers


def test_errors(daemon):
    r = daemon.api("POST", "/networks/create", body=b"{not json",
                   headers={"Content-Type": "application/json"})
    assert r.status == 400 and "invalid JSON" in r.json()["message"]
    r = daemon.api("POST", "/containers/create", body=b"[1,2",
                   headers={"Content-Type": "application/json"})
    assert r.status == 400 and r.json()["message"]
    r = daemon.api("GET", "/images/nosuch:tag/json")
    assert r.status == 404 and r.json()["message"] == "No such image: nosuch:tag"
    r = daemon.api("GET", "/images/json?filters=%7B%22bogus%22%3A%5B%22x%22%5D%7D")
    assert r.status == 400 and r.json()["message"] == "invalid filter 'bogus'"
    # both filter forms are accepted
    assert daemon.api("GET", "/images/json?filters=%7B%22dangling%22%3A%7B%22true%22%3Atrue%7D%7D").status == 200
    assert daemon.api("GET", "/images/json?filters=%7B%22dangling%22%3A%5B%22true%22%5D%7D").status == 200
    r = daemon.api("GET", "/networks/nosuchnet")
    assert r.status == 404


def test_metrics(daemon):
    daemon.api("GET", "/_ping")
    r = daemon.api("GET", "/metrics")
    assert r.status == 200
    text = r.body.decode()
    assert "berth_api_request_duration_seconds_bucket" in text
    assert 'berth_api_requests_total{method="GET",code="200"}' in text


def test_socket_mode(daemon):
    st = os.stat(daemon.sock)
    assert stat.S_ISSOCK(st.st_mode)
    assert stat.S_IMODE(st.st_mode) == 0o660
    assert st.st_uid == 0


def test_config_file_errors(tmp_path):
    cfg = tmp_path / "daemon.json"
    cfg.write_text('{"data-root": "/x", "bogus-key": 1}')
    r = subprocess.run([berthd_path(), "--config-file", str(cfg)], capture_output=True, text=True)
    assert r.returncode != 0
    assert "don't match any configuration option: bogus-key" in r.stderr
    cfg.write_text('{"data-root": "/x"}')
    r = subprocess.run([berthd_path(), "--config-file", str(cfg), "--data-root", "/y"],
                       capture_output=True, text=True)
    assert r.returncode != 0 and "both as a flag and in the configuration file" in r.stderr
    r = subprocess.run([berthd_path(), "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "--data-root" in r.stdout


def test_config_file_applies(tmp_path):
    d = make_daemon(tmp_path, daemon_json={"insecure-registries": ["10.9.9.9:5000"],
                                           "log-opts": {"max-size": "10m", "max-file": "3"}})
    try:
        info = d.api("GET", "/info").json()
        assert "10.9.9.9:5000" in info["RegistryConfig"]["IndexConfigs"]
        assert info["RegistryConfig"]["IndexConfigs"]["10.9.9.9:5000"]["Secure"] is False
    finally:
        destroy_daemon(d)


def test_graceful_stop(daemon):
    daemon.stop()
    assert daemon.proc.returncode == 0, daemon.logs()
    assert not os.path.exists(daemon.sock)
