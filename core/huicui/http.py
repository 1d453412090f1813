"""Small helpers shared by the controllers: dependencies, paging, ids."""

from __future__ import annotations

import re
from typing import Annotated

import msgspec
from litestar.datastructures import State
from litestar.params import Parameter

from huicui.context import Context
from huicui.errors import InvalidInput

MAX_ID = 2**31 - 1
Id = Annotated[int, Parameter(ge=1, le=MAX_ID, description="numeric id")]
Limit = Annotated[int, Parameter(ge=1, le=500, description="page size (1-500)")]
Offset = Annotated[int, Parameter(ge=0, le=10_000_000, description="rows to skip")]


def provide_ctx(state: State) -> Context:
    """Litestar dependency: the app's :class:`Context`."""
    return state.ctx


class PageOut(msgspec.Struct):
    """A page of results: ``items``, the ``total`` matching, and the paging used."""

    items: list
    total: int
    limit: int
    offset: int


_DURATION = re.compile(r"^(\d{1,4})\s*([dwmy]?)$")
_UNIT_DAYS = {"": 1, "d": 1, "w": 7, "m": 30, "y": 365}


def parse_days(text: str, name: str) -> int:
    """``30d`` / ``4w`` / ``3m`` / ``1y`` / ``30`` → days; anything else is a clear 422."""
    match = _DURATION.match(text.strip().lower())
    if not match:
        raise InvalidInput(
            f"参数 {name} 格式应为 30d、4w、3m 或 1y",
            f"{name} must look like 30d, 4w, 3m or 1y",
            parameter=name,
        )
    return int(match.group(1)) * _UNIT_DAYS[match.group(2)]
