"""The benefit catalogue's API shapes."""

from __future__ import annotations

import msgspec
from huicui_verifier.policy import Policy


class InstalledBenefitOut(msgspec.Struct):
    """One installed benefit, its policy as data and as words, and the plugin behind it."""

    code: int
    slug: str
    name_zh: str
    name_en: str
    category: str
    venue_kinds: list[str]
    policy: Policy
    effect_zh: str
    effect_en: str
    hours_zh: str
    hours_en: str
    plugin: str
    distribution: str
    version: str
