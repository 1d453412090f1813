"""``huicui misuse scan``: detection again over stored records, without duplicates."""

from __future__ import annotations

import concurrent.futures

import msgspec
from huicui.cli import main
from huicui_test_support.members import active_member
from huicui_test_support.redemptions import (
    BEIHAI_PORT,
    FERRY,
    device,
    local,
    partner,
    record,
    sync,
    venue,
)


def _run(argv: list[str]) -> int:
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(main, argv).result()


async def test_scan_flags_what_was_synced_while_detection_was_off(db, settings, tokens, capsys):
    from huicui.app import create_app
    from huicui.audit.tables import AuditEvent
    from huicui.misuse.tables import MisuseFlag
    from litestar.testing import AsyncTestClient

    off = msgspec.structs.replace(
        settings, misuse=msgspec.structs.replace(settings.misuse, enabled=False))
    async with AsyncTestClient(app=create_app(off)) as client:
        a = await partner(client, tokens, "北部湾旅游公司")
        port = await venue(client, tokens, a["id"], "北海国际客运港", "ferry", [FERRY],
                           BEIHAI_PORT)
        gates = [await device(client, tokens, port["id"], n) for n in ("1号闸机", "2号闸机")]
        m = await active_member(client, tokens)
        await sync(client, gates[0], [record(m["cti"], port["id"], local(2025, 10, 15, h), FERRY)
                                      for h in (8, 9)])
        await sync(client, gates[1], [record(m["cti"], port["id"], local(2025, 10, 15, 10),
                                             FERRY)])
        await sync(client, gates[1], [record(m["cti"], port["id"], local(2025, 9, 15, h), FERRY)
                                      for h in (8, 9, 10)])
    assert await MisuseFlag.count() == 0

    assert _run(["misuse", "scan", "--since", "2025-10-01", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "checked 3 accepted uses, 1 new flags" in out  # September is before --since
    (flag,) = await MisuseFlag.select()
    assert flag["kind"] == "over_limit" and flag["membership_id"] == m["membership_id"]
    assert _run(["misuse", "scan", "--since", "2025-09-01", "--until", "2025-10-01",
                 "--quiet"]) == 0
    assert "checked 3 accepted uses, 1 new flags" in capsys.readouterr().out  # September's
    assert _run(["misuse", "scan", "--since", "2025-09-01", "--quiet"]) == 0
    assert "checked 6 accepted uses, 0 new flags" in capsys.readouterr().out
    assert await MisuseFlag.count() == 2
    assert await AuditEvent.count().where(AuditEvent.action == "misuse.scan") == 3


async def test_scan_refuses_a_bad_since(db, capsys):
    assert _run(["misuse", "scan", "--since", "last tuesday"]) == 1
    assert "--since" in capsys.readouterr().err
