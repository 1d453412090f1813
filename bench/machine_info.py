"""The machine a run measured: CPU, cores, memory, load, Python and library versions."""

from __future__ import annotations

import os
import platform
import sqlite3
import sys
from datetime import datetime
from importlib import metadata
from pathlib import Path
from zoneinfo import ZoneInfo

LIBRARIES = (
    "huicui",
    "huicui-verifier",
    "cryptography",
    "cbor2",
    "msgspec",
    "zxing-cpp",
    "pillow",
    "litestar",
    "uvicorn",
    "piccolo",
    "aiosqlite",
    "asyncpg",
    "rich",
)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def load_average() -> list[float]:
    """1, 5 and 15-minute load averages (how busy the shared machine was)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def postgres_version(dsn: str = "postgresql://postgres@127.0.0.1:5432/postgres") -> str:
    """The server version, or why it could not be read."""
    import asyncio

    try:
        import asyncpg
    except ImportError:
        return "asyncpg not installed"

    async def ask() -> str:
        conn = await asyncpg.connect(dsn, timeout=3)
        try:
            return await conn.fetchval("SHOW server_version")
        finally:
            await conn.close()

    try:
        return asyncio.run(ask())
    except Exception as exc:  # no server is a fact to report, not an error
        return f"unreachable ({type(exc).__name__})"


def describe() -> dict:
    """Everything the report's header says about the machine and software."""
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return {
        "date": now.isoformat(timespec="seconds"),
        "date_text": now.strftime("%Y-%m-%d %H:%M:%S (Asia/Shanghai)"),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "cores_usable": usable,
        "memory_gib": _memory_gib(),
        "load_average_start": load_average(),
        "os": f"{platform.system()} {platform.release()}",
        "python": f"{platform.python_implementation()} {sys.version.split()[0]}",
        "sqlite": sqlite3.sqlite_version,
        "postgresql": postgres_version(),
        "libraries": {name: _version(name) for name in LIBRARIES},
    }
