"""The code in docs/plugins.md is code the suite runs: a block marked
``<!-- file: PATH -->`` is PATH byte for byte, and each such file is run by a test
(the museum by its own tests and the plugin tests, the settlement example here)."""

from __future__ import annotations

import re
from pathlib import Path

from doc_examples import library_routes, library_settlement
from fakes import fact
from hooktests import covers
from huicui.plugins.api import MAX_ID, SettlementLine
from huicui.testing import build_plugins, plugin_client

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
MARKED = re.compile(r"^<!-- file: (?P<path>\S+) -->\n```\w*\n(?P<code>.*?)^```$", re.M | re.S)
INCLUDED = {
    "tests/example_plugin/pyproject.toml",
    "tests/example_plugin/huicui_museum/__init__.py",
    "tests/example_plugin/test_museum.py",
    "tests/plugins/doc_examples/library_settlement.py",
    "tests/plugins/doc_examples/library_routes.py",
}


def test_marked_blocks_are_the_files_byte_for_byte():
    blocks = [(m["path"], m["code"]) for m in MARKED.finditer(DOC)]
    assert {path for path, _ in blocks} == INCLUDED
    assert len(blocks) == len(re.findall(r"^<!-- file:", DOC, re.M))  # each with its block
    for path, code in blocks:
        assert code == (ROOT / path).read_text(encoding="utf-8"), path


def test_the_per_use_example_is_shown_first():
    museum = DOC.index("<!-- file: tests/example_plugin/huicui_museum/__init__.py -->")
    assert museum < DOC.index("```python")  # the first Python a reader sees
    assert museum < DOC.index("## Hooks")


@covers("huicui_settlement_lines")
def test_the_settlement_example_settles_each_venue_under_its_own_line():
    plugins = build_plugins(library_settlement)
    facts = [fact(12, 71, n=1), fact(12, 70, n=2), fact(12, 70, n=3), fact(12, 70, n=4),
             fact(12, 70, accepted=False, n=5), fact(2, 71, n=6)]
    lines = plugins.settlement_lines(7, "2026-11", facts)
    assert lines == [
        SettlementLine(venue_id=70, benefit=12, count=3, amount_fen=1500,
                       note_zh="借阅 3 次 × ¥5.00，每馆每月至多 ¥500.00",
                       note_en="3 × ¥5.00 a loan, at most ¥500.00 a library a month"),
        SettlementLine(venue_id=71, benefit=12, count=1, amount_fen=500,
                       note_zh="借阅 1 次 × ¥5.00，每馆每月至多 ¥500.00",
                       note_en="1 × ¥5.00 a loan, at most ¥500.00 a library a month"),
    ]
    busy = plugins.settlement_lines(7, "2026-11", [fact(12, 72, n=i) for i in range(150)])
    assert [(x.venue_id, x.count, x.amount_fen) for x in busy] == [(72, 150, 50_000)]
    assert plugins.settlement_lines(7, "2026-11", [fact(12, 70, accepted=False)]) == []


@covers("huicui_route_handlers")
async def test_the_routes_example_pages_and_refuses_out_of_range_integers(db):
    async with plugin_client(library_routes) as h:
        loans = "/api/v1/library/loans"
        r = await h.client.get(loans, headers=h.headers("auditor"), params={"limit": 10})
        assert r.status_code == 200
        assert r.json() == {"items": [], "total": 0, "limit": 10, "offset": 0}
        for name, value in (("offset", 2**65 - 1), ("membership_id", MAX_ID + 1),
                            ("limit", 501), ("limit", 0)):
            r = await h.client.get(loans, headers=h.headers("auditor"), params={name: value})
            assert r.status_code == 400 and r.json()["code"] == "validation_failed", r.text
            assert [e["key"] for e in r.json()["errors"]] == [name]
        assert (await h.client.get(loans)).status_code == 401
