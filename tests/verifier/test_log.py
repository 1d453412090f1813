import json
import os
import signal
import sqlite3
import subprocess
import sys

from huicui_verifier import bundle as B
from huicui_verifier.decide import decide
from huicui_verifier.device import DeviceHome
from huicui_verifier.gate import check_and_record
from huicui_verifier.log import DecisionLog


def test_record_history_pending_and_upload_marks(gen, tmp_path):
    b = gen.make_bundle()
    with DecisionLog(tmp_path / "log.sqlite") as log:
        first = check_and_record(
            gen.make_cert(), bundle=b, log=log, benefit=None, now=gen.at(gen.T0)
        )
        second = check_and_record(
            gen.make_cert(), bundle=b, log=log, benefit=None, now=gen.at(gen.T0 + 60)
        )
        check_and_record("HB1:garbage", bundle=b, log=log, benefit=None, now=gen.at(gen.T0 + 61))
        assert first.accepted
        assert (second.accepted, second.reason) == (
            False,
            "limit_reached",
        )  # 1 per day, from the log
        assert log.history(gen.CTI.hex(), 1) == [(gen.T0, 501)]
        assert log.count() == 3
        pending = log.pending(10)
        assert [r.decision for r in pending] == [
            "accept",
            "refuse",
        ]  # the unreadable scan stays local
        assert (
            pending[0].companions == 1
            and pending[0].bundle_version == 7
            and pending[0].cti == gen.CTI.hex()
        )
        log.mark_uploaded([pending[0].uuid])
        assert log.pending_count() == 1
        mode = log._db.execute("PRAGMA journal_mode").fetchone()[0]
        sync_level = log._db.execute("PRAGMA synchronous").fetchone()[0]
    assert mode == "wal" and sync_level == 2  # FULL


def test_record_is_visible_to_another_connection_at_once(gen, tmp_path):
    b = gen.make_bundle()
    path = tmp_path / "log.sqlite"
    log = DecisionLog(path)
    d = decide(
        gen.make_cert(), bundle=b, benefit=None, now=gen.at(gen.T0), history_lookup=log.history
    )
    rec = log.record(d)
    other = sqlite3.connect(path)
    assert other.execute("SELECT uuid, decision FROM decisions").fetchall() == [
        (rec.uuid, "accept")
    ]
    other.close()
    log.close()


def _scan_and_kill(home, scans, answers_before_kill):
    env = {**os.environ, "HUICUI_VERIFIER_HOME": str(home), "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "huicui_verifier", "scan", "--json"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        text=True,
    )
    answered = []
    try:
        # Queue every scan at once, read some answers, then kill -9 the moment the last
        # one wanted arrives: a verifier that showed before it committed loses that record.
        proc.stdin.write("".join(s + "\n" for s in scans))
        proc.stdin.flush()
        for _ in range(answers_before_kill):
            answered.append(json.loads(proc.stdout.readline().lstrip("\a")))
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    return answered


def test_answered_scans_survive_sigkill(gen, live, enrolled_home):
    """Every line the scan loop answered is in the log, even after kill -9 mid-run."""
    answered = []
    for round_, kill_after in enumerate((1, 3, 5, 7)):
        scans = [
            live.cert(cti=(0x5C000000 + round_ * 100 + i).to_bytes(8, "big")) for i in range(10)
        ]
        answered += _scan_and_kill(enrolled_home, scans, kill_after)
    assert len(answered) == 16 and all(a["accepted"] for a in answered)
    db = sqlite3.connect(enrolled_home / "log.sqlite")
    logged = {row[0] for row in db.execute("SELECT cti FROM decisions WHERE decision = 'accept'")}
    db.close()
    assert {a["cti"] for a in answered} <= logged


def test_device_home_files(gen, home):
    h = DeviceHome(home)
    h.set_token("secret-token")
    assert (home / "token").stat().st_mode & 0o777 == 0o600
    assert h.token == "secret-token"
    assert h.held_bundle(gen.at(gen.T0)) is None
    gen.install(home, gen.make_files())
    assert h.pinned_key == gen.raw_key(gen.BUNDLE_SIGNER)
    assert h.held_bundle(gen.at(gen.T0)).version == 7
    # An older snapshot swapped in behind the verifier's back no longer has the hash
    # the device recorded.
    from huicui_verifier import cose

    older = gen.make_files(version=6).snapshot
    (home / "snapshot.cbor").write_bytes(cose.parse(older).payload)
    import pytest

    with pytest.raises(B.BundleError) as err:
        h.held_bundle(gen.at(gen.T0))
    assert err.value.code == "hash_mismatch"
