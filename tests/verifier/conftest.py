"""Fixtures for the verifier tests: the vector generator doubles as the fixture kit."""

from __future__ import annotations

import importlib.util
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

_GENERATE = Path(__file__).resolve().parent.parent / "vectors" / "generate.py"


def _load_kit():
    name = "huicui_vectors_generate"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, _GENERATE)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


kit = _load_kit()


def at(ts: int) -> datetime:
    """An aware datetime for epoch seconds."""
    return datetime.fromtimestamp(ts, timezone.utc)


@pytest.fixture
def gen():
    """The generator module: keys, times, builders."""
    return kit


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A fresh verifier home folder."""
    path = tmp_path / "verifier-home"
    path.mkdir()
    return path
