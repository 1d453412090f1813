"""``huicui bundle export|show``: verifier bundles as files, and what the current one holds."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from huicui.cli import run_async
from huicui.cli.common import cli_context

EXPORT_EPILOG = """\
示例 / examples:
  huicui bundle export --venue 12 -o /media/usb/bundle.cbor
  # 在从不联网的设备上 / on the device that never goes online:
  huicui-verify load /media/usb/bundle.cbor --pin-fingerprint 1A2B-…

文件在有效期内可用（bundle.lifetime_hours），过期后按场所的 fail_mode 处理；请定期重新导出。
The file is valid for bundle.lifetime_hours; after that the device follows the
venue's fail mode, so export again on a schedule (revocations travel only this way)."""

SHOW_EPILOG = """\
示例 / examples:
  huicui bundle show
  huicui bundle show --venue 12"""


async def export_cmd(args: argparse.Namespace) -> int:
    from huicui_verifier.bundle import fingerprint

    from huicui.audit import service as audit
    from huicui.bundles.builder import bundle_service
    from huicui.errors import NotFound
    from huicui.timefmt import to_local_iso

    ctx = cli_context()
    try:
        built = await bundle_service(ctx).for_venue(args.venue)
    except NotFound as exc:
        print(f"错误 / error: {exc.message_zh} / {exc.message_en}", file=sys.stderr)
        return 1
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(built.data)
    await audit.record(
        "cli",
        "bundle.export",
        "venue",
        args.venue,
        data={"version": built.version, "bytes": len(built.data)},
    )
    content, _ = await bundle_service(ctx).global_content(_now())
    expires = to_local_iso(dt.datetime.fromtimestamp(built.exp, dt.UTC), ctx.tz)
    print(f"已导出 / exported: {out} ({len(built.data)} bytes)")
    print(
        f"版本 / version: {built.version}   场所 / venue: {built.venue_id} {built.profile.name_zh}"
    )
    print(f"有效期至 / valid until: {expires}")
    print(f"密钥指纹 / fingerprint: {fingerprint(content.bundle_key)}")
    return 0


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def show_cmd(args: argparse.Namespace) -> int:
    from huicui_verifier.bundle import fingerprint

    from huicui.bundles.builder import bundle_service
    from huicui.venues.tables import Venue

    ctx = cli_context()
    service = bundle_service(ctx)
    content, _ = await service.global_content(_now())
    print(f"版本 / version: {content.version}   摘要 / digest: {content.digest[:16]}")
    print(
        f"签发密钥 / issuer keys: {len(content.keys)} "
        f"({', '.join(f'{k.kid.hex()}:{k.state}' for k in content.keys)})"
    )
    print(
        f"吊销证书 / revoked certificates: {content.revoked_count} ({len(content.revoked)} bytes)"
    )
    print(
        f"权益 / benefits: {len(content.benefits)} ({', '.join(b.slug for b in content.benefits)})"
    )
    print(f"名录 / directories: {len(content.directories)}")
    print(f"密钥指纹 / bundle key fingerprint: {fingerprint(content.bundle_key)}")
    venue_id = args.venue
    if venue_id is None:
        first = await Venue.select(Venue.id).order_by(Venue.id).first()
        venue_id = first["id"] if first else None
    if venue_id is not None:
        built = await service.for_venue(venue_id)
        print(
            f"场所 {venue_id} 的核验数据 / bundle for venue {venue_id}: {len(built.data)} bytes, "
            f"ETag {built.etag}"
        )
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "bundle",
        help="核验数据 / verifier bundles",
        description="核验数据：导出为文件，或查看当前版本 / Verifier bundles: export one as a "
        "file, or show the current one.",
    )
    bsub = p.add_subparsers(dest="bundle_command", metavar="ACTION", required=True)
    c = bsub.add_parser(
        "export",
        help="导出某场所的核验数据文件 / write a venue's bundle to a file",
        description="将某场所的签名核验数据写入文件，供从不联网的设备使用 / "
        "Write the signed bundle of one venue to a file, for devices "
        "that never go online. Prints the version and the key fingerprint.",
        epilog=EXPORT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    c.add_argument("--venue", type=int, required=True, help="场所编号 / venue id")
    c.add_argument("-o", "--output", required=True, help="输出文件 / output file (.cbor)")
    c.set_defaults(func=run_async(export_cmd))
    c = bsub.add_parser(
        "show",
        help="当前核验数据概况 / version, counts and size",
        description="当前核验数据的版本、数量与大小 / the current bundle's version, counts "
        "and size",
        epilog=SHOW_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    c.add_argument(
        "--venue", type=int, help="也显示该场所的文件大小 / also size this venue's bundle"
    )
    c.set_defaults(func=run_async(show_cmd))
