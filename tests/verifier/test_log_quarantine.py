"""The decision log's quarantine: set aside, kept with a reason, never pending, never deleted."""

import sqlite3

from huicui_verifier.gate import check_and_record
from huicui_verifier.log import DecisionLog

OLD_SCHEMA = """
CREATE TABLE decisions (
    uuid TEXT PRIMARY KEY, cti TEXT, benefit INTEGER NOT NULL DEFAULT 0,
    venue INTEGER NOT NULL DEFAULT 0, at INTEGER NOT NULL,
    decision TEXT NOT NULL CHECK (decision IN ('accept', 'refuse')), reason TEXT NOT NULL,
    companions INTEGER NOT NULL DEFAULT 0, bundle_version INTEGER NOT NULL DEFAULT 0,
    uploaded INTEGER NOT NULL DEFAULT 0 CHECK (uploaded IN (0, 1))
);
INSERT INTO decisions (uuid, cti, venue, at, decision, reason)
    VALUES ('u-old', '00112233445566ff', 501, 1800000000, 'accept', 'ok');
"""


def _fill(gen, log, count: int) -> None:
    b = gen.make_bundle()
    for i in range(count):
        check_and_record(gen.make_cert(cti=(0xC0DE0000 + i).to_bytes(8, "big")), bundle=b, log=log,
                         benefit=None, now=gen.at(gen.T0 + i))


def test_a_log_from_before_quarantine_is_upgraded_and_keeps_its_records(tmp_path):
    path = tmp_path / "log.sqlite"
    with sqlite3.connect(path) as db:
        db.executescript(OLD_SCHEMA)
    with DecisionLog(path) as log:
        assert [r.uuid for r in log.pending(10)] == ["u-old"]
        assert log.quarantine({"u-old": "refused"}, 1800000100) == 1
        assert log.pending_count() == 0 and log.quarantined_count() == 1
    with DecisionLog(path) as log:  # opening again changes nothing
        (row,) = log.recent(5)
    assert (row["uuid"], row["quarantine_reason"], row["quarantined_at"]) == (
        "u-old", "refused", 1800000100)


def test_quarantined_records_are_never_pending_and_never_deleted(gen, tmp_path):
    with DecisionLog(tmp_path / "log.sqlite") as log:
        _fill(gen, log, 4)
        first, second, *_ = log.pending(10)
        assert log.quarantine({first.uuid: "bad", "no-such-uuid": "x"}, gen.T0) == 1
        log.mark_uploaded([second.uuid])
        # an uploaded record cannot be quarantined afterwards: it is settled
        assert log.quarantine({second.uuid: "late"}, gen.T0) == 0
        assert log.pending_count() == 2 and log.count() == 4
        assert first.uuid not in {r.uuid for r in log.pending(10)}
        (kept,) = log.recent(10, quarantined_only=True)
        assert (kept["uuid"], kept["quarantine_reason"]) == (first.uuid, "bad")
        # the holder's use still counts towards limits: quarantine is about uploading only
        assert first.decision == "accept"
        assert log.history(first.cti, first.benefit) == [(first.at, 501)]


def test_quarantine_pending_can_spare_one_venue(gen, tmp_path):
    with DecisionLog(tmp_path / "log.sqlite") as log:
        _fill(gen, log, 3)  # the vector bundle's venue is 501
        assert log.pending_count(except_venue=501) == 0
        assert log.quarantine_pending("moved", gen.T0, except_venue=501) == 0
        assert log.pending_count(except_venue=777) == 3
        assert log.quarantine_pending("moved", gen.T0, except_venue=777) == 3
        assert log.pending_count() == 0 and log.quarantined_count() == 3 and log.count() == 3
