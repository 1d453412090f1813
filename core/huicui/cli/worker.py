"""``huicui worker``: work the sync outbox (tell plugins and misuse detection) in a process
of its own."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal

from huicui.cli import run_async
from huicui.cli.common import cli_context

DESCRIPTION = """\
处理同步发件箱：设备上传的记录保存后，由发件箱通知各权益插件并做异常使用检测。
Work the sync outbox: after a device's upload is stored, the outbox tells the benefit
plugins (huicui_redemptions_synced) and runs misuse detection, after the device already
has its answer."""

EPILOG = """\
何时需要 / When you need it:
  `huicui serve` 默认自己处理发件箱（sync.outbox_in_process = true），单进程 SQLite
  部署无需另开 worker。使用 PostgreSQL 和多个服务进程时，可另开任意多个 worker 分担：
  每条发件箱记录只会被一个进程取走（FOR UPDATE SKIP LOCKED）。若希望服务进程只负责
  应答，设 sync.outbox_in_process = false，并至少运行一个 worker。
  `huicui serve` works the outbox itself by default (sync.outbox_in_process = true): a
  single SQLite process needs no worker. With PostgreSQL and several service processes,
  run as many workers as you like beside them; each outbox row is taken by one process
  only (FOR UPDATE SKIP LOCKED). To keep service processes for answering alone, set
  sync.outbox_in_process = false and run at least one worker. On SQLite, workers and
  service processes take turns on the database's write lock.

保证 / What it guarantees:
  每个插件对每条记录恰好被通知一次：插件在数据库中的写入与"已通知"标记在同一事务中
  提交；进程被杀死则两者一起回滚，之后重试。插件出错时只重试该插件（5 秒起，逐次
  加倍，最长 sync.retry_max_seconds），其他插件不受影响。
  Every plugin is told about every record exactly once: its database writes and the
  "told" mark commit in one transaction; a killed process rolls both back and the next
  worker tells it again. A plugin that raises is retried alone (after 5 s, doubling, at
  most sync.retry_max_seconds) and logged by name; the others go on. See docs/sync.md.

示例 / Examples:
  huicui worker                  一直运行，Ctrl-C 或 SIGTERM 平稳退出 / run until stopped
  huicui worker --once           处理完当前待办后退出（cron、部署后）/ work what is due, exit
  huicui worker --status         查看积压和出错的插件 / backlog and failing plugins
  HUICUI_DATABASE_URL=postgresql://huicui@db/huicui huicui worker
"""


def _status_text(st) -> str:
    age = "—" if st.oldest_age_s is None else f"{st.oldest_age_s:.0f} s"
    lines = [
        f"待处理上传 / uploads waiting: {st.rows}（{st.records} 条记录 / records）",
        f"可立即处理 / due now: {st.due}",
        f"最早一条已等待 / oldest waiting for: {age}",
    ]
    if st.failing:
        lines.append("出错待重试的插件 / plugins failing, retried later:")
        lines.extend(f"  {name}: {rows} 批 / uploads" for name, rows in st.failing.items())
    else:
        lines.append("没有出错的插件 / no plugin is failing")
    return "\n".join(lines)


async def worker_cmd(args: argparse.Namespace) -> int:
    from piccolo.engine.finder import engine_finder

    from huicui.db import connection_pool
    from huicui.sync.outbox import OutboxWorker, drain, status

    ctx = cli_context()
    logging.basicConfig(
        level=ctx.settings.server.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if args.status:
        print(_status_text(await status()))
        return 0
    if args.once:
        worked = await drain(ctx)
        print(f"已处理 {worked} 批上传 / worked {worked} uploads")
        return 0
    async with connection_pool(engine_finder(), ctx.settings.database.pool_size):
        worker = OutboxWorker(ctx)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):  # no signal handlers on Windows
                loop.add_signal_handler(sig, stop.set)
        logging.getLogger("huicui.sync.outbox").info("outbox worker started")
        worker.start()
        await stop.wait()
        await worker.stop()
        print(f"已停止，共处理 {worker.worked} 批上传 / stopped after {worker.worked} uploads")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "worker",
        help="处理同步发件箱（通知插件、异常检测）/ work the sync outbox",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    what = p.add_mutually_exclusive_group()
    what.add_argument(
        "--once",
        action="store_true",
        help="处理完当前待办后退出 / work every due upload, then exit",
    )
    what.add_argument(
        "--status",
        action="store_true",
        help="只显示积压与出错的插件 / only show the backlog and failing plugins",
    )
    p.set_defaults(func=run_async(worker_cmd))
