"""The ``huicui`` command: one module per command group, each with ``register(sub)``."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys
from collections.abc import Callable, Coroutine
from typing import Any

from huicui.settings import SettingsError

# Command modules; each defines ``register(subparsers)``. Features add theirs here.
COMMAND_MODULES = [
    "huicui.cli.setup",
    "huicui.cli.tokens",
    "huicui.cli.memberships",
    "huicui.cli.keys",
    "huicui.cli.certificates",
    "huicui.cli.imports",
    "huicui.cli.exports",
    "huicui.cli.venues",
    "huicui.cli.bundle",
    "huicui.cli.plugins",
    "huicui.cli.reports",
    "huicui.cli.misuse",
    "huicui.cli.worker",
]

EPILOG = """\
常用 / Common:
  huicui setup                              创建开发密钥并迁移数据库 / dev secrets + migrate
  huicui serve                              启动服务 / start the service on 127.0.0.1:8000
  huicui worker                             处理同步发件箱 / work the sync outbox
  huicui token create --role admin --name 张三   创建令牌（只显示一次）/ token, shown once
  huicui memberships due --within 30d        即将到期的成员 / terms ending soon

Settings come from config/huicui.toml and HUICUI_* variables
(e.g. HUICUI_DATABASE_URL=postgresql://127.0.0.1/huicui).
"""


def run_async(coro_fn: Callable[..., Coroutine[Any, Any, int]]) -> Callable[..., int]:
    """Wrap an async command so argparse can call it."""

    def runner(args: argparse.Namespace) -> int:
        return asyncio.run(coro_fn(args))

    return runner


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="huicui",
        description="荟萃人才荣誉服务的管理命令 / Huicui talent honor program: admin commands.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except SettingsError as exc:
        print(f"配置错误 / settings error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
