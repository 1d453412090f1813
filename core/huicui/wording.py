"""English counts: ``1 person``, ``2 people`` (Chinese needs no plural)."""

from __future__ import annotations


def count_en(n: int, one: str, many: str | None = None) -> str:
    """``n`` and the noun in the right number; ``many`` defaults to ``one + "s"``."""
    return f"{n} {one if n == 1 else (many or one + 's')}"


def count_plural(n: int, plural: str) -> str:
    """``count_en`` from a regular plural: ``1 entry``, ``1 ride``, ``2 visits``."""
    one = plural[:-3] + "y" if plural.endswith("ies") else plural.removesuffix("s")
    return count_en(n, one, plural)
