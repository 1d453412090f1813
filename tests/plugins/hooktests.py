"""``@covers("huicui_x")`` marks a test as a test of that hook; ``test_meta`` checks every
hook in ``huicui.plugins.hookspecs`` has at least one."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

F = TypeVar("F", bound=Callable)


def covers(*hooks: str) -> Callable[[F], F]:
    def mark(fn: F) -> F:
        fn.hooks = hooks  # type: ignore[attr-defined]
        return fn

    return mark
