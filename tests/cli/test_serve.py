"""``huicui serve`` as a real process: links follow the port actually served."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from huicui.settings import ServerSettings
from huicui_test_support.live_server import free_port

BIN = Path(sys.executable).parent


class Served:
    """``huicui serve`` on a throw-away SQLite database, stopped at the end."""

    def __init__(self, tmp: Path, *args: str, **env: str) -> None:
        self.env = {**os.environ, "HUICUI_DATABASE_URL": f"sqlite:///{tmp / 'serve.sqlite3'}",
                    **env}
        self.tmp = tmp
        self.run("migrate")
        self.port = free_port()
        self.log = open(tmp / "serve.log", "wb")  # closed in stop()
        self.proc = subprocess.Popen(
            [str(BIN / "huicui"), "serve", "--port", str(self.port), *args],
            env=self.env, cwd=tmp, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True)
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=2):
                    break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise AssertionError("huicui serve did not start:\n" + self.output())
                time.sleep(0.2)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def run(self, *argv: str) -> str:
        done = subprocess.run([str(BIN / "huicui"), *argv], env=self.env, cwd=self.tmp,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def post(self, path: str, body: dict, token: str) -> dict:
        request = urllib.request.Request(
            self.url + path, data=json.dumps(body).encode(), method="POST",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as res:
            return json.loads(res.read())

    def output(self) -> str:
        return (self.tmp / "serve.log").read_text(errors="replace")

    def stop(self) -> None:
        import signal

        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self.log.close()


@pytest.fixture
def serve(tmp_path):
    started: list[Served] = []

    def start(*args: str, **env: str) -> Served:
        served = Served(tmp_path, *args, **env)
        started.append(served)
        return served

    yield start
    for served in started:
        served.stop()


def _enroll(served: Served) -> dict:
    admin = served.run("token", "create", "--role", "admin", "--name", "serve-test").strip()
    partner = served.post("/api/v1/partners", {"name_zh": "端口测试"}, admin)
    venue = served.post("/api/v1/venues", {"partner_id": partner["id"], "name_zh": "柜台",
                                           "kind": "counter"}, admin)
    return served.post("/api/v1/devices", {"venue_id": venue["id"], "name": "d1"}, admin)


def test_links_follow_the_port_served(serve):
    served = serve(HUICUI_SERVER_PUBLIC_URL="")
    enrolled = _enroll(served)
    assert f"--server {served.url} " in enrolled["command"]
    assert ":8000" not in enrolled["command"]
    assert f"{served.url}/schema" in served.output()
    assert "public_url" not in served.output()  # nothing to warn about


def test_a_public_url_on_another_port_is_warned_about(serve):
    served = serve(HUICUI_SERVER_PUBLIC_URL="http://127.0.0.1:8000")
    out = served.output()
    assert "server.public_url is http://127.0.0.1:8000" in out
    assert f"serves port {served.port}" in out
    # The setting still wins: behind a proxy only it knows the outside address.
    assert "--server http://127.0.0.1:8000 " in _enroll(served)["command"]


@pytest.mark.parametrize(("fields", "url", "warned"), [
    ({"port": 8100}, "http://127.0.0.1:8100", False),
    ({"host": "10.0.0.5", "port": 9000}, "http://10.0.0.5:9000", False),
    ({"host": "::1", "port": 9000}, "http://[::1]:9000", False),
    ({"host": "0.0.0.0", "port": 9000}, "http://127.0.0.1:9000", True),
    ({"port": 8100, "public_url": "http://localhost:8000/"}, "http://localhost:8000", True),
    ({"port": 8100, "public_url": "http://127.0.0.1:8100"}, "http://127.0.0.1:8100", False),
    ({"port": 80, "public_url": "http://127.0.0.1"}, "http://127.0.0.1", False),
    ({"port": 8000, "public_url": "https://huicui.beihai.gov.cn"},
     "https://huicui.beihai.gov.cn", False),
])
def test_base_url_and_its_warning(fields, url, warned):
    server = ServerSettings(**fields)
    assert server.base_url() == url
    assert (server.base_url_warning() is not None) is warned


@pytest.mark.parametrize("value", ["127.0.0.1:8000", "ftp://x", "https://"])
def test_a_malformed_public_url_stops_start_up(value):
    with pytest.raises(ValueError, match=r"server\.public_url"):
        ServerSettings(public_url=value)
