"""``huicui import FILE``: load a roster file (CSV or XLSX) with a row-by-row report."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from huicui.cli import run_async
from huicui.cli.common import cli_context, cli_principal, stderr_progress, stdout_console

EPILOG = """\
策略 / Policy:
  默认“全部成功或全部不导入”：只要有一行有问题，就不写入任何数据，并列出每个问题。
  By default all-or-nothing: if any row has a problem nothing is written and every
  problem is listed. --skip-invalid writes the valid rows in one transaction and lists
  the skipped rows. --dry-run writes nothing and prints the same report.

表头 / Headers (Chinese or English; 姓名 and 证件号码 are required):
  姓名/display_name 拼音/pinyin 证件号码/id_doc 手机/phone 领域/field 主要成就/achievements
  类别/residency (常住/候鸟/流动) 推荐单位/source 联系人/liaison 邮箱/email

示例 / Examples:
  huicui import 名录.xlsx --dry-run
  huicui import roster.csv --skip-invalid
  huicui import roster.csv --nominate --source-org 银海区人社局
"""


def print_report(report, console) -> None:
    """The report as a person reads it: summary, then each problem in zh and en."""
    console.print(f"[bold]{report.message_zh}[/bold]")
    console.print(report.message_en)
    console.print(
        f"rows {report.rows_total} · valid {report.rows_valid} · invalid {report.rows_invalid}"
        f" · created {report.created} · nominated {report.nominated}"
    )
    if report.ignored_columns:
        console.print("忽略的列 / ignored columns: " + ", ".join(report.ignored_columns))
    for p in report.problems:
        console.print(f"  第 {p.row} 行 row {p.row} · {p.column}: {p.zh} / {p.en}")
    if report.problems_omitted:
        console.print(f"  … {report.problems_omitted} more problems not listed")
    if report.skipped_rows:
        console.print("跳过的行 / skipped rows: " + ", ".join(map(str, report.skipped_rows)))


async def import_cmd(args: argparse.Namespace) -> int:
    from huicui.errors import HuicuiError
    from huicui.identities.importing import import_roster

    console = stdout_console()
    path = Path(args.file)
    if not path.is_file():
        print(f"找不到文件 / no such file: {path}", file=sys.stderr)
        return 2
    ctx = cli_context()
    if path.stat().st_size > ctx.settings.roster.import_max_bytes:
        print(
            f"文件过大 / file larger than roster.import_max_bytes "
            f"({ctx.settings.roster.import_max_bytes} bytes)",
            file=sys.stderr,
        )
        return 2
    with stderr_progress("{task.description}", quiet=args.quiet) as bar:
        tasks: dict[str, int] = {}

        def progress(stage: str, done: int, total: int) -> None:
            label = {"check": "检查 / checking", "write": "写入 / writing"}.get(stage, stage)
            if stage not in tasks:
                tasks[stage] = bar.add_task(label, total=total)
            bar.update(tasks[stage], completed=done)

        try:
            report = await import_roster(
                ctx,
                cli_principal(),
                path.read_bytes(),
                file_name=path.name,
                dry_run=args.dry_run,
                skip_invalid=args.skip_invalid,
                nominate=args.nominate,
                source_org=args.source_org,
                directory_id=args.directory_id,
                progress=progress,
            )
        except HuicuiError as exc:
            print(f"{exc.message_zh}\n{exc.message_en}", file=sys.stderr)
            return 2
    print_report(report, console)
    return 1 if report.status == "rejected" else 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "import",
        help="导入名录文件（CSV/XLSX）/ import a roster file",
        description="从 CSV（UTF-8 或 GB18030）或 XLSX 文件导入人员，并逐行报告 / "
        "Import people from a CSV (UTF-8 or GB18030) or XLSX file, with a "
        "row-by-row report. Exit status 0 when written or a dry run, 1 when refused "
        "(nothing written), 2 for a file-level problem.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("file", help="名录文件 / CSV or XLSX file")
    p.add_argument("--dry-run", action="store_true", help="只检查，不写入 / check only, write "
                   "nothing")
    p.add_argument(
        "--skip-invalid", action="store_true",
        help="写入有效行，跳过其余 / write the valid rows, skip the others",
    )
    p.add_argument("--nominate", action="store_true",
                   help="同时提名每位新人员 / also nominate each new person")
    p.add_argument("--source-org", help="推荐单位（与 --nominate 一起）/ organization that puts "
                   "them forward (with --nominate)")
    p.add_argument("--directory-id", type=int,
                   help="提名到的名录（默认 1）/ directory to nominate into (default: 1)")
    p.add_argument("-q", "--quiet", action="store_true", help="不显示进度条 / no progress bar")
    p.set_defaults(func=run_async(import_cmd))
