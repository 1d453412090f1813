"""Failed bearer tokens through the API: logged, and 429 with Retry-After after a burst,
while valid tokens from the same address still pass."""

from __future__ import annotations

import logging

import msgspec
import pytest


@pytest.fixture
async def limited_client(db, settings):
    from huicui.app import create_app
    from litestar.testing import AsyncTestClient

    auth = msgspec.structs.replace(settings.auth, max_failures=5, window_seconds=600)
    app = create_app(msgspec.structs.replace(settings, auth=auth))
    async with AsyncTestClient(app=app) as client:
        yield client


async def test_a_burst_of_bad_tokens_gets_429_and_a_few_log_lines(
    limited_client, tokens, caplog
):
    bad = [f"hcs_{n:040d}" for n in range(60)]
    with caplog.at_level(logging.DEBUG):
        codes = []
        for token in bad:
            r = await limited_client.get("/api/v1/identities",
                                         headers={"Authorization": f"Bearer {token}"})
            codes.append(r.status_code)
    assert codes == [401] * 5 + [429] * 55
    assert 0 < int(r.headers["retry-after"]) <= 600
    body = r.json()
    assert body["code"] == "too_many_requests" and body["status"] == 429
    assert "秒后再试" in body["title_zh"] and "try again" in body["title"]
    assert body["retry_after"] == int(r.headers["retry-after"])

    lines = [rec.getMessage() for rec in caplog.records if rec.name == "huicui.auth"]
    assert 1 <= len(lines) <= 3, lines
    assert any("answering 429" in line for line in lines)
    assert not any(token in caplog.text for token in bad)
    assert not any(token[4:] in caplog.text for token in bad)

    # The address is limited, yet a valid token from it still passes (one NAT, many
    # devices), and a wrong role is still 403, not 429.
    r = await limited_client.get("/api/v1/identities", headers=tokens.h("auditor"))
    assert r.status_code == 200
    r = await limited_client.post("/api/v1/identities", json={}, headers=tokens.h("auditor"))
    assert r.status_code == 403


async def test_calls_without_a_token_are_not_failures(limited_client):
    for _ in range(20):
        r = await limited_client.get("/api/v1/identities")
        assert r.status_code == 401
    assert (await limited_client.get("/health")).status_code == 200
