"""Venue kinds: the words the installed benefits name, plus the core's generic counter.

The core keeps no list of its own beyond ``counter``: a plugin that declares a
benefit honored at ``museum`` venues makes ``museum`` a kind a venue may have. The
generic ``counter`` (a service desk of any kind) is always allowed, so a program can
record a venue before any plugin that suits it is installed.
"""

from __future__ import annotations

from huicui.context import Context
from huicui.errors import HuicuiError

GENERIC = ("counter",)


class UnknownVenueKind(HuicuiError):
    """A venue kind no installed benefit names; the problem lists the allowed kinds."""

    status = 400
    code = "validation_failed"


def allowed_kinds(ctx: Context) -> list[str]:
    """Every kind a venue may have now: the installed benefits' kinds and ``counter``."""
    named = ctx.plugins.venue_kinds() if ctx.plugins is not None else []
    return sorted({*GENERIC, *named})


def check_kind(ctx: Context, kind: str) -> str:
    """``kind`` if a venue may have it; else a 400 naming the allowed kinds in zh and en."""
    allowed = allowed_kinds(ctx)
    if kind in allowed:
        return kind
    listed = "、".join(allowed)
    message_en = f"venue kind {kind!r} is not one of {', '.join(allowed)}"
    message_zh = f"场所类型“{kind}”不可用，可用类型：{listed}"
    raise UnknownVenueKind(
        message_zh,
        message_en,
        errors=[{"key": "kind", "message": message_en, "message_zh": message_zh, "source": "body"}],
        allowed=allowed,
    )
