"""``huicui partner|venue|device``: set up the places that honor benefits, from a terminal."""

from __future__ import annotations

import argparse
import sys

import msgspec

from huicui.cli import run_async
from huicui.cli.common import cli_context, cli_principal, fail

PARTNER_EPILOG = """\
示例 / examples:
  huicui partner create --name-zh 北部湾旅游公司 --name-en "Beibu Gulf Tourism" --phone 07792000000
  huicui partner list"""
VENUE_EPILOG = """\
示例 / examples:
  huicui venue create --partner 1 --kind ferry --name-zh 北海国际客运港 --benefit 2 --fail-mode open
  huicui venue list --partner 1
  huicui venue update 3 --static-cards refuse   # 无人值守 / unattended: phone cards only
场所类型 / kinds: scenic ferry bus hotel hospital school workstation training counter"""
DEVICE_EPILOG = """\
示例 / examples:
  huicui device enroll --venue 3 --name "1号闸机"   # 令牌仅显示一次 / token shown once
  huicui device disable 7 --reason "设备丢失 lost"
  huicui device list --venue 3"""


STATIC_CARDS = ("accept", "check_id", "refuse")
STATIC_CARDS_HELP = (
    "static cards (printed/image QR): accept; check_id = staff compare the ID document "
    "(default); refuse = live phone cards only (unattended validators)"
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

    items, total = await service.list_partners(cli_context(), limit=500, offset=0)
    for p in items:
        print(f"{p.id:>5}  {p.name_zh}  {p.name_en}  venues={p.venue_count}")
    print(f"# {total}")
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

    items, total = await service.list_venues(
        cli_context(), partner_id=args.partner, kind=args.kind, limit=500, offset=0
    )
    for v in items:
        print(
            f"{v.id:>5}  {v.kind:<11} {v.name_zh}  partner={v.partner_id} "
            f"benefits={v.benefits} fail_mode={v.fail_mode} static_cards={v.static_cards}"
        )
    print(f"# {total}")
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
    return 0


async def device_list(args: argparse.Namespace) -> int:
    from huicui.venues import devices

    items, total = await devices.list_devices(
        cli_context(), venue_id=args.venue, enabled=None, limit=500, offset=0
    )
    for d in items:
        state = "enabled" if d.enabled else "DISABLED"
        print(
            f"{d.id:>5}  venue={d.venue_id:<5} {state:<8} {d.token_prefix}…  {d.name}  "
            f"bundle=v{d.bundle_version}  last_sync={d.last_sync_at or '-'}"
        )
    print(f"# {total}")
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
        "partner", help="合作方 / partners", epilog=PARTNER_EPILOG, formatter_class=fmt
    )
    ps = p.add_subparsers(dest="partner_command", metavar="ACTION", required=True)
    c = ps.add_parser("create", help="record a partner", epilog=PARTNER_EPILOG, formatter_class=fmt)
    c.add_argument("--name-zh", required=True)
    c.add_argument("--name-en")
    c.add_argument("--contact", help="contact person")
    c.add_argument("--phone", help="contact phone (encrypted at rest)")
    c.add_argument("--settlement", help="settlement account reference")
    c.set_defaults(func=run_async(partner_create))
    c = ps.add_parser("list", help="list partners")
    c.set_defaults(func=run_async(partner_list))

    p = sub.add_parser("venue", help="场所 / venues", epilog=VENUE_EPILOG, formatter_class=fmt)
    vs = p.add_subparsers(dest="venue_command", metavar="ACTION", required=True)
    c = vs.add_parser("create", help="record a venue", epilog=VENUE_EPILOG, formatter_class=fmt)
    c.add_argument("--partner", type=int, required=True, help="partner id")
    c.add_argument("--kind", required=True, help="scenic, ferry, bus, hotel, …")
    c.add_argument("--name-zh", required=True)
    c.add_argument("--name-en")
    c.add_argument("--address")
    c.add_argument("--lat", type=float)
    c.add_argument("--lon", type=float)
    c.add_argument("--benefit", type=int, action="append", help="benefit code honored (repeat)")
    c.add_argument(
        "--fail-mode",
        choices=("open", "closed"),
        default="closed",
        help="when the bundle is stale: open = still accept, closed = refuse",
    )
    c.add_argument("--static-cards", choices=STATIC_CARDS, help=STATIC_CARDS_HELP)
    c.set_defaults(func=run_async(venue_create))
    c = vs.add_parser("update", help="change a venue's policies", epilog=VENUE_EPILOG,
                      formatter_class=fmt)
    c.add_argument("id", type=int)
    c.add_argument("--fail-mode", choices=("open", "closed"))
    c.add_argument("--static-cards", choices=STATIC_CARDS, help=STATIC_CARDS_HELP)
    c.set_defaults(func=run_async(venue_update))
    c = vs.add_parser("list", help="list venues")
    c.add_argument("--partner", type=int)
    c.add_argument("--kind")
    c.set_defaults(func=run_async(venue_list))

    p = sub.add_parser(
        "device", help="核验设备 / verifier devices", epilog=DEVICE_EPILOG, formatter_class=fmt
    )
    ds = p.add_subparsers(dest="device_command", metavar="ACTION", required=True)
    c = ds.add_parser(
        "enroll",
        help="create a device; prints its token once",
        epilog=DEVICE_EPILOG,
        formatter_class=fmt,
    )
    c.add_argument("--venue", type=int, required=True)
    c.add_argument("--name", required=True, help="e.g. 1号闸机 / gate 1")
    c.set_defaults(func=run_async(device_enroll))
    c = ds.add_parser("list", help="list devices")
    c.add_argument("--venue", type=int)
    c.set_defaults(func=run_async(device_list))
    for action, enabled in (("disable", False), ("enable", True)):
        c = ds.add_parser(action, help=f"{action} a device by id")
        c.add_argument("id", type=int)
        c.add_argument("--reason", help="why (kept in the audit log)")
        c.set_defaults(func=run_async(_set_enabled(enabled)))
