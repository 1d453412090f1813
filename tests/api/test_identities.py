"""Identities: search, paging, update, lookup by document, reveal; personal data at rest."""

from __future__ import annotations

import logging
import os

import pytest
from huicui.audit.tables import AuditEvent

DOC = "11010519491231002X"
PHONE = "13912345678"
PEOPLE = [
    ("李晓明", "li xiaoming", "海洋生物学", "银海区派出所", "seasonal", DOC),
    ("陈静", "chen jing", "中医", "海城区社区", "resident", "440524188001010014"),
    ("王海", "wang hai", "海洋工程", "市人社局", "migrant", "G12345678"),
]


async def _seed(client, tokens) -> dict[str, int]:
    ids = {}
    for name, pinyin, field, source, residency, doc in PEOPLE:
        r = await client.post("/api/v1/identities", headers=tokens.h("registrar"), json={
            "display_name": name, "pinyin": pinyin, "field": field, "source": source,
            "residency": residency, "id_doc": doc, "phone": PHONE})
        assert r.status_code == 201, r.text
        ids[name] = r.json()["id"]
    return ids


@pytest.mark.parametrize(("params", "expected"), [
    ({"q": "晓明"}, ["李晓明"]),
    ({"q": "WANG"}, ["王海"]),
    ({"field": "海洋"}, ["王海", "李晓明"]),
    ({"source": "社区"}, ["陈静"]),
    ({"residency": "migrant"}, ["王海"]),
    ({"field": "海洋", "residency": "seasonal"}, ["李晓明"]),
    ({"q": "nobody"}, []),
])
async def test_search(client, tokens, params, expected):
    await _seed(client, tokens)
    r = await client.get("/api/v1/identities", params=params, headers=tokens.h("reviewer"))
    assert [i["display_name"] for i in r.json()["items"]] == expected
    assert r.json()["total"] == len(expected)


async def test_search_by_membership_status(client, tokens):
    ids = await _seed(client, tokens)
    await client.post("/api/v1/memberships", headers=tokens.h("registrar"),
                      json={"identity_id": ids["陈静"], "source_org": "社区"})
    r = await client.get("/api/v1/identities", params={"status": "nominated"},
                         headers=tokens.h("auditor"))
    assert [i["display_name"] for i in r.json()["items"]] == ["陈静"]


async def test_paging(client, tokens):
    await _seed(client, tokens)
    h = tokens.h("registrar")
    pages = [(await client.get("/api/v1/identities", params={"limit": 2, "offset": o},
                               headers=h)).json() for o in (0, 2, 4)]
    assert [len(p["items"]) for p in pages] == [2, 1, 0]
    assert {p["total"] for p in pages} == {3}
    names = [i["display_name"] for p in pages for i in p["items"]]
    assert sorted(names) == sorted(p[0] for p in PEOPLE)


async def test_lists_are_masked(client, tokens):
    await _seed(client, tokens)
    r = await client.get("/api/v1/identities", headers=tokens.h("admin"))
    assert DOC not in r.text and PHONE not in r.text
    item = next(i for i in r.json()["items"] if i["display_name"] == "李晓明")
    assert item["id_doc_masked"] == "****002X"
    assert item["phone_masked"] == "****5678"


async def test_lookup_by_document(client, tokens):
    ids = await _seed(client, tokens)
    wide = "１１０１０５１９４９１２３１００２Ｘ"
    for spelling in (DOC, DOC.lower(), "110105 19491231 002x", wide):
        r = await client.post("/api/v1/identities/lookup", json={"id_doc": spelling},
                              headers=tokens.h("registrar"))
        assert r.status_code == 200
        assert r.json()["registered"] is True
        assert r.json()["identity"]["id"] == ids["李晓明"]
    r = await client.post("/api/v1/identities/lookup", json={"id_doc": "G00000000"},
                          headers=tokens.h("admin"))
    assert r.json() == {"registered": False, "identity": None}
    for who in ("reviewer", "auditor"):
        r = await client.post("/api/v1/identities/lookup", json={"id_doc": DOC},
                              headers=tokens.h(who))
        assert r.status_code == 403


async def test_update_changes_fields_and_audits_names_only(client, tokens):
    ids = await _seed(client, tokens)
    iid = ids["陈静"]
    r = await client.patch(f"/api/v1/identities/{iid}", headers=tokens.h("registrar2"),
                           json={"field": "针灸", "phone": "13700001111", "residency": "seasonal"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["field"] == "针灸" and body["residency"] == "seasonal"
    assert body["phone_masked"].endswith("1111")
    (event,) = await AuditEvent.select().where(AuditEvent.action == "identity.update")
    assert "13700001111" not in event["data"] and "phone" in event["data"]
    # A document number that belongs to someone else is refused.
    r = await client.patch(f"/api/v1/identities/{iid}", headers=tokens.h("registrar"),
                           json={"id_doc": DOC})
    assert r.status_code == 409 and r.json()["existing_id"] == ids["李晓明"]
    r = await client.patch(f"/api/v1/identities/{iid}", headers=tokens.h("registrar"),
                           json={"unknown": 1})
    assert r.status_code == 400
    r = await client.patch(f"/api/v1/identities/{iid}", headers=tokens.h("reviewer"),
                           json={"field": "x"})
    assert r.status_code == 403
    r = await client.patch("/api/v1/identities/999999", headers=tokens.h("registrar"),
                           json={"field": "x"})
    assert r.status_code == 404


async def test_reveal_is_admin_only_and_audited(client, tokens):
    ids = await _seed(client, tokens)
    iid = ids["李晓明"]
    for who in ("registrar", "reviewer", "auditor"):
        r = await client.post(f"/api/v1/identities/{iid}/reveal", headers=tokens.h(who),
                              json={"reason": "核对身份信息"})
        assert r.status_code == 403
    r = await client.post(f"/api/v1/identities/{iid}/reveal", headers=tokens.h("admin"),
                          json={"reason": "短"})
    assert r.status_code == 400
    r = await client.post(f"/api/v1/identities/{iid}/reveal", headers=tokens.h("admin"),
                          json={"reason": "学校核验子女入学资格"})
    assert r.status_code == 200
    assert r.json() == {"id": iid, "id_doc": DOC, "phone": PHONE}
    (event,) = await AuditEvent.select().where(AuditEvent.action == "identity.reveal")
    assert event["reason"] == "学校核验子女入学资格" and "test-admin" in event["actor"]
    assert DOC not in str(event)


class _Capture(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record):
        text = record.getMessage()
        if record.exc_info:
            text += logging.Formatter().formatException(record.exc_info)
        self.lines.append(text)


async def test_personal_data_never_at_rest_in_plain_text_nor_in_logs(client, tokens, backend,
                                                                      tmp_root):
    capture = _Capture()
    loggers = [logging.getLogger(name) for name in ("", "litestar", "huicui", "piccolo")]
    for logger in loggers:
        logger.addHandler(capture)
    try:
        await _seed(client, tokens)
        csv_text = "姓名,证件号码,手机\n赵六,G87654321,13655556666\n孙七,12,13655556666\n"
        for skip in ("false", "true"):
            await client.post("/api/v1/identities/import", params={"skip_invalid": skip},
                              files={"file": ("r.csv", csv_text.encode(), "text/csv")},
                              headers=tokens.h("registrar"))
        # Errors that carry the personal data in the request:
        await client.post("/api/v1/identities", headers=tokens.h("registrar"),
                          json={"display_name": "x", "id_doc": DOC, "phone": PHONE})  # 409
        await client.post("/api/v1/identities", headers=tokens.h("registrar"),
                          json={"display_name": "x", "id_doc": DOC[:-1] + "1"})  # 422
        await client.post("/api/v1/identities", headers=tokens.h("registrar"),
                          json={"display_name": "x\u0000", "phone": PHONE})  # NUL
        await client.post("/api/v1/identities/lookup", headers=tokens.h("registrar"),
                          json={"id_doc": DOC})
    finally:
        for logger in loggers:
            logger.removeHandler(capture)
    secrets = [DOC, PHONE, "G87654321", "13655556666", "440524188001010014"]
    logged = "\n".join(capture.lines)
    assert capture.lines  # the capture works (httpx logs each request)
    for secret in secrets:
        assert secret not in logged

    if backend == "sqlite":
        path = os.environ["HUICUI_DATABASE_URL"][len("sqlite:///"):]
        raw = b""
        for suffix in ("", "-wal", "-journal"):
            if os.path.exists(path + suffix):
                with open(path + suffix, "rb") as fh:
                    raw += fh.read()
        for secret in secrets:
            for encoding in ("utf-8", "utf-16-le"):
                assert secret.encode(encoding) not in raw, secret
        assert "李晓明".encode() in raw  # names are not secret: proves we read the data
    else:
        from piccolo.engine.finder import engine_finder
        from piccolo.querystring import QueryString

        engine = engine_finder()
        columns = await engine.run_querystring(QueryString(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND data_type IN "
            "('text', 'character varying', 'json', 'jsonb')"))
        seen_name = False
        for col in columns:
            rows = await engine.run_querystring(QueryString(
                f'SELECT "{col["column_name"]}"::text AS v FROM "{col["table_name"]}"'))
            for row in rows:
                value = row["v"] or ""
                seen_name = seen_name or "李晓明" in value
                for secret in secrets:
                    assert secret not in value, (col, secret)
        assert seen_name
