"""``huicui report settlement`` and ``huicui misuse scan``: the office side of the venues."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from huicui.cli import run_async
from huicui.cli.common import cli_context, fail, stderr_progress

SETTLEMENT_EPILOG = """\
按合作方和月份（Asia/Shanghai 日历）统计核验通过次数和应付金额；只有通过的核验计费。
Counts accepted redemptions per venue and benefit in the month (Asia/Shanghai calendar)
and prices them with the benefits' settlement rules; refused checks are not paid.
The format follows the file name (.json, .csv, .pdf) unless --format is given.

示例 / examples:
  huicui report settlement --partner 3 --month 2026-10 -o 北部湾旅游-2026-10.pdf
  huicui report settlement --partner 3 --month 2026-10 -o statement.csv   # Excel (UTF-8 BOM)
  huicui report settlement --partner 3 --month 2026-10 --format json -o -  # to stdout"""

SCAN_EPILOG = """\
同步时会自动检测；修改 [misuse] 设置后，或同步时检测出错（日志中 "misuse detection
failed"）时，用此命令重新检测。可重复运行：已有的标记不会重复生成。
Detection runs after every sync by itself; run this after changing the [misuse]
settings, or when the log shows "misuse detection failed". Safe to repeat: a finding
that is already flagged is not flagged again.

示例 / examples:
  huicui misuse scan --since 2026-10-01
  huicui misuse scan --since 7d
  huicui misuse scan --since 2026-10-01 --until 2026-11-01"""


def _format_of(args: argparse.Namespace) -> str:
    if args.format:
        return args.format
    suffix = Path(args.output).suffix.lower().lstrip(".")
    return suffix if suffix in ("json", "csv", "pdf") else "json"


async def settlement_cmd(args: argparse.Namespace) -> int:
    import asyncio

    import msgspec

    from huicui.reports.statement import settlement
    from huicui.reports.statement_csv import statement_csv
    from huicui.reports.statement_pdf import money, statement_pdf

    fmt = _format_of(args)
    if fmt == "pdf" and args.output == "-":
        print("错误 / error: PDF 需要 -o 文件名 / PDF needs -o FILE", file=sys.stderr)
        return 2
    try:
        statement = await settlement(cli_context(), args.partner, args.month)
    except Exception as exc:
        return fail(exc)
    if fmt == "csv":
        body = statement_csv(statement)
    elif fmt == "pdf":
        body = await asyncio.to_thread(statement_pdf, statement)
    else:
        body = msgspec.json.format(msgspec.json.encode(statement), indent=2) + b"\n"
    if args.output == "-":
        sys.stdout.buffer.write(body)
        sys.stdout.flush()
        return 0
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(body)
    totals = statement.totals
    print(
        f"已写入 / written: {out}  {statement.partner.name_zh} {statement.month}  "
        f"通过 accepted {totals.accepted} · 应付 owed {money(totals.amount_yuan)}"
    )
    return 0


def _when(text: str, tz) -> dt.datetime:
    """``2026-10-01`` (start of that day, program time zone) or ``7d`` / ``4w`` (ago)."""
    from huicui.http import parse_days

    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        days = parse_days(text, "--since")
        return dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
    return dt.datetime(day.year, day.month, day.day, tzinfo=tz)


async def scan_cmd(args: argparse.Namespace) -> int:

    from huicui import audit
    from huicui.misuse.scan import rescan

    ctx = cli_context()
    try:
        since = _when(args.since, ctx.tz)
        until = _when(args.until, ctx.tz) if args.until else None
    except Exception as exc:
        return fail(exc)
    if not ctx.settings.misuse.enabled:
        print("提示 / note: misuse.enabled = false; scanning anyway", file=sys.stderr)
        ctx.settings.misuse.enabled = True
    with stderr_progress("检测 / scanning", quiet=args.quiet) as bar:
        task = bar.add_task("scan", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        result = await rescan(ctx, since, until, progress=progress)
    await audit.record(
        "cli",
        "misuse.scan",
        "misuse_flag",
        "",
        data={"since": since.isoformat(), "until": until.isoformat() if until else None,
              "checked": result.checked, "created": result.created},
    )
    print(
        f"已检测 {result.checked} 条通过记录，新增 {result.created} 个标记，"
        f"更新 {result.updated} 个 / checked {result.checked} accepted uses, "
        f"{result.created} new flags, {result.updated} updated"
    )
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    report = sub.add_parser(
        "report",
        help="结算报表 / settlement statements",
        description="报表 / reports for partners and auditors",
        epilog=SETTLEMENT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    report_sub = report.add_subparsers(dest="report_command", metavar="REPORT")
    p = report_sub.add_parser(
        "settlement",
        help="合作方月度结算单 / a partner's monthly statement",
        description="合作方月度结算单（JSON、CSV 或 PDF）/ a partner's monthly settlement "
        "statement (JSON, CSV or PDF)",
        epilog=SETTLEMENT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--partner", type=int, required=True, help="合作方编号 / partner id")
    p.add_argument("--month", required=True, help="YYYY-MM，例如 2026-10")
    p.add_argument("--format", choices=("json", "csv", "pdf"),
                   help="默认按文件扩展名 / default: from the file name")
    p.add_argument("-o", "--output", required=True,
                   help="输出文件，- 为标准输出 / file, - = stdout")
    p.set_defaults(func=run_async(settlement_cmd))

    misuse = sub.add_parser(
        "misuse",
        help="异常使用检测 / misuse detection",
        description="异常使用检测 / misuse detection (review flags at /api/v1/misuse/flags)",
        epilog=SCAN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    misuse_sub = misuse.add_subparsers(dest="misuse_command", metavar="ACTION")
    s = misuse_sub.add_parser(
        "scan",
        help="重新检测已同步的记录 / re-run detection over stored records",
        description="对已同步的核验记录重新检测 / re-run detection over stored redemptions",
        epilog=SCAN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    s.add_argument("--since", required=True,
                   help="起始日期 YYYY-MM-DD，或 7d、4w / start date, or 7d, 4w ago")
    s.add_argument("--until", help="截止日期（不含）/ end date (exclusive)")
    s.add_argument("-q", "--quiet", action="store_true", help="不显示进度 / no progress bar")
    s.set_defaults(func=run_async(scan_cmd))
