"""What every ``huicui`` command shares: the service context, who is acting, errors, progress."""

from __future__ import annotations

import getpass
import sys

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
