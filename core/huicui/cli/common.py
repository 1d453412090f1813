"""What every ``huicui`` command shares: the service context, who is acting, errors, progress."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Sequence
from typing import Any

import msgspec
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn


def cli_context():
    """A service context with the installed plugins and listeners, as the app builds it."""
    from huicui.app import build_context
    from huicui.settings import load_settings

    return build_context(load_settings())


def _os_user() -> str:
    try:
        return getpass.getuser()[:60]
    except Exception:  # no user name in some containers
        return "unknown"


def cli_actor() -> str:
    """Audit actor for commands run in a terminal: ``cli:<os user>``."""
    return f"cli:{_os_user()}"


def cli_principal():
    """The operator at the server's console as a principal (admin rights, audited by name)."""
    from huicui.auth import Principal

    return Principal(kind="cli", id=0, name=_os_user(), role="admin")


def fail(exc: Exception, *, details: bool = False) -> int:
    """Print a :class:`HuicuiError` in both languages (and its details); re-raise the rest."""
    from huicui.errors import HuicuiError

    if isinstance(exc, HuicuiError):
        print(f"错误 / error: {exc.message_zh} / {exc.message_en}", file=sys.stderr)
        if details and exc.extra:
            print(msgspec.json.encode(exc.extra).decode(), file=sys.stderr)
        return 1
    raise exc


def stderr_progress(description: str, *, quiet: bool = False) -> Progress:
    """A progress bar on standard error (standard output stays clean for the result)."""
    return Progress(
        TextColumn(description),
        BarColumn(),
        MofNCompleteColumn(),
        console=Console(stderr=True),
        transient=True,
        disable=quiet,
    )


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    """``--json`` on a list command: the rows as one JSON array, for scripts."""
    parser.add_argument(
        "--json", action="store_true",
        help="以 JSON 数组输出，供脚本使用 / print the rows as one JSON array, for scripts",
    )


def stdout_console():
    """A console for standard output that never wraps or cuts a line when piped.

    On a terminal rich fits lines to its width; into a pipe or a file every line is
    printed whole, so ``grep`` and ``cut`` see full values.
    """
    from rich.console import Console

    piped = not sys.stdout.isatty()
    return Console(highlight=False, soft_wrap=piped, width=100_000 if piped else None)


def print_rows(
    args: argparse.Namespace,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    title: str = "",
) -> None:
    """A list command's rows: ``--json`` → a JSON array of objects; a terminal → a table
    whose cells fold but are never cut; a pipe or file → a header line and one
    tab-separated line per row with every value whole."""
    if getattr(args, "json", False):
        items = [dict(zip(columns, row, strict=True)) for row in rows]
        print(json.dumps(items, ensure_ascii=False, indent=2, default=str))
        return
    if title:
        print(title)
    if not sys.stdout.isatty():
        print("\t".join(columns))
        for row in rows:
            print("\t".join("" if v is None else str(v).replace("\t", " ") for v in row))
        return
    from rich.table import Table

    table = Table()
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*("—" if v is None else str(v) for v in row))
    stdout_console().print(table)
