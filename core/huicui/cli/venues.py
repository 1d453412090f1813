"""``huicui partner|venue|device``: set up the places that honor benefits, from a terminal."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import msgspec

from huicui.cli import run_async
from huicui.cli.common import add_json_flag, cli_context, cli_principal, fail, print_rows

PARTNER_EPILOG = """\
示例 / examples:
  huicui partner create --name-zh 北部湾旅游公司 --name-en "Beibu Gulf Tourism" --phone 07792000000
  huicui partner list"""
VENUE_EPILOG = """\
示例 / examples:
  huicui venue kinds
  huicui venue create --partner 1 --kind counter --name-zh 北海市民服务中心 --benefit 4
  huicui venue list --partner 1
  huicui venue update 3 --static-cards refuse   # 无人值守 / unattended: phone cards only
场所类型由已安装的权益插件决定（另有通用的 counter），用 huicui venue kinds 查看。
Venue kinds come from the installed benefit plugins (plus the generic counter):
see huicui venue kinds."""
DEVICE_EPILOG = """\
示例 / examples:
  huicui device enroll --venue 3 --name "1号闸机"   # 令牌仅显示一次 / token shown once
  huicui device enroll --venue 3 --name "售票手机" --qr enroll.png   # 手机扫码登记 / phone scans it
  huicui device disable 7 --reason "设备丢失 lost"
  huicui device list --venue 3"""


STATIC_CARDS = ("accept", "check_id", "refuse")
STATIC_CARDS_HELP = (
    "静态证件（纸质或图片二维码）：accept 接受；check_id 核对身份证件（默认）；"
    "refuse 只收手机动态证件（无人值守）/ static cards (printed or image QR): accept; "
    "check_id = staff compare the ID document (default); refuse = live phone cards only "
    "(unattended validators)"
)


def _print(obj: object) -> None:
    print(msgspec.json.encode(obj).decode())


async def partner_create(args: argparse.Namespace) -> int:
    from huicui.venues import service
    from huicui.venues.schemas import PartnerIn

    try:
        data = msgspec.convert(
            {
                "name_zh": args.name_zh,
                "name_en": args.name_en or "",
                "contact_name": args.contact or "",
                "contact_phone": args.phone or "",
                "settlement_ref": args.settlement or "",
            },
            PartnerIn,
        )
        _print(await service.create_partner(cli_context(), cli_principal(), data))
    except Exception as exc:
        return fail(exc, details=True)
    return 0


async def partner_list(args: argparse.Namespace) -> int:
    from huicui.venues import service

    items, _ = await service.list_partners(cli_context(), limit=500, offset=0)
    print_rows(args, ("id", "name_zh", "name_en", "venues"),
               [(p.id, p.name_zh, p.name_en, p.venue_count) for p in items])
    return 0


async def venue_create(args: argparse.Namespace) -> int:
    from huicui.venues import service
    from huicui.venues.schemas import VenueIn

    try:
        data = msgspec.convert(
            {
                "partner_id": args.partner,
                "name_zh": args.name_zh,
                "name_en": args.name_en or "",
                "kind": args.kind,
                "address": args.address or "",
                "lat": args.lat,
                "lon": args.lon,
                "benefits": args.benefit or [],
                "fail_mode": args.fail_mode,
                "static_cards": args.static_cards,
            },
            VenueIn,
        )
        _print(await service.create_venue(cli_context(), cli_principal(), data))
    except msgspec.ValidationError as exc:
        print(f"错误 / error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:
        return fail(exc, details=True)
    return 0


async def venue_list(args: argparse.Namespace) -> int:
    from huicui.venues import service

    items, _ = await service.list_venues(
        cli_context(), partner_id=args.partner, kind=args.kind, limit=500, offset=0
    )
    print_rows(args, ("id", "kind", "name_zh", "name_en", "partner_id", "benefits", "fail_mode",
                      "static_cards"),
               [(v.id, v.kind, v.name_zh, v.name_en, v.partner_id,
                 v.benefits if args.json else ",".join(map(str, v.benefits)), v.fail_mode,
                 v.static_cards)
                for v in items])
    return 0


async def venue_kinds(args: argparse.Namespace) -> int:
    from huicui.venues.kinds import allowed_kinds

    ctx = cli_context()
    benefits = ctx.plugins.benefits()
    kinds = [(kind, [b for b in benefits if kind in b.venue_kinds]) for kind in allowed_kinds(ctx)]
    if args.json:
        print_rows(args, ("kind", "benefits"),
                   [(kind, [{"code": b.code, "slug": b.slug} for b in honored])
                    for kind, honored in kinds])
        return 0
    for kind, honored in kinds:
        names = ", ".join(f"{b.code} {b.slug}" for b in honored)
        print(f"{kind:<16} {names or '-'}")
    return 0


async def venue_update(args: argparse.Namespace) -> int:
    from huicui.venues import service
    from huicui.venues.schemas import VenuePatch

    fields = {"fail_mode": args.fail_mode, "static_cards": args.static_cards}
    try:
        data = msgspec.convert({k: v for k, v in fields.items() if v is not None}, VenuePatch)
        _print(await service.update_venue(cli_context(), cli_principal(), args.id, data))
    except Exception as exc:
        return fail(exc, details=True)
    return 0


async def device_enroll(args: argparse.Namespace) -> int:
    from huicui.venues import devices
    from huicui.venues.schemas import DeviceIn

    try:
        out = await devices.enroll_device(
            cli_context(),
            cli_principal(),
            DeviceIn(venue_id=args.venue, name=args.name),
        )
    except Exception as exc:
        return fail(exc, details=True)
    print(out.token)
    print(f"# 设备 / device {out.device.id}，令牌只显示这一次 / token shown once", file=sys.stderr)
    print(f"# 指纹 / fingerprint: {out.fingerprint}", file=sys.stderr)
    print(f"# 在设备上运行 / run on the device:\n{out.command}", file=sys.stderr)
    if out.enrollment is not None:
        code = out.enrollment
        print(f"# 或用手机浏览器扫描登记码（一次有效，{code.expires_at} 前）/ or scan the "
              f"enrollment code with the phone (once, before {code.expires_at}):\n{code.text}",
              file=sys.stderr)
        if args.qr:
            _write_qr(Path(args.qr), code)
            print(f"# 登记码图片 / enrollment QR: {args.qr}", file=sys.stderr)
    return 0


def _write_qr(path: Path, code) -> None:
    """The enrollment QR as SVG (``.svg``) or PNG (anything else)."""
    import base64

    if path.suffix.lower() == ".svg":
        path.write_text(code.qr_svg, encoding="utf-8")
    else:
        path.write_bytes(base64.b64decode(code.qr_png))


async def device_list(args: argparse.Namespace) -> int:
    from huicui.venues import devices

    items, _ = await devices.list_devices(
        cli_context(), venue_id=args.venue, enabled=None, limit=500, offset=0
    )
    print_rows(args, ("id", "venue_id", "state", "token_prefix", "name", "bundle_version",
                      "last_sync_at"),
               [(d.id, d.venue_id, "enabled" if d.enabled else "disabled", d.token_prefix,
                 d.name, d.bundle_version, d.last_sync_at) for d in items])
    return 0


def _set_enabled(enabled: bool):
    async def run(args: argparse.Namespace) -> int:
        from huicui.venues import devices

        try:
            out = await devices.set_enabled(
                cli_context(),
                cli_principal(),
                args.id,
                enabled,  # type: ignore[arg-type]
                args.reason or "",
            )
        except Exception as exc:
            return fail(exc, details=True)
        print(f"设备 / device {out.id}: {'enabled 已启用' if out.enabled else 'disabled 已停用'}")
        return 0

    return run


def register(sub: argparse._SubParsersAction) -> None:
    fmt = argparse.RawDescriptionHelpFormatter
    p = sub.add_parser(
        "partner", help="合作方 / partners", epilog=PARTNER_EPILOG, formatter_class=fmt,
        description="合作方：经营场所、按月结算的单位 / partners: who run venues and are "
        "settled monthly",
    )
    ps = p.add_subparsers(dest="partner_command", metavar="ACTION", required=True)
    c = ps.add_parser("create", help="登记合作方 / record a partner", epilog=PARTNER_EPILOG,
                      formatter_class=fmt,
                      description="登记一个合作方，输出 JSON / record a partner; prints it as JSON")
    c.add_argument("--name-zh", required=True, help="中文名称（必填）/ Chinese name (required)")
    c.add_argument("--name-en", help="英文名称 / English name")
    c.add_argument("--contact", help="联系人 / contact person")
    c.add_argument("--phone", help="联系电话（加密保存）/ contact phone (encrypted at rest)")
    c.add_argument("--settlement", help="结算账户编号 / settlement account reference")
    c.set_defaults(func=run_async(partner_create))
    c = ps.add_parser("list", help="列出合作方 / list partners",
                      description="所有合作方及其场所数 / every partner and its venue count",
                      epilog="example: huicui partner list --json")
    add_json_flag(c)
    c.set_defaults(func=run_async(partner_list))

    p = sub.add_parser("venue", help="场所 / venues", epilog=VENUE_EPILOG, formatter_class=fmt,
                       description="场所：合作方核验证书、提供权益的地点 / venues: where a "
                       "partner checks certificates and grants benefits")
    vs = p.add_subparsers(dest="venue_command", metavar="ACTION", required=True)
    c = vs.add_parser("create", help="登记场所 / record a venue", epilog=VENUE_EPILOG,
                      formatter_class=fmt,
                      description="登记一个场所，输出 JSON / record a venue; prints it as JSON")
    c.add_argument("--partner", type=int, required=True, help="合作方编号 / partner id")
    c.add_argument(
        "--kind", required=True, help="场所类型 / venue kind (see: huicui venue kinds)"
    )
    c.add_argument("--name-zh", required=True, help="中文名称（必填）/ Chinese name (required)")
    c.add_argument("--name-en", help="英文名称 / English name")
    c.add_argument("--address", help="地址 / address")
    c.add_argument("--lat", type=float, help="纬度 / latitude (WGS 84)")
    c.add_argument("--lon", type=float, help="经度 / longitude (WGS 84)")
    c.add_argument("--benefit", type=int, action="append",
                   help="提供的权益代码（可重复）/ benefit code honored (repeat)")
    c.add_argument(
        "--fail-mode",
        choices=("open", "closed"),
        default="closed",
        help="清单过期时：open 仍接受，closed 拒绝 / when the bundle is stale: open = still "
        "accept, closed = refuse",
    )
    c.add_argument("--static-cards", choices=STATIC_CARDS, help=STATIC_CARDS_HELP)
    c.set_defaults(func=run_async(venue_create))
    c = vs.add_parser(
        "kinds", help="可用的场所类型及其权益 / venue kinds allowed now, and their benefits",
        description="已安装插件允许的场所类型及其权益 / the venue kinds the installed plugins "
        "allow, and their benefits",
    )
    add_json_flag(c)
    c.set_defaults(func=run_async(venue_kinds))
    c = vs.add_parser("update", help="修改场所的策略 / change a venue's policies",
                      description="修改场所的过期策略或静态证件策略 / change a venue's fail mode "
                      "or static-card policy", epilog=VENUE_EPILOG, formatter_class=fmt)
    c.add_argument("id", type=int, help="场所编号 / venue id")
    c.add_argument("--fail-mode", choices=("open", "closed"),
                   help="清单过期时：open 仍接受，closed 拒绝 / when the bundle is stale: open = "
                   "still accept, closed = refuse")
    c.add_argument("--static-cards", choices=STATIC_CARDS, help=STATIC_CARDS_HELP)
    c.set_defaults(func=run_async(venue_update))
    c = vs.add_parser("list", help="列出场所 / list venues",
                      description="场所，可按合作方或类型筛选 / venues, by partner or kind",
                      epilog="example: huicui venue list --partner 3 --json")
    c.add_argument("--partner", type=int, help="只列该合作方的 / only this partner's")
    c.add_argument("--kind", help="只列该类型 / only this kind")
    add_json_flag(c)
    c.set_defaults(func=run_async(venue_list))

    p = sub.add_parser(
        "device", help="核验设备 / verifier devices", epilog=DEVICE_EPILOG, formatter_class=fmt,
        description="核验设备：场所里运行 huicui-verify 的设备 / verifier devices: what runs "
        "huicui-verify at a venue",
    )
    ds = p.add_subparsers(dest="device_command", metavar="ACTION", required=True)
    c = ds.add_parser(
        "enroll",
        help="登记设备，令牌只显示一次 / create a device; prints its token once",
        description="登记设备并打印令牌（只显示一次）和设备上要运行的命令 / create a device; "
        "prints its token once and the command to run on it",
        epilog=DEVICE_EPILOG,
        formatter_class=fmt,
    )
    c.add_argument("--venue", type=int, required=True, help="场所编号 / venue id")
    c.add_argument("--name", required=True, help="设备名称，例如 1号闸机 / name, e.g. gate 1")
    c.add_argument("--qr", metavar="FILE", help="把手机登记码写入 FILE（.png 或 .svg）/ write "
                   "the phone's enrollment QR to FILE (.png or .svg)")
    c.set_defaults(func=run_async(device_enroll))
    c = ds.add_parser("list", help="列出设备 / list devices",
                      description="设备、状态、清单版本、最近同步 / devices, state, bundle "
                      "version, last sync", epilog="example: huicui device list --venue 3")
    c.add_argument("--venue", type=int, help="只列该场所的 / only this venue's")
    add_json_flag(c)
    c.set_defaults(func=run_async(device_list))
    for action, enabled, zh in (("disable", False, "停用"), ("enable", True, "启用")):
        c = ds.add_parser(action, help=f"按编号{zh}设备 / {action} a device by id",
                          description=f"{zh}设备：下一次请求起生效 / {action} a device; "
                          "effective from its next request",
                          epilog=f"example: huicui device {action} 7 --reason …")
        c.add_argument("id", type=int, help="设备编号 / device id")
        c.add_argument("--reason", help="原因（记入审计日志）/ why (kept in the audit log)")
        c.set_defaults(func=run_async(_set_enabled(enabled)))
