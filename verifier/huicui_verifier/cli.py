"""``huicui-verify``: the verifier on a venue's device.

One ``add_<name>`` function per subcommand registers its parser and handler, so a new
subcommand is one function added to :data:`SUBCOMMANDS`.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import msgspec

from . import __version__
from .bundle import Bundle, BundleError
from .catchup import catch_up, profile_name
from .clock import local_text
from .decide import Decision
from .device import DeviceHome
from .gate import check_and_record, resolve_benefit
from .image import ImageError, read_qr
from .reasons import BUNDLE_REFUSALS, REASONS, WARNINGS
from .render import age_text, decision_line, decision_lines, pair
from .sync import (
    PendingRecordsError,
    SyncError,
    enroll_device,
    enroll_from_files,
    source_for,
    sync,
)

EXIT_OK, EXIT_REFUSED, EXIT_ERROR = 0, 1, 2

DESCRIPTION = """\
荟萃证书离线核验工具。在场所设备上读取持证人二维码（HB1），离线判定能否享受权益，
先写入本地日志再显示结果，联网时上传记录并更新核验数据。

Offline verifier for Huicui honor certificates. Reads the holder's QR code (HB1),
decides offline whether the benefit applies, writes the decision to the local log
before showing it, and uploads records and fetches newer data when online."""

EPILOG = """\
示例 / examples:
  首次登记设备（令牌与指纹由办公室提供）/ enroll once (the office gives token and fingerprint):
    huicui-verify enroll --server https://huicui.example.cn --token DEV-TOKEN --fingerprint 1A2B-...
  无网络设备从U盘登记并加载核验数据 / a device that is never online enrolls from a stick:
    huicui-verify load /media/usb/bundle --venue 12 --pin-fingerprint 1A2B-...
  之后每次更新 / and takes each newer publication the same way:
    huicui-verify load /media/usb/bundle
  核验一个二维码 / check one code:
    huicui-verify check --text 'HB1:...' --benefit scenic
    huicui-verify check --image photo.jpg --json
  扫码枪连续核验（拒绝时响铃）/ keyboard-wedge scanner loop (bell on refusal):
    huicui-verify scan --benefit ferry
  联网同步 / sync when online:   huicui-verify sync
  查看状态与日志 / status and log:   huicui-verify status ; huicui-verify log --limit 50
  摄像头核验台网页（平板或电脑）/ camera kiosk page on a tablet or PC:
    huicui-verify kiosk --open

退出码 / exit codes: 0 通过或成功 accepted/ok, 1 拒绝 refused, 2 错误 error.
数据目录 / data folder: $HUICUI_VERIFIER_HOME（默认 default ~/.local/share/huicui-verifier）."""


def _now() -> datetime:
    return datetime.now(UTC)


def _err(zh: str, en: str) -> int:
    print(f"错误 Error: {zh} / {en}", file=sys.stderr)
    return EXIT_ERROR


def _home(args: argparse.Namespace) -> DeviceHome:
    return DeviceHome(args.home)


def _held(home: DeviceHome) -> Bundle | None:
    return home.held_bundle(_now())


def _bundle_err(
    exc: BundleError | SyncError,
    what_zh: str = "核验数据被拒绝",
    hint_zh: str = "",
    hint_en: str = "",
) -> int:
    """A refused bundle: the reason from the shared table (zh first), then the detail."""
    zh, en = BUNDLE_REFUSALS.get(exc.code, ("核验数据无效", "invalid bundle"))
    return _err(f"{what_zh}：{zh}（{exc.code}）{hint_zh}", f"{en}: {exc.detail}{hint_en}")


def _pending_err(exc: PendingRecordsError) -> int:
    return _err(
        f"本设备还有 {exc.count} 条原场所的记录未上传，已拒绝重新登记（未作任何改动）。"
        "请先联网运行 huicui-verify sync；确实无法上传时加 --discard-pending，"
        "这些记录将转入隔离区保存（不会删除）",
        f"{exc.count} records of the previous venue are not uploaded ({exc.why}); "
        "nothing was changed. Run huicui-verify sync first, or add --discard-pending "
        "to set them aside in quarantine (they are kept, never deleted)",
    )


def _venue_text(bundle: Bundle) -> str:
    venue = bundle.venue
    return f"{pair(venue.name_zh, venue.name_en)} (venue {venue.id})"


def _print_enrollment(enrolled, fingerprint_given: bool) -> None:
    bundle = enrolled.bundle
    if enrolled.foreign_pending:
        print(
            f"原场所待上传记录 Pending records of the previous venue: {enrolled.foreign_pending}"
            f"（已上传 uploaded {enrolled.uploaded}，已隔离 quarantined {enrolled.quarantined}）"
        )
    print(f"已登记 Enrolled: {_venue_text(bundle)}, bundle v{bundle.version}")
    print(f"核验数据签名密钥指纹 Bundle key fingerprint: {bundle.fingerprint}")
    if fingerprint_given:
        print("指纹与办公室提供的一致 / Fingerprint matches the one the office gave.")
    else:
        print("请与办公室显示的指纹逐字核对；不一致请立即停止使用并联系办公室。")
        print(
            "Compare it, character by character, with the fingerprint the office shows; "
            "if it differs, stop and call the office."
        )


# --- enroll -------------------------------------------------------------------------


def _cmd_enroll(args: argparse.Namespace) -> int:
    home = _home(args)
    if home.pinned_key is not None and not args.force:
        return _err(
            "本设备已登记；重新登记请加 --force",
            "this device is already enrolled; add --force to enroll again",
        )
    try:
        enrolled = enroll_device(
            home,
            args.server,
            args.token,
            expected_fingerprint=args.fingerprint,
            now=_now(),
            discard_pending=args.discard_pending,
        )
    except PendingRecordsError as exc:
        return _pending_err(exc)
    except SyncError as exc:
        if exc.code in BUNDLE_REFUSALS:
            return _bundle_err(exc, "登记失败")
        return _err(f"登记失败（{exc.code}）", f"enrollment failed: {exc.detail}")
    except BundleError as exc:
        return _bundle_err(exc)
    _print_enrollment(enrolled, bool(args.fingerprint))
    return EXIT_OK


def add_enroll(sub: argparse._SubParsersAction) -> None:
    """``enroll``: fetch the first bundle with a device token and pin its key."""
    p = sub.add_parser(
        "enroll",
        help="登记设备 / enroll this device with the server",
        description="用设备令牌获取核验数据并固定其签名密钥。/ "
        "Fetch the bundle with the device token and pin its signing key.",
        epilog="示例 / examples:\n"
        "  huicui-verify enroll --server https://huicui.example.cn --token DEV-TOKEN "
        "--fingerprint 1A2B-...\n"
        "  换到另一场所（先上传原场所记录）/ move to another venue (old records upload first):\n"
        "    huicui-verify enroll --force --server URL --token NEW-TOKEN\n"
        "  原场所记录无法上传时转入隔离区 / if they cannot be uploaded, quarantine them:\n"
        "    huicui-verify enroll --force --discard-pending --server URL --token NEW-TOKEN",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--server", required=True, help="服务器地址 / server URL, e.g. https://huicui.example.cn"
    )
    p.add_argument("--token", required=True, help="设备令牌 / device token from the office")
    p.add_argument(
        "--fingerprint",
        help="办公室提供的密钥指纹 / key fingerprint the office showed (refuses on mismatch)",
    )
    p.add_argument(
        "--force", action="store_true", help="重新登记 / enroll again, replacing the pinned key"
    )
    p.add_argument(
        "--discard-pending",
        action="store_true",
        help="换场所时若原场所记录无法上传，将其转入隔离区（保留不删）/ when moving to another "
        "venue and its pending records cannot be uploaded first, quarantine them (kept)",
    )
    p.set_defaults(func=_cmd_enroll)


# --- load ---------------------------------------------------------------------------


def _cmd_load(args: argparse.Namespace) -> int:
    home = _home(args)
    state = home.state()
    try:
        now = _now()
        if home.pinned_key is None or args.force:
            # Enrollment from the files: the first one, or a move to another venue.
            if not (args.pin_fingerprint and args.venue is not None):
                return _err(
                    "登记设备须给出办公室提供的密钥指纹和场所编号："
                    "--pin-fingerprint 指纹 --venue 场所编号",
                    "enrolling from the files needs the fingerprint the office gave and the "
                    "venue: --pin-fingerprint FP --venue ID",
                )
            enrolled = enroll_from_files(
                home,
                args.source,
                args.venue,
                expected_fingerprint=args.pin_fingerprint,
                now=now,
                discard_pending=args.discard_pending,
            )
            _print_enrollment(enrolled, True)
            bundle = enrolled.bundle
        else:
            venue = state.get("venue")
            caught = catch_up(
                source_for(args.source),
                held=home.held(),
                pinned_key=home.pinned_key,
                program=state.get("program"),
                venue=venue,
                profile_file=profile_name(venue),
                now=now,
                profile_rev=state.get("profile_rev"),
            )
            home.save(caught, loaded_at=int(now.timestamp()))
            bundle = _held(home)
            assert bundle is not None
    except PendingRecordsError as exc:
        return _pending_err(exc)
    except SyncError as exc:
        if exc.code == "fingerprint_mismatch":
            return _err("密钥指纹不一致，已拒绝", f"{exc.detail}; refused (does not match)")
        return _bundle_err(exc)
    except BundleError as exc:
        hint = exc.code == "other_venue"
        return _bundle_err(
            exc,
            hint_zh="。换到该场所请加 --force --venue 场所编号 --pin-fingerprint 指纹 重新登记"
            if hint
            else "",
            hint_en=". To move this device there, enroll again: --force --venue ID "
            "--pin-fingerprint FP"
            if hint
            else "",
        )
    print(
        f"已加载 Loaded: v{bundle.version}, {_venue_text(bundle)}, "
        f"有效期至 valid until {local_text(bundle.fresh_until, bundle.tz)}"
    )
    if bundle.is_stale(int(_now().timestamp())):
        print("⚠ 此核验数据已过期 / This bundle has already expired")
    return EXIT_OK


def add_load(sub: argparse._SubParsersAction) -> None:
    """``load``: take the published files from a folder (a stick) or a static URL."""
    p = sub.add_parser(
        "load",
        help="从文件夹或网址加载核验数据 / load the published files",
        description="从文件夹（如U盘）或静态网址读取发布的核验数据（心跳、增量或快照、场所资料），"
        "必须由已固定的密钥签名。/ Read the published files (heartbeat, deltas or snapshot, "
        "venue profile) from a folder such as a USB stick, or from a static URL; they must "
        "be signed by the pinned key.",
        epilog="示例 / examples:\n"
        "  首次登记 / first enrollment:\n"
        "    huicui-verify load /media/usb/bundle --venue 12 --pin-fingerprint 1A2B-...\n"
        "  更新 / newer data:\n"
        "    huicui-verify load /media/usb/bundle\n"
        "  换到另一场所 / move to another venue:\n"
        "    huicui-verify load /media/usb/bundle --venue 13 --force --pin-fingerprint 1A2B-...",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "source", help="文件夹或网址 / folder or base URL (huicui bundle publish DIR wrote it)"
    )
    p.add_argument(
        "--pin-fingerprint",
        metavar="FP",
        help="登记时：办公室提供的密钥指纹 / when enrolling: the key fingerprint the office gave",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="以此文件重新登记（可换场所）/ enroll again with this file (may change venue)",
    )
    p.add_argument(
        "--discard-pending",
        action="store_true",
        help="重新登记时原场所记录无法上传则转入隔离区（保留不删）/ when enrolling again, "
        "quarantine records of the previous venue that cannot be uploaded (kept)",
    )
    p.add_argument(
        "--venue",
        type=int,
        metavar="ID",
        help="未登记设备：本设备所在场所编号 / on a never-enrolled device, this device's venue",
    )
    p.set_defaults(func=_cmd_load)


# --- check and scan -----------------------------------------------------------------


def _decision_json(d: Decision) -> str:
    data = msgspec.to_builtins(d)
    data["staff_check"] = d.staff_check
    return msgspec.json.encode(data).decode()


def _open_for_decisions(args: argparse.Namespace) -> tuple[DeviceHome, Bundle | None, int | None]:
    home = _home(args)
    bundle = _held(home)
    return home, bundle, resolve_benefit(bundle, args.benefit)


def _cmd_check(args: argparse.Namespace) -> int:
    try:
        home, bundle, benefit = _open_for_decisions(args)
    except BundleError as exc:
        return _bundle_err(exc, "本机核验数据无效")
    except ValueError as exc:
        return _err("未知权益", str(exc))
    if bundle is None:
        zh, en = REASONS["no_bundle"]
        return _err(zh, en)
    if args.image:
        try:
            text = read_qr(args.image)
        except ImageError as exc:
            return _err(
                "图片中未识别到二维码" if exc.code == "no_code_found" else "无法读取图片",
                f"{exc.code}: {exc.detail}",
            )
    else:
        text = args.text
    with home.open_log() as log:
        decision = check_and_record(text, bundle=bundle, log=log, benefit=benefit, now=_now())
    if args.json:
        print(_decision_json(decision))
    else:
        print("\n".join(decision_lines(decision, bundle.tz)))
    return EXIT_OK if decision.accepted else EXIT_REFUSED


def add_check(sub: argparse._SubParsersAction) -> None:
    """``check``: decide one code given as text or as an image."""
    p = sub.add_parser(
        "check",
        help="核验一个二维码 / check one code",
        description="离线核验一个证书二维码。退出码 0 通过、1 拒绝、2 错误。/ "
        "Decide one certificate offline. Exit 0 accepted, 1 refused, 2 error.",
    )
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--text", help="二维码文本 / the code's text (HB1:...)")
    src.add_argument("--image", metavar="PATH", help="含二维码的图片 / an image holding the code")
    p.add_argument(
        "--benefit",
        metavar="SLUG|CODE",
        help="要核验的权益 / benefit to redeem (default: the one this venue honors)",
    )
    p.add_argument("--json", action="store_true", help="输出 JSON / print the decision as JSON")
    p.set_defaults(func=_cmd_check)


def _cmd_scan(args: argparse.Namespace) -> int:
    try:
        home, bundle, benefit = _open_for_decisions(args)
    except BundleError as exc:
        return _bundle_err(exc, "本机核验数据无效")
    except ValueError as exc:
        return _err("未知权益", str(exc))
    print("请扫码（Ctrl-D 结束）/ Scan codes (Ctrl-D to stop)", file=sys.stderr, flush=True)
    if hasattr(sys.stdin, "reconfigure"):
        # A scanner that sends bytes outside UTF-8 must give a refusal, not a crash.
        sys.stdin.reconfigure(errors="replace")
    seen_mtime = _mtime(home.path / "device.json")
    with home.open_log() as log:
        for line in sys.stdin:
            text = line.rstrip("\r\n")
            if not text:
                continue
            mtime = _mtime(home.path / "device.json")
            if mtime != seen_mtime:  # a sync in another process brought a newer bundle
                try:
                    bundle, seen_mtime = _held(home), mtime
                except BundleError:
                    pass  # keep deciding with the bundle already in memory
            decision = check_and_record(text, bundle=bundle, log=log, benefit=benefit, now=_now())
            out = decision_line(decision)
            if args.json:
                out = _decision_json(decision)
            sys.stdout.write(("" if decision.accepted else "\a") + out + "\n")
            sys.stdout.flush()
    return EXIT_OK


def _mtime(path: Path) -> float | None:
    try:
        return os.stat(path).st_mtime_ns
    except FileNotFoundError:
        return None


def add_scan(sub: argparse._SubParsersAction) -> None:
    """``scan``: one decision line per line read from a keyboard-wedge scanner."""
    p = sub.add_parser(
        "scan",
        help="扫码枪连续核验 / decide each scanned line",
        description="从标准输入逐行读取（扫码枪模拟键盘），每行输出一个结果，拒绝时响铃，读到文件结束退出。"
        "/ Read lines from stdin (keyboard-wedge scanner), print one decision per line, "
        "ring the bell on refusal, stop at end of input.",
    )
    p.add_argument("--benefit", metavar="SLUG|CODE", help="要核验的权益 / benefit to redeem")
    p.add_argument("--json", action="store_true", help="每行输出 JSON / one JSON decision per line")
    p.set_defaults(func=_cmd_scan)


# --- sync, log, status --------------------------------------------------------------


def _cmd_sync(args: argparse.Namespace) -> int:
    home = _home(args)
    try:
        result = sync(home, now=_now())
    except SyncError as exc:
        if exc.code in BUNDLE_REFUSALS:
            return _bundle_err(exc, "同步失败")
        return _err(f"同步失败（{exc.code}）", f"sync failed: {exc.detail}")
    up = result.upload
    print(
        f"已上传 Uploaded: {up.sent}（新 new {up.new}，已有 known {up.known}），"
        f"待上传 pending {up.remaining}"
    )
    if up.quarantined:
        print(
            f"⚠ 服务器拒收 {up.quarantined} 条记录，已转入隔离区（保留不删，见 "
            f"huicui-verify log --quarantined）/ the server refused {up.quarantined} records: "
            "quarantined and kept, see huicui-verify log --quarantined"
        )
    if up.error:
        print(f"⚠ 部分记录未上传，稍后重试 / some records wait for the next sync: {up.error}")
    if result.bundle_updated:
        print(f"核验数据已更新 Bundle updated: v{result.bundle_version}")
    else:
        print(f"核验数据已是最新 Bundle up to date: v{result.bundle_version}")
    return EXIT_OK if not up.error else EXIT_ERROR


def add_sync(sub: argparse._SubParsersAction) -> None:
    """``sync``: upload the log, fetch a newer bundle."""
    p = sub.add_parser(
        "sync",
        help="上传记录并更新核验数据 / upload records and fetch a newer bundle",
        description="联网时运行：先上传本机待上传的核验记录（可重复上传，服务器不会重复计数），"
        "再向服务器取更新的核验数据（只接受已固定密钥签发、属于本场所、不比现有版本旧的数据）。"
        "记录服务器回应的时间，status 与核验台显示“上次同步”。/ "
        "Run when online: uploads the pending decisions (safe to repeat: the server never "
        "counts one twice), then fetches a newer bundle (only one signed by the pinned "
        "key, for this venue, not older). The time the server answered is kept and shown "
        "as 'last checked' by status and the kiosk.",
        epilog="示例 / examples:\n"
        "  huicui-verify sync\n"
        "  每 15 分钟同步（cron）/ every 15 minutes from cron:\n"
        "    */15 * * * * huicui-verify sync\n"
        "退出码 / exit codes: 0 完成 done, 2 未能完成（稍后重试）not finished (retry later).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.set_defaults(func=_cmd_sync)


def _cmd_log(args: argparse.Namespace) -> int:
    home = _home(args)
    with home.open_log() as log:
        rows = log.recent(args.limit, quarantined_only=args.quarantined)
    for r in rows:
        mark = "通过 accept" if r["decision"] == "accept" else "拒绝 refuse"
        if r["quarantine_reason"] is not None:
            up = f"已隔离 quarantined: {r['quarantine_reason']}"
        elif r["uploaded"]:
            up = "已上传 uploaded"
        elif r["cti"]:
            up = "待上传 pending"
        else:
            up = "仅本机 local only"  # unreadable codes are never uploaded
        print(
            f"{local_text(r['at'])}  {mark:<11} {r['reason']:<16} cti={r['cti'] or '-':<16} "
            f"benefit={r['benefit']} venue={r['venue']}  {up}"
        )
    if not rows:
        print(
            "没有隔离的记录 / Nothing is quarantined"
            if args.quarantined
            else "日志为空 / The log is empty"
        )
    return EXIT_OK


def add_log(sub: argparse._SubParsersAction) -> None:
    """``log``: show the latest decisions."""
    p = sub.add_parser(
        "log",
        help="查看核验日志 / show recent decisions",
        description="列出本机最近的核验结果（时间为北京时间），以及每条记录是否已上传。"
        "无法识别的二维码只保存在本机，不上传。/ "
        "List this device's latest decisions (Beijing time) and whether each was uploaded. "
        "Unreadable codes stay on this device and are never uploaded.",
        epilog="示例 / examples:\n"
        "  huicui-verify log\n"
        "  huicui-verify log --limit 100\n"
        "  huicui-verify log --quarantined     # 服务器拒收的记录及原因 / refused records",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--limit", type=int, default=20, metavar="N", help="条数 / how many (default 20)"
    )
    p.add_argument(
        "--quarantined",
        action="store_true",
        help="只看隔离的记录及原因 / only records set aside in quarantine, with the reason",
    )
    p.set_defaults(func=_cmd_log)


def _cmd_status(args: argparse.Namespace) -> int:
    home = _home(args)
    now = _now()
    now_ts = int(now.timestamp())
    try:
        bundle = home.held_bundle(now)
    except BundleError as exc:
        return _bundle_err(exc, "本机核验数据无效")
    with home.open_log() as log:
        pending, total, quarantined = log.pending_count(), log.count(), log.quarantined_count()
    print(f"数据目录 Home: {home.path}")
    print(f"服务器 Server: {home.server or '-（未联网登记 not enrolled online）'}")
    if bundle is None:
        zh, en = REASONS["no_bundle"]
        print(f"核验数据 Bundle: {zh} / {en}")
    else:
        snap = bundle.snapshot
        print(
            f"核验数据 Bundle: v{bundle.version} · "
            f"{pair(snap.program_name.zh, snap.program_name.en)} · {_venue_text(bundle)}"
        )
        print(_freshness_line(home.state(), now_ts))
        print(f"心跳 Heartbeat: {local_text(bundle.checked_at, bundle.tz)}")
        stale = bundle.is_stale(now_ts)
        state = "已过期 EXPIRED" if stale else "有效 valid"
        print(
            f"有效期至 Valid until: {local_text(bundle.fresh_until, bundle.tz)} · {state} · "
            f"过期策略 fail mode: {bundle.venue.fail_mode}"
        )
        print(f"签发 Issued: {local_text(snap.iat, bundle.tz)}")
        if bundle.behind:
            zh, en = WARNINGS["bundle_behind"]
            print(f"⚠ {zh}（v{bundle.latest_version}）/ {en} (v{bundle.latest_version})")
        print(
            f"吊销数 Revoked certificates: {len(bundle.revoked)} · "
            f"密钥指纹 Key fingerprint: {bundle.fingerprint}"
        )
        if now_ts < bundle.checked_at - bundle.skew:
            print(
                "⚠ 设备时间早于核验数据签发时间，请校准时钟 / "
                "Device clock is behind the bundle: set the clock"
            )
        else:
            print(
                f"时钟 Clock: {local_text(now_ts, bundle.tz)}"
                "（不早于签发时间 not behind the bundle）"
            )
    print(f"日志 Log: {total} 条 decisions · 待上传 pending upload: {pending}")
    if quarantined:
        print(
            f"⚠ 已隔离 Quarantined: {quarantined} 条（服务器拒收或换场所时放弃，保留不删；"
            "见 huicui-verify log --quarantined）/ refused by the server or given up when "
            "moving venue; kept, see huicui-verify log --quarantined"
        )
    return EXIT_OK


def _freshness_line(state: dict, now_ts: int) -> str:
    """When the device last heard from the service (or took a file): the freshness staff
    can act on, rather than the age of the bundle, which starts before it is fetched."""
    checked, loaded = state.get("checked_at"), state.get("loaded_at")
    if checked is not None and (loaded is None or checked >= loaded):
        zh, en = age_text(now_ts - checked)
        return f"上次与服务器同步 Last checked with the service: {zh} / {en}"
    if loaded is not None:
        zh, en = age_text(now_ts - loaded)
        return f"从文件加载 Loaded from a file: {zh} / {en}"
    return "上次同步 Last checked: 未知 / unknown"


def add_status(sub: argparse._SubParsersAction) -> None:
    """``status``: bundle version and age, expiry, pending uploads, clock."""
    p = sub.add_parser(
        "status",
        help="设备状态 / device status",
        description="显示本设备登记的场所、核验数据版本与有效期、上次与服务器同步的时间、"
        "待上传记录数和时钟是否正确。/ Show the venue this device is enrolled at, the "
        "bundle's version and validity, when the device last checked with the service, "
        "pending uploads and whether the clock looks right.",
        epilog="示例 / examples:\n  huicui-verify status",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.set_defaults(func=_cmd_status)


# --- kiosk --------------------------------------------------------------------------


def _cmd_kiosk(args: argparse.Namespace) -> int:
    # Imported here: the page server is needed only by this subcommand.
    import webbrowser

    from .kiosk import Kiosk, make_server

    home = _home(args)
    try:
        kiosk = Kiosk(home, benefit=args.benefit)
    except ValueError as exc:
        return _err("未知权益", str(exc))
    try:
        server = make_server(kiosk, args.host, args.port)
    except ValueError as exc:
        return _err("不能监听所有地址，请给出一个地址", str(exc))
    except OSError as exc:
        return _err(f"无法监听 {args.host}:{args.port}（端口被占用？）", str(exc))
    status = kiosk.status()
    print(f"核验台已启动 Kiosk running: {server.url}", flush=True)
    if status["state"] != "ready":
        print(f"⚠ {status['message_zh']} / {status['message_en']}", file=sys.stderr, flush=True)
    print("Ctrl-C 停止 / Ctrl-C to stop", file=sys.stderr, flush=True)
    if args.open:
        webbrowser.open(server.url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return EXIT_OK


def add_kiosk(sub: argparse._SubParsersAction) -> None:
    """``kiosk``: a local web page that checks codes shown to a camera or typed by a scanner."""
    p = sub.add_parser(
        "kiosk",
        help="摄像头核验台网页 / camera kiosk page",
        description="在本机启动核验网页：摄像头读取二维码（也可接扫码枪），本机离线判定，"
        "先写入日志再显示结果。同一二维码 10 秒内重复出现不会重复计次。/ "
        "Serve a local page: the camera (or a keyboard-wedge scanner) reads the code, this "
        "device decides offline and records before showing. The same code seen again "
        "within 10 s is not counted twice.",
        epilog="示例 / examples:\n"
        "  huicui-verify kiosk --open\n"
        "  huicui-verify kiosk --benefit ferry --port 8800\n"
        "只监听本机地址；浏览器须允许使用摄像头。/ "
        "Listens on this machine only; allow the camera in the browser.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--host", default="127.0.0.1", help="监听地址 / address to listen on (default 127.0.0.1)"
    )
    p.add_argument(
        "--port", type=int, default=8765, help="端口 / port (default 8765; 0 picks a free one)"
    )
    p.add_argument("--benefit", metavar="SLUG|CODE", help="要核验的权益 / benefit to redeem")
    p.add_argument(
        "--open", action="store_true", help="在浏览器中打开 / open the page in the browser"
    )
    p.set_defaults(func=_cmd_kiosk)


SUBCOMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [
    add_enroll,
    add_load,
    add_check,
    add_scan,
    add_sync,
    add_log,
    add_status,
    add_kiosk,
]


def build_parser() -> argparse.ArgumentParser:
    """The full parser; each entry of :data:`SUBCOMMANDS` adds one subcommand."""
    parser = argparse.ArgumentParser(
        prog="huicui-verify",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"huicui-verify {__version__}")
    parser.add_argument(
        "--home",
        metavar="DIR",
        default=None,
        help="数据目录 / data folder "
        "(default $HUICUI_VERIFIER_HOME or ~/.local/share/huicui-verifier)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in SUBCOMMANDS:
        add(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``huicui-verify``; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
