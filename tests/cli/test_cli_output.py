"""``huicui`` output into a pipe: every value whole, no line wrapped; ``--json`` on lists."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

HUICUI = str(Path(sys.executable).with_name("huicui"))


async def _piped(*args: str) -> str:
    # A narrow COLUMNS, as a pipe under a small terminal would have: it must not matter.
    proc = await asyncio.create_subprocess_exec(
        HUICUI, *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "COLUMNS": "60"})
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    assert proc.returncode == 0, err.decode()
    return out.decode()


async def test_keys_list_piped_shows_whole_values_and_json(db):
    from huicui.app import build_context
    from huicui.issuance import keys
    from huicui.settings import load_settings

    await keys.ensure_keys(build_context(load_settings()))
    listed = await keys.list_keys()
    out = await _piped("keys", "list")
    assert "…" not in out
    header, *rows = [line for line in out.splitlines() if "\t" in line]
    assert header.split("\t")[:4] == ["kid", "purpose", "state", "fingerprint"]
    by_kid = {row.split("\t")[0]: row.split("\t") for row in rows}
    for key in listed:
        assert by_kid[key.kid][3] == key.fingerprint  # whole, e.g. 5847-F1B2-…-9A0C
        assert len(by_kid[key.kid][4]) == len("2026-11-30 12:00")

    items = json.loads(await _piped("keys", "list", "--json"))
    assert {item["kid"]: item["fingerprint"] for item in items} == {
        key.kid: key.fingerprint for key in listed}
    assert all(isinstance(item["certs"], int) for item in items)


async def test_token_and_venue_lists_have_json(db):
    from huicui.auth import create_staff_token

    await create_staff_token("欧阳晓明 Ouyang Xiaoming, registrar of a very long department name",
                             "registrar")
    tokens = json.loads(await _piped("token", "list", "--json"))
    assert tokens[0]["name"].endswith("very long department name")
    assert tokens[0]["role"] == "registrar" and tokens[0]["state"] == "active"
    assert set(tokens[0]) == {"id", "prefix", "role", "state", "name", "last_used"}
    piped = await _piped("token", "list")
    assert "very long department name" in piped.splitlines()[1]  # one row, one line
    for command in (("partner", "list"), ("venue", "list"), ("device", "list"),
                    ("memberships", "due")):
        assert json.loads(await _piped(*command, "--json")) == [], command


async def test_a_long_import_message_is_one_line_when_piped(db, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("姓名,证件号码\n李晓明,110105194912310020\n", encoding="utf-8")
    proc = await asyncio.create_subprocess_exec(
        HUICUI, "import", str(roster), "-q", stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, env={**os.environ, "COLUMNS": "60"})
    out = (await asyncio.wait_for(proc.communicate(), timeout=120))[0].decode()
    assert proc.returncode == 1  # refused: a bad check digit
    english = [line for line in out.splitlines() if line.startswith("1 row has problems")]
    assert english and english[0].endswith("import only the valid rows"), out


def test_english_counts():
    from huicui.wording import count_en

    assert count_en(1, "person", "people") == "1 person"
    assert count_en(0, "person", "people") == "0 people"
    assert count_en(2, "term") == "2 terms"
