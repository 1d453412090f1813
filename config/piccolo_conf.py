"""Piccolo configuration for the `piccolo` command run from this folder.

The service itself uses ``huicui.piccolo_conf`` (set in ``PICCOLO_CONF``); this
file re-exports it so ``cd config && piccolo migrations new roster --auto``
works during development.
"""

from huicui.piccolo_conf import APP_REGISTRY, DB

__all__ = ["APP_REGISTRY", "DB"]
