"""The monthly settlement statement: a month of redemptions uploaded by enrolled devices, then
the statement's counts and amounts in JSON, CSV and PDF match what was stored."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import subprocess
from collections import Counter

import msgspec
import pytest
from huicui_test_support.members import active_member
from huicui_test_support.redemptions import (
    BEIHAI_PORT,
    FERRY,
    GUILIN_REED_FLUTE,
    HOTEL,
    SCENIC,
    SHANGHAI,
    VIP_LANE,
    WEIZHOU_PIER,
    device,
    local,
    partner,
    record,
    sync,
    venue,
)

REPORT = "/api/v1/reports/settlement"
NO_BENEFIT = 0
MONTH = "2025-10"
FARE_FEN, RACK_FEN, AGREED_FEN, TICKET_FEN = 4500, 48000, 38000, 6000


async def _seed(client, tokens) -> dict:
    """A ferry company with two piers, a hotel and a VIP counter; a scenic spot elsewhere;
    three members riding through October 2025 (plus records just outside it)."""
    a = await partner(client, tokens, "北部湾旅游公司", "Beibu Gulf Tourism")
    b = await partner(client, tokens, "桂林山水旅游", "Guilin Scenery")
    port = await venue(client, tokens, a["id"], "北海国际客运港", "ferry", [FERRY], BEIHAI_PORT,
                       "Beihai International Port")
    pier = await venue(client, tokens, a["id"], "涠洲岛西角码头", "ferry", [FERRY], WEIZHOU_PIER)
    hotel = await venue(client, tokens, a["id"], "涠洲岛海景酒店", "hotel", [HOTEL],
                        (21.0335, 109.1120))
    counter = await venue(client, tokens, a["id"], "客运港贵宾通道", "counter", [VIP_LANE], None)
    cave = await venue(client, tokens, b["id"], "芦笛岩", "scenic", [SCENIC], GUILIN_REED_FLUTE)
    devices = {
        "port1": await device(client, tokens, port["id"], "1号闸机"),
        "port2": await device(client, tokens, port["id"], "2号闸机"),
        "pier": await device(client, tokens, pier["id"], "码头闸机"),
        "hotel": await device(client, tokens, hotel["id"], "前台"),
        "counter": await device(client, tokens, counter["id"], "贵宾柜台"),
        "cave": await device(client, tokens, cave["id"], "检票口"),
    }
    members = [await active_member(client, tokens, name) for name in ("陈海生", "黄晓燕", "梁志强")]
    rng = random.Random(20251001)
    uploads: dict[str, list[dict]] = {name: [] for name in devices}
    for day in range(1, 32):
        for i, m in enumerate(members):
            if rng.random() < 0.6:  # a day trip to the island and back
                out = local(2025, 10, day, 8, rng.randrange(0, 50))
                uploads["port1" if (day + i) % 2 else "port2"].append(
                    record(m["cti"], port["id"], out, FERRY))
                uploads["pier"].append(
                    record(m["cti"], pier["id"], out + 8 * 3600, FERRY))
                if rng.random() < 0.2:  # a third ride that day: the gate refused it
                    uploads["pier"].append(
                        record(m["cti"], pier["id"], out + 9 * 3600, FERRY, accepted=False))
            if rng.random() < 0.15:
                uploads["hotel"].append(
                    record(m["cti"], hotel["id"], local(2025, 10, day, 20), HOTEL))
            if rng.random() < 0.1:
                uploads["counter"].append(
                    record(m["cti"], counter["id"], local(2025, 10, day, 7), VIP_LANE))
            if rng.random() < 0.1:  # the other partner's venue: never on A's statement
                uploads["cave"].append(
                    record(m["cti"], cave["id"], local(2025, 10, day, 10), SCENIC))
    m0 = members[0]["cti"]
    # The month is Shanghai's: 00:05 on 1 October is September in UTC but October here,
    # 00:10 on 1 November is October in UTC but November here.
    uploads["port1"] += [
        record(m0, port["id"], local(2025, 9, 30, 23, 30), FERRY),
        record(m0, port["id"], local(2025, 10, 1, 0, 5), FERRY),
        record(m0, port["id"], local(2025, 11, 1, 0, 10), FERRY),
        record(m0, port["id"], local(2025, 10, 31, 23, 50), FERRY, accepted=False),
    ]
    # A revoked card is refused before any benefit is chosen: benefit code 0.
    uploads["port2"] += [record(m0, port["id"], local(2025, 10, day, 9), NO_BENEFIT,
                                accepted=False, reason="revoked") for day in (3, 17)]
    for name, records in uploads.items():
        result = await sync(client, devices[name], records)
        assert result["new"] == len(records)
    venue_of = {v["id"]: v for v in (port, pier, hotel, counter, cave)}
    return {"a": a, "b": b, "uploads": uploads, "venues": venue_of, "members": members}


def _expected(seed: dict, partner_id: int) -> dict:
    """Counts per (venue, benefit) of one partner's October, from what the devices sent."""
    accepted, refused, daily = Counter(), Counter(), Counter()
    for records in seed["uploads"].values():
        for r in records:
            when = dt.datetime.fromtimestamp(r["at"], SHANGHAI)
            if seed["venues"][r["venue"]]["partner_id"] != partner_id:
                continue
            if (when.year, when.month) != (2025, 10):
                continue
            key = (r["venue"], r["benefit"])
            if r["decision"] == "accept":
                accepted[key] += 1
                daily[when.date().isoformat()] += 1
            else:
                refused[key] += 1
    return {"accepted": accepted, "refused": refused, "daily": daily}


def _priced(settings, partner_id: int):
    """Settings with prices: a fare per ride, a hotel's rates, a scenic ticket."""
    return msgspec.structs.replace(settings, benefits={
        "ferry": {"fare_fen": FARE_FEN},
        "scenic": {"ticket_fen": TICKET_FEN},
        "hotel": {"partners": [{"partner_id": partner_id, "rack_rate_fen": RACK_FEN,
                                "agreement_rate_fen": AGREED_FEN}]},
    })


@pytest.fixture
async def seeded(client, tokens, settings):
    """The seeded month, and a client of a service configured with the prices."""
    from huicui.app import create_app
    from litestar.testing import AsyncTestClient

    seed = await _seed(client, tokens)
    async with AsyncTestClient(app=create_app(_priced(settings, seed["a"]["id"]))) as priced:
        yield seed, priced


def _price(benefit: int, accepted: int) -> int:
    return {FERRY: FARE_FEN, HOTEL: RACK_FEN - AGREED_FEN, SCENIC: TICKET_FEN}.get(
        benefit, 0) * accepted


async def _db_accepted(partner_id: int) -> int:
    """Accepted redemptions of the partner's October, counted straight from the table."""
    from huicui.sync.tables import Redemption

    start = dt.datetime(2025, 10, 1, tzinfo=SHANGHAI)
    end = dt.datetime(2025, 11, 1, tzinfo=SHANGHAI)
    return await Redemption.count().where(
        (Redemption.partner == partner_id) & (Redemption.decision == "accept")
        & (Redemption.at >= start) & (Redemption.at < end))


async def test_json_statement_matches_the_month_of_records(seeded, tokens):
    seed, client = seeded
    a = seed["a"]
    expected = _expected(seed, a["id"])
    r = await client.get(REPORT, params={"partner": a["id"], "month": MONTH},
                         headers=tokens.h("auditor"))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    s = r.json()
    assert s["partner"]["name_zh"] == "北部湾旅游公司"
    assert s["partner"]["name_en"] == "Beibu Gulf Tourism"
    assert s["month"] == MONTH and s["currency"] == "CNY"
    assert s["period_start"] == "2025-10-01T00:00:00+08:00"
    assert s["period_end"] == "2025-11-01T00:00:00+08:00"

    rows = {(row["venue_id"], row["benefit"]): row for row in s["rows"]}
    keys = set(expected["accepted"]) | set(expected["refused"])
    assert set(rows) == keys
    assert all(seed["venues"][v]["partner_id"] == a["id"] for v, _ in rows)  # no Guilin
    for key, row in rows.items():
        assert row["accepted"] == expected["accepted"][key], key
        assert row["refused"] == expected["refused"][key], key
        assert row["amount_fen"] == _price(key[1], row["accepted"]), key  # refusals unpaid
    port = next(v for v in seed["venues"].values() if v["name_zh"] == "北海国际客运港")
    assert rows[(port["id"], FERRY)]["venue_name_en"] == "Beihai International Port"
    vip = next(row for row in s["rows"] if row["benefit"] == VIP_LANE)
    assert vip["amount_fen"] == 0 and "无结算规则" in vip["note_zh"]
    hotel = next(row for row in s["rows"] if row["benefit"] == HOTEL)
    assert "协议价" in hotel["note_zh"]

    total_accepted = sum(expected["accepted"].values())
    total_fen = sum(_price(b, n) for (_, b), n in expected["accepted"].items())
    assert s["totals"]["accepted"] == total_accepted == await _db_accepted(a["id"])
    assert s["totals"]["refused"] == sum(expected["refused"].values())
    assert s["totals"]["amount_fen"] == total_fen
    assert s["totals"]["amount_yuan"] == f"{total_fen // 100}.{total_fen % 100:02d}"
    assert len(s["daily"]) == 31 and s["daily"][0]["date"] == "2025-10-01"
    assert {d["date"]: d["accepted"] for d in s["daily"] if d["accepted"]} == dict(
        expected["daily"])
    # 00:05 on 1 October local time counts; 23:30 on 30 September does not.
    assert s["daily"][0]["accepted"] == expected["daily"]["2025-10-01"] >= 1


async def test_other_partner_and_other_months_are_separate(seeded, tokens):
    seed, client = seeded
    b = seed["b"]
    r = await client.get(REPORT, params={"partner": b["id"], "month": MONTH},
                         headers=tokens.h("admin"))
    assert r.status_code == 200, r.text
    s = r.json()
    expected = _expected(seed, b["id"])
    assert [row["benefit"] for row in s["rows"]] == [SCENIC]
    assert s["totals"]["accepted"] == sum(expected["accepted"].values()) > 0
    assert s["totals"]["amount_fen"] == s["totals"]["accepted"] * TICKET_FEN

    r = await client.get(REPORT, params={"partner": seed["a"]["id"], "month": "2025-11"},
                         headers=tokens.h("admin"))
    november = r.json()
    assert november["totals"]["accepted"] == 1  # 00:10 on 1 November, local time
    assert november["daily"][0] == {"date": "2025-11-01", "accepted": 1}
    assert len(november["daily"]) == 30
    r = await client.get(REPORT, params={"partner": seed["a"]["id"], "month": "2025-08"},
                         headers=tokens.h("admin"))
    empty = r.json()
    assert empty["rows"] == [] and empty["totals"]["amount_fen"] == 0
    assert sum(d["accepted"] for d in empty["daily"]) == 0


async def test_csv_statement_opens_in_excel_and_adds_up(seeded, tokens):
    seed, client = seeded
    a = seed["a"]
    expected = _expected(seed, a["id"])
    r = await client.get(REPORT, params={"partner": a["id"], "month": MONTH, "format": "csv"},
                         headers=tokens.h("auditor"))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    assert "settlement-" in r.headers["content-disposition"]
    assert r.content.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    table = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    *lines, total = table
    assert total["场所 venue"] == "合计 Total"
    assert len(lines) == len(set(expected["accepted"]) | set(expected["refused"]))
    for line in lines:
        key = (int(line["场所编号 venue_id"]), int(line["权益代码 benefit_code"]))
        assert int(line["通过次数 accepted"]) == expected["accepted"][key]
        assert int(line["拒绝次数 refused"]) == expected["refused"][key]
        assert line["月份 month"] == MONTH
        assert line["合作方 partner"] == "北部湾旅游公司 Beibu Gulf Tourism"
    fen = sum(_price(b, n) for (_, b), n in expected["accepted"].items())
    assert total["应付金额（元）amount_cny"] == f"{fen // 100}.{fen % 100:02d}"
    assert sum(int(x["通过次数 accepted"]) for x in lines) == int(total["通过次数 accepted"])
    assert int(total["通过次数 accepted"]) == await _db_accepted(a["id"])

    # An Accept header chooses the format too.
    r = await client.get(REPORT, params={"partner": a["id"], "month": MONTH},
                         headers={**tokens.h("admin"), "Accept": "text/csv"})
    assert r.headers["content-type"].startswith("text/csv")
    assert r.content.decode("utf-8-sig").splitlines()[0].startswith("月份 month,")


async def test_refusals_without_a_benefit_are_named_alike_in_json_csv_and_pdf(seeded, tokens,
                                                                             tmp_path):
    """Refusals recorded before a benefit was chosen read 未指定权益, never 权益 0（0）."""
    seed, client = seeded
    a = seed["a"]
    port = next(v for v in seed["venues"].values() if v["name_zh"] == "北海国际客运港")
    params = {"partner": a["id"], "month": MONTH}
    h = tokens.h("auditor")
    statement = (await client.get(REPORT, params=params, headers=h)).json()
    port_rows = [row for row in statement["rows"] if row["venue_id"] == port["id"]]
    none = port_rows[-1]  # after the venue's benefits
    assert (none["benefit"], none["benefit_name_zh"], none["benefit_name_en"]) == (
        NO_BENEFIT, "未指定权益", "no benefit determined")
    assert (none["accepted"], none["refused"], none["amount_fen"]) == (0, 2, 0)
    assert "撤销" in none["note_zh"] and "revoked" in none["note_en"]
    assert all(row["benefit"] != NO_BENEFIT for row in port_rows[:-1])
    assert statement["totals"]["refused"] == sum(row["refused"] for row in statement["rows"])

    r = await client.get(REPORT, params={**params, "format": "csv"}, headers=h)
    lines = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    (line,) = [x for x in lines if x["权益代码 benefit_code"] == "0"]
    assert line["权益 benefit"] == "未指定权益 no benefit determined"
    assert line["拒绝次数 refused"] == "2" and line["应付金额（元）amount_cny"] == "0.00"

    pdf = tmp_path / "statement.pdf"
    pdf.write_bytes((await client.get(REPORT, params={**params, "format": "pdf"},
                                      headers=h)).content)
    text = subprocess.run([_poppler("pdftotext"), "-layout", str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout
    (row_line,) = [x for x in text.splitlines() if "未指定权益" in x and "¥" in x]
    assert "北海国际客运港" in row_line
    assert row_line.split()[-3:-1] == ["0", "2"]
    assert "权益 0" not in text and "（0）" not in text


def test_csv_cells_that_look_like_formulas_stay_text():
    from huicui.reports.schemas import PartnerRef, Statement, StatementRow, Totals
    from huicui.reports.statement_csv import statement_csv

    row = StatementRow(venue_id=1, venue_name_zh="=HYPERLINK(\"x\")", venue_name_en="",
                       benefit=2, benefit_slug="ferry", benefit_name_zh="客轮",
                       benefit_name_en="", accepted=1, refused=0, amount_fen=150,
                       amount_yuan="1.50", note_zh="", note_en="")
    s = Statement(program_zh="荟萃北海", program_en="", partner=PartnerRef(
        id=1, name_zh="+合作方", name_en="", settlement_ref=""), month=MONTH,
        period_start="", period_end="", timezone="Asia/Shanghai", currency="CNY",
        generated_at="", rows=[row], totals=Totals(accepted=1, refused=0, amount_fen=150,
                                                   amount_yuan="1.50"), daily=[])
    rows = list(csv.reader(io.StringIO(statement_csv(s).decode("utf-8-sig"))))
    assert rows[1][3] == "'=HYPERLINK(\"x\")" and rows[1][1] == "'+合作方"
    assert rows[1][8] == "1.50"


def _poppler(tool: str) -> str:
    from huicui_test_support import require_tool

    return require_tool(tool, "poppler-utils", "HUICUI_REQUIRE_POPPLER")


async def test_pdf_statement_is_a4_with_totals_and_a_daily_chart(seeded, tokens, tmp_path):
    from PIL import Image

    seed, client = seeded
    a = seed["a"]
    expected = _expected(seed, a["id"])
    r = await client.get(REPORT, params={"partner": a["id"], "month": MONTH},
                         headers={**tokens.h("auditor"), "Accept": "application/pdf"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF-")
    pdf = tmp_path / "statement.pdf"
    pdf.write_bytes(r.content)

    info = subprocess.run([_poppler("pdfinfo"), str(pdf)], capture_output=True, text=True,
                          check=True).stdout
    assert "595.28 x 841.89 pts (A4)" in info
    text = subprocess.run([_poppler("pdftotext"), "-layout", str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout
    fen = sum(_price(b, n) for (_, b), n in expected["accepted"].items())
    total = f"¥{fen // 100:,}.{fen % 100:02d}"
    total_line = next(line for line in text.splitlines() if "合计" in line)
    assert total in total_line
    assert str(sum(expected["accepted"].values())) in total_line.split()
    for needle in ("权益结算单", "北部湾旅游公司", "Beibu Gulf Tourism", "2025-10",
                   "北海国际客运港", "每日通过次数"):
        assert needle in text, needle
    assert "芦笛岩" not in text

    # The chart: one red bar per day with accepted uses, read back from the rendered page.
    subprocess.run([_poppler("pdftoppm"), "-r", "100", "-png", "-f", "1", "-l", "2",
                    str(pdf), str(tmp_path / "page")], check=True)
    bars = None
    for page in sorted(tmp_path.glob("page*.png")):
        image = Image.open(page).convert("RGB")
        width, height = image.size
        red_rows = [y for y in range(height) if any(
            _is_bar(image.getpixel((x, y))) for x in range(0, width, 2))]
        if not red_rows:
            continue
        y = max(red_rows) - 2  # just above the axis, where every bar is present
        runs, inside = 0, False
        for x in range(width):
            red = _is_bar(image.getpixel((x, y)))
            runs += red and not inside
            inside = red
        bars = runs
    assert bars == len(expected["daily"])


def _is_bar(pixel: tuple[int, int, int]) -> bool:
    r, g, b = pixel
    return r > 150 and g < 90 and b < 90


async def test_empty_month_pdf_still_renders(seeded, tokens):
    seed, client = seeded
    r = await client.get(REPORT, params={"partner": seed["b"]["id"], "month": "2025-08",
                                         "format": "pdf"}, headers=tokens.h("admin"))
    assert r.status_code == 200 and r.content.startswith(b"%PDF-")


@pytest.mark.parametrize(("params", "status", "code"), [
    ({"month": "2025-13"}, 422, "invalid_input"),
    ({"month": "2025-1"}, 422, "invalid_input"),
    ({"month": "October"}, 422, "invalid_input"),
    ({"month": "2019-12"}, 422, "invalid_input"),
    ({"month": "2025-10", "partner": 999999}, 404, "not_found"),
    ({"month": "2025-10", "partner": 0}, 400, "validation_failed"),
    ({"month": "2025-10", "format": "xlsx"}, 400, "validation_failed"),
    ({"partner": None}, 400, "validation_failed"),
])
async def test_bad_requests_get_problem_documents(client, tokens, params, status, code):
    a = await partner(client, tokens, "北部湾旅游公司")
    query = {"partner": a["id"], "month": MONTH, **params}
    query = {k: v for k, v in query.items() if v is not None}
    r = await client.get(REPORT, params=query, headers=tokens.h("admin"))
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["code"] == code and body["title_zh"]


async def test_only_admin_and_auditor_see_statements(client, tokens, device_headers):
    a = await partner(client, tokens, "北部湾旅游公司")
    params = {"partner": a["id"], "month": MONTH}
    for role in ("registrar", "reviewer"):
        r = await client.get(REPORT, params=params, headers=tokens.h(role))
        assert r.status_code == 403 and r.json()["title_zh"], role
    r = await client.get(REPORT, params=params, headers=device_headers)
    assert r.status_code == 403
    r = await client.get(REPORT, params=params)
    assert r.status_code == 401
    for role in ("admin", "auditor"):
        r = await client.get(REPORT, params=params, headers=tokens.h(role))
        assert r.status_code == 200, role
