"""Rows every installation needs: the default directory (荟萃北海)."""

from __future__ import annotations

from huicui.directories.tables import Directory
from huicui.settings import load_settings


async def seed_defaults() -> None:
    """Create the default directory if it is missing (idempotent)."""
    if await Directory.exists().where(Directory.number == 1):
        return
    program = load_settings().program
    await Directory.insert(
        Directory(
            number=1,
            slug="default",
            name_zh=program.name_zh,
            name_en=program.name_en,
            term_days=program.default_term_days,
            benefits=None,
        )
    )
