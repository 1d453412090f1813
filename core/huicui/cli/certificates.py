"""``huicui certificates show|revoke|link|pdf|reissue|activations|…``: certificates from a
terminal, phone-card activations included."""

from __future__ import annotations

import argparse
from pathlib import Path

import msgspec

from huicui.cli import run_async
from huicui.cli.common import cli_actor, cli_context, fail

EPILOG = """\
示例 / examples:
  huicui certificates show 9f86d081884c7d65
  huicui certificates pdf 9f86d081884c7d65 -o 证书.pdf     打印版荣誉证书 / printable A5
  huicui certificates link 9f86d081884c7d65               新的持证人链接 / new holder link
  huicui certificates revoke 9f86d081884c7d65 --reason "证书遗失 card lost"
  huicui certificates reissue --kid 1a2b3c4d              密钥泄露后补发 / after a compromise
  huicui certificates activations 9f86d081884c7d65        手机证件启用情况 / phone activations
  huicui certificates activation-code 9f86d081884c7d65    查看启用码 / show the code (audited)
  huicui certificates reset-activations 9f86d081884c7d65 --reason "换手机超过次数 new phones"
"""


async def show_cmd(args: argparse.Namespace) -> int:
    from huicui.issuance import certificates

    try:
        out = await certificates.get_certificate(cli_context(), args.id)
    except Exception as exc:
        return fail(exc)
    print(msgspec.json.format(msgspec.json.encode(out)).decode())
    return 0


async def revoke_cmd(args: argparse.Namespace) -> int:
    from huicui.issuance import certificates

    try:
        out = await certificates.revoke(cli_context(), cli_actor(), args.id, args.reason)
    except Exception as exc:
        return fail(exc)
    print(f"已撤销 / revoked: {out.id}; 下次更新清单后生效 / effective with the next bundle")
    return 0


async def link_cmd(args: argparse.Namespace) -> int:
    from huicui.issuance import certificates

    try:
        out = await certificates.reissue_holder_link(cli_context(), cli_actor(), args.id)
    except Exception as exc:
        return fail(exc)
    print("新的持证人链接（只显示一次，旧链接已失效）/ new holder link (shown once; old one dead):")
    print(out.link)
    return 0


async def pdf_cmd(args: argparse.Namespace) -> int:
    from huicui.issuance import cards, certificates

    ctx = cli_context()
    try:
        row = await certificates.get_row(args.id)
    except Exception as exc:
        return fail(exc)
    target = Path(args.output or f"certificate-{row['cti']}.pdf")
    target.write_bytes(cards.certificate_pdf(await certificates.card_content(ctx, row)))
    print(f"已保存 / written: {target}")
    return 0


async def reissue_cmd(args: argparse.Namespace) -> int:
    from rich.progress import Progress

    from huicui.errors import HuicuiError
    from huicui.issuance import certificates, keys

    ctx = cli_context()
    try:
        kid = keys.parse_kid(args.kid)
        await keys.get_key_row(kid)
    except Exception as exc:
        return fail(exc)
    memberships = await certificates.memberships_signed_by(kid)
    made, skipped = 0, 0
    with Progress() as progress:
        task = progress.add_task("补发 / re-issuing", total=len(memberships))
        for membership_id in memberships:
            try:
                await certificates.issue(ctx, cli_actor(), membership_id, reason=f"reissue: {kid}")
                made += 1
            except HuicuiError as exc:
                skipped += 1
                progress.console.print(f"跳过 / skipped membership {membership_id}: "
                                       f"{exc.message_en}")
            progress.advance(task)
    print(f"已补发 / re-issued: {made}; 跳过 / skipped: {skipped}")
    if made:
        print("请为持证人提供新证书；链接保持不变 / hand out the new cards; holder links are kept")
    return 0


async def activations_cmd(args: argparse.Namespace) -> int:
    from huicui.issuance import phones

    try:
        if args.action == "activations":
            out = await phones.activation_state(cli_context(), args.id, with_code=False)
        elif args.action == "activation-code":
            out = await phones.reveal_code(cli_context(), cli_actor(), args.id)
        else:
            out = await phones.reset_activations(
                cli_context(), cli_actor(), args.id, args.reason, new_code=args.new_code
            )
    except Exception as exc:
        return fail(exc)
    print(msgspec.json.format(msgspec.json.encode(out)).decode())
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "certificates",
        help="荣誉证书 / certificates",
        description="查看、打印、撤销和补发 HB1 荣誉证书 / Show, print, revoke and re-issue "
        "HB1 honor certificates.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    csub = p.add_subparsers(dest="c_command", metavar="ACTION", required=True)
    c = csub.add_parser("show", help="证书详情 / one certificate",
                        description="证书的 HB1 文本、状态、权益与有效期（JSON）/ a certificate's "
                        "HB1 text, status, benefits and validity (JSON)",
                        epilog="example: huicui certificates show 9f86d081884c7d65")
    c.add_argument("id", help="证书编号，16 位十六进制 / certificate id, 16 hex digits")
    c.set_defaults(func=run_async(show_cmd))
    c = csub.add_parser("revoke", help="撤销证书 / revoke a certificate",
                        description="撤销证书，下次更新清单后生效；成员资格不变 / revoke a "
                        "certificate, effective with the next bundle; the membership stays",
                        epilog='example: huicui certificates revoke 9f86d081884c7d65 '
                        '--reason "证书遗失 card lost"')
    c.add_argument("id", help="证书编号，16 位十六进制 / certificate id, 16 hex digits")
    c.add_argument("--reason", required=True,
                   help="原因（必填，记入审计）/ why (required, audited)")
    c.set_defaults(func=run_async(revoke_cmd))
    c = csub.add_parser("link", help="新的持证人链接 / new holder card link",
                        description="新的持证人卡片链接，只显示一次，旧链接失效 / a new holder "
                        "card link, shown once; the old one stops working",
                        epilog="example: huicui certificates link 9f86d081884c7d65")
    c.add_argument("id", help="证书编号，16 位十六进制 / certificate id, 16 hex digits")
    c.set_defaults(func=run_async(link_cmd))
    c = csub.add_parser("pdf", help="打印版证书 / printable A5 PDF",
                        description="A5 打印版荣誉证书 / the printable A5 honor certificate",
                        epilog="example: huicui certificates pdf 9f86d081884c7d65 -o card.pdf")
    c.add_argument("id", help="证书编号，16 位十六进制 / certificate id, 16 hex digits")
    c.add_argument("-o", "--output",
                   help="输出文件 / file to write (default certificate-<id>.pdf)")
    c.set_defaults(func=run_async(pdf_cmd))
    c = csub.add_parser(
        "reissue",
        help="补发某密钥签发的证书 / re-issue certificates signed by a key",
        description="为该密钥签发的有效证书补发新证书 / new certificates for the active ones "
        "a key signed",
        epilog="example: huicui certificates reissue --kid 1a2b3c4d\n"
        "Issues a new certificate (signed by the active key) for every active membership "
        "whose current certificate the given key signed; the old ones are superseded and "
        "listed as revoked in the next bundle.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    c.add_argument("--kid", required=True, help="要替换其证书的密钥 / the key whose certificates "
                   "to replace")
    c.set_defaults(func=run_async(reissue_cmd))
    for action, text in (
        ("activations", "手机证件启用情况 / phone-card activations"),
        ("activation-code", "查看启用码（留审计记录） / show the activation code (audited)"),
        ("reset-activations", "重置启用次数 / reset phone-card activations"),
    ):
        c = csub.add_parser(action, help=text, description=text,
                            epilog=f"example: huicui certificates {action} "
                            "9f86d081884c7d65" + (' --reason "…"' if action.startswith("reset")
                                                  else ""))
        c.add_argument("id", help="证书编号，16 位十六进制 / certificate id, 16 hex digits")
        if action == "reset-activations":
            c.add_argument("--reason", required=True,
                           help="原因（必填，记入审计） / why (required, audited)")
            c.add_argument("--new-code", action="store_true",
                           help="同时更换启用码（纸质证书上的码失效） / also replace the "
                           "activation code (the printed one stops working)")
        c.set_defaults(func=run_async(activations_cmd), action=action)
