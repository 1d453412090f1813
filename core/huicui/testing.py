"""Test helpers for benefit-plugin authors: an app with your plugin, a client, tokens.

Install your package in development mode (so its entry points and Piccolo apps are
found), then::

    import my_benefit
    from huicui.testing import plugin_client

    async def test_my_benefit_is_listed():
        async with plugin_client(my_benefit) as h:
            r = await h.client.get("/api/v1/benefits", headers=h.headers("admin"))
            assert [b["slug"] for b in r.json()] == ["my_benefit"]

Only the plugins you pass are loaded (no installed entry point), so the test sees
your benefit alone. Needs ``pytest-asyncio`` (``asyncio_mode = "auto"``). Without
``HUICUI_DATABASE_URL`` the helpers use a throw-away SQLite file and fresh secrets.
"""

# Imported under private names: ``tests/plugins/test_api_surface.py`` checks that every
# public attribute of this module is in ``__all__``.
import base64 as _base64
import datetime as _dt
import os as _os
import secrets as _secrets
import tempfile as _tempfile
from collections.abc import AsyncIterator as _AsyncIterator
from collections.abc import Callable as _Callable
from contextlib import asynccontextmanager as _asynccontextmanager
from dataclasses import dataclass as _dataclass
from pathlib import Path as _Path
from typing import Any as _Any

import msgspec as _msgspec

from huicui.plugins.api import HolderFacts as _HolderFacts

ROLES = ("admin", "registrar", "registrar2", "reviewer", "reviewer2", "auditor")


def prepare_environment(folder: _Path | None = None) -> None:
    """Point Huicui at a throw-away database and fresh secrets, unless already set.

    Call before anything touches the database (``plugin_client`` does it for you).
    """
    folder = folder or _Path(_tempfile.mkdtemp(prefix="huicui-plugin-test-"))
    _os.environ.setdefault("HUICUI_DATABASE_URL", f"sqlite:///{folder / 'test.sqlite3'}")
    _os.environ.setdefault("HUICUI_SECRETS_DATA_KEY", _base64.b64encode(_os.urandom(32)).decode())
    _os.environ.setdefault("HUICUI_SECRETS_SIGNING_PASSPHRASE", _secrets.token_urlsafe(24))
    # The test client runs the app on its own event loop: no pool shared across loops.
    _os.environ.setdefault("HUICUI_DATABASE_POOL_SIZE", "0")


async def migrate_database() -> None:
    """Apply the core's and installed plugins' migrations and seed the default directory."""
    from huicui.db import migrate
    from huicui.seed import seed_defaults

    await migrate()
    await seed_defaults()


def holder(**overrides: _Any) -> _HolderFacts:
    """``HolderFacts`` (from ``huicui.plugins.api``) for eligibility tests; pass only
    what your rule reads."""
    today = _dt.date.today()
    values: dict[str, _Any] = {
        "identity_id": 1,
        "membership_id": 1,
        "directory_number": 1,
        "residency": "resident",
        "field": "",
        "descendant_count": 0,
        "term_start": today,
        "term_end": today + _dt.timedelta(days=1095),
    }
    values.update(overrides)
    return _HolderFacts(**values)


async def approve_member(
    client: _Any,
    headers: _Callable[[str], dict[str, str]],
    identity_id: int,
    *,
    directory_id: int | None = None,
    source_org: str = "plugin test",
) -> dict[str, _Any]:
    """Nominate an identity (as ``registrar``) and approve it (as ``reviewer``), through the
    HTTP API as staff would; returns the approved membership, active with its certificate.

    ``headers(role)`` gives the ``Authorization`` header of a role (:meth:`Harness.headers`).
    """
    nomination: dict[str, _Any] = {"identity_id": identity_id, "source_org": source_org}
    if directory_id:
        nomination["directory_id"] = directory_id
    r = await client.post("/api/v1/memberships", json=nomination, headers=headers("registrar"))
    assert r.status_code == 201, r.text
    r = await client.post(
        f"/api/v1/memberships/{r.json()['id']}/approve",
        json={"reason": "材料齐全"},
        headers=headers("reviewer"),
    )
    assert r.status_code == 200 and r.json()["state"] == "active", r.text
    return r.json()


@_dataclass
class Harness:
    """What a plugin test works with: the app, a client, bearer tokens per role."""

    app: _Any
    client: _Any
    plugins: _Any
    tokens: dict[str, str]

    def headers(self, who: str) -> dict[str, str]:
        """``Authorization`` header for one of :data:`ROLES` (``registrar2`` is a second
        registrar, ``reviewer2`` a second reviewer, for four-eyes rules)."""
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    async def active_member(self, descendants: int = 0, directory_id: int | None = None) -> int:
        """Record an identity, nominate and approve it; returns the active membership id."""
        body: dict[str, _Any] = {
            "display_name": f"测试{_secrets.token_hex(2)}",
            "residency": "seasonal",
            "descendants": [{"name": f"子{i}", "relation": "child"} for i in range(descendants)],
        }
        r = await self.client.post(
            "/api/v1/identities", json=body, headers=self.headers("registrar")
        )
        assert r.status_code == 201, r.text
        membership = await approve_member(
            self.client, self.headers, r.json()["id"], directory_id=directory_id
        )
        return membership["id"]


async def staff_tokens() -> dict[str, str]:
    """A fresh bearer token for each of :data:`ROLES`."""
    from huicui.auth import create_staff_token

    out = {}
    for who in ROLES:
        role = who.rstrip("2")
        out[who], _ = await create_staff_token(f"plugin-test-{who}", role)
    return out


@_asynccontextmanager
async def plugin_client(
    *plugins: object,
    benefits: dict[str, dict[str, _Any]] | None = None,
    entry_points: bool = False,
    settings: _Any = None,
    migrate: bool = True,
) -> _AsyncIterator[Harness]:
    """An app with exactly ``plugins`` registered, its test client and staff tokens.

    :param plugins: your plugin modules (or objects with ``@hookimpl`` methods).
    :param benefits: ``[benefits.<slug>]`` overrides, as in ``config/huicui.toml``.
    :param entry_points: also load installed plugins (off: your plugin alone).
    :param migrate: apply migrations first (idempotent; off when your suite already did).
    """
    prepare_environment()
    from litestar.testing import AsyncTestClient

    from huicui.app import create_app
    from huicui.plugins.manager import BenefitPlugins
    from huicui.settings import load_settings

    settings = settings or load_settings()
    if benefits is not None:
        settings = _msgspec.structs.replace(settings, benefits=benefits)
    if migrate:
        await migrate_database()
    loaded = BenefitPlugins.load(settings, entry_points=entry_points, extra=plugins)
    app = create_app(settings, plugins=loaded)
    tokens = await staff_tokens()
    async with AsyncTestClient(app=app) as client:
        yield Harness(app=app, client=client, plugins=loaded, tokens=tokens)


def build_plugins(
    *plugins: object, benefits: dict[str, dict[str, _Any]] | None = None, settings: _Any = None
):
    """A :class:`~huicui.plugins.manager.BenefitPlugins` with exactly ``plugins`` (no app,
    no database): for testing declarations, eligibility and settlement lines."""
    from huicui.plugins.manager import BenefitPlugins
    from huicui.settings import Settings

    settings = settings or Settings()
    if benefits is not None:
        settings = _msgspec.structs.replace(settings, benefits=benefits)
    return BenefitPlugins.load(settings, entry_points=False, extra=list(plugins))


__all__ = [
    "ROLES",
    "Harness",
    "approve_member",
    "build_plugins",
    "holder",
    "migrate_database",
    "plugin_client",
    "prepare_environment",
    "staff_tokens",
]
