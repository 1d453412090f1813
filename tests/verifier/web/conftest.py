"""Fixtures for the JavaScript engine's tests: Node, and the locked npm packages of
verifier/web (installed with ``npm ci`` when missing; see
:mod:`huicui_test_support.node_packages` for when that skips and when it fails)."""

from __future__ import annotations

from pathlib import Path

import pytest
from huicui_test_support.node_packages import node_with_packages

WEB = Path(__file__).resolve().parents[3] / "verifier" / "web"


@pytest.fixture(scope="session")
def node() -> str:
    """The node executable, with the locked npm packages installed in verifier/web."""
    return node_with_packages(WEB)
