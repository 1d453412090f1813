"""The printed certificate names its issuer, the issue date and leaves the seal area;
the text never runs into itself or off the page (needs poppler-utils)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import msgspec
import pytest
from huicui_test_support import require_tool
from huicui_test_support.members import active_member

SHANGHAI_DATE = re.compile(r"签发日期 Issued (\d{4}-\d{2}-\d{2})")


async def _pdf(client, tokens, tmp_path: Path, name: str = "欧阳娜", revoke=False) -> Path:
    m = await active_member(client, tokens, name)
    if revoke:
        r = await client.post(f"/api/v1/certificates/{m['certificate_id']}/revoke",
                              headers=tokens.h("reviewer"), json={"reason": "测试撤销"})
        assert r.status_code == 200
    r = await client.get(f"/api/v1/certificates/{m['certificate_id']}/card.pdf",
                         headers=tokens.h("auditor"))
    assert r.status_code == 200
    path = tmp_path / "card.pdf"
    path.write_bytes(r.content)
    return path


def _text(pdf: Path) -> str:
    require_tool("pdftotext", "poppler-utils", "HUICUI_REQUIRE_POPPLER")
    return subprocess.run(["pdftotext", "-raw", str(pdf), "-"], check=True, capture_output=True,
                          timeout=60).stdout.decode()


def _lines(pdf: Path) -> list[tuple[str, float, float, float, float]]:
    """(text, xMin, yMin, xMax, yMax) in mm of every line pdftotext finds."""
    html = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], check=True,
                          capture_output=True, timeout=60).stdout.decode()
    out = []
    for box, body in re.findall(r"<line (xMin[^>]*)>(.*?)</line>", html, re.S):
        coords = [float(v) * 25.4 / 72 for v in re.findall(r'="([\d.]+)"', box)]
        words = " ".join(re.findall(r">([^<]*)</word>", body))
        out.append((words, *coords))
    return out


async def test_issuer_date_and_seal_area_are_printed(client, tokens, tmp_path, settings):
    from huicui.issuance.cards import chinese_date

    text = _text(await _pdf(client, tokens, tmp_path))
    assert settings.certificate.issuer_zh in text.replace(" ", "")
    assert "Talent Work Leading Group" in text
    issued = SHANGHAI_DATE.search(text).group(1)
    assert chinese_date(issued) in text.replace(" ", "")
    assert "（盖章）" in text and "Seal" in text


async def test_the_issuer_is_a_setting(db, settings, tokens, tmp_path):
    from huicui.app import create_app
    from litestar.testing import AsyncTestClient

    certificate = msgspec.structs.replace(
        settings.certificate, issuer_zh="银海区人才工作领导小组", issuer_en="Yinhai Talent Office",
        seal_area=False)
    app = create_app(msgspec.structs.replace(settings, certificate=certificate))
    async with AsyncTestClient(app=app) as client:
        text = _text(await _pdf(client, tokens, tmp_path))
    assert "银海区人才工作领导小组" in text.replace(" ", "") and "Yinhai Talent Office" in text
    assert "北海市委" not in text.replace(" ", "")
    assert "盖章" not in text  # no seal area when the issuer prints its own seal


@pytest.mark.parametrize("revoke", [False, True])
async def test_no_line_overlaps_another_or_leaves_the_border(client, tokens, tmp_path, revoke):
    require_tool("pdftotext", "poppler-utils", "HUICUI_REQUIRE_POPPLER")
    lines = _lines(await _pdf(client, tokens, tmp_path, "司马相如", revoke))
    texts = " ".join(line[0] for line in lines)
    assert "10." in texts  # the ten built-in benefits: the longest list
    assert ("已失效" in texts) is revoke
    for text, x0, y0, x1, y1 in lines:
        assert 8.5 <= x0 and x1 <= 148 - 8.5 and 8.5 <= y0 and y1 <= 210 - 8.5, text
    for i, a in enumerate(lines):
        for b in lines[i + 1:]:
            apart = a[3] <= b[1] or b[3] <= a[1] or a[4] <= b[2] + 0.3 or b[4] <= a[2] + 0.3
            assert apart, (a, b)


@pytest.mark.parametrize(("iso", "zh"), [
    ("2026-11-30", "二〇二六年十一月三十日"), ("2027-01-01", "二〇二七年一月一日"),
    ("2030-10-10", "二〇三〇年十月十日"), ("2029-12-21", "二〇二九年十二月二十一日"),
])
def test_chinese_dates(iso, zh):
    from huicui.issuance.cards import chinese_date

    assert chinese_date(iso) == zh
