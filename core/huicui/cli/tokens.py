"""``huicui token create|list|revoke``: staff bearer tokens (stored hashed)."""

from __future__ import annotations

import argparse
import sys

from huicui.auth import STAFF_ROLES, create_staff_token
from huicui.cli import run_async


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

    rows = await StaffToken.select().order_by(StaffToken.id)
    for row in rows:
        state = "revoked" if row["revoked"] else "active"
        print(f"{row['id']:>5}  {row['prefix']}…  {row['role']:<10} {state:<8} {row['name']}")
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
        description="Staff bearer tokens. The plain token is printed once; "
        "only its SHA-256 is stored.",
    )
    tsub = p.add_subparsers(dest="token_command", metavar="ACTION", required=True)
    c = tsub.add_parser(
        "create",
        help="create a token and print it once",
        epilog="example: huicui token create --role reviewer --name 王芳",
    )
    c.add_argument("--role", required=True, choices=STAFF_ROLES)
    c.add_argument("--name", required=True, help="who holds it (shown in the audit log)")
    c.set_defaults(func=run_async(create_cmd))
    c = tsub.add_parser("list", help="list tokens (never the tokens themselves)")
    c.set_defaults(func=run_async(list_cmd))
    c = tsub.add_parser("revoke", help="revoke a token by id")
    c.add_argument("id", type=int)
    c.set_defaults(func=run_async(revoke_cmd))
