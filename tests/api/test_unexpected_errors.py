"""An unexpected error: logged with the application frames and a request id, never with
its message; the caller's problem document carries the same id."""

from __future__ import annotations

import logging
import re
import sqlite3

ID_DOC = "11010519491231002X"


async def test_an_unexpected_error_is_logged_with_frames_and_request_id(
    client, tokens, monkeypatch, caplog
):
    from huicui.identities import service

    def boom(ctx, **filters):
        # A driver error that quotes what was searched, as real ones do.
        message = "UNIQUE constraint failed: " + filters["q"]
        raise sqlite3.IntegrityError(message)

    monkeypatch.setattr(service, "identity_conditions", boom)
    with caplog.at_level(logging.ERROR, logger="huicui.errors"):
        r = await client.get("/api/v1/identities", params={"q": ID_DOC},
                             headers=tokens.h("auditor"))
    assert r.status_code == 500
    body = r.json()
    rid = body["request_id"]
    assert re.fullmatch(r"[0-9a-f]{16}", rid)
    assert r.headers["x-request-id"] == rid
    assert rid in body["title"] and rid in body["title_zh"]
    assert ID_DOC not in r.text

    [record] = [rec for rec in caplog.records if rec.name == "huicui.errors"]
    line = record.getMessage()
    assert f"request {rid}" in line
    assert "IntegrityError in GET /api/v1/identities" in line
    # The frames that lead to the cause: the controller, the service, where it was raised.
    assert "huicui.identities.controller:" in line and "in search" in line
    assert "huicui.identities.service:" in line and "in search_identities" in line
    assert "raised in" in line and "in boom" in line
    assert "litestar" not in line  # library frames left out
    assert ID_DOC not in line and "constraint failed" not in line


async def test_every_answer_has_its_own_request_id(client, tokens):
    seen = set()
    for path, headers in (("/health", {}), ("/api/v1/identities", {}),
                          ("/api/v1/identities", tokens.h("auditor")),
                          ("/api/v1/identities?q=%00", tokens.h("auditor"))):
        r = await client.get(path, headers=headers)
        assert re.fullmatch(r"[0-9a-f]{16}", r.headers["x-request-id"]), path
        seen.add(r.headers["x-request-id"])
    assert len(seen) == 4


async def test_a_caller_cannot_choose_the_request_id(client):
    r = await client.get("/health", headers={"X-Request-Id": "0123456789abcdef"})
    assert r.headers.get_list("x-request-id") != ["0123456789abcdef"]
    assert len(r.headers.get_list("x-request-id")) == 1
