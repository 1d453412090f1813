"""The ``huicui`` command for the roster: tokens, import, export, the review cycle, help."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from huicui.cli import build_parser, main

HEADER = "姓名,证件号码,手机,类别\n"

def _subcommands(parser: argparse.ArgumentParser, prefix=()):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield (*prefix, name)
                yield from _subcommands(sub, (*prefix, name))

def test_help_works_for_every_command(capsys):
    commands = list(_subcommands(build_parser()))
    for expected in [("import",), ("export",), ("token", "create"), ("memberships", "due"),
                     ("memberships", "expire")]:
        assert expected in commands
    for command in [(), *commands]:
        with pytest.raises(SystemExit) as info:
            main([*command, "--help"])
        assert info.value.code == 0
        out = capsys.readouterr().out
        assert "usage: huicui" in out, command

def test_import_help_states_the_policy(capsys):
    with pytest.raises(SystemExit):
        main(["import", "--help"])
    out = capsys.readouterr().out
    assert "all-or-nothing" in out and "--skip-invalid" in out and "huicui import" in out

def _run(argv):
    """Run the command in a fresh thread (it calls asyncio.run itself)."""
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(main, argv).result()

async def test_token_create_prints_once_and_stores_only_the_hash(db, capsys):
    from huicui.audit.tables import AuditEvent
    from huicui.auth.tables import StaffToken
    from huicui.vault import hash_token

    assert _run(["token", "create", "--role", "reviewer", "--name", "王芳"]) == 0
    captured = capsys.readouterr()
    token = captured.out.strip()
    assert token.startswith("hcs_") and "只显示这一次" in captured.err
    (row,) = await StaffToken.select().where(StaffToken.name == "王芳")
    assert row["token_hash"] == hash_token(token) and token not in str(row)
    assert row["role"] == "reviewer"
    events = await AuditEvent.select().where(AuditEvent.action == "token.create")
    assert token not in str(events)
    # The listing never shows the token.
    assert _run(["token", "list"]) == 0
    listing = capsys.readouterr().out
    assert "王芳" in listing and token not in listing and token[:8] in listing
    # Revoked tokens no longer authenticate.
    from huicui.auth import resolve_staff

    assert (await resolve_staff(token)) is not None
    assert _run(["token", "revoke", str(row["id"])]) == 0
    assert (await resolve_staff(token)) is None
    assert _run(["token", "revoke", "999999"]) == 1

def test_token_create_refuses_a_bad_role(capsys):
    with pytest.raises(SystemExit) as info:
        main(["token", "create", "--role", "root", "--name", "x"])
    assert info.value.code == 2

async def test_import_dry_run_then_refused_then_skip_invalid(db, tmp_path, capsys):
    from huicui.audit.tables import AuditEvent
    from huicui.identities.tables import Identity

    path = tmp_path / "名录.csv"
    path.write_text(HEADER + "李四,G12345678,13800138000,候鸟\n王五,12,,常住\n",
                    encoding="gb18030")
    assert _run(["import", str(path), "--dry-run", "-q"]) == 0
    out = capsys.readouterr().out
    assert "试运行" in out and "第 3 行" in out
    assert await Identity.count() == 0

    assert _run(["import", str(path), "-q"]) == 1
    out = capsys.readouterr().out
    assert "未导入任何数据" in out and "all-or-nothing" in out
    assert await Identity.count() == 0

    assert _run(["import", str(path), "--skip-invalid", "-q"]) == 0
    out = capsys.readouterr().out
    assert "skipped rows: 3" in out
    assert await Identity.count() == 1
    (event,) = await AuditEvent.select().where(AuditEvent.action == "identity.import")
    assert event["actor"].startswith("cli:") and "G12345678" not in str(event)

async def test_import_with_nominate(db, tmp_path, capsys):
    from huicui.memberships.tables import Membership

    path = tmp_path / "r.csv"
    path.write_text(HEADER + "李四,G12345678,,\n", encoding="utf-8")
    assert _run(["import", str(path), "--nominate", "-q"]) == 2  # needs --source-org
    assert "source_org" in capsys.readouterr().err
    assert _run(["import", str(path), "--nominate", "--source-org", "市人社局", "-q"]) == 0
    (m,) = await Membership.select()
    assert m["state"] == "nominated" and m["source_org"] == "市人社局"

def test_import_file_level_problems(db, tmp_path, capsys):
    assert _run(["import", str(tmp_path / "missing.csv")]) == 2
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert _run(["import", str(empty), "-q"]) == 2
    assert "empty" in capsys.readouterr().err

async def test_export_masked_and_revealed(db, tmp_path, capsys):
    from huicui.audit.tables import AuditEvent

    src = tmp_path / "r.csv"
    src.write_text(HEADER + "李四,G12345678,13800138000,候鸟\n", encoding="utf-8")
    assert _run(["import", str(src), "-q"]) == 0
    out = tmp_path / "out.csv"
    assert _run(["export", "-o", str(out), "-q"]) == 0
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert rows[1][1] == "李四" and rows[1][3].endswith("5678") and "G1234" not in rows[1][3]
    assert _run(["export", "-o", str(out), "--reveal", "-q"]) == 2  # no reason
    assert _run(["export", "-o", str(out), "--reveal", "--reason", "系统迁移核对", "-q"]) == 0
    assert "G12345678" in out.read_text(encoding="utf-8-sig")
    xlsx = tmp_path / "out.xlsx"
    assert _run(["export", "-o", str(xlsx), "--residency", "seasonal", "-q"]) == 0
    assert xlsx.read_bytes().startswith(b"PK")
    events = await AuditEvent.select().where(AuditEvent.action == "identity.export")
    assert len(events) == 3 and sum('"reveal":true' in e["data"].replace(" ", "")
                                    for e in events) == 1

async def test_memberships_due_and_expire(db, tmp_path, capsys):
    from huicui.memberships.tables import Membership

    src = tmp_path / "r.csv"
    src.write_text(HEADER + "甲,G10000001,,\n乙,G10000002,,\n丙,G10000003,,\n", encoding="utf-8")
    assert _run(["import", str(src), "--nominate", "--source-org", "社区", "-q"]) == 0
    today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
    ends = [today - dt.timedelta(days=2), today + dt.timedelta(days=10),
            today + dt.timedelta(days=90)]
    rows = await Membership.select(Membership.id).order_by(Membership.id)
    for row, end in zip(rows, ends, strict=True):
        await Membership.update({Membership.state: "active", Membership.term_end: end}).where(
            Membership.id == row["id"])
    capsys.readouterr()
    assert _run(["memberships", "due", "--within", "30d"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("2 ")
    assert out.index(ends[0].isoformat()) < out.index(ends[1].isoformat())
    assert ends[2].isoformat() not in out
    assert _run(["memberships", "expire"]) == 0
    assert "1" in capsys.readouterr().out
    states = [r["state"] for r in await Membership.select(Membership.state)
              .order_by(Membership.id)]
    assert states == ["expired", "active", "active"]
    assert _run(["memberships", "expire"]) == 0
    assert "expired: 0" in capsys.readouterr().out

def test_due_refuses_a_bad_duration(db, capsys):
    assert _run(["memberships", "due", "--within", "soon"]) == 2
    assert "30d" in capsys.readouterr().err


async def test_device_enroll_prints_the_phone_code_and_writes_its_qr(db, tmp_path, capsys):
    """``huicui device enroll --qr FILE``: the token on stdout; the phone's enrollment link
    and the QR picture (PNG or SVG) for the office to show."""
    assert _run(["partner", "create", "--name-zh", "北部湾海上客运"]) == 0
    assert _run(["venue", "create", "--partner", "1", "--kind", "ferry",
                 "--name-zh", "北海国际客运港"]) == 0
    capsys.readouterr()
    png, svg = tmp_path / "enroll.png", tmp_path / "enroll.svg"
    assert _run(["device", "enroll", "--venue", "1", "--name", "售票手机", "--qr", str(png)]) == 0
    out = capsys.readouterr()
    assert out.out.startswith("hcd_")
    assert "/verify/#enroll=" in out.err and "&fp=" in out.err and str(png) in out.err
    assert png.read_bytes().startswith(b"\x89PNG")
    assert _run(["device", "enroll", "--venue", "1", "--name", "2号手机", "--qr", str(svg)]) == 0
    assert svg.read_text("utf-8").startswith("<svg")
