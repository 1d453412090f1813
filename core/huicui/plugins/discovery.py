"""Finding plugin Piccolo apps without building a whole app (used by piccolo_conf)."""

from __future__ import annotations


def plugin_piccolo_apps() -> list[str]:
    """Module paths of the Piccolo apps that installed benefit plugins declare."""
    return []
