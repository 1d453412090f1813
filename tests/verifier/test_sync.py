"""The sync client against a small real HTTP server that implements the server contract:
Bearer device token, the published files under ``/api/v1/bundle/`` (heartbeat with
ETag/304, snapshot by hash, the device's own ``profile.cbor``), ``POST /api/v1/redemptions/sync``
idempotent by uuid, at most 500 records a batch (413), and a batch holding a bad record
refused whole with a 422 problem document naming each bad record's index, as
``core/huicui/sync/ingest.py`` answers."""

from __future__ import annotations

import hashlib
import threading
from collections import Counter
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

    def __init__(self, files, venue: int = 301) -> None:
        self.files: dict[str, bytes] = {}
        self.publish(files)
        self.venue = venue  # the venue the device token belongs to
        self.max_batch = MAX_BATCH
        self.refuse: dict[str, str] = {}  # uuid → problem the server finds in that record
        self.records: dict[str, dict] = {}
        self.stored = Counter()  # uuid → times it arrived in a batch the server accepted
        self.posts = 0
        self.batch_sizes: list[int] = []
        self.refusals: list[int] = []  # status of each refused batch (413, 422)
        self.not_modified = 0
        # upcoming upload failures: "mid-upload", "after-store", "500" or "bare-422"
        self.drop: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _problem(self, status: int, code: str, title: str, **extra) -> None:
                # The shape of huicui.errors.problem: RFC 9457 with title_zh and code.
                doc = {
                    "type": f"urn:huicui:problem:{code}",
                    "title": title,
                    "title_zh": extra.pop("title_zh", "请求有误"),
                    "status": status,
                    "code": code,
                    "detail": title,
                    **extra,
                }
                body = msgspec.json.encode(doc)
                self.send_response(status)
                self.send_header("Content-Type", "application/problem+json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _authorized(self) -> bool:
                if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                    self.send_response(401)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return False
                return True

            def do_GET(self):
                prefix = "/api/v1/bundle/"
                data = outer.files.get(self.path.removeprefix(prefix))
                if not self.path.startswith(prefix) or data is None:
                    self.send_error(404)
                    return
                if not self._authorized():
                    return
                etag = f'"{hashlib.sha256(data).hexdigest()[:16]}"'
                if self.headers.get("If-None-Match") == etag:
                    outer.not_modified += 1
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/cbor")
                self.send_header("ETag", etag)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

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
                if mode == "500":
                    self._problem(500, "internal_error", "Internal error")
                    return
                if mode == "bare-422":  # a refusal that names no record
                    self._problem(422, "invalid_input", "Invalid input")
                    return
                count = len(req.records)
                if count > outer.max_batch:
                    outer.refusals.append(413)
                    self._problem(
                        413,
                        "batch_too_large",
                        f"a batch holds at most {outer.max_batch} records, got {count}",
                        max_batch=outer.max_batch,
                        received=count,
                    )
                    return
                bad = []
                for index, rec in enumerate(req.records):
                    problems = []
                    if rec.venue != outer.venue:
                        problems.append(
                            f"venue: {rec.venue} is not this device's venue {outer.venue}"
                        )
                    if rec.uuid in outer.refuse:
                        problems.append(outer.refuse[rec.uuid])
                    if problems:
                        bad.append({"index": index, "uuid": rec.uuid[:64], "problems": problems})
                if bad:  # all or nothing: not even the good records are stored
                    outer.refusals.append(422)
                    listed = ", ".join(str(b["index"]) for b in bad[:20])
                    self._problem(
                        422,
                        "invalid_input",
                        f"records {listed} are invalid; nothing of this batch was stored",
                        title_zh=f"第 {listed} 条记录无效，整批未保存",
                        records=bad,
                    )
                    return
                outer.batch_sizes.append(count)
                new = 0
                for rec in req.records:
                    outer.stored[rec.uuid] += 1
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

    def publish(self, files) -> None:
        """Serve ``files`` (a BundleFiles) from now on; older snapshots stay."""
        for name, data in files.layout().items():
            self.files["profile.cbor" if name.startswith("profile/") else name] = data


@pytest.fixture
def server(live):
    s = ContractServer(live.files())
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
    assert (
        h.state()["heartbeat_etag"]
        == f'"{hashlib.sha256(server.files["heartbeat.cbor"]).hexdigest()[:16]}"'
    )


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
    assert server.not_modified == 2  # the heartbeat and the profile, both 304


def test_batch_size_never_exceeds_500(server, home, gen, live):
    h = DeviceHome(home)
    enroll(h, server.url, TOKEN, expected_fingerprint=None, now=gen.at(live.now))
    # More records than one batch may hold, and a caller asking for a larger batch still.
    count = MAX_BATCH * 2 + 7
    fill_log(h, gen, live, count)
    with h.open_log() as log:
        result = upload(log, server.url, TOKEN, batch_size=10_000, backoff=0)
    assert result.sent == count and len(server.records) == count
    assert server.batch_sizes == [MAX_BATCH, MAX_BATCH, 7]


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
    server.publish(live.files(version=8, revoked=pack([gen.CTI])))
    r = sync(h, now=gen.at(live.now))
    assert (r.bundle_updated, r.bundle_version) == (True, 8)
    assert h.held_bundle(gen.at(live.now)).version == 8
    server.publish(live.files(version=6))
    with pytest.raises(SyncError) as err:
        sync(h, now=gen.at(live.now))
    assert err.value.code == "older_version"
    assert h.held_bundle(gen.at(live.now)).version == 8
    server.publish(live.files(version=9, signer=gen.OTHER_BUNDLE_SIGNER))
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


# --- refusals: quarantine what the server names, split what is too large -------------

BUS_5 = {"id": 302, "kind": "bus", "name_zh": "5路公交", "name_en": "Bus line 5", "benefits": (3,)}


def fill_log_at(home: DeviceHome, gen, live, files, count: int, *, start: int):
    """Decisions made with another venue's bundle (as if loaded from a stick); their uuids."""
    b = B.open_bundle(
        files.snapshot, files.heartbeat, files.profile, pinned_key=gen.raw_key(gen.BUNDLE_SIGNER)
    )
    made = []
    with home.open_log() as log:
        for i in range(start, start + count):
            cert = live.cert(cti=(0xBAD00000 + i).to_bytes(8, "big"))
            d = decide(
                cert, bundle=b, benefit=None, now=gen.at(live.now + i), history_lookup=log.history
            )
            made.append(log.record(d).uuid)
    return made


def test_records_the_server_names_are_quarantined_and_the_rest_uploaded(
    server, home, gen, live, capsys
):
    from huicui_verifier.cli import main

    h = DeviceHome(home)
    enroll(h, server.url, TOKEN, expected_fingerprint=None, now=gen.at(live.now))
    fill_log(h, gen, live, 12)
    foreign = fill_log_at(h, gen, live, live.files(venue=BUS_5), 2, start=3)  # in batch 1
    with h.open_log() as log:
        good = {r.uuid for r in log.pending(100)} - set(foreign)
        odd = sorted(good)[5]
    server.refuse = {odd: "at: more than a day in the future, the device clock is wrong"}
    with h.open_log() as log:
        result = upload(log, server.url, TOKEN, batch_size=5, backoff=0)
        assert log.pending_count() == 0 and log.quarantined_count() == 3
        assert log.count() == 14  # quarantined records stay in the log
        kept = {r["uuid"]: r["quarantine_reason"] for r in log.recent(50, quarantined_only=True)}
    assert (result.quarantined, result.remaining, result.error) == (3, 0, None)
    assert (result.sent, result.new) == (11, 11)
    assert set(server.records) == good - {odd}
    assert set(server.stored.values()) == {1}  # every accepted record reached it once
    assert 422 in server.refusals
    assert set(kept) == {*foreign, odd}
    assert "venue: 302 is not this device's venue 301" in kept[foreign[0]]
    assert kept[odd].startswith("服务器拒收 / refused by the server: at: more than a day")

    posts = server.posts
    r = sync(h, now=gen.at(live.now), backoff=0)  # nothing left to send, nothing re-sent
    assert (r.upload.sent, r.upload.quarantined, server.posts) == (0, 0, posts)

    assert main(["--home", str(home), "status"]) == 0
    out = capsys.readouterr().out
    assert "待上传 pending upload: 0" in out and "已隔离 Quarantined: 3" in out
    assert main(["--home", str(home), "log", "--quarantined"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3 and all("已隔离 quarantined: 服务器拒收" in line for line in lines)
    assert main(["--home", str(home), "log", "--limit", "50"]) == 0
    out = capsys.readouterr().out
    assert out.count("已上传 uploaded") == 11 and out.count("已隔离 quarantined") == 3


def test_cli_sync_reports_quarantined_records(server, home, gen, live, capsys):
    from huicui_verifier.cli import main

    h = DeviceHome(home)
    enroll(h, server.url, TOKEN, expected_fingerprint=None, now=gen.at(live.now))
    fill_log(h, gen, live, 2)
    fill_log_at(h, gen, live, live.files(venue=BUS_5), 1, start=5)
    assert main(["--home", str(home), "sync"]) == 0
    out = capsys.readouterr().out
    assert "已上传 Uploaded: 2" in out and "待上传 pending 0" in out
    assert "服务器拒收 1 条记录，已转入隔离区" in out and len(server.records) == 2


def test_413_makes_batches_smaller_and_loses_nothing(server, home, gen, live):
    h = DeviceHome(home)
    enroll(h, server.url, TOKEN, expected_fingerprint=None, now=gen.at(live.now))
    fill_log(h, gen, live, 11)
    server.max_batch = 4  # a server (or proxy) with a smaller limit than the device's
    with h.open_log() as log:
        result = upload(log, server.url, TOKEN, batch_size=10, backoff=0)
        assert log.pending_count() == 0 and log.quarantined_count() == 0
    assert (result.sent, result.new, result.quarantined, result.error) == (11, 11, 0, None)
    assert server.refusals == [413] and server.batch_sizes == [4, 4, 3]
    assert set(server.stored.values()) == {1}


def test_413_for_a_single_record_leaves_it_pending(server, home, gen, live):
    h = DeviceHome(home)
    enroll(h, server.url, TOKEN, expected_fingerprint=None, now=gen.at(live.now))
    fill_log(h, gen, live, 3)
    server.max_batch = 0
    with h.open_log() as log:
        result = upload(log, server.url, TOKEN, batch_size=8, backoff=0)
        assert log.pending_count() == 3 and log.quarantined_count() == 0
    assert result.sent == 0 and result.remaining == 3 and "413" in result.error
    assert server.refusals == [413, 413]  # 3 records, then 1 (halved): then it stops


@pytest.mark.parametrize("failure", ["500", "bare-422", "mid-upload"])
def test_failures_that_name_no_record_keep_everything_pending(server, home, gen, live, failure):
    h = DeviceHome(home)
    enroll(h, server.url, TOKEN, expected_fingerprint=None, now=gen.at(live.now))
    fill_log(h, gen, live, 4)
    server.drop = [failure] * (1 if failure == "bare-422" else 3)  # 4xx is not retried
    r = sync(h, now=gen.at(live.now), backoff=0)  # the bundle check still runs
    assert r.upload.sent == 0 and r.upload.remaining == 4 and r.upload.error
    assert r.upload.quarantined == 0 and not server.records
    with h.open_log() as log:
        assert log.pending_count() == 4 and log.quarantined_count() == 0
    r = sync(h, now=gen.at(live.now), backoff=0)
    assert r.upload.sent == 4 and len(server.records) == 4 and r.upload.error is None


def test_a_refusal_naming_records_not_in_the_batch_quarantines_none():
    from huicui_verifier.records import RedemptionRecord
    from huicui_verifier.sync import refused_records

    batch = [
        RedemptionRecord(
            uuid=f"00000000-0000-4000-8000-00000000000{i}",
            cti="00" * 8,
            benefit=3,
            venue=301,
            at=1_800_000_000,
            decision="accept",
            reason="ok",
        )
        for i in range(2)
    ]

    def problem(records) -> bytes:
        return msgspec.json.encode({"code": "invalid_input", "records": records})

    named = refused_records(
        batch, problem([{"index": 1, "uuid": batch[1].uuid, "problems": ["venue: x", "at: y"]}])
    )
    assert named == {batch[1].uuid: "服务器拒收 / refused by the server: venue: x; at: y"}
    assert refused_records(batch, problem([{"index": 2, "uuid": "", "problems": []}])) == {}
    assert refused_records(batch, problem([{"index": 0, "uuid": batch[1].uuid}])) == {}
    assert refused_records(batch, problem([{"index": "0"}])) == {}
    assert refused_records(batch, b"<html>bad gateway</html>") == {}
    assert refused_records(batch, msgspec.json.encode({"code": "invalid_input"})) == {}


# --- enrolling at another venue with records still pending ---------------------------


@pytest.fixture
def elsewhere(live):
    """The service as the device's next venue (bus line 5) sees it."""
    s = ContractServer(live.files(venue=BUS_5), venue=302)
    s.thread.start()
    yield s
    s.httpd.shutdown()
    s.httpd.server_close()


def test_moving_venue_uploads_pending_records_with_the_old_token_first(
    server, elsewhere, home, gen, live
):
    from huicui_verifier.sync import enroll_device

    h = DeviceHome(home)
    enroll(h, server.url, TOKEN, expected_fingerprint=None, now=gen.at(live.now))
    fill_log(h, gen, live, 3)
    moved = enroll_device(
        h, elsewhere.url, TOKEN, expected_fingerprint=None, now=gen.at(live.now), backoff=0
    )
    assert (moved.foreign_pending, moved.uploaded, moved.quarantined) == (3, 3, 0)
    assert len(server.records) == 3 and not elsewhere.records
    assert h.server == elsewhere.url and h.held_bundle(gen.at(live.now)).venue.id == 302
    with h.open_log() as log:
        assert log.pending_count() == 0 and log.quarantined_count() == 0


def test_moving_venue_is_refused_while_records_cannot_be_uploaded(
    server, elsewhere, home, gen, live, capsys
):
    from huicui_verifier.cli import main

    h = DeviceHome(home)
    enroll(h, server.url, TOKEN, expected_fingerprint=None, now=gen.at(live.now))
    fill_log(h, gen, live, 3)
    server.drop = ["500"] * 10  # the old venue's server does not take them today
    args = ["--home", str(home), "enroll", "--force", "--server", elsewhere.url, "--token", TOKEN]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("错误 Error: 本设备还有 3 条原场所的记录未上传，已拒绝重新登记")
    assert "--discard-pending" in err and "3 records of the previous venue" in err
    assert h.server == server.url and h.held_bundle(gen.at(live.now)).venue.id == 301
    with h.open_log() as log:
        assert log.pending_count() == 3 and log.quarantined_count() == 0

    assert main([*args, "--discard-pending"]) == 0
    out = capsys.readouterr().out
    assert "已隔离 quarantined 3" in out and "5路公交" in out
    assert h.server == elsewhere.url and h.held_bundle(gen.at(live.now)).venue.id == 302
    with h.open_log() as log:
        assert log.count() == 3 and log.pending_count() == 0  # kept, not deleted
        reasons = [r["quarantine_reason"] for r in log.recent(10, quarantined_only=True)]
    assert len(reasons) == 3 and all("--discard-pending" in r for r in reasons)
    assert not server.records and not elsewhere.records
    r = sync(h, now=gen.at(live.now), backoff=0)
    assert r.upload.sent == 0 and not elsewhere.records  # never sent anywhere again


def test_reenrolling_at_the_same_venue_keeps_records_pending_for_the_new_token(
    server, home, gen, live
):
    from huicui_verifier.sync import enroll_device

    h = DeviceHome(home)
    enroll(h, server.url, TOKEN, expected_fingerprint=None, now=gen.at(live.now))
    fill_log(h, gen, live, 2)
    server.drop = ["500"] * 10
    again = enroll_device(h, server.url, TOKEN, expected_fingerprint=None, now=gen.at(live.now))
    assert again.foreign_pending == 0 and server.posts == 0  # no upload was needed first
    server.drop = []
    r = sync(h, now=gen.at(live.now), backoff=0)
    assert r.upload.sent == 2 and len(server.records) == 2


def test_first_enrollment_after_offline_use_elsewhere_needs_discard(
    elsewhere, home, gen, live, capsys
):
    """A device used with a bundle from a stick has no token to upload its records with."""
    from huicui_verifier.cli import main

    h = DeviceHome(home)
    gen.install(home, live.files(), now=live.now)
    h.update_state(source=None)  # as if the folder it was loaded from is gone
    fill_log(h, gen, live, 2)
    args = ["--home", str(home), "enroll", "--force", "--server", elsewhere.url, "--token", TOKEN]
    assert main(args) == 2
    assert "never enrolled online" in capsys.readouterr().err
    assert main([*args, "--discard-pending"]) == 0
    with h.open_log() as log:
        assert log.quarantined_count() == 2 and log.count() == 2


# --- the enrolled venue and the device's freshness (issue 13: security 6, item 11) -------

def test_sync_refuses_a_bundle_for_another_venue(server, home, gen, live):
    device = DeviceHome(home)
    enroll(device, server.url, TOKEN, expected_fingerprint=None, now=gen.at(live.now))
    server.publish(live.files(version=8, venue=BUS_5))  # another venue's profile served
    with pytest.raises(SyncError) as err:
        sync(device, now=gen.at(live.now))
    assert err.value.code == "other_venue"
    held = device.held_bundle(gen.at(live.now))
    assert held.venue.id == 301 and held.version == 7


def test_status_after_enrollment_says_just_checked_not_the_bundles_age(
    server,
    home,
    gen,
    live,
    capsys,
):
    # The live bundle was issued a day before "now": its age is not the device's freshness.
    assert _cli(capsys, home, "enroll", "--server", server.url, "--token", TOKEN)[0] == 0
    code, out, _ = _cli(capsys, home, "status")
    assert code == 0
    assert "上次与服务器同步 Last checked with the service: 刚刚 / just now" in out
    assert "小时前" not in out and "hours ago" not in out
    assert "有效期至 Valid until:" in out
    assert "3路公交 / Bus line 3 (venue 301)" in out



def _cli(capsys, home, *args):
    from huicui_verifier.cli import main

    code = main(["--home", str(home), *args])
    out = capsys.readouterr()
    return code, out.out, out.err
