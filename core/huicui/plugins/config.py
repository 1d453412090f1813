"""A benefit's ``[benefits.<slug>]`` settings, checked against the plugin's own Struct."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, TypeVar

import msgspec

from huicui.settings import SettingsError

T = TypeVar("T")
_AT = re.compile(r"\s*-\s*at `\$(?P<path>[^`]*)`$")


class BenefitConfigError(SettingsError):
    """A ``[benefits.<slug>]`` override is wrong; the message names the setting."""


def benefit_config(config: Mapping[str, Any], slug: str, schema: type[T]) -> T:
    """This benefit's settings: ``config[slug]`` checked against ``schema``.

    ``schema`` is a msgspec Struct whose field defaults are the documented
    defaults (declare it with ``forbid_unknown_fields=True`` so a misspelled key
    is an error). Raises :class:`BenefitConfigError` naming the setting, e.g.
    ``benefits.ferry.rides_per_day: Expected `int`, got `str```.
    """
    raw = config.get(slug) or {}
    try:
        return msgspec.convert(raw, schema)
    except msgspec.ValidationError as exc:
        message = str(exc)
        match = _AT.search(message)
        where = f"benefits.{slug}"
        if match:
            path = match.group("path")
            message = message[: match.start()]
            # msgspec spells paths like ``.partners[0].rate``; settings read ``benefits.x.…``.
            where += path if path.startswith((".", "[")) else f".{path}" if path else ""
        raise BenefitConfigError(f"{where}: {message}") from None
