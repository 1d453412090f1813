"""The sync client against a small real HTTP server that implements the server contract:
Bearer device token, ``GET /api/v1/bundle`` with ETag/304, ``POST /api/v1/redemptions/sync``
idempotent by uuid, at most 500 records a batch."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import msgspec
import pytest
from huicui_verifier import bundle as B
from huicui_verifier.decide import decide
from huicui_verifier.device import DeviceHome
from huicui_verifier.records import MAX_BATCH, SyncRequest, SyncResponse
from huicui_verifier.revocations import pack
from huicui_verifier.sync import SyncError, enroll, sync, upload

TOKEN = "device-token-123"


class ContractServer:
    """Just enough of the Huicui server for a device."""

    def __init__(self, bundle_bytes: bytes, version: int) -> None:
        self.bundle, self.version = bundle_bytes, version
        self.records: dict[str, dict] = {}
        self.posts = 0
        self.batch_sizes: list[int] = []
        self.not_modified = 0
        self.drop: list[str] = []  # upcoming upload failures: "mid-upload" or "after-store"
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _authorized(self) -> bool:
                if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                    self.send_response(401)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return False
                return True

            def do_GET(self):
                if self.path != "/api/v1/bundle":
                    self.send_error(404)
                    return
                if not self._authorized():
                    return
                etag = f'"bundle-v{outer.version}"'
                if self.headers.get("If-None-Match") == etag:
                    outer.not_modified += 1
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/cbor")
                self.send_header("ETag", etag)
                self.send_header("Content-Length", str(len(outer.bundle)))
                self.end_headers()
                self.wfile.write(outer.bundle)

            def do_POST(self):
                if self.path != "/api/v1/redemptions/sync":
                    self.send_error(404)
                    return
                if not self._authorized():
                    return
                length = int(self.headers["Content-Length"])
                outer.posts += 1
                mode = outer.drop.pop(0) if outer.drop else None
                if mode == "mid-upload":
                    self.rfile.read(length // 2)  # the line goes down halfway through the body
                    self.close_connection = True
                    return
                req = msgspec.json.decode(self.rfile.read(length), type=SyncRequest)
                assert len(req.records) <= MAX_BATCH
                outer.batch_sizes.append(len(req.records))
                new = 0
                for rec in req.records:
                    if rec.uuid not in outer.records:
                        outer.records[rec.uuid] = msgspec.to_builtins(rec)
                        new += 1
                if mode == "after-store":  # stored, but the answer never reaches the device
                    self.close_connection = True
                    return
                body = msgspec.json.encode(
                    SyncResponse(received=len(req.records), new=new, known=len(req.records) - new)
                )
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def publish(self, bundle_bytes: bytes, version: int) -> None:
        self.bundle, self.version = bundle_bytes, version


@pytest.fixture
def server(live):
    s = ContractServer(live.bundle(), 7)
    s.thread.start()
    yield s
    s.httpd.shutdown()
    s.httpd.server_close()


def fill_log(home: DeviceHome, gen, live, count: int, *, start: int = 0) -> None:
    b = home.held_bundle(gen.at(live.now))
    with home.open_log() as log:
        for i in range(start, start + count):
            cert = live.cert(cti=(0xC0DE0000 + i).to_bytes(8, "big"))
            log.record(
                decide(
                    cert,
                    bundle=b,
                    benefit=None,
                    now=gen.at(live.now + i),
                    history_lookup=log.history,
                )
            )


def test_enroll_pins_the_key_after_fingerprint_check(server, home, gen, live):
    fp = B.fingerprint(gen.raw_key(gen.BUNDLE_SIGNER))
    h = DeviceHome(home)
    with pytest.raises(SyncError) as err:
        enroll(
            h,
            server.url,
            TOKEN,
            expected_fingerprint="0000-1111-2222-3333-4444-5555-6666-7777",
            now=gen.at(live.now),
        )
    assert err.value.code == "fingerprint_mismatch"
    assert h.pinned_key is None and h.token is None  # nothing kept
    with pytest.raises(SyncError) as err:
        enroll(h, server.url, "wrong-token", expected_fingerprint=fp, now=gen.at(live.now))
    assert err.value.code == "unauthorized"
    b = enroll(
        h, server.url + "/", TOKEN, expected_fingerprint=fp.replace("-", " "), now=gen.at(live.now)
    )
    assert b.version == 7 and h.pinned_key == gen.raw_key(gen.BUNDLE_SIGNER)
    assert h.token == TOKEN and (home / "token").stat().st_mode & 0o777 == 0o600
    assert h.state()["etag"] == '"bundle-v7"'


def test_sync_uploads_in_batches_then_uses_etag(server, home, gen, live):
    h = DeviceHome(home)
    enroll(h, server.url, TOKEN, expected_fingerprint=None, now=gen.at(live.now))
    fill_log(h, gen, live, 23)
    with h.open_log() as log:
        result = upload(log, server.url, TOKEN, batch_size=10, backoff=0)
        assert log.pending_count() == 0
    assert (result.sent, result.new, result.known, result.batches) == (23, 23, 0, 3)
    assert server.batch_sizes == [10, 10, 3]
    r = sync(h, now=gen.at(live.now), backoff=0)
    assert (r.upload.sent, r.bundle_updated, r.bundle_version) == (0, False, 7)
    assert server.not_modified == 1


def test_batch_size_never_exceeds_500(server, home, gen, live):
    h = DeviceHome(home)
    enroll(h, server.url, TOKEN, expected_fingerprint=None, now=gen.at(live.now))
    fill_log(h, gen, live, 3)
    with h.open_log() as log:
        result = upload(log, server.url, TOKEN, batch_size=10_000, backoff=0)
    assert result.sent == 3 and max(server.batch_sizes) <= MAX_BATCH


@pytest.mark.parametrize("failure", ["mid-upload", "after-store"])
def test_dropped_connection_is_retried_without_duplicates_or_loss(server, home, gen, live, failure):
    h = DeviceHome(home)
    enroll(h, server.url, TOKEN, expected_fingerprint=None, now=gen.at(live.now))
    fill_log(h, gen, live, 25)
    with h.open_log() as log:
        all_uuids = {r.uuid for r in log.pending(1000)}
    server.drop = [None, failure]  # the second batch's first attempt fails
    r = sync(h, now=gen.at(live.now), batch_size=10, backoff=0)
    assert r.upload.error is None and r.upload.remaining == 0 and r.upload.sent == 25
    assert set(server.records) == all_uuids  # nothing lost, nothing twice (dict keyed by uuid)
    assert server.posts == 1 + 2 + 1  # first batch, second batch twice, third batch
    expected_known = 10 if failure == "after-store" else 0
    assert r.upload.known == expected_known
    assert r.upload.new == 25 - expected_known
    stored = next(iter(server.records.values()))
    assert set(stored) == {
        "uuid",
        "cti",
        "benefit",
        "venue",
        "at",
        "decision",
        "reason",
        "companions",
        "bundle_version",
    }


def test_unreachable_server_keeps_records_pending(server, home, gen, live):
    h = DeviceHome(home)
    enroll(h, server.url, TOKEN, expected_fingerprint=None, now=gen.at(live.now))
    fill_log(h, gen, live, 4)
    server.drop = ["mid-upload"] * 3
    with h.open_log() as log:
        result = upload(log, server.url, TOKEN, attempts=3, backoff=0)
        assert result.sent == 0 and result.remaining == 4 and result.error
        assert log.pending_count() == 4
    r = sync(h, now=gen.at(live.now), backoff=0)
    assert r.upload.sent == 4 and len(server.records) == 4


def test_newer_bundle_is_taken_older_is_refused(server, home, gen, live):
    h = DeviceHome(home)
    enroll(h, server.url, TOKEN, expected_fingerprint=None, now=gen.at(live.now))
    server.publish(live.bundle(version=8, revoked=pack([gen.CTI])), 8)
    r = sync(h, now=gen.at(live.now))
    assert (r.bundle_updated, r.bundle_version) == (True, 8)
    assert h.held_bundle(gen.at(live.now)).version == 8
    server.publish(live.bundle(version=6), 6)
    with pytest.raises(SyncError) as err:
        sync(h, now=gen.at(live.now))
    assert err.value.code == "older_version"
    assert h.held_bundle(gen.at(live.now)).version == 8
    server.publish(live.bundle(version=9, signer=gen.OTHER_BUNDLE_SIGNER), 9)
    with pytest.raises(SyncError) as err:
        sync(h, now=gen.at(live.now))
    assert err.value.code == "wrong_key"


def test_sync_before_enrollment(home, gen, live):
    with pytest.raises(SyncError) as err:
        sync(DeviceHome(home), now=gen.at(live.now))
    assert err.value.code == "not_enrolled"


def test_cli_enroll_and_sync(server, home, gen, live, capsys):
    from huicui_verifier.cli import main

    code = main(["--home", str(home), "enroll", "--server", server.url, "--token", TOKEN])
    out = capsys.readouterr().out
    assert (
        code == 0 and B.fingerprint(gen.raw_key(gen.BUNDLE_SIGNER)) in out and "Compare it" in out
    )
    assert main(["--home", str(home), "check", "--text", live.cert()]) == 0
    capsys.readouterr()
    code = main(["--home", str(home), "sync"])
    out = capsys.readouterr().out
    assert code == 0 and "已上传 Uploaded: 1" in out and len(server.records) == 1
    code = main(["--home", str(home), "enroll", "--server", server.url, "--token", TOKEN])
    assert code == 2 and "already enrolled" in capsys.readouterr().err
