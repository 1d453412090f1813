"""Suite-wide set-up: a throw-away database (SQLite file, or PostgreSQL with
HUICUI_TEST_DB=postgres), secrets, and the app/client/token fixtures.

Tests that use the ``db`` fixture are marked ``postgres`` automatically, so
``pytest -m postgres`` with HUICUI_TEST_DB=postgres runs every database test on
PostgreSQL. When no PostgreSQL answers they skip with the reason, unless
HUICUI_REQUIRE_POSTGRES=1 (CI), which turns that into a failure.
"""

from __future__ import annotations

import base64
import os
import secrets
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_DSN = os.environ.get("HUICUI_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
_state: dict[str, object] = {}


def _pg_create() -> str | None:
    """Create a fresh database for this run; returns its URL or None with the reason stored."""
    import asyncio

    import asyncpg

    name = f"huicui_test_{os.getpid()}_{secrets.token_hex(3)}"

    async def go() -> None:
        conn = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    try:
        asyncio.run(go())
    except Exception as exc:  # any failure to reach the server means: no PostgreSQL here
        _state["pg_reason"] = f"PostgreSQL not reachable at {PG_ADMIN_DSN}: {exc!r}"
        return None
    _state["pg_name"] = name
    base = PG_ADMIN_DSN.rsplit("/", 1)[0]
    return f"{base}/{name}"


def _pg_drop() -> None:
    import asyncio

    import asyncpg

    name = _state.get("pg_name")
    if not name:
        return

    async def go() -> None:
        conn = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    try:
        asyncio.run(go())
    except Exception as exc:
        print(f"could not drop test database {name}: {exc!r}")


def pytest_configure(config: pytest.Config) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="huicui-test-"))
    _state["tmp"] = tmp
    os.environ["HUICUI_CONFIG"] = str(ROOT / "config" / "huicui.toml")
    os.environ["HUICUI_SECRETS_DATA_KEY"] = base64.b64encode(os.urandom(32)).decode()
    os.environ["HUICUI_SECRETS_SIGNING_PASSPHRASE"] = secrets.token_urlsafe(24)
    os.environ["HUICUI_VERIFIER_HOME"] = str(tmp / "verifier-home")
    os.environ["HUICUI_BUNDLE_PUBLISH_DIR"] = str(tmp / "published-bundle")
    # Tests change the database and poll at once: ask it at every poll.
    os.environ["HUICUI_BUNDLE_CHECK_SECONDS"] = "0"
    os.environ.pop("PICCOLO_CONF", None)
    # The test client runs the app on a second event loop; a pool made on one loop
    # breaks on the other, so tests use a connection per query.
    os.environ["HUICUI_DATABASE_POOL_SIZE"] = "0"
    if os.environ.get("HUICUI_TEST_DB") == "postgres":
        url = _pg_create()
        if url:
            os.environ["HUICUI_DATABASE_URL"] = url
            _state["backend"] = "postgres"
        else:
            os.environ["HUICUI_DATABASE_URL"] = f"sqlite:///{tmp / 'unused.sqlite3'}"
            _state["backend"] = "none"
    else:
        os.environ["HUICUI_DATABASE_URL"] = f"sqlite:///{tmp / 'test.sqlite3'}"
        _state["backend"] = "sqlite"


def pytest_unconfigure(config: pytest.Config) -> None:
    _pg_drop()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "db" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)
    if _state.get("backend") == "none":
        reason = str(_state.get("pg_reason"))
        if os.environ.get("HUICUI_REQUIRE_POSTGRES") == "1":
            raise pytest.UsageError(f"HUICUI_REQUIRE_POSTGRES=1 but {reason}")
        for item in items:
            item.add_marker(pytest.mark.skip(reason=reason))


def pytest_report_header(config: pytest.Config) -> str:
    where = os.environ.get("HUICUI_DATABASE_URL", "").split("@")[-1]
    return f"huicui database backend: {_state.get('backend')} ({where})"


@pytest.fixture(scope="session")
def backend() -> str:
    """``sqlite`` or ``postgres``: what this run tests against."""
    return str(_state["backend"])


@pytest.fixture(scope="session")
def tmp_root() -> Path:
    return Path(str(_state["tmp"]))


@pytest.fixture(scope="session")
async def _migrated() -> None:
    from huicui.db import migrate

    await migrate()


async def _clean_tables() -> None:
    """Empty every table of every registered app, then re-seed the defaults."""
    from huicui.db import is_postgres
    from huicui.seed import seed_defaults
    from piccolo.conf.apps import Finder
    from piccolo.engine.finder import engine_finder

    engine = engine_finder()
    tables = Finder().get_table_classes()
    names = [t._meta.tablename for t in tables]
    if is_postgres(engine):
        await engine.run_ddl(
            "TRUNCATE " + ", ".join(f'"{n}"' for n in names) + " RESTART IDENTITY CASCADE")
    else:
        for name in names:
            await engine.run_ddl(f'DELETE FROM "{name}"')
        # Piccolo's Serial is INTEGER PRIMARY KEY without AUTOINCREMENT: ids
        # restart by themselves once the table is empty.
    await seed_defaults()


@pytest.fixture
async def db(_migrated: None) -> None:
    """A migrated database emptied before the test (the default directory re-seeded)."""
    await _clean_tables()


@pytest.fixture
def settings():
    from huicui.settings import load_settings

    return load_settings()


@pytest.fixture
async def app(db, settings):
    """The service as ``make run`` builds it (installed plugins loaded)."""
    from huicui.app import create_app

    return create_app(settings)


@pytest.fixture
async def client(app):
    from litestar.testing import AsyncTestClient

    async with AsyncTestClient(app=app) as test_client:
        yield test_client


class Tokens(dict):
    """Bearer headers by role: ``tokens.h("reviewer")``; ``registrar2``/``reviewer2`` too."""

    def h(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self[who]}"}


@pytest.fixture
async def tokens(db) -> Tokens:
    from huicui.auth import create_staff_token

    out = Tokens()
    for who, role in (("admin", "admin"), ("registrar", "registrar"),
                      ("registrar2", "registrar"), ("reviewer", "reviewer"),
                      ("reviewer2", "reviewer"), ("auditor", "auditor")):
        out[who], _ = await create_staff_token(f"test-{who}", role)
    return out


@pytest.fixture
async def device_headers(client, tokens) -> dict[str, str]:
    """Bearer headers of an enrolled device (role ``device``), enrolled through the API.

    Enrolment through the API must work: a wiring regression fails the tests using this.
    """
    admin = tokens.h("admin")
    steps = (
        ("/api/v1/partners", lambda _: {"name_zh": "测试合作方"}),
        ("/api/v1/venues", lambda prev: {"partner_id": prev["id"], "name_zh": "测试柜台",
                                         "kind": "counter"}),
        ("/api/v1/devices", lambda prev: {"venue_id": prev["id"], "name": "test-device"}),
    )
    previous: dict = {}
    for path, body in steps:
        r = await client.post(path, json=body(previous), headers=admin)
        assert r.status_code < 300, f"could not enrol a test device via {path}: {r.text[:200]}"
        previous = r.json()
    return {"Authorization": f"Bearer {previous['token']}"}
