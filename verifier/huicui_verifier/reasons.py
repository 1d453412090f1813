"""Every reason a decision can give, and every warning, in zh-CN first and English second.

The texts live in ``reasons.json`` beside this module: the JavaScript verifier reads the
same file, so the two implementations can never show different words for one reason.
"""

from __future__ import annotations

import json
from importlib import resources


def _load() -> dict[str, dict[str, dict[str, str]]]:
    raw = resources.files(__package__).joinpath("reasons.json").read_text(encoding="utf-8")
    return json.loads(raw)


def _pairs(section: dict[str, dict[str, str]]) -> dict[str, tuple[str, str]]:
    return {code: (text["zh"], text["en"]) for code, text in section.items()}


_TABLE = _load()
REASONS: dict[str, tuple[str, str]] = _pairs(_TABLE["reasons"])
WARNINGS: dict[str, tuple[str, str]] = _pairs(_TABLE["warnings"])
_PROMPTS = _pairs(_TABLE["prompts"])
STAFF_CHECK: tuple[str, str] = _PROMPTS["staff_check"]
CHECK_ID: tuple[str, str] = _PROMPTS["check_id"]  # a static card at a check_id venue
LIVE_CARD: tuple[str, str] = _PROMPTS["live_card"]  # an HB2 phone card
# Which clock looks wrong when a live code's time is outside the window (docs/hb2.md).
CLOCKS: dict[str, tuple[str, str]] = _pairs(_TABLE["clocks"])


def message(code: str) -> tuple[str, str]:
    """The (zh, en) message of a reason code."""
    return REASONS[code]
