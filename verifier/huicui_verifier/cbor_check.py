"""Strict CBOR reading for bytes that arrive from a stranger's QR code or a carried file.

cbor2 is a fine decoder for trusted data, but hostile bytes can make it recurse deeply,
allocate for a declared length the input does not have, build odd objects from semantic
tags, or silently keep the last of two equal map keys (so two verifiers could read one
signed message differently). :func:`loads` walks the item structure first, without
recursion, and refuses all of that before cbor2 ever sees the bytes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import cbor2


class CBORCheckError(ValueError):
    """Bytes that are not one well-formed CBOR item within the limits asked for."""


_SIMPLE_OK = {20, 21, 22, 25, 26, 27}  # false, true, null, half/single/double float


def _head(data: bytes, pos: int) -> tuple[int, int, int, int]:
    """Return (major type, additional info, argument, position after the head)."""
    if pos >= len(data):
        raise CBORCheckError("truncated: item expected at end of input")
    initial = data[pos]
    major, info = initial >> 5, initial & 0x1F
    pos += 1
    if info < 24:
        return major, info, info, pos
    if info in (24, 25, 26, 27):
        size = 1 << (info - 24)
        if pos + size > len(data):
            raise CBORCheckError("truncated: head argument runs past end of input")
        return major, info, int.from_bytes(data[pos : pos + size], "big"), pos + size
    if info == 31:
        raise CBORCheckError(f"indefinite length at offset {pos - 1} is not allowed")
    raise CBORCheckError(f"reserved additional information {info} at offset {pos - 1}")


def check(data: bytes, *, max_depth: int, top_tags: frozenset[int] = frozenset()) -> None:
    """Raise :class:`CBORCheckError` unless ``data`` is exactly one acceptable CBOR item.

    Acceptable means: definite lengths only; every declared length fits in what is left
    of the input; nesting no deeper than ``max_depth``; map keys are integers or text and
    never repeat; semantic tags only at the very top and only those in ``top_tags``; no
    simple values other than false, true, null and floats; no bytes after the item.
    """
    end = len(data)
    pos = 0
    # Each open container: [items still expected, is a map, keys seen, items read].
    stack: list[list[Any]] = []
    while True:
        start = pos
        parent = stack[-1] if stack else None
        is_key = parent is not None and parent[1] and parent[3] % 2 == 0
        major, info, arg, pos = _head(data, pos)
        opens = 0
        if major in (0, 1):
            pass
        elif major in (2, 3):
            if arg > end - pos:
                raise CBORCheckError(
                    f"string at offset {start} declares {arg} bytes, only {end - pos} left"
                )
            pos += arg
        elif major == 4:
            if arg > end - pos:
                raise CBORCheckError(
                    f"array at offset {start} declares {arg} items, only {end - pos} bytes left"
                )
            opens = arg
        elif major == 5:
            if arg * 2 > end - pos:
                raise CBORCheckError(
                    f"map at offset {start} declares {arg} pairs, only {end - pos} bytes left"
                )
            opens = arg * 2
        elif major == 6:
            if stack or arg not in top_tags:
                raise CBORCheckError(f"tag {arg} at offset {start} is not allowed here")
            opens = 1
        elif info not in _SIMPLE_OK:
            raise CBORCheckError(f"simple value {arg} at offset {start} is not allowed")

        if is_key:
            if major not in (0, 1, 3):
                raise CBORCheckError(f"map key at offset {start} must be an integer or text")
            raw = data[start:pos]
            if raw in parent[2]:
                raise CBORCheckError(f"duplicate map key at offset {start}")
            parent[2].add(raw)

        if opens:
            if len(stack) >= max_depth:
                raise CBORCheckError(f"nesting deeper than {max_depth} at offset {start}")
            stack.append([opens, major == 5, set(), 0])
            continue
        # An atomic item (or empty container) is complete; close every container it finishes.
        while stack:
            top = stack[-1]
            top[0] -= 1
            top[3] += 1
            if top[0]:
                break
            stack.pop()
        if not stack:
            break
    if pos != end:
        raise CBORCheckError(f"{end - pos} trailing bytes after the item")


def loads(data: bytes, *, max_depth: int, top_tags: frozenset[int] = frozenset()) -> Any:
    """Check ``data`` with :func:`check`, then decode it with cbor2.

    Any failure, including cbor2's own (bad UTF-8 in a text string, say), becomes a
    :class:`CBORCheckError`, so callers handle one exception type.
    """
    check(data, max_depth=max_depth, top_tags=top_tags)
    try:
        return cbor2.loads(data)
    except Exception as exc:
        raise CBORCheckError(f"cbor decoder refused the item: {type(exc).__name__}") from None


def dumps(obj: Any) -> bytes:
    """Encode deterministically (sorted map keys, shortest heads) so signatures reproduce."""
    return cbor2.dumps(obj, canonical=True)


def is_array(value: Any) -> bool:
    """cbor2 5 returns arrays as lists, cbor2 6 (inside tags) as tuples: accept both."""
    return isinstance(value, (list, tuple))


def is_map(value: Any) -> bool:
    """cbor2 6 returns maps inside tags as its own frozendict: accept any mapping."""
    return isinstance(value, Mapping)
