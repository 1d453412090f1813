"""The live card's JavaScript: its unit tests pass under node, and the files the service
serves are exactly what its sources build to."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from huicui_test_support.node_packages import node_with_packages

HOLDER = Path(__file__).resolve().parents[2] / "verifier" / "web" / "holder"


@pytest.fixture(scope="module")
def node() -> str:
    """Node with the holder page's locked packages (``npm ci`` when they are missing)."""
    return node_with_packages(HOLDER)


def test_the_phone_writes_hb2_as_the_reference_does(node):
    proc = subprocess.run(
        [node, "--test", "test/"], cwd=HOLDER, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_served_scripts_are_built_from_the_sources(node):
    proc = subprocess.run(
        [node, "build.mjs", "--check"], cwd=HOLDER, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
