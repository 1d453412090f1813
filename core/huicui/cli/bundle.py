"""``huicui bundle publish|show``: the bundle files in a folder, and what the current one holds."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from huicui.cli import run_async
from huicui.cli.common import cli_context

PUBLISH_EPILOG = """\
示例 / examples:
  huicui bundle publish /srv/www/bundle     # 网络服务器、CDN 或对象存储 / a web server or CDN
  huicui bundle publish /media/usb/bundle   # U盘 / a USB stick
  # 在从不联网的设备上 / on a device that never goes online:
  huicui-verify load /media/usb/bundle --venue 12 --pin-fingerprint 1A2B-…

写入心跳、快照（按摘要命名）、与上一次发布之间的增量，以及每个场所的资料；未变的文件不重写。
心跳在 bundle.lifetime_hours 后过期：请定期重新发布（例如每小时一次的定时任务）。
Writes the heartbeat, the snapshot (named by its hash), the delta from the previous
publish into the same folder, and every venue's profile; unchanged files are not
rewritten. The heartbeat expires after bundle.lifetime_hours: publish on a schedule
(an hourly cron job, say), since freshness and revocations travel only this way."""

SHOW_EPILOG = """\
示例 / examples:
  huicui bundle show"""


async def publish_cmd(args: argparse.Namespace) -> int:
    from huicui_verifier.bundle import fingerprint

    from huicui.audit import service as audit
    from huicui.bundles.content import gather
    from huicui.bundles.publish import Publisher
    from huicui.timefmt import to_local_iso
    from huicui.venues.tables import Venue

    ctx = cli_context()
    now = _now()
    content = await gather(ctx, now)
    publisher = Publisher(Path(args.directory))
    done = publisher.publish_content(content, ctx.settings, now, venues=await Venue.select())
    await audit.record(
        "cli",
        "bundle.publish",
        "bundle",
        content.version,
        data={"files": len(done.files), "profiles": done.profiles_written},
    )
    lifetime = ctx.settings.bundle.lifetime_hours * 3600
    print(f"已发布 / published: {args.directory}")
    print(
        f"版本 / version: {done.version}   快照 / snapshot: {done.hash.hex()[:16]}… "
        f"({'新 new' if done.snapshot_written else '未变 unchanged'})   "
        f"增量 / delta: {'已写 written' if done.delta_written else '-'}   "
        f"场所资料 / profiles written: {done.profiles_written}"
    )
    valid = to_local_iso(dt.datetime.fromtimestamp(int(now.timestamp()) + lifetime, dt.UTC), ctx.tz)
    print(f"心跳有效期至 / heartbeat valid until about: {valid}")
    print(f"密钥指纹 / fingerprint: {fingerprint(content.bundle_key)}")
    return 0


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def show_cmd(args: argparse.Namespace) -> int:
    from huicui_verifier.bundle import fingerprint

    from huicui.bundles.builder import bundle_service
    from huicui.bundles.content import gather

    ctx = cli_context()
    service = bundle_service(ctx)
    content = await gather(ctx, _now())
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
    published = await service.refresh(_now())
    print(
        f"服务发布目录 / service folder: {service.publisher.directory} "
        f"(heartbeat {published.heartbeat_bytes} bytes)"
    )
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "bundle",
        help="核验数据 / verifier bundles",
        description="核验数据：发布为静态文件，或查看当前版本 / Verifier bundles: publish "
        "them as files, or show the current one.",
    )
    bsub = p.add_subparsers(dest="bundle_command", metavar="ACTION", required=True)
    c = bsub.add_parser(
        "publish",
        help="把核验数据发布为静态文件 / write the bundle files into a folder",
        description="把心跳、快照、增量和各场所资料写入 DIR（docs/bundle.md），供任何网站服务器、"
        "CDN、对象存储或U盘使用 / Write the heartbeat, snapshot, delta and venue profiles "
        "into DIR (docs/bundle.md), for any web server, CDN, object store or USB stick.",
        epilog=PUBLISH_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    c.add_argument("directory", metavar="DIR", help="输出目录 / folder to publish into")
    c.set_defaults(func=run_async(publish_cmd))
    c = bsub.add_parser(
        "show",
        help="当前核验数据概况 / version, counts and size",
        description="当前核验数据的版本、数量与大小 / the current bundle's version, counts "
        "and size",
        epilog=SHOW_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    c.set_defaults(func=run_async(show_cmd))
