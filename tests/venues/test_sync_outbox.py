"""The sync outbox: records and their notification commit together; every listener is
told about every record once, a failing one is retried alone, workers share the rows."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time

import msgspec
import pytest
from huicui_test_support.members import active_member
from huicui_test_support.venues import bearer, device, record, venue

SYNC = "/api/v1/redemptions/sync"
TOLD_TABLE = "outbox_test_told"


def _no_in_process(settings):
    """Settings whose app leaves the outbox to workers (the test works it itself)."""
    return msgspec.structs.replace(
        settings, sync=msgspec.structs.replace(settings.sync, outbox_in_process=False))


class Recorder:
    """A listener that remembers what it was told."""

    __name__ = "recorder"

    def __init__(self) -> None:
        self.told: list[str] = []

    from huicui.plugins.api import hookimpl

    @hookimpl
    def huicui_redemptions_synced(self, records):
        self.told.extend(r.uuid for r in records)


class Flaky:
    """Raises on its first ``fails`` calls, then remembers what it was told."""

    __name__ = "flaky"

    def __init__(self, fails: int) -> None:
        self.fails = fails
        self.calls = 0
        self.told: list[str] = []

    from huicui.plugins.api import hookimpl

    @hookimpl
    async def huicui_redemptions_synced(self, records):
        self.calls += 1
        if self.calls <= self.fails:
            raise RuntimeError(f"downstream unavailable for {records[0].certificate_id}")
        self.told.extend(r.uuid for r in records)


class Writer:
    """Writes one row per record in the worker's transaction, then raises ``fails`` times."""

    __name__ = "writer"

    def __init__(self, fails: int = 0) -> None:
        self.fails = fails
        self.calls = 0

    from huicui.plugins.api import hookimpl

    @hookimpl
    async def huicui_redemptions_synced(self, records):
        from huicui.db.bulk import Params, fetch

        for r in records:
            p = Params()
            await fetch(f'INSERT INTO "{TOLD_TABLE}" ("uuid") VALUES ({p(r.uuid)})', p)
        self.calls += 1
        if self.calls <= self.fails:
            raise RuntimeError("failed after writing")


@pytest.fixture
async def told_table(db):
    from piccolo.engine.finder import engine_finder

    engine = engine_finder()
    await engine.run_ddl(f'CREATE TABLE IF NOT EXISTS "{TOLD_TABLE}" ("uuid" VARCHAR(36))')
    await engine.run_ddl(f'DELETE FROM "{TOLD_TABLE}"')
    yield TOLD_TABLE
    await engine.run_ddl(f'DROP TABLE IF EXISTS "{TOLD_TABLE}"')


async def told_rows() -> list[str]:
    from huicui.db.bulk import Params, fetch

    return [r["uuid"] for r in await fetch(f'SELECT "uuid" FROM "{TOLD_TABLE}"', Params())]


async def _app(settings, *listeners):
    from huicui.app import create_app
    from huicui.plugins.manager import BenefitPlugins

    plugins = BenefitPlugins.load(settings, extra=list(listeners))
    return create_app(_no_in_process(settings), plugins=plugins)


async def _place(client, tokens):
    m = await active_member(client, tokens)
    v = await venue(client, tokens)
    e = await device(client, tokens, v["id"])
    return m, v, bearer(e["token"])


async def _outbox_rows() -> int:
    from huicui.sync.tables import SyncOutbox

    return await SyncOutbox.count()


async def test_an_upload_answers_before_plugins_are_told_and_its_work_waits(settings, tokens):
    from huicui.sync.outbox import drain, work_one
    from huicui.sync.tables import Redemption
    from litestar.testing import AsyncTestClient

    recorder = Recorder()
    app = await _app(settings, recorder)
    ctx = app.state.ctx
    async with AsyncTestClient(app=app) as client:
        m, v, h = await _place(client, tokens)
        now = int(time.time())
        batch = [record(m["cti"], v["id"], now - i) for i in range(3)]
        r = await client.post(SYNC, headers=h, json={"records": batch})
        assert r.json() == {"received": 3, "new": 3, "known": 0}
        # Stored and answered; nobody told yet: the work waits in the outbox.
        assert await Redemption.count() == 3 and recorder.told == []
        assert await _outbox_rows() == 1
        r = await client.post(SYNC, headers=h, json={"records": batch})
        assert r.json()["known"] == 3
        assert await _outbox_rows() == 1  # a retried upload adds no work
        assert await drain(ctx) == 1
        assert sorted(recorder.told) == sorted(b["uuid"] for b in batch)
        assert await _outbox_rows() == 0
        assert await work_one(ctx) is False  # nothing left: told once
    assert sorted(recorder.told) == sorted(b["uuid"] for b in batch)


async def test_a_failing_plugin_is_retried_alone_with_backoff(settings, tokens, caplog):
    from huicui.sync.outbox import backoff, status, work_one
    from litestar.testing import AsyncTestClient

    recorder, flaky = Recorder(), Flaky(fails=2)
    app = await _app(settings, flaky, recorder)
    ctx = app.state.ctx
    async with AsyncTestClient(app=app) as client:
        m, v, h = await _place(client, tokens)
        now = int(time.time())
        first = [record(m["cti"], v["id"], now - 10)]
        second = [record(m["cti"], v["id"], now - 5)]
        assert (await client.post(SYNC, headers=h, json={"records": first})).status_code == 200
        start = dt.datetime.now(dt.UTC)
        # On the logger itself: the app's start-up replaced the root logger's handlers.
        outbox_log = logging.getLogger("huicui.sync.outbox")
        outbox_log.addHandler(caplog.handler)
        try:
            assert await work_one(ctx, now=start)
        finally:
            outbox_log.removeHandler(caplog.handler)
        assert recorder.told == [first[0]["uuid"]] and flaky.told == []
        failure = [r.getMessage() for r in caplog.records if r.name == "huicui.sync.outbox"]
        assert failure and "listener flaky failed" in failure[0] and "attempt 1" in failure[0]
        assert "RuntimeError" in failure[0] and m["cti"] not in caplog.text
        st = await status(start)
        assert (st.rows, st.due, st.failing) == (1, 0, {"flaky": 1})
        # The failing plugin holds nothing up: a later upload is worked at once.
        assert (await client.post(SYNC, headers=h, json={"records": second})).status_code == 200
        assert await work_one(ctx)
        assert recorder.told == [first[0]["uuid"], second[0]["uuid"]]
        assert flaky.calls == 2 and flaky.told == []  # failed again, on the second upload
        flaky.fails = 1  # from now on it works
        assert await work_one(ctx) is False  # both wait for their retries
        # Due after the backoff: only the failing plugin is called again.
        later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=backoff(1, 3600) + 1)
        assert await work_one(ctx, now=later) and await work_one(ctx, now=later)
        assert flaky.told == [first[0]["uuid"], second[0]["uuid"]]
        assert recorder.told == [first[0]["uuid"], second[0]["uuid"]]  # not told twice
        assert await _outbox_rows() == 0


def test_backoff_doubles_up_to_the_cap():
    from huicui.sync.outbox import backoff

    assert [backoff(n, 30) for n in (1, 2, 3, 4, 5)] == [5, 10, 20, 30, 30]


async def test_a_plugins_writes_commit_with_its_mark_exactly_once(settings, tokens, told_table):
    """A plugin that wrote and then failed has its writes rolled back with the mark."""
    from huicui.sync.outbox import work_one
    from litestar.testing import AsyncTestClient

    writer = Writer(fails=1)
    app = await _app(settings, writer)
    ctx = app.state.ctx
    async with AsyncTestClient(app=app) as client:
        m, v, h = await _place(client, tokens)
        now = int(time.time())
        batch = [record(m["cti"], v["id"], now - i) for i in range(4)]
        assert (await client.post(SYNC, headers=h, json={"records": batch})).status_code == 200
        start = dt.datetime.now(dt.UTC)
        assert await work_one(ctx, now=start)
        assert await told_rows() == []  # it wrote four rows, then raised: all undone
        assert await work_one(ctx, now=start + dt.timedelta(seconds=6))
        assert sorted(await told_rows()) == sorted(b["uuid"] for b in batch)
        assert await work_one(ctx, now=start + dt.timedelta(hours=2)) is False
    assert sorted(await told_rows()) == sorted(b["uuid"] for b in batch)


async def test_two_workers_share_the_rows_and_tell_each_record_once(settings, tokens):
    from huicui.app import build_context
    from huicui.plugins.manager import BenefitPlugins
    from huicui.sync.outbox import drain
    from litestar.testing import AsyncTestClient

    recorder = Recorder()
    app = await _app(settings, recorder)
    async with AsyncTestClient(app=app) as client:
        m, v, h = await _place(client, tokens)
        now = int(time.time())
        uploads = [[record(m["cti"], v["id"], now - 100 + i * 4 + j) for j in range(3)]
                   for i in range(12)]
        for batch in uploads:
            assert (await client.post(SYNC, headers=h, json={"records": batch})).status_code == 200
    # Two workers as two processes would be: each its own context and plugin manager,
    # telling one shared listener, so a row worked twice would show as a repeat.
    workers = [build_context(settings, BenefitPlugins.load(settings, extra=[recorder]))
               for _ in range(2)]
    done = await asyncio.gather(*(drain(w) for w in workers))
    assert sum(done) == 12
    expected = sorted(r["uuid"] for batch in uploads for r in batch)
    assert sorted(recorder.told) == expected and len(set(recorder.told)) == 36
    assert await _outbox_rows() == 0


async def test_the_apps_own_worker_tells_plugins_after_the_answer(settings, tokens):
    from huicui.app import create_app
    from huicui.plugins.manager import BenefitPlugins
    from huicui.sync.outbox import drain
    from litestar.testing import AsyncTestClient

    recorder = Recorder()
    app = create_app(settings, plugins=BenefitPlugins.load(settings, extra=[recorder]))
    async with AsyncTestClient(app=app) as client:
        assert app.state.ctx.outbox is not None  # started by the lifespan
        m, v, h = await _place(client, tokens)
        batch = [record(m["cti"], v["id"], int(time.time()) - 1)]
        assert (await client.post(SYNC, headers=h, json={"records": batch})).status_code == 200
        await drain(app.state.ctx)  # waits for the app's worker if it holds the row
        assert recorder.told == [batch[0]["uuid"]]
    assert app.state.ctx.outbox is None  # stopped with the app


def _start_service(mode: str, marker, port: int):
    import os
    import subprocess
    import sys
    from pathlib import Path

    here = Path(__file__).parent
    env = {**os.environ, "HUICUI_SYNC_OUTBOX_POLL_SECONDS": "0.2",
           "PYTHONPATH": os.pathsep.join([str(here), os.environ.get("PYTHONPATH", "")])}
    return subprocess.Popen(
        [sys.executable, str(here / "outbox_service.py"), str(port), mode, str(marker)],
        env=env, stdin=subprocess.DEVNULL)


def _wait_for(check, what: str, seconds: float = 60.0):
    deadline = time.monotonic() + seconds
    while True:
        got = check()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.1)


def _answers(base: str) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(f"{base}/health", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def _post(base: str, headers: dict, body: dict) -> dict:
    import json
    import urllib.request

    req = urllib.request.Request(f"{base}{SYNC}", data=json.dumps(body).encode(), method="POST",
                                 headers={**headers, "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


async def test_sigkill_between_storing_and_telling_loses_and_repeats_nothing(
    settings, tokens, told_table, tmp_path
):
    """The service is killed while a plugin is being told (its writes made, its mark not
    yet committed); after a restart every plugin has been told about every record once."""
    import signal

    from huicui_test_support.live_server import free_port
    from litestar.testing import AsyncTestClient

    # Enrol through an app that leaves the outbox alone, with the same plugins as the
    # service process (every process working the outbox must have the same plugins).
    app = await _app(settings)
    async with AsyncTestClient(app=app) as client:
        m, v, h = await _place(client, tokens)
    now = int(time.time())
    batch = [record(m["cti"], v["id"], now - 60 + i) for i in range(5)]
    marker = tmp_path / "inside"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    service = _start_service("block", marker, port)
    try:
        await asyncio.to_thread(_wait_for, lambda: _answers(base), "the service to start")
        answer = await asyncio.to_thread(_post, base, h, {"records": batch})
        assert answer == {"received": 5, "new": 5, "known": 0}  # stored and answered
        await asyncio.to_thread(_wait_for, marker.exists, "the plugin to be told")
        service.send_signal(signal.SIGKILL)
        service.wait(30)
    finally:
        if service.poll() is None:
            service.kill()
            service.wait(30)
    assert await told_rows() == []  # what the plugin wrote died with the transaction
    assert await _outbox_rows() == 1  # and the work is still waiting

    service = _start_service("tell", marker, port)
    try:
        async def drained() -> bool:
            return await _outbox_rows() == 0

        deadline = time.monotonic() + 60
        while not await drained():
            assert service.poll() is None, "the restarted service died"
            assert time.monotonic() < deadline, "the restarted service never told the plugins"
            await asyncio.sleep(0.1)
    finally:
        service.send_signal(signal.SIGTERM)
        service.wait(30)
    told = await told_rows()
    # Each record exactly once; and the outbox is empty, so misuse detection and the
    # installed plugins were told as well.
    assert sorted(told) == sorted(r["uuid"] for r in batch)


def _cli(argv: list[str]) -> int:
    import concurrent.futures

    from huicui.cli import main

    with concurrent.futures.ThreadPoolExecutor(1) as pool:  # the command runs its own loop
        return pool.submit(main, argv).result()


async def test_worker_command_shows_the_backlog_and_works_it(settings, tokens, capsys):
    from litestar.testing import AsyncTestClient

    app = await _app(settings)
    async with AsyncTestClient(app=app) as client:
        m, v, h = await _place(client, tokens)
        now = int(time.time())
        for i in range(2):
            batch = [record(m["cti"], v["id"], now - 50 + i * 5 + j) for j in range(3)]
            assert (await client.post(SYNC, headers=h, json={"records": batch})).status_code == 200
    capsys.readouterr()
    assert _cli(["worker", "--status"]) == 0
    out = capsys.readouterr().out
    assert "uploads waiting: 2（6 条记录 / records）" in out and "due now: 2" in out
    assert "no plugin is failing" in out
    assert _cli(["worker", "--once"]) == 0
    assert "worked 2 uploads" in capsys.readouterr().out
    assert await _outbox_rows() == 0
    assert _cli(["worker", "--status"]) == 0
    assert "uploads waiting: 0" in capsys.readouterr().out


def test_worker_help_teaches_when_and_how(capsys):
    with pytest.raises(SystemExit) as exit_:
        _cli(["worker", "--help"])
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    for needle in ("sync.outbox_in_process", "FOR UPDATE SKIP LOCKED", "exactly once",
                   "huicui worker --once", "huicui worker --status", "docs/sync.md", "插件"):
        assert needle in text, needle


def test_bad_sync_settings_are_refused_by_name():
    from huicui.settings import SettingsError, load_settings

    base = {"HUICUI_CONFIG": str(__import__("pathlib").Path(__file__).parents[2] / "config"
                                 / "huicui.toml")}
    assert load_settings(base).sync.device_check_seconds == 1.0
    for name, value in (("OUTBOX_POLL_SECONDS", "0"), ("RETRY_MAX_SECONDS", "0"),
                        ("DEVICE_CHECK_SECONDS", "-1"), ("SEEN_FLUSH_SECONDS", "0.5")):
        with pytest.raises(SettingsError, match=f"sync.{name.lower()}"):
            load_settings({**base, f"HUICUI_SYNC_{name}": value})
