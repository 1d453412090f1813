"""``huicui misuse scan``: re-run misuse detection over stored redemptions."""

from __future__ import annotations

import argparse
import datetime as dt
import sys

from huicui.cli import run_async
from huicui.cli.common import cli_context, fail, stderr_progress

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
    from huicui.audit import service as audit
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
