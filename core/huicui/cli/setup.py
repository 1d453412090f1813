"""``huicui setup``, ``huicui migrate`` and ``huicui serve``."""

from __future__ import annotations

import argparse
from typing import Any

from huicui.cli import run_async
from huicui.settings import Settings, load_settings


async def _migrate() -> None:
    from huicui.db import migrate
    from huicui.seed import seed_defaults

    await migrate()
    await seed_defaults()


async def setup_cmd(args: argparse.Namespace) -> int:
    from huicui.vault import create_dev_secrets

    settings = load_settings()
    made = create_dev_secrets(settings.secrets)
    for path in made:
        print(f"已创建开发密钥 / created development secret: {path}")
    await _migrate()
    print(f"数据库已就绪 / database ready: {settings.database.url.split('@')[-1]}")
    from huicui.app import build_context
    from huicui.issuance.keys import ensure_keys

    await ensure_keys(build_context(settings))
    print("签名密钥已就绪 / signing keys ready (huicui keys list)")
    return 0


async def migrate_cmd(args: argparse.Namespace) -> int:
    await _migrate()
    print("迁移完成 / migrations applied")
    return 0


def server_config(app: Any, settings: Settings) -> Any:
    """The uvicorn configuration ``huicui serve`` runs ``app`` with.

    No access log: a request line carries query strings (a search for an ID number,
    say); errors and refusals are logged by the service itself, without personal data.
    uvicorn takes the client address from ``X-Forwarded-For`` only when the connection
    comes from 127.0.0.1 (its default; ``FORWARDED_ALLOW_IPS`` changes it).
    """
    import logging

    import uvicorn

    config = uvicorn.Config(
        app,
        host=settings.server.host,
        port=settings.server.port,
        log_level=settings.server.log_level.lower(),
        access_log=False,
    )
    # uvicorn logs requests whenever its access logger has a handler, and an embedder
    # (pytest does) may attach one; a disabled logger drops its records whatever handlers
    # it has. After Config: its dictConfig re-enables the loggers it names.
    logging.getLogger("uvicorn.access").disabled = True
    return config


def serve_cmd(args: argparse.Namespace) -> int:
    import msgspec
    import uvicorn

    from huicui.app import create_app

    settings = load_settings()
    # The app gets the host and port actually served, so links made from them
    # (server.base_url) follow --port as they follow HUICUI_SERVER_PORT.
    server = msgspec.structs.replace(
        settings.server,
        host=args.host or settings.server.host,
        port=args.port or settings.server.port,
    )
    settings = msgspec.structs.replace(settings, server=server)
    print(f"荟萃服务 / Huicui service on http://{server.host}:{server.port}")
    print(f"  链接地址 / links and enrolment use: {server.base_url()}")
    print(f"  API 文档 / OpenAPI docs: {server.base_url()}/schema")
    print(
        "  首个管理员令牌 / first admin token: "
        ".venv/bin/huicui token create --role admin --name <你的名字>"
    )
    uvicorn.Server(server_config(create_app(settings), settings)).run()
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "setup",
        help="开发环境初始化：密钥与迁移 / dev secrets and migrations",
        description="在 var/secrets 下创建缺少的开发密钥并迁移数据库（生产环境请用 "
        "HUICUI_SECRETS_*）/ Create missing development secrets under var/secrets "
        "(never for production: give HUICUI_SECRETS_* there) and migrate.",
    )
    p.set_defaults(func=run_async(setup_cmd))
    p = sub.add_parser(
        "migrate",
        help="运行数据库迁移 / apply migrations",
        description="执行核心与插件的所有待执行迁移，可重复运行 / Apply every pending "
        "migration of the core and plugins. Safe to run again.",
    )
    p.set_defaults(func=run_async(migrate_cmd))
    p = sub.add_parser(
        "serve",
        help="启动服务 / start the HTTP service",
        description="用 uvicorn 启动服务；多个进程可共用一个 PostgreSQL 数据库 / Start the "
        "service with uvicorn. Several processes may share one PostgreSQL database.",
    )
    p.add_argument("--host", help="监听地址 / address to listen on (default: server.host)")
    p.add_argument("--port", type=int, help="端口 / port (default: server.port)")
    p.set_defaults(func=serve_cmd)
