"""``huicui report settlement``: partners' monthly statements."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from huicui.cli import run_async
from huicui.cli.common import cli_context, fail

SETTLEMENT_EPILOG = """\
按合作方和月份（Asia/Shanghai 日历）统计核验通过次数和应付金额；只有通过的核验计费。
Counts accepted redemptions per venue and benefit in the month (Asia/Shanghai calendar)
and prices them with the benefits' settlement rules; refused checks are not paid.
The format follows the file name (.json, .csv, .pdf) unless --format is given.

示例 / examples:
  huicui report settlement --partner 3 --month 2026-10 -o 北部湾旅游-2026-10.pdf
  huicui report settlement --partner 3 --month 2026-10 -o statement.csv   # Excel (UTF-8 BOM)
  huicui report settlement --partner 3 --month 2026-10 --format json -o -  # to stdout"""

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


def register(sub: argparse._SubParsersAction) -> None:
    report = sub.add_parser(
        "report",
        help="结算报表 / settlement statements",
        description="报表：合作方与审计用 / reports for partners and auditors",
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
    p.add_argument("--month", required=True, help="月份，例如 2026-10 / month, YYYY-MM")
    p.add_argument("--format", choices=("json", "csv", "pdf"),
                   help="默认按文件扩展名 / default: from the file name")
    p.add_argument("-o", "--output", required=True,
                   help="输出文件，- 为标准输出 / file, - = stdout")
    p.set_defaults(func=run_async(settlement_cmd))
