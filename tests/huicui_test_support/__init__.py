"""Helpers for tests that need a program a fresh laptop may lack.

Locally such a test skips and says how to install the program; in CI (CI=true,
or the specific HUICUI_REQUIRE_* flag) a missing program is a failure, so a
green CI run always includes these tests.
"""

from __future__ import annotations

import os
import shutil

import pytest


def require_tool(tool: str, package: str, flag: str = "") -> str:
    """Path of ``tool``; skip (locally) or fail (CI) when it is missing."""
    path = shutil.which(tool)
    if path:
        return path
    message = f"{tool} is not installed: apt-get install {package} (CI installs it)"
    if os.environ.get("CI") == "true" or (flag and os.environ.get(flag) == "1"):
        pytest.fail(message)
    pytest.skip(message)


_VECTOR_KIT = "huicui_vectors_generate"


def vectors_kit():
    """``tests/vectors/generate.py`` as a module (fixed keys, times and builders), loaded once."""
    import importlib.util
    import sys
    from pathlib import Path

    if _VECTOR_KIT in sys.modules:
        return sys.modules[_VECTOR_KIT]
    path = Path(__file__).resolve().parent.parent / "vectors" / "generate.py"
    spec = importlib.util.spec_from_file_location(_VECTOR_KIT, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[_VECTOR_KIT] = module
    spec.loader.exec_module(module)
    return module
