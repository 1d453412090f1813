"""``huicui keys list|rotate|retire|compromise``: the program's signing keys."""

from __future__ import annotations

import argparse
import datetime as dt
import sys

from huicui.cli import run_async
from huicui.cli.common import add_json_flag, cli_actor, cli_context, fail, print_rows

EPILOG = """\
示例 / examples:
  huicui keys list                         所有签名密钥 / every signing key
  huicui keys rotate                       新建证书签名密钥，旧密钥退役 / new key, old one retired
  huicui keys retire 1a2b3c4d              停止使用（自动轮换）/ stop signing (rotates first)
  huicui keys compromise 1a2b3c4d --reason "备份盘丢失 backup disk lost"
  huicui certificates reissue --kid 1a2b3c4d   为受影响的成员补发证书 / re-issue affected cards

密钥状态 / states: active 启用（签发）→ retired 退役（仍可验证）→ compromised 泄露（拒绝）.
Retired keys still verify what they signed; compromised keys' certificates are refused
by verifiers once they take the next bundle."""


def _when(epoch: int | None, tz) -> str:
    if epoch is None:
        return "—"
    return dt.datetime.fromtimestamp(epoch, tz).strftime("%Y-%m-%d %H:%M")


async def list_cmd(args: argparse.Namespace) -> int:
    from huicui.issuance import keys

    ctx = cli_context()
    await keys.ensure_keys(ctx)
    rows = [
        (key.kid, key.purpose, key.state, key.fingerprint, _when(key.not_before, ctx.tz),
         _when(key.not_after, ctx.tz), key.certificates, key.state_reason)
        for key in await keys.list_keys()
    ]
    print_rows(args, ("kid", "purpose", "state", "fingerprint", "from", "until", "certs",
                      "reason"), rows, title="签名密钥 / signing keys (program time zone)")
    return 0


async def rotate_cmd(args: argparse.Namespace) -> int:
    from huicui.issuance import keys

    ctx = cli_context()
    await keys.ensure_keys(ctx)
    try:
        kid = await keys.rotate(ctx, cli_actor())
    except Exception as exc:
        return fail(exc)
    print(f"新的证书签名密钥 / new certificate-signing key: {kid}")
    print("旧密钥已退役，已签发的证书仍然有效 / old key retired; issued certificates stay valid")
    return 0


async def retire_cmd(args: argparse.Namespace) -> int:
    from huicui.issuance import keys

    try:
        await keys.retire(cli_context(), cli_actor(), args.kid, args.reason or "")
    except Exception as exc:
        return fail(exc)
    print(f"已退役 / retired: {args.kid}; 新密钥已启用 / a new key is active")
    return 0


async def compromise_cmd(args: argparse.Namespace) -> int:
    from huicui.issuance import keys

    try:
        affected = await keys.compromise(cli_context(), cli_actor(), args.kid, args.reason)
    except Exception as exc:
        return fail(exc)
    print(f"已标记泄露 / marked compromised: {args.kid}")
    if affected:
        print(
            f"警告 / warning: {affected} 张有效证书由该密钥签发，下次更新清单后将被拒绝。\n"
            f"{affected} active certificate(s) were signed by this key; verifiers refuse them "
            "after their next bundle.\n"
            f"补发 / re-issue them: huicui certificates reissue --kid {args.kid}",
            file=sys.stderr,
        )
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "keys",
        help="签名密钥 / signing keys",
        description="列出、轮换、退役 Ed25519 签名密钥或标记其泄露 / List, rotate, retire and "
        "mark compromised the Ed25519 signing keys.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ksub = p.add_subparsers(dest="k_command", metavar="ACTION", required=True)
    c = ksub.add_parser("list", help="所有密钥 / every key",
                        description="列出所有签名密钥及其状态 / every signing key and its state",
                        epilog="example: huicui keys list --json")
    add_json_flag(c)
    c.set_defaults(func=run_async(list_cmd))
    c = ksub.add_parser(
        "rotate",
        help="轮换证书签名密钥 / new active certificate key, old one retired",
        description="新建证书签名密钥，旧密钥退役（仍可验证）/ "
        "a new certificate key; the old one retires (still verifies)",
        epilog="example: huicui keys rotate",
    )
    c.set_defaults(func=run_async(rotate_cmd))
    c = ksub.add_parser(
        "retire",
        help="退役一个密钥 / stop a key signing",
        description="停止使用一个密钥签名（先轮换）/ stop a key signing (rotates first)",
        epilog='example: huicui keys retire 1a2b3c4d --reason "年度轮换 yearly"',
    )
    c.add_argument("kid", help="密钥编号，8 位十六进制 / key id, 8 hex digits "
                   "(see `huicui keys list`)")
    c.add_argument("--reason", default="", help="原因（记入审计日志）/ why (audited)")
    c.set_defaults(func=run_async(retire_cmd))
    c = ksub.add_parser(
        "compromise",
        help="标记泄露 / mark a key compromised",
        description="标记密钥泄露：其证书在下次更新清单后被拒绝 / mark a key compromised: "
        "its certificates are refused after the next bundle",
        epilog='example: huicui keys compromise 1a2b3c4d --reason "备份盘丢失 backup disk lost"',
    )
    c.add_argument("kid", help="密钥编号，8 位十六进制 / key id, 8 hex digits")
    c.add_argument("--reason", required=True,
                   help="发生了什么（必填，记入审计）/ what happened (required, audited)")
    c.set_defaults(func=run_async(compromise_cmd))
