"""Directories' API shapes."""

from __future__ import annotations

from typing import Annotated

import msgspec


class DirectoryIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    slug: Annotated[str, msgspec.Meta(min_length=2, max_length=63)]
    name_zh: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    name_en: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    term_days: Annotated[int, msgspec.Meta(ge=1, le=3660)] = 1095
    # Benefit codes offered; omit or null to offer every installed benefit.
    benefits: list[Annotated[int, msgspec.Meta(ge=1, le=62)]] | None = None


class DirectoryOut(msgspec.Struct):
    id: int
    number: int
    slug: str
    name_zh: str
    name_en: str
    term_days: int
    benefits: list[int] | None
    offered: list[int]  # what members actually get: configured ∩ installed
