"""The ``huicui`` command run as a real process, against the test database."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path


async def huicui(*args: str) -> tuple[int, str, str]:
    """``huicui ARGS`` with this test's environment; (exit code, stdout, stderr)."""
    exe = Path(sys.executable).with_name("huicui")
    proc = await asyncio.create_subprocess_exec(
        str(exe), *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "COLUMNS": "200"})
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    return proc.returncode, out.decode(), err.decode()
