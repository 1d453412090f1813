"""``huicui memberships due|expire``: the roster's periodic review."""

from __future__ import annotations

import argparse
import sys

from huicui.cli import run_async
from huicui.cli.common import add_json_flag, cli_context, print_rows
from huicui.http import parse_days
from huicui.wording import count_en


async def due_cmd(args: argparse.Namespace) -> int:
    from huicui.errors import HuicuiError
    from huicui.memberships.service import list_memberships

    try:
        days = parse_days(args.within, "within")
    except HuicuiError as exc:
        print(f"{exc.message_zh}\n{exc.message_en}", file=sys.stderr)
        return 2
    ctx = cli_context()
    items, total = await list_memberships(ctx, due_within_days=days, limit=500)
    rows = [(m.id, str(m.term_end), m.display_name) for m in items]
    print_rows(args, ("id", "term_end", "display_name"), rows,
               title=f"{total} 人的任期将在 {args.within} 内结束 / "
               f"{count_en(total, 'term')} ending within {args.within}")
    return 0


async def expire_cmd(args: argparse.Namespace) -> int:
    from huicui.memberships.service import expire_lapsed

    ctx = cli_context()
    expired = await expire_lapsed(ctx)
    print(f"已到期 / expired: {len(expired)}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("memberships", help="名录复核 / roster review cycle",
                       description="名录的定期复核：即将到期与到期处理 / the roster's periodic "
                       "review: terms ending soon, lapsed terms")
    msub = p.add_subparsers(dest="m_command", metavar="ACTION", required=True)
    c = msub.add_parser(
        "due",
        help="即将到期的任期 / terms ending soon",
        description="列出任期在给定时间内结束的有效成员，最早的在前 / List active "
        "memberships whose term ends within the given time, soonest first.",
        epilog="示例 / example: huicui memberships due --within 30d --json",
    )
    c.add_argument("--within", default="30d",
                   help="时间范围 / how far ahead: 30d, 4w, 3m … (default 30d)")
    add_json_flag(c)
    c.set_defaults(func=run_async(due_cmd))
    c = msub.add_parser(
        "expire",
        help="将已过期的任期标记为到期 / mark lapsed terms expired",
        description="将任期已在今天（上海时间）之前结束的成员标记为到期，每条记入审计；"
        "建议每天运行 / Move active memberships whose term ended before today "
        "(Asia/Shanghai) to expired; each is an audit event. Run it daily, e.g. from cron.",
        epilog="示例 / example: 5 0 * * *  huicui memberships expire",
    )
    c.set_defaults(func=run_async(expire_cmd))
