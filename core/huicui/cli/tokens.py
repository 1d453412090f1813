"""``huicui token create|list|revoke``: staff bearer tokens (stored hashed)."""

from __future__ import annotations

import argparse
import sys

from huicui.auth import STAFF_ROLES, create_staff_token
from huicui.cli import run_async
from huicui.cli.common import add_json_flag, print_rows


async def create_cmd(args: argparse.Namespace) -> int:
    from huicui.audit import service as audit

    try:
        token, token_id = await create_staff_token(args.name, args.role)
    except ValueError as exc:
        print(f"错误 / error: {exc}", file=sys.stderr)
        return 2
    await audit.record(
        "cli", "token.create", "staff_token", token_id, data={"role": args.role, "name": args.name}
    )
    print(token)
    print(
        f"# 令牌只显示这一次，请妥善保存 / shown once, keep it safe "
        f"(id {token_id}, role {args.role})",
        file=sys.stderr,
    )
    return 0


async def list_cmd(args: argparse.Namespace) -> int:
    from huicui.auth.tables import StaffToken

    rows = [
        (row["id"], row["prefix"], row["role"], "revoked" if row["revoked"] else "active",
         row["name"], row["last_used_at"].isoformat(timespec="seconds")
         if row["last_used_at"] else None)
        for row in await StaffToken.select().order_by(StaffToken.id)
    ]
    print_rows(args, ("id", "prefix", "role", "state", "name", "last_used"), rows)
    return 0


async def revoke_cmd(args: argparse.Namespace) -> int:
    from huicui.audit import service as audit
    from huicui.auth.tables import StaffToken

    done = (
        await StaffToken.update({StaffToken.revoked: True})
        .where(StaffToken.id == args.id)
        .returning(StaffToken.id)
    )
    if not done:
        print(f"没有该令牌 / no token {args.id}", file=sys.stderr)
        return 1
    await audit.record("cli", "token.revoke", "staff_token", args.id)
    print(f"已吊销 / revoked token {args.id}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "token",
        help="员工令牌 / staff tokens",
        description="员工令牌：明文只显示一次，只保存其 SHA-256 / Staff bearer tokens. "
        "The plain token is printed once; only its SHA-256 is stored.",
    )
    tsub = p.add_subparsers(dest="token_command", metavar="ACTION", required=True)
    c = tsub.add_parser(
        "create",
        help="创建令牌并只显示一次 / create a token and print it once",
        description="创建员工令牌，打印一次；之后只能吊销 / create a staff token, printed "
        "once; afterwards it can only be revoked",
        epilog="example: huicui token create --role reviewer --name 王芳",
    )
    c.add_argument("--role", required=True, choices=STAFF_ROLES,
                   help="角色 / role: " + ", ".join(STAFF_ROLES))
    c.add_argument("--name", required=True,
                   help="持有人（记入审计日志）/ who holds it (shown in the audit log)")
    c.set_defaults(func=run_async(create_cmd))
    c = tsub.add_parser(
        "list",
        help="列出令牌（不显示令牌本身）/ list tokens (never the tokens themselves)",
        description="列出员工令牌：编号、前缀、角色、状态、持有人、最近使用 / staff tokens: "
        "id, prefix, role, state, holder, last use",
        epilog="example: huicui token list --json",
    )
    add_json_flag(c)
    c.set_defaults(func=run_async(list_cmd))
    c = tsub.add_parser("revoke", help="按编号吊销令牌 / revoke a token by id",
                        description="吊销令牌，立即失效 / revoke a token; it fails from the "
                        "next request", epilog="example: huicui token revoke 3")
    c.add_argument("id", type=int, help="令牌编号（见 token list）/ token id (see token list)")
    c.set_defaults(func=run_async(revoke_cmd))
