"""Strict CBOR: the deterministic encoding every Huicui format uses, read and written.

cbor2 is a fine decoder for trusted data, but hostile bytes can make it recurse deeply,
allocate for a declared length the input does not have, build odd objects from semantic
tags, or silently keep the last of two equal map keys (so two verifiers could read one
signed message differently). :func:`check` walks the item structure first, without
recursion, and refuses all of that before cbor2 ever sees the bytes.

It also refuses every encoding that is not the deterministic one (RFC 8949 §4.2.1), so
that one certificate or bundle has exactly one byte string, and so one QR text: a reader
that accepted a longer head or a reordered map would let the same certificate show up
under many texts, which the kiosk's repeat suppression (by text) could not recognise.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import cbor2

__all__ = ["CBORCheckError", "check", "dumps", "is_array", "is_map", "loads"]


class CBORCheckError(ValueError):
    """Bytes that are not one deterministically encoded CBOR item within the limits asked for."""


_SIMPLE_OK = {20, 21, 22}  # false, true, null; no format uses undefined or floats
# The smallest argument each long head may carry: anything below fits a shorter head.
_SHORTEST = {24: 24, 25: 0x100, 26: 0x10000, 27: 0x100000000}


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
        if major == 7:
            kind = "simple value" if info == 24 else "floating-point value"
            raise CBORCheckError(f"{kind} at offset {pos - 1} is not allowed")
        size = 1 << (info - 24)
        if pos + size > len(data):
            raise CBORCheckError("truncated: head argument runs past end of input")
        arg = int.from_bytes(data[pos : pos + size], "big")
        if arg < _SHORTEST[info]:
            raise CBORCheckError(
                f"non-shortest head at offset {pos - 1}: {arg} must be written in fewer bytes"
            )
        return major, info, arg, pos + size
    if info == 31:
        raise CBORCheckError(f"indefinite length at offset {pos - 1} is not allowed")
    raise CBORCheckError(f"reserved additional information {info} at offset {pos - 1}")


def check(data: bytes, *, max_depth: int, top_tags: frozenset[int] = frozenset()) -> None:
    """Raise :class:`CBORCheckError` unless ``data`` is exactly one acceptable CBOR item.

    Acceptable means deterministic (RFC 8949 §4.2.1): every head in its shortest form,
    definite lengths only, map keys in strictly ascending bytewise order of their
    encodings (so none repeats); and beyond that: every declared length fits in what is
    left of the input; nesting no deeper than ``max_depth``, where every tag and every
    array or map holding at least one item counts one level, the outermost included (an
    empty array or map holds nothing, so it adds no level); map keys are integers
    or text; text is valid UTF-8; semantic tags only at the very top and only those in
    ``top_tags``; no floats and no simple values but false, true and null; no bytes
    after the item.
    """
    end = len(data)
    pos = 0
    # Each open container: [items still expected, is a map, previous key's bytes, items read].
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
            if major == 3:
                try:
                    data[pos : pos + arg].decode("utf-8")
                except UnicodeDecodeError:
                    raise CBORCheckError(
                        f"text string at offset {start} is not valid UTF-8"
                    ) from None
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
            previous = parent[2]
            if previous is not None and raw <= previous:
                if raw == previous:
                    raise CBORCheckError(f"duplicate map key at offset {start}")
                raise CBORCheckError(
                    f"map key at offset {start} is out of order: keys must ascend bytewise"
                )
            parent[2] = raw

        if opens:
            if len(stack) >= max_depth:
                raise CBORCheckError(f"nesting deeper than {max_depth} at offset {start}")
            stack.append([opens, major == 5, None, 0])
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

    Any failure, including cbor2's own, becomes a :class:`CBORCheckError`, so callers
    handle one exception type.
    """
    check(data, max_depth=max_depth, top_tags=top_tags)
    try:
        return cbor2.loads(data)
    except Exception as exc:
        raise CBORCheckError(f"cbor decoder refused the item: {type(exc).__name__}") from None


def _ordered(obj: Any) -> Any:
    """``obj`` with every map's keys in bytewise order of their encodings (RFC 8949 §4.2.1)."""
    if isinstance(obj, Mapping):
        pairs = sorted(((cbor2.dumps(k), k, _ordered(v)) for k, v in obj.items()))
        return {k: v for _, k, v in pairs}
    if isinstance(obj, (list, tuple)):
        return [_ordered(v) for v in obj]
    if isinstance(obj, cbor2.CBORTag):
        return cbor2.CBORTag(obj.tag, _ordered(obj.value))
    return obj


def dumps(obj: Any) -> bytes:
    """Encode deterministically (RFC 8949 §4.2.1), so signatures reproduce and readers agree.

    cbor2 writes shortest heads and definite lengths, but its ``canonical`` mode sorts
    map keys length-first (the older RFC 7049 rule), which differs from §4.2.1's
    bytewise order for maps that mix key types (``{24: …, -1: …}``). So the keys are put
    in bytewise order here and cbor2 writes them as given.
    """
    return cbor2.dumps(_ordered(obj))


def is_array(value: Any) -> bool:
    """cbor2 5 returns arrays as lists, cbor2 6 (inside tags) as tuples: accept both."""
    return isinstance(value, (list, tuple))


def is_map(value: Any) -> bool:
    """cbor2 6 returns maps inside tags as its own frozendict: accept any mapping."""
    return isinstance(value, Mapping)
