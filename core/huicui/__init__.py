"""Huicui (荟萃): the talent honor program service."""

import os

# Piccolo finds its engine and apps through this module; set it before any
# table is touched so the service, the CLI and the tests agree.
os.environ.setdefault("PICCOLO_CONF", "huicui.piccolo_conf")

__version__ = "0.1.0"
