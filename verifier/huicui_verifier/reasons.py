"""Every reason a decision can give, and every warning, in zh-CN first and English second.

The texts live in ``reasons.json`` beside this module: the JavaScript verifier reads the
same file, so the two implementations can never show different words for one reason.
"""

from __future__ import annotations

import json
from importlib import resources

__all__ = [
    "BUNDLE_REFUSALS",
    "CHECK_ID",
    "CLOCKS",
    "INPUTS",
    "LIVE_CARD",
    "REASONS",
    "STAFF_CHECK",
    "WARNINGS",
    "message",
]


def _load() -> dict[str, dict[str, dict[str, str]]]:
    raw = resources.files(__package__).joinpath("reasons.json").read_text(encoding="utf-8")
    return json.loads(raw)


def _pairs(section: dict[str, dict[str, str]]) -> dict[str, tuple[str, str]]:
    return {code: (text["zh"], text["en"]) for code, text in section.items()}


_TABLE = _load()
REASONS: dict[str, tuple[str, str]] = _pairs(_TABLE["reasons"])
"""Decision reason code -> (zh, en)."""
WARNINGS: dict[str, tuple[str, str]] = _pairs(_TABLE["warnings"])
"""Warning code (shown with a decision, never changing it) -> (zh, en)."""
_PROMPTS = _pairs(_TABLE["prompts"])
STAFF_CHECK: tuple[str, str] = _PROMPTS["staff_check"]
"""What staff check on every acceptance, (zh, en)."""
CHECK_ID: tuple[str, str] = _PROMPTS["check_id"]
"""What staff check for a static card at a check_id venue (docs/hb2.md), (zh, en)."""
LIVE_CARD: tuple[str, str] = _PROMPTS["live_card"]
"""What staff see for a live phone card (HB2), (zh, en)."""
CLOCKS: dict[str, tuple[str, str]] = _pairs(_TABLE["clocks"])
"""Which clock looks wrong when a live code's time is outside the window -> (zh, en)."""
INPUTS: dict[str, tuple[str, str]] = _pairs(_TABLE["inputs"])
"""What an unreadable scan most likely is (``foreign.KINDS``) -> (zh, en)."""
BUNDLE_REFUSALS: dict[str, tuple[str, str]] = _pairs(_TABLE["bundle"])
"""Why a bundle was not loaded (``BundleError.code``) -> (zh, en)."""


def message(code: str) -> tuple[str, str]:
    """The (zh, en) message of a reason code."""
    return REASONS[code]
