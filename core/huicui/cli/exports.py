"""``huicui export -o FILE``: the roster as CSV or XLSX, masked unless revealed."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from huicui.cli import run_async
from huicui.cli.common import cli_context, cli_principal, stderr_progress
from huicui.wording import count_en

EPILOG = """\
个人信息默认打码（只显示后四位）。--reveal 需要 --reason，并记入审计日志。
Personal data is masked (last four characters) unless --reveal is given with --reason;
a revealed export is written to the audit log.

示例 / Examples:
  huicui export -o 名录.xlsx
  huicui export -o seasonal.csv --residency seasonal --status active
  huicui export -o full.csv --reveal --reason "年度复核，市人社局函〔2026〕12号"
"""


async def export_cmd(args: argparse.Namespace) -> int:

    from huicui.errors import HuicuiError
    from huicui.identities import exporting

    out = Path(args.output)
    fmt = args.format or ("xlsx" if out.suffix.lower() == ".xlsx" else "csv")
    ctx = cli_context()
    filters = {
        k: v
        for k, v in {
            "q": args.q,
            "field": args.field,
            "source": args.source,
            "residency": args.residency,
            "status": args.status,
        }.items()
        if v
    }
    try:
        plan = await exporting.prepare(
            ctx, cli_principal(), filters, fmt, reveal=args.reveal, reason=args.reason
        )
    except HuicuiError as exc:
        print(f"{exc.message_zh}\n{exc.message_en}", file=sys.stderr)
        return 2
    tmp = out.with_name(out.name + ".part")
    if isinstance(plan.body, bytes):
        tmp.write_bytes(plan.body)
    else:
        with (
            stderr_progress("导出 / exporting", quiet=args.quiet) as bar,
            tmp.open("wb") as handle,
        ):
            task = bar.add_task("export", total=plan.rows)
            async for chunk in plan.body:
                handle.write(chunk)
                bar.update(task, advance=chunk.count(b"\n"))
    tmp.replace(out)
    state = "未打码 / UNMASKED" if args.reveal else "已打码 / masked"
    print(f"已导出 {plan.rows} 人到 {out}（{state}）/ "
          f"exported {count_en(plan.rows, 'person', 'people')} to {out}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export",
        help="导出名录（CSV/XLSX）/ export the roster",
        description="将名录（或筛选后的部分）写入 CSV 或 XLSX 文件 / Write the roster (or a "
        "filtered part) to a CSV or XLSX file.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("-o", "--output", required=True,
                   help="输出文件 / file to write (.csv or .xlsx)")
    p.add_argument("--format", choices=("csv", "xlsx"),
                   help="格式，默认按文件扩展名 / format, default: from the file name")
    p.add_argument("--name", dest="q", help="姓名或拼音包含 / name or pinyin contains")
    p.add_argument("--field", help="领域包含 / field contains")
    p.add_argument("--source", help="推荐来源包含 / source contains")
    p.add_argument("--residency", choices=("resident", "seasonal", "migrant"),
                   help="类别：常住、候鸟、流动 / residency")
    p.add_argument(
        "--status",
        choices=("nominated", "approved", "active", "expired", "suspended", "revoked", "rejected"),
        help="成员资格状态 / membership state",
    )
    p.add_argument("--reveal", action="store_true",
                   help="不打码（需 --reason，记入审计）/ unmasked (needs --reason; audited)")
    p.add_argument("--reason", help="需要未打码数据的原因 / why the unmasked data is needed")
    p.add_argument("-q", "--quiet", action="store_true", help="不显示进度条 / no progress bar")
    p.set_defaults(func=run_async(export_cmd))
