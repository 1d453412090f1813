"""Nothing personal is logged at any level: the sensitive flows at debug level, served by
uvicorn as ``huicui serve`` configures it, with every record of every logger captured."""

from __future__ import annotations

import logging
import traceback

import httpx
import msgspec
import pytest
from huicui_test_support.live_server import uvicorn_in_thread

ID_DOCS = ["11010519491231002X", "44030119800101123X"]
PHONES = ["13912345678", "13787654321"]
NAME = "欧阳晓明"
IMPORT_CSV = f"姓名,证件号码,手机,类别\n{NAME},{ID_DOCS[1]},{PHONES[1]},候鸟\n".encode()


# The test's own HTTP client logs the URLs it calls; it is not the service.
CLIENT_LOGGERS = ("httpx", "httpcore")


@pytest.fixture
def every_record(monkeypatch) -> list[logging.LogRecord]:
    """Every record any logger passes on to handlers (its own or its ancestors'),
    whatever those handlers are: what a log file or journal could ever receive."""
    records: list[logging.LogRecord] = []
    original = logging.Logger.callHandlers

    def call_handlers(self: logging.Logger, record: logging.LogRecord) -> None:
        if not record.name.startswith(CLIENT_LOGGERS):
            records.append(record)
        original(self, record)

    monkeypatch.setattr(logging.Logger, "callHandlers", call_handlers)
    return records


def _text(record: logging.LogRecord) -> str:
    parts = [record.name, str(record.msg), repr(record.args), record.getMessage()]
    if record.exc_info and record.exc_info[1] is not None:
        parts.append("".join(traceback.format_exception(*record.exc_info)))
    if record.stack_info:
        parts.append(record.stack_info)
    return "\n".join(parts)


@pytest.fixture
def debug_service(db, settings, every_record):
    """The app at log level debug under uvicorn, configured as ``huicui serve`` does."""
    import socket

    from huicui.app import create_app
    from huicui.cli.setup import server_config

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server_settings = msgspec.structs.replace(settings.server, log_level="debug", port=port)
    settings = msgspec.structs.replace(settings, server=server_settings)
    with uvicorn_in_thread(server_config(create_app(settings), settings)):
        yield f"http://127.0.0.1:{port}"


async def test_sensitive_flows_at_debug_level_log_nothing_personal(
    debug_service, tokens, every_record
):
    async with httpx.AsyncClient(base_url=debug_service, timeout=30) as http:
        async def call(method, path, who, expect, **kw):
            r = await http.request(method, path, headers=tokens.h(who), **kw)
            assert r.status_code == expect, (path, r.text[:300])
            return r

        person = (await call("POST", "/api/v1/identities", "registrar", 201, json={
            "display_name": "李晓明", "id_doc": ID_DOCS[0], "phone": PHONES[0],
            "residency": "seasonal", "source": "银海区派出所"})).json()
        for q in (ID_DOCS[0], PHONES[0], ID_DOCS[0][-4:]):
            await call("GET", "/api/v1/identities", "auditor", 200, params={"q": q})
            await call("GET", "/api/v1/identities/export", "auditor", 200, params={"q": q})
        found = await call("POST", "/api/v1/identities/lookup", "registrar", 200,
                           json={"id_doc": ID_DOCS[0]})
        assert found.json()["registered"] is True
        await call("POST", "/api/v1/identities/import", "registrar", 201,
                   files={"file": ("roster.csv", IMPORT_CSV, "text/csv")})
        # A refused row names the problem, not the value, in the log.
        await call("POST", "/api/v1/identities/import", "registrar", 422,
                   files={"file": ("bad.csv", IMPORT_CSV.replace(b"3X,", b"3Y,"), "text/csv")})
        revealed = await call("GET", "/api/v1/identities/export", "admin", 200,
                              params={"reveal": "true", "reason": "年度复核，需核对证件"})
        assert ID_DOCS[0] in revealed.text  # the flow really handled the plain values
        plain = await call("POST", f"/api/v1/identities/{person['id']}/reveal", "admin", 200,
                           json={"reason": "核对证件号码"})
        assert plain.json()["id_doc"] == ID_DOCS[0]
        m = (await call("POST", "/api/v1/memberships", "registrar", 201,
                        json={"identity_id": person["id"], "source_org": "银海区派出所"})).json()
        m = (await call("POST", f"/api/v1/memberships/{m['id']}/approve", "reviewer", 200,
                        json={"reason": "材料齐全"})).json()
        link = (await call("POST", f"/api/v1/certificates/{m['certificate_id']}/holder-link",
                           "registrar", 200)).json()
        page = await http.get(f"/cards/{link['token']}")
        assert page.status_code == 200 and "李晓明" in page.text
        await call("GET", f"/api/v1/certificates/{m['certificate_id']}/card.pdf", "reviewer", 200)

    assert len(every_record) > 20  # debug logging was on and captured
    logged = "\n".join(_text(r) for r in every_record)
    secrets = [*ID_DOCS, *PHONES, NAME, link["token"],
               ID_DOCS[0][:14], PHONES[0][:7]]  # masked forms keep at most the last four
    leaks = {s: [r.name for r in every_record if s in _text(r)] for s in secrets}
    assert not any(leaks.values()), leaks
    assert "李晓明" not in logged
