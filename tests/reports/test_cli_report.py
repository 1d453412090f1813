"""``huicui report settlement``: the same statement as the API, written to a file."""

from __future__ import annotations

import concurrent.futures
import csv
import io
import json

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
    """Run the command in a fresh thread (it calls asyncio.run itself)."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(main, argv).result()


async def test_report_settlement_writes_json_csv_and_pdf(client, tokens, tmp_path, capsys):
    a = await partner(client, tokens, "北部湾旅游公司", "Beibu Gulf Tourism")
    port = await venue(client, tokens, a["id"], "北海国际客运港", "ferry", [FERRY], BEIHAI_PORT)
    gate = await device(client, tokens, port["id"], "1号闸机")
    m = await active_member(client, tokens)
    await sync(client, gate, [
        record(m["cti"], port["id"], local(2025, 10, 3, 8), FERRY),
        record(m["cti"], port["id"], local(2025, 10, 9, 8), FERRY),
        record(m["cti"], port["id"], local(2025, 10, 9, 9), FERRY, accepted=False),
        record(m["cti"], port["id"], local(2025, 11, 2, 8), FERRY),
    ])
    base = ["report", "settlement", "--partner", str(a["id"]), "--month", "2025-10"]
    assert _run([*base, "-o", str(tmp_path / "s.json")]) == 0
    assert "通过 accepted 2" in capsys.readouterr().out
    statement = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    assert statement["totals"]["accepted"] == 2 and statement["totals"]["refused"] == 1
    assert statement["partner"]["name_zh"] == "北部湾旅游公司"

    assert _run([*base, "-o", str(tmp_path / "s.csv")]) == 0
    raw = (tmp_path / "s.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    *_, total = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert total["场所 venue"] == "合计 Total" and total["通过次数 accepted"] == "2"

    assert _run([*base, "--format", "pdf", "-o", str(tmp_path / "statement.out")]) == 0
    assert (tmp_path / "statement.out").read_bytes().startswith(b"%PDF-")


async def test_report_settlement_refuses_bad_input(db, tmp_path, capsys):
    assert _run(["report", "settlement", "--partner", "1", "--month", "2025-13",
                 "-o", str(tmp_path / "x.json")]) == 1
    assert "YYYY-MM" in capsys.readouterr().err
    assert _run(["report", "settlement", "--partner", "4242", "--month", "2025-10",
                 "-o", str(tmp_path / "x.json")]) == 1
    assert "Partner 4242 not found" in capsys.readouterr().err
    assert _run(["report", "settlement", "--partner", "1", "--month", "2025-10",
                 "--format", "pdf", "-o", "-"]) == 2
    assert not (tmp_path / "x.json").exists()
