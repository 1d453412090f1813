"""The kiosk server without a browser: real HTTP on a real socket, a real device home."""

from __future__ import annotations

import ast
import http.client
import io
import json
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import BUS_VENUE, card_image, jpeg, log_rows, save_bundle
from huicui_verifier.cli import main
from huicui_verifier.device import DeviceHome
from huicui_verifier.kiosk import Kiosk, make_server
from huicui_verifier.kiosk.debounce import RecentCodes
from huicui_verifier.kiosk.server import MAX_FRAME_BYTES, MAX_SCAN_BYTES
from PIL import Image


class FakeMonotonic:
    """A monotonic clock the test moves by hand (the debounce window)."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


class Running:
    """A kiosk server on a free port in this process, and a small HTTP client for it."""

    def __init__(self, home: Path, **kiosk_args) -> None:
        self.home = home
        self.mono = FakeMonotonic()
        self.kiosk = Kiosk(DeviceHome(home), monotonic=self.mono, **kiosk_args)
        self.server = make_server(self.kiosk, "127.0.0.1", 0)
        self.port = self.server.port
        self.host = f"127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request(method, path, body=body, headers={"Host": self.host, **(headers or {})})
            res = conn.getresponse()
            data = res.read()
            return res.status, dict(res.getheaders()), data
        finally:
            conn.close()

    def json(self, method, path, body=None, headers=None):
        status, head, data = self.request(method, path, body, headers)
        assert head["Content-Type"].startswith("application/json"), head
        assert head["Cache-Control"] == "no-store"
        return status, json.loads(data)

    def frame(self, data: bytes, ctype: str = "image/jpeg"):
        return self.json("POST", "/api/frame", data, {"Content-Type": ctype})

    def scan(self, text: str):
        body = json.dumps({"text": text}).encode()
        return self.json("POST", "/api/scan", body, {"Content-Type": "application/json"})

    def raw(self, data: bytes) -> bytes:
        """Send raw bytes, return the whole answer (for requests http.client will not make)."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as s:
            s.sendall(data)
            chunks = []
            while True:
                try:
                    chunk = s.recv(65536)
                except ConnectionResetError:
                    break
                if not chunk:
                    break
                chunks.append(chunk)
        return b"".join(chunks)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)
        assert not self.thread.is_alive()


@pytest.fixture
def kiosk(home):
    running = Running(home)
    yield running
    running.stop()


# --- decisions from frames ----------------------------------------------------------------


def test_frame_with_a_card_is_decided_and_durable_before_the_answer(kiosk, live, gen, home):
    status, d = kiosk.frame(jpeg(card_image(live.cert())))
    assert status == 200
    assert d["state"] == "decision" and d["accepted"] is True and d["repeat"] is False
    assert d["reason"] == "ok" and d["name"] == "李晓明" and d["id_last4"] == "123X"
    assert d["benefit_name_zh"] == "市内公交免费" and d["effect_zh"] == "免费"
    assert d["staff_check_zh"] == "核对姓名与证件后四位"
    # Nothing beyond name and last four: no certificate id, key id or raw text.
    assert not {"cti", "kid", "text", "cert_exp"} & d.keys()
    assert gen.CTI.hex() not in json.dumps(d)
    # The answer came back: the record is already on disk.
    assert log_rows(home, gen.CTI) == [("accept", "ok")]


def test_frame_without_a_code(kiosk, home):
    status, d = kiosk.frame(jpeg(card_image(None)))
    assert (status, d) == (200, {"state": "no_code_found"})
    assert log_rows(home) == []
    assert kiosk.kiosk.status()["counters"]["no_code"] == 1


def test_png_frame_is_read_too(kiosk, live):
    buf = io.BytesIO()
    card_image(live.cert()).save(buf, format="PNG")
    status, d = kiosk.frame(buf.getvalue(), "image/png")
    assert status == 200 and d["accepted"] is True


def test_same_card_again_is_a_repeat_not_a_second_redemption(kiosk, live, gen, home):
    frame = jpeg(card_image(live.cert()))
    _, first = kiosk.frame(frame)
    for step in (2.0, 8.0, 9.9):  # the window slides while the card stays in view
        kiosk.mono.t += step
        status, again = kiosk.frame(frame)
        assert status == 200 and again["repeat"] is True
        assert again["seq"] == first["seq"] and again["accepted"] is True
    # Typed by a scanner, the same code is the same card.
    _, typed = kiosk.scan(live.cert())
    assert typed["repeat"] is True and typed["seq"] == first["seq"]
    assert log_rows(home, gen.CTI) == [("accept", "ok")]

    kiosk.mono.t += 10.5  # out of sight for longer than the window: a new visit
    _, later = kiosk.frame(frame)
    assert later["repeat"] is False and later["seq"] == first["seq"] + 1
    assert log_rows(home, gen.CTI) == [("accept", "ok"), ("accept", "ok")]


def test_repeat_does_not_hide_a_newer_bundle(kiosk, live, gen, home):
    cert = live.cert(cti=bytes.fromhex("5555555555555555"))
    _, first = kiosk.scan(cert)
    assert first["accepted"] is True
    # A sync beside the kiosk brings a bundle that revokes this card.
    revoked = sorted([gen.REVOKED_CTI, bytes.fromhex("5555555555555555")])
    save_bundle(home, live.bundle(version=8, revoked=gen.revocations.pack(revoked)))
    _, again = kiosk.scan(cert)
    assert again["repeat"] is False and again["accepted"] is False
    assert again["reason"] == "revoked"
    assert again["reason_zh"] == "证书已被撤销" and again["reason_en"] == "Certificate revoked"
    assert kiosk.kiosk.status()["version"] == 8


def test_revoked_card_by_frame(kiosk, live, gen, home):
    _, d = kiosk.frame(jpeg(card_image(live.cert(cti=gen.REVOKED_CTI))))
    assert d["accepted"] is False and d["reason"] == "revoked"
    assert log_rows(home, gen.REVOKED_CTI) == [("refuse", "revoked")]


def test_recent_codes_window_and_cap():
    recent: RecentCodes[str] = RecentCodes(10.0, max_entries=3)
    recent.remember("a", "A", 0.0)
    assert recent.seen("a", 9.0) == "A"
    assert recent.seen("a", 18.0) == "A"  # refreshed at 9
    assert recent.seen("a", 28.1) is None
    for i, key in enumerate("wxyz"):
        recent.remember(key, key.upper(), 100.0 + i)
    assert recent.seen("w", 104.0) is None  # the oldest went when a fourth came
    assert recent.seen("z", 104.0) == "Z"


# --- bad input -----------------------------------------------------------------------------


def test_not_an_image_is_a_clear_error_and_the_kiosk_keeps_working(kiosk, live):
    for body in (b"hello", b"\xff\xd8\xff\xe0" + b"\x00" * 50, b""):
        status, d = kiosk.frame(body)
        assert status == 400 and d["error"] == "unreadable_image", body
        assert d["message_zh"] and d["message_en"]
    gif = io.BytesIO()
    Image.new("L", (10, 10)).save(gif, format="GIF")
    status, d = kiosk.frame(gif.getvalue())
    assert status == 400 and d["error"] == "unreadable_image"
    status, d = kiosk.frame(jpeg(card_image(live.cert())))
    assert status == 200 and d["accepted"] is True


def test_huge_dimensions_are_refused_before_decoding(kiosk):
    buf = io.BytesIO()
    Image.new("L", (5000, 8)).save(buf, format="PNG")
    status, d = kiosk.frame(buf.getvalue(), "image/png")
    assert status == 400 and d["error"] == "image_too_large"


def test_body_caps(kiosk):
    # Declared too large: refused without reading it, connection closed.
    answer = kiosk.raw(
        (
            f"POST /api/frame HTTP/1.1\r\nHost: {kiosk.host}\r\nContent-Type: image/jpeg\r\n"
            f"Content-Length: {MAX_FRAME_BYTES + 1}\r\n\r\n"
        ).encode()
        + b"\xff" * 1024
    )
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413") and b"no-store" in head
    assert json.loads(body)["error"] == "too_large"

    status, d = kiosk.json(
        "POST",
        "/api/scan",
        b'{"text": "' + b"A" * MAX_SCAN_BYTES + b'"}',
        {"Content-Type": "application/json"},
    )
    assert status == 413 and d["error"] == "too_large"

    answer = kiosk.raw(
        f"POST /api/scan HTTP/1.1\r\nHost: {kiosk.host}\r\n"
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n".encode()
    )
    assert answer.startswith(b"HTTP/1.1 411")


def test_scan_text_errors_and_garbage(kiosk, home):
    status, d = kiosk.scan("garbage <script>")
    assert status == 200 and d["accepted"] is False and d["reason"] == "malformed"
    assert d["name"] is None
    status, d = kiosk.scan("   ")
    assert status == 400 and d["error"] == "empty_text"
    status, d = kiosk.json("POST", "/api/scan", b"{nope", {"Content-Type": "application/json"})
    assert status == 400 and d["error"] == "bad_json"
    status, d = kiosk.json("POST", "/api/scan", b'["x"]', {"Content-Type": "application/json"})
    assert status == 400 and d["error"] == "bad_json"
    status, d = kiosk.json("POST", "/api/scan", b"\xff\xfe", {"Content-Type": "application/json"})
    assert status == 400 and d["error"] == "bad_json"
    status, d = kiosk.json("POST", "/api/scan", b"HB1:X", {"Content-Type": "text/plain"})
    assert status == 415 and d["error"] == "unsupported_media_type"
    status, d = kiosk.json("GET", "/api/scan")
    assert status == 405
    status, d = kiosk.json("DELETE", "/api/status")
    assert status == 405
    assert log_rows(home) == [("refuse", "malformed")]


# --- who may talk to the kiosk -----------------------------------------------------------


def test_host_header_must_be_the_bound_host(kiosk, live, home):
    for host in ("evil.example", f"evil.example:{kiosk.port}", "127.0.0.1:1", "127.0.0.1"):
        for method, path, body, ctype in (
            ("GET", "/", None, None),
            ("GET", "/api/status", None, None),
            ("POST", "/api/scan", json.dumps({"text": live.cert()}).encode(), "application/json"),
        ):
            headers = {"Host": host, **({"Content-Type": ctype} if ctype else {})}
            status, d = kiosk.json(method, path, body, headers)
            assert status == 403 and d["error"] == "bad_host", (host, path)
    assert log_rows(home) == []
    # A request with no Host at all (HTTP/1.0) is refused too.
    answer = kiosk.raw(b"GET /api/status HTTP/1.0\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 403") and b"bad_host" in answer
    # On loopback, localhost names the same place.
    status, d = kiosk.json("GET", "/api/status", headers={"Host": f"localhost:{kiosk.port}"})
    assert status == 200 and d["state"] == "ready"


def test_posts_from_another_site_are_refused(kiosk, live, home):
    body = json.dumps({"text": live.cert()}).encode()
    for headers in (
        {"Origin": "http://evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
    ):
        status, d = kiosk.json(
            "POST", "/api/scan", body, {"Content-Type": "application/json", **headers}
        )
        assert status == 403 and d["error"] == "bad_origin", headers
    assert log_rows(home) == []
    status, d = kiosk.json(
        "POST",
        "/api/scan",
        body,
        {
            "Content-Type": "application/json",
            "Origin": f"http://{kiosk.host}",
            "Sec-Fetch-Site": "same-origin",
        },
    )
    assert status == 200 and d["accepted"] is True


def test_wildcard_address_is_refused(home):
    k = Kiosk(DeviceHome(home))
    for host in ("0.0.0.0", "::", ""):
        with pytest.raises(ValueError, match="every address"):
            make_server(k, host, 0)


# --- the page and its assets ---------------------------------------------------------------


def test_page_and_assets_are_served_from_the_package(kiosk):
    status, head, page = kiosk.request("GET", "/")
    assert status == 200 and head["Content-Type"].startswith("text/html")
    assert head["Cache-Control"] == "no-store"
    assert "default-src 'none'" in head["Content-Security-Policy"]
    text = page.decode()
    assert 'lang="zh-CN"' in text and 'role="status"' in text and 'aria-live="polite"' in text
    assert 'id="wedge"' in text and "autofocus" in text
    assert "请出示二维码" in text and "Show your QR code" in text
    for name, ctype in (("kiosk.js", "text/javascript"), ("kiosk.css", "text/css")):
        status, head, _ = kiosk.request("GET", f"/static/{name}")
        assert status == 200 and head["Content-Type"].startswith(ctype)
    for path in ("/static/server.py", "/static/../server.py", "/static/", "/nope"):
        status, head, body = kiosk.request("GET", path)
        assert status == 404 and json.loads(body)["error"] == "not_found", path


def test_assets_load_nothing_from_outside():
    static = Path(__import__("huicui_verifier.kiosk").kiosk.__file__).parent / "static"
    for path in static.iterdir():
        text = path.read_text("utf-8")
        for needle in ("http://", "https://", "//cdn", "@import", "url("):
            assert needle not in text, f"{path.name} refers to {needle}"


def test_kiosk_package_imports_neither_core_nor_plugins():
    package = Path(__import__("huicui_verifier.kiosk").kiosk.__file__).parent
    allowed = set(sys.stdlib_module_names) | {"PIL", "huicui_verifier", "__future__"}
    for path in package.glob("*.py"):
        tree = ast.parse(path.read_text("utf-8"))
        assert ast.get_docstring(tree), path.name
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] in allowed, f"{path.name} imports {name}"
    assert "http.server" in (package / "server.py").read_text()


# --- status ------------------------------------------------------------------------------


def test_status_shows_the_bundles_age_and_fail_mode(kiosk, live):
    status, s = kiosk.json("GET", "/api/status")
    assert status == 200 and s["state"] == "ready"
    assert s["version"] == 7 and s["stale"] is False
    assert 86400 <= s["age_seconds"] < 86400 + 120
    # Freshness is when the device took the bundle (the fixture loads it as a file would).
    assert s["checked_source"] == "file" and 0 <= s["checked_age_seconds"] < 120
    assert s["fail_mode"] == "open" and s["fail_mode_zh"] and s["fail_mode_en"]
    assert s["venue_zh"] == "3路公交" and s["program_zh"] == "荟萃北海"


def test_status_of_a_stale_bundle_and_of_no_bundle(tmp_path, live, gen):
    stale_home = tmp_path / "stale"
    stale_home.mkdir()
    save_bundle(stale_home, live.bundle(venue={**BUS_VENUE, "fail_mode": "closed"}))
    # Eight days on, the heartbeat it holds (valid six days) no longer vouches for it.
    later = gen.at(live.now + 8 * gen.DAY)
    s = Kiosk(DeviceHome(stale_home), clock=lambda: later).status()
    assert s["state"] == "ready" and s["stale"] is True and s["fail_mode"] == "closed"

    empty = tmp_path / "empty"
    empty.mkdir()
    running = Running(empty)
    try:
        status, s = running.json("GET", "/api/status")
        assert status == 200 and s["state"] == "no_bundle"
        assert s["message_zh"] == "本设备尚未加载核验数据"
        status, d = running.scan(live.cert())
        assert status == 409 and d["error"] == "no_bundle"
        status, d = running.frame(jpeg(card_image(live.cert())))
        assert status == 409 and d["error"] == "no_bundle"
        assert not (empty / "log.sqlite").exists() or log_rows(empty) == []
    finally:
        running.stop()


def test_tampered_bundle_is_reported_not_used(kiosk, home, live):
    data = bytearray((home / "profile.cbor").read_bytes())
    data[-1] ^= 1  # the signature no longer verifies
    (home / "profile.cbor").write_bytes(bytes(data))
    status, s = kiosk.json("GET", "/api/status")
    assert s["state"] == "bundle_error" and s["code"] == "bad_signature"
    status, d = kiosk.scan(live.cert())
    assert status == 409 and d["error"] == "bundle_error"


def test_benefit_option(home, live):
    k = Kiosk(DeviceHome(home), benefit="bus")
    assert k.status()["benefit"]["code"] == 3
    with pytest.raises(ValueError):
        Kiosk(DeviceHome(home), benefit="no-such-benefit")
    running = Running(home, benefit="ferry")  # held by the holder, not honored here
    try:
        _, d = running.scan(live.cert())
        assert d["accepted"] is False and d["reason"] == "not_honored"
    finally:
        running.stop()


# --- the command ---------------------------------------------------------------------------


def test_cli_kiosk_help_and_refusals(capsys, home):
    with pytest.raises(SystemExit):
        main(["kiosk", "--help"])
    out = capsys.readouterr().out
    assert "--open" in out and "--benefit" in out and "示例" in out
    assert main(["--home", str(home), "kiosk", "--host", "0.0.0.0", "--port", "0"]) == 2
    assert "every address" in capsys.readouterr().err
    assert main(["--home", str(home), "kiosk", "--benefit", "nope", "--port", "0"]) == 2
    assert "unknown benefit" in capsys.readouterr().err


def test_cli_kiosk_process_serves_and_refuses_a_taken_port(home, live, gen, start_kiosk):
    k = start_kiosk(home)
    assert k.url.startswith("http://127.0.0.1:")
    s = k.get("/api/status")
    assert s["state"] == "ready" and s["version"] == 7
    port = k.url.rsplit(":", 1)[1].strip("/")
    taken = subprocess.run(
        [sys.executable, "-m", "huicui_verifier", "--home", str(home), "kiosk", "--port", port],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert taken.returncode == 2 and "端口" in taken.stderr


def test_malformed_request_gets_json_and_its_line_is_not_logged(kiosk, capsys):
    answer = kiosk.raw(b"GET HB1:SECRET-CODE-TEXT what HTTP/1.1\r\n\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400") and b"application/json" in head
    assert json.loads(body)["error"] == "bad_request"
    answer = kiosk.raw(b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 414") and b"bad_request" in answer
    assert "SECRET" not in capsys.readouterr().err


def test_live_phone_card_shows_its_age_counts_once_and_a_replay_is_refused(kiosk, live, gen, home):
    now = int(time.time())
    bound = gen.make_bound(iat=now - gen.DAY, exp=now + 300 * gen.DAY)
    first_code = gen.hb2.encode(bound, now - 3, gen.PHONE)
    _, d = kiosk.scan(first_code)
    assert d["accepted"] is True and d["card"] == "phone" and d["id_check"] is False
    assert 3 <= d["proof_age"] <= 60 and d["staff_check_en"].startswith("Live phone card")
    # The phone shows its next code while still in view: the same visit, not counted again.
    kiosk.mono.t += 5
    _, rotated = kiosk.scan(gen.hb2.encode(bound, now + 7, gen.PHONE))
    assert rotated["repeat"] is True and rotated["seq"] == d["seq"]
    assert log_rows(home, gen.CTI) == [("accept", "ok")]
    # Long after, the first code again (a recording): refused as a replay at this device.
    kiosk.mono.t += 60
    _, replay = kiosk.scan(first_code)
    assert replay["accepted"] is False and replay["reason"] == "replayed"
    assert log_rows(home, gen.CTI) == [("accept", "ok"), ("refuse", "replayed")]
    # A static card is named as such, so staff know which they looked at.
    kiosk.mono.t += 60
    _, paper = kiosk.scan(live.cert(cti=bytes.fromhex("4444444444444444")))
    assert paper["card"] == "static" and paper["proof_age"] is None
